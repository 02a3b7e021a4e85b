# A BDAT whose size cannot be read: nobody knows where its data ends, so what follows
# can be neither read as data nor trusted as commands.  501, then 421 and the
# connection is closed (as Postfix does); the MAIL after it is never run.
<220 smtp.tttest.com ESMTP
>EHLO client.example.org
#include ehlo-reply
>BDAT x
>MAIL FROM:<alice@example.org>
<501 5.5.4 Syntax: BDAT <size> [LAST]
<421 4.5.0 smtp.tttest.com Cannot tell where the BDAT data ends, closing connection
