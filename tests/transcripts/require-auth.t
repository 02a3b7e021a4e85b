# --require-auth (submission, port 587): no MAIL before AUTH (530 5.7.0, RFC 4954 6).
#! --auth always --auth-delay 0 --require-auth
<220 smtp.tttest.com ESMTP
>EHLO client.example.org
#include ehlo-reply-auth
>MAIL FROM:<alice@tttest.com>
<530 5.7.0 Authentication required
# SEND, SOML and SAML start a transaction as MAIL does, so they need AUTH too (SEND
# says why its own way: --send auth keeps terminals for authenticated clients).
>SEND FROM:<alice@tttest.com>
<530 5.7.0 Authentication required to send to a terminal
>SAML FROM:<alice@tttest.com>
<530 5.7.0 Authentication required
>AUTH PLAIN AGFsaWNlAHNlY3JldA==
<235 2.7.0 Authentication successful
>MAIL FROM:<alice@tttest.com>
<250 2.1.0 Ok
>QUIT
<221 2.0.0 smtp.tttest.com Bye
