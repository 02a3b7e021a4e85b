# SMTPUTF8, domains: malformed UTF-8 and C1 controls are bad address syntax (501 with
# 5.1.7 or 5.1.3).  Whether a label is a valid U-label (IDNA2008) matters only for our
# own domains, checked at start-up: any other well-formed domain is stored as sent
# (a sender) or is not local (a recipient: 550 5.7.1), a snowman, uppercase or NFD
# form included.
<220 smtp.tttest.com ESMTP
>EHLO client.example.org
#include ehlo-reply
# A surrogate, a C1 control (U+009B, CSI).
>MAIL FROM:<alice@b\xed\xbf\xbfcher.example> SMTPUTF8
<501 5.1.7 Malformed UTF-8 or a control character in the address
>MAIL FROM:<alice@b\xc2\x9bcher.example> SMTPUTF8
<501 5.1.7 Malformed UTF-8 or a control character in the address
# Well-formed, but no U-label: a snowman, as a sender, is stored as sent.
>MAIL FROM:<alice@☃.example> SMTPUTF8
<250 2.1.0 Ok
>RCPT TO:<a\xc0\xafb@tttest.com>
<501 5.1.3 Malformed UTF-8 or a control character in the address
>RCPT TO:<test@tttest.c\xf5\x80\x80\x80om>
<501 5.1.3 Malformed UTF-8 or a control character in the address
>RCPT TO:<test@☃.tttest.com>
<550 5.7.1 <test@\x{2603}.tttest.com>: Relay access denied
>RCPT TO:<test@bu\xcc\x88cher.example>
<550 5.7.1 <test@bu\x{308}cher.example>: Relay access denied
>RCPT TO:<test@tttest.com>
<250 2.1.5 Ok
>QUIT
<221 2.0.0 smtp.tttest.com Bye
