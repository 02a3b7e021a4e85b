# MAIL FROM: null sender, SIZE (RFC 1870), BODY (RFC 6152), unknown parameters (555),
# syntax errors (501), non-ASCII without SMTPUTF8 (553).
#! --max-size 1000
<220 smtp.tttest.com ESMTP
>EHLO client.example.org
<250-smtp.tttest.com
<250-SEND
<250-SOML
<250-SAML
<250-PIPELINING
<250-SIZE 1000
<250-8BITMIME
<250-SMTPUTF8
<250-CHUNKING
<250-DSN
<250-LIMITS RCPTMAX=100 MAILMAX=100
<250 ENHANCEDSTATUSCODES
>MAIL FROM:<>
<250 2.1.0 Ok
>RSET
<250 2.0.0 Ok
>MAIL FROM:<alice@example.org> SIZE=1000 BODY=8BITMIME
<250 2.1.0 Ok
>RSET
<250 2.0.0 Ok
>MAIL FROM:<alice@example.org> body=7bit size=10
<250 2.1.0 Ok
>RSET
<250 2.0.0 Ok
>MAIL FROM:<alice@example.org> SIZE=1001
<552 5.3.4 Message size exceeds fixed maximum message size
>MAIL FROM:<alice@example.org> SIZE=99999999999999999999999
<501 5.5.4 Syntax: SIZE=<octets>
>MAIL FROM:<alice@example.org> SIZE=abc
<501 5.5.4 Syntax: SIZE=<octets>
>MAIL FROM:<alice@example.org> SIZE=10 SIZE=10
<501 5.5.4 Syntax: SIZE=<octets>
>MAIL FROM:<alice@example.org> BODY=BINARYMIME
<501 5.5.4 Syntax: BODY=7BIT or BODY=8BITMIME
>MAIL FROM:<alice@example.org> FOO=bar
<555 5.5.4 Unsupported MAIL parameter
# RFC 6531 3.4: SMTPUTF8 takes no value (twice does no harm).
>MAIL FROM:<alice@example.org> SMTPUTF8=yes
<501 5.5.4 Syntax: SMTPUTF8 takes no value
>MAIL FROM:<alice@example.org> SMTPUTF8 BODY=8BITMIME smtputf8
<250 2.1.0 Ok
>QUIT
<221 2.0.0 smtp.tttest.com Bye
