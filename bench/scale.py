#!/usr/bin/env python3
"""make bench, last part: more than one host behind HAProxy (doc/performance.md,
"Behind HAProxy").

usage: bench/scale.py [--rounds N] [--out FILE]

Two smtp-session listeners (tcpserver, --proxy) behind one HAProxy in TCP mode
(roundrobin, send-proxy-v2), against one listener reached directly, both delivering
into the same temporary user's home Maildir (as root, with the uid change: the
configuration deployments run) or, not as root, in single-user mode.  The two
listeners run on this one machine, so the ratio shows what the proxy hop costs and
what a second listener gives when the cores are already shared; on N machines each
listener has its own cores and the sessions/s of one host (make bench) add up until
HAProxy itself is the limit.  Interleaved rounds, medians, the ratio per round;
appended to bench/results/<date>.txt.
"""
import argparse
import datetime
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bench  # noqa: E402  (the same servers, users and workloads as bench.py)
from bench import free_port, port_open  # noqa: E402  (the bench scripts' port helpers)

KEYS = ("s1", "s8")


class Proxy:
    """HAProxy on a free port in front of the listeners; landed() is theirs."""

    def __init__(self, work, backends, rcpt, landed):
        self.rcpt, self.landed, self.tag = rcpt, landed, "P"
        self.port = free_port()
        cfg = os.path.join(work, "haproxy.cfg")
        with open(cfg, "w") as f:
            f.write("global\n    maxconn 1000\nresolvers default\ndefaults\n"
                    "    mode tcp\n    timeout connect 2s\n    timeout client 60s\n"
                    "    timeout server 60s\n"
                    "frontend fe\n    bind 127.0.0.1:%d\n    default_backend be\n"
                    "backend be\n    balance roundrobin\n" % self.port)
            for i, port in enumerate(backends):
                f.write("    server s%d 127.0.0.1:%d send-proxy-v2\n" % (i, port))
        self.log = open(os.path.join(work, "haproxy.log"), "wb")
        self.proc = subprocess.Popen(["haproxy", "-db", "-f", cfg], stdout=self.log,
                                     stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        for _ in range(100):
            if port_open(self.port):
                return
            time.sleep(0.05)
        self.stop()
        raise SystemExit("scale: haproxy did not start")

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait()
        self.log.close()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--out", default=None)
    args = ap.parse_args()
    if not shutil.which("haproxy"):
        raise SystemExit("scale: haproxy is missing (make bench installs it as root)")
    work = tempfile.mkdtemp(prefix="smtp-scale.")
    os.chmod(work, 0o755)
    root = os.geteuid() == 0
    users, servers, proxy = [], [], None
    try:
        common = ["--hostname", "bench.example.org", "--domains", "localhost",
                  "--log-file", os.path.join(work, "smtp.log")]
        if root:
            user = "smtpscale%d" % (os.getpid() % 100000)
            md = bench.bench_user(user, os.path.join(work, "home"))
            users.append(user)
            argv = [os.path.join(bench.TOP, "smtp-session")] + common
        else:
            user = bench.USER
            md = os.path.join(work, "Maildir")
            argv = [os.path.join(bench.TOP, "smtp-session"), "--user", user,
                    "--maildir", md] + common
        rcpt = "%s@localhost" % user
        direct = bench.Server("direct", argv, md, work, rcpt)
        direct.tag = "D"
        servers.append(direct)
        for i in range(2):
            s = bench.Server("proxied%d" % i, argv + ["--proxy"], md, work, rcpt)
            servers.append(s)
        proxy = Proxy(work, [s.port for s in servers[1:]], rcpt, direct.landed)
        rates = {k: {"D": [], "P": []} for k in KEYS}
        errors = []
        for rnd in range(args.rounds):
            for key in KEYS:
                for srv in ([direct, proxy] if rnd % 2 == 0 else [proxy, direct]):
                    got = bench.run_workload(srv, key)
                    if isinstance(got, str):
                        errors.append("%s %s: %s" % (srv.tag, key, got))
                    else:
                        rates[key][srv.tag].append(got)
    finally:
        if proxy:
            proxy.stop()
        for s in servers:
            s.stop()
        for u in users:
            subprocess.run(["userdel", u], stderr=subprocess.DEVNULL)
    conf = ("started as root, real user, uid change" if root else "single-user mode")
    lines = ["", "scaling (%s): HAProxy (send-proxy-v2, roundrobin) in front of two "
             "listeners with --proxy, against one listener direct; %d rounds" % (conf, args.rounds),
             "%-46s %12s %12s  %s" % ("workload", "via HAProxy", "direct", "ratio (range per round)")]
    for key in KEYS:
        d, p = rates[key]["D"], rates[key]["P"]
        if not d or not p:
            lines.append("%-46s FAIL" % bench.WORKLOADS[key][0])
            continue
        r = [b / a for a, b in zip(d, p)]
        lines.append("%-46s %12.1f %12.1f  %.2f (%.2f-%.2f)" % (
            bench.WORKLOADS[key][0], statistics.median(p), statistics.median(d),
            statistics.median(r), min(r), max(r)))
    lines += ["  FAIL " + e for e in errors]
    text = "\n".join(lines) + "\n"
    print(text)
    out = args.out or os.path.join(bench.TOP, "bench", "results",
                                   datetime.date.today().isoformat() + ".txt")
    with open(out, "a") as f:
        f.write(text)
    shutil.rmtree(work, ignore_errors=True)
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
