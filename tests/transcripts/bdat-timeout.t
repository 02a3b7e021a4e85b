# The idle timeout covers a stalled chunk (RFC 5321 4.5.3.2): 421, the message dropped.
#! --timeout 1
<220 smtp.tttest.com ESMTP
>EHLO client.example.org
>MAIL FROM:<alice@example.org>
>RCPT TO:<test@tttest.com>
>BDAT 100 LAST
>Subject: never finished\c
#include ehlo-reply
<250 2.1.0 Ok
<250 2.1.5 Ok
<421 4.4.2 smtp.tttest.com Timeout, closing connection
