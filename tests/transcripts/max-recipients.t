# RFC 5321 4.5.3.1.10 and RFC 9422 RCPTMAX=2 (--max-recipients 2): past two accepted
# RCPT commands in a transaction, 452 4.5.3.  RCPTMAX counts commands, so the same
# user named again counts again (test@tttest.com and test@localhost are two); a
# refused RCPT does not count.  The next transaction starts from nothing.
#! --max-recipients 2
<220 smtp.tttest.com ESMTP
>EHLO client.example.org
#include ehlo-reply-head
<250-LIMITS RCPTMAX=2 MAILMAX=100
<250 ENHANCEDSTATUSCODES
>MAIL FROM:<>
<250 2.1.0 Ok
>RCPT TO:<nosuch@tttest.com>
<550 5.1.1 <nosuch@tttest.com>: No such user here
>RCPT TO:<test@tttest.com>
<250 2.1.5 Ok
>RCPT TO:<test@localhost>
<250 2.1.5 Ok
>RCPT TO:<test@tttest.com>
<452 4.5.3 Too many recipients
>RCPT TO:<alice@tttest.com>
<452 4.5.3 Too many recipients
>RSET
<250 2.0.0 Ok
>MAIL FROM:<>
<250 2.1.0 Ok
>RCPT TO:<alice@tttest.com>
<250 2.1.5 Ok
>RCPT TO:<bob@tttest.com>
<250 2.1.5 Ok
>RCPT TO:<alice@tttest.com>
<452 4.5.3 Too many recipients
>QUIT
<221 2.0.0 smtp.tttest.com Bye
