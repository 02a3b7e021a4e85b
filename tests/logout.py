#!/usr/bin/env python3
"""A client that logs a user out in the middle of a session.

usage: logout.py UTMP VERB RCPT SERVER-COMMAND...

Runs the server, says HELO, VERB FROM:<alice@example.org> and RCPT TO:<RCPT>, then
empties the utmp file UTMP (everybody logs out), sends a message and QUIT.  Every reply
line is printed as it comes (CRLF stripped).
"""
import subprocess
import sys


def main():
    utmp, verb, rcpt = sys.argv[1:4]
    p = subprocess.Popen(sys.argv[4:], stdin=subprocess.PIPE, stdout=subprocess.PIPE)

    def answer():
        line = p.stdout.readline()
        print(line.decode("ascii", "replace").rstrip("\r\n"), flush=True)

    def say(text):
        p.stdin.write(text.encode() + b"\r\n")
        p.stdin.flush()
        answer()

    answer()
    say("HELO client.example.org")
    say("%s FROM:<alice@example.org>" % verb)
    say("RCPT TO:<%s>" % rcpt)
    open(utmp, "r+b").truncate(0)
    say("DATA")
    say("Subject: gone\r\n\r\nhello\r\n.")
    say("QUIT")
    p.stdin.close()
    sys.exit(p.wait())


if __name__ == "__main__":
    main()
