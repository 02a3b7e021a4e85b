/* tty.h: sending (RFC 821 3.4): a message written onto a logged-in user's terminal,
 * the way write(1) does it, for SEND, SOML and SAML.  Privileged side: tty_check() and
 * tty_write() serve priv_tty_check() and priv_tty_write() (privsep.h PS_TTY_CHECK and
 * PS_TTY_WRITE).  They find the user's terminal in utmp and open and write it as that
 * user, never as root.  The text was made safe by the session (render.h).
 */
#ifndef TTY_H
#define TTY_H

#include <stddef.h>

#include "privsep.h"

void tty_check(const struct config *cfg, const char *const *users, size_t n,
	       struct tty_status *status);
void tty_write(const struct config *cfg, const char *const *users, size_t n,
	       const char *text, size_t len, struct tty_status *status);

#endif
