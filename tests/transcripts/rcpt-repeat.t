# RFC 9422 RCPTMAX counts RCPT commands (issue 21): with the default --max-recipients
# 100 (EHLO says RCPTMAX=100), 100 RCPT commands naming the same user are 250 each and
# the 101st is RFC 5321 4.5.3.1.10's 452 4.5.3; the message still goes to that user
# once.  Sent in one batch, as a pipelining client would.
<220 smtp.tttest.com ESMTP
>EHLO client.example.org
#include ehlo-reply
>MAIL FROM:<>
<250 2.1.0 Ok
>RCPT TO:<test@tttest.com>
>RCPT TO:<test@tttest.com>
>RCPT TO:<test@tttest.com>
>RCPT TO:<test@tttest.com>
>RCPT TO:<test@tttest.com>
>RCPT TO:<test@tttest.com>
>RCPT TO:<test@tttest.com>
>RCPT TO:<test@tttest.com>
>RCPT TO:<test@tttest.com>
>RCPT TO:<test@tttest.com>
>RCPT TO:<test@tttest.com>
>RCPT TO:<test@tttest.com>
>RCPT TO:<test@tttest.com>
>RCPT TO:<test@tttest.com>
>RCPT TO:<test@tttest.com>
>RCPT TO:<test@tttest.com>
>RCPT TO:<test@tttest.com>
>RCPT TO:<test@tttest.com>
>RCPT TO:<test@tttest.com>
>RCPT TO:<test@tttest.com>
>RCPT TO:<test@tttest.com>
>RCPT TO:<test@tttest.com>
>RCPT TO:<test@tttest.com>
>RCPT TO:<test@tttest.com>
>RCPT TO:<test@tttest.com>
>RCPT TO:<test@tttest.com>
>RCPT TO:<test@tttest.com>
>RCPT TO:<test@tttest.com>
>RCPT TO:<test@tttest.com>
>RCPT TO:<test@tttest.com>
>RCPT TO:<test@tttest.com>
>RCPT TO:<test@tttest.com>
>RCPT TO:<test@tttest.com>
>RCPT TO:<test@tttest.com>
>RCPT TO:<test@tttest.com>
>RCPT TO:<test@tttest.com>
>RCPT TO:<test@tttest.com>
>RCPT TO:<test@tttest.com>
>RCPT TO:<test@tttest.com>
>RCPT TO:<test@tttest.com>
>RCPT TO:<test@tttest.com>
>RCPT TO:<test@tttest.com>
>RCPT TO:<test@tttest.com>
>RCPT TO:<test@tttest.com>
>RCPT TO:<test@tttest.com>
>RCPT TO:<test@tttest.com>
>RCPT TO:<test@tttest.com>
>RCPT TO:<test@tttest.com>
>RCPT TO:<test@tttest.com>
>RCPT TO:<test@tttest.com>
>RCPT TO:<test@tttest.com>
>RCPT TO:<test@tttest.com>
>RCPT TO:<test@tttest.com>
>RCPT TO:<test@tttest.com>
>RCPT TO:<test@tttest.com>
>RCPT TO:<test@tttest.com>
>RCPT TO:<test@tttest.com>
>RCPT TO:<test@tttest.com>
>RCPT TO:<test@tttest.com>
>RCPT TO:<test@tttest.com>
>RCPT TO:<test@tttest.com>
>RCPT TO:<test@tttest.com>
>RCPT TO:<test@tttest.com>
>RCPT TO:<test@tttest.com>
>RCPT TO:<test@tttest.com>
>RCPT TO:<test@tttest.com>
>RCPT TO:<test@tttest.com>
>RCPT TO:<test@tttest.com>
>RCPT TO:<test@tttest.com>
>RCPT TO:<test@tttest.com>
>RCPT TO:<test@tttest.com>
>RCPT TO:<test@tttest.com>
>RCPT TO:<test@tttest.com>
>RCPT TO:<test@tttest.com>
>RCPT TO:<test@tttest.com>
>RCPT TO:<test@tttest.com>
>RCPT TO:<test@tttest.com>
>RCPT TO:<test@tttest.com>
>RCPT TO:<test@tttest.com>
>RCPT TO:<test@tttest.com>
>RCPT TO:<test@tttest.com>
>RCPT TO:<test@tttest.com>
>RCPT TO:<test@tttest.com>
>RCPT TO:<test@tttest.com>
>RCPT TO:<test@tttest.com>
>RCPT TO:<test@tttest.com>
>RCPT TO:<test@tttest.com>
>RCPT TO:<test@tttest.com>
>RCPT TO:<test@tttest.com>
>RCPT TO:<test@tttest.com>
>RCPT TO:<test@tttest.com>
>RCPT TO:<test@tttest.com>
>RCPT TO:<test@tttest.com>
>RCPT TO:<test@tttest.com>
>RCPT TO:<test@tttest.com>
>RCPT TO:<test@tttest.com>
>RCPT TO:<test@tttest.com>
>RCPT TO:<test@tttest.com>
>RCPT TO:<test@tttest.com>
>RCPT TO:<test@tttest.com>
>RCPT TO:<test@tttest.com>
<250 2.1.5 Ok
<250 2.1.5 Ok
<250 2.1.5 Ok
<250 2.1.5 Ok
<250 2.1.5 Ok
<250 2.1.5 Ok
<250 2.1.5 Ok
<250 2.1.5 Ok
<250 2.1.5 Ok
<250 2.1.5 Ok
<250 2.1.5 Ok
<250 2.1.5 Ok
<250 2.1.5 Ok
<250 2.1.5 Ok
<250 2.1.5 Ok
<250 2.1.5 Ok
<250 2.1.5 Ok
<250 2.1.5 Ok
<250 2.1.5 Ok
<250 2.1.5 Ok
<250 2.1.5 Ok
<250 2.1.5 Ok
<250 2.1.5 Ok
<250 2.1.5 Ok
<250 2.1.5 Ok
<250 2.1.5 Ok
<250 2.1.5 Ok
<250 2.1.5 Ok
<250 2.1.5 Ok
<250 2.1.5 Ok
<250 2.1.5 Ok
<250 2.1.5 Ok
<250 2.1.5 Ok
<250 2.1.5 Ok
<250 2.1.5 Ok
<250 2.1.5 Ok
<250 2.1.5 Ok
<250 2.1.5 Ok
<250 2.1.5 Ok
<250 2.1.5 Ok
<250 2.1.5 Ok
<250 2.1.5 Ok
<250 2.1.5 Ok
<250 2.1.5 Ok
<250 2.1.5 Ok
<250 2.1.5 Ok
<250 2.1.5 Ok
<250 2.1.5 Ok
<250 2.1.5 Ok
<250 2.1.5 Ok
<250 2.1.5 Ok
<250 2.1.5 Ok
<250 2.1.5 Ok
<250 2.1.5 Ok
<250 2.1.5 Ok
<250 2.1.5 Ok
<250 2.1.5 Ok
<250 2.1.5 Ok
<250 2.1.5 Ok
<250 2.1.5 Ok
<250 2.1.5 Ok
<250 2.1.5 Ok
<250 2.1.5 Ok
<250 2.1.5 Ok
<250 2.1.5 Ok
<250 2.1.5 Ok
<250 2.1.5 Ok
<250 2.1.5 Ok
<250 2.1.5 Ok
<250 2.1.5 Ok
<250 2.1.5 Ok
<250 2.1.5 Ok
<250 2.1.5 Ok
<250 2.1.5 Ok
<250 2.1.5 Ok
<250 2.1.5 Ok
<250 2.1.5 Ok
<250 2.1.5 Ok
<250 2.1.5 Ok
<250 2.1.5 Ok
<250 2.1.5 Ok
<250 2.1.5 Ok
<250 2.1.5 Ok
<250 2.1.5 Ok
<250 2.1.5 Ok
<250 2.1.5 Ok
<250 2.1.5 Ok
<250 2.1.5 Ok
<250 2.1.5 Ok
<250 2.1.5 Ok
<250 2.1.5 Ok
<250 2.1.5 Ok
<250 2.1.5 Ok
<250 2.1.5 Ok
<250 2.1.5 Ok
<250 2.1.5 Ok
<250 2.1.5 Ok
<250 2.1.5 Ok
<250 2.1.5 Ok
<250 2.1.5 Ok
<452 4.5.3 Too many recipients
>DATA
<354 End data with <CR><LF>.<CR><LF>
>Subject: once
>
>x
>.
<~250 2\.0\.0 Ok: delivered as .*
>QUIT
<221 2.0.0 smtp.tttest.com Bye
