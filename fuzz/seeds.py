#!/usr/bin/env python3
"""Seed corpus for the fuzzers from the transcript tests.

usage: seeds.py [--raw] OUTDIR [TRANSCRIPT...]   (default: tests/transcripts/*.t)

Each transcript becomes one input: the bytes of its '>' lines (escapes decoded, CRLF
added as transcript.py does), all in one go.  For libFuzzer (fuzz/harness.c) the input
starts with the configuration byte that matches the transcript's '#!' options, and
each comes twice: as is, and read one byte per read() ("NAME.bytewise"); --raw leaves
the byte out, for AFL++ and the real binary on stdin.
"""
import glob
import os
import shlex
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests"))
from transcript import parse  # noqa: E402  (the one parser of the notation)


def config_byte(args):
    """The harness's byte 0 for these server arguments (see fuzz/harness.c)."""
    conf = 0
    if "--max-size" in args:
        conf |= 2
    if "--max-recipients" in args or "--max-messages" in args:
        conf |= 4
    if "--user" in args:
        conf |= 1
    if "--require-auth" in args:
        conf |= 0x30
    if "--no-send" in args:
        conf |= 0x50
    return conf


def main():
    argv = sys.argv[1:]
    raw = "--raw" in argv
    argv = [a for a in argv if a != "--raw"]
    if not argv:
        raise SystemExit(__doc__)
    out, files = argv[0], argv[1:]
    top = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
    files = files or sorted(glob.glob(os.path.join(top, "tests", "transcripts", "*.t")))
    os.makedirs(out, exist_ok=True)
    for path in files:
        args, steps, _ = parse(path)
        data = b"".join(what for _, kind, what in steps if kind == "send")
        if not raw:
            data = bytes([config_byte(args)]) + data
        name = os.path.splitext(os.path.basename(path))[0]
        with open(os.path.join(out, name), "wb") as f:
            f.write(data)
        if not raw:     # the same again, one byte per read() (bits 4-7 of byte 0)
            with open(os.path.join(out, name + ".bytewise"), "wb") as f:
                f.write(bytes([data[0] | 0x80]) + data[1:])
    print("%d seeds in %s" % (len(files) * (1 if raw else 2), out))


if __name__ == "__main__":
    main()
