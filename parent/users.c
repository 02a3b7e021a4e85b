/* users.c: the user database and uid changes (users.h).  Privileged side. */
#include "users.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "drop.h"
#include "log.h"

/* getpwnam() reports "no such user" as NULL with any of these in errno (getpwnam(3)). */
static bool not_found(int e)
{
	return e == 0 || e == ENOENT || e == ESRCH || e == EBADF || e == EPERM;
}

/* UID_MIN of login.defs(5) ("UID_MIN 1000": a key and a number on a line), else
 * DEFAULT_UID_MIN.  Read once, before the fork. */
static unsigned long read_uid_min(void)
{
	unsigned long v = DEFAULT_UID_MIN, n;
	char line[256], key[16];
	FILE *f = fopen(LOGIN_DEFS, "re");
	if (!f)
		return v;
	/* sscanf() only where the key can be: it costs 40 us a session over the ~300
	 * lines of Debian's file. */
	while (fgets(line, sizeof line, f))
		if (strstr(line, "UID_MIN") &&
		    sscanf(line, " %15s %lu", key, &n) == 2 && strcmp(key, "UID_MIN") == 0)
			v = n;
	fclose(f);
	return v;
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
		if (geteuid() == 0 && pw->pw_uid != 0 &&
		    drop_privileges(pw->pw_uid, pw->pw_gid, pw->pw_name, DROP_ALL_GROUPS) == -1)
			return *why = "--user: cannot change to that user", -1;
		if (geteuid() != pw->pw_uid)
			return *why = "--user: not running as that user", errno = EPERM, -1;
	} else if (geteuid() == 0) {
		if (cfg->maildir[0] == '/')
			return *why = "an absolute --maildir needs single-user mode (--user)",
			       errno = EINVAL, -1;
		cfg->uid_min = read_uid_min();
		return 0;
	} else if (!(pw = getpwuid(geteuid()))) {
		return *why = "the user running this program has no passwd entry",
		       errno = errno ? errno : ENOENT, -1;
	}
	cfg->single = true;
	if (cfg->aliases_default)	/* the system's aliases name the system's users */
		cfg->aliases = NULL;
	cfg->user = strdup(pw->pw_name);
	cfg->home = strdup(pw->pw_dir);
	if (!cfg->user || !cfg->home)
		return *why = "out of memory", errno = ENOMEM, -1;
	return 0;
}

/* Does pw receive mail here?  qmail-getpw's and qmail-local's rules: a person's
 * account (uid >= UID_MIN) whose home is a directory it owns (else no such user; a
 * missing home too), which neither its group nor others may write (else the mail
 * waits: 451, as qmail-local defers it, until the owner or the admin mends it).  Mail
 * never goes where another user could reach into it.  The home is looked at with
 * AT_STATX_DONT_SYNC: its parents are root's, but the home itself may be a file
 * system its owner mounted (FUSE), whose daemon must not be asked and make root wait. */
static enum lookup receiver(const struct config *cfg, const struct passwd *pw, char *user)
{
	struct statx st;
	const char *why = NULL;
	enum lookup r = LOOKUP_NOUSER;
	if (pw->pw_uid < cfg->uid_min)
		why = "is a system account (uid below UID_MIN)";
	else if (statx(AT_FDCWD, pw->pw_dir, AT_STATX_DONT_SYNC, STATX_TYPE | STATX_MODE |
		       STATX_UID, &st) == -1)
		why = errno == ENOENT || errno == ENOTDIR ? "has no home directory"
			: (r = LOOKUP_TEMPFAIL, "has a home that cannot be looked at");
	else if (!S_ISDIR(st.stx_mode))
		why = "has a home that is not a directory";
	else if (st.stx_uid != pw->pw_uid)
		why = "does not own its home";
	else if (st.stx_mode & (S_IWGRP | S_IWOTH))
		why = (r = LOOKUP_TEMPFAIL, "has a home that its group or others may write");
	if (why) {
		log_bulk_msg(LOG_WARNING, "mail for %s refused: the account %s", pw->pw_name, why);
		return r;
	}
	snprintf(user, USER_NAME_MAX + 1, "%s", pw->pw_name);
	return LOOKUP_OK;
}

/* RFC 5321 4.5.1: postmaster must be accepted; it, root and the system accounts get
 * the mail of --postmaster, a person (receiver()).  Without one they are refused,
 * and a misconfigured one makes the mail wait (451) until it is mended. */
static enum lookup postmaster(const struct config *cfg, const char *name, char *user)
{
	if (!cfg->postmaster) {
		log_bulk_msg(LOG_WARNING, "mail for %s refused: postmaster, root and system "
			     "accounts receive mail only with --postmaster USER", name);
		return LOOKUP_NOPOSTMASTER;
	}
	errno = 0;
	struct passwd *pw = getpwnam(cfg->postmaster);
	if (!pw) {
		if (not_found(errno))
			log_bulk_msg(LOG_ERR, "--postmaster %s: no such user", cfg->postmaster);
		return LOOKUP_TEMPFAIL;
	}
	enum lookup r = receiver(cfg, pw, user);
	if (r != LOOKUP_OK)
		log_bulk_msg(LOG_ERR, "--postmaster %s cannot receive mail (see above)",
			     cfg->postmaster);
	return r == LOOKUP_OK ? r : LOOKUP_TEMPFAIL;
}

enum lookup users_lookup(const struct config *cfg, const char *local, char *user)
{
	char name[LOCAL_PART_MAX + 1];
	size_t i;
	for (i = 0; local[i] && i < LOCAL_PART_MAX; i++)
		name[i] = (char)tolower((unsigned char)local[i]);
	name[i] = '\0';
	bool pm = strcmp(name, "postmaster") == 0;
	if (cfg->single) {	/* postmaster means the one user */
		if (!pm && strcmp(name, cfg->user) != 0)
			return LOOKUP_NOUSER;
		snprintf(user, USER_NAME_MAX + 1, "%s", cfg->user);
		return LOOKUP_OK;
	}
	if (pm)
		return postmaster(cfg, name, user);
	errno = 0;
	struct passwd *pw = getpwnam(name);
	if (!pw)
		return not_found(errno) ? LOOKUP_NOUSER : LOOKUP_TEMPFAIL;
	if (pw->pw_uid < cfg->uid_min)	/* root, daemon, postgres...: postmaster's */
		return postmaster(cfg, name, user);
	return receiver(cfg, pw, user);
}
