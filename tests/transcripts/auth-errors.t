# RFC 4954 refusals: cancel (501), bad base64 (501 5.5.2), unknown mechanism (504),
# missing mechanism (501), malformed PLAIN (501).  None of them counts as a failed login.
#! --auth always --auth-delay 0
<220 smtp.tttest.com ESMTP
>EHLO client.example.org
#include ehlo-reply-auth
>AUTH PLAIN
<334 
>*
<501 5.7.0 Authentication canceled
>AUTH LOGIN
<334 VXNlcm5hbWU6
>*
<501 5.7.0 Authentication canceled
>AUTH PLAIN not+base64!
<501 5.5.2 Invalid base64 data
>AUTH PLAIN YWxpY2U
<501 5.5.2 Invalid base64 data
>AUTH LOGIN
<334 VXNlcm5hbWU6
>YWxpY2U=
<334 UGFzc3dvcmQ6
>@@@@
<501 5.5.2 Invalid base64 data
>AUTH CRAM-MD5
<504 5.5.4 Unrecognized authentication mechanism
>AUTH
<501 5.5.4 Syntax: AUTH mechanism [initial-response]
>AUTH PLAIN AGFsaWNlAHNlY3JldA==
<235 2.7.0 Authentication successful
>QUIT
<221 2.0.0 smtp.tttest.com Bye
