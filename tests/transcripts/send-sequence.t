# SEND, SOML and SAML (RFC 821 4.1.1) start a transaction just as MAIL does: the same
# syntax, parameters, replies and 503s (RFC 5321 4.1.4), reset by RSET and EHLO.
# Nobody is logged in (--utmp /dev/null): SEND's RCPT gets 450 (RFC 821 3.4), SOML's
# and SAML's get 250 as MAIL's would.  --send any: the pipe is no loopback client.
#! --utmp /dev/null --send any
<220 smtp.tttest.com ESMTP
>SEND FROM:<alice@example.org>
<503 Send HELO or EHLO first
>EHLO client.example.org
#include ehlo-reply
>SEND
<501 5.1.7 Syntax: SEND FROM:<address>
>SAML FROM:<alice@example.org>x
<501 5.5.4 Syntax: SAML FROM:<address> [parameters]
>SOML FROM:<alice@example.org> SIZE=99999999999
<552 5.3.4 Message size exceeds fixed maximum message size
>SOML FROM:<alice@example.org> FOO=bar
<555 5.5.4 Unsupported MAIL parameter
>SEND FROM:<alice@example.org> SIZE=100 BODY=8BITMIME
<250 2.1.0 Ok
>SEND FROM:<alice@example.org>
<503 5.5.1 Nested SEND command
>MAIL FROM:<alice@example.org>
<503 5.5.1 Nested MAIL command
>SAML FROM:<alice@example.org>
<503 5.5.1 Nested SAML command
>DATA
<503 5.5.1 No valid recipients
>RCPT TO:<test@tttest.com>
<450 4.2.1 <test@tttest.com>: User not active now
>RCPT TO:<nosuchuser@tttest.com>
<550 5.1.1 <nosuchuser@tttest.com>: No such user here
>RCPT TO:<someone@example.com>
<550 5.7.1 <someone@example.com>: Relay access denied
>RSET
<250 2.0.0 Ok
>soml from:<>
<250 2.1.0 Ok
>RCPT TO:<test@tttest.com>
<250 2.1.5 Ok
# RFC 5321 4.1.4: EHLO resets the transaction.
>EHLO client.example.org
#include ehlo-reply
>RCPT TO:<test@tttest.com>
<503 5.5.1 Need MAIL before RCPT
>SAML FROM:<alice@example.org>
<250 2.1.0 Ok
>RCPT TO:<test@tttest.com>
<250 2.1.5 Ok
>DATA
<354 End data with <CR><LF>.<CR><LF>
>Subject: saml, nobody logged in
>
>to the mailbox only
>.
<~250 2\.0\.0 Ok: delivered as [0-9A-F]+\.[0-9A-F]+\.1
# After the message the next transaction may start with any of the four verbs.
>MAIL FROM:<alice@example.org>
<250 2.1.0 Ok
>RSET
<250 2.0.0 Ok
>QUIT
<221 2.0.0 smtp.tttest.com Bye
