#!/usr/bin/env python3
"""Many messages at once through several listeners into the same Maildirs, as several
hosts sharing them would deliver (tests/multihost.bats).

usage: multihost.py [--first N] COUNT RCPT PORT...

Sends COUNT messages to RCPT, one per SMTP session, spread over the ports and over 8
client threads; message n (from N, default 0) has the subject "multihost n".  Prints the number of
sessions whose message got 250 and exits 1 if any did not.
"""
import smtplib
import sys
import threading


def worker(ports, rcpt, numbers, failures):
    for n in numbers:
        port = ports[n % len(ports)]
        msg = "Subject: multihost %d\r\n\r\nmessage %d\r\n" % (n, n)
        try:
            with smtplib.SMTP("127.0.0.1", port, timeout=60,
                              local_hostname="multihost.example.org") as s:
                s.sendmail("sender@example.org", [rcpt], msg)
        except (smtplib.SMTPException, OSError) as e:
            failures.append("%d: %s" % (n, e))


def main():
    args, first = sys.argv[1:], 0
    if args[0] == "--first":
        first, args = int(args[1]), args[2:]
    count, rcpt, ports = int(args[0]), args[1], [int(p) for p in args[2:]]
    failures = []
    threads = [threading.Thread(target=worker,
                                args=(ports, rcpt, range(first + i, first + count, 8),
                                      failures))
               for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    print(count - len(failures))
    for f in failures[:10]:
        print(f, file=sys.stderr)
    sys.exit(1 if failures else 0)


main()
