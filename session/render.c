/* render.c: the text a terminal is shown for SEND, SOML and SAML (RFC 821 3.4), the
 * way write(1) shows a message.  Session side: the privileged side never reads
 * message text, it only writes what this made safe (tty.c).
 *
 * Every row of the sender's text starts with "| " and is at most TTY_WRAP_COLUMNS
 * columns long, so a forged "Message from ..." or "EOF" never starts a row.
 *
 * Only printable ASCII, TAB and line ends (as CRLF) pass; every other byte (ESC and the
 * rest of C0, DEL, C1 and everything above 0x7f) is shown as ^X or \\ooo, so no escape
 * sequence, bell or cursor movement reaches the terminal.  After SMTPUTF8 (RFC 6531)
 * printable UTF-8 characters pass as well; the escaped ones are shown byte by byte as
 * before, so U+202E (right-to-left override, "Trojan Source") is \\342\\200\\256.
 */
#include "render.h"

#include <errno.h>
#include <stdbool.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "config.h"
#include "ttytext.h"
#include "utf8.h"

/* ---------------------------------------------------------------- rendering */

/* How many bytes c takes on the terminal.  What passes as it is is ttytext.h's rule,
 * the one the parent checks again. */
static size_t shown_len(unsigned char c)
{
	if (ttytext_ascii_ok(c))
		return 1;
	return c < 0x80 ? 2 : 4;
}

/* One byte as the terminal may see it: printable ASCII and TAB as they are, the other
 * C0 controls and DEL as ^X (ESC is ^[, DEL ^?), every byte from 0x80 up as \ooo: that
 * covers the C1 controls (0x9b is CSI to many terminals) and, like write(1) in the C
 * locale, UTF-8 too, whose U+0080..U+009F a terminal may obey as C1. */
static void show(struct buf *b, unsigned char c)
{
	if (shown_len(c) == 1) {
		buf_addc(b, (char)c);
	} else if (c < 0x80) {
		buf_addc(b, '^');
		buf_addc(b, (char)(c ^ 0x40));
	} else {
		buf_printf(b, "\\%03o", c);
	}
}

/* The next thing to show at p (n bytes there, n > 0): how many bytes it takes, and in
 * *raw whether they go to the terminal as they are, a printable UTF-8 character
 * beyond ASCII (only with utf8); else it is one byte, for show(). */
static size_t next_unit(const unsigned char *p, size_t n, bool utf8, bool *raw)
{
	unsigned cp;
	size_t k = utf8 && p[0] >= 0x80 ? utf8_next(p, n, &cp) : 0;
	*raw = k > 1 && ttytext_char_ok(cp);
	return *raw ? k : 1;
}

/* The bytes that unit takes on the terminal. */
static size_t unit_len(const unsigned char *p, size_t k, bool raw)
{
	return raw ? k : shown_len(p[0]);
}

static void show_unit(struct buf *b, const unsigned char *p, size_t k, bool raw)
{
	if (raw)
		buf_add(b, p, k);
	else
		show(b, p[0]);
}

static void show_str(struct buf *b, const char *s, bool utf8)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t n = strlen(s);
	for (size_t i = 0, k; i < n; i += k) {
		bool raw;
		k = next_unit(p + i, n - i, utf8, &raw);
		show_unit(b, p + i, k, raw);
	}
}

/* An ASCII byte that may stand in a dot-atom (RFC 5321 4.1.2 atext, and the dot). */
static bool atext(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       (c && strchr("!#$%&'*+-/=?^_`{|}~.", c));
}

/* The sender for the banner.  A quoted local part (RFC 5321 4.1.2 Quoted-string) may
 * hold blanks, '@' and parentheses, and so read as other text around it:
 * "root@mx.test (via console)"@y.z would make the banner say "Message from
 * root@mx.test (via console)...".  Inside the quotes every ASCII byte that is no
 * atext is shown as \ooo, like the other escapes, so the whole address stays one
 * word that no line of the system's own can look like. */
static void show_sender(struct buf *b, const char *s, bool utf8)
{
	const unsigned char *p = (const unsigned char *)s;
	const char *at = strrchr(s, '@');
	size_t n = strlen(s), end = s[0] == '"' && at && at - s >= 2 && at[-1] == '"'
					    ? (size_t)(at - s) - 1 : 0;
	if (!end) {
		show_str(b, s, utf8);
		return;
	}
	buf_addc(b, '"');
	for (size_t i = 1, k; i < end; i += k) {
		bool raw;
		k = next_unit(p + i, n - i, utf8, &raw);
		if (!raw && !atext(p[i]))
			buf_printf(b, "\\%03o", p[i]);
		else
			show_unit(b, p + i, k, raw);
	}
	show_str(b, s + end, utf8);
}

/* Where the text stands on the terminal: rows finished, bytes written (prefixes and
 * escapes included), columns of text in the current row, and whether a row is open. */
struct pen {
	unsigned lines;
	size_t shown;
	unsigned col;
	bool midline;
};

/* The most columns a unit may take: a character beyond ASCII may be wide, a TAB goes
 * to the next tab stop.  Counting too many only breaks a row early. */
static unsigned unit_cols(const unsigned char *p, size_t k, bool raw)
{
	if (raw)
		return 2;
	return p[0] == '\t' ? 8 : (unsigned)unit_len(p, k, raw);
}

/* Show the unit at p (k bytes; a line end when *p is LF) if it fits in max_lines rows
 * and max_bytes bytes: the prefix opens each row, a row that would pass
 * TTY_WRAP_COLUMNS is broken first.  false when it does not fit. */
static bool put_unit(struct buf *out, struct pen *pen, const unsigned char *p, size_t k,
		     bool raw, unsigned max_lines, unsigned max_bytes)
{
	const size_t plen = sizeof TTY_PREFIX - 1;
	if (p[0] == '\n') {	/* an empty row shows the prefix without its blank */
		size_t need = (pen->midline ? 0 : 1) + 2;
		if (pen->lines >= max_lines || pen->shown + need > max_bytes)
			return false;
		buf_add(out, pen->midline ? "\r\n" : "|\r\n", need);
		*pen = (struct pen){ pen->lines + 1, pen->shown + need, 0, false };
		return true;
	}
	unsigned cols = unit_cols(p, k, raw);
	bool wrap = pen->midline && pen->col + cols > TTY_WRAP_COLUMNS;
	size_t need = unit_len(p, k, raw) + (wrap ? 2 + plen : pen->midline ? 0 : plen);
	if (pen->lines + wrap >= max_lines || pen->shown + need > max_bytes)
		return false;
	if (wrap) {
		buf_add(out, "\r\n", 2);
		pen->lines++;
		pen->col = 0;
		pen->midline = false;
	}
	if (!pen->midline)
		buf_add(out, TTY_PREFIX, plen);
	show_unit(out, p, k, raw);
	pen->col += cols;
	pen->midline = true;
	pen->shown += need;
	return true;
}

/* The message text, each row prefixed, cut at max_lines rows or max_bytes bytes as
 * shown (CRLF, prefixes and escapes counted).  A line end is CRLF whatever the
 * terminal's settings (write(1) does the same: the terminal may be in raw mode).
 * Returns the number of message bytes not shown, or -1. */
static off_t render_body(struct buf *out, int spool, off_t size, unsigned max_lines,
			 unsigned max_bytes, bool utf8)
{
	char chunk[4096];
	struct pen pen = { 0, 0, 0, false };
	off_t off = 0;
	while (off < size) {
		size_t want = size - off < (off_t)sizeof chunk ? (size_t)(size - off) : sizeof chunk;
		ssize_t r = pread(spool, chunk, want, off);
		if (r == -1 && errno == EINTR)
			continue;
		if (r <= 0)
			return r == 0 ? (errno = EIO, -1) : -1;
		const unsigned char *p = (const unsigned char *)chunk;
		for (size_t i = 0, k; i < (size_t)r; i += k) {
			/* A character cut by the end of the chunk is read again whole. */
			if (utf8 && p[i] >= 0x80 && (size_t)r - i < 4 &&
			    off + (off_t)((size_t)r - i) < size)
				break;
			bool raw;
			k = next_unit(p + i, (size_t)r - i, utf8, &raw);
			if (!put_unit(out, &pen, p + i, k, raw, max_lines, max_bytes))
				goto cut;
			off += (off_t)k;
		}
	}
cut:
	if (pen.midline)
		buf_add(out, "\r\n", 2);
	return size - off;
}

/* Append the banner text in b to out, breaking its rows where a row of message text
 * ends (TTY_WRAP_COLUMNS after the prefix; a byte of UTF-8 that starts a character
 * counted as two columns) and indenting the rest, so that no part of the sender's
 * address or HELO name starts a row. */
static void put_banner(struct buf *out, const struct buf *b)
{
	const unsigned width = TTY_WRAP_COLUMNS + sizeof TTY_PREFIX - 1;
	unsigned col = 0;
	for (size_t i = 0; i < b->len; i++) {
		unsigned char c = (unsigned char)b->p[i];
		unsigned cols = c < 0x80 ? 1 : c >= 0xc0 ? 2 : 0;
		if (cols && col + cols > width) {
			buf_adds(out, "\r\n" TTY_BANNER_INDENT);
			col = sizeof TTY_BANNER_INDENT - 1;
		}
		buf_addc(out, (char)c);
		col += cols;
	}
}

int tty_render(struct buf *out, const struct tty_note *note, int spool, off_t size,
	       unsigned max_lines, unsigned max_bytes)
{
	struct tm tm;
	localtime_r(&note->when, &tm);
	/* write(1): a fresh line first, then "Message from ... at HH:MM ...".  No bell:
	 * a message from the network does not get to ring it. */
	struct buf b = BUF_INIT;
	buf_adds(&b, "Message from ");
	show_sender(&b, note->sender[0] ? note->sender : "<>", note->utf8);
	buf_adds(&b, " on ");
	show_str(&b, note->helo, false);
	buf_adds(&b, " (");
	show_str(&b, note->client, false);
	buf_printf(&b, ") at %02d:%02d ...", tm.tm_hour, tm.tm_min);
	buf_adds(out, "\r\n");
	put_banner(out, &b);
	buf_adds(out, "\r\n");
	buf_free(&b);
	off_t rest = render_body(out, spool, size, max_lines, max_bytes, note->utf8);
	if (rest == -1)
		return -1;
	if (rest > 0)
		buf_printf(out, "[message cut: %lld more bytes not shown]\r\n", (long long)rest);
	buf_adds(out, "EOF\r\n");
	return 0;
}
