/* render.c: the text a terminal is shown for SEND, SOML and SAML (RFC 821 3.4), the
 * way write(1) shows a message.  Session side: the privileged side never reads
 * message text, it only writes what this made safe (tty.c).
 *
 * Only printable ASCII, TAB and line ends (as CRLF) pass; every other byte (ESC and the
 * rest of C0, DEL, C1 and everything above 0x7f) is shown as ^X or \\ooo, so no escape
 * sequence, bell or cursor movement reaches the terminal.
 */
#include "render.h"

#include <errno.h>
#include <stdbool.h>
#include <time.h>
#include <unistd.h>

/* ---------------------------------------------------------------- rendering */

/* How many bytes c takes on the terminal. */
static size_t shown_len(unsigned char c)
{
	if (c == '\t' || (c >= 0x20 && c < 0x7f))
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

static void show_str(struct buf *b, const char *s)
{
	for (; *s; s++)
		show(b, (unsigned char)*s);
}

/* The message text, cut at max_lines lines or max_bytes bytes as shown (CRLF and
 * escapes counted).  A line end is CRLF whatever the terminal's settings (write(1)
 * does the same: the terminal may be in raw mode).  Returns the number of message
 * bytes not shown, or -1. */
static off_t render_body(struct buf *out, int spool, off_t size, unsigned max_lines,
			 unsigned max_bytes)
{
	char chunk[4096];
	unsigned lines = 0;
	size_t shown = 0;
	bool midline = false;
	off_t off = 0;
	while (off < size) {
		size_t want = size - off < (off_t)sizeof chunk ? (size_t)(size - off) : sizeof chunk;
		ssize_t r = pread(spool, chunk, want, off);
		if (r == -1 && errno == EINTR)
			continue;
		if (r <= 0)
			return r == 0 ? (errno = EIO, -1) : -1;
		for (ssize_t i = 0; i < r; i++) {
			unsigned char c = (unsigned char)chunk[i];
			size_t need = c == '\n' ? 2 : shown_len(c);
			if (lines >= max_lines || shown + need > max_bytes)
				goto cut;
			if (c == '\n') {
				buf_add(out, "\r\n", 2);
				lines++;
			} else {
				show(out, c);
			}
			midline = c != '\n';
			shown += need;
			off++;
		}
	}
cut:
	if (midline)
		buf_add(out, "\r\n", 2);
	return size - off;
}

int tty_render(struct buf *out, const struct tty_note *note, int spool, off_t size,
	       unsigned max_lines, unsigned max_bytes)
{
	struct tm tm;
	localtime_r(&note->when, &tm);
	/* write(1): a fresh line first, then "Message from ... at HH:MM ...".  No bell:
	 * a message from the network does not get to ring it. */
	buf_adds(out, "\r\nMessage from ");
	show_str(out, note->sender[0] ? note->sender : "<>");
	buf_adds(out, " on ");
	show_str(out, note->helo);
	buf_adds(out, " (");
	show_str(out, note->client);
	buf_printf(out, ") at %02d:%02d ...\r\n", tm.tm_hour, tm.tm_min);
	off_t rest = render_body(out, spool, size, max_lines, max_bytes);
	if (rest == -1)
		return -1;
	if (rest > 0)
		buf_printf(out, "[message cut: %lld more bytes not shown]\r\n", (long long)rest);
	buf_adds(out, "EOF\r\n");
	return 0;
}
