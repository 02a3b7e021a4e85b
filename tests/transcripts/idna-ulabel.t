# Local domains compare in both forms (RFC 6531 3.2, IDNA2008 through libidn2): with
# --domains given as a U-label, an address may name it as the U-label (SMTPUTF8) or
# as its A-label (plain ASCII, no parameter needed).  ß is kept (IDNA2008, not the
# transitional mapping to "ss").
#! --domains bücher.example,faß.example
<220 smtp.tttest.com ESMTP
>EHLO client.example.org
#include ehlo-reply
>MAIL FROM:<alice@example.org>
<250 2.1.0 Ok
>RCPT TO:<test@xn--bcher-kva.example>
<250 2.1.5 Ok
>RCPT TO:<alice@XN--BCHER-KVA.EXAMPLE>
<250 2.1.5 Ok
>RCPT TO:<bob@xn--fa-hia.example>
<250 2.1.5 Ok
>RCPT TO:<bob@fass.example>
<550 5.7.1 <bob@fass.example>: Relay access denied
>RCPT TO:<test@tttest.com>
<550 5.7.1 <test@tttest.com>: Relay access denied
>RSET
<250 2.0.0 Ok
>MAIL FROM:<alice@example.org> SMTPUTF8
<250 2.1.0 Ok
>RCPT TO:<test@bücher.example>
<250 2.1.5 Ok
>RCPT TO:<jürgen@bücher.EXAMPLE>
<250 2.1.5 Ok
>RCPT TO:<bob@faß.example>
<250 2.1.5 Ok
>RCPT TO:<bob@bucher.example>
<550 5.7.1 <bob@bucher.example>: Relay access denied
>QUIT
<221 2.0.0 smtp.tttest.com Bye
