/* dsn.c: the DSN parameters of RFC 3461 and RFC 6533 (dsn.h).  Both sides. */
#include "dsn.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "config.h"
#include "utf8.h"

static const char *const notify_words[] = { "SUCCESS", "FAILURE", "DELAY", "NEVER" };

bool dsn_notify_parse(const char *v, unsigned *notify)
{
	unsigned set = 0;
	while (*v) {
		size_t len = strcspn(v, ",");
		unsigned bit = 0;
		for (unsigned i = 0; i < 4 && !bit; i++)
			if (strlen(notify_words[i]) == len && strncasecmp(v, notify_words[i], len) == 0)
				bit = 1u << i;
		if (!bit || (set & bit))
			return false;
		set |= bit;
		v += len;
		if (*v == ',' && !*++v)
			return false;	/* a trailing comma */
	}
	*notify = set;
	return dsn_notify_ok(set) && set != 0;
}

bool dsn_notify_ok(unsigned notify)
{
	return notify <= DSN_NOTIFY_ALL && (!(notify & DSN_NEVER) || notify == DSN_NEVER);
}

void dsn_notify_text(unsigned notify, char *out, size_t n)
{
	size_t len = 0;
	out[0] = '\0';
	for (unsigned i = 0; i < 4; i++)
		if (notify & (1u << i) && len < n)
			len += (size_t)snprintf(out + len, n - len, "%s%s", len ? "," : "",
						notify_words[i]);
}

static int hex(unsigned char c)
{
	return c >= '0' && c <= '9' ? c - '0' : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
}

/* "\x{HEX}" at p (RFC 6533 3: 1 to 6 upper-case hex digits, a code point that is no
 * ASCII control... and, as RFC 6533 says, not one that could be written as itself in
 * ASCII): its code point into *cp, the length consumed, or 0. */
static size_t unicode_escape(const char *p, unsigned *cp)
{
	if (strncmp(p, "\\x{", 3) != 0)
		return 0;
	size_t i = 3;
	unsigned v = 0;
	while (i < 9 && hex((unsigned char)p[i]) >= 0)
		v = v * 16 + (unsigned)hex((unsigned char)p[i++]);
	if (i == 3 || p[i] != '}' || v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF))
		return 0;
	*cp = v;
	return i + 1;
}

/* cp as UTF-8 at out + *len, within n (one byte kept for the NUL). */
static bool put_cp(unsigned cp, char *out, size_t *len, size_t n)
{
	unsigned char b[4];
	size_t k = cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4;
	if (k == 1)
		b[0] = (unsigned char)cp;
	else {
		for (size_t i = k - 1; i > 0; i--, cp >>= 6)
			b[i] = (unsigned char)(0x80 | (cp & 0x3f));
		b[0] = (unsigned char)((0xF0u << (4 - k)) | cp);
	}
	if (*len + k >= n)
		return false;
	memcpy(out + *len, b, k);
	*len += k;
	return true;
}

bool dsn_xtext_decode(const char *in, bool utf8, char *out, size_t n)
{
	size_t len = 0;
	const unsigned char *p = (const unsigned char *)in;
	while (*p) {
		unsigned cp;
		size_t k;
		if (*p == '+') {
			int hi = hex(p[1]), lo = hi < 0 ? -1 : hex(p[2]);
			if (lo < 0)
				return false;
			cp = (unsigned)(hi * 16 + lo);
			k = 3;
			if (cp < 0x20 || cp > 0x7e)
				return false;	/* the decoded text is printable (dsn.h) */
		} else if (utf8 && *p == '\\') {
			/* RFC 6533 3: a backslash only starts an EmbeddedUnicodeChar, of a
			 * character beyond ASCII or one of space, '+', '=' and '\\' */
			k = unicode_escape((const char *)p, &cp);
			if (!k || (cp < 0x80 ? !strchr(" +=\\", (int)cp) || !cp : !utf8_printable(cp)))
				return false;
		} else if (*p > 32 && *p < 127 && *p != '=') {
			cp = *p;
			k = 1;
		} else if (utf8 && *p >= 0x80 && (k = utf8_next(p, strlen((const char *)p), &cp)) > 1 &&
			   utf8_printable(cp)) {
			/* as it is */
		} else {
			return false;
		}
		if (!put_cp(cp, out, &len, n))
			return false;
		p += k;
	}
	out[len] = '\0';
	return true;
}

/* Printable: ASCII 0x20-0x7e, and with utf8 UTF-8 characters utf8_printable() allows. */
static bool printable(const char *s, bool utf8)
{
	const unsigned char *p = (const unsigned char *)s;
	while (*p) {
		unsigned cp;
		size_t k = utf8_next(p, strlen((const char *)p), &cp);
		if (!k || (cp < 0x80 ? cp < 0x20 || cp > 0x7e : !utf8 || !utf8_printable(cp)))
			return false;
		p += k;
	}
	return true;
}

bool dsn_envid_ok(const char *envid)
{
	return strlen(envid) <= DSN_ENVID_MAX && printable(envid, false);
}

/* The length of the addr-type atom at the start of v (RFC 3461 4.2: an atom; the
 * registered ones are rfc822 and, RFC 6533, utf-8), or 0. */
static size_t addr_type(const char *v)
{
	size_t n = 0;
	while (isalnum((unsigned char)v[n]) || v[n] == '-')
		n++;
	return n;
}

bool dsn_orcpt_ok(const char *orcpt)
{
	size_t t = addr_type(orcpt);
	if (!t || orcpt[t] != ';' || !orcpt[t + 1] || strlen(orcpt) > DSN_ORCPT_MAX)
		return false;
	return printable(orcpt + t + 1, t == 5 && strncasecmp(orcpt, "utf-8", 5) == 0);
}

bool dsn_orcpt_parse(const char *v, bool smtputf8, char *out, size_t n)
{
	size_t t = addr_type(v);
	if (!t || v[t] != ';' || !v[t + 1] || t + 1 >= n)
		return false;
	bool utf8 = t == 5 && strncasecmp(v, "utf-8", 5) == 0;
	/* RFC 6533 3: UTF-8 as it is only after SMTPUTF8; the \x{} escapes always. */
	if (utf8 && !smtputf8 && !printable(v + t + 1, false))
		return false;
	memcpy(out, v, t + 1);
	return dsn_xtext_decode(v + t + 1, utf8, out + t + 1, n - t - 1) && out[t + 1];
}
