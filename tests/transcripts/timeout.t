# RFC 5321 4.5.3.2: a silent client gets 421 after --timeout seconds; exit status 0.
#! --timeout 1
<220 smtp.tttest.com ESMTP
>EHLO client.example.org
<250-smtp.tttest.com
<250-SEND
<250-SOML
<250-SAML
<250-PIPELINING
<250-SIZE 10485760
<250-8BITMIME
<250 ENHANCEDSTATUSCODES
<421 4.4.2 smtp.tttest.com Timeout, closing connection
