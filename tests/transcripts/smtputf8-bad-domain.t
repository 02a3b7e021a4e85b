# SMTPUTF8, domains: malformed UTF-8 and C1 controls are bad address syntax (501 with
# 5.1.7 or 5.1.3), and so is a label that IDNA2008 does not take as a U-label (RFC
# 5891, libidn2 without UTS 46 mapping: no uppercase, no NFD, no symbols).
<220 smtp.tttest.com ESMTP
>EHLO client.example.org
#include ehlo-reply
# A surrogate, a C1 control (U+009B, CSI).
>MAIL FROM:<alice@b\xed\xbf\xbfcher.example> SMTPUTF8
<501 5.1.7 Malformed UTF-8 or a control character in the address
>MAIL FROM:<alice@b\xc2\x9bcher.example> SMTPUTF8
<501 5.1.7 Malformed UTF-8 or a control character in the address
# Well-formed, but no U-label: a snowman, uppercase, NFD (u + U+0308), a leading
# combining mark.
>MAIL FROM:<alice@☃.example> SMTPUTF8
<501 5.1.7 Domain is not a valid internationalized domain name
>MAIL FROM:<alice@BÜCHER.example> SMTPUTF8
<501 5.1.7 Domain is not a valid internationalized domain name
>MAIL FROM:<alice@bu\xcc\x88cher.example> SMTPUTF8
<501 5.1.7 Domain is not a valid internationalized domain name
>MAIL FROM:<alice@\xcc\x88bcher.example> SMTPUTF8
<501 5.1.7 Domain is not a valid internationalized domain name
>MAIL FROM:<alice@example.org> SMTPUTF8
<250 2.1.0 Ok
>RCPT TO:<a\xc0\xafb@tttest.com>
<501 5.1.3 Malformed UTF-8 or a control character in the address
>RCPT TO:<test@tttest.c\xf5\x80\x80\x80om>
<501 5.1.3 Malformed UTF-8 or a control character in the address
>RCPT TO:<test@☃.tttest.com>
<501 5.1.3 Domain is not a valid internationalized domain name
>RCPT TO:<test@tttest.com>
<250 2.1.5 Ok
>QUIT
<221 2.0.0 smtp.tttest.com Bye
