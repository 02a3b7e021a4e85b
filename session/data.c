/* data.c: DATA (RFC 5321 4.1.1.4) and BDAT (RFC 3030): the message read into the
 * spool (spool.c), then handed to deliver.c for its one reply.  Session side.
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
#include "milter.h"
#include "priv.h"
#include "render.h"
#include "session.h"
#include "util.h"

static void spool_flush(struct session *s, struct data *d)
{
	if (d->from < d->to && !d->werr) {
		if (write_all(s->spool, s->c.ibuf + d->from, d->to - d->from) == -1)
			d->werr = errno;	/* the message is refused (deliver.c) */
		else
			d->spooled += d->to - d->from;
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

/* The message is all there (the final dot, or the LAST chunk): sealed, then the one
 * reply, and the transaction is over. */
static int end_message(struct session *s, struct data *d)
{
#ifdef SMTP_TEST_HOOKS
	/* Test builds only (privsep.bats): a system call the sandbox forbids. */
	if (getenv("SMTP_TEST_SYSCALL"))
		syscall(SYS_execve, "/bin/true", (char *[]){ "true", NULL }, (char *[]){ NULL });
#endif
	if (!d->werr && spool_seal(s) == -1)
		d->werr = errno;
	char id[64];
	message_stamp(s);
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
	struct milter_verdict mv;
	if (milter_data(s, &mv))
		return milter_say(s, &mv, NULL);
	if (spool_open(s) == -1) {
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
	if (write_all(s->spool, "\n", 1) == -1)
		d->werr = errno;
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
	struct milter_verdict mv;
	if (!well)
		refused = 501;
	else if (s->state != ST_RCPT || s->bdat == BDAT_FAILED)
		refused = 503;
	else if (n > s->cfg->max_size - s->chunks.size)	/* size <= max_size while OPEN */
		refused = 552;
	else if (s->bdat == BDAT_NONE && milter_data(s, &mv))
		refused = 1;	/* the milters refused the message at its start */
	else if (s->bdat == BDAT_NONE && spool_open(s) == -1) {
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
		int code = refused == 1 ? milter_say(s, &mv, NULL) : chunk_refused(s, refused);
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
