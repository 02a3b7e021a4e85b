/* relay.c: the hand-off to the system's MTA through the sendmail(1) interface
 * (relay.h).  Privileged side. */
#include "relay.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "drop.h"
#include "dsn.h"
#include "log.h"
#include "relayclient.h"
#include "utf8.h"
#include "util.h"

/* sysexits.h EX_TEMPFAIL: sendmail(1)'s "try again later" (Postfix's sendmail exits
 * so when it cannot queue; msmtp when the server answered 4xx). */
#define RELAY_EX_TEMPFAIL 75
/* The environment the command gets, and nothing else of ours: a command run by a
 * privileged program must not inherit LD_PRELOAD, TMPDIR or the like. */
#define RELAY_PATH "PATH=/usr/sbin:/usr/bin:/sbin:/bin"

/* Who the command runs as (configuration of this process, set once): found by
 * relay_init() before the fork, or for the default relay user at the first run. */
static struct {
	bool known;	/* looked up */
	bool drop;	/* started as root: become uid/gid in the child */
	uid_t uid;
	gid_t gid;
} relay_id;

/* As root: --relay-user, or the --privsep-user. */
static int find_user(const struct config *cfg, const char **why)
{
	const char *name = cfg->relay_user ? cfg->relay_user : cfg->privsep_user;
	errno = 0;
	struct passwd *pw = getpwnam(name);
	if (!pw) {
		*why = "--relay-user: no such user";
		return errno = errno ? errno : ENOENT, -1;
	}
	if (pw->pw_uid == 0) {
		*why = "--relay-user: must not be root";
		return errno = EPERM, -1;
	}
	relay_id.known = relay_id.drop = true;
	relay_id.uid = pw->pw_uid;
	relay_id.gid = pw->pw_gid;
	return 0;
}

int relay_init(const struct config *cfg, const char **why)
{
	if (geteuid() != 0) {
		/* Not root: nobody to become; a --relay-user other than us is a mistake. */
		struct passwd *pw = cfg->relay_user ? getpwnam(cfg->relay_user) : NULL;
		if (cfg->relay_user && (!pw || pw->pw_uid != geteuid())) {
			*why = "--relay-user: another user than the one running smtp-session "
			       "needs root";
			return errno = EPERM, -1;
		}
		relay_id.known = true;
		relay_id.drop = false;
		return 0;
	}
	/* A --relay-user given is checked now, before any session.  The default, the
	 * privsep user main.c has just found, is looked up at the first relay run: most
	 * sessions relay nothing, and each lookup costs NSS's time (make bench). */
	return cfg->relay_user ? find_user(cfg, why) : 0;
}

/* ---- addresses ---- */

/* RFC 5322 3.2.3 atext: printable ASCII but space and the specials. */
static bool atext(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       (c && strchr("!#$%&'*+-/=?^_`{|}~", c));
}

/* The length of the well-formed, printable UTF-8 character (beyond ASCII) at p, or 0
 * (RFC 6531 3.3: UTF8-non-ascii in atext, qtext and sub-domains). */
static size_t utf8_char(const char *p)
{
	unsigned cp;
	size_t k = utf8_next((const unsigned char *)p, strlen(p), &cp);
	return k > 1 && utf8_printable(cp) ? k : 0;
}

/* RFC 5321 4.1.2 Quoted-string, without space (it would not be one word to every
 * MTA): the local part at *pp; *pp moves past the closing quote. */
static bool quoted_ok(const char **pp)
{
	const char *p = *pp + 1;
	size_t k;
	while (*p != '"') {
		unsigned char c = (unsigned char)*p;
		if (c == '\\' && p[1] > ' ' && p[1] < 0x7f)	/* quoted-pairSMTP */
			p += 2;
		else if (c > ' ' && c < 0x7f && c != '\\')	/* qtextSMTP */
			p++;
		else if (c >= 0x80 && (k = utf8_char(p)))
			p += k;
		else
			return false;
	}
	if (p == *pp + 1)
		return false;	/* "": an empty local part */
	*pp = p + 1;
	return true;
}

/* RFC 5321 4.1.2 Dot-string of atext (and UTF-8, RFC 6531): *pp moves past it. */
static bool dot_string_ok(const char **pp)
{
	const char *p = *pp;
	size_t k;
	for (;;) {
		const char *atom = p;
		while (atext((unsigned char)*p) || ((unsigned char)*p >= 0x80 && (k = utf8_char(p))))
			p += atext((unsigned char)*p) ? 1 : k;
		if (p == atom)
			return false;	/* empty atom: a leading, trailing or double dot */
		if (*p != '.')
			break;
		p++;
	}
	*pp = p;
	return true;
}

/* RFC 5321 4.1.2 Domain (labels of letters, digits and '-', or U-labels, RFC 6531) or
 * address-literal in brackets (4.1.3: digits, letters, '.', ':', '-'). */
static bool domain_ok(const char *p)
{
	size_t k;
	if (*p == '[') {
		size_t n = strspn(p + 1, "0123456789abcdefABCDEFIPv.:-");
		return n > 0 && p[1 + n] == ']' && p[2 + n] == '\0';
	}
	for (;;) {
		const char *label = p;
		while ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		       (*p >= '0' && *p <= '9') || *p == '-' ||
		       ((unsigned char)*p >= 0x80 && (k = utf8_char(p))))
			p += (unsigned char)*p >= 0x80 ? k : 1;
		if (p == label)
			return false;
		if (*p == '\0')
			return true;
		if (*p++ != '.')
			return false;
	}
}

bool relay_address_ok(const char *addr)
{
	if (!addr || strlen(addr) > PATH_LEN_MAX - 2)
		return false;
	const char *p = addr;
	if (!(*p == '"' ? quoted_ok(&p) : dot_string_ok(&p)))
		return false;
	return *p == '@' && domain_ok(p + 1);
}

/* ---- the child ---- */

/* What the child reports on its status pipe when it could not start the command. */
struct relay_setup_err {
	int err;
	char stage;	/* 'u': becoming the relay user, 'x': execv */
};

/* Give up in the child: say why on the status pipe and exit.  127 is what a shell
 * answers for a command it could not run; the parent goes by the pipe, not by it. */
static void child_fail(int st, char stage)
{
	struct relay_setup_err e = { errno, stage };
	if (write(st, &e, sizeof e) != (ssize_t)sizeof e) {
		/* nothing more to do: the parent then sees exit 127 without a reason */
	}
	_exit(127);
}

struct run;

/* In the child: a process group of its own (so that the deadline kills whatever it
 * starts), stdin the message pipe, stdout /dev/null, stderr the pipe we read, the
 * status pipe (close-on-exec) on 3, and no other descriptor of ours; then the relay
 * user, "/" and a clean environment, and execv (or, with --relay-socket, the SMTP
 * dialogue, relayclient.h: r is freed before the exit). */
static void child(const struct config *cfg, struct run *r, const struct relay_job *j,
		  char *const argv[], int in, int err, int st)
{
	static char *const envp[] = { RELAY_PATH, "HOME=/", NULL };
	signals_default();	/* the parent ignores SIGPIPE: the command needs its own */
	setsid();
	int null = open("/dev/null", O_WRONLY | O_CLOEXEC);
	/* Up out of 0..3 first, so that no dup2 below overwrites one still needed. */
	in = fcntl(in, F_DUPFD_CLOEXEC, 10);
	err = fcntl(err, F_DUPFD_CLOEXEC, 10);
	st = fcntl(st, F_DUPFD_CLOEXEC, 10);
	null = null == -1 ? -1 : fcntl(null, F_DUPFD_CLOEXEC, 10);
	if (st == -1)
		_exit(127);
	if (in == -1 || err == -1 || null == -1 || dup2(in, 0) == -1 || dup2(null, 1) == -1 ||
	    dup2(err, 2) == -1 || dup3(st, 3, O_CLOEXEC) == -1)
		child_fail(st, 'x');
	close_range(4, ~0U, 0);
	/* The relay user for good, with no supplementary group. */
	if (relay_id.drop && drop_privileges(relay_id.uid, relay_id.gid, NULL, DROP_NO_GROUPS) == -1)
		child_fail(3, 'u');
	if (chdir("/") == -1)
		child_fail(3, 'x');
	if (cfg->relay_socket) {	/* started: the rest is the dialogue's to say */
		close(3);
		struct relay_dsn dsn = { j->notify, j->ret, j->envid };
		int rc = relay_client(cfg->relay_socket, cfg->hostname, j->sender, j->rcpt, j->n,
				      &dsn, 0, 2);
		/* The parent's run, ours by the fork: freed, not left for valgrind to find
		 * unreachable (no callee-saved register survives a noreturn call). */
		free(r);
		_exit(rc);
	}
	execve(argv[0], argv, envp);
	child_fail(3, 'x');
}

/* ---- the parent ---- */

/* One run: the child, our ends of its pipes (-1 once closed), how far the message
 * got, what it said. */
struct run {
	const struct relay_job *j;
	pid_t pid;
	int in, err, st;
	off_t pos;		/* bytes of head + spool written to its stdin */
	bool short_spool;	/* the spool ended before j->size */
	bool unread;		/* the command stopped reading before the end (EPIPE) */
	bool no_dsn;		/* --relay-socket: taken, but the server had no DSN */
	struct relay_setup_err setup;	/* setup.stage != 0: it was never started */
	size_t st_got;
	struct buf line;	/* the start of its stderr */
	bool line_done;		/* the first line is complete (or at its bound) */
	int status;		/* from waitpid, once reaped */
	bool reaped;
	char block[IO_BLOCK];
	size_t blen, boff;	/* bytes of block not yet written */
};

/* Does --relay-command have the word {dsn} (relay.h)? */
static bool command_dsn(const struct config *cfg)
{
	for (size_t i = 0; cfg->relay_argv[i]; i++)
		if (strcmp(cfg->relay_argv[i], "{dsn}") == 0)
			return true;
	return false;
}

/* The words {dsn} stands for (relay.h) into argv at *k; notify's text in note. */
static void dsn_words(const struct relay_job *j, char **argv, size_t *k, char *note,
		      size_t n)
{
	if (j->notify) {
		dsn_notify_text(j->notify, note, n);
		for (char *c = note; *c; c++)
			*c = (char)tolower((unsigned char)*c);
		argv[(*k)++] = "-N";
		argv[(*k)++] = note;
	}
	if (j->ret) {
		argv[(*k)++] = "-R";
		argv[(*k)++] = j->ret == DSN_RET_FULL ? "full" : "hdrs";
	}
	if (j->envid && j->envid[0]) {
		argv[(*k)++] = "-V";
		argv[(*k)++] = (char *)j->envid;
	}
}

/* The argv: relay_argv with {sender} replaced and {dsn} expanded, then the
 * recipients.  NULL on no memory.  note holds -N's value. */
static char **make_argv(const struct config *cfg, const struct relay_job *j, char *note,
			size_t notelen)
{
	size_t n = 0, k = 0;
	while (cfg->relay_argv[n])
		n++;
	char **argv = calloc(n + 6 + j->n + 1, sizeof *argv);
	if (!argv)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		if (strcmp(cfg->relay_argv[i], "{dsn}") == 0)
			dsn_words(j, argv, &k, note, notelen);
		else
			argv[k++] = (char *)(strcmp(cfg->relay_argv[i], "{sender}") == 0
					     ? j->sender : cfg->relay_argv[i]);
	}
	for (size_t i = 0; i < j->n; i++)
		argv[k++] = (char *)j->rcpt[i];
	return argv;
}

static void close_end(int *fd)
{
	close_keep_errno(*fd);
	*fd = -1;
}

/* Refill the block from head, then spool (pread: the file offset is not ours to
 * move).  false when there is nothing more, or the spool ended early. */
static bool refill(struct run *r)
{
	const struct relay_job *j = r->j;
	off_t total = (off_t)j->headlen + j->size;
	if (r->pos >= total)
		return false;
	size_t want = IO_BLOCK;
	if ((off_t)want > total - r->pos)
		want = (size_t)(total - r->pos);
	if (r->pos < (off_t)j->headlen) {
		size_t k = j->headlen - (size_t)r->pos;
		memcpy(r->block, j->head + r->pos, k < want ? k : want);
		r->blen = k < want ? k : want;
	} else {
		ssize_t m;
		do
			m = pread(j->spool, r->block, want, r->pos - (off_t)j->headlen);
		while (m == -1 && errno == EINTR);
		if (m <= 0) {
			r->short_spool = true;
			return false;
		}
		r->blen = (size_t)m;
	}
	r->boff = 0;
	return true;
}

/* Write what the pipe takes now (it is non-blocking); close it at the end. */
static void feed(struct run *r)
{
	for (;;) {
		if (r->boff == r->blen && !refill(r)) {
			close_end(&r->in);
			return;
		}
		ssize_t m = write(r->in, r->block + r->boff, r->blen - r->boff);
		if (m == -1 && errno == EINTR)
			continue;
		if (m == -1 && errno == EAGAIN)
			return;
		if (m == -1) {
			/* EPIPE (SIGPIPE is ignored, main.c): it stopped reading. */
			r->unread = true;
			close_end(&r->in);
			return;
		}
		r->boff += (size_t)m;
		r->pos += m;
	}
}

/* Read its stderr; keep the first line, at most RELAY_STDERR_MAX bytes, and drop the
 * rest (it must not fill the pipe and stop the command). */
static void drain_stderr(struct run *r)
{
	char b[4096];
	for (;;) {
		ssize_t m = read(r->err, b, sizeof b);
		if (m == -1 && errno == EINTR)
			continue;
		if (m == -1 && errno == EAGAIN)
			return;
		if (m <= 0) {
			close_end(&r->err);
			return;
		}
		for (ssize_t i = 0; i < m && !r->line_done; i++) {
			if (b[i] == '\n' || r->line.len >= RELAY_STDERR_MAX)
				r->line_done = true;
			else
				buf_addc(&r->line, b[i]);
		}
	}
}

/* The status pipe: the child's report of a failed start, or EOF at its execve. */
static void read_status(struct run *r)
{
	ssize_t m = read(r->st, (char *)&r->setup + r->st_got, sizeof r->setup - r->st_got);
	if (m == -1 && (errno == EINTR || errno == EAGAIN))
		return;
	if (m > 0 && (r->st_got += (size_t)m) < sizeof r->setup)
		return;
	if (m <= 0 && r->st_got < sizeof r->setup)
		r->setup.stage = 0;	/* EOF: it was started (or said nothing whole) */
	close_end(&r->st);
}

static bool try_reap(struct run *r)
{
	if (!r->reaped && waitpid(r->pid, &r->status, WNOHANG) == r->pid)
		r->reaped = true;
	return r->reaped;
}

/* Feed the message and read stderr until the command has exited and its stdin is
 * done, or the deadline.  false at the deadline. */
static bool supervise(struct run *r, const struct deadline *d)
{
	int backoff = 1;	/* ms between looks for an exit once all is written */
	for (;;) {
		if (try_reap(r))
			return true;
		struct pollfd pfd[3];
		nfds_t n = 0;
		if (r->in != -1)
			pfd[n++] = (struct pollfd){ .fd = r->in, .events = POLLOUT };
		if (r->err != -1)
			pfd[n++] = (struct pollfd){ .fd = r->err, .events = POLLIN };
		if (r->st != -1)
			pfd[n++] = (struct pollfd){ .fd = r->st, .events = POLLIN };
		int left = deadline_left(d);
		if (left == 0)
			return false;
		/* Once stdin is written, an exit shows only in waitpid: look again soon. */
		int wait = left;
		if (r->in == -1) {
			wait = backoff < left ? backoff : left;
			if (backoff < 16)
				backoff *= 2;
		}
		int k = poll(pfd, n, wait);
		if (k == -1 && errno != EINTR)
			return false;
		for (nfds_t i = 0; k > 0 && i < n; i++) {
			if (!pfd[i].revents)
				continue;
			if (pfd[i].fd == r->in)
				feed(r);
			else if (pfd[i].fd == r->err)
				drain_stderr(r);
			else
				read_status(r);
		}
	}
}

/* Reap a child we killed, within REAP_GRACE_MS; one stuck in the kernel is left to
 * init (as asuser.c). */
static void reap_killed(struct run *r)
{
	struct deadline grace;
	deadline_in(&grace, REAP_GRACE_MS);
	while (!try_reap(r)) {
		if (deadline_left(&grace) == 0) {
			log_msg(LOG_WARNING, "%s: relay: process %ld did not end in time, left "
				"to init", r->j->id, (long)r->pid);
			return;
		}
		nanosleep(&(struct timespec){ 0, 1000000L }, NULL);
	}
}

/* Control bytes of the command's stderr as '?', a CR before the newline dropped
 * (log.c scrubs again; this keeps the line whole in the journal's field too). */
static void scrub(struct buf *b)
{
	if (b->len && b->p[b->len - 1] == '\r')
		b->p[--b->len] = '\0';
	for (size_t i = 0; i < b->len; i++)
		if ((unsigned char)b->p[i] < ' ' || b->p[i] == 0x7f)
			b->p[i] = '?';
}

/* The result and the words for the log from how the run ended. */
static enum relay_result judge(struct run *r, bool cfg_socket, bool late, struct buf *how)
{
	if (late) {
		buf_adds(how, "timed out, killed");
		return RELAY_TEMPFAIL;
	}
	if (r->setup.stage) {
		buf_printf(how, "could not %s: %s",
			   r->setup.stage == 'u' ? "become the relay user" : "be run",
			   strerror(r->setup.err));
		return RELAY_TEMPFAIL;
	}
	if (WIFSIGNALED(r->status)) {
		buf_printf(how, "killed by signal %d", WTERMSIG(r->status));
		return RELAY_TEMPFAIL;
	}
	int code = WEXITSTATUS(r->status);
	buf_printf(how, "exit %d", code);
	if (code == RELAY_CLIENT_NO_DSN && cfg_socket) {
		buf_adds(how, ": taken, without DSN parameters");
		code = 0;
		r->no_dsn = true;
	}
	if (code == RELAY_EX_TEMPFAIL)
		return RELAY_TEMPFAIL;
	if (code != 0)
		return RELAY_FAIL;
	/* Exit 0 without the whole message: it was not taken, whatever it says. */
	if (r->short_spool || r->unread || r->pos < (off_t)r->j->headlen + r->j->size) {
		buf_adds(how, r->short_spool ? ", but the spool was short"
					     : ", but it did not read the whole message");
		return RELAY_TEMPFAIL;
	}
	return RELAY_OK;
}

static long long ms_since(const struct timespec *t0)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (t.tv_sec - t0->tv_sec) * 1000LL + (t.tv_nsec - t0->tv_nsec) / 1000000;
}

/* The MTA's queue id in what it said ("250 2.0.0 Ok: queued as 4Bx1Y2Z3"; Exim:
 * "250 OK id=1qA2b3-0004cD-Ef"), into id; empty when it said none. */
static void queue_id(const char *said, char *id, size_t n)
{
	const char *p = strstr(said, "queued as ");
	p = p ? p + 10 : (p = strstr(said, " id=")) ? p + 4 : NULL;
	size_t k = p ? strcspn(p, " ;,") : 0;
	if (k >= n)
		k = 0;
	memcpy(id, p ? p : "", k);
	id[k] = '\0';
}

/* One line per recipient (at most RELAY_LOG_RCPT_MAX, then a count): the recipient,
 * how it was handed on, the result, and what the command or the MTA said. */
static void log_run(const struct config *cfg, struct run *r, enum relay_result res,
		    const struct buf *how, long long ms)
{
	static const char *const word[] = { "queued", "deferred", "refused" };
	const struct relay_job *j = r->j;
	scrub(&r->line);
	char qid[64];
	queue_id(r->line.p ? r->line.p : "", qid, sizeof qid);
	const char *via = cfg->relay_socket ? cfg->relay_socket : cfg->relay_argv[0];
	int prio = res == RELAY_OK ? LOG_INFO : LOG_NOTICE;
	for (size_t i = 0; i < j->n && i < RELAY_LOG_RCPT_MAX; i++)
		log_fields(prio, LOG_FIELDS({ LF_MSGID, j->id }, { LF_FROM, j->sender },
					    { LF_RCPT, j->rcpt[i] }, { LF_QUEUED, qid[0] ? qid : NULL }),
			   "%s: relay to=<%s> from=<%s> via=%s %s (%s) %lld ms%s%s%s", j->id,
			   j->rcpt[i], j->sender, via, word[res], how->p, ms,
			   r->line.len ? " said: \"" : "", r->line.p ? r->line.p : "",
			   r->line.len ? "\"" : "");
	if (j->n > RELAY_LOG_RCPT_MAX)
		log_fields(prio, LOG_FIELDS({ LF_MSGID, j->id }),
			   "%s: relay: %zu more recipients %s the same way", j->id,
			   j->n - RELAY_LOG_RCPT_MAX, word[res]);
}

/* Our ends: non-blocking, close-on-exec (no later child may hold them). */
static int pipe_ours(int fds[2], int ours)
{
	if (pipe2(fds, O_CLOEXEC) == -1)
		return -1;
	return fcntl(fds[ours], F_SETFL, O_NONBLOCK);
}

/* Fork the command; fills r's pid and our ends.  0 or -1 with errno. */
static int start(const struct config *cfg, struct run *r, char **argv)
{
	int in[2] = { -1, -1 }, err[2] = { -1, -1 }, st[2] = { -1, -1 };
	if (pipe_ours(in, 1) == -1 || pipe_ours(err, 0) == -1 || pipe_ours(st, 0) == -1 ||
	    (r->pid = fork()) == -1) {
		int e = errno;
		for (int i = 0; i < 2; i++)
			close(in[i]), close(err[i]), close(st[i]);
		return errno = e, -1;
	}
	if (r->pid == 0)
		child(cfg, r, r->j, argv, in[0], err[1], st[1]);
	close(in[0]), close(err[1]), close(st[1]);
	r->in = in[1], r->err = err[0], r->st = st[0];
	return 0;
}

enum relay_result relay_run(const struct config *cfg, const struct relay_job *j)
{
	struct timespec t0;
	const char *why;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	if (!relay_id.known && find_user(cfg, &why) == -1) {
		log_fields(LOG_ERR, LOG_FIELDS({ LF_MSGID, j->id }), "%s: relay deferred: %s: %s",
			   j->id, why, strerror(errno));
		return RELAY_TEMPFAIL;
	}
	struct run *r = calloc(1, sizeof *r);
	char note[32];	/* "success,failure,delay" */
	/* --relay-socket runs no command: no argv, which the child would leave behind. */
	char **argv = r && !cfg->relay_socket ? make_argv(cfg, j, note, sizeof note) : NULL;
	if (r)
		r->j = j;
	if (!r || (!argv && !cfg->relay_socket) || start(cfg, r, argv) == -1) {
		log_fields(LOG_ERR, LOG_FIELDS({ LF_MSGID, j->id }, { LF_FROM, j->sender }),
			   "%s: relay from=<%s> nrcpt=%zu deferred (cannot start %s: %s)", j->id,
			   j->sender, j->n, cfg->relay_argv[0], strerror(errno));
		free(argv);
		free(r);
		return RELAY_TEMPFAIL;
	}
	free(argv);	/* the child has its copy */
	struct deadline d;
	deadline_in(&d, cfg->delivery_timeout * 1000ULL);
	bool late = !supervise(r, &d);
	if (late) {
		/* The whole group: whatever it started too (the group is not there yet
		 * when the child has not reached setsid()). */
		if (kill(-r->pid, SIGKILL) == -1)
			kill(r->pid, SIGKILL);
		reap_killed(r);
	}
	/* What is in the pipes already (it exited; a descendant may hold them open). */
	if (r->err != -1)
		drain_stderr(r);
	if (r->st != -1)
		read_status(r);
	struct buf how = BUF_INIT;
	enum relay_result res = judge(r, cfg->relay_socket != NULL, late, &how);
	/* RFC 3461 4.1: NOTIFY not handed on is the sender's "relayed" (report.h). */
	if (res == RELAY_OK && j->dsn_dropped && j->notify)
		*j->dsn_dropped = cfg->relay_socket ? r->no_dsn : !command_dsn(cfg);
	log_run(cfg, r, res, &how, ms_since(&t0));
	buf_free(&how);
	buf_free(&r->line);
	close_end(&r->in), close_end(&r->err), close_end(&r->st);
	free(r);
	return res;
}
