# HELO (plain SMTP): no enhanced status codes in the replies (RFC 2034 3).
<220 smtp.tttest.com ESMTP
>HELO client.example.org
<250 smtp.tttest.com
>MAIL FROM:<>
<250 Ok
>RCPT TO:<nosuchuser@tttest.com>
<550 <nosuchuser@tttest.com>: No such user here
>RSET
<250 Ok
>QUIT
<221 smtp.tttest.com Bye
