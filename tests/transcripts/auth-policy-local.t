# --auth local (the default): over a pipe the client is not on loopback, so AUTH is
# not offered and refused with 538 5.7.11 (RFC 4954 6): the password could be sniffed.
#! --auth-delay 0
<220 smtp.tttest.com ESMTP
>EHLO client.example.org
#include ehlo-reply
>AUTH PLAIN AGFsaWNlAHNlY3JldA==
<538 5.7.11 Encryption required for requested authentication mechanism
>QUIT
<221 2.0.0 smtp.tttest.com Bye
