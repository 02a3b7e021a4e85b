# A client that stops in the middle of DATA gets 421 too; the message is dropped.
#! --timeout 1
<220 smtp.tttest.com ESMTP
>EHLO client.example.org
>MAIL FROM:<alice@example.org>
>RCPT TO:<test@tttest.com>
>DATA
#include ehlo-reply
<250 2.1.0 Ok
<250 2.1.5 Ok
<354 End data with <CR><LF>.<CR><LF>
>Subject: never finished
<421 4.4.2 smtp.tttest.com Timeout, closing connection
