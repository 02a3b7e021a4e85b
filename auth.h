/* auth.h: SMTP AUTH (RFC 4954).  SASL decoding for the dialogue (no privilege needed),
 * and the PAM check that priv.c runs on the privileged side. */
#ifndef AUTH_H
#define AUTH_H

#include <stddef.h>
#include <sys/types.h>

#include "priv.h"

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

/* Check user/password with PAM (service; rhost may be NULL).  On success the user name
 * PAM settled on (modules may map it) is copied to canon[USER_NAME_MAX + 1]. */
enum authn auth_pam(const char *service, const char *user, const char *pass,
		    const char *rhost, char *canon);

#endif
