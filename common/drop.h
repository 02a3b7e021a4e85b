/* drop.h: the one way this program gives up root for good (drop.c), for every
 * process that runs as someone else: the session process (the privsep user), a
 * delivery helper and a terminal child (the recipient), the relay command (the relay
 * user), and root's own change to --user; and an mbox delivery helper's variant that
 * keeps one group as its saved gid.  Both sides. */
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

/* The same with DROP_PRIMARY_GROUP, but keeping the group keep (never 0) as the saved
 * gid only: neither a supplementary group nor the real or effective gid, so no file
 * access uses it until the process itself makes it its effective gid for a moment
 * (setresgid(-1, keep, -1), and back to gid).  A delivery helper of --mailbox mbox
 * keeps --mbox-dir's group this way (parent/asuser.c says why).  The user cannot
 * ptrace the process meanwhile: Linux lets a process without CAP_SYS_PTRACE trace
 * only a target whose real, effective and saved gids all equal its own
 * (__ptrace_may_access in Linux's kernel/ptrace.c), and the saved gid differs. */
int drop_privileges_keeping(uid_t uid, gid_t gid, gid_t keep);

#endif
