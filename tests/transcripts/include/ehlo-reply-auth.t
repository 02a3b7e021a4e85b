# EHLO's reply where AUTH is offered (--auth always, or a loopback client).
<250-smtp.tttest.com
<250-SEND
<250-SOML
<250-SAML
<250-PIPELINING
<250-SIZE 10485760
<250-8BITMIME
<250-AUTH PLAIN LOGIN
<250 ENHANCEDSTATUSCODES
