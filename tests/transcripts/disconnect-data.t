# The client vanishes in the middle of DATA: the server ends quietly, exit 0, and
# keeps nothing (the bats test looks at tmp/ and new/).
<220 smtp.tttest.com ESMTP
>EHLO client.example.org
>MAIL FROM:<alice@example.org>
>RCPT TO:<test@tttest.com>
>DATA
#include ehlo-reply
<250 2.1.0 Ok
<250 2.1.5 Ok
<354 End data with <CR><LF>.<CR><LF>
>Subject: cut short
>half a message
#close
