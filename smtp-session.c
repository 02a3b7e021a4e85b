/* smtp-session.c: one SMTP session (RFC 5321): the dialogue, its verb table and the
 * one reply function.  Session side: this runs in the unprivileged, sandboxed session
 * process (sandbox.c), which alone holds the client connection.
 *
 * Files of the dialogue: this one (verbs, replies, the session loop), data.c (DATA and
 * delivery), sasl.c (AUTH), addr.c (the address grammar), io.c (reading and writing
 * the connection under deadlines), render.c (text for terminals).  Everything that
 * needs privilege (does this user exist, deliver this spooled message, check this
 * password) is asked of priv.h, which sends it to the privileged parent (privsep.h).
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
#include "peer.h"
#include "priv.h"
#include "proxy.h"
#include "session.h"
#include "config.h"
#include "tls.h"
#include "utf8.h"

/* Set by the SIGTERM handler; checked whenever a wait is interrupted. */
static volatile sig_atomic_t got_term;

/* The HELO name for a structured log field: none before HELO/EHLO. */
const char *helo_field(const struct session *s)
{
	return s->helo[0] ? s->helo : NULL;
}

/* --max-errors counts every refusal (config.h DEFAULT_MAX_ERRORS), 4xx too: a
 * client that goes on after 450 "not logged in" is probing as much as one after 550.
 * 421 is not counted: it ends the session by itself. */
static bool counts_as_error(int code)
{
	return code >= 400 && code != 421;
}

/* One line of reply text, in ASCII whatever it holds: RFC 6531 3.7.4 allows UTF-8 in
 * replies only where we never send it (VRFY and EXPN naming a mailbox, 251, 551), so an
 * address in UTF-8 is shown with RFC 6533 3's \x{HEX} for each character beyond
 * ASCII, and any other byte that is no printable ASCII as '?'. */
static void put_ascii(struct buf *b, const char *line, size_t n)
{
	const unsigned char *p = (const unsigned char *)line;
	for (size_t i = 0, k; i < n; i += k) {
		unsigned cp;
		k = utf8_next(p + i, n - i, &cp);
		if (k > 1)
			buf_printf(b, "\\x{%X}", cp);
		else
			buf_addc(b, p[i] >= 0x20 && p[i] < 0x7f ? (char)p[i] : '?');
		k += !k;
	}
}

/* The one reply function (session.h). */
int reply(struct session *s, int code, const char *esc, const char *fmt, ...)
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
		buf_printf(&s->c.obuf, "%d%c", code, nl ? '-' : ' ');
		if (esc && s->esmtp)
			buf_printf(&s->c.obuf, "%s ", esc);
		put_ascii(&s->c.obuf, line, (size_t)n);
		buf_adds(&s->c.obuf, "\r\n");
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
	if (s->c.obuf.len >= OUT_FLUSH_AT)
		conn_flush(&s->c);
	return code;
}

/* ------------------------------------------------------------------- verbs */

struct verb;
typedef int verb_fn(struct session *, const struct verb *, char *arg);

/* Which dialogue a verb belongs to: SMTP, LMTP (--lmtp, RFC 2033), or both.  In the
 * other one it is unknown: 500 (RFC 2033 4.1: LHLO, not HELO or EHLO; RFC 821's SEND,
 * SOML and SAML have no place in LMTP). */
enum { V_SMTP = 1, V_LMTP = 2, V_BOTH = 3 };

struct verb {
	const char *name;
	verb_fn *run;
	size_t max;	/* longest command line, CRLF included */
	unsigned where;	/* V_SMTP, V_LMTP or V_BOTH */
};

bool tty_budget(struct session *s, size_t n)
{
	if (n > TTY_CHILDREN_MAX - s->tty_children)
		return false;
	s->tty_children += (unsigned)n;
	return true;
}

void reset_transaction(struct session *s)
{
	data_reset(s);
	s->sender[0] = '\0';
	s->mode = MODE_MAIL;
	s->smtputf8 = false;
	s->bdat = BDAT_NONE;
	s->chunks = (struct data){ 0 };
	buf_reset(&s->rcpts);
	s->nrcpt = 0;
	buf_reset(&s->accepted);
	s->naccepted = 0;
	buf_reset(&s->targets);
	s->ntargets = 0;
	s->nforward = 0;
	if (s->state > ST_HELO)
		s->state = ST_HELO;
}

/* 0 when the argument is good, else the code of the refusal sent. */
static int greet(struct session *s, const struct verb *v, const char *arg)
{
	if (!addr_helo_ok(arg))
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

/* RFC 1870 SIZE, RFC 6152 BODY, RFC 4954 AUTH and RFC 6531 SMTPUTF8 on MAIL; anything
 * else is 555 (RFC 5321 4.1.1.11).  Returns 0, or the code of the refusal sent. */
static int mail_params(struct session *s, char *p, bool *utf8)
{
	bool size = false, body = false, auth = false;
	*utf8 = false;
	s->declared = 0;
	char *save = NULL;
	for (char *kw = strtok_r(p, " ", &save); kw; kw = strtok_r(NULL, " ", &save)) {
		char *val = strchr(kw, '=');
		if (val)
			*val++ = '\0';
		if (strcasecmp(kw, "SIZE") == 0) {
			unsigned long long n;
			if (size || !val || !addr_number(val, 0, ULLONG_MAX, &n))
				return reply(s, 501, "5.5.4", "Syntax: SIZE=<octets>");
			if (n > s->cfg->max_size)	/* RFC 1870 6.1 */
				return reply(s, 552, "5.3.4",
					     "Message size exceeds fixed maximum message size");
			size = true;
			s->declared = n;	/* each RCPT checks the mailbox for it */
		} else if (strcasecmp(kw, "BODY") == 0) {
			if (body || !val || (strcasecmp(val, "7BIT") && strcasecmp(val, "8BITMIME")))
				return reply(s, 501, "5.5.4", "Syntax: BODY=7BIT or BODY=8BITMIME");
			body = true;
		} else if (strcasecmp(kw, "AUTH") == 0) {
			/* Accepted; the submitter it names is not used, as we relay nothing. */
			if (auth || !val || !addr_xtext_ok(val))
				return reply(s, 501, "5.5.4", "Syntax: AUTH=<xtext> or AUTH=<>");
			auth = true;
		} else if (strcasecmp(kw, "SMTPUTF8") == 0) {
			/* RFC 6531 3.4: it takes no value.  Twice is harmless, and Python's
			 * send_message() adds it to the caller's own. */
			if (val)
				return reply(s, 501, "5.5.4", "Syntax: SMTPUTF8 takes no value");
			*utf8 = true;
		} else {
			return reply(s, 555, "5.5.4", "Unsupported MAIL parameter");
		}
	}
	return 0;
}

/* Reply for a path that did not parse; esc is 5.1.7 (sender) or 5.1.3 (recipient).
 * RFC 6531 3.5: an address beyond ASCII without the SMTPUTF8 parameter gets 550 at
 * MAIL and 553 at RCPT, both with 5.6.7; for anything else wrong with it "the server
 * follows the model of RFC 5321": malformed UTF-8 is bad address syntax, 501 with
 * the address's code as for ASCII. */
static int bad_path(struct session *s, enum perr e, const char *esc, const char *usage)
{
	if (e == P_8BIT)
		return reply(s, strcmp(esc, "5.1.7") == 0 ? 550 : 553, "5.6.7",
			     "Non-ASCII address needs the SMTPUTF8 parameter on MAIL");
	if (e == P_UTF8)
		return reply(s, 501, esc, "Malformed UTF-8 or a control character in the address");
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
	if (s->cfg->require_tls && !TLS_ACTIVE(s))	/* RFC 3207 4 */
		return reply(s, 530, "5.7.0", "Must issue a STARTTLS command first");
	if (s->cfg->require_auth && !s->auth_user[0])	/* RFC 4954 6 */
		return reply(s, 530, "5.7.0", "Authentication required");
	if (s->state != ST_HELO)
		return reply(s, 503, "5.5.1", "Nested %s command", v->name);
	if (s->transactions >= s->cfg->max_messages) {	/* RFC 9422 MAILMAX */
		s->closing = "too many messages";
		return reply(s, 421, "4.7.0", "%s Too many messages in one connection, closing "
			     "connection", s->cfg->hostname);
	}
	const char *p = addr_after_keyword(arg, "FROM:");
	struct addr a;
	/* The parameters come after the path, but say how to read it: a first look for
	 * SMTPUTF8 picks the grammar, mail_params() has the last word. */
	enum perr e = p ? addr_parse_path(&p, &a, addr_has_word(p, "SMTPUTF8")) : P_SYNTAX;
	if (e == P_OK && a.local[0] && !a.domain[0])
		e = P_SYNTAX;	/* only <> may lack a domain */
	char form[32];
	snprintf(form, sizeof form, "%s FROM:<address>", v->name);
	if (e != P_OK)
		return bad_path(s, e, "5.1.7", form);
	if (*p && *p != ' ')
		return reply(s, 501, "5.5.4", "Syntax: %s [parameters]", form);
	bool utf8;
	int refused = mail_params(s, (char *)p, &utf8);
	if (refused)
		return refused;
	if (a.utf8 && !utf8)
		return bad_path(s, P_8BIT, "5.1.7", form);
	/* Postfix's reject_sender_login_mismatch */
	if (!priv_mail(s->cfg, a.text, s->auth_user[0] != '\0'))
		return reply(s, 553, "5.7.1", "<%s>: Sender address not owned by user %s", a.text,
			     s->auth_user);
	snprintf(s->sender, sizeof s->sender, "%s", a.text);
	s->mode = mode;
	s->smtputf8 = utf8;
	s->transactions++;
	s->state = ST_MAIL;
	return reply(s, 250, "2.1.0", "Ok");
}

static int smtp_mail(struct session *s, const struct verb *v, char *arg)
{
	return start_mail(s, v, arg, MODE_MAIL);
}

/* --send: may this client write on terminals?  s->client is the socket's peer (or
 * what the super-server said); "unknown" is no loopback client. */
static bool send_allowed(const struct session *s)
{
	switch (s->cfg->send) {
	case SEND_ANY: return true;
	case SEND_AUTH: return s->auth_user[0] || peer_loopback(s->client);
	case SEND_LOCAL: return peer_loopback(s->client);
	default: return false;
	}
}

/* RFC 5321 Appendix F.6: SEND, SOML and SAML with RFC 821's model; --send never turns
 * them off, and then they are not implemented as far as the client can tell.  A
 * client --send does not allow gets 530 for SEND (RFC 4954 6: authentication
 * required), and its SOML and SAML are MAIL: the mailbox only, as RFC 821 3.4 lets
 * SOML fall back and SAML's terminal copy is "if possible". */
static int start_send(struct session *s, const struct verb *v, char *arg, enum mode mode)
{
	if (s->cfg->send == SEND_NEVER)
		return reply(s, 502, "5.5.1", "%s not implemented", v->name);
	if (!send_allowed(s) && mode == MODE_SEND)
		return reply(s, 530, "5.7.0", "Authentication required to send to a terminal");
	if (!send_allowed(s)) {
		log_fields(LOG_INFO, LOG_FIELDS({ LF_CLIENT, s->client }),
			   "%s from %s: no terminal for this client, the mailbox only", v->name,
			   s->client);
		mode = MODE_MAIL;
	}
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

/* The index of user among the recipients so far, or nrcpt. */
static size_t user_index(const struct session *s, const char *user)
{
	const struct rcpt *r = (const struct rcpt *)s->rcpts.p;
	size_t i = 0;
	while (i < s->nrcpt && strcmp(r[i].user, user) != 0)
		i++;
	return i;
}

/* RFC 821 3.4: SEND to a user who is not logged in, or whose terminals do not take
 * messages, gets 450 at RCPT, so the client knows at once.  (SOML and SAML fall back
 * to, or also use, the mailbox: their RCPT is answered as MAIL's.)  0 when the user
 * can be reached, else the code of the refusal sent. */
static int send_rcpt(struct session *s, const struct addr *a, const char *user)
{
	struct tty_status st;
	if (!tty_budget(s, 1))
		return reply(s, 452, "4.5.3", "<%s>: Too many terminal messages in this session",
			     a->text);
	priv_tty_check(&user, 1, &st);
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

/* MAIL, SOML and SAML: the recipient's mailbox is checked now, as the recipient, so
 * that a broken or full one is refused for this recipient alone: after DATA there is
 * one reply for all (RFC 5321 4.2.5).  RFC 5321 4.2.3 450 (mailbox unavailable) with
 * RFC 3463 X.2.0 (mailbox status), 452 (insufficient storage) with X.2.2 (mailbox
 * full).  0 when it can take the message, else the code of the refusal sent. */
static int mailbox_rcpt(struct session *s, const struct addr *a, const char *user)
{
	switch (priv_check(user, s->declared)) {
	case MAILBOX_OK:
		return 0;
	case MAILBOX_NOTDIR:
		return reply(s, 450, "4.2.0", "<%s>: Mailbox unavailable (not a directory)",
			     a->text);
	case MAILBOX_DENIED:
		return reply(s, 450, "4.2.0", "<%s>: Mailbox unavailable (not writable)", a->text);
	case MAILBOX_BROKEN:
		return reply(s, 450, "4.2.0", "<%s>: Mailbox unavailable", a->text);
	case MAILBOX_FULL:
		return reply(s, 452, "4.2.2", "<%s>: Mailbox full, try again later", a->text);
	default:
		return reply(s, 451, "4.3.0", "<%s>: Cannot check the mailbox, try again", a->text);
	}
}

/* The reply for a recipient that resolves to nobody (priv.h's enum lookup). */
static int refused_rcpt(struct session *s, const struct addr *a, enum lookup r)
{
	switch (r) {
	case LOOKUP_TEMPFAIL:
		return reply(s, 451, "4.3.0", "<%s>: Temporary lookup failure, try again", a->text);
	case LOOKUP_NOPOSTMASTER:	/* the parent logged why */
		return reply(s, 550, "5.1.1", "<%s>: No mailbox here: no postmaster is configured",
			     a->text);
	case LOOKUP_LOOP:	/* RFC 3463 5.4.6: routing loop */
		return reply(s, 550, "5.4.6", "<%s>: Alias or forwarding loop", a->text);
	case LOOKUP_RELAY_DENIED:
		return reply(s, 550, "5.7.1", "<%s>: Relay access denied", a->text);
	default:
		return reply(s, 550, "5.1.1", "<%s>: No such user here", a->text);
	}
}

/* Each new user of a recipient (one not among the recipients so far) checked: its
 * mailbox or terminal.  0 when all can take the message, else the refusal sent. */
static int check_users(struct session *s, const struct addr *a, const struct buf *users)
{
	for (size_t off = 0; off < users->len; off += strlen(users->p + off) + 1) {
		const char *user = users->p + off;
		if (user_index(s, user) < s->nrcpt)
			continue;	/* the same user twice gets one copy */
		int refused = s->mode == MODE_SEND ? send_rcpt(s, a, user) : mailbox_rcpt(s, a, user);
		if (refused)
			return refused;
	}
	return 0;
}

/* The users of an accepted recipient join the message (each once), and the RCPT is
 * remembered with them. */
static void add_users(struct session *s, const struct addr *a, const struct buf *users,
		      bool local)
{
	struct accepted ac = { .first = s->ntargets, .n = 0, .local = local };
	for (size_t off = 0; off < users->len; off += strlen(users->p + off) + 1) {
		const char *user = users->p + off;
		size_t i = user_index(s, user);
		if (i == s->nrcpt) {
			struct rcpt r;
			snprintf(r.user, sizeof r.user, "%s", user);
			snprintf(r.addr, sizeof r.addr, "%s", a->text);
			buf_add(&s->rcpts, &r, sizeof r);
			s->nrcpt++;
		}
		buf_add(&s->targets, &i, sizeof i);
		s->ntargets++;
		ac.n++;
	}
	/* RFC 2033 4.2: in LMTP each accepted RCPT gets its reply after DATA; in SMTP the
	 * addresses are what Delivered-To is checked against (loop.h). */
	snprintf(ac.addr, sizeof ac.addr, "%s", a->text);
	buf_add(&s->accepted, &ac, sizeof ac);
	s->naccepted++;
}

/* How many of users are not among the recipients yet. */
static size_t new_users(const struct session *s, const struct buf *users)
{
	size_t n = 0;
	for (size_t off = 0; off < users->len; off += strlen(users->p + off) + 1)
		n += user_index(s, users->p + off) == s->nrcpt;
	return n;
}

/* RCPT for an address that lookup resolved: the mailboxes (or terminals) of its users,
 * and its remote addresses, all or none. */
static int accept_rcpt(struct session *s, const struct addr *a, struct lookup_result *res)
{
	bool remote_ok = s->mode == MODE_MAIL && !s->cfg->lmtp;
	bool local = !a->domain[0] || addr_local_domain(s->cfg->domains, a->key);
	/* RFC 5321 3.4: 551 when we will not forward.  A terminal is a local user's only,
	 * and an LMTP client is the MTA that forwards (RFC 2033 4.3: final delivery). */
	if (res->nremote && !remote_ok)
		return reply(s, 551, "5.1.6", "<%s>: User not local; please try <%s>", a->text,
			     res->remote);
	size_t more = new_users(s, &res->users);
	/* RFC 5321 4.5.3.1.10; in LMTP every accepted RCPT counts, as each gets a reply. */
	if ((more || s->cfg->lmtp) &&
	    (s->cfg->lmtp ? s->naccepted : s->nrcpt + more - 1) >= s->cfg->max_rcpt)
		return reply(s, 452, "4.5.3", "Too many recipients");
	if (res->nremote && s->nforward >= s->cfg->max_rcpt)
		return reply(s, 452, "4.5.3", "Too many recipients");
	int refused = check_users(s, a, &res->users);
	if (refused)
		return refused;
	add_users(s, a, &res->users, local);
	if (res->nremote) {
		priv_accept();
		s->nforward++;
	}
	s->state = ST_RCPT;
	if (res->nremote && !res->nusers && local)	/* RFC 5321 3.4 */
		return reply(s, 251, "2.1.5", "User not local; will forward to <%s>", res->remote);
	return reply(s, 250, "2.1.5", "Ok");
}

static int smtp_rcpt(struct session *s, const struct verb *v, char *arg)
{
	(void)v;
	if (s->state < ST_MAIL)
		return reply(s, 503, "5.5.1", "Need MAIL before RCPT");
	if (s->bdat != BDAT_NONE)	/* RFC 3030 2: the chunks follow the recipients */
		return reply(s, 503, "5.5.1", "RCPT after BDAT");
	const char *p = addr_after_keyword(arg, "TO:");
	struct addr a;
	enum perr e = p ? addr_parse_path(&p, &a, s->smtputf8) : P_SYNTAX;
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
	/* No open relay: another domain only after AUTH, and no routing through the local
	 * part (the parent checks both again). */
	bool local = postmaster || (addr_local_domain(s->cfg->domains, a.key) &&
				    !strpbrk(a.local, "%!@"));
	if (!local && !s->auth_user[0])
		return reply(s, 550, "5.7.1", "<%s>: Relay access denied", a.text);
	/* Another domain's address goes to the relay command as written, quoting kept. */
	char quoted[PATH_LEN_MAX + 1];
	const char *at = strrchr(a.text, '@');
	snprintf(quoted, sizeof quoted, "%.*s", at ? (int)(at - a.text) : 0, a.text);
	struct lookup_result res = { .users = BUF_INIT };
	priv_lookup(local ? a.local : quoted, a.domain, &res);
	int code = res.r == LOOKUP_OK ? accept_rcpt(s, &a, &res) : refused_rcpt(s, &a, res.r);
	buf_free(&res.users);
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

/* The log's and the Received line's account of the TLS in use:
 * "TLSv1.3 with cipher TLS_AES_256_GCM_SHA384 (256/256 bits)", as Postfix writes it. */
void tls_summary(struct session *s, struct buf *b)
{
	unsigned bits = tls_bits(s->c.tls);
	buf_printf(b, "%s with cipher %s (%u/%u bits)", tls_version(s->c.tls),
		   tls_cipher(s->c.tls), bits, bits);
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

/* RFC 3207 4: STARTTLS takes no argument (501 5.5.4), is answered 220, and then the
 * handshake; RFC 3207 4.2: afterwards the client starts over, as if newly connected,
 * with nothing kept of what it said (HELO name, AUTH, a transaction). */
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
	{ "RCPT", smtp_rcpt, SMTP_LINE_MAX, V_BOTH },
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
 * check, the socket's peer).  No header, or a bad one: the connection ends with a log
 * line and no reply, since whatever sent it is no proxy we know. */
static bool proxied(struct session *s)
{
	const char *why = NULL;
	unsigned long long ms = s->cfg->timeout * 1000ULL;
	int r = proxy_read(s->c.in, ms < PROXY_TIMEOUT_MS ? (unsigned)ms : PROXY_TIMEOUT_MS,
			   s->client, sizeof s->client, &why);
	if (r >= 0)
		return true;
	log_fields(r == -2 ? LOG_INFO : LOG_WARNING, LOG_FIELDS({ LF_CLIENT, s->client }),
		   "PROXY header from %s %s: %s", s->client, r == -2 ? "missing" : "refused", why);
	return false;
}

static int session(struct session *s)
{
	peer_address(s->c.in, s->client, sizeof s->client);
	if (s->cfg->proxy && !proxied(s))
		return 0;
	/* --require-tls: not before TLS, whoever asks (RFC 3207 4: 530 until then) */
	s->auth_offered = !s->cfg->require_tls &&
			  (s->cfg->auth == AUTH_ALWAYS ||
			   (s->cfg->auth == AUTH_LOCAL && peer_loopback(s->client)));
	log_fields(LOG_INFO, LOG_FIELDS({ LF_CLIENT, s->client }), "connect from %s", s->client);
	/* RFC 8314 3.3: with implicit TLS the handshake comes first, then the greeting. */
	if (s->tls && s->cfg->tls == TLS_IMPLICIT && handshake(s) == -1)
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
	buf_reset(&s->scratch);
	if (TLS_ACTIVE(s))
		tls_summary(s, &s->scratch);
	log_fields(LOG_INFO, LOG_FIELDS({ LF_CLIENT, s->client }, { LF_HELO, helo_field(s) },
					{ LF_TLS, TLS_ACTIVE(s) ? s->scratch.p : NULL }),
		   "disconnect from %s helo=%s commands=%u messages=%u rejects=%u end=%s%s%s",
		   s->client, s->helo[0] ? s->helo : "-", s->commands, s->messages, s->rejects,
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
	buf_free(&s->accepted);
	buf_free(&s->targets);
	data_free(s);
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
