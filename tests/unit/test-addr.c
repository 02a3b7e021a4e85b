/* test-addr.c: addr.c through addr.h: the Path and Mailbox grammar of RFC 5321 4.1.2
 * (dot-strings, quoted strings, address literals of 4.1.3, source routes), its
 * length limits (4.5.3.1.1-4.5.3.1.3: 64, 255 and 256 octets), RFC 6531's
 * internationalised addresses, and the small syntax checks of the dialogue. */
#include <limits.h>

#include "addr.h"
#include "unit.h"

/* addr_parse_path on in; *rest is where it left the pointer. */
static enum perr parse(const char *in, bool utf8, struct addr *a, const char **rest)
{
	const char *p = in;
	enum perr e = addr_parse_path(&p, a, utf8);
	*rest = p;
	return e;
}

static const char *perr_name(enum perr e)
{
	static const char *const name[] = { "P_OK", "P_SYNTAX", "P_8BIT", "P_UTF8", "P_LONG" };
	return (unsigned)e < 5 ? name[e] : "?";
}

static bool check_perr(enum perr got, enum perr want, const char *file, int line,
		       const char *expr)
{
	if (unit_check(got == want, file, line, expr))
		return true;
	printf("#   got %s, want %s\n", perr_name(got), perr_name(want));
	return false;
}

#define CHECK_PERR(got, want) check_perr((got), (want), __FILE__, __LINE__, #got " == " #want)

/* n octets of domain: labels of 63 letters (RFC 1035 2.3.4) joined by dots. */
static char *domain_of(size_t n)
{
	static char d[300];
	for (size_t i = 0; i < n; i++)
		d[i] = i % 64 == 63 ? '.' : (char)('a' + i / 64);
	if (n && d[n - 1] == '.')
		d[n - 1] = 'z';	/* never end on a dot */
	d[n] = '\0';
	return d;
}

static char *repeat(char c, size_t n)
{
	static char s[300];
	memset(s, c, n);
	s[n] = '\0';
	return s;
}

/* Paths that parse: what the fields hold and where parsing stopped. */
static void test_paths_ok(void)
{
	static const struct {
		const char *in;
		bool utf8;
		const char *local, *domain, *key, *text, *rest;
		const char *what;
	} ok[] = {
		{ "<alice@example.org>", false, "alice", "example.org", "example.org",
		  "alice@example.org", "", "a plain mailbox" },
		{ "<alice@example.org> SIZE=100", false, "alice", "example.org", "example.org",
		  "alice@example.org", " SIZE=100", "the parameters are left to the caller" },
		/* RFC 5321 2.4: the local part is case-sensitive, the domain is not (key). */
		{ "<Alice@Example.ORG>", false, "Alice", "Example.ORG", "example.org",
		  "Alice@Example.ORG", "", "case: the local part kept, the key in lowercase" },
		{ "<>", false, "", "", "", "", "", "the null path <> (RFC 5321 4.5.5)" },
		{ "<postmaster>", false, "postmaster", "", "", "postmaster", "",
		  "<postmaster> without a domain (RFC 5321 4.1.1.3; the caller decides)" },
		{ "<john.doe@example.org>", false, "john.doe", "example.org", "example.org",
		  "john.doe@example.org", "", "a dot-string" },
		{ "<a!#$%&'*+-/=?^_`{|}~z@example.org>", false, "a!#$%&'*+-/=?^_`{|}~z",
		  "example.org", "example.org", "a!#$%&'*+-/=?^_`{|}~z@example.org", "",
		  "every atext character (RFC 5322 3.2.3)" },
		{ "<user%relay@example.org>", false, "user%relay", "example.org", "example.org",
		  "user%relay@example.org", "", "'%' is atext: taken as it is, no routing" },
		{ "<relay!user@example.org>", false, "relay!user", "example.org", "example.org",
		  "relay!user@example.org", "", "'!' is atext: taken as it is, no routing" },
		{ "<\"john doe\"@example.org>", false, "john doe", "example.org", "example.org",
		  "\"john doe\"@example.org", "", "a quoted string: quoting removed in local" },
		{ "<\"a\\\"b\"@example.org>", false, "a\"b", "example.org", "example.org",
		  "\"a\\\"b\"@example.org", "", "a quoted-pair \\\" (RFC 5321 4.1.2 quoted-pairSMTP)" },
		{ "<\"a\\\\b\"@example.org>", false, "a\\b", "example.org", "example.org",
		  "\"a\\\\b\"@example.org", "", "a quoted-pair \\\\" },
		{ "<\"a@b\"@example.org>", false, "a@b", "example.org", "example.org",
		  "\"a@b\"@example.org", "", "an '@' inside quotes" },
		{ "<\"a>b\"@example.org>", false, "a>b", "example.org", "example.org",
		  "\"a>b\"@example.org", "", "a '>' inside quotes does not end the path" },
		{ "<\".a..b.\"@example.org>", false, ".a..b.", "example.org", "example.org",
		  "\".a..b.\"@example.org", "", "dots anywhere inside quotes" },
		{ "<a@[192.0.2.1]>", false, "a", "[192.0.2.1]", "[192.0.2.1]", "a@[192.0.2.1]", "",
		  "an IPv4 address literal (RFC 5321 4.1.3)" },
		{ "<a@[IPv6:2001:db8::1]>", false, "a", "[IPv6:2001:db8::1]", "[ipv6:2001:db8::1]",
		  "a@[IPv6:2001:db8::1]", "", "an IPv6 address literal" },
		{ "<a@[ipv6:::ffff:192.0.2.1]>", false, "a", "[ipv6:::ffff:192.0.2.1]",
		  "[ipv6:::ffff:192.0.2.1]", "a@[ipv6:::ffff:192.0.2.1]", "",
		  "the IPv6 tag in any case, an IPv4-mapped address" },
		{ "<a@[x-tag:any>thing]>", false, "a", "[x-tag:any>thing]", "[x-tag:any>thing]",
		  "a@[x-tag:any>thing]", "", "a General-address-literal (dcontent holds '>')" },
		{ "<@relay.example:alice@example.org>", false, "alice", "example.org",
		  "example.org", "alice@example.org", "",
		  "a source route: accepted and dropped (RFC 5321 4.1.2, appendix C)" },
		{ "<@a.example,@b.example:alice@example.org>", false, "alice", "example.org",
		  "example.org", "alice@example.org", "", "a source route of two hops" },
		{ "<a@localhost>", false, "a", "localhost", "localhost", "a@localhost", "",
		  "a domain of one label" },
		{ "<a@3com.example-1.org>", false, "a", "3com.example-1.org", "3com.example-1.org",
		  "a@3com.example-1.org", "", "labels starting with a digit, inner hyphens" },
		{ "<a@xn--bcher-kva.example>", false, "a", "xn--bcher-kva.example",
		  "xn--bcher-kva.example", "a@xn--bcher-kva.example", "", "an A-label" },
		/* RFC 6531 3.3: UTF-8 in atoms, quoted strings and U-labels. */
		{ "<j\xc3\xb6rg@example.org>", true, "j\xc3\xb6rg", "example.org", "example.org",
		  "j\xc3\xb6rg@example.org", "", "SMTPUTF8: a UTF-8 local part" },
		{ "<\"j\xc3\xb6rg x\"@example.org>", true, "j\xc3\xb6rg x", "example.org",
		  "example.org", "\"j\xc3\xb6rg x\"@example.org", "", "SMTPUTF8: UTF-8 in quotes" },
		{ "<a@B\xc3\xbc" "cher.Example>", true, "a", "B\xc3\xbc" "cher.Example",
		  "b\xc3\xbc" "cher.example", "a@B\xc3\xbc" "cher.Example", "",
		  "SMTPUTF8: a U-label; the key lowercases ASCII only (RFC 4343)" },
		{ "<alice@example.org>", true, "alice", "example.org", "example.org",
		  "alice@example.org", "", "SMTPUTF8 with an ASCII address" },
	};
	for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++)
		TEST("addr_parse_path: %s: %s", ok[i].what, ok[i].in) {
			struct addr a;
			const char *rest;
			CHECK_PERR(parse(ok[i].in, ok[i].utf8, &a, &rest), P_OK);
			CHECK_STR(a.local, ok[i].local);
			CHECK_STR(a.domain, ok[i].domain);
			CHECK_STR(a.key, ok[i].key);
			CHECK_STR(a.text, ok[i].text);
			CHECK_STR(rest, ok[i].rest);
			bool high = false;
			for (const char *c = ok[i].in; *c; c++)
				high = high || (*c & 0x80);
			CHECK(a.utf8 == high);
		}
}

/* Paths that do not parse, and why. */
static void test_paths_bad(void)
{
	static const struct {
		const char *in;
		bool utf8;
		enum perr e;
		const char *what;
	} bad[] = {
		{ "", false, P_SYNTAX, "nothing" },
		{ "alice@example.org", false, P_SYNTAX, "no angle brackets" },
		{ "<alice@example.org", false, P_SYNTAX, "no '>'" },
		{ "< alice@example.org>", false, P_SYNTAX, "a space after '<'" },
		{ "<alice@example.org >", false, P_SYNTAX, "a space before '>'" },
		{ "<alice@>", false, P_SYNTAX, "an empty domain" },
		{ "<@example.org>", false, P_SYNTAX, "no local part (a route without ':')" },
		{ "<alice@example.org.>", false, P_SYNTAX, "a trailing dot in the domain" },
		{ "<alice@.example.org>", false, P_SYNTAX, "a leading dot in the domain" },
		{ "<alice@example..org>", false, P_SYNTAX, "an empty label" },
		{ "<alice@-example.org>", false, P_SYNTAX, "a label starting with '-'" },
		{ "<alice@example-.org>", false, P_SYNTAX, "a label ending with '-'" },
		{ "<alice@exa_mple.org>", false, P_SYNTAX, "'_' in a domain (RFC 5321 Let-dig)" },
		{ "<alice@exa mple.org>", false, P_SYNTAX, "a space in a domain" },
		{ "<alice@@example.org>", false, P_SYNTAX, "two '@'" },
		{ "<alice@example.org@example.org>", false, P_SYNTAX, "an '@' after the domain" },
		{ "<.alice@example.org>", false, P_SYNTAX, "a dot-string starting with '.'" },
		{ "<alice.@example.org>", false, P_SYNTAX, "a dot-string ending with '.'" },
		{ "<al..ice@example.org>", false, P_SYNTAX, "two dots in a dot-string" },
		{ "<al ice@example.org>", false, P_SYNTAX, "a space in a dot-string" },
		{ "<a(comment)@example.org>", false, P_SYNTAX, "an RFC 5322 comment" },
		{ "<a\"b\"@example.org>", false, P_SYNTAX, "a quote inside a dot-string" },
		{ "<\"\"@example.org>", false, P_SYNTAX, "an empty quoted string (no mailbox)" },
		{ "<\"open@example.org>", false, P_SYNTAX, "an unterminated quoted string" },
		{ "<\"a\\\"@example.org>", false, P_SYNTAX, "the closing quote escaped" },
		{ "<\"a\tb\"@example.org>", false, P_SYNTAX, "a TAB inside quotes (qtextSMTP)" },
		{ "<\"a\\\x01\"@example.org>", false, P_SYNTAX, "a quoted control character" },
		{ "<a@[192.0.2.256]>", false, P_SYNTAX, "an IPv4 literal out of range" },
		{ "<a@[192.0.2]>", false, P_SYNTAX, "an IPv4 literal of three parts" },
		{ "<a@[IPv6:192.0.2.1]>", false, P_SYNTAX, "an IPv6 literal holding IPv4" },
		{ "<a@[IPv6:2001:db8::g]>", false, P_SYNTAX, "a bad IPv6 literal" },
		{ "<a@[]>", false, P_SYNTAX, "an empty literal" },
		{ "<a@[x:]>", false, P_SYNTAX, "a general literal without content" },
		{ "<a@[:y]>", false, P_SYNTAX, "a general literal without tag" },
		{ "<a@[-x:y]>", false, P_SYNTAX, "a tag starting with '-'" },
		{ "<a@[x:a b]>", false, P_SYNTAX, "a space in a literal (dcontent)" },
		{ "<a@[x:a\\b]>", false, P_SYNTAX, "a backslash in a literal (dcontent)" },
		{ "<a@[192.0.2.1>", false, P_SYNTAX, "a literal without ']'" },
		{ "<a@[192.0.2.1]x>", false, P_SYNTAX, "something after the literal" },
		{ "<@a.example:>", false, P_SYNTAX, "a source route without a mailbox" },
		{ "<@a.example alice@example.org>", false, P_SYNTAX, "a source route without ':'" },
		{ "<@a.example,b.example:alice@example.org>", false, P_SYNTAX,
		  "a hop without '@'" },
		{ "<@[192.0.2.1]:alice@example.org>", false, P_SYNTAX,
		  "a literal in a source route (At-domain is a Domain)" },
		/* RFC 6531 3.5: beyond ASCII only with the SMTPUTF8 parameter. */
		{ "<j\xc3\xb6rg@example.org>", false, P_8BIT, "UTF-8 without SMTPUTF8" },
		{ "<a@b\xc3\xbc" "cher.example>", false, P_8BIT, "a U-label without SMTPUTF8" },
		{ "<a\xff@example.org>", false, P_8BIT, "byte FF without SMTPUTF8" },
		{ "<\"j\xc3\xb6rg\"@example.org>", false, P_8BIT,
		  "UTF-8 in quotes without SMTPUTF8" },
		/* RFC 6531 3.3 (UTF8-non-ascii of RFC 6532 3.1, RFC 3629) and no C1. */
		{ "<a\xc3@example.org>", true, P_UTF8, "a cut UTF-8 sequence" },
		{ "<\xc0\xaf@example.org>", true, P_UTF8, "an overlong '/'" },
		{ "<a@b\xed\xa0\x80.example>", true, P_UTF8, "a surrogate in a U-label" },
		{ "<a\xf4\x90\x80\x80@example.org>", true, P_UTF8, "past U+10FFFF" },
		{ "<\xc2\x85@example.org>", true, P_UTF8, "NEL, a C1 control" },
		{ "<a\xff@example.org>", true, P_UTF8, "byte FF" },
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		TEST("addr_parse_path refuses %s: %s (%s)", bad[i].what, bad[i].in,
		     perr_name(bad[i].e)) {
			struct addr a;
			const char *rest;
			CHECK_PERR(parse(bad[i].in, bad[i].utf8, &a, &rest), bad[i].e);
			CHECK(rest == bad[i].in);	/* the pointer moves only on success */
		}
}

/* RFC 5321 4.5.3.1.1-4.5.3.1.3: local part 64, domain 255, path ("<" and ">"
 * included) 256 octets. */
static void test_lengths(void)
{
	char in[2048];
	struct addr a;
	const char *rest;

	TEST("a local part of 64 octets is taken, 65 refused (RFC 5321 4.5.3.1.1)") {
		snprintf(in, sizeof in, "<%s@example.org>", repeat('l', 64));
		CHECK_PERR(parse(in, false, &a, &rest), P_OK);
		CHECK_INT(strlen(a.local), 64);
		snprintf(in, sizeof in, "<%s@example.org>", repeat('l', 65));
		/* Either way the reply is 501 with 5.1.x (smtp-session.c bad_path()). */
		CHECK_PERR(parse(in, false, &a, &rest), P_SYNTAX);
	}
	TEST("a quoted local part: 64 octets without its quoting are taken, 65 refused") {
		snprintf(in, sizeof in, "<\"%s\"@example.org>", repeat(' ', 64));
		CHECK_PERR(parse(in, false, &a, &rest), P_OK);
		CHECK_INT(strlen(a.local), 64);
		snprintf(in, sizeof in, "<\"%s\"@example.org>", repeat(' ', 65));
		CHECK_PERR(parse(in, false, &a, &rest), P_SYNTAX);
	}
	TEST("a UTF-8 local part is counted in octets (RFC 6531 3.3): 32 x U+00E9 taken, 33 not") {
		char l[256] = "";
		for (int i = 0; i < 33; i++)
			strcat(l, "\xc3\xa9");
		snprintf(in, sizeof in, "<%.64s@example.org>", l);
		CHECK_PERR(parse(in, true, &a, &rest), P_OK);
		snprintf(in, sizeof in, "<%s@example.org>", l);
		CHECK_PERR(parse(in, true, &a, &rest), P_SYNTAX);
	}
	TEST("a path of 256 octets is taken, 257 refused as too long (RFC 5321 4.5.3.1.3)") {
		snprintf(in, sizeof in, "<a@%s>", domain_of(252));
		CHECK_INT(strlen(in), 256);
		CHECK_PERR(parse(in, false, &a, &rest), P_OK);
		CHECK_INT(strlen(a.domain), 252);
		snprintf(in, sizeof in, "<a@%s>", domain_of(253));
		CHECK_PERR(parse(in, false, &a, &rest), P_LONG);
		snprintf(in, sizeof in, "<%s@%s>", repeat('l', 64), domain_of(189));
		CHECK_INT(strlen(in), 256);
		CHECK_PERR(parse(in, false, &a, &rest), P_OK);
		snprintf(in, sizeof in, "<%s@%s>", repeat('l', 64), domain_of(190));
		CHECK_PERR(parse(in, false, &a, &rest), P_LONG);
	}
	TEST("a domain of 255 octets is too long for a path, 256 is no domain (RFC 5321 4.5.3.1.2)") {
		snprintf(in, sizeof in, "<a@%s>", domain_of(255));
		CHECK_PERR(parse(in, false, &a, &rest), P_LONG);
		snprintf(in, sizeof in, "<a@%s>", domain_of(256));
		CHECK_PERR(parse(in, false, &a, &rest), P_SYNTAX);
	}
	TEST("the source route counts in the path's 256 octets") {
		snprintf(in, sizeof in, "<@%s:a@b.example>", domain_of(200));
		CHECK_PERR(parse(in, false, &a, &rest), P_OK);
		char route[300];
		snprintf(route, sizeof route, "%s", domain_of(200));	/* domain_of() reuses its buffer */
		snprintf(in, sizeof in, "<@%s:a@%s>", route, domain_of(60));
		CHECK_INT(strlen(in), 266);
		CHECK_PERR(parse(in, false, &a, &rest), P_LONG);
	}
	TEST("an address literal of 256 octets is refused, and never truncated into a domain") {
		snprintf(in, sizeof in, "<a@[x:%s]>", repeat('y', 252));
		CHECK_PERR(parse(in, false, &a, &rest), P_LONG);
		snprintf(in, sizeof in, "<a@[x:%s]>", repeat('y', 253));
		CHECK_PERR(parse(in, false, &a, &rest), P_SYNTAX);
	}
}

/* RFC 6531 3.5: an address beyond ASCII needs the SMTPUTF8 parameter, and the session
 * checks it again with a.utf8 after reading the parameters (smtp-session.c
 * start_mail()).  A '>' inside a quoted local part must not hide the UTF-8 after it:
 * MAIL FROM:<"x SMTPUTF8 >é"@example.org> (the word found by addr_has_word() inside
 * the quotes) was taken without the parameter. */
static void test_utf8_after_quoted_gt(void)
{
	struct addr a;
	const char *rest;
	TEST("UTF-8 after a '>' in quotes, without SMTPUTF8: P_8BIT (RFC 6531 3.5)")
		CHECK_PERR(parse("<\"a>\xc3\xa9\"@example.org>", false, &a, &rest), P_8BIT);
	TEST("UTF-8 after a '>' in quotes, with SMTPUTF8: taken, and a.utf8 says so") {
		CHECK_PERR(parse("<\"a>\xc3\xa9\"@example.org>", true, &a, &rest), P_OK);
		CHECK(a.utf8);
		CHECK_STR(a.local, "a>\xc3\xa9");
	}
	TEST("a U-label after a '>' in quotes: a.utf8 says so") {
		CHECK_PERR(parse("<\"a>b\"@b\xc3\xbc" "cher.example>", true, &a, &rest), P_OK);
		CHECK(a.utf8);
		CHECK_PERR(parse("<\"a>b\"@b\xc3\xbc" "cher.example>", false, &a, &rest), P_8BIT);
	}
	TEST("malformed UTF-8 after a '>' in quotes: P_UTF8") {
		CHECK_PERR(parse("<\"a>\xc3\"@example.org>", true, &a, &rest), P_UTF8);
		CHECK_PERR(parse("<\"a\\\">\xc2\x85\"@example.org>", true, &a, &rest), P_UTF8);
	}
}

static void test_domain_key(void)
{
	char out[32];
	TEST("addr_domain_key: ASCII letters in lowercase, other bytes as they are") {
		CHECK(addr_domain_key("Mail.Example.ORG", out, sizeof out));
		CHECK_STR(out, "mail.example.org");
		CHECK(addr_domain_key("B\xc3\x9c" "CHER.x", out, sizeof out));
		CHECK_STR(out, "b\xc3\x9c" "cher.x");
		CHECK(addr_domain_key("[IPv6:::1]", out, sizeof out));
		CHECK_STR(out, "[ipv6:::1]");
	}
	TEST("addr_domain_key: false when it does not fit, the result still terminated") {
		CHECK(addr_domain_key("abcdefghijklmno", out, 16));	/* 15 + NUL */
		CHECK(!addr_domain_key("abcdefghijklmnop", out, 16));
		CHECK_STR(out, "abcdefghijklmno");
		CHECK(addr_domain_key("", out, 1));
		CHECK(!addr_domain_key("a", out, 1));
		CHECK_STR(out, "");
	}
}

static void test_words(void)
{
	static const struct {
		const char *arg, *w;
		bool ok;
	} words[] = {
		{ "SMTPUTF8", "SMTPUTF8", true },
		{ "BODY=8BITMIME SMTPUTF8", "SMTPUTF8", true },
		{ "smtputf8 BODY=8BITMIME", "SMTPUTF8", true },
		{ "  SMTPUTF8  ", "SMTPUTF8", true },
		{ "SMTPUTF8X SMTPUTF8", "SMTPUTF8", true },
		{ "", "SMTPUTF8", false },
		{ "SMTPUTF8X", "SMTPUTF8", false },
		{ "XSMTPUTF8", "SMTPUTF8", false },
		{ "SMTPUTF8=YES", "SMTPUTF8", false },
		{ "SIZE=1\tSMTPUTF8", "SMTPUTF8", false },	/* RFC 5321: SP separates */
	};
	for (size_t i = 0; i < sizeof words / sizeof words[0]; i++)
		TEST("addr_has_word(\"%s\", \"%s\") is %s", words[i].arg, words[i].w,
		     words[i].ok ? "true" : "false")
			CHECK(addr_has_word(words[i].arg, words[i].w) == words[i].ok);

	TEST("addr_after_keyword: FROM: in any case, spaces after the colon skipped") {
		const char *r;
		CHECK((r = addr_after_keyword("FROM:<a@b>", "FROM:")) && strcmp(r, "<a@b>") == 0);
		CHECK((r = addr_after_keyword("from:<a@b>", "FROM:")) && strcmp(r, "<a@b>") == 0);
		CHECK((r = addr_after_keyword("From:  <a@b>", "FROM:")) && strcmp(r, "<a@b>") == 0);
		CHECK((r = addr_after_keyword("TO:", "TO:")) && strcmp(r, "") == 0);
		CHECK(addr_after_keyword("FROM :<a@b>", "FROM:") == NULL);
		CHECK(addr_after_keyword("FRO", "FROM:") == NULL);
		CHECK(addr_after_keyword("TO:<a@b>", "FROM:") == NULL);
		CHECK(addr_after_keyword("", "TO:") == NULL);
	}
}

static void test_local_domain(void)
{
	const char *list = ",example.org,localhost,b\xc3\xbc" "cher.example,xn--bcher-kva.example,";
	static const struct {
		const char *d;
		bool ok;
	} cases[] = {
		{ "example.org", true },
		{ "EXAMPLE.Org", true },
		{ "localhost", true },
		{ "b\xc3\xbc" "cher.example", true },
		{ "xn--bcher-kva.example", true },
		{ "org", false },
		{ "ample.org", false },
		{ "example.or", false },
		{ "", false },
		{ "other.example", false },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
		TEST("addr_local_domain: \"%s\" is %slocal", cases[i].d, cases[i].ok ? "" : "not ")
			CHECK(addr_local_domain(list, cases[i].d) == cases[i].ok);
	TEST("addr_local_domain: a domain of 255 octets") {
		char big[320];
		snprintf(big, sizeof big, ",%s,", domain_of(255));
		CHECK(addr_local_domain(big, domain_of(255)));
		CHECK(!addr_local_domain(big, domain_of(254)));
	}
}

static void test_helo(void)
{
	static const struct {
		const char *s;
		bool ok;
	} cases[] = {
		{ "mail.example.org", true },
		{ "[192.0.2.1]", true },
		{ "[IPv6:2001:db8::1]", true },
		{ "localhost.localdomain", true },
		{ "host_name", true },
		{ "x", true },
		{ "", false },
		{ "a b", false },
		{ "a\tb", false },
		{ "a\r", false },
		{ "\x1b[2J", false },
		{ "b\xc3\xbc" "cher.example", false },
		{ "a\x7f", false },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
		TEST("addr_helo_ok(\"%s\") is %s", cases[i].s, cases[i].ok ? "true" : "false")
			CHECK(addr_helo_ok(cases[i].s) == cases[i].ok);
	TEST("addr_helo_ok: 255 octets taken, 256 refused") {
		CHECK(addr_helo_ok(repeat('h', 255)));
		CHECK(!addr_helo_ok(repeat('h', 256)));
	}
}

/* RFC 3461 4: xtext = *( xchar / hexchar ), xchar "!".."~" but "+" and "=", hexchar
 * "+" and two upper-case hex digits; RFC 4954 5: AUTH=<> too. */
static void test_xtext(void)
{
	static const struct {
		const char *s;
		bool ok;
	} cases[] = {
		{ "<>", true },
		{ "alice@example.org", true },
		{ "alice+2Bx@example.org", true },
		{ "+3D", true },
		{ "<>x", true },
		{ "a+2b", false },
		{ "a+", false },
		{ "a+2", false },
		{ "a+G0", false },
		{ "a=b", false },
		{ "a b", false },
		{ "a\x7f", false },
		{ "\xc3\xa9", false },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
		TEST("addr_xtext_ok(\"%s\") is %s", cases[i].s, cases[i].ok ? "true" : "false")
			CHECK(addr_xtext_ok(cases[i].s) == cases[i].ok);
}

static void test_number(void)
{
	static const struct {
		const char *s;
		unsigned long long min, max;
		bool ok;
		unsigned long long v;
	} cases[] = {
		{ "0", 0, 10, true, 0 },
		{ "10", 0, 10, true, 10 },
		{ "007", 0, 10, true, 7 },
		{ "11", 0, 10, false, 0 },
		{ "0", 1, 10, false, 0 },
		{ "", 0, 10, false, 0 },
		{ "-1", 0, ULLONG_MAX, false, 0 },
		{ "+1", 0, 10, false, 0 },
		{ " 1", 0, 10, false, 0 },
		{ "1 ", 0, 10, false, 0 },
		{ "1x", 0, 10, false, 0 },
		{ "0x10", 0, 100, false, 0 },
		{ "18446744073709551615", 0, ULLONG_MAX, true, ULLONG_MAX },
		{ "18446744073709551616", 0, ULLONG_MAX, false, 0 },
		{ "9223372036854775807", 0, 0x7fffffffffffffffULL, true, 0x7fffffffffffffffULL },
		{ "9223372036854775808", 0, 0x7fffffffffffffffULL, false, 0 },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
		TEST("addr_number(\"%s\", %llu, %llu) is %s", cases[i].s, cases[i].min, cases[i].max,
		     cases[i].ok ? "true" : "false") {
			unsigned long long v = 12345;
			CHECK(addr_number(cases[i].s, cases[i].min, cases[i].max, &v) == cases[i].ok);
			CHECK(v == (cases[i].ok ? cases[i].v : 12345));	/* untouched on failure */
		}
}

int main(void)
{
	test_paths_ok();
	test_paths_bad();
	test_lengths();
	test_utf8_after_quoted_gt();
	test_domain_key();
	test_words();
	test_local_domain();
	test_helo();
	test_xtext();
	test_number();
	return unit_done();
}
