# The other way round: --domains given as an A-label matches an address with the
# U-label (SMTPUTF8).
#! --domains xn--bcher-kva.example
<220 smtp.tttest.com ESMTP
>EHLO client.example.org
#include ehlo-reply
>MAIL FROM:<jörg@bücher.example> SMTPUTF8
<250 2.1.0 Ok
>RCPT TO:<test@bücher.example>
<250 2.1.5 Ok
>RCPT TO:<jürgen@xn--bcher-kva.example>
<250 2.1.5 Ok
>RCPT TO:<test@bucher.example>
<550 5.7.1 <test@bucher.example>: Relay access denied
>QUIT
<221 2.0.0 smtp.tttest.com Bye
