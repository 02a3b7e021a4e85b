# Policy: a bare LF or a bare CR inside DATA is not a line end (RFC 5321 2.3.8); the
# message is read to its real CRLF.CRLF end and refused, and the session goes on.
<220 smtp.tttest.com ESMTP
>EHLO client.example.org
>MAIL FROM:<alice@example.org>
>RCPT TO:<test@tttest.com>
>DATA
#include ehlo-reply
<250 2.1.0 Ok
<250 2.1.5 Ok
<354 End data with <CR><LF>.<CR><LF>
>Subject: bare LF\nhere
>.
<550 5.6.0 Bare CR or LF in message, message refused
>MAIL FROM:<alice@example.org>
>RCPT TO:<test@tttest.com>
>DATA
<250 2.1.0 Ok
<250 2.1.5 Ok
<354 End data with <CR><LF>.<CR><LF>
>Subject: bare CR\rhere
>.
<550 5.6.0 Bare CR or LF in message, message refused
>MAIL FROM:<alice@example.org>
>RCPT TO:<test@tttest.com>
>DATA
<250 2.1.0 Ok
<250 2.1.5 Ok
<354 End data with <CR><LF>.<CR><LF>
>Subject: clean
>
>only CRLF here
>.
<~250 2\.0\.0 Ok: delivered as \S+
>QUIT
<221 2.0.0 smtp.tttest.com Bye
