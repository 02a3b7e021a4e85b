# RFC 5321 4.5.3.2: a command line must be complete within --timeout of its first
# byte.  One byte every 0.6 s keeps the connection busy but never finishes a line in
# the 1 s allowed: 421 after the first second of the line, not never.
#! --timeout 1
<220 smtp.tttest.com ESMTP
>N\c
#sleep 0.6
>O\c
#sleep 0.6
>O\c
#sleep 0.6
>P
<421 smtp.tttest.com Timeout, closing connection
