#!/usr/bin/env python3
"""A small CHUNKING client (RFC 3030): smtplib has no BDAT, Postfix's smtp-source
neither, so this sends a message in BDAT chunks through smtplib's raw commands.

usage: bdat.py HOST PORT FROM TO FILE CHUNK   send FILE (CRLF line ends) over TCP in
                                              chunks of CHUNK octets, the last with LAST;
                                              prints the final reply, exit 0 on 250
       bdat.py --session FROM TO FILE CHUNK OUT
                                              write the whole client side of such a
                                              session to OUT instead (EHLO ... QUIT), for
                                              piping into smtp-session
"""
import smtplib
import sys


def chunks(data, size):
    """(chunk, last) pairs; an empty message is "BDAT 0 LAST"."""
    if not data:
        yield b"", True
    for i in range(0, len(data), size):
        yield data[i:i + size], i + size >= len(data)


def command(size, last):
    return b"BDAT %d%s\r\n" % (size, b" LAST" if last else b"")


def over_tcp(host, port, sender, rcpt, data, size):
    with smtplib.SMTP(host, port, local_hostname="bdat.example.org") as s:
        s.ehlo()
        if not s.has_extn("chunking"):
            raise SystemExit("CHUNKING not offered")
        code, msg = s.mail(sender)
        if code != 250:
            raise SystemExit("MAIL: %d %s" % (code, msg))
        code, msg = s.rcpt(rcpt)
        if code != 250:
            raise SystemExit("RCPT: %d %s" % (code, msg))
        for part, last in chunks(data, size):
            s.send(command(len(part), last) + part)
            code, msg = s.getreply()
            if code != 250:
                raise SystemExit("BDAT: %d %s" % (code, msg.decode()))
        print(code, msg.decode())


def session(sender, rcpt, data, size, out):
    with open(out, "wb") as f:
        f.write(b"EHLO bdat.example.org\r\nMAIL FROM:<%s>\r\nRCPT TO:<%s>\r\n"
                % (sender.encode(), rcpt.encode()))
        for part, last in chunks(data, size):
            f.write(command(len(part), last) + part)
        f.write(b"QUIT\r\n")


def main():
    a = sys.argv[1:]
    if len(a) == 6 and a[0] == "--session":
        session(a[1], a[2], open(a[3], "rb").read(), int(a[4]), a[5])
    elif len(a) == 6:
        over_tcp(a[0], int(a[1]), a[2], a[3], open(a[4], "rb").read(), int(a[5]))
    else:
        raise SystemExit(__doc__)


if __name__ == "__main__":
    main()
