#!/usr/bin/env python3
"""A client that leaves in the middle: it sends a whole message, closes both of its
pipe ends before the server can answer, and reports how the server exited.

usage: epipe.py SERVER-WRAPPER       prints the server's exit status (-13 = SIGPIPE)
"""
import subprocess
import sys

p = subprocess.Popen([sys.argv[1]], stdin=subprocess.PIPE, stdout=subprocess.PIPE)
p.stdin.write(b"EHLO client.example.org\r\nMAIL FROM:<alice@example.org>\r\n"
              b"RCPT TO:<test@tttest.com>\r\nRCPT TO:<alice@tttest.com>\r\nDATA\r\n")
p.stdin.flush()
seen = b""
while b"354 " not in seen:
    chunk = p.stdout.read1(4096)
    if not chunk:
        sys.exit("the server ended before 354: %r" % seen)
    seen += chunk
p.stdout.close()        # from now on every reply the server writes meets EPIPE
p.stdin.write(b"Subject: gone\r\n\r\nThe client will not wait for the reply.\r\n.\r\n")
p.stdin.close()
print(p.wait(timeout=30))
