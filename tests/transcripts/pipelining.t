# RFC 2920: a whole batch in one write, answered in order; the client even starts
# before the greeting (answered in order, after the greeting).
>EHLO client.example.org
>MAIL FROM:<alice@example.org>
>RCPT TO:<test@tttest.com>
>RCPT TO:<nosuchuser@tttest.com>
>RCPT TO:<bob@tttest.com>
>DATA
<220 smtp.tttest.com ESMTP
#include ehlo-reply
<250 2.1.0 Ok
<250 2.1.5 Ok
<550 5.1.1 <nosuchuser@tttest.com>: No such user here
<250 2.1.5 Ok
<354 End data with <CR><LF>.<CR><LF>
>Subject: pipelined
>
>body
>.
>MAIL FROM:<>
>RCPT TO:<alice@tttest.com>
>DATA
<~250 2\.0\.0 Ok: delivered as \S+
<250 2.1.0 Ok
<250 2.1.5 Ok
<354 End data with <CR><LF>.<CR><LF>
>second
>.
>QUIT
<~250 2\.0\.0 Ok: delivered as \S+
<221 2.0.0 smtp.tttest.com Bye
