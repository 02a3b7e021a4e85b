#!/usr/bin/env python3
"""tls-memscan.py PORT KEYFILE TICKETFILE: open an implicit-TLS session on 127.0.0.1:PORT
and, with it still open after the greeting, search the memory of the session's
privileged parent (/proc/PID/mem, as root) for the text of the PEM key file and for the
ticket key: it read both before the fork and must have wiped them.  Exits 1 if either
is found (printing where), 0 if not.  The session process is scanned too, for
information only: it must hold the key for the handshake, and GnuTLS leaves copies of
the PEM text it decoded in freed memory (doc/deploy.md, TLS: what a compromised session
process can learn)."""
import socket
import ssl
import sys

import memscan

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
session, parent = memscan.session_processes(port, c.getsockname()[1])
found = False
for pid, role, look, fatal in ((session, "session process", needles, False),
                               (parent, "privileged parent",
                                dict(needles, **{"ticket key": ticket}), True)):
    n, hits = memscan.scan(pid, look)
    for name, addr, where in hits:
        found |= fatal
        print("%s %s in the %s %s at %#x: %s" % (
            "FOUND" if fatal else "(as expected) found", name, role, pid, addr, where))
    print("scanned %d bytes of the %s %s" % (n, role, pid))
c.sendall(b"QUIT\r\n")
c.close()
sys.exit(1 if found else 0)
