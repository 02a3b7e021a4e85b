#!/usr/bin/env python3
"""parent-seeds.py OUTDIR: seed inputs for fuzz/parent-fuzz (parent-harness.c): byte 0
the descriptor choice, then frames as a session process sends them, well-formed and
in the orders privsep.h allows.  The frame types are read from privsep.h."""
import os
import re
import struct
import sys

TOP = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
body = re.search(r"enum ps_type \{(.*?)\};", open(os.path.join(TOP, "privsep.h")).read(), re.S)
T = {n: i + 1 for i, n in enumerate(re.findall(r"\b(PS_[A-Z_]+)\b", body.group(1)))}


def frame(t, payload=b""):
    return struct.pack("=IHH", len(payload), T[t], 0) + payload


def s(b):
    b = b.encode() if isinstance(b, str) else b
    return struct.pack("=I", len(b)) + b


def u32(v):
    return struct.pack("=I", v)


def u64(v):
    return struct.pack("=Q", v)


# The DSN fields (RFC 3461) of PS_MAIL (u32 RET, str ENVID) and of PS_RCPT and
# PS_ACCEPT (u32 NOTIFY, str ORCPT): none given.
DSN_MAIL = u32(0) + s("")
DSN_RCPT = u32(0) + s("")

MAIL = frame("PS_MAIL", s("a@example.org") + DSN_MAIL)
MSG = 20  # the harness's message: "Subject: fuzz\n\nbody\n"
head = "Return-Path: <a@b>\nDelivered-To: bob@tttest.com\n"
seeds = {
    "deliver": b"\1" + MAIL + frame("PS_LOOKUP", s("bob") + s("tttest.com")) + frame("PS_RCPT", s("bob") + s(head) + DSN_RCPT) +
    frame("PS_DELIVER", u64(MSG) + u32(1) + s("ID") + s("")),
    "deliver2": b"\1" + MAIL + frame("PS_LOOKUP", s("bob") + s("tttest.com")) + frame("PS_LOOKUP", s("Postmaster") + s("tttest.com")) +
    frame("PS_RCPT", s("bob") + s(head) + DSN_RCPT) + frame("PS_RCPT", s("root") + s(head) + DSN_RCPT) +
    frame("PS_DELIVER", u64(MSG) + u32(2) + s("ID") + s("")),
    "auth": b"\0" + frame("PS_AUTH", s("alice") + s("wrong") + s("127.0.0.1")) +
    frame("PS_AUTH", s("alice") + s("secret") + s("")),
    # A user name the session must have refused (utf8_user_name_ok()): fatal.
    "auth-badname": b"\0" + frame("PS_AUTH", s("alice\n\x1b[2J") + s("secret") + s("")),
    "tty": b"\0" + MAIL + frame("PS_LOOKUP", s("test") + s("tttest.com")) + frame("PS_RCPT", s("test") + s("") + DSN_RCPT) +
    frame("PS_TTY_CHECK") + frame("PS_RCPT", s("test") + s("") + DSN_RCPT) +
    frame("PS_TTY_WRITE", s("\r\nMessage from <>\r\nEOF\r\n")),
    # The same terminal check for a remote client that did not authenticate (conf
    # bit 2): --send auth makes it fatal.
    "tty-remote": b"\4" + MAIL + frame("PS_LOOKUP", s("test") + s("tttest.com")) + frame("PS_RCPT", s("test") + s("") + DSN_RCPT) +
    frame("PS_TTY_CHECK"),
    "log": b"\0" + frame("PS_LOG", u32(6) + u32(2) + u32(1) + s("127.0.0.1") + u32(2) +
                         s("helo") + s("connect from 127.0.0.1")),
    "check": b"\1" + MAIL + frame("PS_LOOKUP", s("bob") + s("tttest.com")) + frame("PS_LOOKUP", s("test") + s("tttest.com")) +
    frame("PS_CHECK", s("bob") + u64(0)) + frame("PS_CHECK", s("test") + u64(MSG)) +
    frame("PS_RCPT", s("test") + s(head) + DSN_RCPT) + frame("PS_DELIVER", u64(MSG) + u32(1) + s("ID") + s("")),
    "begin": b"\1" + MAIL + frame("PS_LOOKUP", s("bob") + s("tttest.com")) + frame("PS_CHECK", s("bob") + u64(0)) +
    frame("PS_RCPT", s("bob") + s(head) + DSN_RCPT) + frame("PS_BEGIN", u32(1)) +
    frame("PS_MORE", u64(10)) + frame("PS_DELIVER", u64(MSG) + u32(1) + s("ID") + s("")) +
    frame("PS_RCPT", s("bob") + s(head) + DSN_RCPT) + frame("PS_BEGIN", u32(2)) + frame("PS_DISCARD"),
    # Authenticated relaying and a forwarding alias: PS_ACCEPT, then the hand-off
    # between the mailboxes' prepare and commit.
    "relay": b"\1" + frame("PS_AUTH", s("alice") + s("secret") + s("")) +
    frame("PS_MAIL", s("alice@tttest.com") + DSN_MAIL) + frame("PS_LOOKUP", s("x") + s("remote.example")) +
    frame("PS_ACCEPT", DSN_RCPT) + frame("PS_LOOKUP", s("bob") + s("tttest.com")) +
    frame("PS_RCPT", s("bob") + s(head) + DSN_RCPT) +
    frame("PS_DELIVER", u64(MSG) + u32(1) + s("ID") + s("Received: from h\n")),
    # DSN (RFC 3461): RET, ENVID, NOTIFY=SUCCESS and ORCPT on a relayed and a local
    # recipient: the success report after the delivery (report.c).
    "dsn": b"\1" + frame("PS_AUTH", s("alice") + s("secret") + s("")) +
    frame("PS_MAIL", s("alice@tttest.com") + u32(2) + s("QQ314159")) +
    frame("PS_LOOKUP", s("x") + s("remote.example")) + frame("PS_ACCEPT", u32(1) + s("rfc822;x@remote.example")) +
    frame("PS_LOOKUP", s("bob") + s("tttest.com")) +
    frame("PS_RCPT", s("bob") + s(head) + u32(3) + s("rfc822;bob@tttest.com")) +
    frame("PS_DELIVER", u64(MSG) + u32(1) + s("ID") + s("Received: from h\n")),
    "relay-denied": b"\0" + MAIL + frame("PS_LOOKUP", s("x") + s("remote.example")) +
    frame("PS_ACCEPT", DSN_RCPT),
    "sender-mismatch": b"\0" + frame("PS_AUTH", s("alice") + s("secret") + s("")) +
    frame("PS_MAIL", s("bob@tttest.com") + DSN_MAIL) + frame("PS_MAIL", s("") + DSN_MAIL),
    "lookups": b"\0" + MAIL + b"".join(frame("PS_LOOKUP", s(n) + s("tttest.com")) for n in
                                ("alice", "nobody", "tempfail", "POSTMASTER")),
    # Found by the campaign of issue 21 (2 million executions): more than 64 lookups,
    # then a user with a .forward.  parent-fake.c kept every name a lookup returned,
    # repeats too, in a table of 64, so "test" found it full and its .forward read
    # aborted as "a recipient no lookup returned": the double's mistake, not the
    # parent's; it keeps each name once now.
    "many-lookups": b"\0" + MAIL + frame("PS_LOOKUP", s("bob") + s("tttest.com")) * 70 +
    frame("PS_LOOKUP", s("test") + s("tttest.com")),
}
os.makedirs(sys.argv[1], exist_ok=True)
for name, data in seeds.items():
    with open(os.path.join(sys.argv[1], "parent-" + name), "wb") as f:
        f.write(data)
