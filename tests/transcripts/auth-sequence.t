# AUTH is ESMTP only (503 after HELO), not inside a mail transaction (503), and once.
#! --auth always --auth-delay 0
<220 smtp.tttest.com ESMTP
>HELO client.example.org
<250 smtp.tttest.com
>AUTH PLAIN AGFsaWNlAHNlY3JldA==
<503 Send EHLO first
>EHLO client.example.org
#include ehlo-reply-auth
>MAIL FROM:<>
<250 2.1.0 Ok
>AUTH PLAIN AGFsaWNlAHNlY3JldA==
<503 5.5.1 AUTH not allowed in a mail transaction
>RSET
<250 2.0.0 Ok
>AUTH PLAIN AGFsaWNlAHNlY3JldA==
<235 2.7.0 Authentication successful
>AUTH LOGIN
<503 5.5.1 Already authenticated
>QUIT
<221 2.0.0 smtp.tttest.com Bye
