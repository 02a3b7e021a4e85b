# EHLO's reply where AUTH is offered (--auth always, or a loopback client).
#include ehlo-reply-head
<250-AUTH PLAIN LOGIN
<250-LIMITS RCPTMAX=100 MAILMAX=100
<250 ENHANCEDSTATUSCODES
