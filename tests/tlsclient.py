#!/usr/bin/env python3
"""A scripted SMTP client that can start TLS, for the server on a socketpair.

usage: tlsclient.py [--implicit] STEP... -- SERVER-COMMAND...

The server runs with one end of a socketpair as its stdin and stdout (as under
inetd), so $TCPREMOTEIP decides the client address it sees.  Steps, in order:
  S:LINE   send LINE (CRLF appended) and print the whole reply
  P:TEXT   send TEXT as it is (escapes \\r \\n), in one write; read nothing
  R        read one whole reply and print it
  T        start TLS (unverified, any TLS 1.2+ the server takes); prints "TLS: <version>"
  G:TEXT   send TEXT raw (escapes) and then expect the session to end
  W        wait for the server to close; prints "closed"
Every reply line is printed as received.  A reply that does not come within 10 s
prints "timeout" and ends the script with status 3.  The server's exit status is
printed last as "exit N".
"""
import socket
import ssl
import re
import subprocess
import tempfile
import sys
import time


def unescape(t):
    return t.replace("\\r", "\r").replace("\\n", "\n").encode()


class Client:
    def __init__(self, sock):
        self.sock = sock
        self.buf = b""

    def line(self):
        while b"\n" not in self.buf:
            try:
                d = self.sock.recv(65536)
            except (ssl.SSLError, OSError) as e:
                print("error: %s" % e)
                return None
            if not d:
                return None
            self.buf += d
        ln, self.buf = self.buf.split(b"\n", 1)
        return ln.rstrip(b"\r").decode("ascii", "replace")

    def reply(self):
        while True:
            ln = self.line()
            if ln is None:
                print("closed")
                return False
            print(ln)
            if len(ln) < 4 or ln[3] != "-":
                return True


def main():
    args = sys.argv[1:]
    implicit = args[:1] == ["--implicit"]
    if implicit:
        args = args[1:]
    sep = args.index("--")
    steps, cmd = args[:sep], args[sep + 1:]
    a, b = socket.socketpair()
    err = tempfile.TemporaryFile()
    proc = subprocess.Popen(cmd, stdin=b, stdout=b, stderr=err)
    b.close()
    a.settimeout(10)
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    c = Client(a)
    rc = 0
    try:
        if implicit:
            try:
                c.sock = ctx.wrap_socket(a)
                print("TLS: %s" % c.sock.version())
            except (ssl.SSLError, OSError) as e:
                print("TLS failed: %s" % e)
                steps = []
        if c.sock is not a or not implicit:
            c.reply()	# the greeting
        for st in steps:
            if st.startswith("S:"):
                c.sock.sendall(st[2:].encode() + b"\r\n")
                c.reply()
            elif st.startswith("P:"):
                c.sock.sendall(unescape(st[2:]))
            elif st == "R":
                c.reply()
            elif st == "T":
                try:
                    c.sock = ctx.wrap_socket(a)
                    print("TLS: %s" % c.sock.version())
                except (ssl.SSLError, OSError) as e:
                    print("TLS failed: %s" % e)
            elif st.startswith("G:"):
                a.sendall(unescape(st[2:]))
            elif st == "W":
                while c.line() is not None:
                    pass
                print("closed")
    except socket.timeout:
        print("timeout")
        rc = 3
    try:
        c.sock.close()
    except OSError:
        pass
    try:
        print("exit %d" % proc.wait(timeout=15))
    except subprocess.TimeoutExpired:
        proc.kill()
        print("exit killed")
    # The server's stderr, but pam_wrapper's complaints about another test run's
    # /tmp/pam.X directories (a run as another user beside this one), as transcript.py.
    err.seek(0)
    sys.stderr.write(re.sub(r"(?m)^PWRAP_ERROR\[[^]]*\] - pwrap_clean_stale_dirs: [^\n]*\n", "",
                            err.read().decode(errors="replace")))
    return rc


sys.exit(main())
