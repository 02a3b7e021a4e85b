# RFC 5321 4.5.3.2: a silent client gets 421 after --timeout seconds; exit status 0.
#! --timeout 1
<220 smtp.tttest.com ESMTP
>EHLO client.example.org
#include ehlo-reply
<421 4.4.2 smtp.tttest.com Timeout, closing connection
