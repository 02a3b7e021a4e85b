# AUTH LOGIN: the "Username:" / "Password:" dialogue in base64, and with the user
# name as initial response.
#! --auth always --auth-delay 0
<220 smtp.tttest.com ESMTP
>EHLO client.example.org
#include ehlo-reply-auth
>AUTH LOGIN
<334 VXNlcm5hbWU6
>YWxpY2U=
<334 UGFzc3dvcmQ6
>d3Jvbmc=
<535 5.7.8 Authentication credentials invalid
>auth login YWxpY2U=
<334 UGFzc3dvcmQ6
>c2VjcmV0
<235 2.7.0 Authentication successful
>QUIT
<221 2.0.0 smtp.tttest.com Bye
