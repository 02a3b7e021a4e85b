/* ttytext.c: what may reach a terminal (ttytext.h).  Both sides. */
#include "ttytext.h"

#include <string.h>

#include "config.h"
#include "utf8.h"

bool ttytext_ascii_ok(unsigned char c)
{
	return c == '\t' || (c >= 0x20 && c < 0x7f);
}

bool ttytext_char_ok(unsigned cp)
{
	return cp >= 0x80 && utf8_printable(cp);
}

/* Does the row p (n bytes, its CRLF cut off) hold only what may be shown? */
static bool row_clean(const unsigned char *p, size_t n)
{
	for (size_t i = 0, k; i < n; i += k) {
		unsigned cp;
		k = 1;
		if (p[i] < 0x80 ? !ttytext_ascii_ok(p[i])
				: !(k = utf8_next(p + i, n - i, &cp)) || !ttytext_char_ok(cp))
			return false;
	}
	return true;
}

static bool starts(const char *p, size_t n, const char *with)
{
	size_t k = strlen(with);
	return n >= k && memcmp(p, with, k) == 0;
}

/* The cut line exactly: "[message cut: N more bytes not shown]", N decimal. */
static bool cut_row(const char *p, size_t n)
{
	static const char head[] = "[message cut: ", tail[] = " more bytes not shown]";
	size_t h = sizeof head - 1, t = sizeof tail - 1;
	if (n <= h + t || !starts(p, n, head) || memcmp(p + n - t, tail, t) != 0)
		return false;
	size_t digits = n - h - t;
	return digits <= 20 && strspn(p + h, "0123456789") == digits;
}

/* The parts of the text, in the order they must come. */
enum part { P_START, P_BANNER, P_BODY, P_CUT, P_END };

/* The part a row (n bytes, CRLF cut off) after a row of part `was` belongs to, or -1
 * when no row may come there. */
static int next_part(enum part was, const char *p, size_t n)
{
	if (was == P_START)
		return starts(p, n, "Message from ") ? P_BANNER : -1;
	if (was == P_END)
		return -1;	/* nothing after EOF */
	if (was == P_BANNER && starts(p, n, TTY_BANNER_INDENT))
		return P_BANNER;
	if (was <= P_BODY && ((n == 1 && p[0] == '|') || starts(p, n, TTY_PREFIX)))
		return P_BODY;
	if (was <= P_BODY && cut_row(p, n))
		return P_CUT;
	return n == 3 && memcmp(p, "EOF", 3) == 0 ? P_END : -1;
}

const char *ttytext_check(const char *text, size_t n)
{
	/* The first row is the empty one: the text starts with CRLF. */
	if (n < 2 || text[0] != '\r' || text[1] != '\n')
		return "terminal text does not start with a fresh line";
	enum part part = P_START;
	for (size_t at = 2; at < n;) {
		const char *lf = memchr(text + at, '\n', n - at);
		if (!lf || lf == text + at || lf[-1] != '\r')
			return "terminal text with a line end that is not CRLF";
		size_t len = (size_t)(lf - (text + at)) - 1;
		if (!row_clean((const unsigned char *)text + at, len))
			return "terminal text with a control character or bad UTF-8";
		int next = next_part(part, text + at, len);
		if (next == -1)
			return "terminal text not laid out as the renderer lays it out";
		part = (enum part)next;
		at += len + 2;
	}
	return part == P_END ? NULL : "terminal text without its end";
}
