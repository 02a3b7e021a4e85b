# SMTP smuggling (SEC Consult, 2023): CR.CR must not end DATA, and the
# "smuggled" commands after it are message text, never commands.  The message holds a
# bare CR or LF, so it is refused (our policy, RFC 5321 2.3.8) with one reply only.
<220 smtp.tttest.com ESMTP
>EHLO client.example.org
>MAIL FROM:<alice@example.org>
>RCPT TO:<test@tttest.com>
>DATA
#include ehlo-reply
<250 2.1.0 Ok
<250 2.1.5 Ok
<354 End data with <CR><LF>.<CR><LF>
>Subject: smuggling\r.\rMAIL FROM:<evil@example.org>\r\nRCPT TO:<test@tttest.com>\r\nDATA\r\nSubject: smuggled\r\n\r\nevil\r\n.
<550 5.6.0 Bare CR or LF in message, message refused
>QUIT
<221 2.0.0 smtp.tttest.com Bye
