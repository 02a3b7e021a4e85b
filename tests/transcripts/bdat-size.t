# BDAT and --max-size (RFC 1870, RFC 5321 4.5.3.1.10): the size counts across chunks;
# the chunk that passes the limit is read and refused with 552, the later chunks with
# 503, and nothing is delivered.  A message of exactly the limit arrives.  RSET
# between chunks discards the message.
#! --max-size 100
<220 smtp.tttest.com ESMTP
>EHLO client.example.org
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
>MAIL FROM:<alice@example.org>
<250 2.1.0 Ok
>RCPT TO:<test@tttest.com>
<250 2.1.5 Ok
>BDAT 60
>012345678901234567890123456789012345678901234567890123456789\c
<250 2.0.0 60 octets received
>BDAT 41
>MAIL FROM:<mallory@example.org>\r\nQUIT\r\n..\c
<552 5.3.4 Message size exceeds fixed maximum message size
>BDAT 6 LAST
>QUIT
<503 5.5.1 An earlier BDAT was refused, send RSET
# One chunk over the limit, in a new transaction.
>MAIL FROM:<alice@example.org>
<250 2.1.0 Ok
>RCPT TO:<test@tttest.com>
<250 2.1.5 Ok
>BDAT 101 LAST
>01234567890123456789012345678901234567890123456789012345678901234567890123456789012345678901234567890\c
<552 5.3.4 Message size exceeds fixed maximum message size
# RSET between chunks: the message is gone, the next BDAT is out of sequence.
>MAIL FROM:<alice@example.org>
<250 2.1.0 Ok
>RCPT TO:<test@tttest.com>
<250 2.1.5 Ok
>BDAT 9
>Subject: \c
<250 2.0.0 9 octets received
>RSET
<250 2.0.0 Ok
>BDAT 7 LAST
>reset\r\n\c
<503 5.5.1 Need MAIL and RCPT before BDAT
# Exactly 100 octets in two chunks: delivered.
>MAIL FROM:<alice@example.org>
<250 2.1.0 Ok
>RCPT TO:<test@tttest.com>
<250 2.1.5 Ok
>BDAT 14
>Subject: limit\c
<250 2.0.0 14 octets received
>BDAT 86 LAST
>\r\n\r\n01234567890123456789012345678901234567890123456789012345678901234567890123456789\r\n\c
<~250 2\.0\.0 Ok: delivered as \S+
>QUIT
<221 2.0.0 smtp.tttest.com Bye
