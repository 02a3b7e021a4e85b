#!/usr/bin/python3
"""mboxread.py: read an mbox file back with Python's mailbox module, for mbox.bats.

  mboxread.py count MBOX              the number of messages
  mboxread.py from MBOX N             message N's "From " line (without "From ")
  mboxread.py body MBOX N             message N's bytes, mboxrd-unquoted (one '>' taken
                                      off every line ^>+From ), without the From line
  mboxread.py gen S N                 SMTP lines of a session: N messages, each
                                      "Subject: S-M" and BODY_LINES lines naming it
  mboxread.py concurrent MBOX S... N  the messages of sessions S... (gen) are all
                                      there once each, every one whole and unmixed

Python's mailbox.mbox splits at "From " lines and does not unquote (it reads
mboxo and mboxrd alike), so the unquoting here is the mboxrd rule itself.
"""
import mailbox
import re
import sys

BODY_LINES = 20


def messages(path):
    box = mailbox.mbox(path, create=False)
    try:
        return [(m.get_from(), box.get_bytes(k, from_=False)) for k, m in box.items()]
    finally:
        box.close()


def unquote(data):
    return re.sub(rb"(?m)^>(>*From )", rb"\1", data)


def body(s, m):
    """The message text of gen's message m of session s (LF line ends)."""
    lines = [f"Subject: {s}-{m}", ""]
    for k in range(BODY_LINES):
        lines.append(f"{s}-{m} line {k}")
        if k == 7:
            lines.append(f"From {s}-{m}, a line to be quoted")
            lines.append(f">From {s}-{m}, quoted already")
    return ("\n".join(lines) + "\n").encode()


def gen(s, n):
    out = ["EHLO client.example.org"]
    for m in range(n):
        out += [f"MAIL FROM:<{s}@example.org>", "RCPT TO:<bob@tttest.com>", "DATA"]
        out += body(s, m).decode().rstrip("\n").split("\n") + ["."]
    out.append("QUIT")
    sys.stdout.write("".join(line + "\r\n" for line in out))


def concurrent(path, sessions, n):
    seen = {}
    for frm, data in messages(path):
        text = unquote(data)
        subj = re.search(rb"^Subject: (\S+)-(\d+)$", text, re.M)
        if not subj:
            sys.exit(f"a message without our subject: {text[:200]!r}")
        s, m = subj.group(1).decode(), int(subj.group(2))
        key = (s, m)
        if key in seen:
            sys.exit(f"{key} twice")
        seen[key] = True
        if not frm.startswith(f"{s}@example.org "):
            sys.exit(f"{key}: From line {frm!r}")
        # Our trace headers (Return-Path, Delivered-To, Received: 5 lines), then
        # exactly the message, then the empty line (not part of the message).
        rest = text.split(b"\n", 5)[5]
        if rest != body(s, m):
            sys.exit(f"{key}: the message is not whole: {rest!r}")
    want = {(s, m) for s in sessions for m in range(n)}
    if set(seen) != want:
        sys.exit(f"missing: {sorted(want - set(seen))[:10]}, extra: {sorted(set(seen) - want)[:10]}")
    print(len(seen))


def main():
    cmd = sys.argv[1]
    if cmd == "count":
        print(len(messages(sys.argv[2])))
    elif cmd == "from":
        print(messages(sys.argv[2])[int(sys.argv[3])][0])
    elif cmd == "body":
        sys.stdout.buffer.write(unquote(messages(sys.argv[2])[int(sys.argv[3])][1]))
    elif cmd == "gen":
        gen(sys.argv[2], int(sys.argv[3]))
    elif cmd == "concurrent":
        concurrent(sys.argv[2], sys.argv[3:-1], int(sys.argv[-1]))
    else:
        sys.exit(f"unknown command {cmd}")


if __name__ == "__main__":
    main()
