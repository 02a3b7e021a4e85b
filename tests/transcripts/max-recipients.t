# RFC 5321 4.5.3.1.10: past the recipient limit, 452 4.5.3; the same user twice is
# one recipient and does not count twice.  RFC 9422: LIMITS says RCPTMAX=2.
#! --max-recipients 2
<220 smtp.tttest.com ESMTP
>EHLO client.example.org
#include ehlo-reply-head
<250-LIMITS RCPTMAX=2 MAILMAX=100
<250 ENHANCEDSTATUSCODES
>MAIL FROM:<>
<250 2.1.0 Ok
>RCPT TO:<test@tttest.com>
<250 2.1.5 Ok
>RCPT TO:<test@localhost>
<250 2.1.5 Ok
>RCPT TO:<alice@tttest.com>
<250 2.1.5 Ok
>RCPT TO:<bob@tttest.com>
<452 4.5.3 Too many recipients
>RCPT TO:<alice@tttest.com>
<250 2.1.5 Ok
>QUIT
<221 2.0.0 smtp.tttest.com Bye
