# Found by the fuzzer (CI, make check): "AUTH LOGIN =" is an empty user name, which
# reached PAM.  An empty LOGIN user name, as initial response or as answer, is a
# malformed response (501 5.5.2), never a PAM call.
#! --auth always --auth-delay 0
<220 smtp.tttest.com ESMTP
>EHLO client.example.org
#include ehlo-reply-auth
>auth login =
<501 5.5.2 Invalid user name
>AUTH LOGIN
<334 VXNlcm5hbWU6
>
<501 5.5.2 Invalid user name
>AUTH LOGIN YWxpY2U=
<334 UGFzc3dvcmQ6
>c2VjcmV0
<235 2.7.0 Authentication successful
>QUIT
<221 2.0.0 smtp.tttest.com Bye
