#!/usr/bin/env python3
"""privsep-memscan.py PORT USER PASSWORD: log in with AUTH PLAIN over 127.0.0.1:PORT,
the AUTH line split across two TCP writes (so it arrives in two reads) and pipelined
behind 30 NOOPs (so the reader moves its first half down in the buffer), and after 235,
with the session still open, search the memory of both processes of the session (the
session process holding the connection and its privileged parent, /proc/PID/mem, as
root) for the password, its base64 form and the decoded PLAIN message.  Exits 1 if
any is found (printing where), 0 if none is."""
import base64
import socket
import sys
import time

import memscan

port, user, pw = int(sys.argv[1]), sys.argv[2], sys.argv[3]
plain = b"\0" + user.encode() + b"\0" + pw.encode()
b64 = base64.b64encode(plain)
needles = {"password": pw.encode(), "base64": b64, "PLAIN message": plain,
           "base64 first half": b64[: len(b64) // 2]}

c = socket.create_connection(("127.0.0.1", port), 5)
c.settimeout(30)
f = c.makefile("rb")


def reply():
    while True:
        line = f.readline()
        if not line or line[3:4] != b"-":
            return line


reply()
c.sendall(b"EHLO scanner\r\n")
reply()
half = len(b64) // 2
c.sendall(b"NOOP\r\n" * 30 + b"AUTH PLAIN " + b64[:half])
for i in range(30):
    if not reply().startswith(b"250"):
        print("NOOP refused")
        sys.exit(2)
time.sleep(0.3)
c.sendall(b64[half:] + b"\r\n")
r = reply()
if not r.startswith(b"235"):
    print("AUTH failed:", r)
    sys.exit(2)
time.sleep(0.2)

session, parent = memscan.session_processes(port, c.getsockname()[1])
found = False
for pid, role in ((session, "session process"), (parent, "privileged parent")):
    n, hits = memscan.scan(pid, needles)
    for name, addr, where in hits:
        found = True
        print("FOUND %s in the %s %s at %#x: %s" % (name, role, pid, addr, where))
    print("scanned %d bytes of the %s %s" % (n, role, pid))
c.sendall(b"QUIT\r\n")
sys.exit(1 if found else 0)
