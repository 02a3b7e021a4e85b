#!/usr/bin/env python3
"""tls-memscan.py PORT KEYFILE TICKETFILE: open an implicit-TLS session on 127.0.0.1:PORT
and, with it still open after the greeting, search the memory of the session's
privileged parent (/proc/PID/mem, as root) for the text of the PEM key file and for the
ticket key: it read both before the fork and must have wiped them.  Exits 1 if either
is found (printing where), 0 if not.  The session process is scanned too, for
information only: it must hold the key for the handshake, and GnuTLS leaves copies of
the PEM text it decoded in freed memory (README: what a compromised session process
can learn)."""
import os
import re
import socket
import ssl
import sys

port, keyfile, ticketfile = int(sys.argv[1]), sys.argv[2], sys.argv[3]
body = [ln for ln in open(keyfile).read().splitlines() if not ln.startswith("-----")]
pem = "".join(body).encode()
# two slices of the base64 text, each within one line of the file and inside the key
needles = {"key file text": body[1][8:40].encode(), "key file text (2)": pem[-60:-30]}
ticket = open(ticketfile, "rb").read()

ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
ctx.check_hostname = False
ctx.verify_mode = ssl.CERT_NONE
raw = socket.create_connection(("127.0.0.1", port), 5)
c = ctx.wrap_socket(raw)
c.settimeout(10)
if not c.recv(1024).startswith(b"220"):
    sys.exit(2)
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
for pid, role, look, fatal in ((pids[0], "session process", needles, False),
                               (ppid, "privileged parent",
                                dict(needles, **{"ticket key": ticket}), True)):
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
            for name, needle in look.items():
                i = data.find(needle)
                if i != -1:
                    found |= fatal
                    print("%s %s in the %s %s at %#x: %s" % (
                        "FOUND" if fatal else "(as expected) found", name, role, pid,
                        lo + i, line.strip()))
    print("scanned %d bytes of the %s %s" % (n, role, pid))
c.sendall(b"QUIT\r\n")
c.close()
sys.exit(1 if found else 0)
