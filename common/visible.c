/* visible.c: a string as a trace header field shows it (visible.h).  Common: the
 * session writes the trace fields of a message (session/trace.c), the parent the
 * Delivered-To of a forwarded copy (parent/parent.c) and a report's addresses
 * (parent/report.c). */
#include "visible.h"

#include <string.h>

#include "buf.h"
#include "utf8.h"

/* An address as a trace field shows it: every invisible or bidirectional character
 * (utf8_invisible(): U+202E, U+200B, U+FEFF...) and any byte that is no well-formed
 * UTF-8 as \ooo per byte, the way a terminal is shown them (render.c), so a reader of
 * the header sees the address in the order it was given and sees that something is
 * hidden in it.  (The log shows every byte beyond ASCII as '?', log.c.)  Used by
 * session/trace.c and, for the header fields the parent writes, parent/parent.c and
 * parent/report.c. */
void put_visible(struct buf *b, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t n = strlen(s);
	for (size_t i = 0, k; i < n; i += k) {
		unsigned cp = 0;
		k = utf8_next(p + i, n - i, &cp);
		if (k && !utf8_invisible(cp)) {
			buf_add(b, p + i, k);
			continue;
		}
		k = k ? k : 1;
		for (size_t j = 0; j < k; j++)
			buf_printf(b, "\\%03o", p[i + j]);
	}
}
