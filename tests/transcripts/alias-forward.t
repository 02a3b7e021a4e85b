# aliases(5) forwarding (issue 13): an alias whose targets are all remote is 251 with
# the first of them (RFC 5321 3.4: "User not local; will forward"), one with a local
# user among its targets 250.  relay.bats's smtp-aliases wrapper passes --aliases with
#   fwd: x@remote.example
#   mix: test, y@remote.example
<220 smtp.tttest.com ESMTP
>EHLO client.example.org
#include ehlo-reply
>MAIL FROM:<someone@example.org>
<250 2.1.0 Ok
>RCPT TO:<fwd@tttest.com>
<251 2.1.5 User not local; will forward to <x@remote.example>
>RCPT TO:<mix@tttest.com>
<250 2.1.5 Ok
>RCPT TO:<x@remote.example>
<550 5.7.1 <x@remote.example>: Relay access denied
>QUIT
<221 2.0.0 smtp.tttest.com Bye
