/* utf8.c: UTF-8 (utf8.h).  Both sides. */
#include "utf8.h"

#include <string.h>

size_t utf8_next(const unsigned char *p, size_t n, unsigned *cp)
{
	if (n == 0)
		return 0;
	unsigned c = p[0];
	if (c < 0x80) {
		*cp = c;
		return 1;
	}
	/* RFC 3629 4: the lead byte fixes the length and the range of the second byte,
	 * which is what rules out overlong forms, surrogates and anything past U+10FFFF. */
	size_t len;
	unsigned lo = 0x80, hi = 0xbf;
	if (c >= 0xc2 && c <= 0xdf) {
		len = 2;
		c &= 0x1f;
	} else if (c >= 0xe0 && c <= 0xef) {
		len = 3;
		c &= 0x0f;
		if (p[0] == 0xe0)
			lo = 0xa0;	/* overlong */
		else if (p[0] == 0xed)
			hi = 0x9f;	/* U+D800-U+DFFF, the surrogates */
	} else if (c >= 0xf0 && c <= 0xf4) {
		len = 4;
		c &= 0x07;
		if (p[0] == 0xf0)
			lo = 0x90;	/* overlong */
		else if (p[0] == 0xf4)
			hi = 0x8f;	/* above U+10FFFF */
	} else {
		return 0;	/* a continuation byte, 0xc0, 0xc1 or 0xf5-0xff */
	}
	if (n < len || p[1] < lo || p[1] > hi)
		return 0;
	for (size_t i = 1; i < len; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 0;
		c = c << 6 | (p[i] & 0x3f);
	}
	*cp = c;
	return len;
}

/* Unicode 15's format characters (category Cf), and the separators U+2028/U+2029:
 * invisible, or they change how the text around them is shown. */
static const struct { unsigned lo, hi; } hidden[] = {
	{ 0x00ad, 0x00ad }, { 0x0600, 0x0605 }, { 0x061c, 0x061c }, { 0x06dd, 0x06dd },
	{ 0x070f, 0x070f }, { 0x0890, 0x0891 }, { 0x08e2, 0x08e2 }, { 0x180e, 0x180e },
	{ 0x200b, 0x200f }, { 0x2028, 0x202e }, { 0x2060, 0x2064 }, { 0x2066, 0x206f },
	{ 0xfeff, 0xfeff }, { 0xfff9, 0xfffb }, { 0x110bd, 0x110bd }, { 0x110cd, 0x110cd },
	{ 0x13430, 0x1343f }, { 0x1bca0, 0x1bca3 }, { 0x1d173, 0x1d17a },
	{ 0xe0001, 0xe0001 }, { 0xe0020, 0xe007f },
};

bool utf8_invisible(unsigned cp)
{
	for (size_t i = 0; i < sizeof hidden / sizeof hidden[0]; i++)
		if (cp >= hidden[i].lo && cp <= hidden[i].hi)
			return true;
	return false;
}

bool utf8_printable(unsigned cp)
{
	if (cp < 0x20 || (cp >= 0x7f && cp <= 0x9f))
		return false;	/* C0, DEL, C1 */
	if ((cp >= 0xfdd0 && cp <= 0xfdef) || (cp & 0xfffe) == 0xfffe)
		return false;	/* noncharacters */
	return !utf8_invisible(cp);
}

/* Unicode's space characters beyond ASCII (category Zs), which look like a blank. */
static bool unicode_space(unsigned cp)
{
	return cp == 0xa0 || cp == 0x1680 || (cp >= 0x2000 && cp <= 0x200a) || cp == 0x202f ||
	       cp == 0x205f || cp == 0x3000;
}

bool utf8_user_name_ok(const char *name)
{
	const unsigned char *p = (const unsigned char *)name;
	size_t n = strlen(name);
	if (!n)
		return false;
	for (size_t i = 0, k; i < n; i += k) {
		unsigned cp;
		if (!(k = utf8_next(p + i, n - i, &cp)))
			return false;
		if (cp < 0x80 ? cp <= 0x20 || cp == 0x7f || strchr("\"'`\\", (int)cp)
			      : !utf8_printable(cp) || unicode_space(cp))
			return false;
	}
	return true;
}
