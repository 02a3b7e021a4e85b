# A message over --max-size gets 552 5.3.4 after the final dot (RFC 5321 4.5.3.1.10,
# RFC 1870) even when MAIL declared no SIZE, and it is not delivered.
#! --max-size 100
<220 smtp.tttest.com ESMTP
>EHLO client.example.org
>MAIL FROM:<alice@example.org>
>RCPT TO:<test@tttest.com>
>DATA
<250-smtp.tttest.com
<250-SEND
<250-SOML
<250-SAML
<250-PIPELINING
<250-SIZE 100
<250-8BITMIME
<250-SMTPUTF8
<250-CHUNKING
<250-DSN
<250-LIMITS RCPTMAX=100 MAILMAX=100
<250 ENHANCEDSTATUSCODES
<250 2.1.0 Ok
<250 2.1.5 Ok
<354 End data with <CR><LF>.<CR><LF>
>Subject: big
>
>0123456789012345678901234567890123456789
>0123456789012345678901234567890123456789
>0123456789012345678901234567890123456789
>.
<552 5.3.4 Message size exceeds fixed maximum message size
>MAIL FROM:<alice@example.org> SIZE=90
>RCPT TO:<test@tttest.com>
>DATA
<250 2.1.0 Ok
<250 2.1.5 Ok
<354 End data with <CR><LF>.<CR><LF>
>Subject: small
>
>0123456789012345678901234567890123456789
>.
<~250 2\.0\.0 Ok: delivered as \S+
>QUIT
<221 2.0.0 smtp.tttest.com Bye
