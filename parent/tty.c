/* tty.c: sending (RFC 821 3.4): writing a message onto a logged-in user's terminal,
 * the way write(1) does it (util-linux term-utils/write.c, qmail's qbiff).  Privileged
 * side; the text it writes was made safe by the session (render.c).
 *
 * The text comes from the network and lands on somebody's screen, so:
 *  - tty_render() (render.c) lets through only printable ASCII, TAB and line ends,
 *    and starts every row of the sender's text with "| ";
 *  - root's terminals are never written: a recipient of uid 0 (root, an alias or
 *    postmaster mapped to root, another uid-0 account) counts as not taking messages;
 *  - the terminal is found in utmp and opened as the user it belongs to, never as root:
 *    one child process per user (asuser.c), which as root drops to the user first,
 *    as mbox.c does for Maildirs (in single-user mode this process already is the
 *    user, and the child only keeps whatever it may get stuck in out of the session);
 *  - its line must name a path below /dev with no symlink anywhere on the way
 *    (O_NOFOLLOW on every component) and no "..", and the file must be a character
 *    device, a terminal, owned by the user, with the group-write bit (mesg y), checked
 *    before the open and again on the open descriptor;
 *  - it is opened O_WRONLY|O_NOCTTY|O_NONBLOCK|O_NOFOLLOW|O_CLOEXEC and written against
 *    one deadline (cfg->tty_timeout): a terminal that stops reading (XOFF, a stuck
 *    client) makes the write fail, it never hangs the session; and the parent kills a
 *    child that overstays the deadline (a utmp file that blocks, a slow user database).
 * When a user is logged in on several terminals that take messages, the least idle
 * one (latest access time) gets the message, as write(1) chooses.
 */
#include "tty.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <utmpx.h>

#include "asuser.h"
#include "log.h"
#include "util.h"

/* ------------------------------------------------------- finding the terminal */

/* A utmp line is a path below /dev ("pts/3", "tty1"): plain characters only, relative,
 * and no empty, "." or ".." component, so it cannot leave /dev. */
static bool line_ok(const char *line)
{
	if (!*line || *line == '/')
		return false;
	for (const char *p = line; *p; p++)
		if (!isalnum((unsigned char)*p) && !strchr("/._-", *p))
			return false;
	for (const char *c = line; c; c = strchr(c, '/') ? strchr(c, '/') + 1 : NULL) {
		size_t n = strcspn(c, "/");
		if (n == 0 || (n == 1 && c[0] == '.') || (n == 2 && c[0] == '.' && c[1] == '.'))
			return false;
	}
	return true;
}

/* Why st is no terminal we may write to for uid, or NULL if it is one.  *mesg_n is set
 * when the only objection is that it does not take messages. */
static const char *unfit(const struct stat *st, uid_t uid, bool *mesg_n)
{
	*mesg_n = false;
	if (!S_ISCHR(st->st_mode))
		return "not a character device";
	if (st->st_uid != uid)
		return "not owned by the user";
	if (!(st->st_mode & S_IWGRP)) {	/* write(1), mesg(1): group write = mesg y */
		*mesg_n = true;
		return "messages off (mesg n)";
	}
	return NULL;
}


/* The directory that holds line's last component, reached from /dev without
 * following a symlink; *last points at that component inside copy. */
static int open_parent(char *copy, char **last)
{
	int dir = open("/dev", O_PATH | O_DIRECTORY | O_CLOEXEC);
	char *c = copy, *slash;
	while (dir != -1 && (slash = strchr(c, '/'))) {
		*slash = '\0';
		int next = openat(dir, c, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		close_keep_errno(dir);
		dir = next;
		c = slash + 1;
	}
	*last = c;
	return dir;
}

/* Open /dev/<line> for writing if it is a terminal of uid that takes messages.
 * Returns the descriptor (and its stat), or -1 with *why. */
static int open_line(const char *line, uid_t uid, struct stat *st, const char **why,
		     bool *mesg_n)
{
	char copy[TTY_LINE_MAX + 1], *last;
	*mesg_n = false;
	if (!line_ok(line))
		return *why = "not a plain path below /dev", -1;
	snprintf(copy, sizeof copy, "%s", line);
	int dir = open_parent(copy, &last);
	if (dir == -1)
		return *why = errno == ENOTDIR ? "a symlink or no directory on the way"
					       : strerror(errno), -1;
	/* Check before opening: never open (and so never affect) a device that is no
	 * terminal of this user's, nor a symlink. */
	struct stat pre;
	int fd = -1;
	if (fstatat(dir, last, &pre, AT_SYMLINK_NOFOLLOW) == -1)
		*why = strerror(errno);
	else if (S_ISLNK(pre.st_mode))
		*why = "a symlink";
	else if (!(*why = unfit(&pre, uid, mesg_n)))
		fd = openat(dir, last, O_WRONLY | O_NOCTTY | O_NONBLOCK | O_NOFOLLOW | O_CLOEXEC);
	if (fd == -1 && !*why)
		*why = strerror(errno);
	close_keep_errno(dir);
	if (fd == -1)
		return -1;
	/* And again on what was opened: it must be the same file, still fit, a tty. */
	if (fstat(fd, st) == -1 || st->st_dev != pre.st_dev || st->st_ino != pre.st_ino)
		*why = "changed while it was opened";
	else if (!(*why = unfit(st, uid, mesg_n)) && !isatty(fd))
		*why = "not a terminal";
	if (*why) {
		close(fd);
		return -1;
	}
	return fd;
}

static bool later(const struct timespec *a, const struct timespec *b)
{
	return a->tv_sec > b->tv_sec || (a->tv_sec == b->tv_sec && a->tv_nsec > b->tv_nsec);
}

/* Is this utmp entry a live login of user?  ut_user is not NUL-terminated. */
static bool logged_in(const struct utmpx *u, const char *user)
{
	if (u->ut_type != USER_PROCESS || strlen(user) > sizeof u->ut_user ||
	    strncmp(u->ut_user, user, sizeof u->ut_user) != 0)
		return false;
	/* A stale entry (the login's process is gone) does not count. */
	return u->ut_pid > 0 && !(kill(u->ut_pid, 0) == -1 && errno == ESRCH);
}

/* The user's least idle terminal that takes messages, open for writing (its line in
 * st->line), or -1 with st->result saying why there is none.  Run as the user. */
static int find_tty(const struct config *cfg, const char *user, uid_t uid,
		    struct tty_status *st)
{
	if (cfg->utmp && utmpxname(cfg->utmp) == -1) {
		log_msg(LOG_ERR, "utmp %s: %s", cfg->utmp, strerror(errno));
		st->result = TTY_ERROR;
		return -1;
	}
	bool seen = false;
	int best = -1;
	struct timespec best_at = { 0, 0 };
	setutxent();
	for (struct utmpx *u; (u = getutxent());) {
		if (!logged_in(u, user))
			continue;
		seen = true;
		char line[TTY_LINE_MAX + 1];
		snprintf(line, sizeof line, "%.*s", (int)sizeof u->ut_line, u->ut_line);
		struct stat sb;
		const char *why;
		bool mesg_n;
		int fd = open_line(line, uid, &sb, &why, &mesg_n);
		if (fd == -1) {
			log_msg(mesg_n ? LOG_INFO : LOG_WARNING, "terminal %s of %s refused: %s",
				line, user, why);
			continue;
		}
		if (best == -1 || later(&sb.st_atim, &best_at)) {	/* least idle: write(1) */
			close_keep_errno(best);
			best = fd;
			best_at = sb.st_atim;
			snprintf(st->line, sizeof st->line, "%s", line);
		} else {
			close(fd);
		}
	}
	endutxent();
	st->result = best != -1 ? TTY_OK : seen ? TTY_REFUSED : TTY_NOT_LOGGED_IN;
	return best;
}

/* ------------------------------------------------------------------ writing */

/* Write all of text to the non-blocking fd before the deadline. */
static int write_tty(int fd, const char *p, size_t n, const struct deadline *deadline)
{
	while (n) {
		ssize_t w = write(fd, p, n);
		if (w > 0) {
			p += w;
			n -= (size_t)w;
			continue;
		}
		if (w == -1 && errno != EINTR && errno != EAGAIN)
			return -1;
		int ms = deadline_left(deadline);
		if (ms == 0)
			return errno = ETIMEDOUT, -1;
		struct pollfd pfd = { .fd = fd, .events = POLLOUT };
		if (poll(&pfd, 1, ms) == -1 && errno != EINTR)
			return -1;
	}
	return 0;
}

/* Find user's terminal and, when text is not NULL, write text there.  Run as user. */
static void reach(const struct config *cfg, const char *user, uid_t uid, const char *text,
		  size_t len, const struct deadline *deadline, struct tty_status *st)
{
	int fd = find_tty(cfg, user, uid, st);
	if (fd == -1 || !text) {
		close_keep_errno(fd);
		return;
	}
	if (write_tty(fd, text, len, deadline) == -1) {
		st->result = TTY_FAILED;
		log_msg(LOG_WARNING, "terminal %s of %s: write failed: %s", st->line, user,
			strerror(errno));
	}
	close(fd);
}

/* ---- one child per user, running as that user (asuser.c) ---- */

struct job {
	const struct config *cfg;
	const char *user;
	const char *text;	/* NULL: only check */
	size_t len;
	const struct deadline *deadline;
};

static void child(void *arg, const struct passwd *pw, int sock)
{
	const struct job *j = arg;
	struct tty_status st;
	memset(&st, 0, sizeof st);	/* all of it goes to the parent */
	st.result = TTY_ERROR;
	uid_t uid = pw ? pw->pw_uid : geteuid();	/* single-user mode: the user already */
	if (uid == 0) {	/* root's terminals are never written, whatever maps to root */
		st.result = TTY_REFUSED;
		log_msg(LOG_NOTICE, "terminal of %s refused: uid 0", pw ? pw->pw_name : j->user);
	} else {
		reach(j->cfg, pw ? pw->pw_name : j->user, uid, j->text, j->len, j->deadline, &st);
	}
	(void)!send(sock, &st, sizeof st, MSG_NOSIGNAL);
}

/* One child's answer.  A child that ended without one is a local error; one that is
 * still busy at the deadline (plus TTY_GRACE_MS for what the deadline does not cover:
 * a utmp file that blocks, a slow user database) counts as a failed write. */
static void answer(struct asuser *k, const char *user, const struct deadline *until,
		   struct tty_status *st)
{
	struct tty_status got;
	if (asuser_recv(k, &got, sizeof got, until) == 0) {
		if (got.result <= TTY_ERROR) {
			*st = got;
			st->line[TTY_LINE_MAX] = '\0';
		}
	} else if (errno == ETIMEDOUT) {
		st->result = TTY_FAILED;
		log_msg(LOG_WARNING, "terminal of %s: no answer in time, given up", user);
	}
}

static void reach_all(const struct config *cfg, const char *const *users, size_t n,
		      const char *text, size_t len, struct tty_status *status)
{
	struct deadline deadline, until;
	deadline_in(&deadline, cfg->tty_timeout * 1000ULL);
	deadline_in(&until, cfg->tty_timeout * 1000ULL + TTY_GRACE_MS);
	for (size_t i = 0; i < n; i++)
		status[i] = (struct tty_status){ TTY_ERROR, "" };
	struct asuser *k = calloc(n, sizeof *k);
	struct job *j = calloc(n, sizeof *j);
	if (!k || !j) {
		free(k), free(j);
		return;		/* every status stays TTY_ERROR */
	}
	for (size_t i = 0; i < n; i++) {
		j[i] = (struct job){ cfg, users[i], text, len, &deadline };
		if (asuser_start(&k[i], cfg, users[i], child, &j[i]) == -1)
			log_msg(LOG_ERR, "terminal of %s: cannot fork: %s", users[i], strerror(errno));
	}
	/* The children run at once; collecting them in turn waits no longer in total. */
	for (size_t i = 0; i < n; i++)
		if (k[i].pid > 0)
			answer(&k[i], users[i], &until, &status[i]);
	for (size_t i = 0; i < n; i++)
		asuser_end(&k[i], &until);
	free(k), free(j);
}

void tty_check(const struct config *cfg, const char *const *users, size_t n,
	       struct tty_status *status)
{
	reach_all(cfg, users, n, NULL, 0, status);
}

void tty_write(const struct config *cfg, const char *const *users, size_t n,
	       const char *text, size_t len, struct tty_status *status)
{
	reach_all(cfg, users, n, text, len, status);
}
