# CHUNKING (RFC 3030): BDAT <size> [LAST].  Exactly <size> octets follow the command
# and are message data: no dot-stuffing, no end line, a "." or a command in them is
# data.  The octets are read even when the BDAT is refused, so they are never taken
# for commands.  CRLF is stored as LF, also when the CR ends one chunk and the LF
# starts the next.  After LAST the one delivery reply, as after DATA.
<220 smtp.tttest.com ESMTP
>EHLO client.example.org
#include ehlo-reply
# Out of sequence: 503 after the 6 octets ("QUIT" CRLF) are read, not run.
>BDAT 6
>QUIT
<503 5.5.1 Need MAIL and RCPT before BDAT
>MAIL FROM:<alice@example.org>
<250 2.1.0 Ok
>RCPT TO:<nosuchuser@tttest.com>
<550 5.1.1 <nosuchuser@tttest.com>: No such user here
>BDAT 6 LAST
>RSET
<503 5.5.1 No valid recipients
>RCPT TO:<test@tttest.com>
<250 2.1.5 Ok
# "Subject: chunks" CRLF CRLF "line" CR: 24 octets, the LF in the next chunk.
>BDAT 24
>Subject: chunks\r\n\r\nline\r\c
<250 2.0.0 24 octets received
# LF "." CRLF ".." CRLF "QUIT" CRLF "end" CRLF: 19 octets.
>BDAT 19
>\n.\r\n..\r\nQUIT\r\nend\r\n\c
<250 2.0.0 19 octets received
# RFC 3030 3: no DATA in a transaction with BDAT; the recipients come first.
>DATA
<503 5.5.1 DATA after BDAT
>RCPT TO:<bob@tttest.com>
<503 5.5.1 RCPT after BDAT
>MAIL FROM:<alice@example.org>
<503 5.5.1 Nested MAIL command
# BDAT 0 LAST ends the message; the keyword in any case.
>BDAT 0 last
<~250 2\.0\.0 Ok: delivered as \S+
# A message in one chunk; BDAT after HELP keeps working; HELP names BDAT.
>MAIL FROM:<> BODY=8BITMIME
<250 2.1.0 Ok
>RCPT TO:<bob@tttest.com>
<250 2.1.5 Ok
>BDAT 29 LAST
>Subject: one chunk\r\n\r\n\xc3\xa9t\xc3\xa9\r\n\c
<~250 2\.0\.0 Ok: delivered as \S+
# A syntax error after a good size: the octets are still read (501), and the
# transaction's message is lost: later chunks get 503 until LAST or RSET.
>MAIL FROM:<alice@example.org>
<250 2.1.0 Ok
>RCPT TO:<alice@tttest.com>
<250 2.1.5 Ok
>BDAT 4 LAS
>RSET\c
<501 5.5.4 Syntax: BDAT <size> [LAST]
>BDAT 4 LAST extra
>RSET\c
<501 5.5.4 Syntax: BDAT <size> [LAST]
>BDAT 6
>QUIT
<503 5.5.1 An earlier BDAT was refused, send RSET
>BDAT 0 LAST
<503 5.5.1 An earlier BDAT was refused, send RSET
# LAST ended the refused transaction: MAIL starts a new one.
>MAIL FROM:<alice@example.org>
<250 2.1.0 Ok
>QUIT
<221 2.0.0 smtp.tttest.com Bye
