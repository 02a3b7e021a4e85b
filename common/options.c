/* options.c: the command line, into struct config.  It runs before the fork, so
 * both sides get the same configuration. */
#include "options.h"

#include <ctype.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "addr.h"
#include "idna.h"
#include "buf.h"
#include "log.h"

void options_defaults(struct config *cfg)
{
	*cfg = (struct config){
		.maildir = "Maildir",
		.max_size = DEFAULT_MAX_SIZE,
		.max_rcpt = DEFAULT_MAX_RCPT,
		.max_messages = DEFAULT_MAX_MESSAGES,
		.timeout = DEFAULT_TIMEOUT,
		.session_timeout = DEFAULT_SESSION_TIMEOUT,
		.max_errors = DEFAULT_MAX_ERRORS,
		.auth = AUTH_LOCAL,
		.send = SEND_AUTH,
		.pam_service = "smtp",
		.auth_delay_ms = DEFAULT_AUTH_DELAY_MS,
		.tty_max_lines = DEFAULT_TTY_MAX_LINES,
		.tty_max_bytes = DEFAULT_TTY_MAX_BYTES,
		.tty_timeout = DEFAULT_TTY_TIMEOUT,
		.delivery_timeout = DEFAULT_DELIVERY_TIMEOUT,
		.privsep_user = DEFAULT_PRIVSEP_USER,
		.privsep_dir = DEFAULT_PRIVSEP_DIR,
		.relay_user = NULL,
		.store = STORE_MAILDIR,
		.mbox_dir = DEFAULT_MBOX_DIR,
		.max_sessions = DEFAULT_MAX_SESSIONS,
		.max_per_source = DEFAULT_MAX_PER_SOURCE,
		.milter_default = MILTER_TEMPFAIL,
		.milter_timeout = DEFAULT_MILTER_TIMEOUT,
	};
	if (access(DEFAULT_ALIASES, F_OK) == 0) {	/* as every Debian MTA reads it */
		cfg->aliases = DEFAULT_ALIASES;
		cfg->aliases_default = true;
	}
}

static void usage(FILE *f)
{
	fputs("usage: smtp-session [options]   (the connection on stdin/stdout)\n"
	      "       smtp-session --listen [--max-sessions N] [--max-per-source N]\n"
	      "                      [--exec-sessions] [options]\n"
	      "                         (a listening socket from systemd, Accept=no, or on\n"
	      "                         stdin: a session forked per connection)\n"
	      "  --hostname NAME        our name (default: gethostname)\n"
	      "  --domains A,B,...      local domains (default: the hostname and localhost)\n"
	      "  --maildir PATH         Maildir below each home (default Maildir);\n"
	      "                         an absolute path only in single-user mode\n"
	      "  --user NAME            single-user mode: all mail to NAME, running as NAME\n"
	      "  --postmaster USER      who gets mail for postmaster, root and system\n"
	      "                         accounts (default: nobody, it is refused)\n"
	      "  --max-size BYTES       largest message (default 10485760)\n"
	      "  --max-recipients N     recipients per message (default 100)\n"
	      "  --max-messages N       messages (MAIL commands) per connection (default 100)\n"
	      "  --timeout SECONDS      idle timeout, and the most one command line may\n"
	      "                         take from its first byte (default 300)\n"
	      "  --session-timeout SECONDS  the most a whole session may last (default 1800)\n"
	      "  --max-errors N         refused commands before 421 (default 20)\n"
	      "  --log-file PATH        log to PATH instead of syslog (facility mail)\n"
	      "  --auth WHERE           offer AUTH: local (loopback clients, the default),\n"
	      "                         always, or never\n"
	      "  --require-auth         submission mode: MAIL only after AUTH\n"
	      "  --pam-service NAME     PAM service for AUTH (default smtp)\n"
	      "  --auth-delay MS        pause after a failed AUTH (default 2000)\n"
	      "  --send WHO             who may write on terminals with SEND, SOML, SAML:\n"
	      "                         auth (authenticated and loopback clients, the\n"
	      "                         default), local (loopback clients), any, or never\n"
	      "  --no-send              the same as --send never\n"
	      "  --utmp PATH            who is logged in where (default: the system's utmp)\n"
	      "  --tty-max-lines N      lines of a message shown on a terminal (default 64)\n"
	      "  --tty-max-bytes N      bytes of a message shown on a terminal (default 8192)\n"
	      "  --tty-timeout SECONDS  time a terminal may take to accept it (default 5)\n"
	      "  --delivery-timeout SECONDS\n"
	      "                         time a recipient's mailbox may take for a check or\n"
	      "                         a delivery before it fails with 451 (default 60)\n"
	      "  --privsep-user NAME    as root, run the dialogue as NAME (default smtp-session)\n"
	      "  --privsep-dir DIR      ... with the empty DIR as its root\n"
	      "                         (default /var/lib/smtp-session/empty)\n"
	      "  --proxy                a PROXY protocol header (v1 or v2) comes first: the\n"
	      "                         client's address is the one it names; behind the\n"
	      "                         proxy no client is local (no AUTH without TLS,\n"
	      "                         no SEND under --send auth or local) unless\n"
	      "  --proxy-trust-loopback the proxy is on this host and its loopback clients\n"
	      "                         are local: a header naming 127/8 or ::1 counts\n"
	      "  --lmtp                 speak LMTP (RFC 2033: LHLO, a reply per recipient)\n"
	      "  --tls MODE             starttls (default with a certificate), implicit\n"
	      "                         (port 465) or off\n"
	      "  --tls-cert FILE        certificate chain (PEM); twice for RSA and ECDSA\n"
	      "  --tls-key FILE         its private key (PEM), read by the privileged side\n"
	      "  --require-tls          no MAIL, AUTH, SEND, SOML or SAML before STARTTLS\n"
	      "  --tls-ticket-key FILE  64-byte RFC 5077 ticket key shared by all sessions\n"
	      "  --aliases FILE         aliases(5) file (default /etc/aliases when it exists;\n"
	      "                         \"\" for none)\n"
	      "  --relay-command CMD    hand-off to the MTA for remote recipients (default\n"
	      "                         \"/usr/sbin/sendmail -i -f {sender} --\"); no shell\n"
	      "                         ({dsn}: the DSN parameters as -N -R -V, for Postfix)\n"
	      "  --relay-user NAME      run it as NAME (default: the --privsep-user)\n"
	      "  --relay-socket PATH    hand-off over SMTP to this Unix socket instead\n"
	      "                         (the units' smtp-relay.socket)\n"
	      "  --any-sender           an authenticated client may use any MAIL FROM\n"
	      "  --mailbox FORMAT       maildir (the default) or mbox\n"
	      "  --mbox-dir DIR         where mbox files are (default /var/mail)\n"
	      "  --milter SOCKET        a mail filter (Sendmail milter protocol 6), in\n"
	      "                         Postfix's notation: unix:/PATH, inet:HOST:PORT or\n"
	      "                         inet6:HOST:PORT; repeatable, run in that order\n"
	      "  --milter-default-action ACTION\n"
	      "                         when a milter fails: tempfail (the default), accept\n"
	      "                         or reject\n"
	      "  --milter-timeout SECONDS  for the connection and each reply (default 30)\n"
	      "  --listen               serve the connections of a listening socket (systemd\n"
	      "                         Accept=no, or on stdin): one fresh session each\n"
	      "  --max-sessions N       with --listen: live sessions in all (default 64)\n"
	      "  --max-per-source N     with --listen: live sessions per client address\n"
	      "                         (default 16)\n"
	      "  --exec-sessions        with --listen: exec each session afresh (a new\n"
	      "                         address-space layout each) instead of forking it\n"
	      "                         from the listener\n"
	      "  --help, --version\n", f);
}


static _Noreturn void bad_usage(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* ",a,b," for addr_local_domain(): each domain with its ASCII letters in lowercase,
 * and an internationalized one in both forms, U-labels and A-labels (idna.c), so
 * that an address matches in either form (RFC 6531 3.2, RFC 5890). */
static char *domain_list(const char *list)
{
	struct buf b = BUF_INIT, one = BUF_INIT;
	buf_addc(&b, ',');
	for (const char *p = list;; p++) {
		if (*p && *p != ',') {
			if (*p != ' ')
				buf_addc(&one, *p);
			continue;
		}
		char key[DOMAIN_MAX + 1], other[DOMAIN_MAX + 1];
		int forms = 0;
		if (one.len && (!addr_domain_key(one.p, key, sizeof key) ||
				(forms = idna_other_form(key, other, sizeof other)) == -1))
			bad_usage("--domains: %s is too long or not valid IDNA2008: give the "
				  "domains as DNS has them, e.g. --domains example.org,localhost",
				  one.p);
		if (one.len)
			buf_printf(&b, "%s,", key);
		if (forms == 1)
			buf_printf(&b, "%s,", other);
		buf_reset(&one);
		if (!*p)
			break;
	}
	buf_free(&one);
	return b.p;
}

enum { O_HOSTNAME = 256, O_DOMAINS, O_MAILDIR, O_USER, O_POSTMASTER, O_MAXSIZE,
       O_MAXRCPT, O_MAXMSGS, O_TIMEOUT, O_SESSION_TIMEOUT, O_MAXERRORS, O_LOGFILE, O_AUTH,
       O_REQUIRE_AUTH, O_PAM_SERVICE, O_AUTH_DELAY, O_SEND, O_NOSEND, O_UTMP, O_TTYLINES,
       O_TTYBYTES, O_TTYTIMEOUT, O_DELIVERY_TIMEOUT, O_PRIVSEP_USER, O_PRIVSEP_DIR, O_PROXY, O_PROXY_TRUST_LOOPBACK, O_LMTP,
       O_HELP, O_VERSION,
       O_TLS = 512, O_TLS_CERT, O_TLS_KEY, O_REQUIRE_TLS, O_TLS_TICKET_KEY,
       O_ALIASES = 768, O_RELAY_COMMAND, O_RELAY_USER, O_RELAY_SOCKET, O_ANY_SENDER, O_MAILBOX, O_MBOX_DIR,
       O_LISTEN = 1024, O_MAX_SESSIONS, O_MAX_PER_SOURCE, O_EXEC_SESSIONS,
       O_MILTER = 1280, O_MILTER_DEFAULT, O_MILTER_TIMEOUT };

static const struct option options[] = {
	{ "hostname", required_argument, NULL, O_HOSTNAME },
	{ "domains", required_argument, NULL, O_DOMAINS },
	{ "maildir", required_argument, NULL, O_MAILDIR },
	{ "user", required_argument, NULL, O_USER },
	{ "postmaster", required_argument, NULL, O_POSTMASTER },
	{ "max-size", required_argument, NULL, O_MAXSIZE },
	{ "max-recipients", required_argument, NULL, O_MAXRCPT },
	{ "max-messages", required_argument, NULL, O_MAXMSGS },
	{ "timeout", required_argument, NULL, O_TIMEOUT },
	{ "session-timeout", required_argument, NULL, O_SESSION_TIMEOUT },
	{ "max-errors", required_argument, NULL, O_MAXERRORS },
	{ "log-file", required_argument, NULL, O_LOGFILE },
	{ "auth", required_argument, NULL, O_AUTH },
	{ "require-auth", no_argument, NULL, O_REQUIRE_AUTH },
	{ "pam-service", required_argument, NULL, O_PAM_SERVICE },
	{ "auth-delay", required_argument, NULL, O_AUTH_DELAY },
	{ "send", required_argument, NULL, O_SEND },
	{ "no-send", no_argument, NULL, O_NOSEND },
	{ "utmp", required_argument, NULL, O_UTMP },
	{ "tty-max-lines", required_argument, NULL, O_TTYLINES },
	{ "tty-max-bytes", required_argument, NULL, O_TTYBYTES },
	{ "tty-timeout", required_argument, NULL, O_TTYTIMEOUT },
	{ "delivery-timeout", required_argument, NULL, O_DELIVERY_TIMEOUT },
	{ "privsep-user", required_argument, NULL, O_PRIVSEP_USER },
	{ "privsep-dir", required_argument, NULL, O_PRIVSEP_DIR },
	{ "proxy", no_argument, NULL, O_PROXY },
	{ "proxy-trust-loopback", no_argument, NULL, O_PROXY_TRUST_LOOPBACK },
	{ "lmtp", no_argument, NULL, O_LMTP },
	{ "tls", required_argument, NULL, O_TLS },
	{ "tls-cert", required_argument, NULL, O_TLS_CERT },
	{ "tls-key", required_argument, NULL, O_TLS_KEY },
	{ "require-tls", no_argument, NULL, O_REQUIRE_TLS },
	{ "tls-ticket-key", required_argument, NULL, O_TLS_TICKET_KEY },
	{ "aliases", required_argument, NULL, O_ALIASES },
	{ "relay-command", required_argument, NULL, O_RELAY_COMMAND },
	{ "relay-user", required_argument, NULL, O_RELAY_USER },
	{ "relay-socket", required_argument, NULL, O_RELAY_SOCKET },
	{ "any-sender", no_argument, NULL, O_ANY_SENDER },
	{ "mailbox", required_argument, NULL, O_MAILBOX },
	{ "mbox-dir", required_argument, NULL, O_MBOX_DIR },
	{ "listen", no_argument, NULL, O_LISTEN },
	{ "max-sessions", required_argument, NULL, O_MAX_SESSIONS },
	{ "max-per-source", required_argument, NULL, O_MAX_PER_SOURCE },
	{ "exec-sessions", no_argument, NULL, O_EXEC_SESSIONS },
	{ "milter", required_argument, NULL, O_MILTER },
	{ "milter-default-action", required_argument, NULL, O_MILTER_DEFAULT },
	{ "milter-timeout", required_argument, NULL, O_MILTER_TIMEOUT },
	{ "help", no_argument, NULL, O_HELP },
	{ "version", no_argument, NULL, O_VERSION },
	{ NULL, 0, NULL, 0 },
};

/* A usage error: one line, "smtp-session: WHAT: FIX", to stderr and to the log
 * (log_config_error(): not on the client's connection, and not twice in the journal),
 * so that a unit started for each connection says in "systemctl status" what to fix.
 * The usage text only to a person at a terminal: in a log it is 50 lines of noise
 * repeated for every connection (issue 22). */
static _Noreturn void bad_usage(const char *fmt, ...)
{
	char what[600];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(what, sizeof what, fmt, ap);
	va_end(ap);
	log_config_error(LOG_ERR, "%s", what);
	if (isatty(2))
		usage(stderr);
	exit(EXIT_USAGE);
}

/* The fix for TLS options given without a certificate: the shipped units pass
 * $TLS from DEFAULT_ENV_FILE, so an empty TLS= leaves --require-tls alone. */
#define NO_CERT_FIX "no certificate is configured: set TLS=\"--tls-cert FILE --tls-key FILE\" " \
	"in " DEFAULT_ENV_FILE " (the systemd units pass it), or give --tls-cert and --tls-key"

/* optarg as a number from min to max, else a usage error that names the range. */
static unsigned long long number(const char *opt, unsigned long long min,
				 unsigned long long max, const char *unit)
{
	unsigned long long n;
	if (!addr_number(optarg, min, max, &n))
		bad_usage("%s %s: not %s from %llu to %llu: give one in that range", opt, optarg,
			  unit, min, max);
	return n;
}

/* The TLS options (issue 11); false when c is none of them. */
static bool tls_option(int c, struct config *cfg, unsigned *certs, unsigned *keys, bool *mode)
{
	switch (c) {
	case O_TLS:
		*mode = true;
		if (strcmp(optarg, "starttls") == 0)
			cfg->tls = TLS_STARTTLS;
		else if (strcmp(optarg, "implicit") == 0)
			cfg->tls = TLS_IMPLICIT;
		else if (strcmp(optarg, "off") == 0)
			cfg->tls = TLS_OFF;
		else
			bad_usage("--tls %s: no such mode: give --tls starttls, implicit or off",
				  optarg);
		return true;
	case O_TLS_CERT:
		if (*certs >= TLS_PAIRS_MAX)
			bad_usage("--tls-cert: more than twice: give at most one RSA and one ECDSA "
				  "certificate");
		cfg->tls_cert[(*certs)++] = optarg;
		return true;
	case O_TLS_KEY:
		if (*keys >= TLS_PAIRS_MAX)
			bad_usage("--tls-key: more than twice: give at most one RSA and one ECDSA "
				  "key");
		cfg->tls_key[(*keys)++] = optarg;
		return true;
	case O_REQUIRE_TLS: cfg->require_tls = true; return true;
	case O_TLS_TICKET_KEY: cfg->tls_ticket_key = optarg; return true;
	default: return false;
	}
}

/* --tls defaults to starttls when a certificate is given; TLS needs the pairs. */
static void tls_check(struct config *cfg, unsigned certs, unsigned keys, bool mode)
{
	if (certs != keys)
		bad_usage("%u --tls-cert and %u --tls-key: they come in pairs: give a --tls-key "
			  "for each --tls-cert", certs, keys);
	cfg->tls_pairs = certs;
	if (!mode)
		cfg->tls = certs ? TLS_STARTTLS : TLS_OFF;
	if (cfg->tls != TLS_OFF && !certs)
		bad_usage("--tls %s: %s", cfg->tls == TLS_IMPLICIT ? "implicit" : "starttls",
			  NO_CERT_FIX);
	if (cfg->require_tls && !certs)
		bad_usage("--require-tls: %s", NO_CERT_FIX);
	if (cfg->require_tls && cfg->tls != TLS_STARTTLS)
		bad_usage("--require-tls with --tls %s: only STARTTLS can be required: leave "
			  "--require-tls out", cfg->tls == TLS_IMPLICIT ? "implicit (TLS from "
			  "the first byte)" : "off");
}

/* --relay-command into words (split at spaces; no quoting, no shell): an absolute
 * program, at most RELAY_ARGS_MAX words, the last one "--" (the recipients follow it,
 * never to be read as options), and {sender} and {dsn} (relay.h) only as whole words. */
static void relay_words(struct config *cfg, char *cmd)
{
	size_t n = 0;
	char *save = NULL;
	for (char *w = strtok_r(cmd, " ", &save); w; w = strtok_r(NULL, " ", &save)) {
		if (n >= RELAY_ARGS_MAX)
			bad_usage("--relay-command: too many words: give at most %d", RELAY_ARGS_MAX);
		if (strstr(w, "{sender}") && strcmp(w, "{sender}") != 0)
			bad_usage("--relay-command: %s: {sender} must be a word of its own: put "
				  "spaces around it", w);
		if (strstr(w, "{dsn}") && strcmp(w, "{dsn}") != 0)
			bad_usage("--relay-command: %s: {dsn} must be a word of its own: put "
				  "spaces around it", w);
		cfg->relay_argv[n++] = w;
	}
	cfg->relay_argv[n] = NULL;
	if (n < 2 || cfg->relay_argv[0][0] != '/' || strcmp(cfg->relay_argv[n - 1], "--") != 0)
		bad_usage("--relay-command: not an absolute path, arguments and \"--\" last: "
			  "give e.g. \"%s\"", DEFAULT_RELAY_COMMAND);
}

/* The options of forwarding, relaying and mbox (issue 13); false when c is none. */
static bool forward_option(int c, struct config *cfg)
{
	switch (c) {
	case O_ALIASES:
		cfg->aliases = optarg[0] ? optarg : NULL;
		cfg->aliases_default = false;
		return true;
	case O_RELAY_COMMAND: relay_words(cfg, optarg); return true;
	case O_RELAY_USER: cfg->relay_user = optarg; return true;
	case O_RELAY_SOCKET:
		/* sun_path is 108 bytes; a relative name would depend on the directory. */
		if (optarg[0] != '/' || strlen(optarg) >= 108)
			bad_usage("--relay-socket: an absolute path of at most 107 bytes");
		cfg->relay_socket = optarg;
		return true;
	case O_ANY_SENDER: cfg->any_sender = true; return true;
	case O_MAILBOX:
		if (strcmp(optarg, "maildir") == 0)
			cfg->store = STORE_MAILDIR;
		else if (strcmp(optarg, "mbox") == 0)
			cfg->store = STORE_MBOX;
		else
			bad_usage("--mailbox %s: no such format: give maildir or mbox", optarg);
		return true;
	case O_MBOX_DIR:
		if (optarg[0] != '/')
			bad_usage("--mbox-dir %s: not an absolute path: give e.g. %s", optarg,
				  DEFAULT_MBOX_DIR);
		cfg->mbox_dir = optarg;
		return true;
	default: return false;
	}
}

/* --milter SOCKET in Postfix's notation (smtpd_milters): unix:/PATH (an absolute
 * path that fits sun_path), inet:HOST:PORT or inet6:HOST:PORT (HOST may be an IPv6
 * address, in brackets or not: the port is after the last colon). */
static bool milter_spec_ok(const char *spec)
{
	if (strlen(spec) > MILTER_SPEC_MAX)
		return false;
	if (strncmp(spec, "unix:", 5) == 0)
		return spec[5] == '/' && strlen(spec + 5) < 108;
	const char *rest = strncmp(spec, "inet:", 5) == 0 ? spec + 5 :
			   strncmp(spec, "inet6:", 6) == 0 ? spec + 6 : NULL;
	const char *colon = rest ? strrchr(rest, ':') : NULL;
	unsigned long long port;
	return colon && colon > rest && addr_number(colon + 1, 1, 65535, &port);
}

/* The milter options (issue 24); false when c is none of them. */
static bool milter_option(int c, struct config *cfg)
{
	switch (c) {
	case O_MILTER:
		if (cfg->nmilters >= MILTER_MAX)
			bad_usage("--milter: more than %d: chain fewer filters (rspamd alone does "
				  "spam, DKIM, SPF and DMARC)", MILTER_MAX);
		if (!milter_spec_ok(optarg))
			bad_usage("--milter %s: not unix:/PATH, inet:HOST:PORT or inet6:HOST:PORT: "
				  "give e.g. --milter inet:127.0.0.1:11332", optarg);
		cfg->milters[cfg->nmilters++] = optarg;
		return true;
	case O_MILTER_DEFAULT:
		if (strcmp(optarg, "tempfail") == 0)
			cfg->milter_default = MILTER_TEMPFAIL;
		else if (strcmp(optarg, "accept") == 0)
			cfg->milter_default = MILTER_ACCEPT;
		else if (strcmp(optarg, "reject") == 0)
			cfg->milter_default = MILTER_REJECT;
		else
			bad_usage("--milter-default-action %s: no such action: give tempfail, "
				  "accept or reject", optarg);
		return true;
	case O_MILTER_TIMEOUT:
		cfg->milter_timeout = (unsigned)number("--milter-timeout", 1, 3600, "seconds");
		return true;
	default: return false;
	}
}

/* The listener's options (listen/listener.c); false when c is none of them. */
static bool listen_option(int c, struct config *cfg, bool *limits)
{
	switch (c) {
	case O_LISTEN: cfg->listen = true; return true;
	case O_EXEC_SESSIONS: cfg->exec_sessions = true; *limits = true; return true;
	case O_MAX_SESSIONS:
		cfg->max_sessions = (unsigned)number("--max-sessions", 1, LISTEN_SESSIONS_LIMIT,
						     "a number");
		*limits = true;
		return true;
	case O_MAX_PER_SOURCE:
		cfg->max_per_source = (unsigned)number("--max-per-source", 1,
						       LISTEN_SESSIONS_LIMIT, "a number");
		*limits = true;
		return true;
	default: return false;
	}
}

/* Under --listen, the argv each connection's exec gets: argv without the listener's
 * own options (the words from..to-1 of each, marked in mine), so that the session
 * started is exactly what inetd or an Accept=yes unit starts.  getopt_long() has not
 * moved a word: a non-option, the one thing it moves, is a usage error. */
static char **session_argv(int argc, char **argv, const bool *mine)
{
	char **out = calloc((size_t)argc + 1, sizeof *out);
	if (!out)
		bad_usage("--listen: out of memory");
	int n = 0;
	for (int i = 0; i < argc; i++)
		if (!mine[i])
			out[n++] = argv[i];
	out[n] = NULL;
	return out;
}

void options_parse(int argc, char **argv, struct config *cfg, const char **user)
{
	/* Static, so that a usage error's exit (bad_usage()) leaves it reachable: leak
	 * checkers (LeakSanitizer) do not see the registers it may be in otherwise. */
	static bool *mine;
	bool limits = false;
	mine = calloc((size_t)argc + 1, sizeof *mine);
	if (!mine)
		bad_usage("out of memory");
	unsigned certs = 0, keys = 0;
	bool mode = false;
	static char host[256];
	const char *domains = NULL;
	int c;
	opterr = 0;	/* getopt's own message would be a second line: bad_usage() says it */
	for (;;) {
		int from = optind ? optind : 1;	/* 0: options_log_file() asked for a restart */
		if ((c = getopt_long(argc, argv, ":", options, NULL)) == -1)
			break;
		if (listen_option(c, cfg, &limits)) {
			for (int i = from; i < optind && i < argc; i++)
				mine[i] = true;
			continue;
		}
		if (tls_option(c, cfg, &certs, &keys, &mode) || forward_option(c, cfg) ||
		    milter_option(c, cfg))
			continue;
		switch (c) {
		case O_HOSTNAME: cfg->hostname = optarg; break;
		case O_DOMAINS: domains = optarg; break;
		case O_MAILDIR: cfg->maildir = optarg; break;
		case O_USER: *user = optarg; break;
		case O_POSTMASTER: cfg->postmaster = optarg; break;
		case O_LOGFILE: cfg->log_file = optarg; break;
		case O_REQUIRE_AUTH: cfg->require_auth = true; break;
		case O_PAM_SERVICE: cfg->pam_service = optarg; break;
		case O_AUTH:
			if (strcmp(optarg, "local") == 0)
				cfg->auth = AUTH_LOCAL;
			else if (strcmp(optarg, "always") == 0)
				cfg->auth = AUTH_ALWAYS;
			else if (strcmp(optarg, "never") == 0)
				cfg->auth = AUTH_NEVER;
			else
				bad_usage("--auth %s: no such policy: give local, always or never",
					  optarg);
			break;
		case O_AUTH_DELAY:
			cfg->auth_delay_ms = (unsigned)number("--auth-delay", 0, 60000, "milliseconds");
			break;
		case O_MAXSIZE:
			cfg->max_size = number("--max-size", 1, 1ULL << 40, "bytes");
			break;
		case O_MAXRCPT:
			cfg->max_rcpt = (unsigned)number("--max-recipients", 1, RCPT_LIMIT, "a number");
			break;
		case O_MAXMSGS:
			cfg->max_messages = (unsigned)number("--max-messages", 1, 100000, "a number");
			break;
		case O_TIMEOUT:
			cfg->timeout = (unsigned)number("--timeout", 1, 86400, "seconds");
			break;
		case O_SESSION_TIMEOUT:
			cfg->session_timeout = (unsigned)number("--session-timeout", 1, 86400, "seconds");
			break;
		case O_MAXERRORS:
			cfg->max_errors = (unsigned)number("--max-errors", 1, 100000, "a number");
			break;
		case O_NOSEND: cfg->send = SEND_NEVER; break;	/* the older name */
		case O_SEND:
			if (strcmp(optarg, "auth") == 0)
				cfg->send = SEND_AUTH;
			else if (strcmp(optarg, "local") == 0)
				cfg->send = SEND_LOCAL;
			else if (strcmp(optarg, "any") == 0)
				cfg->send = SEND_ANY;
			else if (strcmp(optarg, "never") == 0)
				cfg->send = SEND_NEVER;
			else
				bad_usage("--send %s: no such policy: give auth, local, any or never",
					  optarg);
			break;
		case O_PROXY: cfg->proxy = true; break;
		case O_PROXY_TRUST_LOOPBACK: cfg->proxy_trust_loopback = true; break;
		case O_LMTP: cfg->lmtp = true; break;
		case O_UTMP: cfg->utmp = optarg; break;
		case O_TTYLINES:
			cfg->tty_max_lines = (unsigned)number("--tty-max-lines", 1, 100000, "a number");
			break;
		case O_TTYBYTES:
			cfg->tty_max_bytes = (unsigned)number("--tty-max-bytes", 1,
							      TTY_MAX_BYTES_LIMIT, "a number");
			break;
		case O_TTYTIMEOUT:
			cfg->tty_timeout = (unsigned)number("--tty-timeout", 1, 3600, "seconds");
			break;
		case O_DELIVERY_TIMEOUT:
			cfg->delivery_timeout = (unsigned)number("--delivery-timeout", 1, 3600,
								 "seconds");
			break;
		case O_PRIVSEP_USER: cfg->privsep_user = optarg; break;
		case O_PRIVSEP_DIR:
			if (optarg[0] != '/')
				bad_usage("--privsep-dir %s: not an absolute path: give e.g. %s", optarg,
					  DEFAULT_PRIVSEP_DIR);
			cfg->privsep_dir = optarg;
			break;
		case O_HELP: usage(stdout); exit(0);
		case O_VERSION: puts("smtp-session " SMTP_SESSION_VERSION); exit(0);
		case ':':
			bad_usage("%s: needs an argument: see smtp-session --help or "
				  "smtp-session(8)", argv[optind - 1]);
		default:	/* '?': getopt_long() names the option in optopt or argv */
			if (optopt > 0 && optopt < 256)
				bad_usage("-%c: no such option: see smtp-session --help or "
					  "smtp-session(8)", optopt);
			bad_usage("%s: unknown or ambiguous option, or one that takes no "
				  "argument: see smtp-session --help or smtp-session(8)",
				  argv[optind - 1]);
		}
	}
	if (optind < argc)
		bad_usage("unexpected argument %s: smtp-session takes options only (the "
			  "connection is on stdin and stdout)", argv[optind]);
	if (limits && !cfg->listen)
		bad_usage("--max-sessions, --max-per-source and --exec-sessions without --listen: "
			  "under a super-server its own limits apply (MaxConnections=, "
			  "MaxConnectionsPerSource=, tcpserver -c), and every session is exec'd: "
			  "add --listen, or leave them out");
	if (cfg->listen)
		cfg->session_argv = session_argv(argc, argv, mine);
	free(mine);
	if (cfg->proxy_trust_loopback && !cfg->proxy)
		bad_usage("--proxy-trust-loopback without --proxy: add --proxy, or leave it out");
	tls_check(cfg, certs, keys, mode);
	if (!cfg->relay_argv[0]) {
		static char def[] = DEFAULT_RELAY_COMMAND;
		relay_words(cfg, def);
	}
	if (!cfg->hostname) {
		if (gethostname(host, sizeof host - 1) == -1)
			snprintf(host, sizeof host, "localhost");
		cfg->hostname = host;
	}
	if (!addr_helo_ok(cfg->hostname))
		bad_usage("--hostname %s: not one word of printable ASCII: give this host's "
			  "name in DNS, e.g. --hostname mx.example.org", cfg->hostname);
	if (!domains) {
		static char def[300];
		snprintf(def, sizeof def, "%s,localhost", cfg->hostname);
		domains = def;
	}
	cfg->domains = domain_list(domains);
	if (!cfg->maildir[0])
		bad_usage("--maildir: empty path: give the Maildir below each home, e.g. "
			  "--maildir Maildir");
}

const char *options_log_file(int argc, char **argv)
{
	const char *file = NULL;
	int c;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":", options, NULL)) != -1)
		if (c == O_LOGFILE)
			file = optarg;
	optind = 0;	/* GNU getopt: 0 starts options_parse() afresh */
	return file;
}
