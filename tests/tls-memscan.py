#!/usr/bin/env python3
"""tls-memscan.py PORT TICKETFILE KEYFILE...: open implicit-TLS sessions on
127.0.0.1:PORT, one with TLS 1.3 as the client likes it and one with TLS 1.2 ECDHE-RSA
(so both an ECDSA and an RSA signature are made), and, with each still open after the
greeting, search the memory of its session process and of its privileged parent
(/proc/PID/mem, as root) for the key material (issue 21):

- the secret numbers of each key (RSA: the private exponent, the primes, the CRT
  exponents and coefficient; ECDSA: the private scalar), as `openssl pkey -text` prints
  them, in big-endian bytes (DER, PEM, nettle's raw octets) and little-endian (GMP's
  and nettle's limbs), a slice of each;
- the text of each PEM key file;
- the ticket key file's 64 octets.

The session process must hold none of them: the parent holds the keys and signs, and
hands the session only a ticket key derived for the current period.  The parent must
not keep the ticket key file's octets either (it derives and wipes them); that it holds
the private keys is expected and printed.  Exits 1 if anything forbidden is found
(printing where), 0 if not."""
import re
import socket
import ssl
import subprocess
import sys

import memscan

port, ticketfile, keyfiles = int(sys.argv[1]), sys.argv[2], sys.argv[3:]


def secrets(keyfile):
    """{name: big-endian bytes} of the secret numbers of a PEM key."""
    text = subprocess.run(["openssl", "pkey", "-in", keyfile, "-text", "-noout"],
                          check=True, stdout=subprocess.PIPE).stdout.decode()
    out, name = {}, None
    for line in text.splitlines():
        m = re.match(r"^(\w+):\s*$", line)
        if m:
            name = m.group(1)
            out[name] = ""
        elif name and re.match(r"^\s+[0-9a-f:]+$", line):
            out[name] += line.strip()
        else:
            name = None
    keep = ("privateExponent", "prime1", "prime2", "exponent1", "exponent2",
            "coefficient", "priv")
    return {k: bytes.fromhex(v.replace(":", "")).lstrip(b"\0")
            for k, v in out.items() if k in keep and v}


needles = {}
for kf in keyfiles:
    for name, be in secrets(kf).items():
        # 16 octets from the 9th: inside the number, on a limb's edge in both orders
        needles["%s %s (big-endian)" % (kf, name)] = be[8:24]
        needles["%s %s (little-endian limbs)" % (kf, name)] = be[::-1][8:24]
    body = [ln for ln in open(kf).read().splitlines() if not ln.startswith("-----")]
    needles["%s PEM text" % kf] = body[1][8:40].encode()
if not any("priv" in k or "prime1" in k for k in needles):
    sys.exit("no secret numbers found in the key files")
ticket = {"ticket key file": open(ticketfile, "rb").read()}


def session(tls12_rsa):
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    if tls12_rsa:
        ctx.maximum_version = ssl.TLSVersion.TLSv1_2
        ctx.set_ciphers("ECDHE-RSA-AES256-GCM-SHA384:ECDHE-RSA-AES128-GCM-SHA256")
    raw = socket.create_connection(("127.0.0.1", port), 5)
    c = ctx.wrap_socket(raw)
    c.settimeout(10)
    if not c.recv(1024).startswith(b"220"):
        sys.exit(2)
    print("%s, %s" % (c.version(), c.cipher()[0]))
    return c


found = False
for tls12_rsa in (False, True):
    c = session(tls12_rsa)
    spid, ppid = memscan.session_processes(port, c.getsockname()[1])
    for pid, role, look, fatal in ((spid, "session process", dict(needles, **ticket), True),
                                   (ppid, "privileged parent", ticket, True),
                                   (ppid, "privileged parent", needles, False)):
        n, hits = memscan.scan(pid, look)
        for name, addr, where in hits:
            found |= fatal
            print("%s %s in the %s %s at %#x: %s" % (
                "FOUND" if fatal else "(as expected) found", name, role, pid, addr, where))
        print("scanned %d bytes of the %s %s" % (n, role, pid))
    c.sendall(b"QUIT\r\n")
    c.close()
sys.exit(1 if found else 0)
