# EHLO: the extensions in multi-line form, enhanced status codes from then on,
# address literals, commands in any case, and a second EHLO resetting the transaction.
<220 smtp.tttest.com ESMTP
>EHLO [127.0.0.1]
<250-smtp.tttest.com
<250-SEND
<250-SOML
<250-SAML
<250-PIPELINING
<250-SIZE 10485760
<250-8BITMIME
<250-SMTPUTF8
<250-CHUNKING
<250-DSN
<250-LIMITS RCPTMAX=100 MAILMAX=100
<250 ENHANCEDSTATUSCODES
>mail from:<alice@example.org>
<250 2.1.0 Ok
>ehlo client.example.org
<250-smtp.tttest.com
<250-SEND
<250-SOML
<250-SAML
<250-PIPELINING
<250-SIZE 10485760
<250-8BITMIME
<250-SMTPUTF8
<250-CHUNKING
<250-DSN
<250-LIMITS RCPTMAX=100 MAILMAX=100
<250 ENHANCEDSTATUSCODES
# RFC 5321 4.1.4: EHLO reset the transaction, so RCPT is out of sequence now.
>RCPT TO:<test@tttest.com>
<503 5.5.1 Need MAIL before RCPT
>EHLO
<501 Syntax: EHLO hostname
>HELO
<501 Syntax: HELO hostname
>EHLO two words
<501 Syntax: EHLO hostname
>EHLO [IPv6:::1]
<250-smtp.tttest.com
<250-SEND
<250-SOML
<250-SAML
<250-PIPELINING
<250-SIZE 10485760
<250-8BITMIME
<250-SMTPUTF8
<250-CHUNKING
<250-DSN
<250-LIMITS RCPTMAX=100 MAILMAX=100
<250 ENHANCEDSTATUSCODES
>QuIt
<221 2.0.0 smtp.tttest.com Bye
