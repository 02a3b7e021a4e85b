/* test-options.c: options.c through options.h, the command line of smtp-session(8):
 * the defaults, every option's valid and invalid values, and its EXIT STATUS section:
 * a usage error is one line "smtp-session: WHAT: FIX" on stderr, without the usage
 * text (stderr here is no terminal), and exits 100; --help and --version exit 0.
 *
 * options_parse() ends the process on a usage error and keeps state of its own
 * (getopt's optind, the default relay command it splits in place), so every case
 * runs in a child of its own: the child parses, runs the case's checks on the
 * result (their diagnostics go to stdout like ours) and exits with 0 when they all
 * passed; its stderr, and for --help its stdout, are kept in memfds. */
#include <dlfcn.h>
#include <fcntl.h>
#include <sys/mman.h>

#include "options.h"
#include "unit.h"

typedef void check_fn(const struct config *cfg, const char *user);

struct outcome {
	int status;	/* the child's wait status */
	char out[8192], err[8192];
};

struct child_arg {
	const char *const *args;
	check_fn *check;
	int out, err;
};

static void child(void *p)
{
	const struct child_arg *a = p;
	char *argv[64];
	int argc = 0;
	argv[argc++] = (char *)"smtp-session";
	for (const char *const *s = a->args; *s; s++)
		argv[argc++] = strdup(*s);	/* getopt may permute, relay_words() splits */
	argv[argc] = NULL;
	dup2(a->err, 2);
	if (!a->check)
		dup2(a->out, 1);
	struct config cfg;
	const char *user = NULL;
	options_defaults(&cfg);
	options_parse(argc, argv, &cfg, &user);
	if (a->check) {
		int before = unit_failed_checks;
		a->check(&cfg, user);
		fflush(stdout);
		_exit(unit_failed_checks == before ? 0 : 1);
	}
	_exit(42);	/* parsed, and nobody looked */
}

static void slurp(int fd, char *out, size_t n)
{
	ssize_t k = pread(fd, out, n - 1, 0);
	out[k > 0 ? k : 0] = '\0';
}

static struct outcome *parse(check_fn *check, const char *const *args)
{
	static struct outcome o;
	struct child_arg a = { args, check, memfd_create("out", 0), memfd_create("err", 0) };
	if (a.out == -1 || a.err == -1) {
		perror("memfd_create");
		exit(2);
	}
	o.status = unit_fork(child, &a);
	slurp(a.out, o.out, sizeof o.out);
	slurp(a.err, o.err, sizeof o.err);
	close(a.out);
	close(a.err);
	return &o;
}

/* A name for a case: its arguments. */
static const char *words(const char *const *args)
{
	static char s[512];
	size_t n = 0;
	s[0] = '\0';
	for (; *args && n < sizeof s - 1; args++)
		n += (size_t)snprintf(s + n, sizeof s - n, "%s%s", n ? " " : "", **args ? *args : "''");
	return n ? s : "(none)";
}

#define ARGS(...) ((const char *const[]){ __VA_ARGS__, NULL })

/* The case parses, and check finds what it should in the result. */
#define OK(check, ...) \
	TEST("%s: taken", words(ARGS(__VA_ARGS__))) { \
		struct outcome *o = parse(check, ARGS(__VA_ARGS__)); \
		CHECK(WIFEXITED(o->status) && WEXITSTATUS(o->status) == 0); \
		CHECK_STR(o->err, ""); \
	}

/* The case is a usage error: status 100, one line "smtp-session: WHAT: FIX" on
 * stderr and not the usage text (issue 22: 50 lines in the journal for every
 * connection), nothing on stdout, and the message names what (when given). */
static void usage_error(const char *what, const char *const *args)
{
	TEST("%s: usage error, exit status 100", words(args)) {
		struct outcome *o = parse(NULL, args);
		CHECK(WIFEXITED(o->status) && WEXITSTATUS(o->status) == EXIT_USAGE);
		CHECK_INT(EXIT_USAGE, 100);	/* smtp-session(8), EXIT STATUS */
		CHECK(strncmp(o->err, "smtp-session: ", 14) == 0);
		CHECK(strchr(o->err, '\n') == o->err + strlen(o->err) - 1);	/* one line */
		CHECK(strstr(o->err + 14, ": ") != NULL);	/* what, then the fix */
		CHECK(strstr(o->err, "usage: smtp-session") == NULL);
		CHECK(!what || strstr(o->err, what) != NULL);
		CHECK_STR(o->out, "");
	}
}

#define BAD(what, ...) usage_error(what, ARGS(__VA_ARGS__))

/* ---------------------------------------------------------------- checks */

static bool aliases_exist(void)
{
	return access("/etc/aliases", F_OK) == 0;
}

static void c_defaults(const struct config *c, const char *user)
{
	CHECK(user == NULL);
	CHECK_STR(c->hostname, "mx.example.org");
	CHECK_STR(c->domains, ",mx.example.org,localhost,");
	CHECK_STR(c->maildir, "Maildir");
	CHECK(c->postmaster == NULL && c->log_file == NULL && c->utmp == NULL);
	CHECK(c->max_size == DEFAULT_MAX_SIZE && c->max_size == 10485760);
	CHECK_INT(c->max_rcpt, 100);
	CHECK_INT(c->max_messages, 100);
	CHECK_INT(c->timeout, 300);
	CHECK_INT(c->session_timeout, 1800);
	CHECK_INT(c->max_errors, 20);
	CHECK(c->auth == AUTH_LOCAL && !c->require_auth);
	CHECK_STR(c->pam_service, "smtp");
	CHECK_INT(c->auth_delay_ms, 2000);
	CHECK(c->send == SEND_AUTH);
	CHECK(!c->proxy && !c->lmtp);
	CHECK_INT(c->tty_max_lines, 64);
	CHECK_INT(c->tty_max_bytes, 8192);
	CHECK_INT(c->tty_timeout, 5);
	CHECK_INT(c->delivery_timeout, 60);
	CHECK_STR(c->privsep_user, "smtp-session");
	CHECK_STR(c->privsep_dir, "/var/lib/smtp-session/empty");
	CHECK(c->tls == TLS_OFF && c->tls_pairs == 0 && !c->require_tls && !c->tls_ticket_key);
	CHECK(aliases_exist() ? c->aliases && strcmp(c->aliases, "/etc/aliases") == 0 &&
				       c->aliases_default
			      : c->aliases == NULL);
	static const char *const relay[] = { "/usr/sbin/sendmail", "-i", "-f", "{sender}", "--" };
	for (size_t i = 0; i < 5; i++)
		CHECK(c->relay_argv[i] && strcmp(c->relay_argv[i], relay[i]) == 0);
	CHECK(c->relay_argv[5] == NULL);
	CHECK(c->relay_user == NULL && !c->any_sender);
	CHECK(c->store == STORE_MAILDIR);
	CHECK_STR(c->mbox_dir, "/var/mail");
}

static void c_gethostname(const struct config *c, const char *user)
{
	char host[256] = "";
	(void)user;
	gethostname(host, sizeof host - 1);
	CHECK_STR(c->hostname, host);
	char want[300];
	for (char *p = host; *p; p++)
		*p = (char)(*p >= 'A' && *p <= 'Z' ? *p + 32 : *p);
	snprintf(want, sizeof want, ",%s,localhost,", host);
	CHECK_STR(c->domains, want);
}

#define FIELD_CHECK(name, expr) \
	static void name(const struct config *c, const char *user) \
	{ \
		(void)c; \
		(void)user; \
		CHECK(expr); \
	}

FIELD_CHECK(c_host_case, strcmp(c->hostname, "Mail.Example.ORG") == 0 &&
				 strcmp(c->domains, ",mail.example.org,localhost,") == 0)
FIELD_CHECK(c_domains, strcmp(c->domains, ",a.example,b.example,") == 0)
FIELD_CHECK(c_domains_none, strcmp(c->domains, ",") == 0)
FIELD_CHECK(c_idna, strcmp(c->domains, ",b\xc3\xbc" "cher.example,xn--bcher-kva.example,") == 0)
FIELD_CHECK(c_idna_a, strcmp(c->domains, ",xn--bcher-kva.example,b\xc3\xbc" "cher.example,") == 0)
FIELD_CHECK(c_user, user && strcmp(user, "bob") == 0)
FIELD_CHECK(c_size_min, c->max_size == 1)
FIELD_CHECK(c_size_max, c->max_size == 1ULL << 40)
FIELD_CHECK(c_rcpt, c->max_rcpt == 100000)
FIELD_CHECK(c_msgs, c->max_messages == 1)
FIELD_CHECK(c_timeout, c->timeout == 86400)
FIELD_CHECK(c_timeout5, c->timeout == 5)
FIELD_CHECK(c_stimeout, c->session_timeout == 1)
FIELD_CHECK(c_errors, c->max_errors == 100000)
FIELD_CHECK(c_delay0, c->auth_delay_ms == 0)
FIELD_CHECK(c_delay_max, c->auth_delay_ms == 60000)
FIELD_CHECK(c_lines, c->tty_max_lines == 100000)
FIELD_CHECK(c_bytes, c->tty_max_bytes == 1048576)
FIELD_CHECK(c_ttytime, c->tty_timeout == 3600)
FIELD_CHECK(c_delivery, c->delivery_timeout == 3600)
FIELD_CHECK(c_auth_always, c->auth == AUTH_ALWAYS)
FIELD_CHECK(c_auth_never, c->auth == AUTH_NEVER)
FIELD_CHECK(c_send_local, c->send == SEND_LOCAL)
FIELD_CHECK(c_send_any, c->send == SEND_ANY)
FIELD_CHECK(c_send_never, c->send == SEND_NEVER)
FIELD_CHECK(c_flags, c->require_auth && c->proxy && c->lmtp && c->any_sender)
FIELD_CHECK(c_strings, strcmp(c->postmaster, "root") == 0 && strcmp(c->log_file, "/tmp/l") == 0 &&
			       strcmp(c->pam_service, "other") == 0 && strcmp(c->utmp, "/tmp/u") == 0 &&
			       strcmp(c->privsep_user, "nobody") == 0 &&
			       strcmp(c->privsep_dir, "/tmp/e") == 0 &&
			       strcmp(c->relay_user, "mail") == 0 && strcmp(c->maildir, "/tmp/M") == 0)
FIELD_CHECK(c_tls_default, c->tls == TLS_STARTTLS && c->tls_pairs == 1 &&
				   strcmp(c->tls_cert[0], "c.pem") == 0 && strcmp(c->tls_key[0], "k.pem") == 0)
FIELD_CHECK(c_tls_two, c->tls == TLS_STARTTLS && c->tls_pairs == 2 &&
			       strcmp(c->tls_cert[1], "c2.pem") == 0 && strcmp(c->tls_key[1], "k2.pem") == 0)
FIELD_CHECK(c_tls_implicit, c->tls == TLS_IMPLICIT && c->tls_pairs == 1)
FIELD_CHECK(c_tls_off, c->tls == TLS_OFF && c->tls_pairs == 1)
FIELD_CHECK(c_require_tls, c->tls == TLS_STARTTLS && c->require_tls &&
				   strcmp(c->tls_ticket_key, "t.key") == 0)
FIELD_CHECK(c_aliases_none, c->aliases == NULL && !c->aliases_default)
FIELD_CHECK(c_aliases, strcmp(c->aliases, "/tmp/a") == 0 && !c->aliases_default)
FIELD_CHECK(c_mbox, c->store == STORE_MBOX && strcmp(c->mbox_dir, "/tmp/mail") == 0)
FIELD_CHECK(c_maildir, c->store == STORE_MAILDIR)
FIELD_CHECK(c_relay, strcmp(c->relay_argv[0], "/usr/bin/msmtp") == 0 &&
			     strcmp(c->relay_argv[1], "-f") == 0 &&
			     strcmp(c->relay_argv[2], "{sender}") == 0 &&
			     strcmp(c->relay_argv[3], "--") == 0 && c->relay_argv[4] == NULL)
FIELD_CHECK(c_relay_spaces, strcmp(c->relay_argv[0], "/bin/x") == 0 &&
				    strcmp(c->relay_argv[1], "--") == 0 && c->relay_argv[2] == NULL)
FIELD_CHECK(c_relay_max, c->relay_argv[RELAY_ARGS_MAX - 1] &&
				 strcmp(c->relay_argv[RELAY_ARGS_MAX - 1], "--") == 0 &&
				 c->relay_argv[RELAY_ARGS_MAX] == NULL)

/* ---------------------------------------------------------------- cases */

/* "/bin/x a a ... --": n words in all. */
static const char *relay_of(size_t n)
{
	static char s[256];
	size_t k = (size_t)snprintf(s, sizeof s, "/bin/x");
	for (size_t i = 1; i + 1 < n; i++)
		k += (size_t)snprintf(s + k, sizeof s - k, " a");
	snprintf(s + k, sizeof s - k, " --");
	return s;
}

static bool have_idn2(void)
{
	void *lib = dlopen("libidn2.so.0", RTLD_NOW | RTLD_LOCAL);
	if (lib)
		dlclose(lib);
	return lib != NULL;
}

static void test_valid(void)
{
	OK(c_defaults, "--hostname", "mx.example.org")
	OK(c_gethostname, "--log-file", "/dev/null")
	OK(c_host_case, "--hostname", "Mail.Example.ORG")
	OK(c_domains, "--hostname", "h", "--domains", "A.example, b.example")
	OK(c_domains, "--hostname", "h", "--domains", ",a.example,,b.example,")
	OK(c_domains_none, "--hostname", "h", "--domains", "")
	if (have_idn2()) {
		OK(c_idna, "--hostname", "h", "--domains", "b\xc3\xbc" "cher.example")
		OK(c_idna_a, "--hostname", "h", "--domains", "XN--bcher-kva.example")
	} else {
		unit_skip("--domains with an IDN: both forms", "libidn2.so.0 is not installed");
		unit_skip("--domains with an A-label: both forms", "libidn2.so.0 is not installed");
	}
	OK(c_user, "--hostname", "h", "--user", "bob")
	OK(c_size_min, "--hostname", "h", "--max-size", "1")
	OK(c_size_max, "--hostname", "h", "--max-size", "1099511627776")
	OK(c_rcpt, "--hostname", "h", "--max-recipients", "100000")
	OK(c_msgs, "--hostname", "h", "--max-messages", "1")
	OK(c_timeout, "--hostname", "h", "--timeout", "86400")
	OK(c_timeout5, "--hostname", "h", "--timeout=5")
	OK(c_stimeout, "--hostname", "h", "--session-timeout", "1")
	OK(c_errors, "--hostname", "h", "--max-errors", "100000")
	OK(c_delay0, "--hostname", "h", "--auth-delay", "0")
	OK(c_delay_max, "--hostname", "h", "--auth-delay", "60000")
	OK(c_lines, "--hostname", "h", "--tty-max-lines", "100000")
	OK(c_bytes, "--hostname", "h", "--tty-max-bytes", "1048576")
	OK(c_ttytime, "--hostname", "h", "--tty-timeout", "3600")
	OK(c_delivery, "--hostname", "h", "--delivery-timeout", "3600")
	OK(c_auth_always, "--hostname", "h", "--auth", "always")
	OK(c_auth_never, "--hostname", "h", "--auth", "never")
	OK(c_send_local, "--hostname", "h", "--send", "local")
	OK(c_send_any, "--hostname", "h", "--send", "any")
	OK(c_send_never, "--hostname", "h", "--send", "never")
	OK(c_send_never, "--hostname", "h", "--no-send")
	OK(c_flags, "--hostname", "h", "--require-auth", "--proxy", "--lmtp", "--any-sender")
	OK(c_strings, "--hostname", "h", "--postmaster", "root", "--log-file", "/tmp/l",
	   "--pam-service", "other", "--utmp", "/tmp/u", "--privsep-user", "nobody",
	   "--privsep-dir", "/tmp/e", "--relay-user", "mail", "--maildir", "/tmp/M")
	OK(c_tls_default, "--hostname", "h", "--tls-cert", "c.pem", "--tls-key", "k.pem")
	OK(c_tls_two, "--hostname", "h", "--tls-cert", "c.pem", "--tls-key", "k.pem",
	   "--tls-cert", "c2.pem", "--tls-key", "k2.pem")
	OK(c_tls_implicit, "--hostname", "h", "--tls", "implicit", "--tls-cert", "c", "--tls-key", "k")
	OK(c_tls_off, "--hostname", "h", "--tls", "off", "--tls-cert", "c", "--tls-key", "k")
	OK(c_require_tls, "--hostname", "h", "--tls", "starttls", "--tls-cert", "c", "--tls-key", "k",
	   "--require-tls", "--tls-ticket-key", "t.key")
	OK(c_aliases_none, "--hostname", "h", "--aliases", "")
	OK(c_aliases, "--hostname", "h", "--aliases", "/tmp/a")
	OK(c_mbox, "--hostname", "h", "--mailbox", "mbox", "--mbox-dir", "/tmp/mail")
	OK(c_maildir, "--hostname", "h", "--mailbox", "maildir")
	OK(c_relay, "--hostname", "h", "--relay-command", "/usr/bin/msmtp -f {sender} --")
	OK(c_relay_spaces, "--hostname", "h", "--relay-command", "/bin/x   --")
	OK(c_relay_max, "--hostname", "h", "--relay-command", relay_of(RELAY_ARGS_MAX))
}

/* Each number: the bounds smtp-session(8) and the usage messages give, one past each,
 * and what is no decimal number at all. */
static void test_numbers(void)
{
	static const struct {
		const char *opt, *below, *above;
	} num[] = {
		{ "--max-size", "0", "1099511627777" },
		{ "--max-recipients", "0", "100001" },
		{ "--max-messages", "0", "100001" },
		{ "--timeout", "0", "86401" },
		{ "--session-timeout", "0", "86401" },
		{ "--max-errors", "0", "100001" },
		{ "--auth-delay", NULL, "60001" },
		{ "--tty-max-lines", "0", "100001" },
		{ "--tty-max-bytes", "0", "1048577" },
		{ "--tty-timeout", "0", "3601" },
		{ "--delivery-timeout", "0", "3601" },
	};
	for (size_t i = 0; i < sizeof num / sizeof num[0]; i++) {
		const char *o = num[i].opt;
		if (num[i].below)
			BAD(o, "--hostname", "h", o, num[i].below);
		BAD(o, "--hostname", "h", o, num[i].above);
		BAD(o, "--hostname", "h", o, "");
		BAD(o, "--hostname", "h", o, "-1");
		BAD(o, "--hostname", "h", o, "+5");
		BAD(o, "--hostname", "h", o, " 5");
		BAD(o, "--hostname", "h", o, "5s");
		BAD(o, "--hostname", "h", o, "0x10");
		BAD(o, "--hostname", "h", o, "99999999999999999999999");
	}
}

static void test_invalid(void)
{
	BAD("--auth", "--hostname", "h", "--auth", "ALWAYS");
	BAD("--auth", "--hostname", "h", "--auth", "");
	BAD("--send", "--hostname", "h", "--send", "all");
	BAD("--tls", "--hostname", "h", "--tls", "on", "--tls-cert", "c", "--tls-key", "k");
	BAD("--tls starttls: no certificate is configured: set TLS=", "--hostname", "h", "--tls",
	    "starttls");
	BAD("--tls implicit: no certificate is configured", "--hostname", "h", "--tls", "implicit");
	BAD("in pairs", "--hostname", "h", "--tls-cert", "c");
	BAD("in pairs", "--hostname", "h", "--tls-key", "k");
	BAD("in pairs", "--hostname", "h", "--tls-cert", "c", "--tls-key", "k", "--tls-cert", "c2");
	BAD("--tls-cert: more than twice", "--hostname", "h", "--tls-cert", "a", "--tls-cert", "b",
	    "--tls-cert", "c");
	BAD("--tls-key: more than twice", "--hostname", "h", "--tls-key", "a", "--tls-key", "b",
	    "--tls-key", "c");
	/* The shipped units with TLS= empty in /etc/default/smtp-session (issue 22). */
	BAD("--require-tls: no certificate is configured: set TLS=\"--tls-cert FILE --tls-key "
	    "FILE\" in /etc/default/smtp-session", "--hostname", "h", "--require-tls");
	BAD("--require-tls", "--hostname", "h", "--require-tls", "--tls", "implicit", "--tls-cert",
	    "c", "--tls-key", "k");
	BAD("--mailbox", "--hostname", "h", "--mailbox", "mh");
	BAD("--mbox-dir", "--hostname", "h", "--mbox-dir", "var/mail");
	BAD("--privsep-dir", "--hostname", "h", "--privsep-dir", "empty");
	BAD("--relay-command", "--hostname", "h", "--relay-command", "sendmail -i --");
	BAD("--relay-command", "--hostname", "h", "--relay-command", "/usr/sbin/sendmail -i");
	BAD("--relay-command", "--hostname", "h", "--relay-command", "/usr/sbin/sendmail");
	BAD("--relay-command", "--hostname", "h", "--relay-command", "");
	BAD("{sender} must be a word", "--hostname", "h", "--relay-command", "/bin/x -f<{sender}> --");
	BAD("{dsn} must be a word", "--hostname", "h", "--relay-command", "/bin/x -N{dsn} --");
	BAD("too many words", "--hostname", "h", "--relay-command", relay_of(RELAY_ARGS_MAX + 1));
	BAD("--hostname", "--hostname", "a b");
	BAD("--hostname", "--hostname", "");
	BAD("--hostname", "--hostname", "h\xc3\xa9");
	BAD("--hostname", "--hostname", "h\n");
	char long_host[300];
	memset(long_host, 'h', 256);
	long_host[256] = '\0';
	BAD("--hostname", "--hostname", long_host);
	BAD("--maildir", "--hostname", "h", "--maildir", "");
	if (have_idn2())
		BAD("--domains", "--hostname", "h", "--domains", "B\xc3\x9c" "CHER.example");
	else
		unit_skip("--domains with an IDN not in IDNA2008 form: usage error",
			  "libidn2.so.0 is not installed");
	char long_domain[300];
	memset(long_domain, 'd', 256);
	long_domain[256] = '\0';
	BAD("--domains", "--hostname", "h", "--domains", long_domain);
	BAD("--bogus: unknown", "--hostname", "h", "--bogus");
	BAD("-x: no such option", "--hostname", "h", "-x");
	BAD("--timeout: needs an argument", "--hostname", "h", "--timeout");
	/* ambiguous: --max-size, --max-errors... */
	BAD("--max: unknown or ambiguous", "--hostname", "h", "--max", "5");
	BAD("--proxy=yes: unknown", "--hostname", "h", "--proxy=yes");
	BAD("unexpected argument extra", "--hostname", "h", "extra");
}

static void test_help(void)
{
	TEST("--help: the usage on stdout, exit status 0, nothing on stderr") {
		struct outcome *o = parse(NULL, ARGS("--help"));
		CHECK(WIFEXITED(o->status) && WEXITSTATUS(o->status) == 0);
		CHECK(strncmp(o->out, "usage: smtp-session", 19) == 0);
		CHECK(strstr(o->out, "--help, --version") != NULL);
		CHECK_STR(o->err, "");
	}
	TEST("--version: the version on stdout, exit status 0") {
		struct outcome *o = parse(NULL, ARGS("--version"));
		CHECK(WIFEXITED(o->status) && WEXITSTATUS(o->status) == 0);
		CHECK_STR(o->out, "smtp-session " SMTP_SESSION_VERSION "\n");
		CHECK_STR(o->err, "");
	}
	TEST("--help wins over a usage error that comes after it") {
		struct outcome *o = parse(NULL, ARGS("--help", "--timeout", "0"));
		CHECK(WIFEXITED(o->status) && WEXITSTATUS(o->status) == 0);
	}
}

/* --listen: the listener's options, and the argv each session's exec gets without
 * them (listen/listener.c), whatever their form. */
static void c_listen_defaults(const struct config *c, const char *user)
{
	(void)user;
	CHECK(c->listen && !c->exec_sessions);
	CHECK_INT(c->max_sessions, DEFAULT_MAX_SESSIONS);
	CHECK_INT(c->max_sessions, 64);
	CHECK_INT(c->max_per_source, DEFAULT_MAX_PER_SOURCE);
	CHECK_INT(c->max_per_source, 16);
	CHECK(c->session_argv && !strcmp(c->session_argv[0], "smtp-session") &&
	      !c->session_argv[1]);
}

static void c_listen_strip(const struct config *c, const char *user)
{
	static const char *const want[] = { "smtp-session", "--hostname", "a.example",
					    "--timeout", "60", "--auth=never", NULL };
	(void)user;
	CHECK(c->listen);
	CHECK_INT(c->max_sessions, 5);
	CHECK_INT(c->max_per_source, 3);
	CHECK(c->exec_sessions);
	size_t i = 0;
	for (; want[i] && c->session_argv[i]; i++)
		CHECK_STR(c->session_argv[i], want[i]);
	CHECK(!want[i] && !c->session_argv[i]);
	CHECK_INT(c->timeout, 60);
}

static void c_no_listen(const struct config *c, const char *user)
{
	(void)user;
	CHECK(!c->listen && !c->session_argv && !c->exec_sessions);
	CHECK_INT(c->max_sessions, 64);
}

static void test_listen(void)
{
	OK(c_listen_defaults, "--listen");
	OK(c_listen_strip, "--hostname", "a.example", "--listen", "--max-sessions", "5",
	   "--timeout", "60", "--exec-sessions", "--max-per-source=3", "--auth=never");
	OK(c_no_listen, "--timeout", "60");
	BAD("--max-sessions 0: not a number from 1 to 10000", "--listen", "--max-sessions", "0");
	BAD("--max-per-source 10001", "--listen", "--max-per-source", "10001");
	BAD("--max-sessions, --max-per-source and --exec-sessions without --listen", "--max-sessions", "5");
	BAD("without --listen", "--max-per-source=2");
	BAD("without --listen", "--exec-sessions");
}

static void c_milter_defaults(const struct config *c, const char *user)
{
	(void)user;
	CHECK_INT(c->nmilters, 0);
	CHECK(c->milter_default == MILTER_TEMPFAIL);
	CHECK_INT(c->milter_timeout, 30);
}

static void c_milters(const struct config *c, const char *user)
{
	(void)user;
	CHECK_INT(c->nmilters, 4);
	CHECK_STR(c->milters[0], "unix:/run/opendkim/opendkim.sock");
	CHECK_STR(c->milters[1], "inet:127.0.0.1:11332");
	CHECK_STR(c->milters[2], "inet6:[::1]:8891");
	CHECK_STR(c->milters[3], "inet:localhost:8893");
	CHECK(c->milter_default == MILTER_ACCEPT);
	CHECK_INT(c->milter_timeout, 3600);
}

/* --milter, --milter-default-action, --milter-timeout (issue 24). */
static void test_milter(void)
{
	OK(c_milter_defaults, "--hostname", "h");
	OK(c_milters, "--milter", "unix:/run/opendkim/opendkim.sock", "--milter",
	   "inet:127.0.0.1:11332", "--milter=inet6:[::1]:8891", "--milter", "inet:localhost:8893",
	   "--milter-default-action", "accept", "--milter-timeout", "3600");
	BAD("--milter: more than 4", "--milter", "unix:/a", "--milter", "unix:/b", "--milter",
	    "unix:/c", "--milter", "unix:/d", "--milter", "unix:/e");
	BAD("--milter unix:run/x.sock: not unix:/PATH", "--milter", "unix:run/x.sock");
	BAD("--milter inet:127.0.0.1: not unix:/PATH", "--milter", "inet:127.0.0.1");
	BAD("--milter inet:127.0.0.1:0: not", "--milter", "inet:127.0.0.1:0");
	BAD("--milter inet::25: not", "--milter", "inet::25");
	BAD("--milter tcp:1.2.3.4:25: not", "--milter", "tcp:1.2.3.4:25");
	BAD("--milter-default-action discard: no such action", "--milter-default-action", "discard");
	BAD("--milter-timeout 0: not seconds from 1 to 3600", "--milter-timeout", "0");
}

int main(void)
{
	test_listen();
	test_milter();
	test_valid();
	test_numbers();
	test_invalid();
	test_help();
	return unit_done();
}
