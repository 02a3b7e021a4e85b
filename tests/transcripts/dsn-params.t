# DSN (RFC 3461): RET and ENVID on MAIL, NOTIFY and ORCPT on RCPT, their xtext, each
# once; 501 5.5.4 for a malformed one, 555 5.5.4 for another parameter.  With SMTPUTF8
# ORCPT takes type utf-8 with UTF-8 as it is (RFC 6533 3); without, only \x{} escapes.
#! --max-errors 50
<220 smtp.tttest.com ESMTP
>EHLO client.example.org
#include ehlo-reply
>MAIL FROM:<alice@example.org> RET=HDRS ENVID=QQ314159
<250 2.1.0 Ok
>RCPT TO:<bob@tttest.com> NOTIFY=SUCCESS,FAILURE ORCPT=rfc822;bob+40tttest.com
<250 2.1.5 Ok
>RCPT TO:<test@tttest.com> notify=never
<250 2.1.5 Ok
>RSET
<250 2.0.0 Ok
>MAIL FROM:<alice@example.org> ret=full envid=a+2Bb
<250 2.1.0 Ok
>RCPT TO:<bob@tttest.com> NOTIFY=NEVER,SUCCESS
<501 5.5.4 Syntax: NOTIFY=NEVER or NOTIFY=SUCCESS,FAILURE,DELAY (RFC 3461 4.1)
>RCPT TO:<bob@tttest.com> NOTIFY=SUCCESS,SUCCESS
<501 5.5.4 Syntax: NOTIFY=NEVER or NOTIFY=SUCCESS,FAILURE,DELAY (RFC 3461 4.1)
>RCPT TO:<bob@tttest.com> NOTIFY=SUCCESS,
<501 5.5.4 Syntax: NOTIFY=NEVER or NOTIFY=SUCCESS,FAILURE,DELAY (RFC 3461 4.1)
>RCPT TO:<bob@tttest.com> NOTIFY=
<501 5.5.4 Syntax: NOTIFY=NEVER or NOTIFY=SUCCESS,FAILURE,DELAY (RFC 3461 4.1)
>RCPT TO:<bob@tttest.com> NOTIFY=SOMETIMES
<501 5.5.4 Syntax: NOTIFY=NEVER or NOTIFY=SUCCESS,FAILURE,DELAY (RFC 3461 4.1)
>RCPT TO:<bob@tttest.com> NOTIFY=DELAY NOTIFY=DELAY
<501 5.5.4 Syntax: NOTIFY=NEVER or NOTIFY=SUCCESS,FAILURE,DELAY (RFC 3461 4.1)
>RCPT TO:<bob@tttest.com> ORCPT=bob@tttest.com
<501 5.5.4 Syntax: ORCPT=<addr-type>;<xtext> (RFC 3461 4.2)
>RCPT TO:<bob@tttest.com> ORCPT=rfc822;bob+4
<501 5.5.4 Syntax: ORCPT=<addr-type>;<xtext> (RFC 3461 4.2)
>RCPT TO:<bob@tttest.com> ORCPT=rfc822;a+0Ab
<501 5.5.4 Syntax: ORCPT=<addr-type>;<xtext> (RFC 3461 4.2)
>RCPT TO:<bob@tttest.com> ORCPT=rfc822;
<501 5.5.4 Syntax: ORCPT=<addr-type>;<xtext> (RFC 3461 4.2)
>RCPT TO:<bob@tttest.com> ORCPT=rfc822;a@b ORCPT=rfc822;a@b
<501 5.5.4 Syntax: ORCPT=<addr-type>;<xtext>
>RCPT TO:<bob@tttest.com> ORCPT=utf-8;b\\x{E9}b@tttest.com
<250 2.1.5 Ok
>RCPT TO:<test@tttest.com> ORCPT=utf-8;bébé@tttest.com
<501 5.5.4 Syntax: ORCPT=<addr-type>;<xtext> (RFC 3461 4.2)
>RCPT TO:<test@tttest.com> ORCPT=rfc822;aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa
<501 5.5.4 ORCPT too long (RFC 3461 4.2: 500 characters)
>RCPT TO:<test@tttest.com> FOO=bar
<555 5.5.4 Unsupported RCPT parameter
>RCPT TO:<test@tttest.com>NOTIFY=NEVER
<501 5.5.4 Syntax: RCPT TO:<address> [parameters]
>RSET
<250 2.0.0 Ok
>MAIL FROM:<alice@example.org> RET=ALL
<501 5.5.4 Syntax: RET=FULL or RET=HDRS
>MAIL FROM:<alice@example.org> RET=FULL RET=HDRS
<501 5.5.4 Syntax: RET=FULL or RET=HDRS
>MAIL FROM:<alice@example.org> ENVID=
<501 5.5.4 Syntax: ENVID=<xtext> (RFC 3461 4)
>MAIL FROM:<alice@example.org> ENVID=a=b
<501 5.5.4 Syntax: ENVID=<xtext> (RFC 3461 4)
>MAIL FROM:<alice@example.org> ENVID=a+0Db
<501 5.5.4 Syntax: ENVID=<xtext> (RFC 3461 4)
>MAIL FROM:<alice@example.org> ENVID=a ENVID=b
<501 5.5.4 Syntax: ENVID=<xtext>
>MAIL FROM:<alice@example.org> ENVID=EEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEE
<501 5.5.4 ENVID too long (RFC 3461 4.4: 100 characters)
>MAIL FROM:<alice@example.org> SMTPUTF8 ENVID=EEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEE
<250 2.1.0 Ok
>RCPT TO:<test@tttest.com> ORCPT=utf-8;bébé@tttest.com NOTIFY=SUCCESS
<250 2.1.5 Ok
>RCPT TO:<bob@tttest.com> ORCPT=UTF-8;b\\x{D800}b@tttest.com
<501 5.5.4 Syntax: ORCPT=<addr-type>;<xtext> (RFC 3461 4.2)
>QUIT
<221 2.0.0 smtp.tttest.com Bye
