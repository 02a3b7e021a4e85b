/* users.c: the user database and uid changes (users.h).  Privileged side. */
#include "users.h"

#include <ctype.h>
#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>


/* getpwnam() reports "no such user" as NULL with any of these in errno (getpwnam(3)). */
static bool not_found(int e)
{
	return e == 0 || e == ENOENT || e == ESRCH || e == EBADF || e == EPERM;
}

int users_become(const struct passwd *pw)
{
	if (initgroups(pw->pw_name, pw->pw_gid) == -1 || setgid(pw->pw_gid) == -1 ||
	    setuid(pw->pw_uid) == -1)
		return -1;
	/* setuid() as root set all three uids; prove that no way back is left. */
	if (pw->pw_uid != 0 && setuid(0) != -1)
		return errno = EPERM, -1;
	return 0;
}

int users_init(struct config *cfg, const char *as_user, const char **why)
{
	struct passwd *pw;
	errno = 0;
	if (as_user) {
		pw = getpwnam(as_user);
		if (!pw)
			return *why = "--user: no such user", errno = errno ? errno : ENOENT, -1;
		/* Root becomes another user for good.  --user root needs no change, and
		 * skipping it spares initgroups(), which loads every NSS group module
		 * (libnss_systemd and its libraries) into a process that never needs it. */
		if (geteuid() == 0 && pw->pw_uid != 0 && users_become(pw) == -1)
			return *why = "--user: cannot change to that user", -1;
		if (geteuid() != pw->pw_uid)
			return *why = "--user: not running as that user", errno = EPERM, -1;
	} else if (geteuid() == 0) {
		if (cfg->maildir[0] == '/')
			return *why = "an absolute --maildir needs single-user mode (--user)",
			       errno = EINVAL, -1;
		return 0;
	} else if (!(pw = getpwuid(geteuid()))) {
		return *why = "the user running this program has no passwd entry",
		       errno = errno ? errno : ENOENT, -1;
	}
	cfg->single = true;
	cfg->user = strdup(pw->pw_name);
	cfg->home = strdup(pw->pw_dir);
	if (!cfg->user || !cfg->home)
		return *why = "out of memory", errno = ENOMEM, -1;
	return 0;
}

enum lookup users_lookup(const struct config *cfg, const char *local, char *user)
{
	char name[LOCAL_PART_MAX + 1];
	size_t i;
	for (i = 0; local[i] && i < LOCAL_PART_MAX; i++)
		name[i] = (char)tolower((unsigned char)local[i]);
	name[i] = '\0';
	/* RFC 5321 4.5.1: postmaster is always accepted. */
	bool pm = strcmp(name, "postmaster") == 0;
	if (cfg->single) {
		if (!pm && strcmp(name, cfg->user) != 0)
			return LOOKUP_NOUSER;
		snprintf(user, USER_NAME_MAX + 1, "%s", cfg->user);
		return LOOKUP_OK;
	}
	errno = 0;
	struct passwd *pw = getpwnam(pm ? cfg->postmaster : name);
	if (!pw)
		return not_found(errno) && !pm ? LOOKUP_NOUSER : LOOKUP_TEMPFAIL;
	snprintf(user, USER_NAME_MAX + 1, "%s", pw->pw_name);
	return LOOKUP_OK;
}
