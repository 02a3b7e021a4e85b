/* tty.c: sending (RFC 821 3.4): writing a message onto a logged-in user's terminal,
 * the way write(1) does it (util-linux term-utils/write.c, qmail's qbiff).
 *
 * The text comes from the network and lands on somebody's screen, so:
 *  - tty_render() lets through only printable ASCII, TAB and line ends (as CRLF); every
 *    other byte (ESC and the rest of C0, DEL, C1 and everything above 0x7f) is shown as
 *    ^X or \ooo, so no escape sequence, bell or cursor movement reaches the terminal;
 *  - the terminal is found in utmp and opened as the user it belongs to, never as root:
 *    one child process per user, which as root drops to the user first (priv_become),
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

#include "log.h"

/* ---------------------------------------------------------------- rendering */

/* How many bytes c takes on the terminal. */
static size_t shown_len(unsigned char c)
{
	if (c == '\t' || (c >= 0x20 && c < 0x7f))
		return 1;
	return c < 0x80 ? 2 : 4;
}

/* One byte as the terminal may see it: printable ASCII and TAB as they are, the other
 * C0 controls and DEL as ^X (ESC is ^[, DEL ^?), every byte from 0x80 up as \ooo: that
 * covers the C1 controls (0x9b is CSI to many terminals) and, like write(1) in the C
 * locale, UTF-8 too, whose U+0080..U+009F a terminal may obey as C1. */
static void show(struct buf *b, unsigned char c)
{
	if (shown_len(c) == 1) {
		buf_addc(b, (char)c);
	} else if (c < 0x80) {
		buf_addc(b, '^');
		buf_addc(b, (char)(c ^ 0x40));
	} else {
		buf_printf(b, "\\%03o", c);
	}
}

static void show_str(struct buf *b, const char *s)
{
	for (; *s; s++)
		show(b, (unsigned char)*s);
}

/* The message text, cut at max_lines lines or max_bytes bytes as shown (CRLF and
 * escapes counted).  A line end is CRLF whatever the terminal's settings (write(1)
 * does the same: the terminal may be in raw mode).  Returns the number of message
 * bytes not shown, or -1. */
static off_t render_body(struct buf *out, int spool, off_t size, unsigned max_lines,
			 unsigned max_bytes)
{
	char chunk[4096];
	unsigned lines = 0;
	size_t shown = 0;
	bool midline = false;
	off_t off = 0;
	while (off < size) {
		size_t want = size - off < (off_t)sizeof chunk ? (size_t)(size - off) : sizeof chunk;
		ssize_t r = pread(spool, chunk, want, off);
		if (r == -1 && errno == EINTR)
			continue;
		if (r <= 0)
			return r == 0 ? (errno = EIO, -1) : -1;
		for (ssize_t i = 0; i < r; i++) {
			unsigned char c = (unsigned char)chunk[i];
			size_t need = c == '\n' ? 2 : shown_len(c);
			if (lines >= max_lines || shown + need > max_bytes)
				goto cut;
			if (c == '\n') {
				buf_add(out, "\r\n", 2);
				lines++;
			} else {
				show(out, c);
			}
			midline = c != '\n';
			shown += need;
			off++;
		}
	}
cut:
	if (midline)
		buf_add(out, "\r\n", 2);
	return size - off;
}

int tty_render(struct buf *out, const struct tty_note *note, int spool, off_t size,
	       unsigned max_lines, unsigned max_bytes)
{
	struct tm tm;
	localtime_r(&note->when, &tm);
	/* write(1): a fresh line first, then "Message from ... at HH:MM ...".  No bell:
	 * a message from the network does not get to ring it. */
	buf_adds(out, "\r\nMessage from ");
	show_str(out, note->sender[0] ? note->sender : "<>");
	buf_adds(out, " on ");
	show_str(out, note->helo);
	buf_adds(out, " (");
	show_str(out, note->client);
	buf_printf(out, ") at %02d:%02d ...\r\n", tm.tm_hour, tm.tm_min);
	off_t rest = render_body(out, spool, size, max_lines, max_bytes);
	if (rest == -1)
		return -1;
	if (rest > 0)
		buf_printf(out, "[message cut: %lld more bytes not shown]\r\n", (long long)rest);
	buf_adds(out, "EOF\r\n");
	return 0;
}

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

static void close_keep_errno(int fd)
{
	int e = errno;
	if (fd != -1)
		close(fd);
	errno = e;
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

static int ms_left(const struct timespec *deadline)
{
	struct timespec now;
	clock_gettime(CLOCK_MONOTONIC, &now);
	long long ms = (deadline->tv_sec - now.tv_sec) * 1000LL +
		       (deadline->tv_nsec - now.tv_nsec) / 1000000;
	return ms < 0 ? 0 : ms > 86400000 ? 86400000 : (int)ms;
}

/* Write all of text to the non-blocking fd before the deadline. */
static int write_tty(int fd, const char *p, size_t n, const struct timespec *deadline)
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
		int ms = ms_left(deadline);
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
		  size_t len, const struct timespec *deadline, struct tty_status *st)
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

/* ---- one child per user, running as that user ---- */

static _Noreturn void child(const struct config *cfg, const char *user, const char *text,
			    size_t len, const struct timespec *deadline, int sock)
{
	struct tty_status st;
	memset(&st, 0, sizeof st);	/* all of it goes to the parent */
	st.result = TTY_ERROR;
	errno = 0;
	struct passwd *pw = cfg->single ? NULL : getpwnam(user);
	if (cfg->single)	/* this process is the user already */
		reach(cfg, user, geteuid(), text, len, deadline, &st);
	else if (!pw)
		log_msg(LOG_ERR, "terminal of %s: no such user", user);
	else if (priv_become(pw) == -1)
		log_msg(LOG_ERR, "terminal of %s: cannot become the user: %s", user,
			strerror(errno));
	else
		reach(cfg, pw->pw_name, pw->pw_uid, text, len, deadline, &st);
	(void)!send(sock, &st, sizeof st, MSG_NOSIGNAL);
	_exit(0);
}

struct kid {
	pid_t pid;
	int fd;		/* -1 once answered */
};

static int spawn(struct kid *k, const struct config *cfg, const char *user, const char *text,
		 size_t len, const struct timespec *deadline)
{
	int sv[2];
	k->pid = -1;
	k->fd = -1;
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) == -1)
		return -1;
	k->pid = fork();
	if (k->pid == 0) {
		close(sv[0]);
		child(cfg, user, text, len, deadline, sv[1]);
	}
	close_keep_errno(sv[1]);
	if (k->pid == -1) {
		close_keep_errno(sv[0]);
		return -1;
	}
	k->fd = sv[0];
	return 0;
}

/* One child's answer; a child that died without one counts as an error. */
static void answer(struct kid *k, struct tty_status *st)
{
	struct tty_status got;
	ssize_t r = recv(k->fd, &got, sizeof got, MSG_WAITALL);
	if (r == (ssize_t)sizeof got && got.result <= TTY_ERROR) {
		*st = got;
		st->line[TTY_LINE_MAX] = '\0';
	}
	close(k->fd);
	k->fd = -1;
}

/* Collect every child's answer until the deadline (plus grace); kill the late ones. */
static void collect(struct kid *k, const char *const *users, size_t n,
		    struct tty_status *status, const struct timespec *deadline)
{
	struct pollfd *p = calloc(n, sizeof *p);
	struct timespec until = *deadline;
	until.tv_sec += TTY_GRACE_MS / 1000;
	until.tv_nsec += TTY_GRACE_MS % 1000 * 1000000L;
	if (until.tv_nsec >= 1000000000L) {
		until.tv_sec++;
		until.tv_nsec -= 1000000000L;
	}
	while (p) {
		size_t m = 0;
		for (size_t i = 0; i < n; i++)
			if (k[i].fd != -1)
				p[m++] = (struct pollfd){ .fd = k[i].fd, .events = POLLIN };
		if (m == 0)
			break;
		int r = poll(p, m, ms_left(&until));
		if (r == 0 || (r == -1 && errno != EINTR))
			break;
		for (size_t i = 0, j = 0; i < n; i++)
			if (k[i].fd != -1 && p[j++].revents)
				answer(&k[i], &status[i]);
	}
	free(p);
	for (size_t i = 0; i < n; i++) {
		if (k[i].fd != -1) {	/* too late: it counts as a failed write */
			kill(k[i].pid, SIGKILL);
			close(k[i].fd);
			status[i].result = TTY_FAILED;
			log_msg(LOG_WARNING, "terminal of %s: no answer in time, given up", users[i]);
		}
		if (k[i].pid > 0)
			while (waitpid(k[i].pid, NULL, 0) == -1 && errno == EINTR)
				;
	}
}

static void reach_in_children(const struct config *cfg, const char *const *users, size_t n,
			   const char *text, size_t len, const struct timespec *deadline,
			   struct tty_status *status)
{
	struct kid *k = calloc(n, sizeof *k);
	if (!k)
		return;		/* every status stays TTY_ERROR */
	for (size_t i = 0; i < n; i++)
		if (spawn(&k[i], cfg, users[i], text, len, deadline) == -1)
			log_msg(LOG_ERR, "terminal of %s: cannot fork: %s", users[i], strerror(errno));
	collect(k, users, n, status, deadline);
	free(k);
}

static void reach_all(const struct config *cfg, const char *const *users, size_t n,
		      const char *text, size_t len, struct tty_status *status)
{
	struct timespec deadline;
	clock_gettime(CLOCK_MONOTONIC, &deadline);
	deadline.tv_sec += cfg->tty_timeout;
	for (size_t i = 0; i < n; i++)
		status[i] = (struct tty_status){ TTY_ERROR, "" };
	reach_in_children(cfg, users, n, text, len, &deadline, status);
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
