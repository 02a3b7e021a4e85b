#!/usr/bin/env python3
"""dsnserver.py SOCKET LOG [--no-dsn]: a minimal SMTP server on a Unix socket, for
--relay-socket (helper/relayclient.c): it offers DSN (RFC 3461) unless --no-dsn,
takes every message, and appends each command line it is sent to LOG; each message
goes into LOG.N.msg (N from 1, its line ends LF, dots unstuffed).  It serves
one connection after another until it is killed."""
import os
import socket
import sys

path, log = sys.argv[1], sys.argv[2]
dsn = "--no-dsn" not in sys.argv[3:]
if os.path.exists(path):
    os.unlink(path)
srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
srv.bind(path)
os.chmod(path, 0o666)	# the relay child runs as --relay-user
srv.listen(4)
count = 0


def serve(conn):
    f = conn.makefile("rwb")
    f.write(b"220 sink ESMTP\r\n")
    f.flush()
    for line in f:
        cmd = line.rstrip(b"\r\n")
        with open(log, "ab") as out:
            out.write(cmd + b"\n")
        verb = cmd[:4].upper()
        if verb == b"EHLO":
            f.write(b"250-sink\r\n250-8BITMIME\r\n" + (b"250-DSN\r\n" if dsn else b"") +
                    b"250 PIPELINING\r\n")
        elif verb == b"DATA":
            f.write(b"354 go on\r\n")
            f.flush()
            global count
            count += 1
            with open("%s.%d.msg" % (log, count), "wb") as out:
                for body in f:
                    if body == b".\r\n":
                        break
                    body = body[1:] if body.startswith(b".") else body
                    out.write(body.replace(b"\r\n", b"\n"))
            f.write(b"250 2.0.0 Ok: queued as SINK1\r\n")
        elif verb == b"QUIT":
            f.write(b"221 bye\r\n")
            f.flush()
            return
        else:
            f.write(b"250 ok\r\n")
        f.flush()


while True:
    conn, _ = srv.accept()
    try:
        serve(conn)
    except OSError:	# the client may go after QUIT without the reply
        pass
    conn.close()
