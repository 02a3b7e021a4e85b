/* trace.c: what a message is stamped with (RFC 5321 4.4): its id and date, the
 * Return-Path, Delivered-To (RFC 9228) and Received fields, with the protocol names of
 * RFC 3848 and RFC 6531 and the TLS summary.  Session side. */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "session.h"
#include "tls.h"
#include "utf8.h"
#include "visible.h"

/* The log's and the Received line's account of the TLS in use:
 * "TLSv1.3 with cipher TLS_AES_256_GCM_SHA384 (256/256 bits)", as Postfix writes it. */
void tls_summary(struct session *s, struct buf *b)
{
	unsigned bits = tls_bits(s->c.tls);
	buf_printf(b, "%s with cipher %s (%u/%u bits)", tls_version(s->c.tls),
		   tls_cipher(s->c.tls), bits, bits);
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
void received(struct session *s, struct buf *h, const char *rcpt, const char *id,
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
	if (rcpt) {
		buf_adds(h, "\n\tfor <");
		put_visible(h, rcpt);
		buf_adds(h, ">");
	}
	buf_printf(h, "; %s\n", date);
}

/* At final delivery (RFC 5321 4.4) Return-Path, then RFC 9228 Delivered-To and the
 * Received line. */
void trace_headers(struct session *s, struct buf *h, const struct rcpt *r,
		   const char *id, const char *date)
{
	buf_adds(h, "Return-Path: <");
	put_visible(h, s->sender);
	buf_adds(h, ">\nDelivered-To: ");
	put_visible(h, r->addr);
	buf_adds(h, "\n");
	received(s, h, r->addr, id, date);
}

/* The message's id and date (the Received line's), fixed when it starts. */
void message_stamp(struct session *s)
{
	if (s->msgid[0])
		return;
	time_t now = time(NULL);
	struct tm tm;
	message_id(s->msgid, sizeof s->msgid, s->messages + 1);
	strftime(s->date, sizeof s->date, "%a, %d %b %Y %H:%M:%S %z", localtime_r(&now, &tm));
}
