/* sandbox.h: confining the session process (privsep.h).  It runs in the child right
 * after the fork, before a byte is read from the client: the last code of the session
 * process that may run as root. */
#ifndef SANDBOX_H
#define SANDBOX_H

#include <pwd.h>

/* Confine this process for good.  pw is the --privsep-user to become (as root), or
 * NULL (single-user mode: no uid to change, no chroot to make).  As root: dir (the
 * --privsep-dir, which must be empty, root's and writable by nobody else; where it
 * does not exist, a fresh directory made and removed at once) as the root (chroot),
 * the groups and uids of pw (all three, checked), and no way back.  Always: no_new_privs, no core dumps, at most
 * SESSION_NOFILE descriptors, death with the parent, and the seccomp allow-list.
 * Returns 0, or -1 with errno and the step that failed in *why. */
int sandbox_enter(const struct passwd *pw, const char *dir, const char **why);

#endif
