# --no-send: SEND, SOML and SAML are turned off: not in EHLO or HELP (RFC 5321
# Appendix F.6 asks to list them only when they are implemented), and 502 whenever
# they are used (RFC 5321 4.2.4).  MAIL is unchanged.
#! --no-send
<220 smtp.tttest.com ESMTP
>SEND FROM:<alice@example.org>
<502 SEND not implemented
>EHLO client.example.org
<250-smtp.tttest.com
<250-PIPELINING
<250-SIZE 10485760
<250-8BITMIME
<250-SMTPUTF8
<250-CHUNKING
<250-DSN
<250-LIMITS RCPTMAX=100 MAILMAX=100
<250 ENHANCEDSTATUSCODES
>HELP
<214-2.0.0 smtp-session 0.1.0, RFC 5321
<214-2.0.0 Commands: HELO EHLO MAIL RCPT DATA BDAT RSET NOOP QUIT VRFY EXPN HELP
<214 2.0.0 End of HELP info
>SEND FROM:<alice@example.org>
<502 5.5.1 SEND not implemented
>SOML FROM:<alice@example.org>
<502 5.5.1 SOML not implemented
>saml FROM:<alice@example.org>
<502 5.5.1 SAML not implemented
>MAIL FROM:<alice@example.org>
<250 2.1.0 Ok
>SEND FROM:<alice@example.org>
<502 5.5.1 SEND not implemented
>RCPT TO:<test@tttest.com>
<250 2.1.5 Ok
>DATA
<354 End data with <CR><LF>.<CR><LF>
>Subject: mail still works
>
>hello
>.
<~250 2\.0\.0 Ok: delivered as [0-9A-F]+\.[0-9A-F]+\.1
>QUIT
<221 2.0.0 smtp.tttest.com Bye
