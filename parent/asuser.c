/* asuser.c: a child process that does one job as one user, under a deadline
 * (asuser.h).  Privileged side. */
#include "asuser.h"

#include <errno.h>
#include <grp.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "drop.h"
#include "log.h"
#include "users.h"

/* Descriptors of ours that no child may keep (configuration of this process, not
 * session state): the link to the session process, the sockets of the delivery
 * helpers (mbox.c), so that no user's process holds another user's helper. */
static int *hidden;
static size_t nhidden, hidden_cap;

void asuser_hide(int fd)
{
	if (nhidden == hidden_cap) {
		size_t cap = hidden_cap ? hidden_cap * 2 : 8;
		int *p = realloc(hidden, cap * sizeof *p);
		if (!p)
			return;	/* then the child keeps it: it is ours, not the user's */
		hidden = p;
		hidden_cap = cap;
	}
	hidden[nhidden++] = fd;
}

void asuser_unhide(int fd)
{
	for (size_t i = 0; i < nhidden; i++)
		if (hidden[i] == fd) {
			hidden[i] = hidden[--nhidden];
			break;
		}
	if (!nhidden) {
		free(hidden);
		hidden = NULL;
		hidden_cap = 0;
	}
}

/* In a new child: close what it must not keep. */
static void close_hidden(void)
{
	for (size_t i = 0; i < nhidden; i++)
		close(hidden[i]);
}

/* --mailbox mbox: the group a delivery helper (and its cleanup child) keeps as its
 * saved gid (drop_privileges_keeping()), or (gid_t)-1 for none.  It is --mbox-dir's
 * group when the directory is root's, writable by that group and by nobody else, and
 * the group is not root's: Debian's /var/mail, root:mail 2775, in which a user may
 * create nothing.  With it the helper makes its own dot-lock USER.lock (and a missing
 * mailbox) itself, mboxfile.c taking the group as its effective gid for just those
 * calls; Debian's setgid dotlockfile, which liblockfile would run instead, is no
 * help under no_new_privs (the shipped units: a setgid bit is then ignored at exec).
 * So no directory writable by everyone (1777, where other users can plant a victim's
 * lock or mailbox) is ever needed.
 *
 * Why the user cannot borrow the group: the helper runs as the user, and a user may
 * signal it (which gives nothing) but not trace it or read its memory or descriptors
 * (ptrace, /proc/PID/mem, /proc/PID/fd): Linux allows that without CAP_SYS_PTRACE
 * only when the tracer's gid equals the target's real, effective AND saved gids
 * (__ptrace_may_access in Linux's kernel/ptrace.c; supplementary groups are not
 * compared, which is why the group is never one), and the helper's saved (at times
 * effective) gid is the mail group.  PR_SET_DUMPABLE 0 (become()) is the second
 * fence: a process that is not dumpable needs CAP_SYS_PTRACE in any case.  Signals
 * (kill(2) compares uids only) let the user stop or kill their helper, which costs
 * only their copy. */
static gid_t mbox_group(const struct config *cfg)
{
	struct stat st;
	if (cfg->store != STORE_MBOX || cfg->single || stat(cfg->mbox_dir, &st) == -1 ||
	    !S_ISDIR(st.st_mode) || st.st_uid != 0 || st.st_gid == 0 ||
	    (st.st_mode & (S_IWGRP | S_IWOTH)) != S_IWGRP)
		return (gid_t)-1;
	return st.st_gid;
}

/* A delivery helper or cleanup child (given pw) keeps its primary group only, as
 * qmail-local does (prot.c: setgroups(1, &gid)): initgroups() would read the whole
 * group database and load every NSS group module (libnss_systemd with libcap, half a
 * MiB) into the process, and a Maildir below the user's home needs no other group;
 * for mbox it keeps --mbox-dir's group as its saved gid (mbox_group()).  A terminal
 * child is the user as at a login, with all their groups, as write(1) would be. */
static int become(const struct config *cfg, const struct passwd *pw, bool given)
{
	if (!given)
		return drop_privileges(pw->pw_uid, pw->pw_gid, pw->pw_name, DROP_ALL_GROUPS);
	gid_t keep = mbox_group(cfg);
	int rc = keep == (gid_t)-1 || keep == pw->pw_gid ?
		 drop_privileges(pw->pw_uid, pw->pw_gid, pw->pw_name, DROP_PRIMARY_GROUP) :
		 drop_privileges_keeping(pw->pw_uid, pw->pw_gid, keep);
	/* The change of ids set "dumpable" to fs.suid_dumpable, which may be 1: the
	 * second fence of mbox_group()'s comment (and no core file of a message). */
	if (rc == 0 && prctl(PR_SET_DUMPABLE, 0) == -1)
		rc = -1;
	return rc;
}

/* Fork with a socketpair; in the child run fn as pw (NULL: look user up there, or
 * single-user mode when cfg->single) and exit. */
static int start(struct asuser *k, const struct config *cfg, const char *user,
		 const struct passwd *given, asuser_fn *fn, void *arg)
{
	int sv[2];
	k->pid = -1;
	k->fd = -1;
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) == -1)
		return -1;
	k->pid = fork();
	if (k->pid == 0) {
		close(sv[0]);
		close_hidden();
		errno = 0;
		const struct passwd *pw = given ? given : cfg->single ? NULL : getpwnam(user);
		if (cfg->single && !given)
			fn(arg, NULL, sv[1]);
		else if (!pw)
			log_msg(LOG_ERR, "%s: no such user", user);
		else if (become(cfg, pw, given != NULL) == -1)
			log_msg(LOG_ERR, "%s: cannot become the user: %s", user, strerror(errno));
		else
			fn(arg, pw, sv[1]);
		_exit(0);
	}
	close_keep_errno(sv[1]);
	if (k->pid == -1) {
		close_keep_errno(sv[0]);
		return -1;
	}
	k->fd = sv[0];
	return 0;
}

int asuser_start(struct asuser *k, const struct config *cfg, const char *user,
		 asuser_fn *fn, void *arg)
{
	return start(k, cfg, user, NULL, fn, arg);
}

int asuser_start_pw(struct asuser *k, const struct config *cfg, const struct passwd *pw,
		    asuser_fn *fn, void *arg)
{
	return start(k, cfg, pw->pw_name, pw, fn, arg);
}

int asuser_send(struct asuser *k, const void *p, size_t n)
{
	return send(k->fd, p, n, MSG_NOSIGNAL) == (ssize_t)n ? 0 : -1;
}

int asuser_recv(struct asuser *k, void *p, size_t n, const struct deadline *d)
{
	size_t got = 0;
	while (got < n) {
		struct pollfd pfd = { .fd = k->fd, .events = POLLIN };
		int r = poll(&pfd, 1, deadline_left(d));
		if (r == -1 && errno == EINTR)
			continue;
		if (r == 0)
			return errno = ETIMEDOUT, -1;
		ssize_t m = r == -1 ? -1 : recv(k->fd, (char *)p + got, n - got, MSG_DONTWAIT);
		if (m == -1 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (m <= 0)
			return errno = EIO, -1;
		got += (size_t)m;
	}
	return 0;
}

/* Has the child closed its end (it does so as it exits) before the deadline? */
static bool ended(struct asuser *k, const struct deadline *d)
{
	char b[64];
	for (;;) {
		struct pollfd pfd = { .fd = k->fd, .events = POLLIN };
		int r = poll(&pfd, 1, deadline_left(d));
		if (r == -1 && errno == EINTR)
			continue;
		if (r <= 0)
			return false;
		ssize_t m = recv(k->fd, b, sizeof b, MSG_DONTWAIT);
		if (m == 0 || (m == -1 && errno != EINTR && errno != EAGAIN))
			return true;
	}
}

/* Reap pid, waiting at most until d.  A process that ended closes its descriptors
 * first and only then becomes a zombie, and a close on a user's file system may
 * hang, so even a child that closed its socket is waited for under the deadline:
 * polled, from 0.25 ms doubling to 16 ms (a pidfd would do, but valgrind does not
 * know pidfd_open).  One still there at the deadline is left to init. */
static void reap(pid_t pid, const struct deadline *d)
{
	long us = 250;
	for (;;) {
		pid_t r = waitpid(pid, NULL, WNOHANG);
		if (r == pid || (r == -1 && errno != EINTR))
			return;
		int left = deadline_left(d);
		if (left == 0) {
			log_msg(LOG_WARNING, "process %ld did not end in time, left to init",
				(long)pid);
			return;
		}
		long wait = us < left * 1000L ? us : left * 1000L;
		nanosleep(&(struct timespec){ 0, wait * 1000L }, NULL);
		if (us < 16000)
			us *= 2;
	}
}

void asuser_kill(struct asuser *k)
{
	if (k->fd != -1) {
		asuser_unhide(k->fd);
		close_keep_errno(k->fd);
	}
	k->fd = -1;
	if (k->pid <= 0)
		return;
	kill(k->pid, SIGKILL);
	struct deadline grace;
	deadline_in(&grace, REAP_GRACE_MS);
	reap(k->pid, &grace);
	k->pid = -1;
}

void asuser_end(struct asuser *k, const struct deadline *d)
{
	bool late = k->fd != -1 && k->pid > 0 && !ended(k, d);
	if (k->fd != -1)
		asuser_unhide(k->fd);
	close_keep_errno(k->fd);
	k->fd = -1;
	if (k->pid <= 0)
		return;
	if (late) {
		asuser_kill(k);
		return;
	}
	struct deadline grace;
	deadline_in(&grace, REAP_GRACE_MS);
	reap(k->pid, &grace);
	k->pid = -1;
}
