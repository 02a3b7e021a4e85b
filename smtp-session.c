/* smtp-session.c: one SMTP session (RFC 5321): the dialogue's verb table, the verbs
 * that need no transaction (HELO/EHLO, RSET, NOOP, QUIT, VRFY, EXPN, HELP, STARTTLS)
 * and the session loop.  Session side: this runs in the unprivileged, sandboxed session
 * process (session/sandbox.c), which alone holds the client connection.
 *
 * The dialogue's other files, in session/: envelope.c (MAIL, SEND, SOML, SAML, RCPT),
 * data.c (DATA and BDAT: reading the message into spool.c's spool), deliver.c (what
 * becomes of a complete message, and its one reply), trace.c (the trace fields),
 * reply.c (the one reply function), sasl.c (AUTH), io.c (the connection under
 * deadlines), render.c (text for terminals); common/addr.c is the address grammar.
 * Everything that needs privilege (does this user exist, deliver this spooled message,
 * check this password) is asked of priv.h, which sends it to the privileged parent
 * (privsep.h).
 */

#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "addr.h"
#include "buf.h"
#include "log.h"
#include "milter.h"
#include "peer.h"
#include "priv.h"
#include "proxy.h"
#include "session.h"
#include "config.h"
#include "tls.h"
#include "utf8.h"

/* Set by the SIGTERM handler; checked whenever a wait is interrupted. */
static volatile sig_atomic_t got_term;

/* ------------------------------------------------------------------- verbs */

/* 0 when the argument is good, else the code of the refusal sent. */
static int greet(struct session *s, const struct verb *v, const char *arg)
{
	if (!addr_helo_ok(arg))
		return reply(s, 501, NULL, "Syntax: %s hostname", v->name);
	snprintf(s->helo, sizeof s->helo, "%s", arg);
	reset_transaction(s);	/* RFC 5321 4.1.4: EHLO/HELO reset the state like RSET */
	s->state = ST_HELO;
	milter_helo(s);	/* a refusal is MAIL's reply (milter.h) */
	return 0;
}

static int smtp_helo(struct session *s, const struct verb *v, char *arg)
{
	int refused = greet(s, v, arg);
	if (refused)
		return refused;
	s->esmtp = false;
	return reply(s, 250, NULL, "%s", s->cfg->hostname);
}

/* RFC 3207 4: STARTTLS is offered where TLS is configured and not yet on, and not
 * again after the handshake (4.2). */
static bool starttls_offered(const struct session *s)
{
	return s->tls && s->cfg->tls == TLS_STARTTLS && !TLS_ACTIVE(s);
}

static int smtp_ehlo(struct session *s, const struct verb *v, char *arg)
{
	int refused = greet(s, v, arg);
	if (refused)
		return refused;
	s->esmtp = true;
	return reply(s, 250, NULL,
	      "%s\n"
	      "%s"			/* RFC 5321 Appendix F.6: SEND, SOML, SAML */
	      "PIPELINING\n"		/* RFC 2920 */
	      "SIZE %llu\n"		/* RFC 1870 */
	      "8BITMIME\n"		/* RFC 6152 (RFC 6531 3.1 item 8 needs it) */
	      "SMTPUTF8\n"		/* RFC 6531 */
	      "CHUNKING\n"		/* RFC 3030; not BINARYMIME (doc/behaviour.md says why) */
	      "DSN\n"			/* RFC 3461 (envelope.c; reports: parent/report.c) */
	      "%s"			/* RFC 3207 STARTTLS */
	      "%s"			/* RFC 4954 */
	      "LIMITS RCPTMAX=%u MAILMAX=%u\n"	/* RFC 9422 */
	      "ENHANCEDSTATUSCODES",	/* RFC 2034 */
	      s->cfg->hostname,
	      s->cfg->send == SEND_NEVER || s->cfg->lmtp ? "" : "SEND\nSOML\nSAML\n",
	      s->cfg->max_size,
	      starttls_offered(s) ? "STARTTLS\n" : "",
	      s->auth_offered ? "AUTH PLAIN LOGIN\n" : "", s->cfg->max_rcpt,
	      s->cfg->max_messages);
}

static int smtp_rset(struct session *s, const struct verb *v, char *arg)
{
	(void)v;
	if (*arg)
		return reply(s, 501, "5.5.4", "Syntax: RSET");
	reset_transaction(s);
	return reply(s, 250, "2.0.0", "Ok");
}

static int smtp_noop(struct session *s, const struct verb *v, char *arg)
{
	(void)v, (void)arg;	/* RFC 5321 4.1.1.9: the argument is ignored */
	return reply(s, 250, "2.0.0", "Ok");
}

static int smtp_quit(struct session *s, const struct verb *v, char *arg)
{
	(void)v;
	if (*arg)
		return reply(s, 501, "5.5.4", "Syntax: QUIT");
	s->quit = true;
	return reply(s, 221, "2.0.0", "%s Bye", s->cfg->hostname);
}

/* RFC 6531 3.7.4.2: VRFY and EXPN take " SMTPUTF8" after their string, which may hold
 * UTF-8 either way; the parameter only allows UTF-8 in the reply, and ours never
 * holds any.  Removes it from arg; false when the string is no well-formed UTF-8. */
static bool string_arg(char *arg)
{
	size_t n = strlen(arg);
	if (n > 9 && strcasecmp(arg + n - 9, " SMTPUTF8") == 0)
		arg[n - 9] = '\0';
	const unsigned char *p = (const unsigned char *)arg;
	unsigned cp;
	for (size_t k; *p; p += k)
		if (!(k = utf8_next(p, strlen((const char *)p), &cp)))
			return false;
	return true;
}

/* RFC 5321 3.5.3: 252 says neither yes nor no, so VRFY tells nobody who exists. */
static int smtp_vrfy(struct session *s, const struct verb *v, char *arg)
{
	(void)v;
	if (!string_arg(arg))
		return reply(s, 501, "5.5.4", "Malformed UTF-8 in VRFY");
	if (!*arg)
		return reply(s, 501, "5.5.4", "Syntax: VRFY <address> [SMTPUTF8]");
	return reply(s, 252, "2.5.2", "Cannot VRFY user, but will accept message and attempt delivery");
}

/* RFC 5321 3.5.2: EXPN may be disabled; we have no lists to expand. */
static int smtp_expn(struct session *s, const struct verb *v, char *arg)
{
	(void)v;
	if (!string_arg(arg))
		return reply(s, 501, "5.5.4", "Malformed UTF-8 in EXPN");
	return reply(s, 502, "5.5.1", "EXPN not implemented");
}

/* The handshake (RFC 3207 STARTTLS or RFC 8314 implicit TLS).  0 when it succeeded;
 * else it is logged with the client's address and the library's reason, and the
 * session ends without another word (RFC 3207 4.1: there is no reply to give). */
static int handshake(struct session *s)
{
	char why[160];
	enum rd r = conn_starttls(&s->c, s->tls, why, sizeof why);
	if (r != RD_OK) {
		s->closing = r == RD_TIMEOUT ? "TLS handshake timeout" : "TLS handshake failed";
		log_fields(LOG_NOTICE, LOG_FIELDS({ LF_CLIENT, s->client }),
			   "TLS handshake failed from %s: %s", s->client, why);
		return -1;
	}
	buf_reset(&s->scratch);
	tls_summary(s, &s->scratch);
	log_fields(LOG_INFO, LOG_FIELDS({ LF_CLIENT, s->client }, { LF_TLS, s->scratch.p }),
		   "TLS from %s: %s%s", s->client, s->scratch.p,
		   tls_resumed(s->c.tls) ? " (resumed)" : "");
	/* RFC 4954 4 and issue 11: AUTH is for everybody once the channel is encrypted. */
	s->auth_offered = s->cfg->auth != AUTH_NEVER;
	return 0;
}

/* TLS made ready (tls_prepare()) when the client first asks for it, so that a session
 * that never does pays nothing for it (issue 23).  A certificate or key that cannot
 * be used is the administrator's to fix: logged with the fix, and TLS is then gone
 * for the session (STARTTLS no longer offered).  0, or -1. */
static int tls_now(struct session *s)
{
	char why[200];
	if (tls_prepare(s->tls, why, sizeof why) == 0)
		return 0;
	log_config_error(LOG_CRIT, "cannot start TLS: %s: %s", why, TLS_FILE_FIX);
	tls_free(s->tls);
	s->tls = NULL;
	return -1;
}

/* RFC 3207 4: STARTTLS takes no argument (501 5.5.4), is answered 220, and then the
 * handshake; RFC 3207 4.2: afterwards the client starts over, as if newly connected,
 * with nothing kept of what it said (HELO name, AUTH, a transaction).  RFC 3207 4:
 * 454 when TLS cannot start (a certificate that cannot be used). */
static int smtp_starttls(struct session *s, const struct verb *v, char *arg)
{
	(void)v;
	if (TLS_ACTIVE(s))	/* RFC 3207 4.2: not offered again */
		return reply(s, 503, "5.5.1", "TLS already active");
	if (!starttls_offered(s))
		return reply(s, 502, "5.5.1", "STARTTLS not available");
	if (*arg)
		return reply(s, 501, "5.5.4", "Syntax: STARTTLS");
	if (s->state > ST_HELO)
		return reply(s, 503, "5.5.1", "STARTTLS not allowed in a mail transaction");
	if (tls_now(s) == -1)
		return reply(s, 454, "4.7.0", "TLS not available due to temporary reason");
	reply(s, 220, "2.0.0", "Ready to start TLS");
	if (handshake(s) == -1)
		return 0;
	reset_transaction(s);
	s->state = ST_INIT;
	s->helo[0] = '\0';
	explicit_bzero(s->auth_user, sizeof s->auth_user);
	return 220;
}

static int smtp_help(struct session *s, const struct verb *v, char *arg)
{
	(void)v, (void)arg;
	return reply(s, 214, "2.0.0",
	      "smtp-session " SMTP_SESSION_VERSION ", RFC 5321\n"
	      "Commands: HELO EHLO MAIL RCPT DATA BDAT RSET NOOP QUIT VRFY EXPN HELP%s%s\n"
	      "End of HELP info", s->cfg->send == SEND_NEVER ? "" : " SEND SOML SAML",
	      starttls_offered(s) ? " STARTTLS" : "");
}

/* The verb table, sorted by name for bsearch. */
static const struct verb verbs[] = {
	{ "AUTH", smtp_auth, AUTH_LINE_MAX, V_BOTH },
	{ "BDAT", smtp_bdat, SMTP_LINE_MAX, V_BOTH },
	{ "DATA", smtp_data, SMTP_LINE_MAX, V_BOTH },
	{ "EHLO", smtp_ehlo, SMTP_LINE_MAX, V_SMTP },
	{ "EXPN", smtp_expn, SMTP_LINE_MAX, V_BOTH },
	{ "HELO", smtp_helo, SMTP_LINE_MAX, V_SMTP },
	{ "HELP", smtp_help, SMTP_LINE_MAX, V_BOTH },
	{ "LHLO", smtp_ehlo, SMTP_LINE_MAX, V_LMTP },
	{ "MAIL", smtp_mail, MAIL_LINE_MAX, V_BOTH },
	{ "NOOP", smtp_noop, SMTP_LINE_MAX, V_BOTH },
	{ "QUIT", smtp_quit, SMTP_LINE_MAX, V_BOTH },
	{ "RCPT", smtp_rcpt, RCPT_LINE_MAX, V_BOTH },
	{ "RSET", smtp_rset, SMTP_LINE_MAX, V_BOTH },
	{ "SAML", smtp_saml, SMTP_LINE_MAX, V_SMTP },
	{ "SEND", smtp_send, SMTP_LINE_MAX, V_SMTP },
	{ "SOML", smtp_soml, SMTP_LINE_MAX, V_SMTP },
	{ "STARTTLS", smtp_starttls, SMTP_LINE_MAX, V_BOTH },
	{ "VRFY", smtp_vrfy, SMTP_LINE_MAX, V_BOTH },
};

static int verb_cmp(const void *key, const void *elem)
{
	return strcasecmp(key, ((const struct verb *)elem)->name);
}

/* One command line: verb (case-insensitive, RFC 5321 2.4), one space, argument.
 * Returns the code of the reply. */
static int command(struct session *s, char *line, size_t len)
{
	s->commands++;
	s->verb = NULL;
	if (memchr(line, '\0', len))
		return reply(s, 500, "5.5.2", "NUL character in command");
	size_t raw = len;	/* the length that counts against the limit */
	while (len && (line[len - 1] == ' ' || line[len - 1] == '\t'))
		line[--len] = '\0';	/* trailing blanks some clients send */
	char *arg = strchr(line, ' ');
	if (arg)
		*arg++ = '\0';
	else
		arg = line + len;
	const struct verb *v = bsearch(line, verbs, sizeof verbs / sizeof verbs[0],
				       sizeof verbs[0], verb_cmp);
	if (raw + 2 > (v ? v->max : SMTP_LINE_MAX))	/* RFC 5321 4.5.3.1.4 */
		return reply(s, 500, "5.5.2", "Line too long (over %d octets)", SMTP_LINE_MAX);
	if (!v || !(v->where & (s->cfg->lmtp ? V_LMTP : V_SMTP)))
		return reply(s, 500, "5.5.1", "Command unrecognized");
	s->verb = v->name;
	return v->run(s, v, arg);
}

/* --------------------------------------------------------------- session */

static const char *end_reason(const struct session *s)
{
	if (s->quit)
		return "quit";
	if (s->closing)
		return s->closing;
	switch (s->end) {
	case RD_TIMEOUT: return "timeout";
	case RD_EXPIRED: return "session timeout";
	case RD_TERM: return "SIGTERM";
	default: return "lost connection";
	}
}

/* RFC 4954 section 4 names AUTH's limit; every other command has RFC 5321's. */
static void too_long(struct session *s)
{
	if (strncasecmp(s->c.longhead, "AUTH ", 5) == 0)
		reply(s, 500, "5.5.6", "Authentication exchange line is too long");
	else
		reply(s, 500, "5.5.2", "Line too long (over %d octets)", SMTP_LINE_MAX);
}

/* --proxy: the client is whom the PROXY header names (or, for the proxy's own health
 * check and a header of no IP address, the socket's peer).  No header, or a bad one:
 * the connection ends with a log line and no reply, since whatever sent it is no
 * proxy we know.  Returns how the client is known (peer.h), or -1. */
static int proxied(struct session *s)
{
	const char *why = NULL;
	unsigned long long ms = s->cfg->timeout * 1000ULL;
	int r = proxy_read(s->c.in, ms < PROXY_TIMEOUT_MS ? (unsigned)ms : PROXY_TIMEOUT_MS,
			   s->client, sizeof s->client, &why);
	if (r >= 0)
		return r == 1 ? PEER_NAMED : PEER_UNNAMED;
	log_fields(r == -2 ? LOG_INFO : LOG_WARNING, LOG_FIELDS({ LF_CLIENT, s->client }),
		   "PROXY header from %s %s: %s", s->client, r == -2 ? "missing" : "refused", why);
	return -1;
}

static int session(struct session *s)
{
	char sock[INET6_ADDRSTRLEN];
	peer_address(s->c.in, sock, sizeof sock);
	snprintf(s->client, sizeof s->client, "%s", sock);
	int via = s->cfg->proxy ? proxied(s) : PEER_DIRECT;
	if (via == -1)
		return 0;
	/* The one rule, which the parent applies too (main.c), so they agree. */
	s->local = peer_local(sock, (enum peer_via)via, s->client, s->cfg->proxy_trust_loopback);
	/* --require-tls: not before TLS, whoever asks (RFC 3207 4: 530 until then) */
	s->auth_offered = !s->cfg->require_tls &&
			  (s->cfg->auth == AUTH_ALWAYS || (s->cfg->auth == AUTH_LOCAL && s->local));
	log_fields(LOG_INFO, LOG_FIELDS({ LF_CLIENT, s->client }), "connect from %s", s->client);
	milter_connect(s);	/* after PROXY: the milters see the real client */
	/* RFC 8314 3.3: with implicit TLS the handshake comes first, then the greeting. */
	if (s->tls && s->cfg->tls == TLS_IMPLICIT && (tls_now(s) == -1 || handshake(s) == -1))
		s->c.dead = true;
	else
		reply(s, 220, NULL, "%s %s", s->cfg->hostname, s->cfg->lmtp ? "LMTP" : "ESMTP");
	while (!s->quit && !s->c.dead && !s->closing && s->end == RD_OK) {
		char *line;
		size_t len;
		enum rd r = conn_get_line(&s->c, AUTH_LINE_MAX, &line, &len);
		if (r == RD_LONG) {
			s->commands++;
			too_long(s);
		} else if (r == RD_OK) {
			command(s, line, len);
		} else {
			s->end = r;
		}
		if (!priv_ok() && !s->closing) {	/* the privileged parent is gone */
			s->closing = "privileged side lost";
			reply(s, 421, "4.3.0", "%s Local error, closing connection",
			      s->cfg->hostname);
		}
		if (s->errors >= s->cfg->max_errors && !s->quit && !s->closing) {
			s->closing = "errors";
			reply(s, 421, "4.7.0", "%s Too many errors, closing connection",
			      s->cfg->hostname);
		}
	}
	if (s->end == RD_TIMEOUT)	/* RFC 5321 4.5.3.2 */
		reply(s, 421, "4.4.2", "%s Timeout, closing connection", s->cfg->hostname);
	else if (s->end == RD_EXPIRED)
		reply(s, 421, "4.4.2", "%s Session time limit reached, closing connection",
		      s->cfg->hostname);
	else if (s->end == RD_TERM)
		reply(s, 421, "4.3.2", "%s Shutting down, closing connection", s->cfg->hostname);
	conn_flush(&s->c);
	log_bulk_end_session();	/* the refusals not logged, counted in one line */
	buf_reset(&s->scratch);
	if (TLS_ACTIVE(s))
		tls_summary(s, &s->scratch);
	log_fields(LOG_INFO, LOG_FIELDS({ LF_CLIENT, s->client }, { LF_HELO, helo_field(s) },
					{ LF_TLS, TLS_ACTIVE(s) ? s->scratch.p : NULL }),
		   "disconnect from %s helo=%s commands=%u messages=%u rejects=%u end=%s%s%s",
		   s->client, helo_text(s), s->commands, s->messages, s->rejects,
		   end_reason(s), TLS_ACTIVE(s) ? " tls=" : "",
		   TLS_ACTIVE(s) ? tls_version(s->c.tls) : "");
	return 0;
}

/* What the session held, released (and wiped: buf_free) when it ends. */
static void session_free(struct session *s)
{
	tls_free(s->tls);	/* close_notify when TLS was on */
	s->tls = s->c.tls = NULL;
	conn_free(&s->c);
	buf_free(&s->scratch);
	buf_free(&s->rcpts);
	buf_free(&s->orcpts);
	buf_free(&s->accepted);
	buf_free(&s->targets);
	spool_free(s);
	milter_close();
}

static void on_term(int sig)
{
	(void)sig;
	got_term = 1;
}

/* Out of memory in the session process: the client hears why it is dropped. */
static void oom_421(void)
{
	static const char msg[] = "421 4.3.0 Out of memory, closing connection\r\n";
	log_msg(LOG_CRIT, "out of memory");
	(void)!write(1, msg, sizeof msg - 1);
	_exit(EXIT_SYSTEM);
}

/* One whole session on in/out: the dialogue, then everything released.  The session
 * process calls it once.  The fuzz harness (fuzz/) calls it once per input, with
 * priv.h served by test doubles; that is why it starts from a cleared session and
 * leaves nothing behind. */
int session_run(const struct config *cfg, struct tls *tls, bool refuse, int in, int out)
{
	static struct session s;	/* the one session; static for its 64 KiB buffer */
	/* Clearing ibuf too would cost every process 16 pages it may never use. */
	memset(&s, 0, offsetof(struct session, c) + offsetof(struct conn, ibuf));
	s.cfg = cfg;
	s.tls = tls;
	s.spool = -1;
	conn_init(&s.c, in, out, cfg->timeout, cfg->session_timeout, &got_term, priv_flush);
	buf_on_oom(oom_421);
	/* No SA_RESTART: waits wake up and look at got_term. */
	struct sigaction sa = { .sa_handler = on_term };
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	got_term = 0;
	int rc = 0;
	if (refuse && cfg->tls == TLS_IMPLICIT) {	/* no TLS, so not a word */
		rc = EXIT_SYSTEM;
	} else if (refuse) {	/* RFC 5321 3.1: 421 instead of the greeting */
		/* The log line names the client and what was refused, as every other does
		 * (issue 22: it read "reject: - from : 421"). */
		peer_address(in, s.client, sizeof s.client);
		s.verb = "connect";
		reply(&s, 421, NULL, "%s Service not available, closing connection", cfg->hostname);
		conn_flush(&s.c);
		rc = EXIT_SYSTEM;
	} else {
		rc = session(&s);
	}
	session_free(&s);
	priv_flush();
	return rc;
}
