# SMTPUTF8 (RFC 6531): with the MAIL parameter, UTF-8 in local parts and domains; the
# message and its UTF-8 header fields as sent; the Received line says UTF8SMTP.  A
# UTF-8 local part matches a user name byte for byte (the fake user jürgen).  Replies
# stay ASCII: an address is shown with RFC 6533's \x{HEX}.
<220 smtp.tttest.com ESMTP
>EHLO client.example.org
#include ehlo-reply
>MAIL FROM:<jörg@bücher.example> SMTPUTF8
<250 2.1.0 Ok
>RCPT TO:<jürgen@tttest.com>
<250 2.1.5 Ok
>RCPT TO:<"jü rgen"@tttest.com>
<550 5.1.1 <"j\x{FC} rgen"@tttest.com>: No such user here
>RCPT TO:<müller@tttest.com>
<550 5.1.1 <m\x{FC}ller@tttest.com>: No such user here
# No Unicode case folding: only ASCII letters are lowercased before the lookup.
>RCPT TO:<JÜRGEN@tttest.com>
<550 5.1.1 <J\x{DC}RGEN@tttest.com>: No such user here
>RCPT TO:<jürgen@bücher.example>
<550 5.7.1 <j\x{FC}rgen@b\x{FC}cher.example>: Relay access denied
>DATA
<354 End data with <CR><LF>.<CR><LF>
>From: Jörg <jörg@bücher.example>
>To: Jürgen <jürgen@tttest.com>
>Subject: Grüße, 你好
>
>Straße
>.
<~250 2\.0\.0 Ok: delivered as \S+
# A second transaction without the parameter: non-ASCII is refused again (RFC 6531
# 3.5: 553 at RCPT), ASCII goes through as ESMTP.
>MAIL FROM:<alice@example.org>
<250 2.1.0 Ok
>RCPT TO:<jürgen@tttest.com>
<553 5.6.7 Non-ASCII address needs the SMTPUTF8 parameter on MAIL
>RCPT TO:<test@tttest.com>
<250 2.1.5 Ok
>RSET
<250 2.0.0 Ok
# The parameter is case-insensitive; the MAIL line may be 10 octets longer (RFC 6531
# 3.1 item 5): 522 octets here, CRLF included.
>MAIL FROM:<aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa@aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.example> SIZE=100000 BODY=8BITMIME AUTH=<>                                                                                                                                                                                                                          smtputf8
<250 2.1.0 Ok
>RSET
<250 2.0.0 Ok
# 624 octets with CRLF: over the 622 a MAIL line may have with SMTPUTF8 and with
# DSN's RET and ENVID (RFC 3461 5).
>MAIL FROM:<aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa@aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.example> SIZE=100000 BODY=8BITMIME AUTH=<>                                                                                                                                                                                                                                                                                                                               smtputf8
<500 5.5.2 Line too long (over 512 octets)
>RSET
<250 2.0.0 Ok
# UTF-8 does not make other syntax right.
>MAIL FROM:<jörg@bücher..example> SMTPUTF8
<501 5.1.7 Syntax: MAIL FROM:<address>
>MAIL FROM:<jörg.@bücher.example> SMTPUTF8
<501 5.1.7 Syntax: MAIL FROM:<address>
# VRFY and EXPN take the parameter too (RFC 6531 3.7.4.2); their strings may hold
# UTF-8 either way, but well-formed.
>VRFY jürgen SMTPUTF8
<252 2.5.2 Cannot VRFY user, but will accept message and attempt delivery
>VRFY jürgen
<252 2.5.2 Cannot VRFY user, but will accept message and attempt delivery
>VRFY j\xfcrgen SMTPUTF8
<501 5.5.4 Malformed UTF-8 in VRFY
>VRFY SMTPUTF8
<252 2.5.2 Cannot VRFY user, but will accept message and attempt delivery
>EXPN staff SMTPUTF8
<502 5.5.1 EXPN not implemented
>EXPN st\xc0\xafff
<501 5.5.4 Malformed UTF-8 in EXPN
>QUIT
<221 2.0.0 smtp.tttest.com Bye
