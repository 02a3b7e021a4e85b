# RCPT TO: local users, postmaster (RFC 5321 4.5.1), unknown users (550 5.1.1), no
# relaying (550 5.7.1, also through % and !), quoting, source routes, bad syntax.
#! --postmaster alice
<220 smtp.tttest.com ESMTP
>EHLO client.example.org
#include ehlo-reply
>MAIL FROM:<alice@example.org>
<250 2.1.0 Ok
>RCPT TO:<test@tttest.com>
<250 2.1.5 Ok
>RCPT TO:<nosuchuser@tttest.com>
<550 5.1.1 <nosuchuser@tttest.com>: No such user here
>RCPT TO:<test@example.org>
<550 5.7.1 <test@example.org>: Relay access denied
>RCPT TO:<test%example.org@tttest.com>
<550 5.7.1 <test%example.org@tttest.com>: Relay access denied
>RCPT TO:<example.org!test@tttest.com>
<550 5.7.1 <example.org!test@tttest.com>: Relay access denied
>RCPT TO:<"test@example.org"@tttest.com>
<550 5.7.1 <"test@example.org"@tttest.com>: Relay access denied
>RCPT TO:<test@[127.0.0.1]>
<550 5.7.1 <test@[127.0.0.1]>: Relay access denied
>RCPT TO:<Postmaster>
<250 2.1.5 Ok
>RCPT TO:<postmaster@TTTEST.COM>
<250 2.1.5 Ok
>RCPT TO:<"john.doe"@tttest.com>
<250 2.1.5 Ok
>RCPT TO:<"no.such"@tttest.com>
<550 5.1.1 <"no.such"@tttest.com>: No such user here
>RCPT TO:<alice@LocalHost>
<250 2.1.5 Ok
>RCPT TO:<@relay.example.org,@other.example.org:bob@tttest.com>
<250 2.1.5 Ok
>RCPT TO:<>
<501 5.1.3 Syntax: RCPT TO:<address>
>RCPT TO:<bob>
<501 5.1.3 Syntax: RCPT TO:<address>
>RCPT TO:bob@tttest.com
<501 5.1.3 Syntax: RCPT TO:<address>
>RCPT TO:<bob@tttest..com>
<501 5.1.3 Syntax: RCPT TO:<address>
>RCPT TO:<bob.@tttest.com>
<501 5.1.3 Syntax: RCPT TO:<address>
>RCPT TO:<bob@tttest.com> X-FOO=NEVER
<555 5.5.4 Unsupported RCPT parameter
>RCPT TO:<b\xc3\xb6b@tttest.com>
<553 5.6.7 Non-ASCII address needs the SMTPUTF8 parameter on MAIL
>QUIT
<221 2.0.0 smtp.tttest.com Bye
