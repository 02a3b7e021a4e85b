# BDAT with PIPELINING (RFC 2920, RFC 3030 2): commands and chunks in one write, each
# answered in order: a transaction of two chunks, then one whose only recipient
# fails, its chunk read and refused (503) and not taken for commands, and BDAT LAST
# with QUIT after it.
<220 smtp.tttest.com ESMTP
>EHLO client.example.org
#include ehlo-reply
>MAIL FROM:<alice@example.org>
>RCPT TO:<test@tttest.com>
>BDAT 16
>Subject: piped\r\n\c
>BDAT 7
>Hello\r\n\c
>BDAT 8 LAST
>World!\r\n\c
>MAIL FROM:<alice@example.org>
>RCPT TO:<nosuchuser@tttest.com>
>BDAT 6 LAST
>RSET
>RSET
>MAIL FROM:<alice@example.org>
>RCPT TO:<bob@tttest.com>
>BDAT 17 LAST
>Subject: quit\r\n\r\n\c
>QUIT
<250 2.1.0 Ok
<250 2.1.5 Ok
<250 2.0.0 16 octets received
<250 2.0.0 7 octets received
<~250 2\.0\.0 Ok: delivered as \S+
<250 2.1.0 Ok
<550 5.1.1 <nosuchuser@tttest.com>: No such user here
<503 5.5.1 No valid recipients
<250 2.0.0 Ok
<250 2.1.0 Ok
<250 2.1.5 Ok
<~250 2\.0\.0 Ok: delivered as \S+
<221 2.0.0 smtp.tttest.com Bye
