# --max-errors (here 10; default 20): every refused command counts, as Postfix's
# smtpd_hard_error_limit: 500-504 and 555, but also refused recipients (550 5.1.1,
# 550 5.7.1, and SEND's 450 for a user not logged in) and 4xx replies.  After the
# tenth the server gives up: 421 4.7.0, close.  421 itself is not counted; 334 and
# 354 are no refusals.
#! --max-errors 10 --send any --utmp /dev/null
<220 smtp.tttest.com ESMTP
>EHLO client.example.org
#include ehlo-reply
>FOO 1
>RCPT TO:<test@tttest.com>
>MAIL FROM:<alice@example.org>
>RCPT TO:<nosuchuser1@tttest.com>
>RCPT TO:<test@example.org>
>RCPT TO:<test@tttest.com>
>RCPT TO:<nosuchuser2@tttest.com>
>RCPT TO:<bob@tttest.com> X-FOO=NEVER
>VRFY
>EXPN x
>RSET
>SEND FROM:<alice@example.org>
>RCPT TO:<test@tttest.com>
>RCPT TO:<bob@tttest.com>
>NOOP
<500 5.5.1 Command unrecognized
<503 5.5.1 Need MAIL before RCPT
<250 2.1.0 Ok
<550 5.1.1 <nosuchuser1@tttest.com>: No such user here
<550 5.7.1 <test@example.org>: Relay access denied
<250 2.1.5 Ok
<550 5.1.1 <nosuchuser2@tttest.com>: No such user here
<555 5.5.4 Unsupported RCPT parameter
<501 5.5.4 Syntax: VRFY <address> [SMTPUTF8]
<502 5.5.1 EXPN not implemented
<250 2.0.0 Ok
<250 2.1.0 Ok
<450 4.2.1 <test@tttest.com>: User not active now
<450 4.2.1 <bob@tttest.com>: User not active now
<421 4.7.0 smtp.tttest.com Too many errors, closing connection
