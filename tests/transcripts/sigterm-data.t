# SIGTERM in the middle of DATA: 421, orderly exit 0, nothing delivered.
<220 smtp.tttest.com ESMTP
>EHLO client.example.org
>MAIL FROM:<alice@example.org>
>RCPT TO:<test@tttest.com>
>DATA
#include ehlo-reply
<250 2.1.0 Ok
<250 2.1.5 Ok
<354 End data with <CR><LF>.<CR><LF>
>Subject: cut short
>half a message
#sleep 0.2
#signal TERM
<421 4.3.2 smtp.tttest.com Shutting down, closing connection
