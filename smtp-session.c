/* smtp-session.c: one SMTP session (RFC 5321) on stdin/stdout, then exit.
 *
 * A super-server (systemd Accept=yes, inetd, tcpserver) starts this program once per
 * connection.  This file is the dialogue: the line reader, the verb table, the state,
 * the replies and the DATA state machine.  It is the only place that parses what the
 * client sends.  Everything that needs privilege (does this user exist, deliver this
 * spooled message) is asked of priv.h.
 *
 * Reading is done in IO_BLOCK chunks and parsed from the buffer; replies collect in one
 * output buffer that is written only when the client has nothing more waiting (RFC 2920
 * 3.2), so a pipelined batch of commands costs one read and one write.
 */

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "auth.h"
#include "buf.h"
#include "log.h"
#include "priv.h"
#include "smtp-session.h"
#include "tty.h"
#include "systemd.h"

/* Set by the SIGTERM handler; checked whenever a wait is interrupted. */
static volatile sig_atomic_t got_term;

/* RFC 5321 4.1.4: the order of commands. */
enum state {
	ST_INIT,	/* no HELO/EHLO yet */
	ST_HELO,	/* greeted, no transaction */
	ST_MAIL,	/* MAIL accepted, no recipient yet */
	ST_RCPT,	/* at least one recipient accepted */
};

/* Result of waiting for input. */
enum rd {
	RD_OK,		/* data (or a line) is there */
	RD_LONG,	/* a line over the limit was skipped */
	RD_EOF,		/* the client closed the connection */
	RD_TIMEOUT,	/* RFC 5321 4.5.3.2: the client was silent too long */
	RD_TERM,	/* SIGTERM */
};

/* RFC 821 3.4: the verb that started the transaction says where the message goes. */
enum mode {
	MODE_MAIL,	/* MAIL: the mailbox */
	MODE_SEND,	/* SEND: the terminal; RCPT 450 when the user cannot be reached */
	MODE_SOML,	/* SOML: the terminal if possible, else the mailbox */
	MODE_SAML,	/* SAML: the mailbox, and the terminal too if possible */
};

static const char *const mode_verb[] = { "MAIL", "SEND", "SOML", "SAML" };

struct rcpt {
	char user[USER_NAME_MAX + 1];	/* who gets it */
	char addr[PATH_LEN_MAX + 1];	/* as the client gave it, for Delivered-To */
};

struct session {
	const struct config *cfg;
	int in, out;
	bool out_sock;			/* out is a socket: send() without SIGPIPE */
	bool dead;			/* the client cannot be written to any more */
	bool quit;
	size_t ipos, ilen;		/* ibuf[ipos..ilen) is read but not yet parsed */
	struct buf obuf;		/* replies not yet written */
	struct buf scratch;		/* formatting space for replies */
	char client[INET6_ADDRSTRLEN];	/* peer address, or "unknown" */
	char helo[DOMAIN_MAX + 1];	/* the HELO/EHLO argument */
	const char *verb;		/* command being run, for the log */
	bool esmtp;			/* EHLO: enhanced status codes on (RFC 2034) */
	bool auth_offered;		/* AUTH allowed on this connection (--auth) */
	char auth_user[USER_NAME_MAX + 1];	/* after a successful AUTH, else "" */
	unsigned auth_failures;
	enum state state;
	enum mode mode;			/* which verb started the transaction */
	char sender[PATH_LEN_MAX + 1];	/* MAIL FROM, without <> */
	struct buf rcpts;		/* struct rcpt[nrcpt] */
	size_t nrcpt;
	int spool;			/* the message during DATA (open_spool), or -1 */
	enum rd end;			/* why the session ends; RD_OK while it runs */
	const char *closing;		/* or why we closed it ourselves */
	char longhead[6];		/* first bytes of the last over-long line */
	unsigned errors;		/* bad commands so far */
	unsigned commands, messages, rejects;
	/* Last, so that session_run() can clear everything before it: its bytes are never
	 * read before they are written. */
	char ibuf[IO_BLOCK];		/* client input */
};

/* ------------------------------------------------------------------ output */

/* The HELO name for a structured log field: none before HELO/EHLO. */
static const char *helo_field(const struct session *s)
{
	return s->helo[0] ? s->helo : NULL;
}

static int deadline_ms(const struct timespec *start, unsigned seconds)
{
	struct timespec now;
	clock_gettime(CLOCK_MONOTONIC, &now);
	long long ms = (long long)seconds * 1000 - ((now.tv_sec - start->tv_sec) * 1000LL +
						    (now.tv_nsec - start->tv_nsec) / 1000000);
	return ms < 0 ? 0 : (int)ms;
}

/* Write every pending reply, waiting at most the timeout for the client to take them. */
static void flush(struct session *s)
{
	struct timespec start;
	clock_gettime(CLOCK_MONOTONIC, &start);
	size_t off = 0;
	while (off < s->obuf.len && !s->dead) {
		struct pollfd p = { .fd = s->out, .events = POLLOUT };
		int r = poll(&p, 1, deadline_ms(&start, s->cfg->timeout));
		if (r == 0 || (r == -1 && errno != EINTR))
			s->dead = true;	/* the client does not take our replies */
		if (r <= 0)
			continue;
		ssize_t n = s->out_sock
			? send(s->out, s->obuf.p + off, s->obuf.len - off, MSG_DONTWAIT | MSG_NOSIGNAL)
			: write(s->out, s->obuf.p + off, s->obuf.len - off);
		if (n > 0)
			off += (size_t)n;
		else if (n == -1 && errno != EINTR && errno != EAGAIN)
			s->dead = true;
	}
	buf_reset(&s->obuf);
}

static bool counts_as_error(int code)
{
	return (code >= 500 && code <= 504) || code == 555;
}

/* The one reply function.  text may hold several lines separated by '\n'; all but the
 * last are sent as "code-" continuation lines (RFC 5321 4.2.1).  After EHLO every line
 * carries the enhanced status code esc (RFC 2034 3, RFC 3463); esc is NULL where there
 * is none (greeting, EHLO/HELO replies, 354).  Returns code. */
static int reply(struct session *s, int code, const char *esc, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static int reply(struct session *s, int code, const char *esc, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	buf_reset(&s->scratch);
	buf_vprintf(&s->scratch, fmt, ap);
	va_end(ap);
	const char *line = s->scratch.p;
	for (;;) {
		const char *nl = strchr(line, '\n');
		int n = nl ? (int)(nl - line) : (int)strlen(line);
		buf_printf(&s->obuf, "%d%c", code, nl ? '-' : ' ');
		if (esc && s->esmtp)
			buf_printf(&s->obuf, "%s ", esc);
		buf_printf(&s->obuf, "%.*s\r\n", n, line);
		if (!nl)
			break;
		line = nl + 1;
	}
	if (code >= 400) {
		s->rejects++;
		log_fields(LOG_NOTICE,
			   LOG_FIELDS({ LF_CLIENT, s->client }, { LF_HELO, helo_field(s) }),
			   "reject: %s from %s: %d %s", s->verb ? s->verb : "-",
			   s->client, code, s->scratch.p);
	}
	if (counts_as_error(code))
		s->errors++;
	if (s->obuf.len >= OUT_FLUSH_AT)
		flush(s);
	return code;
}

/* ------------------------------------------------------------------- input */

/* Is more client input already waiting?  Then replies can wait too (RFC 2920 3.2). */
static bool input_waiting(struct session *s)
{
	struct pollfd p = { .fd = s->in, .events = POLLIN };
	return poll(&p, 1, 0) == 1;
}

/* Read more client input into ibuf.  Pending replies are written first unless more
 * input is already waiting, so the client never waits for a reply we hold back. */
static enum rd fill(struct session *s)
{
	if (s->ipos) {
		memmove(s->ibuf, s->ibuf + s->ipos, s->ilen - s->ipos);
		s->ilen -= s->ipos;
		s->ipos = 0;
	}
	if (s->obuf.len && !input_waiting(s))
		flush(s);
	if (s->dead)
		return RD_EOF;
	struct timespec start;
	clock_gettime(CLOCK_MONOTONIC, &start);
	for (;;) {
		if (got_term)
			return RD_TERM;
		struct pollfd p = { .fd = s->in, .events = POLLIN };
		int r = poll(&p, 1, deadline_ms(&start, s->cfg->timeout));
		if (r == 0)
			return RD_TIMEOUT;
		if (r == -1) {
			if (errno == EINTR)
				continue;
			return RD_EOF;
		}
		ssize_t n = read(s->in, s->ibuf + s->ilen, sizeof s->ibuf - s->ilen);
		if (n > 0) {
			s->ilen += (size_t)n;
			return RD_OK;
		}
		if (n == 0 || (errno != EINTR && errno != EAGAIN))
			return RD_EOF;
	}
}

/* The start of a line that is too long to keep, so that its reply can still depend on
 * the verb (an over-long AUTH line gets RFC 4954's 500 5.5.6). */
static void keep_head(struct session *s, const char *p, size_t n)
{
	size_t k = n < sizeof s->longhead - 1 ? n : sizeof s->longhead - 1;
	memcpy(s->longhead, p, k);
	s->longhead[k] = '\0';
}

/* The next command line, NUL-terminated in place, without its line end.  LF ends a
 * command line, with or without CR before it.  A line longer than max octets (line
 * end included, RFC 5321 4.5.3.1.4) is skipped through its end: RD_LONG. */
static enum rd get_line(struct session *s, size_t max, char **line, size_t *len)
{
	bool toolong = false;
	for (;;) {
		char *p = s->ibuf + s->ipos;
		size_t avail = s->ilen - s->ipos;
		char *nl = memchr(p, '\n', avail);
		if (nl) {
			size_t n = (size_t)(nl - p);
			s->ipos += n + 1;
			if (!toolong && n + 1 > max)
				keep_head(s, p, n);
			if (toolong || n + 1 > max)
				return RD_LONG;
			if (n && p[n - 1] == '\r')
				n--;
			p[n] = '\0';
			*line = p;
			*len = n;
			return RD_OK;
		}
		if (avail >= max) {
			if (!toolong)
				keep_head(s, p, avail);
			toolong = true;
			s->ipos = s->ilen;
		}
		enum rd r = fill(s);
		if (r != RD_OK)
			return r;
	}
}

/* --------------------------------------------------------------- addresses */

struct addr {
	char local[LOCAL_PART_MAX + 1];	/* local part, quoting removed */
	char domain[DOMAIN_MAX + 1];	/* "" for <> and <postmaster> */
	char text[PATH_LEN_MAX + 1];	/* the mailbox as sent, quoting kept */
};

enum perr { P_OK, P_SYNTAX, P_8BIT, P_LONG };

/* RFC 5322 3.2.3 atext. */
static bool is_atext(int c)
{
	return isalnum(c) || (c && strchr("!#$%&'*+-/=?^_`{|}~", c));
}

/* RFC 5321 4.1.2 Domain: sub-domains of letters, digits and inner hyphens. */
static const char *scan_domain(const char *p)
{
	const char *start = p;
	do {
		if (!isalnum((unsigned char)*p))
			return NULL;
		while (isalnum((unsigned char)*p) || *p == '-')
			p++;
		if (p[-1] == '-')
			return NULL;
	} while (*p == '.' && *++p);
	return p - start <= DOMAIN_MAX ? p : NULL;
}

/* RFC 5321 4.1.3 address literal: [1.2.3.4], [IPv6:...] or [tag:content]. */
static const char *scan_literal(const char *p)
{
	const char *end = strchr(p, ']');
	if (*p != '[' || !end || end - p > DOMAIN_MAX)
		return NULL;
	char lit[DOMAIN_MAX + 1], bin[16];
	snprintf(lit, sizeof lit, "%.*s", (int)(end - p - 1), p + 1);
	if (inet_pton(AF_INET, lit, bin) == 1)
		return end + 1;
	if (strncasecmp(lit, "IPv6:", 5) == 0)
		return inet_pton(AF_INET6, lit + 5, bin) == 1 ? end + 1 : NULL;
	const char *c = scan_domain(lit);	/* General-address-literal */
	if (!c || *c != ':' || !c[1])
		return NULL;
	for (c++; *c; c++)
		if (*c < 33 || *c > 126 || *c == '[' || *c == '\\' || *c == ']')
			return NULL;
	return end + 1;
}

/* RFC 5321 4.1.2 Local-part: Dot-string or Quoted-string, decoded into out. */
static const char *scan_local(const char *p, char *out)
{
	size_t n = 0;
	if (*p == '"') {
		for (p++; *p != '"'; p++) {
			if (*p == '\\')
				p++;
			if (*p < 32 || *p > 126 || n >= LOCAL_PART_MAX)
				return NULL;
			out[n++] = *p;
		}
		out[n] = '\0';
		return n ? p + 1 : NULL;
	}
	while (is_atext((unsigned char)*p) || (*p == '.' && n && p[-1] != '.' &&
					       is_atext((unsigned char)p[1]))) {
		if (n >= LOCAL_PART_MAX)
			return NULL;
		out[n++] = *p++;
	}
	out[n] = '\0';
	return n ? p : NULL;
}

/* RFC 5321 4.1.2 Path: "<" [A-d-l ":"] Mailbox ">", or "<>", or a bare "<local>"
 * (only <Postmaster> is valid without a domain; the caller decides).  *pp points at
 * "<" and is moved past ">". */
static enum perr parse_path(const char **pp, struct addr *a)
{
	const char *p = *pp, *close = strchr(p, '>');
	memset(a, 0, sizeof *a);
	if (*p++ != '<' || !close)
		return P_SYNTAX;
	for (const char *c = p; c < close; c++)
		if (*c & 0x80)
			return P_8BIT;	/* RFC 6531: needs SMTPUTF8, which we do not offer */
	bool route = *p == '@';
	if (route) {	/* source route: accepted and ignored (RFC 5321 4.1.2, C) */
		do
			p = scan_domain(p + 1);
		while (p && *p == ',' && *++p == '@');
		if (!p || *p++ != ':')
			return P_SYNTAX;
	}
	const char *mailbox = p;
	if (*p != '>' || route) {
		if (!(p = scan_local(p, a->local)))
			return P_SYNTAX;
		if (*p == '@') {
			const char *d = p + 1;
			if (!(p = *d == '[' ? scan_literal(d) : scan_domain(d)))
				return P_SYNTAX;
			snprintf(a->domain, sizeof a->domain, "%.*s", (int)(p - d), d);
		}
	}
	if (*p != '>')
		return P_SYNTAX;
	if (p + 1 - *pp > PATH_LEN_MAX)
		return P_LONG;
	snprintf(a->text, sizeof a->text, "%.*s", (int)(p - mailbox), mailbox);
	*pp = p + 1;
	return P_OK;
}

/* Case-insensitive "FROM:" / "TO:" prefix; the spaces some clients put after the
 * colon ("MAIL From: <a@b>", as in the seed transcript) are skipped. */
static const char *after_keyword(const char *arg, const char *kw)
{
	size_t n = strlen(kw);
	if (strncasecmp(arg, kw, n) != 0)
		return NULL;
	arg += n;
	while (*arg == ' ')
		arg++;
	return arg;
}

static bool local_domain(const struct config *cfg, const char *domain)
{
	char key[DOMAIN_MAX + 3];
	size_t n = 0;
	key[n++] = ',';
	for (const char *d = domain; *d && n < DOMAIN_MAX + 1; d++)
		key[n++] = (char)tolower((unsigned char)*d);
	key[n++] = ',';
	key[n] = '\0';
	return strstr(cfg->domains, key) != NULL;
}

/* ------------------------------------------------------------------- verbs */

struct verb;
typedef int verb_fn(struct session *, const struct verb *, char *arg);

struct verb {
	const char *name;
	verb_fn *run;
	size_t max;	/* longest command line, CRLF included */
};

static void reset_transaction(struct session *s)
{
	s->sender[0] = '\0';
	s->mode = MODE_MAIL;
	buf_reset(&s->rcpts);
	s->nrcpt = 0;
	if (s->state > ST_HELO)
		s->state = ST_HELO;
}

/* RFC 5321 4.1.1.1: HELO/EHLO take a domain or an address literal.  We accept any one
 * word of printable ASCII (real clients send "localhost.localdomain", bare host names,
 * names with '_'): it only ever goes into the Received header. */
static bool helo_ok(const char *arg)
{
	size_t n = strlen(arg);
	if (n == 0 || n > DOMAIN_MAX)
		return false;
	for (const char *p = arg; *p; p++)
		if (*p <= ' ' || *p > '~')
			return false;
	return true;
}

/* 0 when the argument is good, else the code of the refusal sent. */
static int greet(struct session *s, const struct verb *v, const char *arg)
{
	if (!helo_ok(arg))
		return reply(s, 501, NULL, "Syntax: %s hostname", v->name);
	snprintf(s->helo, sizeof s->helo, "%s", arg);
	reset_transaction(s);	/* RFC 5321 4.1.4: EHLO/HELO reset the state like RSET */
	s->state = ST_HELO;
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
	      "8BITMIME\n"		/* RFC 6152 */
	      "%s"			/* RFC 4954 */
	      "ENHANCEDSTATUSCODES",	/* RFC 2034 */
	      s->cfg->hostname, s->cfg->no_send ? "" : "SEND\nSOML\nSAML\n", s->cfg->max_size,
	      s->auth_offered ? "AUTH PLAIN LOGIN\n" : "");
}

/* A decimal number from min to max, digits only. */
static bool number(const char *s, unsigned long long min, unsigned long long max,
		   unsigned long long *out)
{
	char *end;
	errno = 0;
	unsigned long long v = strtoull(s, &end, 10);
	if (!isdigit((unsigned char)*s) || *end || errno || v < min || v > max)
		return false;
	*out = v;
	return true;
}

/* RFC 3461 4 xtext, or "<>": the value of AUTH= on MAIL (RFC 4954 5). */
static bool xtext_ok(const char *v)
{
	if (strcmp(v, "<>") == 0)
		return true;
	for (; *v; v++) {
		if (*v == '+' && isxdigit((unsigned char)v[1]) && isxdigit((unsigned char)v[2]) &&
		    !islower((unsigned char)v[1]) && !islower((unsigned char)v[2]))
			v += 2;
		else if (*v < 33 || *v > 126 || *v == '+' || *v == '=')
			return false;
	}
	return true;
}

/* RFC 1870 SIZE, RFC 6152 BODY and RFC 4954 AUTH on MAIL; anything else is 555 (RFC
 * 5321 4.1.1.11).  Returns 0, or the code of the refusal sent. */
static int mail_params(struct session *s, char *p)
{
	bool size = false, body = false, auth = false;
	char *save = NULL;
	for (char *kw = strtok_r(p, " ", &save); kw; kw = strtok_r(NULL, " ", &save)) {
		char *val = strchr(kw, '=');
		if (val)
			*val++ = '\0';
		if (strcasecmp(kw, "SIZE") == 0) {
			unsigned long long n;
			if (size || !val || !number(val, 0, ULLONG_MAX, &n))
				return reply(s, 501, "5.5.4", "Syntax: SIZE=<octets>");
			if (n > s->cfg->max_size)	/* RFC 1870 6.1 */
				return reply(s, 552, "5.3.4",
					     "Message size exceeds fixed maximum message size");
			size = true;
		} else if (strcasecmp(kw, "BODY") == 0) {
			if (body || !val || (strcasecmp(val, "7BIT") && strcasecmp(val, "8BITMIME")))
				return reply(s, 501, "5.5.4", "Syntax: BODY=7BIT or BODY=8BITMIME");
			body = true;
		} else if (strcasecmp(kw, "AUTH") == 0) {
			/* Accepted; the submitter it names is not used, as we relay nothing. */
			if (auth || !val || !xtext_ok(val))
				return reply(s, 501, "5.5.4", "Syntax: AUTH=<xtext> or AUTH=<>");
			auth = true;
		} else {
			return reply(s, 555, "5.5.4", "Unsupported MAIL parameter");
		}
	}
	return 0;
}

/* Reply for a path that did not parse; esc is 5.1.7 (sender) or 5.1.3 (recipient). */
static int bad_path(struct session *s, enum perr e, const char *esc, const char *usage)
{
	if (e == P_8BIT)
		return reply(s, 553, "5.6.7", "Non-ASCII address needs SMTPUTF8, which is not offered");
	if (e == P_LONG)
		return reply(s, 501, esc, "Address too long (RFC 5321 4.5.3.1.3)");
	return reply(s, 501, esc, "Syntax: %s", usage);
}

/* MAIL, and SEND, SOML and SAML, which RFC 821 4.1.1 defines as MAIL with another
 * destination: the same syntax, parameters, sequence and replies. */
static int start_mail(struct session *s, const struct verb *v, char *arg, enum mode mode)
{
	if (s->state == ST_INIT)
		return reply(s, 503, "5.5.1", "Send HELO or EHLO first");
	if (s->cfg->require_auth && !s->auth_user[0])	/* RFC 4954 6 */
		return reply(s, 530, "5.7.0", "Authentication required");
	if (s->state != ST_HELO)
		return reply(s, 503, "5.5.1", "Nested %s command", v->name);
	const char *p = after_keyword(arg, "FROM:");
	struct addr a;
	enum perr e = p ? parse_path(&p, &a) : P_SYNTAX;
	if (e == P_OK && a.local[0] && !a.domain[0])
		e = P_SYNTAX;	/* only <> may lack a domain */
	char form[32];
	snprintf(form, sizeof form, "%s FROM:<address>", v->name);
	if (e != P_OK)
		return bad_path(s, e, "5.1.7", form);
	if (*p && *p != ' ')
		return reply(s, 501, "5.5.4", "Syntax: %s [parameters]", form);
	int refused = mail_params(s, (char *)p);
	if (refused)
		return refused;
	snprintf(s->sender, sizeof s->sender, "%s", a.text);
	s->mode = mode;
	s->state = ST_MAIL;
	return reply(s, 250, "2.1.0", "Ok");
}

static int smtp_mail(struct session *s, const struct verb *v, char *arg)
{
	return start_mail(s, v, arg, MODE_MAIL);
}

/* RFC 5321 Appendix F.6: SEND, SOML and SAML with RFC 821's model; --no-send turns
 * them off, and then they are not implemented as far as the client can tell. */
static int start_send(struct session *s, const struct verb *v, char *arg, enum mode mode)
{
	if (s->cfg->no_send)
		return reply(s, 502, "5.5.1", "%s not implemented", v->name);
	return start_mail(s, v, arg, mode);
}

static int smtp_send(struct session *s, const struct verb *v, char *arg)
{
	return start_send(s, v, arg, MODE_SEND);
}

static int smtp_soml(struct session *s, const struct verb *v, char *arg)
{
	return start_send(s, v, arg, MODE_SOML);
}

static int smtp_saml(struct session *s, const struct verb *v, char *arg)
{
	return start_send(s, v, arg, MODE_SAML);
}

static bool have_user(struct session *s, const char *user)
{
	const struct rcpt *r = (const struct rcpt *)s->rcpts.p;
	for (size_t i = 0; i < s->nrcpt; i++)
		if (strcmp(r[i].user, user) == 0)
			return true;
	return false;
}

/* RFC 821 3.4: SEND to a user who is not logged in, or whose terminals do not take
 * messages, gets 450 at RCPT, so the client knows at once.  (SOML and SAML fall back
 * to, or also use, the mailbox: their RCPT is answered as MAIL's.)  0 when the user
 * can be reached, else the code of the refusal sent. */
static int send_rcpt(struct session *s, const struct addr *a, const char *user)
{
	struct tty_status st;
	priv_tty_check(s->cfg, &user, 1, &st);
	switch (st.result) {
	case TTY_OK:
		return 0;
	case TTY_NOT_LOGGED_IN:
		return reply(s, 450, "4.2.1", "<%s>: User not active now", a->text);
	case TTY_REFUSED:
		return reply(s, 450, "4.2.1", "<%s>: User not accepting terminal messages", a->text);
	default:
		return reply(s, 451, "4.3.0", "<%s>: Cannot reach the terminal, try again", a->text);
	}
}

static int smtp_rcpt(struct session *s, const struct verb *v, char *arg)
{
	(void)v;
	if (s->state < ST_MAIL)
		return reply(s, 503, "5.5.1", "Need MAIL before RCPT");
	const char *p = after_keyword(arg, "TO:");
	struct addr a;
	enum perr e = p ? parse_path(&p, &a) : P_SYNTAX;
	/* RFC 5321 4.5.1: <Postmaster> without a domain is always accepted. */
	bool postmaster = e == P_OK && !a.domain[0] && strcasecmp(a.local, "postmaster") == 0;
	if (e == P_OK && !a.domain[0] && !postmaster)
		e = P_SYNTAX;	/* includes the null path: RCPT TO:<> */
	if (e != P_OK)
		return bad_path(s, e, "5.1.3", "RCPT TO:<address>");
	if (*p == ' ')
		return reply(s, 555, "5.5.4", "Unsupported RCPT parameter");
	if (*p)
		return reply(s, 501, "5.5.4", "Syntax: RCPT TO:<address>");
	/* No open relay: only local domains, and no routing through the local part. */
	if (!postmaster && (!local_domain(s->cfg, a.domain) || strpbrk(a.local, "%!@")))
		return reply(s, 550, "5.7.1", "<%s>: Relay access denied", a.text);
	struct rcpt r;
	switch (priv_lookup(s->cfg, a.local, r.user)) {
	case LOOKUP_NOUSER:
		return reply(s, 550, "5.1.1", "<%s>: No such user here", a.text);
	case LOOKUP_TEMPFAIL:
		return reply(s, 451, "4.3.0", "<%s>: Temporary lookup failure, try again", a.text);
	case LOOKUP_OK:
		break;
	}
	if (!have_user(s, r.user)) {	/* the same user twice gets one copy */
		if (s->nrcpt >= s->cfg->max_rcpt)	/* RFC 5321 4.5.3.1.10 */
			return reply(s, 452, "4.5.3", "Too many recipients");
		int refused = s->mode == MODE_SEND ? send_rcpt(s, &a, r.user) : 0;
		if (refused)
			return refused;
		snprintf(r.addr, sizeof r.addr, "%s", a.text);
		buf_add(&s->rcpts, &r, sizeof r);
		s->nrcpt++;
	}
	s->state = ST_RCPT;
	return reply(s, 250, "2.1.5", "Ok");
}

/* ---------------------------------------------------------------- DATA */

/* What the DATA state machine saw; reply_data() turns it into the one reply. */
struct data {
	unsigned long long size;	/* RFC 1870: octets with CRLF, without stuffing dots */
	bool bare;			/* a CR or LF that was not part of a CRLF */
	bool longline;			/* a text line over SMTP_TEXT_MAX */
	int werr;			/* errno of a failed spool write */
	/* ibuf[from..to): message text, unstuffed and with LF line ends, not yet in the
	 * spool.  Each line is moved down over input already parsed (a line loses its CR
	 * and maybe a dot, so it always fits) and written out before fill() reuses ibuf:
	 * one copy in memory and one write per read, with no buffer besides ibuf. */
	size_t from, to;
};

static void spool_flush(struct session *s, struct data *d)
{
	while (d->from < d->to && !d->werr) {
		ssize_t w = write(s->spool, s->ibuf + d->from, d->to - d->from);
		if (w == -1 && errno != EINTR)
			d->werr = errno;
		if (w > 0)
			d->from += (size_t)w;
	}
	d->from = d->to;
}

/* One line of message text (in ibuf): unstuffed, counted, kept with LF, Maildir's
 * line end. */
static void data_line(struct session *s, struct data *d, const char *p, size_t n)
{
	if (n && p[0] == '.') {	/* RFC 5321 4.5.2: transparency */
		p++;
		n--;
	}
	d->size += n + 2;
	if (d->size > s->cfg->max_size || d->bare || d->longline || d->werr)
		return;	/* the message will be refused: stop storing it */
	memmove(s->ibuf + d->to, p, n);
	s->ibuf[d->to + n] = '\n';
	d->to += n + 1;
}

/* Read the message up to CRLF "." CRLF (RFC 5321 4.1.1.4), and nothing else: a "."
 * line counts only when the line before it and the "." line itself end in CRLF, so
 * none of the SMTP smuggling endings (LF.LF, CR.CR, CRLF.CR, LF.CRLF, CRLF.LF) ends
 * the message.  Policy for bare CR and bare LF (RFC 5321 2.3.8 forbids them): they are
 * never line ends; a message holding one is read to its real end and refused. */
static enum rd read_data(struct session *s, struct data *d)
{
	bool crlf_before = true;	/* the DATA command's CRLF starts the first line */
	bool inlong = false;		/* in the middle of an over-long line */
	d->from = d->to = s->ipos;
	for (;;) {
		char *p = s->ibuf + s->ipos;
		size_t avail = s->ilen - s->ipos;
		char *nl = memchr(p, '\n', avail);
		if (!nl) {
			if (avail >= SMTP_TEXT_MAX) {
				/* Skip it, but keep a last CR that may pair with the next LF. */
				d->longline = inlong = true;
				s->ipos = s->ilen - 1;
			}
			spool_flush(s, d);
			enum rd r = fill(s);
			d->from = d->to = s->ipos;
			if (r != RD_OK)
				return r;
			continue;
		}
		size_t n = (size_t)(nl - p) + 1;	/* with the LF */
		s->ipos += n;
		bool crlf = n >= 2 && p[n - 2] == '\r';
		size_t len = n - (crlf ? 2 : 1);
		if (!crlf || memchr(p, '\r', len))
			d->bare = true;
		if (inlong || n > SMTP_TEXT_MAX) {
			d->longline = true;
			inlong = false;
		} else if (crlf && crlf_before && len == 1 && p[0] == '.') {
			return RD_OK;
		} else {
			data_line(s, d, p, len);
		}
		crlf_before = crlf;
	}
}

/* The spool: a file nobody else can open, which vanishes with us.  By default an
 * anonymous memory file (memfd): on ext4 creating and dropping an unlinked file on disk
 * costs journal work that made up a quarter of a short session (make bench).  The
 * bytes are in the page cache either way; whoever wants them on a disk (a small
 * machine with a large --max-size) sets TMPDIR, and gets an unlinked file there. */
static int open_spool(void)
{
	const char *dir = getenv("TMPDIR");
	int fd;
	if (!dir || dir[0] != '/') {
		if ((fd = memfd_create("smtp-session-spool", MFD_CLOEXEC)) != -1)
			return fd;
		dir = "/tmp";
	}
	fd = open(dir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
	if (fd != -1 || (errno != EOPNOTSUPP && errno != EISDIR && errno != EINVAL))
		return fd;
	char path[4096];
	snprintf(path, sizeof path, "%s/smtp-session.XXXXXX", dir);
	fd = mkostemp(path, O_CLOEXEC);
	if (fd != -1)
		unlink(path);
	return fd;
}

static void message_id(char *id, size_t n, unsigned seq)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	snprintf(id, n, "%llX%05lX.%lX.%u", (long long)ts.tv_sec, ts.tv_nsec / 1000,
		 (long)getpid(), seq);
}

/* RFC 3848: the "with" of the Received line. */
static const char *protocol(const struct session *s)
{
	if (!s->esmtp)
		return "SMTP";
	return s->auth_user[0] ? "ESMTPA" : "ESMTP";
}

/* RFC 5321 4.4: Return-Path at final delivery, the Received trace line (with the HELO
 * name, the client's address literal, our name, the protocol per RFC 3848, the id, the
 * recipient and the date), and RFC 9228 Delivered-To. */
static void trace_headers(struct session *s, struct buf *h, const struct rcpt *r,
			  const char *id, const char *date)
{
	bool v6 = strchr(s->client, ':') != NULL;
	buf_printf(h, "Return-Path: <%s>\nDelivered-To: %s\nReceived: from %s", s->sender,
		   r->addr, s->helo);
	if (strcmp(s->client, "unknown") != 0)
		buf_printf(h, " ([%s%s])", v6 ? "IPv6:" : "", s->client);
	buf_printf(h, "\n\tby %s (smtp-session) with %s id %s\n\tfor <%s>; %s\n",
		   s->cfg->hostname, protocol(s), id, r->addr, date);
}

static bool storage_full(int e)
{
	return e == ENOSPC || e == EDQUOT;
}

/* Deliver the spooled message to the mailboxes of the recipients r[i] with box[i] set
 * (all of them when box is NULL), all or nothing: 0 when it is durable in every one of
 * those mailboxes, else an errno value. */
static int to_mailboxes(struct session *s, const char *id, const bool *box)
{
	char date[64];
	time_t now = time(NULL);
	struct tm tm;
	strftime(date, sizeof date, "%a, %d %b %Y %H:%M:%S %z", localtime_r(&now, &tm));
	const struct rcpt *r = (const struct rcpt *)s->rcpts.p;
	struct buf heads = BUF_INIT, list = BUF_INIT;
	size_t n = 0;
	for (size_t i = 0; i < s->nrcpt; i++) {
		if (box && !box[i])
			continue;
		size_t before = heads.len;
		trace_headers(s, &heads, &r[i], id, date);
		struct priv_rcpt pr = { r[i].user, NULL, heads.len - before };
		buf_add(&list, &pr, sizeof pr);
		n++;
	}
	struct priv_rcpt *pr = (struct priv_rcpt *)list.p;
	for (size_t i = 0, off = 0; i < n; off += pr[i++].headlen)
		pr[i].head = heads.p + off;	/* heads no longer moves */
	off_t size = lseek(s->spool, 0, SEEK_END);
	int err = size == -1 ? errno
		: n == 0 ? 0 : priv_deliver(s->cfg, s->spool, size, pr, n, s->messages + 1);
	buf_free(&heads);
	buf_free(&list);
	if (err) {
		log_fields(LOG_ERR, LOG_FIELDS({ LF_MSGID, id }, { LF_CLIENT, s->client }),
			   "%s: delivery failed: %s", id, strerror(err));
		return err;
	}
	for (size_t i = 0; i < s->nrcpt; i++)
		if (!box || box[i])
			log_fields(LOG_INFO,
				   LOG_FIELDS({ LF_MSGID, id }, { LF_RCPT, r[i].addr },
					      { LF_USER, r[i].user }, { LF_CLIENT, s->client }),
				   "%s: to=<%s> user=%s delivered", id, r[i].addr, r[i].user);
	return 0;
}

/* The reply when the mailboxes failed: the client must retry. */
static int mailbox_failed(struct session *s, int err)
{
	if (storage_full(err))
		return reply(s, 452, "4.3.1", "Insufficient system storage, try again later");
	return reply(s, 451, "4.3.0", "Local error in delivery, try again later");
}

static int delivered(struct session *s, const char *id)
{
	s->messages++;
	return reply(s, 250, "2.0.0", "Ok: delivered as %s", id);
}

static const char *tty_reason(enum tty_result r)
{
	switch (r) {
	case TTY_OK: return "written";
	case TTY_NOT_LOGGED_IN: return "not logged in";
	case TTY_REFUSED: return "not accepting terminal messages";
	case TTY_FAILED: return "write failed";
	default: return "local error";
	}
}

/* Log what happened at each recipient's terminal (written is false after a check:
 * then only the failures are news); returns the index of the first recipient whose
 * terminal was not reached, or nrcpt. */
static size_t log_terminals(struct session *s, const char *id, const struct tty_status *st,
			    bool written, const char *fallback)
{
	const struct rcpt *r = (const struct rcpt *)s->rcpts.p;
	size_t first = s->nrcpt;
	for (size_t i = 0; i < s->nrcpt; i++) {
		if (st[i].result == TTY_OK) {
			if (!written)
				continue;
			log_fields(LOG_INFO, LOG_FIELDS({ LF_MSGID, id }, { LF_RCPT, r[i].addr },
							{ LF_USER, r[i].user }),
				   "%s: to=<%s> user=%s terminal=%s written", id, r[i].addr,
				   r[i].user, st[i].line);
			continue;
		}
		log_fields(LOG_NOTICE, LOG_FIELDS({ LF_MSGID, id }, { LF_RCPT, r[i].addr },
						  { LF_USER, r[i].user }),
			   "%s: to=<%s> user=%s terminal not reached: %s%s", id, r[i].addr,
			   r[i].user, tty_reason(st[i].result), fallback);
		if (first == s->nrcpt)
			first = i;
	}
	return first;
}

/* RFC 821 3.4, after the final dot of SEND, SOML or SAML.  250 only when every chosen
 * destination has the message: the mailbox durably, the terminal written.
 *  SEND: every terminal is checked again first; if one is no longer reachable nothing
 *        is written anywhere and the reply is 450 (RFC 5321 4.3.2 allows it after
 *        DATA; the client may retry, and RCPT will tell it then).  A write that fails after that is 451: some terminals may have
 *        shown the message, a retry shows it again there.
 *  SOML: the terminal where it can be written, else (also when the write fails) the
 *        mailbox.  Terminals are written first; if the mailboxes then fail, the reply
 *        is 4xx and a retry shows the message again on those terminals.
 *  SAML: the mailbox first; only when every copy is durable are the terminals
 *        written.  A terminal that cannot be written by then is logged, and the reply
 *        is still 250: the mailbox has the message, the terminal was "if possible". */
static int deliver_send(struct session *s, const char *id, const struct buf *text)
{
	const struct rcpt *r = (const struct rcpt *)s->rcpts.p;
	size_t n = s->nrcpt;
	const char **users = calloc(n, sizeof *users);
	struct tty_status *st = calloc(n, sizeof *st);
	bool *box = calloc(n, sizeof *box);
	if (!users || !st || !box)
		buf_oom();
	for (size_t i = 0; i < n; i++)
		users[i] = r[i].user;
	int code = 0, err = 0;
	size_t bad;
	switch (s->mode) {
	case MODE_SEND:
		priv_tty_check(s->cfg, users, n, st);
		if ((bad = log_terminals(s, id, st, false, ", nothing sent")) < n) {
			code = reply(s, 450, "4.2.1", "<%s>: User not active now, nothing sent",
				     r[bad].addr);
			break;
		}
		priv_tty_write(s->cfg, users, n, text->p, text->len, st);
		if ((bad = log_terminals(s, id, st, true, "")) < n)
			code = reply(s, 451, "4.3.0", "<%s>: Terminal write failed, try again",
				     r[bad].addr);
		break;
	case MODE_SOML:
		priv_tty_write(s->cfg, users, n, text->p, text->len, st);
		log_terminals(s, id, st, true, ", to the mailbox instead");
		for (size_t i = 0; i < n; i++)
			box[i] = st[i].result != TTY_OK;
		err = to_mailboxes(s, id, box);
		break;
	default:	/* MODE_SAML */
		if ((err = to_mailboxes(s, id, NULL)))
			break;
		priv_tty_write(s->cfg, users, n, text->p, text->len, st);
		log_terminals(s, id, st, true, ", in the mailbox only");
		break;
	}
	free(users);
	free(st);
	free(box);
	if (code)
		return code;
	return err ? mailbox_failed(s, err) : delivered(s, id);
}

/* The text the terminals are shown (tty_render()), for SEND, SOML and SAML. */
static int render(struct session *s, struct buf *text)
{
	struct tty_note note = { s->sender, s->helo, s->client, time(NULL) };
	off_t size = lseek(s->spool, 0, SEEK_END);
	return size == -1 ? -1 : tty_render(text, &note, s->spool, size, s->cfg->tty_max_lines,
					    s->cfg->tty_max_bytes);
}

/* Deliver the spooled message; the reply says whether every destination has it (250)
 * or the client must retry (4xx). */
static int deliver(struct session *s, const char *id)
{
	struct buf text = BUF_INIT;
	if (s->mode != MODE_MAIL && render(s, &text) == -1) {
		log_msg(LOG_ERR, "%s: cannot read the spool: %s", id, strerror(errno));
		buf_free(&text);
		return reply(s, 451, "4.3.0", "Local error in delivery, try again later");
	}
	/* SIGTERM waits until the delivery is complete: no partial delivery.  Terminal
	 * writes are bounded by --tty-timeout, so the wait is too. */
	sigset_t term, old;
	sigemptyset(&term);
	sigaddset(&term, SIGTERM);
	sigprocmask(SIG_BLOCK, &term, &old);
	int code;
	if (s->mode == MODE_MAIL) {
		int err = to_mailboxes(s, id, NULL);
		code = err ? mailbox_failed(s, err) : delivered(s, id);
	} else {
		code = deliver_send(s, id, &text);
	}
	sigprocmask(SIG_SETMASK, &old, NULL);
	buf_free(&text);
	return code;
}

/* RFC 5321 4.2.5: one reply for the whole message, after the final dot. */
static int reply_data(struct session *s, struct data *d, const char *id)
{
	log_fields(LOG_INFO, LOG_FIELDS({ LF_MSGID, id }, { LF_FROM, s->sender },
					{ LF_CLIENT, s->client }, { LF_HELO, helo_field(s) },
					{ LF_USER, s->auth_user[0] ? s->auth_user : NULL }),
		   "%s: from=<%s> size=%llu nrcpt=%zu client=%s helo=%s%s%s%s%s", id,
		   s->sender, d->size, s->nrcpt, s->client, s->helo,
		   s->auth_user[0] ? " user=" : "", s->auth_user,
		   s->mode == MODE_MAIL ? "" : " verb=",
		   s->mode == MODE_MAIL ? "" : mode_verb[s->mode]);
	if (d->size > s->cfg->max_size)	/* RFC 5321 4.5.3.1.10, RFC 1870 */
		return reply(s, 552, "5.3.4", "Message size exceeds fixed maximum message size");
	if (d->longline)	/* RFC 5321 4.5.3.1.6 */
		return reply(s, 500, "5.5.2", "Line too long (over %d octets), message refused",
			     SMTP_TEXT_MAX);
	if (d->bare)	/* RFC 5321 2.3.8 */
		return reply(s, 550, "5.6.0", "Bare CR or LF in message, message refused");
	if (d->werr && storage_full(d->werr))
		return reply(s, 452, "4.3.1", "Insufficient system storage, try again later");
	if (d->werr)
		return reply(s, 451, "4.3.0", "Cannot store message, try again later");
	return deliver(s, id);
}


static int smtp_data(struct session *s, const struct verb *v, char *arg)
{
	(void)v;
	if (*arg)
		return reply(s, 501, "5.5.4", "Syntax: DATA");
	if (s->state == ST_MAIL)
		return reply(s, 503, "5.5.1", "No valid recipients");
	if (s->state != ST_RCPT)
		return reply(s, 503, "5.5.1", "Need MAIL and RCPT before DATA");
	if (s->spool == -1 && (s->spool = open_spool()) == -1)
		log_msg(LOG_ERR, "cannot open spool file: %s", strerror(errno));
	if (s->spool == -1 || ftruncate(s->spool, 0) == -1 || lseek(s->spool, 0, SEEK_SET) == -1)
		return reply(s, 451, "4.3.0", "Local error, try again later");
	reply(s, 354, NULL, "End data with <CR><LF>.<CR><LF>");
	struct data d = { 0 };
	enum rd r = read_data(s, &d);
	if (r != RD_OK) {	/* the session ends: nothing of this message is kept */
		s->end = r;
		log_fields(LOG_NOTICE, LOG_FIELDS({ LF_CLIENT, s->client }),
			   "%s: session ends during DATA, message discarded", s->client);
		return 0;
	}
	spool_flush(s, &d);
	char id[64];
	message_id(id, sizeof id, s->messages + 1);
	int code = reply_data(s, &d, id);
	reset_transaction(s);
	return code;
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

/* RFC 5321 3.5.3: 252 says neither yes nor no, so VRFY tells nobody who exists. */
static int smtp_vrfy(struct session *s, const struct verb *v, char *arg)
{
	(void)v;
	if (!*arg)
		return reply(s, 501, "5.5.4", "Syntax: VRFY <address>");
	return reply(s, 252, "2.5.2", "Cannot VRFY user, but will accept message and attempt delivery");
}

/* RFC 5321 3.5.2: EXPN may be disabled; we have no lists to expand. */
static int smtp_expn(struct session *s, const struct verb *v, char *arg)
{
	(void)v, (void)arg;
	return reply(s, 502, "5.5.1", "EXPN not implemented");
}

static int smtp_help(struct session *s, const struct verb *v, char *arg)
{
	(void)v, (void)arg;
	return reply(s, 214, "2.0.0",
	      "smtp-session " SMTP_SESSION_VERSION ", RFC 5321\n"
	      "Commands: HELO EHLO MAIL RCPT DATA RSET NOOP QUIT VRFY EXPN HELP%s\n"
	      "End of HELP info", s->cfg->no_send ? "" : " SEND SOML SAML");
}

/* ----------------------------------------------------------------- AUTH */

/* RFC 4954 4: a client response is base64, "*" cancels, and an initial response of
 * "=" stands for an empty one.  Returns the decoded length, or -1 after a refusal. */
static ssize_t sasl_decode(struct session *s, const char *text, unsigned char *out, size_t n)
{
	if (strcmp(text, "*") == 0) {
		reply(s, 501, "5.7.0", "Authentication canceled");
		return -1;
	}
	ssize_t len = strcmp(text, "=") == 0 ? 0 : auth_b64decode(text, strlen(text), out, n);
	if (len < 0)
		reply(s, 501, "5.5.2", "Invalid base64 data");
	return len;
}

/* Ask for one response with a 334 challenge (already base64).  Returns the decoded
 * length, -1 after a refusal, or -2 when the session ends. */
static ssize_t sasl_ask(struct session *s, const char *challenge, unsigned char *out, size_t n)
{
	reply(s, 334, NULL, "%s", challenge);
	char *line;
	size_t len;
	enum rd r = get_line(s, AUTH_LINE_MAX, &line, &len);
	if (r == RD_LONG) {
		reply(s, 500, "5.5.6", "Authentication exchange line is too long");
		return -1;
	}
	if (r != RD_OK) {
		s->end = r;
		return -2;
	}
	ssize_t got = sasl_decode(s, line, out, n);
	explicit_bzero(line, len);	/* the password in base64 */
	return got;
}

/* The initial response if the client gave one, else ask for it. */
static ssize_t sasl_first(struct session *s, char *initial, const char *challenge,
			  unsigned char *out, size_t n)
{
	if (!initial)
		return sasl_ask(s, challenge, out, n);
	ssize_t got = sasl_decode(s, initial, out, n);
	explicit_bzero(initial, strlen(initial));
	return got;
}

/* Wait out the failure delay; SIGTERM cuts it short. */
static void auth_pause(const struct session *s)
{
	struct timespec left = { s->cfg->auth_delay_ms / 1000,
				 (long)(s->cfg->auth_delay_ms % 1000) * 1000000 };
	while (!got_term && nanosleep(&left, &left) == -1 && errno == EINTR)
		;
}

/* Check the credentials and answer.  An empty password, or an authorization identity
 * other than the user (RFC 4616 2: we act for nobody else), fails like a bad password. */
static int authenticate(struct session *s, const char *mech, const char *authzid,
			const char *user, const char *pass)
{
	char canon[USER_NAME_MAX + 1];
	enum authn r = AUTHN_FAIL;
	if (user[0] && pass[0] && (!authzid[0] || strcmp(authzid, user) == 0))
		r = priv_auth(s->cfg, user, pass,
			      strcmp(s->client, "unknown") ? s->client : NULL, canon);
	if (r == AUTHN_OK) {
		snprintf(s->auth_user, sizeof s->auth_user, "%s", canon);
		log_fields(LOG_INFO, LOG_FIELDS({ LF_USER, canon }, { LF_CLIENT, s->client }),
			   "auth: %s user=%s client=%s ok", mech, canon, s->client);
		return reply(s, 235, "2.7.0", "Authentication successful");
	}
	log_fields(LOG_NOTICE, LOG_FIELDS({ LF_USER, user }, { LF_CLIENT, s->client }),
		   "auth: %s user=%s client=%s %s", mech, user, s->client,
		   r == AUTHN_FAIL ? "failed" : "unavailable");
	if (r == AUTHN_TEMPFAIL)
		return reply(s, 454, "4.7.0", "Temporary authentication failure");
	auth_pause(s);
	int code = reply(s, 535, "5.7.8", "Authentication credentials invalid");
	if (++s->auth_failures >= AUTH_MAX_FAILURES) {
		s->closing = "auth failures";
		reply(s, 421, "4.7.0", "%s Too many authentication failures, closing connection",
		      s->cfg->hostname);
	}
	return code;
}

/* RFC 4616 PLAIN, with or without an initial response. */
static int auth_plain(struct session *s, char *initial)
{
	unsigned char msg[AUTH_LINE_MAX / 4 * 3];
	struct sasl_plain p;
	ssize_t n = sasl_first(s, initial, "", msg, sizeof msg);
	if (n < 0)
		return n == -1 ? 501 : 0;
	int bad = auth_plain_parse(msg, (size_t)n, &p);
	explicit_bzero(msg, sizeof msg);
	int code = bad ? reply(s, 501, "5.5.2", "Invalid PLAIN response")
		       : authenticate(s, "PLAIN", p.authzid, p.authcid, p.passwd);
	explicit_bzero(&p, sizeof p);
	return code;
}

/* A LOGIN field: text without NUL, at most SASL_FIELD_MAX octets. */
static bool login_field(const unsigned char *b, ssize_t n, char *out)
{
	if (n > SASL_FIELD_MAX || memchr(b, '\0', (size_t)n))
		return false;
	memcpy(out, b, (size_t)n);
	out[n] = '\0';
	return true;
}

/* LOGIN (draft-murchison-sasl-login): "Username:" and "Password:" in base64. */
static int auth_login(struct session *s, char *initial)
{
	unsigned char b[AUTH_LINE_MAX / 4 * 3];
	char user[SASL_FIELD_MAX + 1], pass[SASL_FIELD_MAX + 1];
	int code = 501;
	ssize_t n = sasl_first(s, initial, "VXNlcm5hbWU6", b, sizeof b);
	if (n >= 0 && (n == 0 || !login_field(b, n, user)))	/* no empty user for PAM */
		code = reply(s, 501, "5.5.2", "Invalid user name");
	else if (n >= 0 && (n = sasl_ask(s, "UGFzc3dvcmQ6", b, sizeof b)) >= 0)
		code = login_field(b, n, pass) ? authenticate(s, "LOGIN", "", user, pass)
					       : reply(s, 501, "5.5.2", "Invalid password");
	explicit_bzero(b, sizeof b);
	explicit_bzero(pass, sizeof pass);
	return code;
}

/* RFC 4954 4: AUTH mechanism [initial-response]. */
static int smtp_auth(struct session *s, const struct verb *v, char *arg)
{
	(void)v;
	if (s->cfg->auth == AUTH_NEVER)
		return reply(s, 502, "5.5.1", "AUTH not available");
	if (!s->esmtp)
		return reply(s, 503, "5.5.1", "Send EHLO first");
	if (!s->auth_offered)	/* RFC 4954 6: only where it cannot be sniffed */
		return reply(s, 538, "5.7.11",
			     "Encryption required for requested authentication mechanism");
	if (s->auth_user[0])
		return reply(s, 503, "5.5.1", "Already authenticated");
	if (s->state > ST_HELO)
		return reply(s, 503, "5.5.1", "AUTH not allowed in a mail transaction");
	char *initial = strchr(arg, ' ');
	if (initial)
		*initial++ = '\0';
	if (!*arg || (initial && (!*initial || strchr(initial, ' '))))
		return reply(s, 501, "5.5.4", "Syntax: AUTH mechanism [initial-response]");
	if (strcasecmp(arg, "PLAIN") == 0)
		return auth_plain(s, initial);
	if (strcasecmp(arg, "LOGIN") == 0)
		return auth_login(s, initial);
	return reply(s, 504, "5.5.4", "Unrecognized authentication mechanism");
}

/* The verb table, sorted by name for bsearch. */
static const struct verb verbs[] = {
	{ "AUTH", smtp_auth, AUTH_LINE_MAX },
	{ "DATA", smtp_data, SMTP_LINE_MAX },
	{ "EHLO", smtp_ehlo, SMTP_LINE_MAX },
	{ "EXPN", smtp_expn, SMTP_LINE_MAX },
	{ "HELO", smtp_helo, SMTP_LINE_MAX },
	{ "HELP", smtp_help, SMTP_LINE_MAX },
	{ "MAIL", smtp_mail, SMTP_LINE_MAX },
	{ "NOOP", smtp_noop, SMTP_LINE_MAX },
	{ "QUIT", smtp_quit, SMTP_LINE_MAX },
	{ "RCPT", smtp_rcpt, SMTP_LINE_MAX },
	{ "RSET", smtp_rset, SMTP_LINE_MAX },
	{ "SAML", smtp_saml, SMTP_LINE_MAX },
	{ "SEND", smtp_send, SMTP_LINE_MAX },
	{ "SOML", smtp_soml, SMTP_LINE_MAX },
	{ "VRFY", smtp_vrfy, SMTP_LINE_MAX },
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
	if (!v)
		return reply(s, 500, "5.5.1", "Command unrecognized");
	s->verb = v->name;
	return v->run(s, v, arg);
}

/* --------------------------------------------------------------- session */

static void client_address(char *out, size_t n, int fd)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof ss;
	unsigned char bin[16];
	if (getpeername(fd, (struct sockaddr *)&ss, &len) == 0) {
		if (ss.ss_family == AF_INET) {
			inet_ntop(AF_INET, &((struct sockaddr_in *)&ss)->sin_addr, out, (socklen_t)n);
			return;
		}
		if (ss.ss_family == AF_INET6) {
			struct in6_addr *a6 = &((struct sockaddr_in6 *)&ss)->sin6_addr;
			if (IN6_IS_ADDR_V4MAPPED(a6))
				inet_ntop(AF_INET, &a6->s6_addr[12], out, (socklen_t)n);
			else
				inet_ntop(AF_INET6, a6, out, (socklen_t)n);
			return;
		}
	}
	/* systemd sets REMOTE_ADDR, tcpserver TCPREMOTEIP; believe only real addresses. */
	const char *env[] = { "REMOTE_ADDR", "TCPREMOTEIP" };
	for (size_t i = 0; i < 2; i++) {
		const char *v = getenv(env[i]);
		if (v && (inet_pton(AF_INET, v, bin) == 1 || inet_pton(AF_INET6, v, bin) == 1)) {
			snprintf(out, n, "%s", v);
			return;
		}
	}
	snprintf(out, n, "unknown");
}

static const char *end_reason(const struct session *s)
{
	if (s->quit)
		return "quit";
	if (s->closing)
		return s->closing;
	switch (s->end) {
	case RD_TIMEOUT: return "timeout";
	case RD_TERM: return "SIGTERM";
	default: return "lost connection";
	}
}

/* RFC 4954 section 4 names AUTH's limit; every other command has RFC 5321's. */
static void too_long(struct session *s)
{
	if (strncasecmp(s->longhead, "AUTH ", 5) == 0)
		reply(s, 500, "5.5.6", "Authentication exchange line is too long");
	else
		reply(s, 500, "5.5.2", "Line too long (over %d octets)", SMTP_LINE_MAX);
}

/* --auth local: AUTH only where the password cannot be sniffed on the way. */
static bool loopback(const char *addr)
{
	struct in_addr a4;
	struct in6_addr a6;
	if (inet_pton(AF_INET, addr, &a4) == 1)
		return (ntohl(a4.s_addr) >> 24) == 127;
	return inet_pton(AF_INET6, addr, &a6) == 1 && IN6_IS_ADDR_LOOPBACK(&a6);
}

static int session(struct session *s)
{
	client_address(s->client, sizeof s->client, s->in);
	s->auth_offered = s->cfg->auth == AUTH_ALWAYS ||
			  (s->cfg->auth == AUTH_LOCAL && loopback(s->client));
	log_fields(LOG_INFO, LOG_FIELDS({ LF_CLIENT, s->client }), "connect from %s", s->client);
	reply(s, 220, NULL, "%s ESMTP", s->cfg->hostname);
	while (!s->quit && !s->dead && !s->closing && s->end == RD_OK) {
		char *line;
		size_t len;
		enum rd r = get_line(s, AUTH_LINE_MAX, &line, &len);
		if (r == RD_LONG) {
			s->commands++;
			too_long(s);
		} else if (r == RD_OK) {
			command(s, line, len);
		} else {
			s->end = r;
		}
		if (s->errors >= MAX_BAD_COMMANDS && !s->quit && !s->closing) {
			s->closing = "errors";
			reply(s, 421, "4.7.0", "%s Too many errors, closing connection",
			      s->cfg->hostname);
		}
	}
	if (s->end == RD_TIMEOUT)	/* RFC 5321 4.5.3.2 */
		reply(s, 421, "4.4.2", "%s Timeout, closing connection", s->cfg->hostname);
	else if (s->end == RD_TERM)
		reply(s, 421, "4.3.2", "%s Shutting down, closing connection", s->cfg->hostname);
	flush(s);
	log_fields(LOG_INFO, LOG_FIELDS({ LF_CLIENT, s->client }, { LF_HELO, helo_field(s) }),
		   "disconnect from %s helo=%s commands=%u messages=%u rejects=%u end=%s",
		   s->client, s->helo[0] ? s->helo : "-", s->commands, s->messages, s->rejects,
		   end_reason(s));
	return 0;
}

/* ------------------------------------------------------------------ main */

_Noreturn void buf_oom(void)
{
	static const char msg[] = "421 4.3.0 Out of memory, closing connection\r\n";
	log_msg(LOG_CRIT, "out of memory");
	(void)!write(1, msg, sizeof msg - 1);
	_exit(EXIT_SYSTEM);
}

static void on_term(int sig)
{
	(void)sig;
	got_term = 1;
}

static void usage(FILE *f)
{
	fputs("usage: smtp-session [options]   (the connection on stdin/stdout)\n"
	      "  --hostname NAME        our name (default: gethostname)\n"
	      "  --domains A,B,...      local domains (default: the hostname and localhost)\n"
	      "  --maildir PATH         Maildir below each home (default Maildir);\n"
	      "                         an absolute path only in single-user mode\n"
	      "  --user NAME            single-user mode: all mail to NAME, running as NAME\n"
	      "  --postmaster USER      who gets postmaster's mail (default root)\n"
	      "  --max-size BYTES       largest message (default 10485760)\n"
	      "  --max-recipients N     recipients per message (default 100)\n"
	      "  --timeout SECONDS      idle timeout (default 300)\n"
	      "  --log-file PATH        log to PATH instead of syslog (facility mail)\n"
	      "  --auth WHERE           offer AUTH: local (loopback clients, the default),\n"
	      "                         always, or never\n"
	      "  --require-auth         submission mode: MAIL only after AUTH\n"
	      "  --pam-service NAME     PAM service for AUTH (default smtp)\n"
	      "  --auth-delay MS        pause after a failed AUTH (default 2000)\n"
	      "  --no-send              turn SEND, SOML and SAML (terminal delivery) off\n"
	      "  --utmp PATH            who is logged in where (default: the system's utmp)\n"
	      "  --tty-max-lines N      lines of a message shown on a terminal (default 64)\n"
	      "  --tty-max-bytes N      bytes of a message shown on a terminal (default 8192)\n"
	      "  --tty-timeout SECONDS  time a terminal may take to accept it (default 5)\n"
	      "  --help, --version\n", f);
}


/* ",a,b," in lowercase, for local_domain(). */
static char *domain_list(const char *list)
{
	struct buf b = BUF_INIT;
	buf_addc(&b, ',');
	for (const char *p = list; *p; p++)
		if (*p != ' ')
			buf_addc(&b, (char)tolower((unsigned char)*p));
	buf_addc(&b, ',');
	return b.p;
}

enum { O_HOSTNAME = 256, O_DOMAINS, O_MAILDIR, O_USER, O_POSTMASTER, O_MAXSIZE,
       O_MAXRCPT, O_TIMEOUT, O_LOGFILE, O_AUTH, O_REQUIRE_AUTH, O_PAM_SERVICE,
       O_AUTH_DELAY, O_NOSEND, O_UTMP, O_TTYLINES, O_TTYBYTES, O_TTYTIMEOUT, O_HELP,
       O_VERSION };

static const struct option options[] = {
	{ "hostname", required_argument, NULL, O_HOSTNAME },
	{ "domains", required_argument, NULL, O_DOMAINS },
	{ "maildir", required_argument, NULL, O_MAILDIR },
	{ "user", required_argument, NULL, O_USER },
	{ "postmaster", required_argument, NULL, O_POSTMASTER },
	{ "max-size", required_argument, NULL, O_MAXSIZE },
	{ "max-recipients", required_argument, NULL, O_MAXRCPT },
	{ "timeout", required_argument, NULL, O_TIMEOUT },
	{ "log-file", required_argument, NULL, O_LOGFILE },
	{ "auth", required_argument, NULL, O_AUTH },
	{ "require-auth", no_argument, NULL, O_REQUIRE_AUTH },
	{ "pam-service", required_argument, NULL, O_PAM_SERVICE },
	{ "auth-delay", required_argument, NULL, O_AUTH_DELAY },
	{ "no-send", no_argument, NULL, O_NOSEND },
	{ "utmp", required_argument, NULL, O_UTMP },
	{ "tty-max-lines", required_argument, NULL, O_TTYLINES },
	{ "tty-max-bytes", required_argument, NULL, O_TTYBYTES },
	{ "tty-timeout", required_argument, NULL, O_TTYTIMEOUT },
	{ "help", no_argument, NULL, O_HELP },
	{ "version", no_argument, NULL, O_VERSION },
	{ NULL, 0, NULL, 0 },
};

/* Usage errors are the one thing written to stderr: they happen before any session. */
static _Noreturn void bad_usage(const char *what)
{
	fprintf(stderr, "smtp-session: %s\n", what);
	usage(stderr);
	exit(EXIT_USAGE);
}

static void parse_options(int argc, char **argv, struct config *cfg, const char **user)
{
	static char host[256];
	const char *domains = NULL;
	unsigned long long n;
	int c;
	while ((c = getopt_long(argc, argv, "", options, NULL)) != -1) {
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
				bad_usage("--auth: local, always or never");
			break;
		case O_AUTH_DELAY:
			if (!number(optarg, 0, 60000, &n))
				bad_usage("--auth-delay: milliseconds, from 0 to 60000");
			cfg->auth_delay_ms = (unsigned)n;
			break;
		case O_MAXSIZE:
			if (!number(optarg, 1, 1ULL << 40, &cfg->max_size))
				bad_usage("--max-size: a number of bytes, at least 1");
			break;
		case O_MAXRCPT:
			if (!number(optarg, 1, 100000, &n))
				bad_usage("--max-recipients: a number from 1 to 100000");
			cfg->max_rcpt = (unsigned)n;
			break;
		case O_TIMEOUT:
			if (!number(optarg, 1, 86400, &n))
				bad_usage("--timeout: seconds, from 1 to 86400");
			cfg->timeout = (unsigned)n;
			break;
		case O_NOSEND: cfg->no_send = true; break;
		case O_UTMP: cfg->utmp = optarg; break;
		case O_TTYLINES:
			if (!number(optarg, 1, 100000, &n))
				bad_usage("--tty-max-lines: a number from 1 to 100000");
			cfg->tty_max_lines = (unsigned)n;
			break;
		case O_TTYBYTES:
			if (!number(optarg, 1, 1 << 20, &n))
				bad_usage("--tty-max-bytes: a number from 1 to 1048576");
			cfg->tty_max_bytes = (unsigned)n;
			break;
		case O_TTYTIMEOUT:
			if (!number(optarg, 1, 3600, &n))
				bad_usage("--tty-timeout: seconds, from 1 to 3600");
			cfg->tty_timeout = (unsigned)n;
			break;
		case O_HELP: usage(stdout); exit(0);
		case O_VERSION: puts("smtp-session " SMTP_SESSION_VERSION); exit(0);
		default: bad_usage("unknown option");
		}
	}
	if (optind < argc)
		bad_usage("unexpected argument");
	if (!cfg->hostname) {
		if (gethostname(host, sizeof host - 1) == -1)
			snprintf(host, sizeof host, "localhost");
		cfg->hostname = host;
	}
	if (!helo_ok(cfg->hostname))
		bad_usage("--hostname: one word of printable ASCII");
	if (!domains) {
		static char def[300];
		snprintf(def, sizeof def, "%s,localhost", cfg->hostname);
		domains = def;
	}
	cfg->domains = domain_list(domains);
	if (!cfg->maildir[0])
		bad_usage("--maildir: empty path");
}

/* What the session held, released (and wiped: buf_free) when it ends. */
static void session_free(struct session *s)
{
	buf_free(&s->obuf);
	buf_free(&s->scratch);
	buf_free(&s->rcpts);
	if (s->spool != -1)
		close(s->spool);
	s->spool = -1;
}

/* One whole session on in/out: priv_init() (a 421 if that fails), the dialogue, then
 * everything released.  main() calls it once.  The fuzz harness (fuzz/) calls it once
 * per input, with priv.h served by test doubles; that is why it starts from a cleared
 * session and leaves nothing behind. */
int session_run(struct config *cfg, const char *as_user, int in, int out)
{
	static struct session s;	/* the one session; static for its 64 KiB buffer */
	/* Clearing ibuf too would cost every process 16 pages it may never use. */
	memset(&s, 0, offsetof(struct session, ibuf));
	s.cfg = cfg;
	s.in = in;
	s.out = out;
	s.spool = -1;
	struct stat st;
	s.out_sock = fstat(s.out, &st) == 0 && S_ISSOCK(st.st_mode);
	const char *why = NULL;
	int rc;
	if (priv_init(cfg, as_user, &why) == -1) {
		log_msg(LOG_ERR, "cannot start: %s: %s", why, strerror(errno));
		reply(&s, 421, NULL, "%s Service not available, closing connection", cfg->hostname);
		flush(&s);
		rc = EXIT_SYSTEM;
	} else {
		rc = session(&s);
	}
	session_free(&s);
	return rc;
}

int main(int argc, char **argv)
{
	struct config cfg = {
		.maildir = "Maildir",
		.postmaster = "root",
		.max_size = DEFAULT_MAX_SIZE,
		.max_rcpt = DEFAULT_MAX_RCPT,
		.timeout = DEFAULT_TIMEOUT,
		.auth = AUTH_LOCAL,
		.pam_service = "smtp",
		.auth_delay_ms = DEFAULT_AUTH_DELAY_MS,
		.tty_max_lines = DEFAULT_TTY_MAX_LINES,
		.tty_max_bytes = DEFAULT_TTY_MAX_BYTES,
		.tty_timeout = DEFAULT_TTY_TIMEOUT,
	};
	const char *user = NULL;
	parse_options(argc, argv, &cfg, &user);
	umask(077);
	log_open(cfg.log_file);
	struct sigaction sa = { .sa_handler = on_term };	/* no SA_RESTART: waits wake up */
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	const char *why = NULL;
	int rc = systemd_connection(&why);	/* a passed socket moves to fds 0 and 1 */
	if (rc)
		log_msg(LOG_ERR, "cannot start: %s", why);
	else
		rc = session_run(&cfg, user, 0, 1);
	/* Freed so that leak checkers (valgrind, ASan) see no leak at all. */
	free(cfg.domains);
	free(cfg.user);
	free(cfg.home);
	return rc;
}
