/* test-utf8.c: utf8.c through utf8.h.  UTF-8 as RFC 3629 defines it: section 3's
 * table of well-formed sequences (which leaves out overlong forms, the surrogates
 * U+D800-U+DFFF and everything past U+10FFFF), checked case by case and, against a
 * decoder written from the bit patterns of section 3, over every sequence of one to
 * three bytes; then what a terminal may be shown and what an AUTH user name may be. */
#include <stdint.h>
#include <sys/mman.h>

#include "utf8.h"
#include "unit.h"

/* RFC 3629 3, the other way round: the bits a sequence carries, and then the three
 * rules that make it well-formed.  Independent of utf8.c's table of second bytes. */
static size_t ref_next(const unsigned char *p, size_t n, unsigned *cp)
{
	if (n == 0)
		return 0;
	size_t len = p[0] < 0x80 ? 1 : (p[0] & 0xe0) == 0xc0 ? 2 : (p[0] & 0xf0) == 0xe0 ? 3
		   : (p[0] & 0xf8) == 0xf0 ? 4 : 0;
	if (len == 0 || n < len)
		return 0;
	unsigned c = len == 1 ? p[0] : p[0] & (0x7f >> len);
	for (size_t i = 1; i < len; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 0;
		c = c << 6 | (p[i] & 0x3f);
	}
	static const unsigned least[] = { 0, 0, 0x80, 0x800, 0x10000 };
	if (c < least[len] || (c >= 0xd800 && c <= 0xdfff) || c > 0x10ffff)
		return 0;	/* overlong, a surrogate, past U+10FFFF */
	*cp = c;
	return len;
}

/* The UTF-8 of code point c into out; its length. */
static size_t encode(unsigned c, unsigned char *out)
{
	if (c < 0x80)
		return out[0] = (unsigned char)c, 1;
	if (c < 0x800)
		return out[0] = (unsigned char)(0xc0 | c >> 6), out[1] = (unsigned char)(0x80 | (c & 0x3f)), 2;
	if (c < 0x10000) {
		out[0] = (unsigned char)(0xe0 | c >> 12);
		out[1] = (unsigned char)(0x80 | (c >> 6 & 0x3f));
		out[2] = (unsigned char)(0x80 | (c & 0x3f));
		return 3;
	}
	out[0] = (unsigned char)(0xf0 | c >> 18);
	out[1] = (unsigned char)(0x80 | (c >> 12 & 0x3f));
	out[2] = (unsigned char)(0x80 | (c >> 6 & 0x3f));
	out[3] = (unsigned char)(0x80 | (c & 0x3f));
	return 4;
}

/* utf8_next on the string s (its bytes up to the NUL). */
static size_t next(const char *s, unsigned *cp)
{
	return utf8_next((const unsigned char *)s, strlen(s), cp);
}

static void test_next_cases(void)
{
	static const struct {
		const char *s;
		size_t len;
		unsigned cp;
		const char *what;
	} good[] = {
		{ "A", 1, 0x41, "ASCII" },
		{ "\x7f", 1, 0x7f, "DEL is ASCII" },
		{ "\xc2\x80", 2, 0x80, "U+0080, the first of two bytes" },
		{ "\xc3\xa9", 2, 0xe9, "U+00E9" },
		{ "\xdf\xbf", 2, 0x7ff, "U+07FF, the last of two bytes" },
		{ "\xe0\xa0\x80", 3, 0x800, "U+0800, the first of three bytes" },
		{ "\xe2\x82\xac", 3, 0x20ac, "U+20AC" },
		{ "\xed\x9f\xbf", 3, 0xd7ff, "U+D7FF, just below the surrogates" },
		{ "\xee\x80\x80", 3, 0xe000, "U+E000, just above the surrogates" },
		{ "\xef\xbf\xbd", 3, 0xfffd, "U+FFFD" },
		{ "\xef\xbf\xbf", 3, 0xffff, "U+FFFF: a noncharacter, but well-formed" },
		{ "\xf0\x90\x80\x80", 4, 0x10000, "U+10000, the first of four bytes" },
		{ "\xf0\x9f\x98\x80", 4, 0x1f600, "U+1F600" },
		{ "\xf4\x8f\xbf\xbf", 4, 0x10ffff, "U+10FFFF, the last code point" },
		{ "\xc3\xa9xyz", 2, 0xe9, "only the first character is taken" },
	};
	for (size_t i = 0; i < sizeof good / sizeof good[0]; i++)
		TEST("utf8_next: %s", good[i].what) {
			unsigned cp = 0xdeadbeef;
			CHECK_INT(next(good[i].s, &cp), good[i].len);
			CHECK_INT(cp, good[i].cp);
		}

	static const struct {
		const char *s;
		const char *what;
	} bad[] = {
		/* RFC 3629 3: "The octet values C0, C1, F5 to FF never appear", and 10:
		 * overlong forms must not be decoded (the "/" of C0 AF hid paths). */
		{ "\xc0\x80", "overlong U+0000 (C0 80)" },
		{ "\xc0\xaf", "overlong '/' (C0 AF)" },
		{ "\xc1\xbf", "overlong U+007F (C1 BF)" },
		{ "\xe0\x80\xaf", "overlong '/' in three bytes" },
		{ "\xe0\x9f\xbf", "overlong U+07FF in three bytes" },
		{ "\xf0\x80\x80\xaf", "overlong '/' in four bytes" },
		{ "\xf0\x8f\xbf\xbf", "overlong U+FFFF in four bytes" },
		{ "\xf8\x88\x80\x80\x80", "a five-byte form" },
		{ "\xfc\x84\x80\x80\x80\x80", "a six-byte form" },
		/* RFC 3629 3: the surrogates are not characters. */
		{ "\xed\xa0\x80", "U+D800, the first surrogate" },
		{ "\xed\xaf\xbf", "U+DBFF" },
		{ "\xed\xb0\x80", "U+DC00" },
		{ "\xed\xbf\xbf", "U+DFFF, the last surrogate" },
		{ "\xed\xa0\xbd\xed\xb2\xa9", "a CESU-8 surrogate pair" },
		/* RFC 3629 3: nothing past U+10FFFF. */
		{ "\xf4\x90\x80\x80", "U+110000" },
		{ "\xf5\x80\x80\x80", "lead byte F5" },
		{ "\xf7\xbf\xbf\xbf", "U+1FFFFF" },
		{ "\xfe", "byte FE" },
		{ "\xff", "byte FF" },
		/* Continuation bytes where a lead byte must be, and the reverse. */
		{ "\x80", "a stray continuation byte 80" },
		{ "\xbf", "a stray continuation byte BF" },
		{ "\xc3", "a two-byte sequence cut short by the end" },
		{ "\xe2\x82", "a three-byte sequence cut short by the end" },
		{ "\xf0\x9f\x98", "a four-byte sequence cut short by the end" },
		{ "\xc3" "A", "a two-byte sequence cut short by ASCII" },
		{ "\xe2\x82" "A", "a three-byte sequence cut short by ASCII" },
		{ "\xf0\x9f\x98" "A", "a four-byte sequence cut short by ASCII" },
		{ "\xe2\x28\xa1", "a bad second byte of three" },
		{ "\xe2\x82\x28", "a bad third byte of three" },
		{ "\xf0\x90\x28\xbc", "a bad third byte of four" },
		{ "\xf0\x90\x8c\x28", "a bad fourth byte of four" },
		{ "\xc3\xc3\xa9", "a lead byte where a continuation must be" },
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		TEST("utf8_next refuses %s", bad[i].what) {
			unsigned cp = 0xdeadbeef;
			CHECK_INT(next(bad[i].s, &cp), 0);
		}

	TEST("utf8_next: nothing (n = 0) is no character, a NUL byte is ASCII") {
		unsigned cp = 7;
		CHECK_INT(utf8_next((const unsigned char *)"", 0, &cp), 0);
		CHECK_INT(utf8_next((const unsigned char *)"", 1, &cp), 1);
		CHECK_INT(cp, 0);
	}
	TEST("utf8_next: n bounds the sequence, not the bytes that follow") {
		unsigned cp;
		const unsigned char s[] = "\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80";
		CHECK_INT(utf8_next(s, 1, &cp), 0);
		CHECK_INT(utf8_next(s, 2, &cp), 2);
		CHECK_INT(utf8_next(s + 2, 2, &cp), 0);
		CHECK_INT(utf8_next(s + 2, 3, &cp), 3);
		CHECK_INT(utf8_next(s + 5, 3, &cp), 0);
		CHECK_INT(utf8_next(s + 5, 4, &cp), 4);
	}
}

/* A sequence cut short at the very end of readable memory: utf8_next must look at no
 * byte beyond the n it was given (the renderer hands it the end of a read). */
static void test_next_guard_page(void)
{
	long page = sysconf(_SC_PAGESIZE);
	unsigned char *m = mmap(NULL, (size_t)page * 2, PROT_READ | PROT_WRITE,
				MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	TEST("utf8_next reads nothing past n (a guard page after the last byte)") {
		CHECK(m != MAP_FAILED);
		if (m != MAP_FAILED && mprotect(m + page, (size_t)page, PROT_NONE) == 0) {
			static const char *const cut[] = { "\xc3", "\xe2\x82", "\xf0\x9f\x98", "\xf4" };
			for (size_t i = 0; i < 4; i++) {
				size_t n = strlen(cut[i]);
				unsigned char *p = m + page - n;
				unsigned cp;
				memcpy(p, cut[i], n);
				CHECK_INT(utf8_next(p, n, &cp), 0);
			}
			unsigned char *p = m + page - 2;
			unsigned cp;
			memcpy(p, "\xc3\xa9", 2);
			CHECK_INT(utf8_next(p, 2, &cp), 2);
		}
	}
	if (m != MAP_FAILED)
		munmap(m, (size_t)page * 2);
}

/* Every code point round-trips, and every sequence of up to three bytes (and the
 * four-byte ones over every pair of first bytes) is judged as RFC 3629 judges it. */
static void test_next_exhaustive(void)
{
	TEST("utf8_next decodes every scalar value U+0000-U+10FFFF to itself") {
		unsigned bad = 0;
		for (unsigned c = 0; c <= 0x10ffff; c++) {
			if (c >= 0xd800 && c <= 0xdfff)
				continue;
			unsigned char b[4];
			unsigned cp = 0xffffffff;
			size_t n = encode(c, b);
			if (utf8_next(b, n, &cp) != n || cp != c) {
				if (bad++ < 5)
					CHECK(!"a code point did not round-trip"), printf("#   U+%04X\n", c);
			}
		}
		CHECK_INT(bad, 0);
	}
	TEST("utf8_next agrees with RFC 3629 on every 1-, 2- and 3-byte sequence") {
		unsigned bad = 0;
		unsigned char b[3];
		for (uint32_t v = 0; v < 1u << 24; v++) {
			b[0] = (unsigned char)(v >> 16);
			b[1] = (unsigned char)(v >> 8);
			b[2] = (unsigned char)v;
			for (size_t n = 1; n <= 3; n++) {
				if (n < 3 && (v & ((1u << (8 * (3 - n))) - 1)))
					continue;	/* shorter lengths once per prefix */
				unsigned c1 = 0, c2 = 0;
				size_t r1 = utf8_next(b, n, &c1), r2 = ref_next(b, n, &c2);
				if (r1 != r2 || (r1 && c1 != c2)) {
					if (bad++ < 5)
						CHECK(!"a sequence judged differently"),
						printf("#   %02x %02x %02x (n = %zu): %zu, RFC 3629: %zu\n",
						       b[0], b[1], b[2], n, r1, r2);
				}
			}
		}
		CHECK_INT(bad, 0);
	}
	TEST("utf8_next agrees with RFC 3629 on four-byte sequences (every first two bytes)") {
		static const unsigned char tail[] = { 0x00, 0x41, 0x7f, 0x80, 0x9f, 0xbf, 0xc0, 0xff };
		unsigned bad = 0;
		for (unsigned a = 0xf0; a <= 0xff; a++)
			for (unsigned b1 = 0; b1 <= 0xff; b1++)
				for (size_t i = 0; i < sizeof tail; i++)
					for (size_t j = 0; j < sizeof tail; j++) {
						unsigned char s[4] = { (unsigned char)a, (unsigned char)b1,
								       tail[i], tail[j] };
						unsigned c1 = 0, c2 = 0;
						size_t r1 = utf8_next(s, 4, &c1), r2 = ref_next(s, 4, &c2);
						if (r1 != r2 || (r1 && c1 != c2))
							bad++;
					}
		CHECK_INT(bad, 0);
	}
}

static void test_printable(void)
{
	static const struct {
		unsigned cp;
		bool ok;
		const char *what;
	} cases[] = {
		{ 0x00, false, "NUL" },
		{ 0x07, false, "BEL" },
		{ 0x1b, false, "ESC" },
		{ 0x1f, false, "the last C0 control" },
		{ 0x20, true, "space" },
		{ 0x7e, true, "'~'" },
		{ 0x7f, false, "DEL" },
		{ 0x80, false, "the first C1 control" },
		{ 0x9b, false, "CSI (C1)" },
		{ 0x9f, false, "the last C1 control" },
		{ 0xa0, true, "no-break space (shown, it is a space)" },
		{ 0xad, false, "soft hyphen (Cf)" },
		{ 0xe9, true, "e acute" },
		{ 0x3b1, true, "alpha" },
		{ 0x61c, false, "Arabic letter mark (Cf)" },
		{ 0x200b, false, "zero width space (Cf)" },
		{ 0x200d, false, "zero width joiner (Cf)" },
		{ 0x200e, false, "left-to-right mark (Cf)" },
		{ 0x200f, false, "right-to-left mark (Cf)" },
		{ 0x2027, true, "hyphenation point" },
		{ 0x2028, false, "line separator" },
		{ 0x2029, false, "paragraph separator" },
		{ 0x202a, false, "LRE (Trojan Source)" },
		{ 0x202b, false, "RLE (Trojan Source)" },
		{ 0x202c, false, "PDF (Trojan Source)" },
		{ 0x202d, false, "LRO (Trojan Source)" },
		{ 0x202e, false, "RLO (Trojan Source)" },
		{ 0x202f, true, "narrow no-break space" },
		{ 0x2060, false, "word joiner (Cf)" },
		{ 0x2066, false, "LRI (Trojan Source)" },
		{ 0x2067, false, "RLI (Trojan Source)" },
		{ 0x2068, false, "FSI (Trojan Source)" },
		{ 0x2069, false, "PDI (Trojan Source)" },
		{ 0x206f, false, "nominal digit shapes (Cf)" },
		{ 0x4e2d, true, "a CJK ideograph" },
		{ 0xfdcf, true, "U+FDCF, below the noncharacters" },
		{ 0xfdd0, false, "U+FDD0, the first noncharacter of the block" },
		{ 0xfdef, false, "U+FDEF, the last of the block" },
		{ 0xfdf0, true, "U+FDF0, after the block" },
		{ 0xfeff, false, "byte order mark / ZWNBSP (Cf)" },
		{ 0xfff9, false, "interlinear annotation anchor (Cf)" },
		{ 0xfffd, true, "replacement character" },
		{ 0xfffe, false, "noncharacter U+FFFE" },
		{ 0xffff, false, "noncharacter U+FFFF" },
		{ 0x1f600, true, "an emoji" },
		{ 0x1fffe, false, "noncharacter U+1FFFE" },
		{ 0xe0001, false, "language tag (Cf)" },
		{ 0xe007f, false, "cancel tag (Cf)" },
		{ 0x10fffd, true, "U+10FFFD, private use" },
		{ 0x10ffff, false, "noncharacter U+10FFFF" },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
		TEST("utf8_printable(U+%04X, %s) is %s", cases[i].cp, cases[i].what,
		     cases[i].ok ? "true" : "false")
			CHECK(utf8_printable(cases[i].cp) == cases[i].ok);
}

/* utf8_invisible(): every format character the issue names (Unicode category Cf:
 * U+200B-U+200F, U+202A-U+202E, U+2060-U+2064, U+2066-U+2069, U+FEFF, U+061C), the
 * separators, and nothing visible. */
static void test_invisible(void)
{
	static const struct { unsigned lo, hi; } cf[] = {
		{ 0x200b, 0x200f }, { 0x202a, 0x202e }, { 0x2060, 0x2064 }, { 0x2066, 0x2069 },
		{ 0xfeff, 0xfeff }, { 0x061c, 0x061c }, { 0x00ad, 0x00ad }, { 0x2028, 0x2029 },
		{ 0xe0001, 0xe0001 },
	};
	for (size_t i = 0; i < sizeof cf / sizeof cf[0]; i++)
		TEST("utf8_invisible: U+%04X-U+%04X, each", cf[i].lo, cf[i].hi) {
			for (unsigned cp = cf[i].lo; cp <= cf[i].hi; cp++)
				CHECK(utf8_invisible(cp) && !utf8_printable(cp));
		}
	TEST("utf8_invisible: not ASCII, a letter, CJK, an emoji, a blank, U+2065 (unassigned)") {
		static const unsigned seen[] = { 'a', ' ', 0xe9, 0x4e2d, 0x1f600, 0x3000, 0x2065, 0x200a };
		for (size_t i = 0; i < sizeof seen / sizeof seen[0]; i++)
			CHECK(!utf8_invisible(seen[i]));
	}
}

static void test_user_name(void)
{
	static const struct {
		const char *s;
		bool ok;
		const char *what;
	} cases[] = {
		{ "alice", true, "a plain name" },
		{ "a", true, "one letter" },
		{ "john.doe", true, "a dot" },
		{ "alice@example.org", true, "an address" },
		{ "a-b_c+d=e", true, "punctuation beyond the quoting characters" },
		{ "j\xc3\xb6rg", true, "UTF-8 (RFC 6531: EHLO offers SMTPUTF8)" },
		{ "\xe5\x90\x8d\xe5\x89\x8d", true, "CJK" },
		{ "\xf0\x9f\x98\x80", true, "a four-byte character" },
		{ "", false, "empty" },
		{ "a b", false, "a space" },
		{ " alice", false, "a leading space" },
		{ "a\tb", false, "a TAB" },
		{ "alice\n", false, "a newline (a forged log line)" },
		{ "alice\r", false, "a CR" },
		{ "\x1b[31malice", false, "ESC" },
		{ "a\x7f", false, "DEL" },
		{ "a\"b", false, "a double quote" },
		{ "a'b", false, "a single quote" },
		{ "a`b", false, "a backquote" },
		{ "a\\b", false, "a backslash" },
		{ "a\xc2\x85", false, "NEL, a C1 control" },
		{ "a\xc2\xa0" "b", false, "a no-break space" },
		{ "a\xe1\x9a\x80" "b", false, "Ogham space mark (Zs)" },
		{ "a\xe2\x80\x80" "b", false, "U+2000 en quad (Zs)" },
		{ "a\xe2\x80\x8a" "b", false, "U+200A hair space (Zs)" },
		{ "a\xe2\x80\xaf" "b", false, "U+202F narrow no-break space (Zs)" },
		{ "a\xe2\x81\x9f" "b", false, "U+205F medium mathematical space (Zs)" },
		{ "a\xe3\x80\x80" "b", false, "U+3000 ideographic space (Zs)" },
		{ "a\xe2\x80\x8b" "b", false, "a zero width space (Cf)" },
		{ "admin\xe2\x80\xae" "cba", false, "RLO (Trojan Source)" },
		{ "a\xef\xbf\xbe", false, "noncharacter U+FFFE" },
		{ "a\xc3", false, "a cut sequence" },
		{ "\xc0\xaf", false, "an overlong '/'" },
		{ "\xed\xa0\x80", false, "a surrogate" },
		{ "a\xff", false, "byte FF" },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
		TEST("utf8_user_name_ok: %s is %s", cases[i].what, cases[i].ok ? "taken" : "refused")
			CHECK(utf8_user_name_ok(cases[i].s) == cases[i].ok);
}

int main(void)
{
	test_next_cases();
	test_next_guard_page();
	test_next_exhaustive();
	test_printable();
	test_invisible();
	test_user_name();
	return unit_done();
}
