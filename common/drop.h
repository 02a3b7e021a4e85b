/* drop.h: the one way this program gives up root for good (drop.c), for every
 * process that runs as someone else: the session process (the privsep user), a
 * delivery helper and a terminal child (the recipient), the relay command (the relay
 * user), and root's own change to --user.  Both sides. */
#ifndef DROP_H
#define DROP_H

#include <sys/types.h>

/* The supplementary groups a process keeps: the policy is the caller's. */
enum drop_groups {
	DROP_NO_GROUPS,		/* the session process, the relay command: none */
	DROP_PRIMARY_GROUP,	/* a delivery helper: the user's own group only, as
				 * qmail-local does (asuser.c says why) */
	DROP_ALL_GROUPS,	/* a terminal child and --user: the user's groups, as at a
				 * login (initgroups) */
};

/* Become uid and gid (user: the name, for DROP_ALL_GROUPS) for good: the groups first,
 * then the gid, then the uid, all three ids of each (setres[ug]id); then checked
 * (getres[ug]id), and asking for root's ids back must fail.  0, or -1 with errno
 * (EPERM when the check failed). */
int drop_privileges(uid_t uid, gid_t gid, const char *user, enum drop_groups groups);

#endif
