#!/usr/bin/env python3
"""A stand-in for systemd-journald's native socket, for tests.

usage: fake-journald.py SOCKET OUTPUT

Binds an AF_UNIX datagram socket at SOCKET (libsystemd's sd_journal_sendv() writes to
/run/systemd/journal/socket, so the tests run this inside a private mount namespace
with a tmpfs on /run) and appends every entry it receives to OUTPUT as one JSON object
per line.  It decodes the native protocol (systemd.io/JOURNAL_NATIVE_PROTOCOL): each
field is "NAME=value\\n", or "NAME\\n", a 64-bit little-endian length, the value and
"\\n".  Runs until SIGTERM, and then writes what is still queued in the socket: a
session's last lines may arrive just before the test stops it.
"""
import json
import os
import signal
import socket
import struct
import sys


def decode(data):
    fields = {}
    while data:
        nl = data.index(b"\n")
        line = data[:nl]
        if b"=" in line:
            name, value = line.split(b"=", 1)
            data = data[nl + 1:]
        else:
            name = line
            (size,) = struct.unpack("<Q", data[nl + 1:nl + 9])
            value = data[nl + 9:nl + 9 + size]
            data = data[nl + 9 + size + 1:]
        fields[name.decode()] = value.decode("utf-8", "replace")
    return fields


def main():
    path, out = sys.argv[1], sys.argv[2]
    s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    s.bind(path)
    os.chmod(path, 0o666)       # delivery children and single-user mode log as users
    def stop(signum, frame):
        raise KeyboardInterrupt
    signal.signal(signal.SIGTERM, stop)
    with open(out, "a", buffering=1) as f:
        try:
            while True:
                f.write(json.dumps(decode(s.recv(1 << 20))) + "\n")
        except KeyboardInterrupt:
            s.setblocking(False)
            try:
                while True:
                    f.write(json.dumps(decode(s.recv(1 << 20))) + "\n")
            except BlockingIOError:
                pass


main()
