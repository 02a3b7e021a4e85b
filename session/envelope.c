/* envelope.c: the transaction's envelope: MAIL (RFC 5321 4.1.1.2, with the parameters
 * of RFC 1870, RFC 6152, RFC 4954 and RFC 6531), RFC 821's SEND, SOML and SAML, RCPT
 * (4.1.1.3: who receives it, asked of the parent through priv.h) and the reset that
 * ends a transaction.  Session side. */
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "addr.h"
#include "buf.h"
#include "dsn.h"
#include "log.h"
#include "peer.h"
#include "milter.h"
#include "priv.h"
#include "session.h"

void reset_transaction(struct session *s)
{
	milter_abort();	/* SMFIC_ABORT, if a milter has the transaction */
	deliver_reset(s);
	s->sender[0] = '\0';
	s->mode = MODE_MAIL;
	s->smtputf8 = false;
	s->dsn_ret = DSN_RET_NONE;
	s->envid[0] = '\0';
	s->bdat = BDAT_NONE;
	s->chunks = (struct data){ 0 };
	buf_reset(&s->rcpts);
	buf_reset(&s->orcpts);
	s->nrcpt = 0;
	buf_reset(&s->accepted);
	s->naccepted = 0;
	buf_reset(&s->targets);
	s->ntargets = 0;
	s->nforward = 0;
	if (s->state > ST_HELO)
		s->state = ST_HELO;
}

/* RFC 3461 4.3 RET=FULL|HDRS and 4.4 ENVID=xtext (at most DSN_ENVID_MAX characters,
 * printable US-ASCII once decoded), each once: 501 5.5.4 otherwise.  0, or the code
 * of the refusal sent. */
static int dsn_mail_param(struct session *s, const char *kw, const char *val)
{
	if (strcasecmp(kw, "RET") == 0) {
		if (s->dsn_ret || !val || (strcasecmp(val, "FULL") && strcasecmp(val, "HDRS")))
			return reply(s, 501, "5.5.4", "Syntax: RET=FULL or RET=HDRS");
		s->dsn_ret = strcasecmp(val, "FULL") == 0 ? DSN_RET_FULL : DSN_RET_HDRS;
		return 0;
	}
	if (s->envid[0] || !val)
		return reply(s, 501, "5.5.4", "Syntax: ENVID=<xtext>");
	if (strlen(val) > DSN_ENVID_MAX)
		return reply(s, 501, "5.5.4", "ENVID too long (RFC 3461 4.4: %d characters)",
			     DSN_ENVID_MAX);
	if (!dsn_xtext_decode(val, false, s->envid, sizeof s->envid) || !s->envid[0]) {
		s->envid[0] = '\0';
		return reply(s, 501, "5.5.4", "Syntax: ENVID=<xtext> (RFC 3461 4)");
	}
	return 0;
}

/* RFC 1870 SIZE, RFC 6152 BODY, RFC 4954 AUTH, RFC 6531 SMTPUTF8 and RFC 3461 RET and
 * ENVID on MAIL; anything else is 555 (RFC 5321 4.1.1.11).  Returns 0, or the code of
 * the refusal sent. */
static int mail_params(struct session *s, char *p, bool *utf8)
{
	bool size = false, body = false, auth = false;
	*utf8 = false;
	s->declared = 0;
	s->dsn_ret = DSN_RET_NONE;
	s->envid[0] = '\0';
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
		} else if (strcasecmp(kw, "RET") == 0 || strcasecmp(kw, "ENVID") == 0) {
			int refused = dsn_mail_param(s, kw, val);
			if (refused)
				return refused;
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
	char params[MAIL_LINE_MAX];	/* as they came, for the milters: mail_params()
					 * cuts them up */
	snprintf(params, sizeof params, "%s", p);
	int refused = mail_params(s, (char *)p, &utf8);
	if (refused)
		return refused;
	if (a.utf8 && !utf8)
		return bad_path(s, P_8BIT, "5.1.7", form);
	/* Postfix's reject_sender_login_mismatch */
	if (!priv_mail(s->cfg, a.text, s->auth_user[0] != '\0', s->dsn_ret, s->envid))
		return reply(s, 553, "5.7.1", "<%s>: Sender address not owned by user %s", a.text,
			     s->auth_user);
	snprintf(s->sender, sizeof s->sender, "%s", a.text);
	struct milter_verdict mv;
	if (milter_mail(s, params, &mv)) {
		s->sender[0] = '\0';
		return milter_say(s, &mv, NULL);
	}
	s->mode = mode;
	s->smtputf8 = utf8;
	s->transactions++;
	s->state = ST_MAIL;
	return reply(s, 250, "2.1.0", "Ok");
}

int smtp_mail(struct session *s, const struct verb *v, char *arg)
{
	return start_mail(s, v, arg, MODE_MAIL);
}

/* --send: may this client write on terminals?  s->local is peer_local()'s word
 * (peer.h), the rule the parent checks by too; "unknown" is no local client. */
static bool send_allowed(const struct session *s)
{
	switch (s->cfg->send) {
	case SEND_ANY: return true;
	case SEND_AUTH: return s->auth_user[0] || s->local;
	case SEND_LOCAL: return s->local;
	default: return false;
	}
}

/* RFC 5321 Appendix F.6: SEND, SOML and SAML with RFC 821's model; --send never turns
 * them off, and then they are not implemented as far as the client can tell.  A
 * client --send does not allow gets, for SEND, 530 5.7.0 where an AUTH would help
 * (--send auth; RFC 4954 6: "authentication required"), and 550 5.7.1 where none
 * would (--send local: the client is not on this host; RFC 5321 4.2.2 lets 550 refuse
 * for policy, RFC 3463 X.7.1 "not authorized"); its SOML and SAML are MAIL: the
 * mailbox only, as RFC 821 3.4 lets SOML fall back and SAML's terminal copy is "if
 * possible". */
static int start_send(struct session *s, const struct verb *v, char *arg, enum mode mode)
{
	if (s->cfg->send == SEND_NEVER)
		return reply(s, 502, "5.5.1", "%s not implemented", v->name);
	if (!send_allowed(s) && mode == MODE_SEND && s->cfg->send == SEND_AUTH)
		return reply(s, 530, "5.7.0", "Authentication required to send to a terminal");
	if (!send_allowed(s) && mode == MODE_SEND)
		return reply(s, 550, "5.7.1", "Terminal messages only from local clients");
	if (!send_allowed(s)) {
		log_fields(LOG_INFO, LOG_FIELDS({ LF_CLIENT, s->client }),
			   "%s from %s: no terminal for this client, the mailbox only", v->name,
			   s->client);
		mode = MODE_MAIL;
	}
	return start_mail(s, v, arg, mode);
}

int smtp_send(struct session *s, const struct verb *v, char *arg)
{
	return start_send(s, v, arg, MODE_SEND);
}

int smtp_soml(struct session *s, const struct verb *v, char *arg)
{
	return start_send(s, v, arg, MODE_SOML);
}

int smtp_saml(struct session *s, const struct verb *v, char *arg)
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
		/* root and the system accounts (daemon, bin, postgres...) are refused in the
		 * words of an unknown user, so that RCPT cannot tell which accounts exist;
		 * postmaster exists everywhere (RFC 5321 4.5.1): its refusal may say why. */
		if (strcasecmp(a->local, "postmaster") != 0)
			break;
		return reply(s, 550, "5.1.1", "<%s>: No mailbox here: no postmaster is configured",
			     a->text);
	case LOOKUP_TOO_MANY:
		/* The address's aliases or ~/.forward name more than EXPAND_TARGETS_MAX users
		 * and addresses: refused whole rather than accepted and cut short.  RFC 3463
		 * X.2.4 "mailing list expansion problem", and permanent (550, RFC 5321 4.2.2):
		 * the list stays too long until its owner shortens it, and a 4xx would keep the
		 * mail in the sender's queue for days instead of telling them now.  Not 452
		 * 4.5.3: that asks the client to send the other recipients in another
		 * transaction, which cannot help an address that is too large by itself. */
		return reply(s, 550, "5.2.4", "<%s>: Alias or forward list too long (over %d "
			     "recipients)", a->text, EXPAND_TARGETS_MAX);
	case LOOKUP_LOOP:	/* RFC 3463 5.4.6: routing loop */
		return reply(s, 550, "5.4.6", "<%s>: Alias or forwarding loop", a->text);
	case LOOKUP_RELAY_DENIED:
		return reply(s, 550, "5.7.1", "<%s>: Relay access denied", a->text);
	default:
		break;
	}
	return reply(s, 550, "5.1.1", "<%s>: No such user here", a->text);
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
		      bool local, const struct dsn_rcpt *dsn)
{
	struct accepted ac = { .first = s->ntargets, .n = 0, .local = local };
	for (size_t off = 0; off < users->len; off += strlen(users->p + off) + 1) {
		const char *user = users->p + off;
		size_t i = user_index(s, user);
		if (i == s->nrcpt) {
			struct rcpt r;
			snprintf(r.user, sizeof r.user, "%s", user);
			snprintf(r.addr, sizeof r.addr, "%s", a->text);
			r.notify = dsn->notify;
			r.orcpt = 0;
			if (dsn->orcpt[0]) {
				if (!s->orcpts.len)
					buf_addc(&s->orcpts, '\0');
				r.orcpt = s->orcpts.len;
				buf_add(&s->orcpts, dsn->orcpt, strlen(dsn->orcpt) + 1);
			}
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
static int accept_rcpt(struct session *s, const struct addr *a, struct lookup_result *res,
		       const struct dsn_rcpt *dsn)
{
	bool remote_ok = s->mode == MODE_MAIL && !s->cfg->lmtp;
	bool local = !a->domain[0] || addr_local_domain(s->cfg->domains, a->key);
	/* RFC 5321 3.4: 551 when we will not forward.  A terminal is a local user's only,
	 * and an LMTP client is the MTA that forwards (RFC 2033 4.3: final delivery). */
	if (res->nremote && !remote_ok)
		return reply(s, 551, "5.1.6", "<%s>: User not local; please try <%s>", a->text,
			     res->remote);
	/* RFC 5321 4.5.3.1.10: the users of the message (the parent takes no more than
	 * --max-recipients of them, privsep.h), whatever RCPT named them: an alias may name
	 * many.  The RCPT commands are counted in smtp_rcpt(). */
	size_t more = new_users(s, &res->users);
	if (more && s->nrcpt + more > s->cfg->max_rcpt)
		return reply(s, 452, "4.5.3", "Too many recipients");
	int refused = check_users(s, a, &res->users);
	if (refused)
		return refused;
	add_users(s, a, &res->users, local, dsn);
	if (res->nremote) {
		priv_accept(dsn->notify, dsn->orcpt);
		s->nforward++;
	}
	s->state = ST_RCPT;
	if (res->nremote && !res->nusers && local)	/* RFC 5321 3.4 */
		return reply(s, 251, "2.1.5", "User not local; will forward to <%s>", res->remote);
	return reply(s, 250, "2.1.5", "Ok");
}

/* RFC 3461 4.1 NOTIFY=NEVER or a list of SUCCESS, FAILURE, DELAY, each once; 4.2
 * ORCPT=addr-type;xtext, at most DSN_ORCPT_MAX characters (RFC 6533 3: type utf-8,
 * UTF-8 as it is after SMTPUTF8).  Each parameter once; 501 5.5.4 for a malformed
 * one, 555 5.5.4 for another (RFC 5321 4.1.1.11).  0, or the code of the refusal. */
static int rcpt_params(struct session *s, char *p, struct dsn_rcpt *d)
{
	char *save = NULL;
	*d = (struct dsn_rcpt){ 0 };
	for (char *kw = strtok_r(p, " ", &save); kw; kw = strtok_r(NULL, " ", &save)) {
		char *val = strchr(kw, '=');
		if (val)
			*val++ = '\0';
		if (strcasecmp(kw, "NOTIFY") == 0) {
			if (d->notify || !val || !dsn_notify_parse(val, &d->notify))
				return reply(s, 501, "5.5.4", "Syntax: NOTIFY=NEVER or NOTIFY="
					     "SUCCESS,FAILURE,DELAY (RFC 3461 4.1)");
		} else if (strcasecmp(kw, "ORCPT") == 0) {
			if (d->orcpt[0] || !val)
				return reply(s, 501, "5.5.4", "Syntax: ORCPT=<addr-type>;<xtext>");
			if (strlen(val) > DSN_ORCPT_MAX)
				return reply(s, 501, "5.5.4", "ORCPT too long (RFC 3461 4.2: %d "
					     "characters)", DSN_ORCPT_MAX);
			if (!dsn_orcpt_parse(val, s->smtputf8, d->orcpt, sizeof d->orcpt)) {
				d->orcpt[0] = '\0';
				return reply(s, 501, "5.5.4", "Syntax: ORCPT=<addr-type>;<xtext> "
					     "(RFC 3461 4.2)");
			}
		} else {
			return reply(s, 555, "5.5.4", "Unsupported RCPT parameter");
		}
	}
	return 0;
}

int smtp_rcpt(struct session *s, const struct verb *v, char *arg)
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
	if (*p && *p != ' ')
		return reply(s, 501, "5.5.4", "Syntax: RCPT TO:<address> [parameters]");
	struct dsn_rcpt dsn;
	int refused = rcpt_params(s, (char *)p, &dsn);
	if (refused)
		return refused;
	/* No open relay: another domain only after AUTH, and no routing through the local
	 * part (the parent checks both again). */
	bool local = postmaster || (addr_local_domain(s->cfg->domains, a.key) &&
				    !strpbrk(a.local, "%!@"));
	if (!local && !s->auth_user[0])
		return reply(s, 550, "5.7.1", "<%s>: Relay access denied", a.text);
	/* RFC 5321 4.1.3: an address literal names a host by its address, around DNS and
	 * MX records; one that is not among --domains is never relayed, even after AUTH
	 * ([127.0.0.1] or an internal address would have the relay MTA deliver wherever
	 * it names).  The literal is well-formed, so not 553 5.1.3 (bad syntax): 550
	 * 5.7.1, RFC 3463 "delivery not authorized".  The parent refuses it too. */
	if (!local && a.domain[0] == '[')
		return reply(s, 550, "5.7.1", "<%s>: Address literals are not relayed", a.text);
	/* Another domain's address goes to the relay command as written, quoting kept. */
	char quoted[PATH_LEN_MAX + 1];
	const char *at = strrchr(a.text, '@');
	snprintf(quoted, sizeof quoted, "%.*s", at ? (int)(at - a.text) : 0, a.text);
	/* RFC 9422 RCPTMAX (--max-recipients) counts RCPT commands: every accepted one,
	 * the same address again included (it would still take a lookup, a mailbox check
	 * and, in LMTP, a reply of its own), so the 101st of a transaction gets RFC 5321
	 * 4.5.3.1.10's 452 4.5.3, before any lookup.  A forwarded recipient is one of them,
	 * so the parent's relay groups stay within the same bound. */
	if (s->naccepted >= s->cfg->max_rcpt)
		return reply(s, 452, "4.5.3", "Too many recipients");
	/* The milters before our lookup: a refusal (the milter's own code and text)
	 * costs only this recipient, and nothing is recorded for it. */
	struct milter_verdict mv;
	if (milter_rcpt(s, a.text, &mv))
		return milter_say(s, &mv, NULL);
	struct lookup_result res = { .users = BUF_INIT };
	priv_lookup(local ? a.local : quoted, a.domain, &res);
	int code = res.r == LOOKUP_OK ? accept_rcpt(s, &a, &res, &dsn) : refused_rcpt(s, &a, res.r);
	buf_free(&res.users);
	return code;
}
