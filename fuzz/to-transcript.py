#!/usr/bin/env python3
"""Turn a fuzzer input into the '>' half of a transcript test.

usage: to-transcript.py [--raw] INPUT > tests/transcripts/NAME.t

Byte 0 of a libFuzzer input is the configuration (fuzz/harness.c); it becomes the
'#!' options (--raw: an AFL++ input, no such byte).  The client bytes become '>'
lines, one per CRLF-ended line, with the escapes of tests/transcripts/README.md and a
final '\\c' for bytes after the last CRLF.  Add the server's '<' lines by hand (run
the input through the fixed program), then the test's @test line in
tests/transcripts.bats.
"""
import sys

OPTIONS = [(2, "--max-size 100"), (4, "--max-recipients 2"), (1, "--user test")]


def escape(chunk):
    out = []
    for b in chunk:
        c = chr(b)
        if c == "\\":
            out.append("\\\\")
        elif c in "\r\n\t\0":
            out.append({"\r": "\\r", "\n": "\\n", "\t": "\\t", "\0": "\\0"}[c])
        elif 32 <= b < 127:
            out.append(c)
        else:
            out.append("\\x%02x" % b)
    return "".join(out)


def main():
    args = sys.argv[1:]
    raw = "--raw" in args
    args = [a for a in args if a != "--raw"]
    if len(args) != 1:
        raise SystemExit(__doc__)
    data = open(args[0], "rb").read()
    print("# Found by the fuzzer (%s)." % args[0].rsplit("/", 1)[-1])
    if not raw and data:
        conf, data = data[0], data[1:]
        if conf & 8:
            print("# (configuration: priv_init fails; use a wrapper without the user)")
        opts = [o for bit, o in OPTIONS if conf & bit]
        if opts:
            print("#! " + " ".join(opts))
    lines = data.split(b"\r\n")
    for line in lines[:-1]:
        print("> " + escape(line))
    if lines[-1]:
        print("> " + escape(lines[-1]) + "\\c")


if __name__ == "__main__":
    main()
