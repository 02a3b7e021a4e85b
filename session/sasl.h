/* sasl.h: SASL decoding for AUTH (RFC 4954): strict base64 and RFC 4616 PLAIN.
 * Session side; the AUTH verb itself is smtp_auth() (session.h). */
#ifndef SASL_H
#define SASL_H

#include <stddef.h>
#include <sys/types.h>

#include "session.h"

/* RFC 4616 2: authzid, authcid and passwd are each at most 255 octets. */
#define SASL_FIELD_MAX 255

/* Strict base64 (RFC 4648 4, padding required, no whitespace) into out.  Returns the
 * decoded length, or -1 when the text is not base64 or does not fit in outsz. */
ssize_t auth_b64decode(const char *in, size_t len, unsigned char *out, size_t outsz);

/* RFC 4616 PLAIN message: [authzid] NUL authcid NUL passwd. */
struct sasl_plain {
	char authzid[SASL_FIELD_MAX + 1];
	char authcid[SASL_FIELD_MAX + 1];
	char passwd[SASL_FIELD_MAX + 1];
};

/* Split a PLAIN message.  Returns 0, or -1 when it does not have exactly that form
 * (two NULs, a non-empty authcid, no field over SASL_FIELD_MAX). */
int auth_plain_parse(const unsigned char *msg, size_t len, struct sasl_plain *out);

#endif
