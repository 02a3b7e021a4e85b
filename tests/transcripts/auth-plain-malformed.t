# RFC 4616: a PLAIN response needs two NULs and a user; "=" is an empty response
# (RFC 4954 4).  Malformed responses get 501 5.5.2 and do not count as failed logins.
#! --auth always --auth-delay 0
<220 smtp.tttest.com ESMTP
>EHLO client.example.org
#include ehlo-reply-auth
>AUTH PLAIN =
<501 5.5.2 Invalid PLAIN response
>AUTH PLAIN YWxpY2Utd2l0aG91dC1udWw=
<501 5.5.2 Invalid PLAIN response
>AUTH PLAIN AABzZWNyZXQ=
<501 5.5.2 Invalid PLAIN response
>AUTH PLAIN
<334 
>
<501 5.5.2 Invalid PLAIN response
>AUTH PLAIN AGFsaWNlAHNlY3JldA==
<235 2.7.0 Authentication successful
>QUIT
<221 2.0.0 smtp.tttest.com Bye
