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

#include "buf.h"
#include "log.h"
#include "priv.h"
#include "smtp-session.h"

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
	enum state state;
	char sender[PATH_LEN_MAX + 1];	/* MAIL FROM, without <> */
	struct buf rcpts;		/* struct rcpt[nrcpt] */
	size_t nrcpt;
	int spool;			/* the message during DATA (open_spool), or -1 */
	enum rd end;			/* why the session ends; RD_OK while it runs */
	unsigned errors;		/* bad commands so far */
	unsigned commands, messages, rejects;
	/* Last, so that session_run() can clear everything before it: its bytes are never
	 * read before they are written. */
	char ibuf[IO_BLOCK];		/* client input */
};

/* ------------------------------------------------------------------ output */

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
		if (r == 0)
			s->dead = true;
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
		log_msg(LOG_NOTICE, "reject: %s from %s: %d %s", s->verb ? s->verb : "-",
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
	if (close - p + 2 > PATH_LEN_MAX)
		return P_LONG;
	if (*p == '@') {	/* source route: accepted and ignored (RFC 5321 4.1.2, C) */
		do
			p = scan_domain(p + 1);
		while (p && *p == ',' && *++p == '@');
		if (!p || *p++ != ':')
			return P_SYNTAX;
	}
	const char *mailbox = p;
	if (*p != '>') {
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
};

static void reset_transaction(struct session *s)
{
	s->sender[0] = '\0';
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
	      "PIPELINING\n"		/* RFC 2920 */
	      "SIZE %llu\n"		/* RFC 1870 */
	      "8BITMIME\n"		/* RFC 6152 */
	      "ENHANCEDSTATUSCODES",	/* RFC 2034 */
	      s->cfg->hostname, s->cfg->max_size);
}

/* RFC 1870 SIZE and RFC 6152 BODY on MAIL; anything else is 555 (RFC 5321 4.1.1.11).
 * Returns 0, or the code of the refusal sent. */
static int mail_params(struct session *s, char *p)
{
	bool size = false, body = false;
	char *save = NULL;
	for (char *kw = strtok_r(p, " ", &save); kw; kw = strtok_r(NULL, " ", &save)) {
		char *val = strchr(kw, '=');
		if (val)
			*val++ = '\0';
		if (strcasecmp(kw, "SIZE") == 0) {
			char *end;
			errno = 0;
			unsigned long long n = val && isdigit((unsigned char)*val)
				? strtoull(val, &end, 10) : 0;
			if (size || !val || !isdigit((unsigned char)*val) || *end || errno)
				return reply(s, 501, "5.5.4", "Syntax: SIZE=<octets>");
			if (n > s->cfg->max_size)	/* RFC 1870 6.1 */
				return reply(s, 552, "5.3.4",
					     "Message size exceeds fixed maximum message size");
			size = true;
		} else if (strcasecmp(kw, "BODY") == 0) {
			if (body || !val || (strcasecmp(val, "7BIT") && strcasecmp(val, "8BITMIME")))
				return reply(s, 501, "5.5.4", "Syntax: BODY=7BIT or BODY=8BITMIME");
			body = true;
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

static int smtp_mail(struct session *s, const struct verb *v, char *arg)
{
	(void)v;
	if (s->state == ST_INIT)
		return reply(s, 503, "5.5.1", "Send HELO or EHLO first");
	if (s->state != ST_HELO)
		return reply(s, 503, "5.5.1", "Nested MAIL command");
	const char *p = after_keyword(arg, "FROM:");
	struct addr a;
	enum perr e = p ? parse_path(&p, &a) : P_SYNTAX;
	if (e == P_OK && a.local[0] && !a.domain[0])
		e = P_SYNTAX;	/* only <> may lack a domain */
	if (e != P_OK)
		return bad_path(s, e, "5.1.7", "MAIL FROM:<address>");
	if (*p && *p != ' ')
		return reply(s, 501, "5.5.4", "Syntax: MAIL FROM:<address> [parameters]");
	int refused = mail_params(s, (char *)p);
	if (refused)
		return refused;
	snprintf(s->sender, sizeof s->sender, "%s", a.text);
	s->state = ST_MAIL;
	return reply(s, 250, "2.1.0", "Ok");
}

static bool have_user(struct session *s, const char *user)
{
	const struct rcpt *r = (const struct rcpt *)s->rcpts.p;
	for (size_t i = 0; i < s->nrcpt; i++)
		if (strcmp(r[i].user, user) == 0)
			return true;
	return false;
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
		   s->cfg->hostname, s->esmtp ? "ESMTP" : "SMTP", id, r->addr, date);
}

static bool storage_full(int e)
{
	return e == ENOSPC || e == EDQUOT;
}

/* Deliver the spooled message to every recipient; the reply says whether it is
 * durable in all their mailboxes (250) or the client must retry (4xx). */
static int deliver(struct session *s, const char *id)
{
	char date[64];
	time_t now = time(NULL);
	struct tm tm;
	strftime(date, sizeof date, "%a, %d %b %Y %H:%M:%S %z", localtime_r(&now, &tm));
	const struct rcpt *r = (const struct rcpt *)s->rcpts.p;
	struct buf heads = BUF_INIT, list = BUF_INIT;
	for (size_t i = 0; i < s->nrcpt; i++) {
		size_t before = heads.len;
		trace_headers(s, &heads, &r[i], id, date);
		struct priv_rcpt pr = { r[i].user, NULL, heads.len - before };
		buf_add(&list, &pr, sizeof pr);
	}
	struct priv_rcpt *pr = (struct priv_rcpt *)list.p;
	for (size_t i = 0, off = 0; i < s->nrcpt; off += pr[i++].headlen)
		pr[i].head = heads.p + off;	/* heads no longer moves */

	/* SIGTERM waits until the delivery is complete: no partial delivery. */
	sigset_t term, old;
	sigemptyset(&term);
	sigaddset(&term, SIGTERM);
	sigprocmask(SIG_BLOCK, &term, &old);
	off_t size = lseek(s->spool, 0, SEEK_END);
	int err = size == -1 ? errno
		: priv_deliver(s->cfg, s->spool, size, pr, s->nrcpt, s->messages + 1);
	sigprocmask(SIG_SETMASK, &old, NULL);
	buf_free(&heads);
	buf_free(&list);

	if (err == 0) {
		s->messages++;
		for (size_t i = 0; i < s->nrcpt; i++)
			log_msg(LOG_INFO, "%s: to=<%s> user=%s delivered", id, r[i].addr, r[i].user);
		return reply(s, 250, "2.0.0", "Ok: delivered as %s", id);
	}
	log_msg(LOG_ERR, "%s: delivery failed: %s", id, strerror(err));
	if (storage_full(err))
		return reply(s, 452, "4.3.1", "Insufficient system storage, try again later");
	return reply(s, 451, "4.3.0", "Local error in delivery, try again later");
}

/* RFC 5321 4.2.5: one reply for the whole message, after the final dot. */
static int reply_data(struct session *s, struct data *d, const char *id)
{
	log_msg(LOG_INFO, "%s: from=<%s> size=%llu nrcpt=%zu client=%s helo=%s", id,
		s->sender, d->size, s->nrcpt, s->client, s->helo);
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
		log_msg(LOG_NOTICE, "%s: session ends during DATA, message discarded", s->client);
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
	      "Commands: HELO EHLO MAIL RCPT DATA RSET NOOP QUIT VRFY EXPN HELP\n"
	      "End of HELP info");
}

/* The verb table, sorted by name for bsearch. */
static const struct verb verbs[] = {
	{ "DATA", smtp_data },
	{ "EHLO", smtp_ehlo },
	{ "EXPN", smtp_expn },
	{ "HELO", smtp_helo },
	{ "HELP", smtp_help },
	{ "MAIL", smtp_mail },
	{ "NOOP", smtp_noop },
	{ "QUIT", smtp_quit },
	{ "RCPT", smtp_rcpt },
	{ "RSET", smtp_rset },
	{ "VRFY", smtp_vrfy },
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
	while (len && (line[len - 1] == ' ' || line[len - 1] == '\t'))
		line[--len] = '\0';	/* trailing blanks some clients send */
	char *arg = strchr(line, ' ');
	if (arg)
		*arg++ = '\0';
	else
		arg = line + len;
	const struct verb *v = bsearch(line, verbs, sizeof verbs / sizeof verbs[0],
				       sizeof verbs[0], verb_cmp);
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
	if (s->errors >= MAX_BAD_COMMANDS)
		return "errors";
	switch (s->end) {
	case RD_TIMEOUT: return "timeout";
	case RD_TERM: return "SIGTERM";
	default: return "lost connection";
	}
}

static int session(struct session *s)
{
	client_address(s->client, sizeof s->client, s->in);
	log_msg(LOG_INFO, "connect from %s", s->client);
	reply(s, 220, NULL, "%s ESMTP", s->cfg->hostname);
	while (!s->quit && !s->dead && s->end == RD_OK) {
		char *line;
		size_t len;
		enum rd r = get_line(s, SMTP_LINE_MAX, &line, &len);
		if (r == RD_LONG) {
			s->commands++;
			reply(s, 500, "5.5.2", "Line too long (over %d octets)", SMTP_LINE_MAX);
		} else if (r == RD_OK) {
			command(s, line, len);
		} else {
			s->end = r;
		}
		if (s->errors >= MAX_BAD_COMMANDS && !s->quit) {
			reply(s, 421, "4.7.0", "%s Too many errors, closing connection",
			      s->cfg->hostname);
			break;
		}
	}
	if (s->end == RD_TIMEOUT)	/* RFC 5321 4.5.3.2 */
		reply(s, 421, "4.4.2", "%s Timeout, closing connection", s->cfg->hostname);
	else if (s->end == RD_TERM)
		reply(s, 421, "4.3.2", "%s Shutting down, closing connection", s->cfg->hostname);
	flush(s);
	log_msg(LOG_INFO, "disconnect from %s helo=%s commands=%u messages=%u rejects=%u end=%s",
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
	      "  --help, --version\n", f);
}

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
       O_MAXRCPT, O_TIMEOUT, O_LOGFILE, O_HELP, O_VERSION };

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
	};
	const char *user = NULL;
	parse_options(argc, argv, &cfg, &user);
	umask(077);
	log_open(cfg.log_file);
	struct sigaction sa = { .sa_handler = on_term };	/* no SA_RESTART: waits wake up */
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	int rc = session_run(&cfg, user, 0, 1);
	/* Freed so that leak checkers (valgrind, ASan) see no leak at all. */
	free(cfg.domains);
	free(cfg.user);
	free(cfg.home);
	return rc;
}
