# LIMITS (RFC 9422): EHLO says MAILMAX=<--max-messages>; every MAIL (or SEND, SOML,
# SAML) accepted counts, delivered or not; the one after the last gets 421 and the
# connection is closed.  RCPTMAX is --max-recipients (max-recipients.t).
#! --max-messages 2
<220 smtp.tttest.com ESMTP
>EHLO client.example.org
#include ehlo-reply-head
<250-LIMITS RCPTMAX=100 MAILMAX=2
<250 ENHANCEDSTATUSCODES
>MAIL FROM:<alice@example.org>
<250 2.1.0 Ok
>RCPT TO:<test@tttest.com>
<250 2.1.5 Ok
>BDAT 12 LAST
>Subject: one\c
<~250 2\.0\.0 Ok: delivered as \S+
# A refused MAIL does not count; an accepted one that is reset does.
>MAIL FROM:<alice@example.org> SIZE=x
<501 5.5.4 Syntax: SIZE=<octets>
>SAML FROM:<alice@example.org>
<250 2.1.0 Ok
>RSET
<250 2.0.0 Ok
>MAIL FROM:<alice@example.org>
>RCPT TO:<test@tttest.com>
<421 4.7.0 smtp.tttest.com Too many messages in one connection, closing connection
