# NOOP, VRFY, EXPN, HELP, RSET, QUIT, unknown verbs, and arguments where none belong.
<220 smtp.tttest.com ESMTP
>EHLO client.example.org
#include ehlo-reply
>NOOP
<250 2.0.0 Ok
>NOOP anything at all
<250 2.0.0 Ok
# VRFY never tells who exists (RFC 5321 3.5.3): the same 252 for a user and a stranger.
>VRFY test
<252 2.5.2 Cannot VRFY user, but will accept message and attempt delivery
>VRFY nosuchuser
<252 2.5.2 Cannot VRFY user, but will accept message and attempt delivery
>VRFY
<501 5.5.4 Syntax: VRFY <address> [SMTPUTF8]
>EXPN staff
<502 5.5.1 EXPN not implemented
>HELP
<214-2.0.0 smtp-session 0.1.0, RFC 5321
<214-2.0.0 Commands: HELO EHLO MAIL RCPT DATA BDAT RSET NOOP QUIT VRFY EXPN HELP SEND SOML SAML
<214 2.0.0 End of HELP info
>RSET now
<501 5.5.4 Syntax: RSET
>FOO bar
<500 5.5.1 Command unrecognized
>MAILFROM:<a@b>
<500 5.5.1 Command unrecognized
>MAIL FROM:<alice@example.org>
<250 2.1.0 Ok
>RCPT TO:<test@tttest.com>
<250 2.1.5 Ok
>DATA now
<501 5.5.4 Syntax: DATA
>QUIT now
<501 5.5.4 Syntax: QUIT
>QUIT
<221 2.0.0 smtp.tttest.com Bye
