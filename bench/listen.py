#!/usr/bin/env python3
"""Sessions per second and server CPU per session: smtp-session --listen against the
per-connection starts it replaces (issue 23), on the host, interleaved.

  accept    systemd-socket-activate --accept --inetd: one exec per connection by the
            launcher, as an Accept=yes unit does (without systemd's unit, cgroup and
            namespaces, which cost the ~85 ms on top: see issue 23)
  listen    systemd-socket-activate without --accept: the listening socket passed
            (Accept=no), smtp-session --listen execs one session per connection
  tcpserver tcpserver -R -H -l localhost, one process per connection

Each round runs every mode once, in turn, with SESSIONS sequential sessions of one
short message each (smtplib, one client process), in single-user mode into a
Maildir below a temporary directory, as make run does.  CPU is the server side's:
the launcher's own and its reaped children's (utime + stime + cutime + cstime of
/proc/PID/stat), read once every session has been reaped; in parentheses the
launcher's own share (the listener itself, for listen).

usage: bench/listen.py [BINARY] [SESSIONS] [ROUNDS]   (default ./smtp-session 200 3)
"""
import os
import shutil
import signal
import smtplib
import socket
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bench import free_port  # noqa: E402  (one free-port helper for the bench scripts)
import time

BIN = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else "./smtp-session")
N = int(sys.argv[2]) if len(sys.argv) > 2 else 200
ROUNDS = int(sys.argv[3]) if len(sys.argv) > 3 else 3
TICK = os.sysconf("SC_CLK_TCK")
USER = subprocess.run(["id", "-un"], capture_output=True, text=True).stdout.strip()
MSG = "Subject: bench\r\n\r\n" + "x" * 70 + "\r\n"


def cpu(pid):
    """The process's and its reaped children's CPU seconds, and its own alone."""
    f = open("/proc/%d/stat" % pid).read().rsplit(")", 1)[1].split()
    return sum(int(x) for x in f[11:15]) / TICK, sum(int(x) for x in f[11:13]) / TICK


def children(pid):
    try:
        return open("/proc/%d/task/%d/children" % (pid, pid)).read().split()
    except OSError:
        return []


def start(mode, port, tmp):
    args = [BIN, "--hostname", "bench.example", "--user", USER, "--maildir",
            tmp + "/Maildir", "--log-file", tmp + "/log"]
    if mode == "accept":
        cmd = ["systemd-socket-activate", "--accept", "--inetd", "-l",
               "127.0.0.1:%d" % port] + args
    elif mode == "listen":
        cmd = ["systemd-socket-activate", "-l", "127.0.0.1:%d" % port] + args + ["--listen"]
    else:
        cmd = ["tcpserver", "-R", "-H", "-l", "localhost", "127.0.0.1", str(port)] + args
    p = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    for _ in range(100):
        try:
            socket.create_connection(("127.0.0.1", port), 1).close()
            break
        except OSError:
            time.sleep(0.05)
    return p


def session(port):
    with smtplib.SMTP("127.0.0.1", port, timeout=30) as s:
        s.sendmail("bench@example.org", [USER + "@bench.example"], MSG)


def settle(pid):
    for _ in range(200):
        if not children(pid):
            return
        time.sleep(0.01)


def run(mode, tmp):
    port = free_port()
    p = start(mode, port, tmp)
    session(port)  # warm: the listener is exec'd at the first connection
    settle(p.pid)
    c0, t0 = cpu(p.pid), time.monotonic()
    for _ in range(N):
        session(port)
    wall = time.monotonic() - t0
    settle(p.pid)
    c1 = cpu(p.pid)
    p.send_signal(signal.SIGTERM)
    p.wait(timeout=30)
    return N / wall, (c1[0] - c0[0]) * 1000 / N, (c1[1] - c0[1]) * 1000 / N


def main():
    tmp = tempfile.mkdtemp(prefix="bench-listen.")
    os.chmod(tmp, 0o755)
    res = {m: [] for m in ("accept", "listen", "tcpserver")}
    try:
        for r in range(ROUNDS):
            for m in res:
                rate, ms, own = run(m, tmp)
                res[m].append((rate, ms, own))
                print("round %d %-9s %7.1f sessions/s  %5.2f ms CPU/session"
                      "  (%4.2f ms in the launcher itself)" % (r + 1, m, rate, ms, own))
                sys.stdout.flush()
        print("median over %d rounds of %d sessions:" % (ROUNDS, N))
        for m, v in res.items():
            rates = sorted(x[0] for x in v)
            cpus = sorted(x[1] for x in v)
            print("  %-9s %7.1f sessions/s  %5.2f ms CPU/session" % (m, rates[len(v) // 2], cpus[len(v) // 2]))
        n = len(os.listdir(tmp + "/Maildir/new"))
        print("messages delivered: %d (expected %d)" % (n, ROUNDS * 3 * (N + 1)))
    finally:
        shutil.rmtree(tmp)


main()
