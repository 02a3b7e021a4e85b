# EHLO's reply with the default options (RFC 5321 4.1.1.1, multi-line 250).
# transcripts/ehlo.t spells it out line by line.
#include ehlo-reply-head
<250-LIMITS RCPTMAX=100 MAILMAX=100
<250 ENHANCEDSTATUSCODES
