/* listener.c: --listen.  One privileged process that takes connections from a
 * listening socket and starts, for each, the session that inetd or a systemd
 * Accept=yes unit starts, with the connection on fds 0 and 1: forked from this
 * process, which has already done what every session would do at its start (load
 * the program and its libraries, parse the options), or with --exec-sessions this
 * program exec'd afresh (a new address-space layout, nothing inherited but the
 * environment).  So systemd needs no unit, cgroup and namespace per connection (about
 * 85 ms each, issue 23), and the session and its confinement stay what they are under
 * any super-server.
 *
 * Forked sessions share the listener's address-space layout and stack canary.  So
 * that no client can learn them by trial, the listener executes itself afresh,
 * keeping its socket and its live sessions, after LISTEN_FORKS_PER_EXEC sessions and
 * at once after a session that crashed (rotate()); doc/performance.md weighs this.
 *
 * The listener reads no byte of any client and holds no key: what it knows of a
 * client is the address accept(2) gives, for the limits.  It keeps the privilege it
 * was started with because each session starts as root and drops it itself (main.c).
 * No trigger limit of any kind (systemd's TriggerLimitBurst=): a flood costs an accept
 * and a close per connection and never stops the listener.
 */
#include "listener.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "log.h"
#include "sessions.h"
#include "systemd.h"
#include "util.h"

/* Why a connection is refused: the two limits, no process to serve it, or the
 * listener stopping while it waited. */
enum refusal { REFUSE_TOTAL, REFUSE_SOURCE, REFUSE_FORK, REFUSE_STOP };

/* A connection over a limit, waiting for a session to end (LISTEN_WAIT_MS). */
struct waiting {
	int fd;
	struct source from;
	struct deadline until;
};

struct listener {
	const struct config *cfg;
	int (*fork_session)(void *);	/* forked sessions run this; NULL: exec */
	void *arg;
	char **argv;		/* the listener's own, for rotate() */
	unsigned forked;	/* sessions forked since this exec */
	bool rotate;		/* execute afresh once the accepted ones are started */
	int sock;		/* the listening socket; -1 once stopping */
	int sig;		/* signalfd: SIGCHLD, SIGTERM, SIGINT */
	int exe;		/* this program, for execveat() */
	struct sessions t;
	bool stopping, termed;	/* SIGTERM or SIGINT came; the sessions got SIGTERM */
	struct deadline drain;	/* stopping: when the sessions get SIGTERM */
	struct deadline next_log;	/* the next refusal that may be logged */
	unsigned long unlogged;	/* refusals not logged since the last line */
	struct waiting wait[LISTEN_WAITING_MAX];	/* oldest first */
	unsigned waiting;
};

/* The signals the listener takes through its signalfd. */
static void listener_signals(sigset_t *set)
{
	sigemptyset(set);
	sigaddset(set, SIGCHLD);
	sigaddset(set, SIGTERM);
	sigaddset(set, SIGINT);
}

/* ------------------------------------------------------------ the session */

/* The child: made into what a super-server starts, then the session.  Default
 * dispositions and an empty mask (exec keeps both, and keeps SIG_IGN); its own
 * session, so that a terminal's Ctrl-C reaches the listener alone, which stops as
 * SIGTERM says; the connection on fds 0 and 1, stderr as it is (the journal under
 * systemd); none of the listener's own descriptors (the log's stay: they are the
 * session's log too); no LISTEN_* (sd_listen_fds(3): they were meant for the
 * listener).  Never returns. */
static _Noreturn void start_session(struct listener *l, int conn)
{
	signals_default();
	setsid();
	if (dup2(conn, 0) == -1 || dup2(conn, 1) == -1)
		_exit(EXIT_SYSTEM);
	unsetenv("LISTEN_FDS");
	unsetenv("LISTEN_PID");
	unsetenv("LISTEN_FDNAMES");
	if (l->fork_session) {
		if (conn > 1)
			close(conn);
		close(l->sock), close(l->sig), close(l->exe);
		/* The other sessions' clients are none of this one's business, nor are
		 * the connections still waiting. */
		for (unsigned i = 0; i < l->waiting; i++)
			close(l->wait[i].fd);
		explicit_bzero(l->wait, sizeof l->wait);
		explicit_bzero(l->t.slot, l->t.size * sizeof *l->t.slot);
		sessions_free(&l->t);
		end_process(l->fork_session(l->arg));
	}
	/* Close-on-exec rather than closed: the log stays usable if exec fails.  Before
	 * Linux 5.11 (no CLOSE_RANGE_CLOEXEC), one by one up to the limit. */
	if (close_range(3, ~0U, CLOSE_RANGE_CLOEXEC) == -1)
		for (long fd = 3, max = sysconf(_SC_OPEN_MAX); fd < max && fd < 65536; fd++)
			fcntl((int)fd, F_SETFD, FD_CLOEXEC);
	extern char **environ;
	execveat(l->exe, "", l->cfg->session_argv, environ, AT_EMPTY_PATH);
	log_msg(LOG_CRIT, "cannot start a session: exec: %s", strerror(errno));
	_exit(EXIT_SYSTEM);
}

/* Each refusal's 421 line (its enhanced code, then the text after the hostname) and
 * its log text. */
static const struct {
	const char *code, *text, *log;
} refusals[] = {
	/* RFC 3463 4.3.2: the system is not accepting network messages (now). */
	[REFUSE_TOTAL] = { "4.3.2", "Too many sessions, try again later",
			   "too many sessions (--max-sessions)" },
	/* RFC 3463 4.7.0: a policy of ours about this client. */
	[REFUSE_SOURCE] = { "4.7.0", "Too many connections from your address, try again later",
			    "too many sessions from this address (--max-per-source)" },
	/* RFC 3463 4.3.0: a local failure. */
	[REFUSE_FORK] = { "4.3.0", "Local error, try again later",
			  "cannot start a session (fork failed)" },
	/* RFC 3463 4.3.2 again: not accepting messages now. */
	[REFUSE_STOP] = { "4.3.2", "Service shutting down, try again later",
			  "the listener is stopping" },
};

/* A connection refused: one 421 line and the close.  RFC 5321 3.8: a server that
 * closes the connection says 421 first.  MSG_DONTWAIT: the listener never waits on
 * a client; a full buffer loses the line, not the listener. */
static void send_421(const struct listener *l, int conn, enum refusal why)
{
	char line[DOMAIN_MAX + 100];
	int n = snprintf(line, sizeof line, "421 %s %s %s\r\n", refusals[why].code,
			 l->cfg->hostname, refusals[why].text);
	if (n > 0 && (size_t)n < sizeof line)
		(void)send(conn, line, (size_t)n, MSG_DONTWAIT | MSG_NOSIGNAL);
}

/* Logged at most once per LISTEN_REFUSAL_LOG_MS, with the count of those that were
 * not, so that a client that hammers the port cannot flood the log. */
static void log_refusal(struct listener *l, const struct source *s, enum refusal why)
{
	if (deadline_left(&l->next_log) > 0) {
		l->unlogged++;
		return;
	}
	char client[INET6_ADDRSTRLEN];
	source_text(s, client, sizeof client);
	char more[64] = "";
	if (l->unlogged)
		snprintf(more, sizeof more, " (%lu more refused, not logged)", l->unlogged);
	log_fields(LOG_NOTICE, LOG_FIELDS({ LF_CLIENT, client }),
		   "reject: connect from %s: 421 %s%s", client, refusals[why].log, more);
	l->unlogged = 0;
	deadline_in(&l->next_log, LISTEN_REFUSAL_LOG_MS);
}

/* The refusals not logged yet, in one line (at a stop, or before rotate()). */
static void log_unlogged(struct listener *l)
{
	if (l->unlogged)
		log_msg(LOG_NOTICE, "%lu more connections refused, not logged", l->unlogged);
	l->unlogged = 0;
}

/* Is a connection from s over a limit?  Then true, and which in *why. */
static bool over_limit(const struct listener *l, const struct source *s, enum refusal *why)
{
	if (l->t.live >= l->cfg->max_sessions)
		return *why = REFUSE_TOTAL, true;
	if (s->ip && sessions_from(&l->t, s) >= l->cfg->max_per_source)
		return *why = REFUSE_SOURCE, true;
	return false;
}

static void refuse(struct listener *l, int conn, const struct source *s, enum refusal why)
{
	send_421(l, conn, why);
	log_refusal(l, s, why);
}

/* A session for conn, within the limits (checked), or a 421 when fork fails. */
static void launch(struct listener *l, int conn, const struct source *s)
{
	pid_t pid = fork();
	if (pid == 0)
		start_session(l, conn);
	if (pid == -1) {
		refuse(l, conn, s, REFUSE_FORK);	/* it too can come in bulk */
		return;
	}
	sessions_add(&l->t, pid, s);
	if (l->fork_session && ++l->forked >= LISTEN_FORKS_PER_EXEC)
		l->rotate = true;
}

/* One accepted connection: a session; or over a limit, kept waiting (true: the
 * listener holds conn now) while there is room, else a 421.  A connection never
 * passes one that waits for the same room. */
static bool take(struct listener *l, int conn, const struct sockaddr_storage *sa,
		 socklen_t len)
{
	struct source s;
	source_of(sa, len, &s);
	enum refusal why;
	if (!over_limit(l, &s, &why)) {
		launch(l, conn, &s);
		return false;
	}
	if (l->waiting < LISTEN_WAITING_MAX) {
		struct waiting *w = &l->wait[l->waiting++];
		w->fd = conn;
		w->from = s;
		deadline_in(&w->until, LISTEN_WAIT_MS);
		return true;
	}
	refuse(l, conn, &s, why);
	return false;
}

/* The waiting connections, oldest first: a session for each that is within the limits
 * now; a 421 for each whose wait is over, and for all of them once stopping.  Not
 * while a new exec is due (a session crashed): they go to the next image (rotate()),
 * so that no session is forked from a layout that may have been probed. */
static void serve_waiting(struct listener *l)
{
	if (l->rotate && !l->stopping)
		return;
	unsigned kept = 0;
	for (unsigned i = 0; i < l->waiting; i++) {
		struct waiting w = l->wait[i];
		enum refusal why = REFUSE_STOP;
		if (!l->stopping && !over_limit(l, &w.from, &why))
			launch(l, w.fd, &w.from);
		else if (l->stopping || deadline_left(&w.until) == 0)
			refuse(l, w.fd, &w.from, why);
		else {
			l->wait[kept++] = w;
			continue;
		}
		close(w.fd);
	}
	explicit_bzero(l->wait + kept, (l->waiting - kept) * sizeof *l->wait);
	l->waiting = kept;
}

/* Milliseconds until the first waiting connection's wait is over; -1 if none waits. */
static int first_wait(const struct listener *l)
{
	int ms = -1;
	for (unsigned i = 0; i < l->waiting; i++) {
		int left = deadline_left(&l->wait[i].until);
		if (ms == -1 || left < ms)
			ms = left;
	}
	return ms;
}

/* The connections waiting, LISTEN_ACCEPT_BATCH at most before the signals are looked
 * at again.  SOCK_CLOEXEC: the next session's exec must not inherit this one. */
static void accept_some(struct listener *l)
{
	for (int i = 0; i < LISTEN_ACCEPT_BATCH; i++) {
		struct sockaddr_storage sa;
		socklen_t len = sizeof sa;
		int conn = accept4(l->sock, (struct sockaddr *)&sa, &len, SOCK_CLOEXEC);
		if (conn == -1) {
			if (errno == EINTR || errno == ECONNABORTED)
				continue;
			if (errno != EAGAIN && errno != EWOULDBLOCK) {
				/* ENOBUFS, ENOMEM, EMFILE: the connection stays queued; a short
				 * pause instead of a busy loop on poll(). */
				log_msg(LOG_ERR, "accept: %s", strerror(errno));
				struct deadline d;
				deadline_in(&d, 100);
				(void)deadline_sleep(&d);
			}
			return;
		}
		if (!take(l, conn, &sa, len))
			close(conn);
	}
}

/* ------------------------------------------------------------ signals */

/* SIGCHLD: every child that has ended.  A session that did not end as the protocol
 * allows (exit status 0) is named in one line with its pid and client. */
static void reap(struct listener *l)
{
	int st;
	pid_t pid;
	while ((pid = waitpid(-1, &st, WNOHANG)) > 0) {
		struct source s;
		if (!sessions_remove(&l->t, pid, &s) || (WIFEXITED(st) && WEXITSTATUS(st) == 0))
			continue;
		char client[INET6_ADDRSTRLEN];
		source_text(&s, client, sizeof client);
		/* Killed, or the session process was (128 + its signal), or broke the
		 * protocol (EXIT_SYSTEM): perhaps a probe of the layout.  A new one. */
		if (l->fork_session && (WIFSIGNALED(st) || WEXITSTATUS(st) > 128 ||
					WEXITSTATUS(st) == EXIT_SYSTEM))
			l->rotate = true;
		if (WIFSIGNALED(st))
			log_fields(LOG_ERR, LOG_FIELDS({ LF_CLIENT, client }),
				   "session %ld from %s was killed by signal %d (%s)", (long)pid,
				   client, WTERMSIG(st), strsignal(WTERMSIG(st)));
		else
			log_fields(LOG_WARNING, LOG_FIELDS({ LF_CLIENT, client }),
				   "session %ld from %s exited with status %d", (long)pid, client,
				   WEXITSTATUS(st));
	}
}

/* The sessions still live get SIGTERM: each answers 421 4.3.2 at its next read and
 * ends within its own deadlines (a delivery in progress completes first). */
static void terminate(struct listener *l)
{
	sessions_signal(&l->t, SIGTERM);
	l->termed = true;
}

/* SIGTERM or SIGINT: the listening socket closed at once, so that no connection waits
 * for a listener that will not come back (outside systemd it is then refused; under
 * systemd it waits in systemd's socket for the next start); the live sessions get
 * LISTEN_DRAIN_MS to end on their own, then SIGTERM.  A second signal cuts the wait. */
static void stop(struct listener *l)
{
	if (l->stopping) {
		if (!l->termed)
			terminate(l);
		return;
	}
	close(l->sock);
	l->sock = -1;
	l->stopping = true;
	deadline_in(&l->drain, LISTEN_DRAIN_MS);
	log_unlogged(l);
	log_msg(LOG_INFO, "stopping: no more connections; %u sessions live", l->t.live);
}

/* What the signalfd holds; 0, or -1 when it cannot be read. */
static int on_signals(struct listener *l)
{
	struct signalfd_siginfo si;
	ssize_t n;
	bool child = false;
	while ((n = read(l->sig, &si, sizeof si)) == (ssize_t)sizeof si) {
		if (si.ssi_signo == SIGCHLD)
			child = true;
		else
			stop(l);
	}
	if (n == -1 && errno != EAGAIN && errno != EINTR)
		return -1;
	if (child)
		reap(l);
	return 0;
}

/* ------------------------------------------------------------ rotate */

/* Where a listener executed afresh by rotate() finds its listening socket and what it
 * is handed (struct handover): descriptor numbers, in the environment of its own exec
 * only (start() unsets them at once). */
#define ROTATE_SOCKET_ENV "SMTP_SESSION_LISTEN_FD"
#define ROTATE_LIVE_ENV "SMTP_SESSION_LIVE_FD"

/* What rotate() hands the next image, in a memfd: this, then the table of live
 * sessions (its free slots too: take_handover() skips them), then the waiting
 * connections, whose descriptors stay open across the exec.  Deadlines are
 * CLOCK_MONOTONIC, which the exec does not change. */
struct handover {
	struct deadline next_log;	/* when the next refusal may be logged */
	unsigned slots, waiting;
};

/* The handover, written to a new memfd: its descriptor, or -1. */
static int handover(const struct listener *l)
{
	struct handover h = { l->next_log, l->t.size, l->waiting };
	int fd = memfd_create("smtp-session-live", MFD_CLOEXEC);
	if (fd != -1 && (write_all(fd, &h, sizeof h) == -1 ||
			 write_all(fd, l->t.slot, l->t.size * sizeof *l->t.slot) == -1 ||
			 write_all(fd, l->wait, l->waiting * sizeof *l->wait) == -1))
		return close(fd), -1;
	return fd;
}

/* The descriptors the next image inherits (the socket, the handover, the waiting
 * connections): kept across the exec (keep), or close-on-exec again.  0, or -1. */
static int inherit(const struct listener *l, int table, bool keep)
{
	int rc = fcntl(l->sock, F_SETFD, keep ? 0 : FD_CLOEXEC) |
		 fcntl(table, F_SETFD, keep ? 0 : FD_CLOEXEC);
	for (unsigned i = 0; i < l->waiting; i++)
		rc |= fcntl(l->wait[i].fd, F_SETFD, keep ? 0 : FD_CLOEXEC);
	return rc ? -1 : 0;
}

/* Execute this program afresh, as it was started, keeping the listening socket and the
 * live sessions (still our children across the exec): a new layout and canary for the
 * sessions forked from now on.  Returns only when it could not (logged): the listener
 * serves on as it is and tries again LISTEN_FORKS_PER_EXEC sessions later. */
static void rotate(struct listener *l)
{
	log_msg(LOG_INFO, "executing afresh for a new address-space layout: %s",
		l->forked >= LISTEN_FORKS_PER_EXEC ? "its sessions reached the limit"
						   : "a session ended abnormally");
	l->rotate = false;
	l->forked = 0;
	log_unlogged(l);	/* the count does not survive the exec */
	char sock[16], live[16];
	int table = handover(l);
	snprintf(sock, sizeof sock, "%d", l->sock);
	snprintf(live, sizeof live, "%d", table);
	if (table != -1 && inherit(l, table, true) == 0 &&
	    setenv(ROTATE_SOCKET_ENV, sock, 1) == 0 && setenv(ROTATE_LIVE_ENV, live, 1) == 0) {
		extern char **environ;
		execveat(l->exe, "", l->argv, environ, AT_EMPTY_PATH);
	}
	log_msg(LOG_ERR, "cannot execute afresh (new layout for the sessions): %s: serving on",
		strerror(errno));
	unsetenv(ROTATE_SOCKET_ENV);
	unsetenv(ROTATE_LIVE_ENV);
	if (table != -1) {
		(void)inherit(l, table, false);
		close(table);
	}
	fcntl(l->sock, F_SETFD, FD_CLOEXEC);
}

/* A descriptor number from the environment (unset then), or -1. */
static int env_fd(const char *name)
{
	const char *v = getenv(name);
	char *end;
	long fd = v ? strtol(v, &end, 10) : -1;
	if (!v || *end || end == v || fd < 0 || fd > INT_MAX || fcntl((int)fd, F_GETFD) == -1)
		fd = -1;
	unsetenv(name);
	return (int)fd;
}

/* After rotate(): the live sessions back in the table, and any that ended meanwhile
 * reaped (their SIGCHLD may have come before the signalfd); the connections that were
 * waiting, waiting again (close-on-exec again), until the same deadlines. */
static void take_handover(struct listener *l, int fd)
{
	struct handover h;
	if (pread(fd, &h, sizeof h, 0) != (ssize_t)sizeof h)
		h.slots = h.waiting = 0;
	else
		l->next_log = h.next_log;
	off_t at = (off_t)sizeof h;
	for (unsigned i = 0; i < h.slots && i < LISTEN_SESSIONS_LIMIT; i++) {
		struct session_slot s;
		if (pread(fd, &s, sizeof s, at) != (ssize_t)sizeof s)
			break;
		if (s.pid > 0 && l->t.live < l->t.size)
			sessions_add(&l->t, s.pid, &s.from);
		at += (off_t)sizeof s;
	}
	at = (off_t)(sizeof h + h.slots * sizeof(struct session_slot));
	for (unsigned i = 0; i < h.waiting && i < LISTEN_WAITING_MAX; i++) {
		struct waiting w;
		if (pread(fd, &w, sizeof w, at) != (ssize_t)sizeof w)
			break;
		if (fcntl(w.fd, F_SETFD, FD_CLOEXEC) == 0)
			l->wait[l->waiting++] = w;
		at += (off_t)sizeof w;
	}
	close(fd);
	reap(l);
}

/* ------------------------------------------------------------ start and loop */

/* The listening socket at a descriptor above stderr, close-on-exec and non-blocking
 * (accept_some() takes what is queued and must not block when another took it), and
 * fds 0 to 2 open: /dev/null for any that was closed or was the listening socket
 * itself (inetd "wait" and StandardInput=socket put it on 0, 1 and 2), so that the
 * listener holds the socket once, closes it at once on SIGTERM, and accept(2) never
 * returns 0, 1 or 2.  The socket's descriptor, or -1. */
static int settle(int fd)
{
	struct stat ls, st;
	if (fstat(fd, &ls) == -1)
		return -1;
	int sock = fcntl(fd, F_DUPFD_CLOEXEC, 3);
	if (sock == -1)
		return -1;
	close(fd);
	int null = open("/dev/null", O_RDWR | O_CLOEXEC);
	for (int i = 0; i <= 2; i++)
		if (null != -1 && i != null && (fstat(i, &st) == -1 ||
		    (st.st_dev == ls.st_dev && st.st_ino == ls.st_ino)))
			dup2(null, i);
	if (null > 2)
		close(null);
	int fl = fcntl(sock, F_GETFL);
	if (fl == -1 || fcntl(sock, F_SETFL, fl | O_NONBLOCK) == -1)
		return close(sock), -1;
	return sock;
}

/* This program, held open so that every session runs the very binary the listener
 * was started from, even after a package upgrade replaced the file (restarting the
 * service starts the new one): /proc/self/exe, or argv[0] when it is absolute. */
static int own_program(const char *argv0)
{
	int fd = open("/proc/self/exe", O_PATH | O_CLOEXEC);
	if (fd == -1 && argv0 && argv0[0] == '/')
		fd = open(argv0, O_PATH | O_CLOEXEC);
	return fd;
}

/* Everything the loop needs; 0, or the exit status (logged with the fix). */
static int start(struct listener *l, const struct listener *with)
{
	const struct config *cfg = with->cfg;
	const char *why = NULL;
	int fd = env_fd(ROTATE_SOCKET_ENV), live = env_fd(ROTATE_LIVE_ENV), rc = 0;
	bool rotated = fd != -1;
	if (!rotated)
		rc = systemd_listener(&fd, &why);
	*l = *with;
	l->sock = l->sig = l->exe = -1;
	if (rc) {
		log_config_error(LOG_ERR, "cannot start: %s", why);
		return rc;
	}
	if ((l->exe = own_program(cfg->session_argv[0])) == -1) {
		log_config_error(LOG_ERR, "cannot start: --listen: cannot open my own program "
				 "(/proc/self/exe): mount /proc, or start smtp-session by its "
				 "absolute path");
		return EXIT_SYSTEM;
	}
	sigset_t set;
	listener_signals(&set);
	signal(SIGHUP, SIG_IGN);	/* no configuration to reload: a restart reads it */
	signal(SIGPIPE, SIG_IGN);	/* a 421 to a client that has gone */
	if ((l->sock = settle(fd)) == -1 || sigprocmask(SIG_BLOCK, &set, NULL) == -1 ||
	    (l->sig = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK)) == -1 ||
	    sessions_init(&l->t, cfg->max_sessions) == -1) {
		log_msg(LOG_ERR, "cannot start: --listen: %s", strerror(errno));
		return EXIT_SYSTEM;
	}
	/* rotate() has just said what was not logged; the next refusal waits the turn it
	 * would have waited without the exec (a flood stays at one line a second). */
	if (live != -1)
		take_handover(l, live);
	if (!rotated)
		log_msg(LOG_INFO, "listening: at most %u sessions, %u per client address, "
			"each session %s", cfg->max_sessions, cfg->max_per_source,
			cfg->exec_sessions ? "exec'd afresh" : "forked");
	return 0;
}

static void finish(struct listener *l)
{
	l->stopping = true;
	serve_waiting(l);	/* 421 to any still waiting */
	if (l->sock != -1)
		close(l->sock);
	if (l->sig != -1)
		close(l->sig);
	if (l->exe != -1)
		close(l->exe);
	sessions_free(&l->t);
}

int listener_run(const struct config *cfg, char **argv, int (*fork_session)(void *),
		 void *arg)
{
	struct listener l, with = { .cfg = cfg, .fork_session = fork_session, .arg = arg,
				    .argv = argv };
	int rc = start(&l, &with);
	while (!rc && !(l.stopping && l.t.live == 0 && l.waiting == 0)) {
		struct pollfd p[2] = { { .fd = l.sig, .events = POLLIN },
				       { .fd = l.sock, .events = POLLIN } };
		int wait = l.stopping && !l.termed ? deadline_left(&l.drain) : -1;
		int first = first_wait(&l);
		if (first != -1 && (wait == -1 || first < wait))
			wait = first;
		int n = poll(p, l.sock == -1 ? 1 : 2, wait);
		if (n == -1 && errno != EINTR) {
			log_msg(LOG_ERR, "listener: poll: %s", strerror(errno));
			rc = EXIT_SYSTEM;
		} else if (n > 0 && p[0].revents && on_signals(&l) == -1) {
			log_msg(LOG_ERR, "listener: signalfd: %s", strerror(errno));
			rc = EXIT_SYSTEM;
		} else if (l.stopping && !l.termed && deadline_left(&l.drain) == 0) {
			terminate(&l);
		} else if (n > 0 && l.sock != -1 && p[1].revents) {
			accept_some(&l);
		}
		serve_waiting(&l);
		if (!rc && l.rotate && !l.stopping)
			rotate(&l);
	}
	if (!rc)
		log_msg(LOG_INFO, "stopped: every session has ended");
	finish(&l);
	return rc;
}
