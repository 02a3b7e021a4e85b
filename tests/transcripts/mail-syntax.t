# MAIL FROM syntax (RFC 5321 4.1.2): brackets required, a domain required except for
# the null path, nothing after the path but parameters; non-ASCII needs the SMTPUTF8
# parameter (RFC 6531 3.5: 550 5.6.7 at MAIL).
<220 smtp.tttest.com ESMTP
>EHLO client.example.org
#include ehlo-reply
>MAIL FROM:<j\xc3\xbcrgen@example.org>
<550 5.6.7 Non-ASCII address needs the SMTPUTF8 parameter on MAIL
>MAIL FROM:alice@example.org
<501 5.1.7 Syntax: MAIL FROM:<address>
>MAIL FROM:<alice>
<501 5.1.7 Syntax: MAIL FROM:<address>
>MAIL FROM:<alice@example.org>junk
<501 5.5.4 Syntax: MAIL FROM:<address> [parameters]
>MAIL TO:<alice@example.org>
<501 5.1.7 Syntax: MAIL FROM:<address>
>MAIL FROM:<@relay.example.org:>
<501 5.1.7 Syntax: MAIL FROM:<address>
>MAIL FROM:<"john doe \\"jd\\""@example.org>
<250 2.1.0 Ok
>RSET
<250 2.0.0 Ok
>MAIL FROM:<"a>b"@example.org>
<250 2.1.0 Ok
>RSET
<250 2.0.0 Ok
>MAIL FROM:<"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"@aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.example.org>
<501 5.1.7 Address too long (RFC 5321 4.5.3.1.3)
>QUIT
<221 2.0.0 smtp.tttest.com Bye
