/* main.c: one SMTP session per process, in two processes (privsep.h).
 *
 * A super-server (systemd Accept=yes, inetd, tcpserver) starts this program once per
 * connection, with the connection on stdin and stdout.  Before a byte is read from
 * the client the program forks: the child, the session process, confines itself
 * (sandbox.c) and runs the dialogue (smtp-session.c); the parent keeps its privilege,
 * drops the connection, and serves the child's requests (parent.c) until the child
 * ends, then ends the same way: the child's exit status, or 128 + the signal that
 * killed it (logged), or EXIT_SYSTEM when the child broke the protocol (killed,
 * logged).
 *
 * With --listen (listen/listener.c) it is instead the listener of a socket unit with
 * Accept=no: it never runs a session itself, but forks a child for each connection
 * that runs serve() as above (or, with --exec-sessions, starts this program afresh,
 * without --listen).
 */
#include <errno.h>
#include <limits.h>
#include <sched.h>
#include <fcntl.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "asuser.h"
#include "keys.h"
#include "listener.h"
#include "log.h"
#include "milter.h"
#include "options.h"
#include "relay.h"
#include "parent.h"
#include "peer.h"
#include "priv.h"
#include "sandbox.h"
#include "session.h"
#include "config.h"
#include "systemd.h"
#include "tls.h"
#include "users.h"

/* The session process, for the parent's SIGTERM handler. */
static volatile pid_t session_pid;

/* SIGTERM to the parent (systemd stops the unit, an administrator) is passed on: the
 * session process answers 421 and ends, then the parent does. */
static void pass_term(int sig)
{
	(void)sig;
	if (session_pid > 0)
		kill(session_pid, SIGTERM);
}

/* The privsep user, copied out of getpwnam()'s static storage.  NULL with *why when
 * it cannot be used. */
static struct passwd *privsep_user(const struct config *cfg, const char **why)
{
	static struct passwd pw;
	static char name[USER_NAME_MAX + 1];
	struct passwd *p = getpwnam(cfg->privsep_user);
	if (!p)
		return *why = "no such user: create it (make install does: systemd-sysusers "
			      "with units/smtp-session.sysusers), or give another with "
			      "--privsep-user", NULL;
	if (p->pw_uid == 0 || p->pw_gid == 0)
		return *why = "has uid or gid 0: give an unprivileged system user that owns "
			      "nothing", NULL;
	snprintf(name, sizeof name, "%s", p->pw_name);
	pw = (struct passwd){ .pw_name = name, .pw_uid = p->pw_uid, .pw_gid = p->pw_gid };
	return &pw;
}

/* The parent gives up every descriptor of the connection: stdin and stdout, and
 * stderr when inetd made it the connection too.  /dev/null takes their places. */
static void drop_connection(void)
{
	struct stat in, err;
	bool err_is_conn = fstat(0, &in) == 0 && fstat(2, &err) == 0 &&
			   in.st_dev == err.st_dev && in.st_ino == err.st_ino;
	int null = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (null == -1) {
		close(0), close(1);
		if (err_is_conn)
			close(2);
		return;
	}
	dup2(null, 0), dup2(null, 1);
	if (err_is_conn)
		dup2(null, 2);
	if (null > 2)
		close(null);
}

/* The session process keeps no descriptor it does not need (a super-server's or a
 * shell's leftovers): the connection, stderr, the link and the spools stay. */
static void close_others(int link)
{
	int keep[] = { link, spool_fd(0), spool_fd(1) };
	unsigned from = 3;
	for (;;) {
		unsigned next = ~0U;
		for (size_t i = 0; i < sizeof keep / sizeof keep[0]; i++)
			if (keep[i] >= (int)from && (unsigned)keep[i] < next)
				next = (unsigned)keep[i];
		if (next > from)
			close_range(from, next == ~0U ? ~0U : next - 1, 0);
		if (next == ~0U)
			break;
		from = next + 1;
	}
}

/* May this session go on without TLS when its certificate or key cannot be read?
 * Only plain --tls starttls (port 25): RFC 3207 4 says a publicly-referenced server
 * must not require TLS, so its senders lose nothing they could insist on, and
 * refusing every message for one mistyped path would stop all inbound mail; Postfix
 * too serves on without STARTTLS and logs it.  Under --require-tls or implicit TLS
 * (587, 465) no session can go on: 421, or silence.  (A certificate that has expired
 * is found when the client asks for TLS: 454, smtp-session.c.) */
static bool tls_optional(const struct config *cfg)
{
	return cfg->tls == TLS_STARTTLS && !cfg->require_tls;
}

/* The TLS layer, with the certificates the privileged side read, while the file
 * system is still there (decoded when the client asks for TLS: tls_now() in
 * smtp-session.c): NULL when TLS is off or cannot work (*refuse set then unless
 * tls_optional(): the library cannot be loaded, and a session must not pretend to
 * offer TLS). */
static struct tls *tls_ready(const struct config *cfg, struct tls_files *f, bool *refuse)
{
	if (cfg->tls == TLS_OFF)
		return NULL;
	/* The handshake's small records must not wait for delayed ACKs (Nagle): 19
	 * sessions/s one at a time instead of 111 (issue 11).  Not a socket: no matter. */
	int one = 1;
	setsockopt(1, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
	char why[200];
	struct tls *t = tls_setup(f, why, sizeof why);
	if (!t && tls_optional(cfg)) {
		log_config_error(LOG_CRIT, "cannot start TLS: %s: serving without STARTTLS: "
				 "%s", why, TLS_FILE_FIX);
	} else if (!t) {
		log_config_error(LOG_CRIT, "cannot start TLS: %s: %s", why, TLS_FILE_FIX);
		*refuse = true;
	}
	return t;
}

/* The session process: confine, then the dialogue.  Returns the exit status. */
static int session_process(const struct config *cfg, const struct passwd *ps, int link,
			   struct tls_files *tf)
{
	const char *why = NULL;
	bool refuse = false;
	priv_attach(link);
	log_to_sink(priv_log);
	if (spool_init(cfg->nmilters > 0) == -1)
		log_msg(LOG_ERR, "cannot open the spool in $TMPDIR: %s", strerror(errno));
	close_others(link);
	/* The milters' sockets, before the chroot hides their paths, as the privsep user
	 * (milter.h); nothing is read from them before the sandbox. */
	milter_open(cfg, ps ? ps->pw_name : NULL, ps ? ps->pw_uid : 0, ps ? ps->pw_gid : 0);
	struct tls *tls = tls_ready(cfg, tf, &refuse);
#ifdef SMTP_TEST_HOOKS
	/* Test builds only (make check, privsep.bats): a hostile stand-in for the session
	 * process, on the link to this real parent. */
	const char *hostile = getenv("SMTP_TEST_CHILD");
	if (hostile) {
		char fd[16];
		snprintf(fd, sizeof fd, "%d", link);
		fcntl(link, F_SETFD, 0);
		/* The stand-in uses no PAM: pam_wrapper, preloaded for the parent, would
		 * otherwise claim a /tmp/pam.X of its own as it starts, and that claim races
		 * with other test runs' (pam_wrapper 1.1.4 exits when it loses). */
		unsetenv("PAM_WRAPPER");
		unsetenv("LD_PRELOAD");
		execl(hostile, hostile, fd, (char *)NULL);
		_exit(127);
	}
#endif
	if (!refuse && sandbox_enter(ps, cfg->privsep_dir, &why) == -1) {
		log_msg(LOG_CRIT, "cannot confine the session: %s: %s", why, strerror(errno));
		refuse = true;	/* only a 421 is written, nothing is read */
	}
	int rc = session_run(cfg, tls, refuse, 0, 1);
	close(link);
	return refuse ? EXIT_SYSTEM : rc;
}

/* The parent: serve until the session process ends, then end as it did. */
static int parent_process(const struct config *cfg, pid_t pid, int link)
{
	/* The parent finds out who the client is itself, before it lets the connection
	 * go: it checks --send without taking the session's word, by the one rule the
	 * session uses too (peer_local(), peer.h).  Under --proxy it sees only the proxy:
	 * the client's own address is in a header that only the session reads (in its
	 * sandbox).  Behind a proxy no client is local, so both sides agree without the
	 * header; with --proxy-trust-loopback the parent's check is as wide as a header
	 * could make it (the proxy on loopback), and the session's, which reads the
	 * header, is the narrower one that counts. */
	char client[INET6_ADDRSTRLEN];
	peer_address(0, client, sizeof client);
	bool local = peer_local(client, cfg->proxy ? PEER_UNSEEN : PEER_DIRECT, NULL,
				cfg->proxy_trust_loopback);
	drop_connection();
	asuser_hide(link);
	struct sigaction sa = { .sa_handler = pass_term };
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	const char *why = NULL;
	int rc = parent_serve(cfg, link, local, &why);
	if (rc == -1) {
		log_msg(LOG_ERR, "privilege separation: the session process broke the protocol "
			"(%s): killed", why);
		kill(pid, SIGKILL);
	}
	close(link);
	int st = 0;
	while (waitpid(pid, &st, 0) == -1 && errno == EINTR)
		;
	session_pid = 0;
	if (rc == -1)
		return EXIT_SYSTEM;
	if (WIFSIGNALED(st)) {
		log_msg(LOG_CRIT, "privilege separation: the session process was killed by "
			"signal %d (%s)", WTERMSIG(st), strsignal(WTERMSIG(st)));
		return 128 + WTERMSIG(st);
	}
	return WIFEXITED(st) ? WEXITSTATUS(st) : EXIT_SYSTEM;
}

/* The session's processes (this one, the session process, the delivery helpers) hand
 * the work to one another and wait: never two of them run at once for long.  Left
 * free, each wake-up may land on another CPU, cold, with an interrupt to send; kept on
 * the CPU the exec placed this process on (the kernel picks the idlest at exec), a
 * session costs about 5% less CPU (doc/performance.md).  Sessions still spread over
 * the CPUs, each where it started; no effect where the affinity is not ours to change.
 */
static void stay_on_this_cpu(void)
{
	int cpu = sched_getcpu();
	cpu_set_t set;
	if (cpu < 0 || cpu >= CPU_SETSIZE)
		return;
	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	(void)sched_setaffinity(0, sizeof set, &set);
}

/* TLS that cannot start before the fork: a file that cannot be read, or libgnutls
 * missing (rc -1), or an unprotected key file (TLS_FILE_UNSAFE, issue 21).  Said once
 * with the file and the fix (log_config_error(): the log, and stderr where that is
 * apart from the connection).  An unprotected key is refused whatever the mode: it
 * may have been read by others already, which is no matter of availability.  Else
 * under tls_optional() the session goes on without STARTTLS (*cfg changed: 0);
 * otherwise -1 for the 421 session, or EXIT_USAGE for the unprotected key. */
static int tls_unavailable(struct config *cfg, struct tls_files *tf, int rc, const char *why)
{
	if (rc == TLS_FILE_UNSAFE) {
		log_config_error(LOG_CRIT, "cannot start: TLS: %s", why);
		return EXIT_USAGE;
	}
	if (!tls_optional(cfg)) {
		log_config_error(LOG_CRIT, "cannot start: TLS: %s: %s", why, TLS_FILE_FIX);
		return -1;
	}
	log_config_error(LOG_CRIT, "TLS: %s: serving without STARTTLS: %s", why, TLS_FILE_FIX);
	tls_files_wipe(tf);
	cfg->tls = TLS_OFF;
	return 0;
}

/* One connection, on fds 0 and 1: the session, as a super-server starts it or as the
 * listener forks it (--listen).  Returns the exit status. */
static int serve(struct config *cfg, const char *user)
{
	const char *why = NULL;
	stay_on_this_cpu();
	struct passwd *ps = NULL;
	struct tls_files tf;
	tls_files_init(&tf);
	char tls_why[PATH_MAX + 160];
	int sv[2] = { -1, -1 };
	bool started = false;
	int rc = systemd_connection(&why);	/* a passed socket moves to fds 0 and 1 */
	if (rc) {
		log_config_error(LOG_ERR, "cannot start: %s", why);
		started = true;	/* nothing to answer on */
	} else if (cfg->tls != TLS_OFF &&
		   ((rc = tls_files_read(cfg, &tf, tls_why, sizeof tls_why)) != 0 ||
		    (rc = keys_library(tls_why, sizeof tls_why)) != 0) &&
		   (rc = tls_unavailable(cfg, &tf, rc, tls_why)) != 0) {
		if (rc == -1)
			rc = 0;	/* the 421 session below sets EXIT_SYSTEM */
	} else if (users_init(cfg, user, &why) == -1)
		log_config_error(LOG_ERR, "cannot start: %s: %s", why, strerror(errno));
	else if (!cfg->single && !(ps = privsep_user(cfg, &why)))
		log_config_error(LOG_ERR, "cannot start: --privsep-user %s: %s", cfg->privsep_user,
				 why);
	else if (relay_init(cfg, &why) == -1)
		log_config_error(LOG_ERR, "cannot start: %s", why);
	else if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) == -1)
		log_msg(LOG_ERR, "cannot start: socketpair: %s", strerror(errno));
	else if ((session_pid = fork()) == -1) {
		log_msg(LOG_ERR, "cannot start: fork: %s", strerror(errno));
		close(sv[0]), close(sv[1]);
	} else if (session_pid == 0) {
		close(sv[0]);
		tls_files_close_keys(&tf);	/* the keys are the parent's alone */
		rc = session_process(cfg, ps, sv[1], &tf);
		started = true;
	} else {
		close(sv[1]);
		if (cfg->tls != TLS_OFF)	/* the keys stay here (issue 21) */
			keys_load(tf.key_fd, tf.pairs, tf.ticket_fd);
		tls_files_wipe(&tf);
		rc = parent_process(cfg, session_pid, sv[0]);
		keys_wipe();
		started = true;
	}
	tls_files_wipe(&tf);
	if (!started) {	/* a fixed 421 greeting; not a byte of the client is read */
		int refused = session_run(cfg, NULL, true, 0, 1);
		rc = rc == EXIT_USAGE ? rc : refused;
	}
	return rc;
}

/* What the listener's forked child needs to run serve() (--listen without
 * --exec-sessions). */
struct serve_args {
	struct config *cfg;
	const char *user;
};

static int serve_forked(void *arg)
{
	struct serve_args *a = arg;
	a->cfg->listen = false;
	/* As main() sets it for an exec'd session (start_session() made every
	 * disposition the default): a write to a client that has gone is EPIPE, not
	 * the end of the session. */
	signal(SIGPIPE, SIG_IGN);
	return serve(a->cfg, a->user);
}

int main(int argc, char **argv)
{
	struct config cfg;
	const char *user = NULL;
	options_defaults(&cfg);
	log_open(options_log_file(argc, argv));	/* so a usage error is logged too */
	options_parse(argc, argv, &cfg, &user);
	umask(077);
	signal(SIGPIPE, SIG_IGN);
	int rc;
	if (cfg.listen) {
		struct serve_args a = { &cfg, user };
		char ignored[200];
		/* GnuTLS initialised once for all the sessions forked (about 0.6 million
		 * instructions each otherwise); each session calls keys_library() again,
		 * which costs nothing then, and reports a failure itself. */
		if (!cfg.exec_sessions && cfg.tls != TLS_OFF)
			(void)keys_library(ignored, sizeof ignored);
		rc = listener_run(&cfg, argv, cfg.exec_sessions ? NULL : serve_forked, &a);
		free(cfg.session_argv);
	} else {
		rc = serve(&cfg, user);
	}
	/* Freed so that leak checkers (valgrind, ASan) see no leak at all. */
	free(cfg.domains);
	free(cfg.user);
	free(cfg.home);
	end_process(rc);
}
