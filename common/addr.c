/* addr.c: the address grammar and small syntax checks (addr.h).  Both sides. */
#include "addr.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "utf8.h"

/* RFC 5322 3.2.3 atext. */
static bool is_atext(int c)
{
	return isalnum(c) || (c && strchr("!#$%&'*+-/=?^_`{|}~", c));
}

/* With utf8, the length of the UTF-8 character beyond ASCII at p that RFC 6531 3.3
 * allows in an address (RFC 6532 3.1 UTF8-non-ascii, and no C1 control); else 0. */
static size_t u8len(const char *p, bool utf8)
{
	unsigned cp;
	size_t n = utf8 && (*p & 0x80) ? utf8_next((const unsigned char *)p, strnlen(p, 4), &cp) : 0;
	return n && cp >= 0xa0 ? n : 0;
}

/* RFC 5321 4.1.2 Domain: sub-domains of letters, digits and inner hyphens; with utf8
 * (RFC 6531 3.3, sub-domain =/ U-label) well-formed UTF-8 characters too.  Whether a
 * label is a valid U-label (IDNA2008) matters only for our own domains, which are
 * checked once at start-up (idna.c); any other domain is refused or only stored. */
static const char *scan_domain(const char *p, bool utf8)
{
	const char *start = p;
	do {
		if (!isalnum((unsigned char)*p) && !u8len(p, utf8))
			return NULL;
		for (size_t k;;) {
			if (isalnum((unsigned char)*p) || *p == '-')
				p++;
			else if ((k = u8len(p, utf8)))
				p += k;
			else
				break;
		}
		if (p[-1] == '-')
			return NULL;
	} while (*p == '.' && *++p);
	return p - start <= DOMAIN_MAX ? p : NULL;
}

/* RFC 5321 4.1.3 address literal: [1.2.3.4], [IPv6:...] or [tag:content]. */
static const char *scan_literal(const char *p)
{
	const char *end = strchr(p, ']');
	if (*p != '[' || !end || end - p > DOMAIN_MAX)
		return NULL;
	char lit[DOMAIN_MAX + 1], bin[16];
	snprintf(lit, sizeof lit, "%.*s", (int)(end - p - 1), p + 1);
	if (inet_pton(AF_INET, lit, bin) == 1)
		return end + 1;
	if (strncasecmp(lit, "IPv6:", 5) == 0)
		return inet_pton(AF_INET6, lit + 5, bin) == 1 ? end + 1 : NULL;
	const char *c = scan_domain(lit, false);	/* General-address-literal */
	if (!c || *c != ':' || !c[1])
		return NULL;
	for (c++; *c; c++)
		if (*c < 33 || *c > 126 || *c == '[' || *c == '\\' || *c == ']')
			return NULL;
	return end + 1;
}

/* RFC 5321 4.1.2 Local-part: Dot-string or Quoted-string, decoded into out; with
 * utf8, RFC 6531 3.3: atext =/ UTF8-non-ascii, qtextSMTP =/ UTF8-non-ascii. */
static const char *scan_local(const char *p, char *out, bool utf8)
{
	size_t n = 0, k;
	if (*p == '"') {
		for (p++; *p != '"'; p += k) {
			if (*p == '\\')
				p++;
			k = (*p & 0x80) ? u8len(p, utf8) : *p >= 32 && *p <= 126;
			if (!k || n + k > LOCAL_PART_MAX)
				return NULL;
			memcpy(out + n, p, k);
			n += k;
		}
		out[n] = '\0';
		return n ? p + 1 : NULL;
	}
	for (;;) {
		if (is_atext((unsigned char)*p) || (*p == '.' && n && p[-1] != '.' &&
						    (is_atext((unsigned char)p[1]) || u8len(p + 1, utf8))))
			k = 1;
		else if (!(k = u8len(p, utf8)))
			break;
		if (n + k > LOCAL_PART_MAX)
			return NULL;
		memcpy(out + n, p, k);
		n += k;
		p += k;
	}
	out[n] = '\0';
	return n ? p : NULL;
}

/* The '>' that ends the path whose "<" is just before p, for the look at its bytes
 * beyond ASCII below: the first one after the local part's quoted string, if the
 * local part is one (RFC 5321 4.1.2 Quoted-string may hold '>', with UTF-8 after it);
 * a source route holds no '"' or '>'.  NULL when there is none. */
static const char *path_end(const char *p)
{
	if (*p == '@') {
		p += strcspn(p, ":>");
		if (*p == ':')
			p++;
	}
	if (*p == '"')
		for (p++; *p && *p != '"'; p++)
			if (*p == '\\' && p[1])
				p++;
	return strchr(p, '>');
}

enum perr addr_parse_path(const char **pp, struct addr *a, bool utf8)
{
	const char *p = *pp, *close = *p == '<' ? path_end(p + 1) : NULL;
	memset(a, 0, sizeof *a);
	if (*p++ != '<' || !close)
		return P_SYNTAX;
	for (const char *c = p; c < close; c++) {
		if (!(*c & 0x80))
			continue;
		if (!utf8)
			return P_8BIT;	/* RFC 6531 3.5: not without the SMTPUTF8 parameter */
		size_t k = u8len(c, true);
		if (!k)
			return P_UTF8;
		a->utf8 = true;
		c += k - 1;
	}
	bool route = *p == '@';
	if (route) {	/* source route: accepted and ignored (RFC 5321 4.1.2, C) */
		do
			p = scan_domain(p + 1, utf8);
		while (p && *p == ',' && *++p == '@');
		if (!p || *p++ != ':')
			return P_SYNTAX;
	}
	const char *mailbox = p;
	if (*p != '>' || route) {
		if (!(p = scan_local(p, a->local, utf8)))
			return P_SYNTAX;
		if (*p == '@') {
			const char *d = p + 1;
			if (!(p = *d == '[' ? scan_literal(d) : scan_domain(d, utf8)))
				return P_SYNTAX;
			snprintf(a->domain, sizeof a->domain, "%.*s", (int)(p - d), d);
		}
	}
	if (*p != '>')
		return P_SYNTAX;
	if (p + 1 - *pp > PATH_LEN_MAX)
		return P_LONG;
	if (!addr_domain_key(a->domain, a->key, sizeof a->key))
		return P_LONG;
	snprintf(a->text, sizeof a->text, "%.*s", (int)(p - mailbox), mailbox);
	*pp = p + 1;
	return P_OK;
}

const char *addr_after_keyword(const char *arg, const char *kw)
{
	size_t n = strlen(kw);
	if (strncasecmp(arg, kw, n) != 0)
		return NULL;
	arg += n;
	while (*arg == ' ')
		arg++;
	return arg;
}

bool addr_domain_key(const char *domain, char *out, size_t n)
{
	size_t i;
	for (i = 0; domain[i] && i + 1 < n; i++)
		out[i] = (char)tolower((unsigned char)domain[i]);
	out[i] = '\0';
	return domain[i] == '\0';
}

bool addr_has_word(const char *arg, const char *w)
{
	size_t n = strlen(w);
	for (const char *p = arg; (p = strcasestr(p, w)); p += n)
		if ((p == arg || p[-1] == ' ') && (p[n] == ' ' || p[n] == '\0'))
			return true;
	return false;
}

bool addr_local_domain(const char *domains, const char *domain)
{
	char key[DOMAIN_MAX + 3];
	size_t n = 0;
	key[n++] = ',';
	for (const char *d = domain; *d && n < DOMAIN_MAX + 1; d++)
		key[n++] = (char)tolower((unsigned char)*d);
	key[n++] = ',';
	key[n] = '\0';
	return strstr(domains, key) != NULL;
}

bool addr_helo_ok(const char *arg)
{
	size_t n = strlen(arg);
	if (n == 0 || n > DOMAIN_MAX)
		return false;
	for (const char *p = arg; *p; p++)
		if (*p <= ' ' || *p > '~')
			return false;
	return true;
}

bool addr_number(const char *s, unsigned long long min, unsigned long long max,
		 unsigned long long *out)
{
	char *end;
	errno = 0;
	unsigned long long v = strtoull(s, &end, 10);
	if (!isdigit((unsigned char)*s) || *end || errno || v < min || v > max)
		return false;
	*out = v;
	return true;
}

bool addr_xtext_ok(const char *v)
{
	if (strcmp(v, "<>") == 0)
		return true;
	for (; *v; v++) {
		if (*v == '+' && isxdigit((unsigned char)v[1]) && isxdigit((unsigned char)v[2]) &&
		    !islower((unsigned char)v[1]) && !islower((unsigned char)v[2]))
			v += 2;
		else if (*v < 33 || *v > 126 || *v == '+' || *v == '=')
			return false;
	}
	return true;
}
