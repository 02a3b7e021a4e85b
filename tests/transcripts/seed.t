# The transcript from the system's original description (../shared/seed), reply for
# reply: HELO, MAIL and RCPT with a space after the colon, DATA, QUIT.
<220 smtp.tttest.com ESMTP
>HELO mail.tttest.com
<250 smtp.tttest.com
>MAIL From: <admin@tttest.com>
<250 Ok
>RCPT To: <test@tttest.com>
<250 Ok
>DATA
<354 End data with <CR><LF>.<CR><LF>
>From: Michael
>Subject: SMTP demo
>This is line one.
>This is line two.
>.
<~250 Ok: delivered as [0-9A-F]+\.[0-9A-F]+\.1
>QUIT
<221 smtp.tttest.com Bye
