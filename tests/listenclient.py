#!/usr/bin/env python3
"""Clients of smtp-session --listen (tests/listen.bats).

usage: listenclient.py hold PORT N
           N connections from 127.0.0.1 opened one after the other and held open at
           once; prints each one's first line ("i: LINE"), or "i: EOF"; then on each
           that was greeted with 220, EHLO and QUIT: "i: done" when 221 came
       listenclient.py flood PORT N
           N connections opened and closed at once, as fast as they go; prints how
           many were made and how many were refused by the kernel
       listenclient.py term PORT PID
           a session that is in a transaction (after MAIL FROM) when the listener PID
           gets SIGTERM; then a new connection (prints "new: refused" when the socket
           is closed), then the rest of the transaction and QUIT, each reply printed
       listenclient.py stdin-listener PORT PROGRAM ARGS...
           bind 127.0.0.1:PORT, listen, and exec PROGRAM with the listening socket on
           fd 0 (inetd "wait" style)
A PORT that starts with "/" is the path of a Unix socket instead (hold and
stdin-listener).
"""
import os
import signal
import socket
import sys
import time


def connect(port):
    if isinstance(port, str):
        s = socket.socket(socket.AF_UNIX)
        s.settimeout(10)
        s.connect(port)
    else:
        s = socket.create_connection(("127.0.0.1", port), timeout=10)
    return s, s.makefile("rb")


def reply(f):
    """One whole reply (its lines), or b"EOF"."""
    lines = []
    while True:
        line = f.readline()
        if not line:
            return b"EOF" if not lines else b"".join(lines)
        lines.append(line)
        if len(line) < 4 or line[3:4] != b"-":
            return b"".join(lines)


def show(tag, r):
    print("%s: %s" % (tag, r.decode(errors="replace").strip().replace("\r\n", " | ")))
    sys.stdout.flush()


def hold(port, n):
    conns = []
    for i in range(n):
        s, f = connect(port)
        conns.append((s, f))
        show(i, reply(f))
        # The listener counts a session until it is reaped: held open, they all count.
    for i, (s, f) in enumerate(conns):
        try:
            s.sendall(b"EHLO client.example.org\r\n")
            reply(f)
            s.sendall(b"QUIT\r\n")
            if reply(f).startswith(b"221"):
                print("%d: done" % i)
        except OSError as e:
            print("%d: %s" % (i, e.__class__.__name__))
        s.close()


def flood(port, n):
    made = refused = 0
    for _ in range(n):
        try:
            s = socket.create_connection(("127.0.0.1", port), timeout=10)
            s.close()
            made += 1
        except ConnectionRefusedError:
            refused += 1
    print("made %d refused %d" % (made, refused))


def term(port, pid):
    s, f = connect(port)
    show("greeting", reply(f))
    for cmd in (b"EHLO client.example.org", b"MAIL FROM:<alice@example.org>"):
        s.sendall(cmd + b"\r\n")
        show(cmd.split()[0].decode(), reply(f))
    os.kill(pid, signal.SIGTERM)
    time.sleep(0.5)
    try:
        n, nf = connect(port)
        show("new", reply(nf))
    except ConnectionRefusedError:
        print("new: refused")
    for cmd in (b"RCPT TO:<test@tttest.com>", b"DATA",
                b"Subject: stopping\r\n\r\nsent while the listener stops\r\n.", b"QUIT"):
        s.sendall(cmd + b"\r\n")
        show(cmd.split()[0].decode().rstrip(":"), reply(f))


def stdin_listener(port, argv):
    if isinstance(port, str):
        s = socket.socket(socket.AF_UNIX)
        s.bind(port)
    else:
        s = socket.socket()
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind(("127.0.0.1", port))
    s.listen(64)
    os.dup2(s.fileno(), 0)
    s.close()
    os.execv(argv[0], argv)


def main():
    mode, port = sys.argv[1], sys.argv[2]
    port = port if port.startswith("/") else int(port)
    if mode == "hold":
        hold(port, int(sys.argv[3]))
    elif mode == "flood":
        flood(port, int(sys.argv[3]))
    elif mode == "term":
        term(port, int(sys.argv[3]))
    elif mode == "stdin-listener":
        stdin_listener(port, sys.argv[3:])
    else:
        sys.exit(__doc__)


main()
