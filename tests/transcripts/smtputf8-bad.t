# SMTPUTF8, local parts: malformed UTF-8 (RFC 3629) and C1 controls are bad address
# syntax (RFC 6531 3.5: otherwise as RFC 5321: 501 with 5.1.7 or 5.1.3; domains are
# in smtputf8-bad-domain.t).  Without the parameter any non-ASCII byte is 550 5.6.7
# at MAIL and 553 5.6.7 at RCPT, malformed or not.
<220 smtp.tttest.com ESMTP
>EHLO client.example.org
#include ehlo-reply
# Local part: overlong "/" (C0 AF), a surrogate (ED A0 80), above U+10FFFF (F4 90 80 80),
# U+0085 (C2 85, a C1 control), a stray continuation byte, a truncated sequence, a
# Latin-1 byte.
>MAIL FROM:<a\xc0\xafb@example.org> SMTPUTF8
<501 5.1.7 Malformed UTF-8 or a control character in the address
>MAIL FROM:<a\xed\xa0\x80b@example.org> SMTPUTF8
<501 5.1.7 Malformed UTF-8 or a control character in the address
>MAIL FROM:<a\xf4\x90\x80\x80b@example.org> SMTPUTF8
<501 5.1.7 Malformed UTF-8 or a control character in the address
>MAIL FROM:<a\xc2\x85b@example.org> SMTPUTF8
<501 5.1.7 Malformed UTF-8 or a control character in the address
>MAIL FROM:<a\x80b@example.org> SMTPUTF8
<501 5.1.7 Malformed UTF-8 or a control character in the address
>MAIL FROM:<a\xc3@example.org> SMTPUTF8
<501 5.1.7 Malformed UTF-8 or a control character in the address
>MAIL FROM:<j\xfcrgen@example.org> SMTPUTF8
<501 5.1.7 Malformed UTF-8 or a control character in the address
# In a quoted local part.
>MAIL FROM:<"a\xc0\xafb"@example.org> SMTPUTF8
<501 5.1.7 Malformed UTF-8 or a control character in the address
# Without the parameter (the word SMTPUTF8 inside a quoted local part is none).
>MAIL FROM:<jörg@example.org>
<550 5.6.7 Non-ASCII address needs the SMTPUTF8 parameter on MAIL
>MAIL FROM:<a\xc0\xafb@example.org>
<550 5.6.7 Non-ASCII address needs the SMTPUTF8 parameter on MAIL
>MAIL FROM:<"jörg SMTPUTF8"@example.org>
<550 5.6.7 Non-ASCII address needs the SMTPUTF8 parameter on MAIL
>MAIL FROM:<alice@example.org> SMTPUTF8
<250 2.1.0 Ok
# The same at RCPT.
>RCPT TO:<"a\xc2\x85"@tttest.com>
<501 5.1.3 Malformed UTF-8 or a control character in the address
>RSET
<250 2.0.0 Ok
>MAIL FROM:<alice@example.org>
<250 2.1.0 Ok
>RCPT TO:<a\xc0\xafb@tttest.com>
<553 5.6.7 Non-ASCII address needs the SMTPUTF8 parameter on MAIL
>QUIT
<221 2.0.0 smtp.tttest.com Bye
