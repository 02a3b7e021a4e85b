# --send auth, the default: terminals are for authenticated clients and loopback
# clients only.  This client (a pipe: no address, so no loopback client) did not
# authenticate: SEND gets 530 5.7.0 at the SEND command (RFC 4954 6); SOML and SAML
# are taken as MAIL, the mailbox only.  SEND stays in EHLO: it exists, with AUTH.
<220 smtp.tttest.com ESMTP
>EHLO client.example.org
#include ehlo-reply
>SEND FROM:<alice@example.org>
<530 5.7.0 Authentication required to send to a terminal
>RCPT TO:<test@tttest.com>
<503 5.5.1 Need MAIL before RCPT
>SOML FROM:<alice@example.org>
<250 2.1.0 Ok
>RCPT TO:<test@tttest.com>
<250 2.1.5 Ok
>DATA
<354 End data with <CR><LF>.<CR><LF>
>Subject: soml from afar
>
>to the mailbox
>.
<~250 2\.0\.0 Ok: delivered as [0-9A-F]+\.[0-9A-F]+\.1
>SAML FROM:<alice@example.org>
<250 2.1.0 Ok
>RCPT TO:<test@tttest.com>
<250 2.1.5 Ok
>DATA
<354 End data with <CR><LF>.<CR><LF>
>Subject: saml from afar
>
>to the mailbox only
>.
<~250 2\.0\.0 Ok: delivered as [0-9A-F]+\.[0-9A-F]+\.2
>QUIT
<221 2.0.0 smtp.tttest.com Bye
