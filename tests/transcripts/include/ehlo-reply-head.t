# EHLO's reply with the default options, up to the keywords that depend on --auth and
# on the limits (RFC 9422 LIMITS): the lines every EHLO reply block shares.
<250-smtp.tttest.com
<250-SEND
<250-SOML
<250-SAML
<250-PIPELINING
<250-SIZE 10485760
<250-8BITMIME
<250-SMTPUTF8
<250-CHUNKING
<250-DSN
