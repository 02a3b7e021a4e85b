/* data.c: DATA (RFC 5321 4.1.1.4) and BDAT (RFC 3030), the spool, the trace headers
 * and the delivery of a message to mailboxes and terminals through priv.h.  Session
 * side.
 *
 * The DATA state machine reads the message up to CRLF "." CRLF and nothing else; the
 * chunk reader reads exactly the octets BDAT announced.  Either way the spool holds
 * the message text, unstuffed, with LF line ends (Maildir's), and the reply after the
 * final dot or the LAST chunk is the one reply of RFC 5321 4.2.5. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "addr.h"
#include "log.h"
#include "loop.h"
#include "priv.h"
#include "render.h"
#include "session.h"

static const char *const mode_verb[] = { "MAIL", "SEND", "SOML", "SAML" };

static void spool_flush(struct session *s, struct data *d)
{
	while (d->from < d->to && !d->werr) {
		ssize_t w = write(s->spool, s->c.ibuf + d->from, d->to - d->from);
		if (w == -1 && errno != EINTR)
			d->werr = errno;
		if (w > 0) {
			d->from += (size_t)w;
			d->spooled += (size_t)w;
		}
	}
	d->from = d->to;
	if (s->begun && d->spooled - d->told >= STREAM_STEP) {	/* begin_copies() */
		priv_more(d->spooled);
		d->told = d->spooled;
	}
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
	memmove(s->c.ibuf + d->to, p, n);
	s->c.ibuf[d->to + n] = '\n';
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
	d->from = d->to = s->c.ipos;
	for (;;) {
		char *p = s->c.ibuf + s->c.ipos;
		size_t avail = s->c.ilen - s->c.ipos;
		char *nl = memchr(p, '\n', avail);
		if (!nl) {
			if (avail >= SMTP_TEXT_MAX) {
				/* Skip it, but keep a last CR that may pair with the next LF. */
				d->longline = inlong = true;
				s->c.ipos = s->c.ilen - 1;
			}
			spool_flush(s, d);
			enum rd r = conn_fill(&s->c);
			d->from = d->to = s->c.ipos;
			if (r != RD_OK)
				return r;
			continue;
		}
		size_t n = (size_t)(nl - p) + 1;	/* with the LF */
		s->c.ipos += n;
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

/* The spool in $TMPDIR, when TMPDIR is set: opened once, before the sandbox closes
 * the file system, and reused by every message (ftruncate). */
static int disk_spool = -1;

int spool_init(void)
{
	const char *dir = getenv("TMPDIR");
	if (!dir || dir[0] != '/')
		return 0;
	disk_spool = open(dir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
	if (disk_spool != -1 || (errno != EOPNOTSUPP && errno != EISDIR && errno != EINVAL))
		return disk_spool == -1 ? -1 : 0;
	char path[4096];
	snprintf(path, sizeof path, "%s/smtp-session.XXXXXX", dir);
	disk_spool = mkostemp(path, O_CLOEXEC);
	if (disk_spool != -1)
		unlink(path);
	return disk_spool == -1 ? -1 : 0;
}

int spool_fd(void)
{
	return disk_spool;
}

/* The spool of one message: a file nobody else can open, which vanishes with us.  By
 * default an anonymous memory file (memfd), new for each message, because it is
 * sealed before the privileged side reads it (privsep.h: it must not shrink under
 * the delivery); on ext4 creating and dropping an unlinked file on disk costs journal
 * work that made up a quarter of a short session (make bench).  Whoever wants the
 * bytes on a disk (a small machine with a large --max-size) sets TMPDIR. */
static int open_spool(struct session *s)
{
	if (disk_spool != -1) {
		s->spool = disk_spool;
		return ftruncate(s->spool, 0) == -1 || lseek(s->spool, 0, SEEK_SET) == -1 ? -1 : 0;
	}
	if (s->spool != -1)
		close(s->spool);
	s->spool = memfd_create("smtp-session-spool", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	return s->spool == -1 ? -1 : 0;
}

/* The message is complete: a memfd spool is sealed, so that nobody can change it
 * while it is delivered. */
static int seal_spool(const struct session *s)
{
	if (s->spool == disk_spool)
		return 0;
	return fcntl(s->spool, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE |
					    F_SEAL_SEAL);
}

void data_free(struct session *s)
{
	if (s->spool != -1 && s->spool != disk_spool)
		close(s->spool);
	s->spool = -1;
}

static void message_id(char *id, size_t n, unsigned seq)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	snprintf(id, n, "%llX%05lX.%lX.%u", (long long)ts.tv_sec, ts.tv_nsec / 1000,
		 (long)getpid(), seq);
}

/* RFC 3848 and RFC 6531 3.7.3 (its IANA table, 4.3): the "with" of the Received line,
 * by SMTPUTF8, TLS (STARTTLS or implicit) and AUTH. */
static const char *protocol(const struct session *s)
{
	static const char *const with[2][2][2] = {
		{ { "ESMTP", "ESMTPA" }, { "ESMTPS", "ESMTPSA" } },
		{ { "UTF8SMTP", "UTF8SMTPA" }, { "UTF8SMTPS", "UTF8SMTPSA" } },
	};
	const bool tls = TLS_ACTIVE(s);
	static const char *const lmtp[2][2][2] = {	/* RFC 3848 and RFC 6531 4.3 too */
		{ { "LMTP", "LMTPA" }, { "LMTPS", "LMTPSA" } },
		{ { "UTF8LMTP", "UTF8LMTPA" }, { "UTF8LMTPS", "UTF8LMTPSA" } },
	};
	if (s->cfg->lmtp)
		return lmtp[s->smtputf8][tls][s->auth_user[0] != '\0'];
	if (!s->esmtp && !s->smtputf8)
		return "SMTP";
	return with[s->smtputf8][tls][s->auth_user[0] != '\0'];
}

/* RFC 5321 4.4: the Received trace line (with the HELO name, the client's address
 * literal, our name, the protocol per RFC 3848, the id, the recipient when there is
 * one and the date). */
static void received(struct session *s, struct buf *h, const char *rcpt, const char *id,
		     const char *date)
{
	bool v6 = strchr(s->client, ':') != NULL;
	buf_printf(h, "Received: from %s", s->helo);
	if (strcmp(s->client, "unknown") != 0)
		buf_printf(h, " ([%s%s])", v6 ? "IPv6:" : "", s->client);
	if (TLS_ACTIVE(s)) {	/* the comment Postfix writes there */
		buf_adds(h, "\n\t(using ");
		tls_summary(s, h);
		buf_adds(h, ")");
	}
	buf_printf(h, "\n\tby %s (smtp-session) with %s id %s", s->cfg->hostname, protocol(s), id);
	if (rcpt)
		buf_printf(h, "\n\tfor <%s>", rcpt);
	buf_printf(h, "; %s\n", date);
}

/* At final delivery (RFC 5321 4.4) Return-Path, then RFC 9228 Delivered-To and the
 * Received line. */
static void trace_headers(struct session *s, struct buf *h, const struct rcpt *r,
			  const char *id, const char *date)
{
	buf_printf(h, "Return-Path: <%s>\nDelivered-To: %s\n", s->sender, r->addr);
	received(s, h, r->addr, id, date);
}

static bool storage_full(int e)
{
	return e == ENOSPC || e == EDQUOT;
}

/* The message's id and date (the Received line's), fixed when it starts. */
static void stamp(struct session *s)
{
	if (s->msgid[0])
		return;
	time_t now = time(NULL);
	struct tm tm;
	message_id(s->msgid, sizeof s->msgid, s->messages + 1);
	strftime(s->date, sizeof s->date, "%a, %d %b %Y %H:%M:%S %z", localtime_r(&now, &tm));
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
		struct priv_rcpt pr = { r[i].user, NULL, heads->len - before };
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
static void begin_copies(struct session *s)
{
	/* --lmtp delivers each recipient on its own after the message (reply_lmtp()). */
	if (s->mode != MODE_MAIL || !s->nrcpt || s->cfg->lmtp)
		return;
	struct buf heads = BUF_INIT, list = BUF_INIT;
	stamp(s);
	size_t n = mailbox_list(s, NULL, &heads, &list);
	priv_begin(s->spool, (const struct priv_rcpt *)list.p, n, s->messages + 1);
	s->begun = true;
	buf_free(&heads);
	buf_free(&list);
}

void data_reset(struct session *s)
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
	if (size != -1 && (n || relay.len))
		o = priv_deliver(s->spool, size, pr, n, s->messages + 1, id,
				 relay.len ? relay.p : "", relay.len);
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
	if (o.err || o.relay)
		return o;
	for (size_t i = 0; i < s->nrcpt; i++)
		if (!box || box[i])
			log_fields(LOG_INFO,
				   LOG_FIELDS({ LF_MSGID, id }, { LF_RCPT, r[i].addr },
					      { LF_USER, r[i].user }, { LF_CLIENT, s->client }),
				   "%s: to=<%s> user=%s delivered", id, r[i].addr, r[i].user);
	if (!box && s->nforward)
		log_fields(LOG_INFO, LOG_FIELDS({ LF_MSGID, id }, { LF_CLIENT, s->client }),
			   "%s: handed to the relay command for %zu recipient%s", id, s->nforward,
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
		if (no)
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
	if (any)
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
	if (s->cfg->lmtp)
		return deliver(s, d, id);
	const struct refusal *no = message_refusal(s, d);
	if (no)
		return reply(s, no->code, no->esc, "%s", no->text);
	int code = refuse_loop(s);
	return code ? code : deliver(s, d, id);
}


/* The message is all there (the final dot, or the LAST chunk): sealed, then the one
 * reply, and the transaction is over. */
static int end_message(struct session *s, struct data *d)
{
#ifdef SMTP_TEST_HOOKS
	/* Test builds only (privsep.bats): a system call the sandbox forbids. */
	if (getenv("SMTP_TEST_SYSCALL"))
		syscall(SYS_execve, "/bin/true", (char *[]){ "true", NULL }, (char *[]){ NULL });
#endif
	if (!d->werr && seal_spool(s) == -1)
		d->werr = errno;
	char id[64];
	stamp(s);
	snprintf(id, sizeof id, "%s", s->msgid);
	int code = reply_data(s, d, id);
	reset_transaction(s);
	return code;
}

int smtp_data(struct session *s, const struct verb *v, char *arg)
{
	(void)v;
	if (*arg)
		return reply(s, 501, "5.5.4", "Syntax: DATA");
	if (s->bdat != BDAT_NONE)	/* RFC 3030 3: not both in one transaction */
		return reply(s, 503, "5.5.1", "DATA after BDAT");
	if (s->state == ST_MAIL)
		return reply(s, 503, "5.5.1", "No valid recipients");
	if (s->state != ST_RCPT)
		return reply(s, 503, "5.5.1", "Need MAIL and RCPT before DATA");
	if (open_spool(s) == -1) {
		log_msg(LOG_ERR, "cannot open spool file: %s", strerror(errno));
		return reply(s, 451, "4.3.0", "Local error, try again later");
	}
	reply(s, 354, NULL, "End data with <CR><LF>.<CR><LF>");
	begin_copies(s);
	struct data d = { 0 };
	enum rd r = read_data(s, &d);
	if (r != RD_OK) {	/* the session ends: nothing of this message is kept */
		s->end = r;
		log_fields(LOG_NOTICE, LOG_FIELDS({ LF_CLIENT, s->client }),
			   "%s: session ends during DATA, message discarded", s->client);
		return 0;
	}
	spool_flush(s, &d);
	return end_message(s, &d);
}

/* ------------------------------------------------------------------- BDAT */

/* Octets ibuf[pos..pos+n) of a chunk, as message data: CRLF becomes LF (the spool has
 * Maildir's line ends, as after DATA), also when the CR ends one chunk and the LF starts
 * the next (d->cr).  The message must be what DATA would take: 7BIT and 8BITMIME data
 * are CRLF-canonical with lines of at most 998 octets (RFC 3030 2, RFC 5322 2.1.1, RFC
 * 6152); RFC 5321 2.3.8 forbids a bare CR or LF.  A message that breaks a rule is
 * refused at LAST with DATA's reply, so nothing DATA would refuse gets in through BDAT
 * (SMTP smuggling), and nothing more of it is stored. */
static void chunk_data(struct session *s, struct data *d, size_t pos, size_t n)
{
	d->from = d->to = pos;
	for (size_t i = pos; i < pos + n; i++) {
		char c = s->c.ibuf[i];
		if (c == '\n' ? !d->cr : d->cr)
			d->bare = true;
		d->cr = c == '\r';
		d->line = c == '\n' ? 0 : d->line + !d->cr;
		if (d->line > SMTP_TEXT_MAX - 2)	/* RFC 5321 4.5.3.1.6 */
			d->longline = true;
		if (!d->cr && !d->bare && !d->longline && !d->werr)
			s->c.ibuf[d->to++] = c;	/* never ahead of i: a CR is dropped */
	}
	spool_flush(s, d);
}

/* After LAST: a message that does not end in CRLF gets one, counted as if sent (RFC
 * 5321 4.1.1.4 asks the same of a client before DATA's final dot), so that a spool
 * ends in LF however the message came. */
static void chunks_end(struct session *s, struct data *d)
{
	if (d->cr)	/* the message ends in a CR */
		d->bare = true;
	if (!d->line)
		return;
	d->size += 2;
	if (d->size > s->cfg->max_size || d->bare || d->longline || d->werr)
		return;	/* refused anyway */
	ssize_t w;
	while ((w = write(s->spool, "\n", 1)) == -1 && errno == EINTR)
		;
	if (w != 1)
		d->werr = w == -1 ? errno : EIO;
}

/* RFC 3030 2: exactly n octets follow the BDAT line, and they are read whatever becomes
 * of them, or they would be read as commands.  With store they are message data.  The
 * idle timeout covers each wait, as for DATA (conn_fill()). */
static enum rd read_chunk(struct session *s, struct data *d, unsigned long long n, bool store)
{
	while (n) {
		if (s->c.ipos == s->c.ilen) {
			enum rd r = conn_fill(&s->c);
			if (r != RD_OK)
				return r;
		}
		size_t avail = s->c.ilen - s->c.ipos;
		size_t m = n < avail ? (size_t)n : avail;
		if (store)
			chunk_data(s, d, s->c.ipos, m);
		s->c.ipos += m;
		n -= m;
	}
	return RD_OK;
}

/* RFC 3030 2: bdat-cmd = "BDAT" SP chunk-size [ SP end-marker ], chunk-size = 1*DIGIT,
 * end-marker = "LAST".  false when the size cannot be read; else *well says whether the
 * rest is right too. */
static bool bdat_arg(char *arg, unsigned long long *n, bool *last, bool *well)
{
	char *rest = strchr(arg, ' ');
	if (rest)
		*rest++ = '\0';
	if (!addr_number(arg, 0, BDAT_SIZE_MAX, n))
		return false;
	*last = rest && strcasecmp(rest, "LAST") == 0;
	*well = !rest || *last;
	return true;
}

/* The reply to a chunk that was read but not taken (refused is its code). */
static int chunk_refused(struct session *s, int refused)
{
	switch (refused) {
	case 501:
		return reply(s, 501, "5.5.4", "Syntax: BDAT <size> [LAST]");
	case 552:	/* RFC 5321 4.5.3.1.10, RFC 1870 */
		return reply(s, 552, "5.3.4", "Message size exceeds fixed maximum message size");
	case 451:
		return reply(s, 451, "4.3.0", "Local error, try again later");
	}
	if (s->state == ST_RCPT)	/* RFC 3030 2: the chunks after a refused one */
		return reply(s, 503, "5.5.1", "An earlier BDAT was refused, send RSET");
	if (s->state == ST_MAIL)
		return reply(s, 503, "5.5.1", "No valid recipients");
	return reply(s, 503, "5.5.1", "Need MAIL and RCPT before BDAT");
}

/* RFC 3030 2: BDAT <size> [LAST].  Each chunk is answered after its octets are read:
 * 250 while the message goes on, the one delivery reply after LAST, or a refusal (503
 * out of sequence or after an earlier refusal, 552 once the chunks so far pass
 * --max-size), after which the transaction's later chunks are read and refused until
 * LAST or RSET.  The message goes through ibuf into the spool as DATA's does, so
 * memory stays the same whatever the chunk sizes. */
int smtp_bdat(struct session *s, const struct verb *v, char *arg)
{
	(void)v;
	unsigned long long n;
	bool last, well;
	if (!bdat_arg(arg, &n, &last, &well)) {
		/* Without the size nobody knows where the chunk ends: what follows may be
		 * data or commands, and neither can be trusted.  Postfix closes too. */
		reply(s, 501, "5.5.4", "Syntax: BDAT <size> [LAST]");
		s->closing = "malformed BDAT";
		return reply(s, 421, "4.5.0", "%s Cannot tell where the BDAT data ends, closing "
			     "connection", s->cfg->hostname);
	}
	int refused = 0;
	if (!well)
		refused = 501;
	else if (s->state != ST_RCPT || s->bdat == BDAT_FAILED)
		refused = 503;
	else if (n > s->cfg->max_size - s->chunks.size)	/* size <= max_size while OPEN */
		refused = 552;
	else if (s->bdat == BDAT_NONE && open_spool(s) == -1) {
		log_msg(LOG_ERR, "cannot open spool file: %s", strerror(errno));
		refused = 451;
	}
	if (!refused && s->bdat == BDAT_NONE) {
		s->chunks = (struct data){ 0 };
		s->bdat = BDAT_OPEN;
		begin_copies(s);
	}
	enum rd r = read_chunk(s, &s->chunks, n, !refused);
	if (r != RD_OK) {	/* the session ends: nothing of this message is kept */
		s->end = r;
		log_fields(LOG_NOTICE, LOG_FIELDS({ LF_CLIENT, s->client }),
			   "%s: session ends during BDAT, message discarded", s->client);
		return 0;
	}
	if (refused) {
		int code = chunk_refused(s, refused);
		if (s->state == ST_RCPT) {
			s->bdat = BDAT_FAILED;	/* this message is lost */
			if (last)
				reset_transaction(s);	/* and over */
		}
		return code;
	}
	s->chunks.size += n;
	if (!last)
		return reply(s, 250, "2.0.0", "%llu octet%s received", n, n == 1 ? "" : "s");
	chunks_end(s, &s->chunks);
	return end_message(s, &s->chunks);
}
