#!/usr/bin/env python3
"""dsnclient.py PORT [--lmtp] FROM 'MAIL-OPTIONS' 'RCPT [OPTION...]'...: one message
(stdin) through smtplib with the DSN parameters of RFC 3461 as mail and rcpt options
(smtplib's mail_options and rcpt_options); each reply printed as "CODE TEXT".  With
--lmtp, smtplib.LMTP (RFC 2033), and one line per recipient after the data."""
import smtplib
import sys

args = sys.argv[1:]
port = int(args.pop(0))
lmtp = args[0] == "--lmtp"
if lmtp:
    args.pop(0)
sender, mail_opts, rcpts = args[0], args[1].split(), args[2:]
msg = sys.stdin.read()	# a str: smtplib makes its line ends CRLF
c = smtplib.LMTP("127.0.0.1", port) if lmtp else smtplib.SMTP("127.0.0.1", port)
c.ehlo("client.example.org")
print("dsn offered" if c.has_extn("dsn") else "no dsn")
code, text = c.mail(sender, mail_opts)
print(code, text.decode())
accepted = 0
for r in rcpts:
    addr, *opts = r.split()
    code, text = c.rcpt(addr, opts)
    print(code, text.decode())
    accepted += code < 300
if lmtp:
    # RFC 2033 4.2: DATA is answered once per accepted recipient.
    code, text = c.putcmd("data") or c.getreply()
    print(code, text.decode())
    c.send(smtplib.quotedata(msg).encode() + b"\r\n.\r\n")
    for _ in range(accepted):
        code, text = c.getreply()
        print(code, text.decode())
else:
    code, text = c.data(msg)
    print(code, text.decode())
c.quit()
