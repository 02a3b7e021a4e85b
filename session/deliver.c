/* deliver.c: what becomes of a message once it is all there (RFC 5321 4.2.5: one
 * reply for it): the checks of the message as a whole (size, lines, loops), the
 * delivery through priv.h to mailboxes (all or nothing), the relay command and
 * terminals (SEND, SOML, SAML), one reply per recipient with --lmtp (RFC 2033 4.2), and
 * the copies begun while it arrives.  Session side. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "addr.h"
#include "log.h"
#include "loop.h"
#include "milter.h"
#include "priv.h"
#include "render.h"
#include "session.h"

static const char *const mode_verb[] = { "MAIL", "SEND", "SOML", "SAML" };

static bool storage_full(int e)
{
	return e == ENOSPC || e == EDQUOT;
}

/* The recipients r[i] with box[i] set (all of them when box is NULL), with their
 * trace header blocks in heads, as priv.h takes them in list; returns how many. */
static size_t mailbox_list(struct session *s, const bool *box, struct buf *heads,
			   struct buf *list)
{
	const struct rcpt *r = (const struct rcpt *)s->rcpts.p;
	size_t n = 0;
	for (size_t i = 0; i < s->nrcpt; i++) {
		if (box && !box[i])
			continue;
		size_t before = heads->len;
		trace_headers(s, heads, &r[i], s->msgid, s->date);
		struct priv_rcpt pr = { r[i].user, NULL, heads->len - before, r[i].notify,
					rcpt_orcpt(s, &r[i]) };
		buf_add(list, &pr, sizeof pr);
		n++;
	}
	struct priv_rcpt *pr = (struct priv_rcpt *)list->p;
	for (size_t i = 0, off = 0; i < n; off += pr[i++].headlen)
		pr[i].head = heads->p + off;	/* heads no longer moves */
	return n;
}

/* MAIL: the mailboxes' copies are begun as the message starts, and grow with the
 * spool (spool_flush()), so that they are written while the message arrives: for a
 * large message that copy no longer waits until after the final dot. */
void begin_copies(struct session *s)
{
	/* --lmtp delivers each recipient on its own after the message (reply_lmtp()). */
	if (s->mode != MODE_MAIL || !s->nrcpt || s->cfg->lmtp)
		return;
	/* Milters may refuse or change the message at its end: nothing is begun before
	 * they have had their say (the copies are written after the final dot). */
	if (milter_active()) {
		message_stamp(s);
		return;
	}
	struct buf heads = BUF_INIT, list = BUF_INIT;
	message_stamp(s);
	size_t n = mailbox_list(s, NULL, &heads, &list);
	priv_begin(s->spool, (const struct priv_rcpt *)list.p, n, s->messages + 1);
	s->begun = true;
	buf_free(&heads);
	buf_free(&list);
}

void deliver_reset(struct session *s)
{
	if (s->begun)
		priv_discard();
	s->begun = false;
	s->msgid[0] = s->date[0] = '\0';
}

/* Deliver the spooled message to the mailboxes of the recipients r[i] with box[i] set
 * (all of them when box is NULL, and then also to the remote addresses, relay.h), all
 * or nothing: err 0 when it is durable in every one of those mailboxes, and relay 0
 * when the relay command took it. */
static struct priv_outcome to_mailboxes(struct session *s, const char *id, const bool *box)
{
	const struct rcpt *r = (const struct rcpt *)s->rcpts.p;
	struct buf heads = BUF_INIT, list = BUF_INIT, relay = BUF_INIT;
	size_t n = mailbox_list(s, box, &heads, &list);
	const struct priv_rcpt *pr = s->begun ? NULL : (const struct priv_rcpt *)list.p;
	off_t size = lseek(s->spool, 0, SEEK_END);
	if (!box && s->nforward)	/* no Return-Path: not final delivery (RFC 5321 4.4) */
		received(s, &relay, NULL, s->msgid, s->date);
	struct priv_outcome o = { size == -1 ? errno : 0, 0 };
	bool *missed = calloc(n ? n : 1, sizeof *missed);
	if (!missed)
		o.err = ENOMEM;
	else if (size != -1 && (n || relay.len))
		o = priv_deliver(s->spool, size, pr, n, s->messages + 1, id,
				 relay.len ? relay.p : "", relay.len, missed);
	s->begun = false;	/* delivered or failed: the parent forgot the copies */
	buf_free(&heads);
	buf_free(&list);
	buf_free(&relay);
	if (o.relay)
		log_fields(LOG_ERR, LOG_FIELDS({ LF_MSGID, id }, { LF_CLIENT, s->client }),
			   "%s: the relay command did not take the message (%s)", id,
			   o.relay == 1 ? "try again" : "refused");
	else if (o.err)
		log_fields(LOG_ERR, LOG_FIELDS({ LF_MSGID, id }, { LF_CLIENT, s->client }),
			   "%s: delivery failed: %s", id, strerror(o.err));
	if (o.err || o.relay) {
		free(missed);
		return o;
	}
	for (size_t i = 0, k = 0; i < s->nrcpt; i++) {
		if (box && !box[i])
			continue;
		bool lost = missed[k++];	/* the parent's log says why */
		log_fields(lost ? LOG_ERR : LOG_INFO,
			   LOG_FIELDS({ LF_MSGID, id }, { LF_RCPT, r[i].addr },
				      { LF_USER, r[i].user }, { LF_CLIENT, s->client }),
			   "%s: to=<%s> user=%s %s", id, r[i].addr, r[i].user,
			   lost ? "not delivered (the others were)" : "delivered");
	}
	free(missed);
	if (!box && s->nforward)
		log_fields(LOG_INFO, LOG_FIELDS({ LF_MSGID, id }, { LF_CLIENT, s->client }),
			   "%s: handed to the MTA for %zu recipient%s", id, s->nforward,
			   s->nforward == 1 ? "" : "s");
	return o;
}

/* The reply when the mailboxes or the relay command failed. */
static int mailbox_failed(struct session *s, struct priv_outcome o)
{
	if (o.relay == 1)	/* EX_TEMPFAIL, or no answer in time (RFC 3463 4.4.0) */
		return reply(s, 451, "4.4.0", "Relay hand-off failed, try again later");
	if (o.relay)
		return reply(s, 554, "5.3.0", "The mail system refused the message for relaying");
	if (storage_full(o.err))
		return reply(s, 452, "4.3.1", "Insufficient system storage, try again later");
	return reply(s, 451, "4.3.0", "Local error in delivery, try again later");
}

/* "delivered" only for what is in a mailbox now; what went to the relay command is in
 * the MTA's queue, not delivered yet (issue 22). */
static int delivered(struct session *s, const char *id)
{
	s->messages++;
	if (!s->nforward)
		return reply(s, 250, "2.0.0", "Ok: delivered as %s", id);
	if (!s->nrcpt)
		return reply(s, 250, "2.0.0", "Ok: queued as %s", id);
	return reply(s, 250, "2.0.0", "Ok: delivered as %s, and queued for relay", id);
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
	if (!users || !st || !box) {
		free(users);
		free(st);
		free(box);
		return reply(s, 451, "4.3.0", "Local error in delivery, try again later");
	}
	for (size_t i = 0; i < n; i++)
		users[i] = r[i].user;
	int code = 0;
	struct priv_outcome err = { 0, 0 };
	size_t bad;
	/* SEND checks and then writes every terminal; SOML and SAML only write.  Past the
	 * session's budget of terminal children SEND is refused and the others go to the
	 * mailbox alone (st stays TTY_ERROR). */
	bool budget = tty_budget(s, s->mode == MODE_SEND ? 2 * n : n);
	for (size_t i = 0; i < n; i++)
		st[i].result = TTY_ERROR;
	if (!budget)
		log_fields(LOG_NOTICE, LOG_FIELDS({ LF_MSGID, id }, { LF_CLIENT, s->client }),
			   "%s: no terminal written: this session asked for %u terminal "
			   "children already (at most %d)", id, s->tty_children, TTY_CHILDREN_MAX);
	switch (s->mode) {
	case MODE_SEND:
		if (!budget) {
			code = reply(s, 452, "4.5.3", "Too many terminal messages in this session, "
				     "nothing sent");
			break;
		}
		priv_tty_check(users, n, st);
		if ((bad = log_terminals(s, id, st, false, ", nothing sent")) < n) {
			code = reply(s, 450, "4.2.1", "<%s>: User not active now, nothing sent",
				     r[bad].addr);
			break;
		}
		priv_tty_write(users, n, text->p, text->len, st);
		if ((bad = log_terminals(s, id, st, true, "")) < n)
			code = reply(s, 451, "4.3.0", "<%s>: Terminal write failed, try again",
				     r[bad].addr);
		break;
	case MODE_SOML:
		if (budget)
			priv_tty_write(users, n, text->p, text->len, st);
		log_terminals(s, id, st, true, ", to the mailbox instead");
		for (size_t i = 0; i < n; i++)
			box[i] = st[i].result != TTY_OK;
		err = to_mailboxes(s, id, box);
		break;
	default:	/* MODE_SAML */
		if ((err = to_mailboxes(s, id, NULL)).err || err.relay)
			break;
		if (budget)
			priv_tty_write(users, n, text->p, text->len, st);
		log_terminals(s, id, st, true, ", in the mailbox only");
		break;
	}
	free(users);
	free(st);
	free(box);
	if (code)
		return code;
	return err.err || err.relay ? mailbox_failed(s, err) : delivered(s, id);
}

/* The text the terminals are shown (tty_render()), for SEND, SOML and SAML. */
#define STR_(x) #x
#define STR(x) STR_(x)

/* A rule that refuses the message as a whole. */
struct refusal {
	int code;
	const char *esc, *text;
};

bool tty_budget(struct session *s, size_t n)
{
	if (n > TTY_CHILDREN_MAX - s->tty_children)
		return false;
	s->tty_children += (unsigned)n;
	return true;
}

/* The rule the message breaks, or NULL when it may be delivered. */
static const struct refusal *message_refusal(const struct session *s, const struct data *d)
{
	static const struct refusal size = { 552, "5.3.4",	/* RFC 5321 4.5.3.1.10, RFC 1870 */
		"Message size exceeds fixed maximum message size" };
	static const struct refusal line = { 500, "5.5.2",	/* RFC 5321 4.5.3.1.6 */
		"Line too long (over " STR(SMTP_TEXT_MAX) " octets), message refused" };
	static const struct refusal bare = { 550, "5.6.0",	/* RFC 5321 2.3.8 */
		"Bare CR or LF in message, message refused" };
	static const struct refusal full = { 452, "4.3.1",
		"Insufficient system storage, try again later" };
	static const struct refusal werr = { 451, "4.3.0", "Cannot store message, try again later" };
	if (d->size > s->cfg->max_size)
		return &size;
	if (d->longline)
		return &line;
	if (d->bare)
		return &bare;
	if (d->werr)
		return storage_full(d->werr) ? &full : &werr;
	return NULL;
}

/* RFC 5321 6.3: loops.  hit[k] is set for each accepted RCPT k in a local domain
 * whose address a Delivered-To field of the message names (qmail-local's check: this
 * message was delivered to that address here before; an address relayed elsewhere is
 * not delivered here); the refusal when the message has too many Received fields, or
 * NULL. */
static const struct refusal *loops(struct session *s, bool *hit)
{
	static const struct refusal hops = { 554, "5.4.6",
		"Too many hops: more than " STR(HOPS_MAX) " Received lines (mail loop)" };
	static const struct refusal werr = { 451, "4.3.0", "Cannot read the message, try again later" };
	const struct accepted *ac = (const struct accepted *)s->accepted.p;
	const char **addrs = calloc(s->naccepted + 1, sizeof *addrs);
	unsigned count = 0;
	off_t size = lseek(s->spool, 0, SEEK_END);
	for (size_t k = 0; addrs && k < s->naccepted; k++)
		addrs[k] = ac[k].local ? ac[k].addr : "";	/* "" matches no field */
	int rc = !addrs || size == -1 ? -1 : loop_scan(s->spool, size, addrs, s->naccepted, hit, &count);
	free(addrs);
	if (rc == -1)
		return &werr;
	return count > HOPS_MAX ? &hops : NULL;
}

/* A milter discarded the message (SMFIR_DISCARD): taken, as a delivered one is (it
 * counts in the session's summary), and nothing delivered; the one log line that
 * says so, for SMTP and LMTP alike. */
static void note_discarded(struct session *s, const char *id)
{
	log_fields(LOG_NOTICE, LOG_FIELDS({ LF_MSGID, id }, { LF_CLIENT, s->client }),
		   "%s: discarded by a milter, not delivered", id);
	s->messages++;
}

/* SMTP: one 250, as for a delivery. */
static int discarded(struct session *s, const char *id)
{
	note_discarded(s, id);
	return reply(s, 250, "2.0.0", "Ok: %s", id);
}

/* RFC 2033 4.2 (--lmtp): after the message, one reply for each RCPT accepted, in their
 * order, each saying whether that recipient's mailbox has it: each recipient is
 * delivered on its own, so one broken mailbox costs only its own copy.  A user named
 * by two RCPTs gets one copy and both replies say how it went; an RCPT whose address
 * the message was delivered to before (a loop) is refused alone. */
static int reply_lmtp(struct session *s, const struct data *d, const char *id)
{
	const struct accepted *ac = (const struct accepted *)s->accepted.p;
	const size_t *t = (const size_t *)s->targets.p;
	bool *hit = calloc(s->naccepted + 1, sizeof *hit), *box = calloc(s->nrcpt + 1, sizeof *box);
	bool *want = calloc(s->nrcpt + 1, sizeof *want);
	int *err = calloc(s->nrcpt + 1, sizeof *err), code = 0;
	const struct refusal *no = message_refusal(s, d);
	if (!no && hit)
		no = loops(s, hit);
	bool any = false, ok = hit && box && want && err;
	/* The milters decide for the message: their verdict is each RCPT's reply. */
	struct milter_verdict mv;
	bool filtered = !no && ok && milter_eom(s, &mv);
	if (filtered)
		ok = false;
	for (size_t k = 0; ok && !no && k < s->naccepted; k++)
		for (size_t j = 0; j < ac[k].n && !hit[k]; j++)
			want[t[ac[k].first + j]] = true;
	for (size_t i = 0; ok && !no && i < s->nrcpt; i++) {
		if (!want[i])
			continue;
		box[i] = true;
		err[i] = to_mailboxes(s, id, box).err;
		box[i] = false;
		any |= err[i] == 0;
	}
	for (size_t k = 0; k < s->naccepted; k++) {
		const char *addr = ac[k].addr;
		int e = ok ? 0 : ENOMEM;
		for (size_t j = 0; ok && j < ac[k].n && !e; j++)
			e = err[t[ac[k].first + j]];
		if (filtered && mv.discard)
			code = reply(s, 250, "2.0.0", "<%s>: Ok: %s", addr, id);
		else if (filtered)
			code = milter_say(s, &mv, addr);
		else if (no)
			code = reply(s, no->code, no->esc, "<%s>: %s", addr, no->text);
		else if (ok && hit[k])
			code = reply(s, 554, "5.4.6", "<%s>: Mail loop: already delivered to this "
				     "address (Delivered-To)", addr);
		else if (e == 0)
			code = reply(s, 250, "2.0.0", "<%s>: Ok: delivered as %s", addr, id);
		else if (storage_full(e))
			code = reply(s, 452, "4.3.1", "<%s>: Insufficient system storage, try again "
				     "later", addr);
		else
			code = reply(s, 451, "4.3.0", "<%s>: Local error in delivery, try again later",
				     addr);
	}
	if (filtered && mv.discard)
		note_discarded(s, id);
	else if (any)
		s->messages++;
	free(hit), free(box), free(want), free(err);
	return code;
}

/* SMTP has one reply for all recipients (RFC 5321 4.2.5), and no queue here to bounce
 * a looping copy from: a loop for any recipient refuses the message, naming it, and
 * the sender's MTA bounces it. */
static int refuse_loop(struct session *s)
{
	bool *hit = calloc(s->naccepted + 1, sizeof *hit);
	if (!hit)
		return reply(s, 451, "4.3.0", "Local error in delivery, try again later");
	const struct refusal *no = loops(s, hit);
	const struct accepted *ac = (const struct accepted *)s->accepted.p;
	int code = no ? reply(s, no->code, no->esc, "%s", no->text) : 0;
	for (size_t k = 0; !code && k < s->naccepted; k++)
		if (hit[k])
			code = reply(s, 554, "5.4.6", "<%s>: Mail loop: already delivered to this "
				     "address (Delivered-To)", ac[k].addr);
	free(hit);
	return code;
}

static int render(struct session *s, struct buf *text)
{
	struct tty_note note = { s->sender, s->helo, s->client, time(NULL), s->smtputf8 };
	off_t size = lseek(s->spool, 0, SEEK_END);
	return size == -1 ? -1 : tty_render(text, &note, s->spool, size, s->cfg->tty_max_lines,
					    s->cfg->tty_max_bytes);
}

/* Deliver the spooled message; the reply says whether every destination has it (250)
 * or the client must retry (4xx). */
static int deliver(struct session *s, const struct data *d, const char *id)
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
	if (s->cfg->lmtp) {
		code = reply_lmtp(s, d, id);
	} else if (s->mode == MODE_MAIL) {
		struct priv_outcome o = to_mailboxes(s, id, NULL);
		code = o.err || o.relay ? mailbox_failed(s, o) : delivered(s, id);
	} else {
		code = deliver_send(s, id, &text);
	}
	sigprocmask(SIG_SETMASK, &old, NULL);
	buf_free(&text);
	return code;
}

/* RFC 5321 4.2.5: one reply for the whole message, after the final dot. */
int reply_data(struct session *s, struct data *d, const char *id)
{
	log_fields(LOG_INFO, LOG_FIELDS({ LF_MSGID, id }, { LF_FROM, s->sender },
					{ LF_CLIENT, s->client }, { LF_HELO, helo_field(s) },
					{ LF_USER, s->auth_user[0] ? s->auth_user : NULL }),
		   "%s: from=<%s> size=%llu nrcpt=%zu nrelay=%zu client=%s helo=%s%s%s%s%s",
		   id, s->sender, d->size, s->nrcpt, s->nforward, s->client, helo_text(s),
		   s->auth_user[0] ? " user=" : "", s->auth_user,
		   s->mode == MODE_MAIL ? "" : " verb=",
		   s->mode == MODE_MAIL ? "" : mode_verb[s->mode]);
	if (s->cfg->lmtp)
		return deliver(s, d, id);
	const struct refusal *no = message_refusal(s, d);
	if (no)
		return reply(s, no->code, no->esc, "%s", no->text);
	int code = refuse_loop(s);
	if (code)
		return code;
	/* The milters' end of message, before anything is durable: a tempfail or a
	 * reject is the reply, and nothing was written anywhere. */
	struct milter_verdict mv;
	if (milter_eom(s, &mv))
		return mv.discard ? discarded(s, id) : milter_say(s, &mv, NULL);
	return deliver(s, d, id);
}
