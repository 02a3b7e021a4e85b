# --session-timeout: the whole session lasts at most that long, however busy the
# client keeps it (each NOOP comes well within --timeout): 421 (4.4.2 after EHLO) and the end.
#! --session-timeout 1 --timeout 5
<220 smtp.tttest.com ESMTP
>NOOP
<250 Ok
#sleep 0.4
>NOOP
<250 Ok
#sleep 0.4
>NOOP
<250 Ok
#sleep 0.4
<421 smtp.tttest.com Session time limit reached, closing connection
