#!/usr/bin/env python3
"""dsnreport.py FILE: a delivery status notification (RFC 3464, in RFC 6522's
multipart/report) read with Python's email package, as every MUA and list manager
reads it, printed one fact a line: the container, each part's type, the per-message
and per-recipient fields of the message/delivery-status part, and the quoted
message's Subject and body (or "no body")."""
import email
import email.policy
import sys

m = email.message_from_binary_file(open(sys.argv[1], "rb"), policy=email.policy.default)
print("type", m.get_content_type(), "report-type", m.get_param("report-type"))
print("to", m["To"])
for part in m.iter_parts():
    ct = part.get_content_type()
    print("part", ct)
    if ct == "message/delivery-status":
        blocks = part.get_payload()
        for k, v in blocks[0].items():
            print("message", k + ":", v)
        for b in blocks[1:]:
            print("recipient", "; ".join(k + ": " + str(v) for k, v in b.items()))
    elif ct == "message/rfc822":
        inner = part.get_payload()[0]
        print("quoted subject", inner["Subject"])
        print("quoted body", inner.get_payload().strip())
    elif ct == "text/rfc822-headers":
        text = part.get_payload()
        print("quoted headers", "Subject: " + text.split("Subject: ", 1)[1].split("\n")[0]
              if "Subject: " in text else "none")
