/* users.h: who the users are, and becoming one.  Privileged side: the user database
 * (NSS) is read only by the parent and its children, never by the session. */
#ifndef USERS_H
#define USERS_H

#include <pwd.h>

#include "privsep.h"
#include "config.h"

/* Settles the mode once, before the fork: single-user mode when not run as root or
 * with --user (then drops to that user for good).  Returns 0, or -1 with errno and a
 * reason in *why. */
int users_init(struct config *cfg, const char *as_user, const char **why);

/* Which user receives mail for this local part (already known to be in a local
 * domain)?  On LOOKUP_OK the user's name is in user[USER_NAME_MAX + 1]. */
enum lookup users_lookup(const struct config *cfg, const char *local, char *user);

#endif
