#!/usr/bin/env python3
"""privsep-memscan.py PORT USER PASSWORD: log in with AUTH PLAIN over 127.0.0.1:PORT,
the AUTH line split across two TCP writes (so it arrives in two reads) and pipelined
behind 30 NOOPs (so the reader moves its first half down in the buffer), and after 235,
with the session still open, search the memory of both processes of the session (the
session process holding the connection and its privileged parent, /proc/PID/mem, as
root) for the password, its base64 form and the decoded PLAIN message.  Exits 1 if
any is found (printing where), 0 if none is."""
import base64
import os
import re
import socket
import sys
import time

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

cport = c.getsockname()[1]
inode = None
for line in open("/proc/net/tcp").readlines()[1:]:
    fl = line.split()
    if int(fl[1].split(":")[1], 16) == port and int(fl[2].split(":")[1], 16) == cport:
        inode = fl[9]
pids = []
for pid in filter(str.isdigit, os.listdir("/proc")):
    try:
        if any(os.readlink("/proc/%s/fd/%s" % (pid, fd)) == "socket:[%s]" % inode
               for fd in os.listdir("/proc/%s/fd" % pid)):
            pids.append(pid)
    except OSError:
        pass
if len(pids) != 1:
    print("expected one session process, found", pids)
    sys.exit(2)
ppid = open("/proc/%s/status" % pids[0]).read().split("PPid:")[1].split()[0]
found = False
for pid, role in ((pids[0], "session process"), (ppid, "privileged parent")):
    n = 0
    with open("/proc/%s/maps" % pid) as maps, open("/proc/%s/mem" % pid, "rb", 0) as mem:
        for line in maps:
            m = re.match(r"([0-9a-f]+)-([0-9a-f]+) (\S+)", line)
            lo, hi, perm = int(m.group(1), 16), int(m.group(2), 16), m.group(3)
            if perm[0] != "r" or hi - lo > 1 << 30 or "[vvar]" in line or "[vsyscall]" in line:
                continue
            try:
                mem.seek(lo)
                data = mem.read(hi - lo)
            except OSError:
                continue
            n += len(data)
            for name, needle in needles.items():
                i = data.find(needle)
                if i != -1:
                    found = True
                    print("FOUND %s in the %s %s at %#x: %s" % (name, role, pid, lo + i,
                                                                line.strip()))
    print("scanned %d bytes of the %s %s" % (n, role, pid))
c.sendall(b"QUIT\r\n")
sys.exit(1 if found else 0)
