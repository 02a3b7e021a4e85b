/* drop.c: giving up root for good (drop.h), in the order that works: supplementary
 * groups and the gid while still root, the uid last, as OpenSSH's permanently_set_uid()
 * and qmail's prot.c do; then checked, because a drop that can be undone is none. */
#include "drop.h"

#include <errno.h>
#include <grp.h>
#include <unistd.h>

/* The groups as asked, the gids (saved: sgid), the uid; checked. */
static int drop(uid_t uid, gid_t gid, gid_t sgid, const char *user,
		enum drop_groups groups)
{
	int rc;
	switch (groups) {
	case DROP_NO_GROUPS:
		rc = setgroups(0, NULL);
		break;
	case DROP_PRIMARY_GROUP:
		rc = setgroups(1, &gid);
		break;
	default:
		rc = initgroups(user, gid);
		break;
	}
	if (rc == -1 || setresgid(gid, gid, sgid) == -1 || setresuid(uid, uid, uid) == -1)
		return -1;
	uid_t ru, eu, su;
	gid_t rg, eg, sg;
	if (getresuid(&ru, &eu, &su) == -1 || getresgid(&rg, &eg, &sg) == -1)
		return -1;
	if (ru != uid || eu != uid || su != uid || rg != gid || eg != gid || sg != sgid)
		return errno = EPERM, -1;
	/* No way back: as anyone but root, root's ids can no longer be had. */
	if (uid != 0 && (setuid(0) != -1 || (gid != 0 && setgid(0) != -1)))
		return errno = EPERM, -1;
	return 0;
}

int drop_privileges(uid_t uid, gid_t gid, const char *user, enum drop_groups groups)
{
	return drop(uid, gid, gid, user, groups);
}

int drop_privileges_keeping(uid_t uid, gid_t gid, gid_t keep)
{
	if (keep == 0 || keep == (gid_t)-1)	/* group root never; -1 means "no change" */
		return errno = EINVAL, -1;
	return drop(uid, gid, keep, NULL, DROP_PRIMARY_GROUP);
}
