#!/usr/bin/env python3
"""Run one SMTP transcript through a server command on its stdin/stdout.

usage: transcript.py SERVER-COMMAND TRANSCRIPT-FILE

The transcript uses the seed's notation (see tests/transcripts/README.md):
  > line     the client sends this line; CRLF is appended
  < line     the server must answer exactly this line (CRLF stripped)
  <~ regex   the server's line must match this Python regular expression (fullmatch)
  #! args    extra arguments for the server (shell words), before any other line
  #include N the lines of include/N.t (common reply blocks, such as EHLO's)
  #exit N    the exit status the server must end with (default 0)
  #close     the client closes its side now (end of input)
  #signal S  send signal S (TERM, KILL, ...) to the server now
  #sleep S   wait S seconds
  # ...      a comment
One optional space after > or < is not part of the line.  In > lines the escapes \\r \\n
\\t \\0 \\\\ and \\xHH stand for those bytes, and a final \\c means "no CRLF".
Consecutive > lines go out in one write (a pipelined batch); the server's lines are
read as the < lines ask for them.  At the end the input is closed, the server must exit
with the expected status, must have sent nothing more, and must have written nothing
to stderr (under inetd that is the client's socket).
"""
import os
import re
import select
import shlex
import signal
import subprocess
import sys
import tempfile
import time

TIMEOUT = float(os.environ.get("TRANSCRIPT_TIMEOUT", "10"))


def unescape(text):
    out = bytearray()
    i = 0
    raw = text.encode("utf-8", "surrogateescape")
    end = b"\r\n"
    if raw.endswith(b"\\c"):
        raw, end = raw[:-2], b""
    while i < len(raw):
        c = raw[i:i + 1]
        if c != b"\\":
            out += c
            i += 1
            continue
        n = raw[i + 1:i + 2]
        simple = {b"r": b"\r", b"n": b"\n", b"t": b"\t", b"0": b"\0", b"\\": b"\\"}
        if n in simple:
            out += simple[n]
            i += 2
        elif n == b"x":
            out.append(int(raw[i + 2:i + 4], 16))
            i += 4
        else:
            raise ValueError("bad escape in %r" % text)
    return bytes(out + end)


def lines_of(path, incdir=None):
    """(line number, line) of a transcript, with "#include NAME" replaced by the lines
    of include/NAME.t beside it (numbered as the #include line); an included file may
    include others from the same folder."""
    incdir = incdir or os.path.join(os.path.dirname(path), "include")
    with open(path, encoding="utf-8", errors="surrogateescape") as f:
        for number, line in enumerate(f, 1):
            line = line.rstrip("\n")
            if line.startswith("#include "):
                name = line.split()[1]
                part = os.path.join(incdir, name + ".t")
                for _, included in lines_of(part, incdir):
                    yield number, included
            else:
                yield number, line


def parse(path):
    args, steps, status = [], [], 0
    for number, line in lines_of(path):
        if line.startswith("#!"):
            args += shlex.split(line[2:])
        elif line.startswith("#exit"):
            status = int(line.split()[1])
        elif line.startswith(("#close", "#signal", "#sleep")):
            word = line[1:].split()
            steps.append((number, word[0], word[1:]))
        elif line.startswith("#") or not line.strip():
            continue
        elif line.startswith("<~"):
            steps.append((number, "expect-re", line[2:].removeprefix(" ")))
        elif line.startswith("<"):
            steps.append((number, "expect", line[1:].removeprefix(" ")))
        elif line.startswith(">"):
            steps.append((number, "send", unescape(line[1:].removeprefix(" "))))
        else:
            raise SystemExit("%s:%d: a line must start with >, < or #" % (path, number))
    return args, steps, status


class Server:
    def __init__(self, argv):
        # stderr goes to a file: under inetd it is the client's socket, so the
        # server must never write there.
        self.err = tempfile.TemporaryFile()
        self.p = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                  stderr=self.err)
        self.buf = b""
        self.eof = False

    def send(self, data):
        try:
            self.p.stdin.write(data)
            self.p.stdin.flush()
        except BrokenPipeError:
            pass

    def close(self):
        try:
            self.p.stdin.close()
        except BrokenPipeError:
            pass

    def _more(self, deadline):
        left = deadline - time.monotonic()
        if left <= 0 or self.eof:
            return False
        r, _, _ = select.select([self.p.stdout], [], [], left)
        if not r:
            return False
        chunk = os.read(self.p.stdout.fileno(), 65536)
        if not chunk:
            self.eof = True
            return False
        self.buf += chunk
        return True

    def line(self):
        """The next CRLF-ended line, or None on EOF or timeout."""
        deadline = time.monotonic() + TIMEOUT
        while b"\r\n" not in self.buf:
            if not self._more(deadline):
                return None
        line, self.buf = self.buf.split(b"\r\n", 1)
        return line.decode("utf-8", "replace")

    def rest(self):
        deadline = time.monotonic() + TIMEOUT
        while self._more(deadline):
            pass
        return self.buf


def main():
    if len(sys.argv) != 3:
        raise SystemExit(__doc__)
    args, steps, want_status = parse(sys.argv[2])
    server = Server(shlex.split(sys.argv[1]) + args)
    seen = []
    failed = None
    for number, kind, what in steps:
        if kind == "send":
            server.send(what)
        elif kind == "close":
            server.close()
        elif kind == "signal":
            server.p.send_signal(getattr(signal, "SIG" + what[0]))
        elif kind == "sleep":
            time.sleep(float(what[0]))
        else:
            got = server.line()
            seen.append("< %s" % got)
            ok = got is not None and (got == what if kind == "expect"
                                      else re.fullmatch(what, got) is not None)
            if not ok:
                failed = "line %d: expected %s %r, got %r" % (
                    number, "exactly" if kind == "expect" else "a match for", what, got)
                break
    server.close()
    if not failed:
        rest = server.rest()
        if rest:
            failed = "unexpected output after the transcript: %r" % rest
    try:
        status = server.p.wait(timeout=TIMEOUT)
    except subprocess.TimeoutExpired:
        server.p.kill()
        status = "still running after %ss" % TIMEOUT
    if not failed and status != want_status:
        failed = "exit status %s, expected %s" % (status, want_status)
    server.err.seek(0)
    stderr = server.err.read()
    # pam_wrapper's own complaint about another user's /tmp/pam.X directories (it
    # keeps them in /tmp, shared by every test run on the machine, whoever runs it):
    # the test tool's, not the server's output.
    stderr = re.sub(rb"(?m)^PWRAP_ERROR\[[^]]*\] - pwrap_clean_stale_dirs: [^\n]*\n", b"", stderr)
    if not failed and stderr:
        failed = "the server wrote to stderr: %r" % stderr[:500]
    if failed:
        print("\n".join(seen))
        print("FAIL %s: %s" % (sys.argv[2], failed))
        sys.exit(1)


if __name__ == "__main__":
    main()
