/* auth.h: the PAM check behind priv_auth().  Privileged side. */
#ifndef AUTH_H
#define AUTH_H

#include "privsep.h"

/* Check user/password with PAM (service; rhost may be NULL).  On success the user name
 * PAM settled on (modules may map it) is copied to canon[USER_NAME_MAX + 1]. */
enum authn auth_pam(const char *service, const char *user, const char *pass,
		    const char *rhost, char *canon);

#endif
