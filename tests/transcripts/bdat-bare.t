# BDAT and bare CR or LF: the same policy as DATA (RFC 5321 2.3.8): the message is read
# to its LAST chunk and refused with 550 5.6.0, so nothing DATA would refuse gets in
# through BDAT.  SMTP smuggling: an end-of-data look-alike and commands inside a chunk
# are data, and with their bare LF the message is refused.
<220 smtp.tttest.com ESMTP
>EHLO client.example.org
#include ehlo-reply
>MAIL FROM:<alice@example.org>
<250 2.1.0 Ok
>RCPT TO:<test@tttest.com>
<250 2.1.5 Ok
# LF "." LF, then a whole second transaction with bare LFs: 75 octets.
>BDAT 75
>x\n.\nMAIL FROM:<mallory@example.org>\nRCPT TO:<bob@tttest.com>\nDATA\nsmuggled\n\c
<250 2.0.0 75 octets received
>BDAT 5 LAST
>.\r\n\r\n\c
<550 5.6.0 Bare CR or LF in message, message refused
# A bare CR inside a chunk.
>MAIL FROM:<alice@example.org>
<250 2.1.0 Ok
>RCPT TO:<test@tttest.com>
<250 2.1.5 Ok
>BDAT 11 LAST
>a\rb\r\n.\r\r\n\r\n\c
<550 5.6.0 Bare CR or LF in message, message refused
# A CR that ends the last chunk, with no LF after it.
>MAIL FROM:<alice@example.org>
<250 2.1.0 Ok
>RCPT TO:<test@tttest.com>
<250 2.1.5 Ok
>BDAT 6
>line\r\n\c
<250 2.0.0 6 octets received
>BDAT 1 LAST
>\r\c
<550 5.6.0 Bare CR or LF in message, message refused
# A chunk ending in CR, then one starting with LF: a CRLF.
>MAIL FROM:<alice@example.org>
<250 2.1.0 Ok
>RCPT TO:<test@tttest.com>
<250 2.1.5 Ok
>BDAT 15
>Subject: clean\r\c
<250 2.0.0 15 octets received
>BDAT 1
>\n\c
<250 2.0.0 1 octet received
>BDAT 0 LAST
<~250 2\.0\.0 Ok: delivered as \S+
>QUIT
<221 2.0.0 smtp.tttest.com Bye
