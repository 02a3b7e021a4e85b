#!/usr/bin/env python3
"""Log fake users in on pseudo-terminals, run a command, keep what each terminal got.

usage: ptyrun.py --utmp FILE --out DIR [--timeout S] [--tty SPEC]... -- COMMAND [ARG...]

For each --tty SPEC (comma-separated key=value, see below) a pseudo-terminal pair is
opened, its slave set raw (so the line discipline does not turn LF into CRLF: what
arrives is exactly what was written), given the mode and owner asked for, and a
USER_PROCESS entry for it is written into the private utmp FILE (glibc's 384-byte
utmpx record, as RECIPES.md section 8 describes).  Then COMMAND runs with this
program's stdin and stdout; meanwhile every master is read, and at the end what each
terminal received is written to DIR/NAME.  The exit status is COMMAND's (124 if it
had to be killed after --timeout seconds, default 30).  Nothing else is printed.

SPEC keys:
  name=NAME     the file in DIR (required)
  user=USER     the ut_user of the entry (required)
  uid=N, gid=N  chown the slave (needs root unless it is the current owner)
  mode=OCTAL    the slave's mode (default 620, "mesg y"; 600 is "mesg n")
  idle=S        set the slave's access time S seconds into the past
  stuck         fill the terminal's output buffer first and never read it
  stale         the entry names a process that no longer exists
  type=N        ut_type (default 7, USER_PROCESS)
  line=LINE     ut_line as given (with %N for the pty number), instead of pts/N
  symlink       ut_line is a symlink to the slave, made in a fresh dir under /dev/shm
  dirlink       ut_line goes through a symlink to /dev/pts, in that dir
"""
import argparse
import fcntl
import os
import select
import shutil
import struct
import subprocess
import sys
import tempfile
import time
import tty

UTMP = "<hxxi32s4s32s256shhiii16s20x"
USER_PROCESS = 7


def parse_spec(text):
    spec = {}
    for item in text.split(","):
        key, _, value = item.partition("=")
        spec[key] = value if _ else True
    if "name" not in spec or "user" not in spec:
        raise SystemExit("ptyrun: --tty needs name= and user=")
    return spec


def dead_pid():
    p = subprocess.Popen(["true"])
    p.wait()
    return p.pid


class Terminal:
    def __init__(self, spec, index, shm):
        self.spec = spec
        self.name = spec["name"]
        self.master, self.slave = os.openpty()
        tty.setraw(self.slave)
        self.path = os.ttyname(self.slave)
        if "uid" in spec or "gid" in spec:
            os.chown(self.path, int(spec.get("uid", -1)), int(spec.get("gid", -1)))
        os.chmod(self.path, int(spec.get("mode", "620"), 8))
        if "idle" in spec:
            t = time.time() - float(spec["idle"])
            os.utime(self.path, (t, t))
        self.data = bytearray()
        self.stuck = "stuck" in spec
        if self.stuck:
            self.fill()
        number = self.path.rsplit("/", 1)[1]
        self.line = "pts/" + number
        if "symlink" in spec:
            link = os.path.join(shm, self.name)
            os.symlink(self.path, link)
            self.line = link[len("/dev/"):]
        elif "dirlink" in spec:
            link = os.path.join(shm, "d-" + self.name)
            os.symlink("/dev/pts", link)
            self.line = link[len("/dev/"):] + "/" + number
        elif "line" in spec:
            self.line = spec["line"].replace("%N", number)
        pid = dead_pid() if "stale" in spec else os.getpid()
        now = time.time()
        self.record = struct.pack(
            UTMP, int(spec.get("type", USER_PROCESS)), pid, self.line.encode(),
            str(index).encode(), spec["user"].encode(), b"ptyrun", 0, 0, 0, int(now),
            int(now % 1 * 1e6), b"")

    def fill(self):
        """Write to the slave until the terminal's buffers are full.  The kernel moves
        data between a pty's buffers in the background, so room can reappear a moment
        after a write failed: keep going until a whole round writes nothing."""
        flags = fcntl.fcntl(self.slave, fcntl.F_GETFL)
        fcntl.fcntl(self.slave, fcntl.F_SETFL, flags | os.O_NONBLOCK)
        while True:
            wrote = 0
            for size in (4096, 64, 1):
                try:
                    while True:
                        wrote += os.write(self.slave, b"x" * size)
                except BlockingIOError:
                    pass
            if not wrote:
                break
            time.sleep(0.05)
        fcntl.fcntl(self.slave, fcntl.F_SETFL, flags)

    def read(self):
        try:
            chunk = os.read(self.master, 65536)
        except OSError:     # EIO: nothing more
            return False
        self.data += chunk
        return bool(chunk)


def main():
    ap = argparse.ArgumentParser(description="run a command with fake logins on ptys")
    ap.add_argument("--utmp", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--timeout", type=float, default=30)
    ap.add_argument("--tty", action="append", default=[], type=parse_spec)
    ap.add_argument("command", nargs=argparse.REMAINDER)
    args = ap.parse_args()
    command = args.command[1:] if args.command[:1] == ["--"] else args.command
    if not command:
        raise SystemExit("ptyrun: no command")
    os.makedirs(args.out, exist_ok=True)
    shm = tempfile.mkdtemp(prefix="smtp-tty.", dir="/dev/shm")
    os.chmod(shm, 0o755)
    try:
        terms = [Terminal(spec, i + 1, shm) for i, spec in enumerate(args.tty)]
        with open(args.utmp, "wb") as f:
            for t in terms:
                f.write(t.record)
        os.chmod(args.utmp, 0o644)
        status = run(command, terms, args.timeout)
        for t in terms:
            flags = fcntl.fcntl(t.master, fcntl.F_GETFL)
            fcntl.fcntl(t.master, fcntl.F_SETFL, flags | os.O_NONBLOCK)
            try:
                while t.read():
                    pass
            except BlockingIOError:
                pass
            with open(os.path.join(args.out, t.name), "wb") as f:
                f.write(t.data)
    finally:
        shutil.rmtree(shm, ignore_errors=True)
    sys.exit(status)


def run(command, terms, timeout):
    """Run command, reading every terminal that is not stuck while it runs."""
    p = subprocess.Popen(command)
    deadline = time.monotonic() + timeout
    live = [t for t in terms if not t.stuck]
    while p.poll() is None:
        left = deadline - time.monotonic()
        if left <= 0:
            p.kill()
            p.wait()
            return 124
        ready, _, _ = select.select([t.master for t in live], [], [], min(left, 0.05))
        for t in live:
            if t.master in ready:
                t.read()
    return p.returncode


if __name__ == "__main__":
    main()
