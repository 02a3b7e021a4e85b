# --auth never: AUTH is neither offered nor accepted (502).
#! --auth never
<220 smtp.tttest.com ESMTP
>EHLO client.example.org
#include ehlo-reply
>AUTH PLAIN AGFsaWNlAHNlY3JldA==
<502 5.5.1 AUTH not available
>QUIT
<221 2.0.0 smtp.tttest.com Bye
