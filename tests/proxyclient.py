#!/usr/bin/env python3
"""A client that speaks as a proxy would: a PROXY header (HAProxy's proxy-protocol.txt),
then SMTP lines, all in one write, and prints every byte the server sends until it
closes the connection.

usage: proxyclient.py [HOST:]PORT HEADER [LINE...]   (HOST defaults to 127.0.0.1)

HEADER is one of:
  v1:TEXT             the version 1 line TEXT, CRLF added ("v1:PROXY TCP4 ...")
  v2/CMD/FAM/SRC/DST[/TLVBYTES]
                      version 2; CMD local|proxy, FAM tcp4|tcp6|udp4|unspec|unix; SRC and
                      DST addr,port; TLVBYTES that many bytes of TLVs after them
  v2len:N             a version 2 PROXY TCP4 header that says N bytes follow, and
                      sends them all
  raw:HEX             exactly these bytes, then the client stops sending (shutdown)
  cut:N:HEADER        only the first N bytes of HEADER, then the client waits
  none                no header at all
"""
import ipaddress
import socket
import struct
import sys

SIG = b"\r\n\r\n\x00\r\nQUIT\n"


def v2(cmd, fam, src, dst, tlv=0):
    command = {"local": 0x20, "proxy": 0x21}[cmd]
    family = {"tcp4": 0x11, "tcp6": 0x21, "udp4": 0x12, "unspec": 0x00, "unix": 0x31}[fam]
    if fam in ("tcp4", "tcp6", "udp4"):
        (sa, sp), (da, dp) = (x.rsplit(",", 1) for x in (src, dst))
        body = (ipaddress.ip_address(sa).packed + ipaddress.ip_address(da).packed +
                struct.pack("!HH", int(sp), int(dp)))
    elif fam == "unix":
        body = b"\0" * 216
    else:
        body = b""
    # TLVs: PP2_TYPE_NOOP (0x04) records, each 3 bytes of header and its value.
    tlvs = b""
    while len(tlvs) < tlv:
        n = min(tlv - len(tlvs) - 3, 200)
        tlvs += struct.pack("!BH", 0x04, max(n, 0)) + b"x" * max(n, 0)
    body += tlvs[:tlv]
    return SIG + bytes([command, family]) + struct.pack("!H", len(body)) + body


def header(spec):
    if spec.startswith("v2/"):
        parts = spec[3:].split("/")
        return v2(parts[0], parts[1], parts[2], parts[3], int(parts[4]) if len(parts) > 4 else 0)
    kind, _, rest = spec.partition(":")
    if kind == "v1":
        return rest.encode() + b"\r\n"
    if kind == "v2len":
        n = int(rest)
        body = ipaddress.ip_address("192.0.2.1").packed * 2 + b"\0\1\0\2"
        body += b"\0" * (n - len(body))
        return SIG + b"\x21\x11" + struct.pack("!H", n) + body
    if kind == "raw":
        return bytes.fromhex(rest)
    if kind == "none":
        return b""
    raise SystemExit("proxyclient.py: unknown header " + spec)


def main():
    host, _, port = sys.argv[1].rpartition(":")
    host, port, spec, lines = host or "127.0.0.1", int(port), sys.argv[2], sys.argv[3:]
    cut = None
    if spec.startswith("cut:"):
        _, n, spec = spec.split(":", 2)
        cut = int(n)
    data = header(spec)
    if cut is not None:
        data, lines = data[:cut], []
    if not spec.startswith("raw:"):
        data += b"".join(line.encode() + b"\r\n" for line in lines)
    s = socket.create_connection((host, port), timeout=30)
    s.sendall(data)
    if spec.startswith("raw:"):
        s.shutdown(socket.SHUT_WR)
    out = b""
    while True:
        try:
            b = s.recv(65536)
        except ConnectionResetError:	# closed with our bytes unread: the same end
            break
        if not b:
            break
        out += b
    sys.stdout.write(out.decode(errors="replace").replace("\r\n", "\n"))


main()
