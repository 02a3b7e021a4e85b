# --send auth (the default): a client that is no loopback client (a pipe here) may
# write on terminals once it has authenticated.  Nobody is logged in, so the RCPT
# of the SEND gets 450 4.2.1: the SEND itself was accepted.
#! --auth always --auth-delay 0 --utmp /dev/null
<220 smtp.tttest.com ESMTP
>EHLO client.example.org
#include ehlo-reply-auth
>SEND FROM:<alice@tttest.com>
<530 5.7.0 Authentication required to send to a terminal
>AUTH PLAIN AGFsaWNlAHNlY3JldA==
<235 2.7.0 Authentication successful
>SEND FROM:<alice@tttest.com>
<250 2.1.0 Ok
>RCPT TO:<test@tttest.com>
<450 4.2.1 <test@tttest.com>: User not active now
>QUIT
<221 2.0.0 smtp.tttest.com Bye
