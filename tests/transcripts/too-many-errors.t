# After 10 bad commands (500-504, 555) the server gives up: 421 and close.
<220 smtp.tttest.com ESMTP
>HELO client.example.org
>FOO 1
>FOO 2
>RCPT TO:<test@tttest.com>
>FOO 4
>VRFY
>FOO 6
>EXPN x
>FOO 8
>DATA
>FOO 10
>NOOP
<250 smtp.tttest.com
<500 Command unrecognized
<500 Command unrecognized
<503 Need MAIL before RCPT
<500 Command unrecognized
<501 Syntax: VRFY <address> [SMTPUTF8]
<500 Command unrecognized
<502 EXPN not implemented
<500 Command unrecognized
<503 Need MAIL and RCPT before DATA
<500 Command unrecognized
<421 smtp.tttest.com Too many errors, closing connection
