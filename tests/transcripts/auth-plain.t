# RFC 4954 + RFC 4616: AUTH PLAIN with an initial response; then mail as usual, and
# MAIL's AUTH= parameter (RFC 4954 5).  PAM is pam_wrapper's pam_matrix (alice:secret).
#! --auth always --auth-delay 0
<220 smtp.tttest.com ESMTP
>EHLO client.example.org
#include ehlo-reply-auth
>AUTH PLAIN AGFsaWNlAHNlY3JldA==
<235 2.7.0 Authentication successful
>AUTH PLAIN AGFsaWNlAHNlY3JldA==
<503 5.5.1 Already authenticated
>MAIL FROM:<alice@tttest.com> AUTH=alice+40tttest.com
<250 2.1.0 Ok
>RSET
<250 2.0.0 Ok
>MAIL FROM:<alice@tttest.com> AUTH=<>
<250 2.1.0 Ok
>RSET
<250 2.0.0 Ok
>MAIL FROM:<alice@tttest.com> AUTH=a=b
<501 5.5.4 Syntax: AUTH=<xtext> or AUTH=<>
>MAIL FROM:<alice@tttest.com> AUTH=a+4
<501 5.5.4 Syntax: AUTH=<xtext> or AUTH=<>
>MAIL FROM:<alice@tttest.com>
>RCPT TO:<test@tttest.com>
>DATA
<250 2.1.0 Ok
<250 2.1.5 Ok
<354 End data with <CR><LF>.<CR><LF>
>Subject: authenticated
>
>hello
>.
<~250 2\.0\.0 Ok: delivered as \S+
>QUIT
<221 2.0.0 smtp.tttest.com Bye
