# 503 for every command out of sequence (RFC 5321 4.1.4, 3.3).
<220 smtp.tttest.com ESMTP
>MAIL FROM:<alice@example.org>
<503 Send HELO or EHLO first
>RCPT TO:<test@tttest.com>
<503 Need MAIL before RCPT
>EHLO client.example.org
#include ehlo-reply
>DATA
<503 5.5.1 Need MAIL and RCPT before DATA
>RCPT TO:<test@tttest.com>
<503 5.5.1 Need MAIL before RCPT
>MAIL FROM:<alice@example.org>
<250 2.1.0 Ok
>MAIL FROM:<alice@example.org>
<503 5.5.1 Nested MAIL command
>DATA
<503 5.5.1 No valid recipients
>RCPT TO:<test@tttest.com>
<250 2.1.5 Ok
>RSET
<250 2.0.0 Ok
>DATA
<503 5.5.1 Need MAIL and RCPT before DATA
>QUIT
<221 2.0.0 smtp.tttest.com Bye
