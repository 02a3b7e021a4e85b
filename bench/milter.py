#!/usr/bin/env python3
"""make bench, the milter's cost (issue 24): one-message sessions with one milter that
continues at every step (tests/testmilter.py, on a Unix socket) against the same
sessions with no milter, interleaved A B, B A ... for --rounds rounds of --messages
sessions each.  Each session is smtp-session in single-user mode (--user, as make
run) with the session on a pipe and a 2 KB message into a temporary Maildir.

Reports, per message (medians of the rounds): the wall time of the session (its
latency: the milter's steps are round trips the session waits for), the CPU time of
smtp-session's processes (RUSAGE_CHILDREN), and the milter's own CPU time (from
/proc; a Python milter, so an upper bound for rspamd's or OpenDKIM's protocol work,
not their filtering).  Checks that every message landed.

usage: bench/milter.py [--rounds N] [--messages N] [--out FILE]
"""
import argparse
import os
import pwd
import resource
import statistics
import subprocess
import sys
import tempfile
import time

TOP = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
USER = pwd.getpwuid(os.geteuid()).pw_name


def session_bytes():
    body = "".join("line %04d of a two kilobyte message, nothing in it.\r\n" % i
                   for i in range(38))
    return ("EHLO client.example.org\r\nMAIL FROM:<bench@example.org>\r\n"
            "RCPT TO:<" + USER + "@localhost>\r\nDATA\r\nFrom: bench@example.org\r\n"
            "Subject: milter bench\r\n\r\n" + body + ".\r\nQUIT\r\n").encode()


def proc_cpu(pid):
    """utime + stime of a process, in seconds."""
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def run(argv, data, n, maildir):
    """n sessions one after another: (wall s per message, CPU s per message)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    walls = []
    for _ in range(n):
        t = time.monotonic()
        r = subprocess.run(argv, input=data, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
        walls.append(time.monotonic() - t)
        if b"250 2.0.0 Ok: delivered" not in r.stdout:
            sys.exit("bench/milter.py: a session failed:\n" + r.stdout.decode())
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return statistics.median(walls), cpu / n


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--messages", type=int, default=100)
    ap.add_argument("--out")
    a = ap.parse_args()
    work = tempfile.mkdtemp(prefix="smtp-milter-bench.")
    maildir = os.path.join(work, "Maildir")
    sock = os.path.join(work, "m.sock")
    milter = subprocess.Popen([sys.executable, os.path.join(TOP, "tests/testmilter.py"),
                               "--unix", sock, "--log", os.devnull])
    try:
        for _ in range(100):
            if os.path.exists(sock):
                break
            time.sleep(0.05)
        base = [os.path.join(TOP, "smtp-session"), "--user", USER, "--maildir", maildir,
                "--hostname", "bench.example.org", "--domains", "localhost",
                "--log-file", os.path.join(work, "log")]
        progs = {"none": base, "milter": base + ["--milter", "unix:" + sock]}
        data = session_bytes()
        res = {k: {"wall": [], "cpu": [], "mcpu": []} for k in progs}
        total = 0
        for r in range(a.rounds):
            order = list(progs) if r % 2 == 0 else list(reversed(progs))
            for k in order:
                m0 = proc_cpu(milter.pid)
                wall, cpu = run(progs[k], data, a.messages, maildir)
                res[k]["wall"].append(wall)
                res[k]["cpu"].append(cpu)
                res[k]["mcpu"].append((proc_cpu(milter.pid) - m0) / a.messages)
                total += a.messages
        landed = len(os.listdir(os.path.join(maildir, "new")))
        if landed != total or os.listdir(os.path.join(maildir, "tmp")):
            sys.exit("bench/milter.py: %d of %d messages landed" % (landed, total))
        med = {k: {f: statistics.median(v) * 1000 for f, v in d.items()} for k, d in res.items()}
        lines = ["milter cost: %d rounds x %d one-message sessions (2 KB), single-user mode, "
                 "interleaved; medians per message" % (a.rounds, a.messages),
                 "%-8s %12s %16s %14s" % ("", "latency ms", "session CPU ms", "milter CPU ms")]
        for k in progs:
            lines.append("%-8s %12.2f %16.2f %14.2f" % (k, med[k]["wall"], med[k]["cpu"],
                                                     med[k]["mcpu"]))
        lines.append("%-8s %+12.2f %+16.2f" % ("cost", med["milter"]["wall"] - med["none"]["wall"],
                                               med["milter"]["cpu"] - med["none"]["cpu"]))
        text = "\n".join(lines) + "\n"
        print(text, end="")
        if a.out:
            with open(a.out, "w") as f:
                f.write(text)
    finally:
        milter.terminate()
        milter.wait()
        subprocess.run(["rm", "-rf", work])


if __name__ == "__main__":
    main()
