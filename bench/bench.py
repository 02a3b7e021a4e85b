#!/usr/bin/env python3
"""make bench: smtp-session against bench/baseline, both behind tcpserver (one process
per connection) on free loopback ports, driven by Postfix's smtp-source, delivering
into temporary Maildirs with fsync.

usage: bench/bench.py [--rounds N] [--out FILE]

The throughput workloads run interleaved, A B, B A, A B ... for N rounds, and report
medians and the ratio smtp-session / baseline (the median of the per-round ratios, and
their range, which shows how noisy the machine was).  Each run checks that exactly the
messages sent landed in new/ (and nothing in tmp/), else the row says FAIL.  Then: peak
RSS of one handler (/usr/bin/time -v) for a 2 KB and a 10 MB message, instructions for
one fixed one-message session under callgrind, and syscalls for it under strace -c.
Prints a table and writes it, with the details, to bench/results/<date>.txt.
"""
import argparse
import datetime
import os
import pwd
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time

TOP = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
USER = pwd.getpwuid(os.geteuid()).pw_name
RCPT = "%s@localhost" % USER
SENDER = "bench@example.org"
HELO = "client.example.org"
MB10 = 10_000_000      # payload of the big message: fits the default --max-size

# Targets from issue 6 (bench/README.md, "Targets").
TARGETS = {"s1": 0.85, "s8": 0.85, "m100": 0.85, "big": 0.80}
RSS_MAX_KIB = 2048


class Server:
    """One program behind tcpserver on a free loopback port, delivering into maildir."""

    def __init__(self, name, argv, maildir, work):
        self.name, self.maildir = name, maildir
        for d in ("tmp", "new", "cur"):
            os.makedirs(os.path.join(maildir, d), exist_ok=True)
        self.log = open(os.path.join(work, name + ".tcpserver.log"), "wb")
        # -1 prints the port it got for port 0; -R -H: no ident or DNS lookups;
        # -c 40: tcpserver's default limit, above the 8 concurrent sessions.
        self.proc = subprocess.Popen(
            ["tcpserver", "-1", "-R", "-H", "-l", "localhost", "-c", "40",
             "127.0.0.1", "0"] + argv,
            stdout=subprocess.PIPE, stderr=self.log, stdin=subprocess.DEVNULL)
        line = self.proc.stdout.readline().decode().strip()
        if not line.isdigit():
            self.stop()
            raise SystemExit("bench: tcpserver did not start for %s" % name)
        self.port = int(line)

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()

    def landed(self):
        """(files in new/ with their sizes, files left in tmp/); empties new/."""
        new = os.path.join(self.maildir, "new")
        sizes = []
        for f in os.listdir(new):
            p = os.path.join(new, f)
            sizes.append(os.path.getsize(p))
            os.unlink(p)
        return sizes, os.listdir(os.path.join(self.maildir, "tmp"))


def smtp_source(server, sessions, messages, length, same_session):
    """Run smtp-source; returns (seconds, error or None)."""
    argv = ["smtp-source", "-s", str(sessions), "-m", str(messages), "-l", str(length),
            "-f", SENDER, "-t", RCPT, "-M", HELO]
    if same_session:
        argv.append("-d")
    argv.append("127.0.0.1:%d" % server.port)
    start = time.monotonic()
    p = subprocess.run(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT, timeout=120)
    elapsed = time.monotonic() - start
    if p.returncode != 0 or p.stdout.strip():
        return elapsed, "smtp-source: status %d: %s" % (
            p.returncode, p.stdout.decode(errors="replace").strip()[:300])
    return elapsed, None


# name: (title, unit, sessions, messages per run, payload, one session, runs per round)
WORKLOADS = {
    "s1": ("sessions/s, 2 KB message each, 1 at a time", "sessions/s", 1, 400, 2048, False, 1),
    "s8": ("sessions/s, 2 KB message each, 8 at a time", "sessions/s", 8, 800, 2048, False, 1),
    "m100": ("messages/s, 100 x 2 KB in one session", "messages/s", 1, 100, 2048, True, 4),
    "big": ("MB/s, 10 MB message (4 sessions)", "MB/s", 1, 4, MB10, False, 1),
}


def run_workload(server, key):
    """One measurement: the rate, or an error string when the messages did not land."""
    _, unit, sessions, messages, length, same, repeat = WORKLOADS[key]
    total = 0.0
    for _ in range(repeat):
        elapsed, err = smtp_source(server, sessions, messages, length, same)
        sizes, left = server.landed()
        if err:
            return err
        if len(sizes) != messages or left:
            return "%d messages sent, %d landed in new/, %d left in tmp/" % (
                messages, len(sizes), len(left))
        if min(sizes) < length * 0.95:
            return "a message of %d bytes is too short" % min(sizes)
        total += elapsed
    count = messages * repeat
    if unit == "MB/s":
        return count * length / 1e6 / total
    if unit == "sessions/s":
        return count / total
    return count / total


def session_file(path, length):
    """A one-message session as smtp-source would send it, for RSS, callgrind, strace."""
    lines = ["EHLO " + HELO, "MAIL FROM:<%s>" % SENDER, "RCPT TO:<%s>" % RCPT, "DATA",
             "From: <%s>" % SENDER, "To: <%s>" % RCPT, "Subject: bench", ""]
    with open(path, "wb") as f:
        f.write(("\r\n".join(lines) + "\r\n").encode())
        line = b"X" * 78 + b"\r\n"
        for _ in range(length // len(line)):
            f.write(line)
        f.write(b".\r\nQUIT\r\n")


def run_direct(argv, infile, prefix=()):
    """Run a handler on a session file (stdin), output discarded; returns stderr text."""
    with open(infile, "rb") as f:
        p = subprocess.run(list(prefix) + argv, stdin=f, stdout=subprocess.DEVNULL,
                           stderr=subprocess.PIPE, timeout=300)
    return p.returncode, p.stderr.decode(errors="replace")


def peak_rss(server, argv, infile):
    """Peak RSS in KiB of one handler process (median of 3), or an error string."""
    values = []
    for _ in range(3):
        rc, err = run_direct(argv, infile, ["/usr/bin/time", "-v"])
        sizes, left = server.landed()
        m = re.search(r"Maximum resident set size \(kbytes\): (\d+)", err)
        if rc != 0 or not m or len(sizes) != 1 or left:
            return "status %d, %d landed: %s" % (rc, len(sizes), err.strip()[-300:])
        values.append(int(m.group(1)))
    return statistics.median(values)


def instructions(server, argv, infile, out):
    """Instructions (Ir) for one session under callgrind, or an error string."""
    rc, err = run_direct(argv, infile, ["valgrind", "--tool=callgrind",
                                        "--callgrind-out-file=" + out])
    sizes, _ = server.landed()
    if rc != 0 or len(sizes) != 1:
        return "status %d, %d landed: %s" % (rc, len(sizes), err.strip()[-300:])
    with open(out) as f:
        for line in f:
            if line.startswith(("summary:", "totals:")):
                return int(line.split()[1])
    return "no totals in " + out


def syscalls(server, argv, infile, out):
    """System calls of one session (strace -f -c), or an error string."""
    rc, err = run_direct(argv, infile, ["strace", "-f", "-c", "-o", out])
    sizes, _ = server.landed()
    if rc != 0 or len(sizes) != 1:
        return "status %d, %d landed: %s" % (rc, len(sizes), err.strip()[-300:])
    with open(out) as f:
        text = f.read()
    m = re.search(r"^-+.*\n100\.00\s+\S+\s+\S+\s+(\d+)", text, re.M)
    return (int(m.group(1)), text) if m else "no total in " + out


def postfix_running():
    """Is a postfix master process running (it must not be: we only want smtp-source)?"""
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            if "postfix" in os.readlink("/proc/%s/exe" % pid):
                return True
        except OSError:
            pass
    return False


def memory_map(server, argv, infile):
    """Where one handler's memory is, after it has answered the message: resident and
    private KiB per mapping (/proc/PID/smaps), as text."""
    data = open(infile, "rb").read()
    assert data.endswith(b"QUIT\r\n")
    p = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    p.stdin.write(data[:-6])
    p.stdin.flush()
    out = b""
    while not (b"\r\n354 " in out and b"\r\n250 " in out.split(b"\r\n354 ", 1)[1]):
        chunk = os.read(p.stdout.fileno(), 4096)
        if not chunk:
            break
        out += chunk
    rows, cur = {}, None
    with open("/proc/%d/smaps" % p.pid) as f:
        for line in f:
            if re.match(r"^[0-9a-f]+-[0-9a-f]+ ", line):
                parts = line.split()
                cur = rows.setdefault(parts[5] if len(parts) > 5 else "[anon]", [0, 0])
            elif line.startswith("Rss:"):
                cur[0] += int(line.split()[1])
            elif line.startswith(("Private_Clean:", "Private_Dirty:")):
                cur[1] += int(line.split()[1])
    p.stdin.write(b"QUIT\r\n")
    p.stdin.close()
    p.wait()
    p.stdout.close()
    server.landed()
    lines = ["%8d %8d  %s" % (r, pr, name) for name, (r, pr) in
             sorted(rows.items(), key=lambda x: -x[1][0]) if r]
    lines.append("%8d %8d  total" % (sum(r for r, _ in rows.values()),
                                     sum(pr for _, pr in rows.values())))
    return "     RSS  Private  (KiB)\n" + "\n".join(lines)


def fmt(v, unit=""):
    if isinstance(v, str):
        return "FAIL"
    if isinstance(v, int) or v >= 1000:
        return "{:,.0f}".format(v) + unit
    return "{:.1f}".format(v) + unit


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--rounds", type=int, default=7)
    ap.add_argument("--out", default=None)
    args = ap.parse_args()
    for tool in ("tcpserver", "smtp-source", "valgrind", "strace", "/usr/bin/time"):
        if not shutil.which(tool):
            raise SystemExit("bench: %s is missing (make bench installs it as root)" % tool)

    if postfix_running():
        print("bench: warning: a postfix daemon is running; make bench needs only its "
              "smtp-source (stop it: systemctl disable --now postfix)", file=sys.stderr)
    started = time.monotonic()
    load_before = os.getloadavg()
    work = tempfile.mkdtemp(prefix="smtp-bench.")
    os.chmod(work, 0o755)
    ours_md, base_md = os.path.join(work, "A", "Maildir"), os.path.join(work, "B", "Maildir")
    ours_argv = [os.path.join(TOP, "smtp-session"), "--user", USER, "--maildir", ours_md,
                 "--hostname", "bench.example.org", "--domains", "localhost",
                 "--log-file", os.path.join(work, "smtp-session.log")]
    base_argv = [os.path.join(TOP, "bench", "baseline"), base_md]
    servers = []
    try:
        ours = Server("smtp-session", ours_argv, ours_md, work)
        servers.append(ours)
        base = Server("baseline", base_argv, base_md, work)
        servers.append(base)

        # Throughput, interleaved: A B, then B A, ...
        rates = {k: {"A": [], "B": []} for k in WORKLOADS}
        ratios = {k: [] for k in WORKLOADS}
        errors = {}
        for rnd in range(args.rounds):
            for key in WORKLOADS:
                order = [("A", ours), ("B", base)]
                if rnd % 2:
                    order.reverse()
                got = {}
                for tag, srv in order:
                    got[tag] = run_workload(srv, key)
                    if isinstance(got[tag], str):
                        errors.setdefault(key, "%s: %s" % (srv.name, got[tag]))
                    else:
                        rates[key][tag].append(got[tag])
                if not any(isinstance(v, str) for v in got.values()):
                    ratios[key].append(got["A"] / got["B"])
            print("round %d/%d done (%.0f s)" % (rnd + 1, args.rounds,
                                               time.monotonic() - started), file=sys.stderr)

        # One process on a session file: memory, instructions, system calls.
        small, big = os.path.join(work, "2k.in"), os.path.join(work, "10m.in")
        session_file(small, 2048)
        session_file(big, MB10)
        rss = {(tag, size): peak_rss(srv, argv, f)
               for tag, srv, argv in (("A", ours, ours_argv), ("B", base, base_argv))
               for size, f in (("2 KB", small), ("10 MB", big))}
        ir = {tag: instructions(srv, argv, small, os.path.join(work, "callgrind." + tag))
              for tag, srv, argv in (("A", ours, ours_argv), ("B", base, base_argv))}
        sc = {tag: syscalls(srv, argv, small, os.path.join(work, "strace." + tag))
              for tag, srv, argv in (("A", ours, ours_argv), ("B", base, base_argv))}
        maps = {size: memory_map(ours, ours_argv, f) for size, f in (("2 KB", small),
                                                                     ("10 MB", big))}
        annotate = ""
        if not isinstance(ir["A"], str):
            p = subprocess.run(["callgrind_annotate", "--inclusive=no",
                                os.path.join(work, "callgrind.A")],
                               stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
            annotate = "\n".join(p.stdout.decode(errors="replace").splitlines()[:45])
    finally:
        for s in servers:
            s.stop()
    elapsed = time.monotonic() - started
    load_after = os.getloadavg()

    # The table.
    out = []
    row = "{:<44} {:>14} {:>12} {:>24} {:>8} {:>6}"
    out.append(row.format("workload", "smtp-session", "baseline", "ratio (range per round)",
                          "target", ""))
    failed = False
    for key, (title, unit, *_rest) in WORKLOADS.items():
        a, b, r = rates[key]["A"], rates[key]["B"], ratios[key]
        if key in errors or not r:
            out.append(row.format(title, "FAIL", "FAIL", "", ">=%.2f" % TARGETS[key], "FAIL"))
            out.append("    " + errors.get(key, "no complete round"))
            failed = True
            continue
        med = statistics.median(r)
        ok = med >= TARGETS[key]
        out.append(row.format(title, fmt(statistics.median(a)), fmt(statistics.median(b)),
                              "%.2f (%.2f-%.2f)" % (med, min(r), max(r)),
                              ">=%.2f" % TARGETS[key], "ok" if ok else "MISS"))
    for size in ("2 KB", "10 MB"):
        a, b = rss[("A", size)], rss[("B", size)]
        ok = not isinstance(a, str) and a <= RSS_MAX_KIB
        out.append(row.format("peak RSS of one handler, %s message" % size,
                              fmt(a, " KiB"), fmt(b, " KiB"), "", "<=2048", "ok" if ok else
                              ("FAIL" if isinstance(a, str) else "MISS")))
        failed |= isinstance(a, str)
    a, b = ir["A"], ir["B"]
    out.append(row.format("instructions, one 2 KB message (callgrind)", fmt(a), fmt(b),
                          "" if isinstance(a, str) or isinstance(b, str) else "%.2fx" % (a / b),
                          "-", "FAIL" if isinstance(a, str) else ""))
    a, b = sc["A"], sc["B"]
    out.append(row.format("system calls, one 2 KB message (strace)",
                          fmt(a[0] if isinstance(a, tuple) else a),
                          fmt(b[0] if isinstance(b, tuple) else b), "", "-",
                          "FAIL" if isinstance(a, str) else ""))
    for key, v in list(rss.items()) + list(ir.items()) + list(sc.items()):
        if isinstance(v, str):
            out.append("    FAIL %s: %s" % (key, v))
            failed = True
    spread = ["%s %.2f-%.2f" % (k, min(v), max(v)) for k, v in ratios.items() if v]
    out.append("")
    out.append("%d rounds, interleaved A B / B A; %.0f s; load average %.2f before, %.2f after; "
               "%d cores" % (args.rounds, elapsed, load_before[0], load_after[0], os.cpu_count()))
    out.append("per-round ratio ranges: " + "; ".join(spread))
    table = "\n".join(out)
    print(table)

    details = [table, "", "raw rates per round (smtp-session / baseline):"]
    for key in WORKLOADS:
        details.append("  %-5s A %s" % (key, " ".join("%.1f" % v for v in rates[key]["A"])))
        details.append("  %-5s B %s" % (key, " ".join("%.1f" % v for v in rates[key]["B"])))
    rev = subprocess.run(["git", "-C", TOP, "describe", "--always", "--dirty"],
                         stdout=subprocess.PIPE, stderr=subprocess.DEVNULL).stdout.decode().strip()
    details += ["", "commit %s; %s; user %s; Maildirs and spool under %s" % (
        rev, os.uname().release, USER, os.path.dirname(work))]
    for size, text in maps.items():
        details += ["", "smtp-session's memory after answering a %s message:" % size, text]
    if isinstance(sc["A"], tuple):
        details += ["", "strace -f -c, smtp-session, one 2 KB message:", sc["A"][1]]
    if isinstance(sc["B"], tuple):
        details += ["strace -f -c, baseline, one 2 KB message:", sc["B"][1]]
    if annotate:
        details += ["callgrind_annotate, smtp-session, one 2 KB message:", annotate]
    path = args.out or os.path.join(TOP, "bench", "results",
                                    datetime.date.today().isoformat() + ".txt")
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path + ".tmp", "w") as f:
        f.write("\n".join(details) + "\n")
    os.replace(path + ".tmp", path)
    print("written to %s" % os.path.relpath(path, TOP))
    shutil.rmtree(work, ignore_errors=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
