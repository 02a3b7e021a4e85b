# --auth never: AUTH is neither offered nor accepted (502).
#! --auth never
<220 smtp.tttest.com ESMTP
>EHLO client.example.org
<250-smtp.tttest.com
<250-SEND
<250-SOML
<250-SAML
<250-PIPELINING
<250-SIZE 10485760
<250-8BITMIME
<250 ENHANCEDSTATUSCODES
>AUTH PLAIN AGFsaWNlAHNlY3JldA==
<502 5.5.1 AUTH not available
>QUIT
<221 2.0.0 smtp.tttest.com Bye
