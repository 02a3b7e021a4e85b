#!/usr/bin/env python3
"""Write an SMTP session (client side) and the message text a Maildir should then hold.

usage: mkmsg.py bytes SESSION EXPECTED          every byte value 1-255 (CR, LF only as CRLF)
       mkmsg.py big MEGABYTES SESSION EXPECTED  a large 8-bit message, some dot-stuffed lines

SESSION is what the client sends (EHLO ... DATA, the dot-stuffed message, ".", QUIT);
EXPECTED is the message as delivered: dots unstuffed, LF line ends.
"""
import random
import sys

HEAD = (b"EHLO client.example.org\r\nMAIL FROM:<alice@example.org> BODY=8BITMIME\r\n"
        b"RCPT TO:<test@tttest.com>\r\nDATA\r\n")


def write(lines, session_path, expected_path):
    with open(session_path, "wb") as s, open(expected_path, "wb") as e:
        s.write(HEAD)
        for line in lines:
            s.write((b"." + line if line.startswith(b".") else line) + b"\r\n")
            e.write(line + b"\n")
        s.write(b".\r\nQUIT\r\n")


def every_byte():
    values = bytes(b for b in range(1, 256) if b not in (10, 13))
    lines = [b"Subject: every byte", b""]
    lines += [values[i:i + 60] for i in range(0, len(values), 60)]
    lines += [b"." + values[:40], b"..", b"."]
    return lines


def big(megabytes):
    rnd = random.Random(5321)
    alphabet = bytes(b for b in range(32, 256) if b != 127)
    lines = [b"Subject: big", b""]
    size = 0
    while size < megabytes * 1024 * 1024:
        n = rnd.randrange(1, 990)
        line = bytes(rnd.choices(alphabet, k=n))
        if rnd.random() < 0.01:
            line = b"." + line
        lines.append(line)
        size += len(line) + 2
    return lines


def main():
    if sys.argv[1:2] == ["bytes"] and len(sys.argv) == 4:
        write(every_byte(), sys.argv[2], sys.argv[3])
    elif sys.argv[1:2] == ["big"] and len(sys.argv) == 5:
        write(big(int(sys.argv[2])), sys.argv[3], sys.argv[4])
    else:
        raise SystemExit(__doc__)


if __name__ == "__main__":
    main()
