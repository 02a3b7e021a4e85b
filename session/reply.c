/* reply.c: the one reply function (session.h): RFC 5321 4.2's code and text, with the
 * enhanced status code of RFC 2034 and RFC 3463 after EHLO, in ASCII, counted for
 * --max-errors and logged when it refuses.  Session side. */
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "buf.h"
#include "io.h"
#include "log.h"
#include "session.h"
#include "utf8.h"

/* The HELO name for a structured log field: none before HELO/EHLO. */
const char *helo_field(const struct session *s)
{
	return s->helo[0] ? s->helo : NULL;
}

/* The HELO name in a log line's text: "-" before HELO/EHLO, never nothing. */
const char *helo_text(const struct session *s)
{
	return s->helo[0] ? s->helo : "-";
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
	if (code == 421) {	/* ends the session: once at most */
		s->rejects++;
		log_fields(LOG_NOTICE,
			   LOG_FIELDS({ LF_CLIENT, s->client }, { LF_HELO, helo_field(s) }),
			   "reject: %s from %s: %d %s", s->verb ? s->verb : "-",
			   s->client, code, s->scratch.p);
	} else if (code >= 400) {	/* a client may send thousands: LOG_REFUSALS_MAX */
		s->rejects++;
		log_bulk_fields(LOG_NOTICE,
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
