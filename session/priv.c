/* priv.c: the session's side of priv.h.  Each call is one request frame to the
 * privileged parent and, for those that have one, its answer (privsep.h).  Session
 * side.  A broken link (the parent gone, an answer that does not parse) makes every
 * call a temporary failure from then on, and priv_ok() false, so the dialogue ends
 * the session with 421. */
#include "priv.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "frame.h"
#include "log.h"
#include "privsep.h"

/* Set once at start (priv_attach), like the log's destination: configuration of this
 * process, not session state. */
static int link_fd = -1;
static bool broken;
/* Log frames not sent yet: they need no answer, so they wait for the next request or
 * the next wait for the client (priv_flush()), and go in the same write: one wake-up
 * of the parent instead of one per line. */
static struct buf held = BUF_INIT;
#define HELD_MAX 16384

void priv_flush(void)
{
	if (held.len && !broken && link_fd != -1 && frame_send_raw(link_fd, held.p, held.len, -1) == -1)
		broken = true;
	buf_reset(&held);
}

void priv_attach(int sock)
{
	link_fd = sock;
	broken = false;
}

bool priv_ok(void)
{
	return !broken;
}

/* Send the request built in f; with want, receive the answer of that type into f.
 * false when the link is broken. */
static bool ask(struct frame *f, int fd, uint16_t want, size_t max)
{
	if (fd != -1)	/* a descriptor rides with the first byte of a write */
		priv_flush();
	if (held.len) {	/* the held log lines and this request in one write */
		frame_finish(f);
		buf_add(&held, f->b.p, f->b.len);
		explicit_bzero(f->b.p, f->b.len);
		buf_reset(&f->b);
		priv_flush();
		if (broken)
			return false;
	} else if (broken || link_fd == -1 || frame_send(link_fd, f, fd) == -1) {
		return !(broken = true);
	}
	if (!want)
		return true;
	if (frame_recv(link_fd, f, max, NULL) == -1 || f->type != want || f->fd != -1)
		return !(broken = true);
	return true;
}

/* The answer was read exactly to its end, else the link counts as broken. */
static bool done(struct frame *f)
{
	bool ok = frame_done(f);
	frame_free(f);
	if (!ok)
		broken = true;
	return ok;
}

/* A request that needs no answer waits in held for the next one (or the next wait for
 * the client): one write, one wake-up of the parent. */
static void hold(struct frame *f)
{
	frame_finish(f);
	buf_add(&held, f->b.p, f->b.len);
	frame_free(f);
	if (held.len >= HELD_MAX)
		priv_flush();
}

void priv_log(int prio, const struct log_field *fields, const char *line)
{
	struct frame f = FRAME_INIT;
	uint32_t n = 0;
	while (fields && fields[n].key != LF_END && n < PS_LOG_FIELDS_MAX)
		n++;
	frame_begin(&f, PS_LOG);
	frame_put_u32(&f, (uint32_t)prio);
	uint32_t present = 0;
	for (uint32_t i = 0; i < n; i++)
		present += fields[i].value != NULL;
	frame_put_u32(&f, present);
	for (uint32_t i = 0; i < n; i++) {
		if (!fields[i].value)
			continue;
		char v[PS_LOG_VALUE_MAX + 1];
		snprintf(v, sizeof v, "%s", fields[i].value);
		frame_put_u32(&f, (uint32_t)fields[i].key);
		frame_put_str(&f, v);
	}
	frame_put_str(&f, line);
	hold(&f);
}

void priv_lookup(const char *local, const char *domain,
		 struct lookup_result *res)
{
	struct frame f = FRAME_INIT;
	char user[USER_NAME_MAX + 1];
	res->r = LOOKUP_TEMPFAIL;
	res->nusers = res->nremote = 0;
	res->remote[0] = '\0';
	frame_begin(&f, PS_LOOKUP);
	frame_put_str(&f, local);
	frame_put_str(&f, domain);
	if (!ask(&f, -1, PS_LOOKUP_ANS, PS_LOOKUP_ANS_MAX))
		return frame_free(&f);
	uint32_t r = frame_get_u32(&f), n = frame_get_u32(&f);
	for (uint32_t i = 0; i < n && i < EXPAND_TARGETS_MAX; i++) {
		frame_get_str(&f, user, USER_NAME_MAX);
		buf_add(&res->users, user, strlen(user) + 1);
	}
	uint32_t remote = frame_get_u32(&f);
	frame_get_str(&f, res->remote, PATH_LEN_MAX);
	/* The parent's bound (expand.c): EXPAND_TARGETS_MAX users and addresses in all. */
	if (!done(&f) || r > LOOKUP_TOO_MANY || (uint64_t)n + remote > EXPAND_TARGETS_MAX ||
	    (r == LOOKUP_OK && !n && !remote) ||
	    (r != LOOKUP_OK && (n || remote))) {	/* a refusal names nobody */
		buf_reset(&res->users);
		broken = true;
		return;
	}
	res->r = (enum lookup)r;
	res->nusers = n;
	res->nremote = remote;
}

void priv_accept(unsigned notify, const char *orcpt)
{
	struct frame f = FRAME_INIT;
	frame_begin(&f, PS_ACCEPT);
	frame_put_u32(&f, notify);
	frame_put_str(&f, orcpt);
	ask(&f, -1, 0, 0);
	frame_free(&f);
}

bool priv_mail(const struct config *cfg, const char *sender, bool authenticated,
	       unsigned ret, const char *envid)
{
	struct frame f = FRAME_INIT;
	frame_begin(&f, PS_MAIL);
	frame_put_str(&f, sender);
	frame_put_u32(&f, ret);
	frame_put_str(&f, envid);
	if (!authenticated || cfg->any_sender)	/* nothing to check: no answer */
		return hold(&f), true;
	if (!ask(&f, -1, PS_MAIL_ANS, 4))
		return frame_free(&f), true;	/* broken: the next request fails */
	uint32_t ok = frame_get_u32(&f);
	if (!done(&f) || ok > 1)
		return broken = true, true;
	return ok == 1;
}

enum authn priv_auth(const char *user, const char *pass,
		     const char *rhost, char *canon)
{
	struct frame f = FRAME_INIT;
	frame_begin(&f, PS_AUTH);
	frame_put_str(&f, user);
	frame_put_str(&f, pass);
	frame_put_str(&f, rhost ? rhost : "");
	/* frame_send() wiped the password out of the frame. */
	if (!ask(&f, -1, PS_AUTH_ANS, 8 + USER_NAME_MAX))
		return frame_free(&f), AUTHN_TEMPFAIL;
	uint32_t r = frame_get_u32(&f);
	frame_get_str(&f, canon, USER_NAME_MAX);
	if (!done(&f) || r > AUTHN_TEMPFAIL)
		return broken = true, AUTHN_TEMPFAIL;
	return (enum authn)r;
}

enum mailbox priv_check(const char *user, unsigned long long size)
{
	struct frame f = FRAME_INIT;
	frame_begin(&f, PS_CHECK);
	frame_put_str(&f, user);
	frame_put_u64(&f, size);
	if (!ask(&f, -1, PS_CHECK_ANS, 4))
		return frame_free(&f), MAILBOX_TEMPFAIL;
	uint32_t r = frame_get_u32(&f);
	if (!done(&f) || r > MAILBOX_TEMPFAIL)
		return broken = true, MAILBOX_TEMPFAIL;
	return (enum mailbox)r;
}

/* The recipients of the next request, one PS_RCPT frame each. */
static bool send_rcpts(struct frame *f, const char *const *users, const struct priv_rcpt *r,
		       size_t n)
{
	for (size_t i = 0; i < n; i++) {
		frame_begin(f, PS_RCPT);
		frame_put_str(f, users ? users[i] : r[i].user);
		frame_put_bytes(f, r ? r[i].head : "", r ? r[i].headlen : 0);
		frame_put_u32(f, r ? r[i].notify : 0);
		frame_put_str(f, r && r[i].orcpt ? r[i].orcpt : "");
		if (!ask(f, -1, 0, 0))
			return false;
	}
	return true;
}

void priv_begin(int spool, const struct priv_rcpt *rcpt, size_t n,
		unsigned seq)
{
	struct frame f = FRAME_INIT;
	if (send_rcpts(&f, NULL, rcpt, n)) {
		frame_begin(&f, PS_BEGIN);
		frame_put_u32(&f, seq);
		ask(&f, spool, 0, 0);
	}
	frame_free(&f);
}

void priv_more(unsigned long long size)
{
	struct frame f = FRAME_INIT;
	frame_begin(&f, PS_MORE);
	frame_put_u64(&f, size);
	ask(&f, -1, 0, 0);
	frame_free(&f);
}

void priv_discard(void)
{
	struct frame f = FRAME_INIT;
	frame_begin(&f, PS_DISCARD);
	ask(&f, -1, 0, 0);
	frame_free(&f);
}

struct priv_outcome priv_deliver(int spool, off_t size,
				 const struct priv_rcpt *rcpt, size_t n, unsigned seq,
				 const char *id, const char *relay_head, size_t relay_len,
				 bool *missed)
{
	struct frame f = FRAME_INIT;
	struct priv_outcome o = { EIO, 0 };
	if (!rcpt || send_rcpts(&f, NULL, rcpt, n)) {
		frame_begin(&f, PS_DELIVER);
		frame_put_u64(&f, (uint64_t)size);
		frame_put_u32(&f, seq);
		frame_put_str(&f, id);
		frame_put_bytes(&f, relay_head, relay_len);
		if (ask(&f, spool, PS_DELIVER_ANS, PS_DELIVER_ANS_MAX)) {
			uint32_t e = frame_get_u32(&f), r = frame_get_u32(&f);
			size_t len;
			const unsigned char *bits =
				(const unsigned char *)frame_get_bytes(&f, PS_MISSED_MAX, &len);
			/* Bits only beside a success, for as many recipients as were sent. */
			bool ok = !len || (missed && n > 1 && !e && !r && len == (n + 7) / 8);
			for (size_t i = 0; ok && len && i < n; i++)	/* before done() frees f */
				missed[i] = bits[i / 8] >> (i % 8) & 1;
			if (done(&f) && r <= 2 && ok)
				o = (struct priv_outcome){ (int)e, (int)r };
			else
				broken = true;
		}
	}
	frame_free(&f);
	return o;
}

/* PS_TTY_CHECK or PS_TTY_WRITE, then one PS_TTY_ANS per user. */
static void tty_request(uint16_t type, const char *const *users, size_t n, const char *text,
			size_t len, struct tty_status *status)
{
	struct frame f = FRAME_INIT;
	for (size_t i = 0; i < n; i++)
		status[i] = (struct tty_status){ TTY_ERROR, "" };
	if (!send_rcpts(&f, users, NULL, n))
		return frame_free(&f);
	frame_begin(&f, type);
	if (type == PS_TTY_WRITE)
		frame_put_bytes(&f, text, len);
	if (!ask(&f, -1, 0, 0))
		return frame_free(&f);
	for (size_t i = 0; i < n && !broken; i++) {
		if (frame_recv(link_fd, &f, 8 + TTY_LINE_MAX, NULL) == -1 || f.type != PS_TTY_ANS) {
			broken = true;
			break;
		}
		uint32_t r = frame_get_u32(&f);
		frame_get_str(&f, status[i].line, TTY_LINE_MAX);
		if (!frame_done(&f) || r > TTY_ERROR)
			broken = true;
		else
			status[i].result = (enum tty_result)r;
	}
	frame_free(&f);
}

void priv_tty_check(const char *const *users, size_t n,
		    struct tty_status *status)
{
	tty_request(PS_TTY_CHECK, users, n, NULL, 0, status);
}

void priv_tty_write(const char *const *users, size_t n,
		    const char *text, size_t len, struct tty_status *status)
{
	tty_request(PS_TTY_WRITE, users, n, text, len, status);
}

int priv_tls_keys(unsigned n, unsigned char id[][PS_KEY_ID_MAX], size_t *idlen,
		  unsigned char ticket[TLS_TICKET_KEY_LEN], bool *has_ticket)
{
	struct frame f = FRAME_INIT;
	frame_begin(&f, PS_TLS_KEYS);
	if (!ask(&f, -1, PS_TLS_KEYS_ANS, 8 + TLS_PAIRS_MAX * (4 + PS_KEY_ID_MAX) +
		 TLS_TICKET_KEY_LEN))
		return frame_free(&f), -1;
	bool ok = frame_get_u32(&f) == n;
	for (unsigned i = 0; ok && i < n; i++) {
		const char *p = frame_get_bytes(&f, PS_KEY_ID_MAX, &idlen[i]);
		if (p)
			memcpy(id[i], p, idlen[i]);
	}
	size_t tl = 0;
	const char *t = ok ? frame_get_bytes(&f, TLS_TICKET_KEY_LEN, &tl) : NULL;
	*has_ticket = t && tl == TLS_TICKET_KEY_LEN;
	if (*has_ticket)
		memcpy(ticket, t, TLS_TICKET_KEY_LEN);
	bool whole = done(&f);	/* frees f */
	if (!ok || !whole || (tl && !*has_ticket))
		return broken = true, -1;
	return 0;
}

int priv_sign(unsigned pair, unsigned algo, const void *data, size_t len, struct buf *sig)
{
	struct frame f = FRAME_INIT;
	frame_begin(&f, PS_SIGN);
	frame_put_u32(&f, pair);
	frame_put_u32(&f, algo);
	frame_put_bytes(&f, data, len);
	if (!ask(&f, -1, PS_SIGN_ANS, 8 + PS_SIGNATURE_MAX))
		return frame_free(&f), -1;
	uint32_t r = frame_get_u32(&f);
	size_t n = 0;
	const char *p = frame_get_bytes(&f, PS_SIGNATURE_MAX, &n);
	if (p && r == 0)
		buf_add(sig, p, n);
	if (!done(&f) || r > 1)
		return broken = true, -1;
	return r == 0 ? 0 : -1;
}
