# AUTH PLAIN without an initial response: an empty 334 challenge, then the response.
# An authzid equal to the authcid is fine (RFC 4616 2).
#! --auth always --auth-delay 0
<220 smtp.tttest.com ESMTP
>EHLO client.example.org
#include ehlo-reply-auth
>AUTH PLAIN
<334 
>YWxpY2UAYWxpY2UAc2VjcmV0
<235 2.7.0 Authentication successful
>QUIT
<221 2.0.0 smtp.tttest.com Bye
