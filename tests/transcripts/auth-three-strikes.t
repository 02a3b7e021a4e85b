# A wrong password, an authzid other than the user, an empty password: each 535 5.7.8;
# the third failure in a session also gets 421 and the connection is closed.
#! --auth always --auth-delay 0
<220 smtp.tttest.com ESMTP
>EHLO client.example.org
#include ehlo-reply-auth
>AUTH PLAIN AGFsaWNlAHdyb25n
<535 5.7.8 Authentication credentials invalid
>AUTH PLAIN Ym9iAGFsaWNlAHNlY3JldA==
<535 5.7.8 Authentication credentials invalid
>AUTH PLAIN AGFsaWNlAA==
<535 5.7.8 Authentication credentials invalid
<421 4.7.0 smtp.tttest.com Too many authentication failures, closing connection
>NOOP
