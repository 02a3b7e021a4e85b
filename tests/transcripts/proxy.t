# --proxy: a PROXY protocol header (version 1) before the greeting names the client;
# the dialogue is the same.  (tests/proxy.bats covers version 2, health checks, bad
# headers and a real HAProxy.)
#! --proxy
>PROXY TCP4 192.0.2.7 127.0.0.1 40000 25
<220 smtp.tttest.com ESMTP
>EHLO client.example.org
#include ehlo-reply
>QUIT
<221 2.0.0 smtp.tttest.com Bye
