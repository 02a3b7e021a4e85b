# EHLO's reply with the default options (RFC 5321 4.1.1.1, multi-line 250).
# transcripts/ehlo.t spells it out line by line.
<250-smtp.tttest.com
<250-SEND
<250-SOML
<250-SAML
<250-PIPELINING
<250-SIZE 10485760
<250-8BITMIME
<250-SMTPUTF8
<250-CHUNKING
<250-LIMITS RCPTMAX=100 MAILMAX=100
<250 ENHANCEDSTATUSCODES
