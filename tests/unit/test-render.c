/* test-render.c: render.c through render.h, the text a terminal is shown for SEND,
 * SOML and SAML (RFC 821 3.4), the way write(1) shows a message: control characters
 * as ^X, bytes beyond ASCII as \ooo (so no escape sequence reaches the terminal), UTF-8
 * kept after SMTPUTF8 (RFC 6531) unless utf8_printable() says no, every row of the
 * sender's text behind "| " and at most TTY_WRAP_COLUMNS columns, the cut at
 * max_lines rows or max_bytes bytes as shown.  tests/tty.bats drives the same
 * function through tests/ttyrender.c on real terminals; here it is called directly,
 * with the spool in a memfd, and a property check runs it over random messages. */
#include <errno.h>
#include <stdint.h>
#include <sys/mman.h>
#include <time.h>

#include "render.h"
#include "config.h"
#include "ttytext.h"
#include "utf8.h"
#include "unit.h"

/* The text for msg (n bytes), into a static buffer; "<error>" when tty_render failed. */
static const char *render_n(const char *msg, size_t n, const char *sender, const char *helo,
			    const char *client, time_t when, unsigned lines, unsigned bytes,
			    bool utf8)
{
	static struct buf out = BUF_INIT;
	int fd = memfd_create("spool", MFD_CLOEXEC);
	if (fd == -1 || write(fd, msg, n) != (ssize_t)n) {
		perror("memfd");
		exit(2);
	}
	struct tty_note note = { sender, helo, client, when, utf8 };
	buf_reset(&out);
	int rc = tty_render(&out, &note, fd, (off_t)n, lines, bytes);
	close(fd);
	return rc == 0 ? out.p : "<error>";
}

static const char *render(const char *msg, unsigned lines, unsigned bytes, bool utf8)
{
	return render_n(msg, strlen(msg), "s@example.org", "h", "c", 0, lines, bytes, utf8);
}

static bool ends_with(const char *s, const char *end)
{
	size_t n = strlen(s), k = strlen(end);
	return n >= k && strcmp(s + n - k, end) == 0;
}

/* The body rows as they appear between the banner and the end. */
#define BANNER "\r\nMessage from s@example.org on h (c) at 00:00 ...\r\n"

/* Where the body starts: after the banner's rows (the first empty line, then rows
 * starting "Message from" or the banner indent). */
static const char *body_of(const char *t)
{
	const char *p = t + 2;
	do
		p = strstr(p, "\r\n") + 2;
	while (strncmp(p, TTY_BANNER_INDENT, sizeof TTY_BANNER_INDENT - 1) == 0);
	return p;
}

static void test_plain(void)
{
	TEST("a plain message: banner, each line behind \"| \", CRLF line ends, EOF")
		CHECK_STR(render("Hello\nworld\n", 64, 8192, false),
			  BANNER "| Hello\r\n| world\r\nEOF\r\n");
	TEST("an empty line shows the prefix without its blank")
		CHECK_STR(render("a\n\nb\n", 64, 8192, false), BANNER "| a\r\n|\r\n| b\r\nEOF\r\n");
	TEST("no final line end: the row is closed anyway")
		CHECK_STR(render("abc", 64, 8192, false), BANNER "| abc\r\nEOF\r\n");
	TEST("an empty message: the banner and EOF")
		CHECK_STR(render("", 64, 8192, false), BANNER "EOF\r\n");
	TEST("a forged banner and a forged EOF start no row of their own")
		CHECK_STR(render("Message from root@localhost on x at 00:00 ...\nEOF\n", 64, 8192, false),
			  BANNER "| Message from root@localhost on x at 00:00 ...\r\n| EOF\r\nEOF\r\n");
	TEST("what is already in out stays in front") {
		struct buf out = BUF_INIT;
		buf_adds(&out, "kept");
		int fd = memfd_create("spool", MFD_CLOEXEC);
		CHECK(write(fd, "x\n", 2) == 2);
		struct tty_note note = { "a", "b", "c", 0, false };
		CHECK_INT(tty_render(&out, &note, fd, 2, 64, 8192), 0);
		CHECK_STR(out.p, "kept\r\nMessage from a on b (c) at 00:00 ...\r\n| x\r\nEOF\r\n");
		close(fd);
		buf_free(&out);
	}
	TEST("the time of the message in the banner, HH:MM (TZ=UTC0)") {
		const char *t = render_n("x", 1, "s", "h", "c", 13 * 3600 + 7 * 60 + 59, 64, 8192, false);
		CHECK(strstr(t, "at 13:07 ...\r\n") != NULL);
	}
}

/* Control characters and escape sequences: shown, never obeyed. */
static void test_escapes(void)
{
	static const struct {
		const char *msg;
		size_t n;
		const char *shown;
		const char *what;
	} cases[] = {
		{ "a\0b", 3, "a^@b", "NUL as ^@" },
		{ "\a", 1, "^G", "BEL as ^G (no bell from the network)" },
		{ "\b\b\bX", 4, "^H^H^HX", "backspaces as ^H" },
		{ "a\rb", 3, "a^Mb", "a bare CR as ^M (no overwriting the row)" },
		{ "\x1b[2J\x1b[H", 7, "^[[2J^[[H", "ESC [ (CSI: clear screen, home) as ^[" },
		{ "\x1b]0;title\a", 10, "^[]0;title^G", "an OSC sequence (window title)" },
		{ "\x1b]52;c;aGk=\a", 12, "^[]52;c;aGk=^G", "OSC 52 (the clipboard)" },
		{ "\x1bP+q\x1b\\", 6, "^[P+q^[\\", "a DCS sequence" },
		{ "\x7f", 1, "^?", "DEL as ^?" },
		{ "\x1f", 1, "^_", "the last C0 control" },
		{ "\x9b" "2J", 3, "\\2332J", "CSI as one C1 byte (0x9B) as \\233" },
		{ "\x84\x85\x8d", 3, "\\204\\205\\215", "other C1 bytes" },
		{ "a\tb", 3, "a\tb", "TAB passes" },
		{ "^[ \\", 4, "^[ \\", "'^' and '\\' themselves pass" },
		{ "\xc3\xa9", 2, "\\303\\251", "UTF-8 without SMTPUTF8: octal, as write(1) in the C locale" },
		{ "\xff\xfe", 2, "\\377\\376", "bytes FF FE" },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
		TEST("%s", cases[i].what) {
			char want[256];
			snprintf(want, sizeof want, BANNER "| %s\r\nEOF\r\n", cases[i].shown);
			CHECK_STR(render_n(cases[i].msg, cases[i].n, "s@example.org", "h", "c", 0, 64, 8192,
					   false), want);
		}
}

/* After SMTPUTF8: well-formed, printable UTF-8 passes; the rest byte by byte. */
static void test_utf8(void)
{
	static const struct {
		const char *msg;
		const char *shown;
		const char *what;
	} cases[] = {
		{ "caf\xc3\xa9", "caf\xc3\xa9", "UTF-8 kept" },
		{ "\xe4\xb8\xad\xf0\x9f\x98\x80", "\xe4\xb8\xad\xf0\x9f\x98\x80", "CJK and an emoji kept" },
		{ "a\xe2\x80\xae" "b", "a\\342\\200\\256b", "RLO (Trojan Source) escaped" },
		{ "\xe2\x81\xa6x", "\\342\\201\\246x", "LRI (Trojan Source) escaped" },
		{ "a\xe2\x80\x8b" "b", "a\\342\\200\\213b", "a zero width space escaped" },
		{ "\xc2\x9b" "2J", "\\302\\2332J", "U+009B, CSI as UTF-8, escaped" },
		{ "\xef\xbf\xbe", "\\357\\277\\276", "noncharacter U+FFFE escaped" },
		{ "\xc0\xaf", "\\300\\257", "an overlong '/' escaped" },
		{ "\xed\xa0\x80", "\\355\\240\\200", "a surrogate escaped" },
		{ "\xc3(", "\\303(", "a cut sequence: its byte escaped, the next kept" },
		{ "a\xe2\x80", "a\\342\\200", "a sequence cut by the end of the message" },
		{ "\xe2\x80\xa8", "\\342\\200\\250", "the line separator escaped" },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
		TEST("SMTPUTF8: %s", cases[i].what) {
			char want[256];
			snprintf(want, sizeof want, BANNER "| %s\r\nEOF\r\n", cases[i].shown);
			CHECK_STR(render(cases[i].msg, 64, 8192, true), want);
		}
	TEST("a character across the 4 KiB reads is kept whole (SMTPUTF8), escaped whole without") {
		char msg[4100];
		memset(msg, 'x', 4095);
		memcpy(msg + 4095, "\xc3\xa9\n", 3);
		const char *t = render_n(msg, 4098, "s", "h", "c", 0, 64, 8192, true);
		CHECK(ends_with(t, "xx\xc3\xa9\r\nEOF\r\n"));
		t = render_n(msg, 4098, "s", "h", "c", 0, 64, 8192, false);
		CHECK(ends_with(t, "xx\\303\\251\r\nEOF\r\n"));
	}
}

/* The banner: the sender's address and the HELO name are the client's words too. */
static void test_banner(void)
{
	TEST("control characters in the banner's fields are escaped") {
		const char *t = render_n("a\n", 2, "eve\x1b[2J@example.org", "h\x9b", "unknown", 0, 64,
					 8192, false);
		CHECK_STR(t, "\r\nMessage from eve^[[2J@example.org on h\\233 (unknown) at 00:00 ...\r\n"
			     "| a\r\nEOF\r\n");
	}
	TEST("a quoted local part: blanks, '@', parentheses and quotes in it as \\ooo") {
		const char *t = render_n("", 0, "\"root@mx.test (via console)\"@y.z", "h", "c", 0, 64,
					 8192, false);
		static const char want[] =
			"\r\nMessage from \"root\\100mx.test\\040\\050via\\040console\\051\"@y.z on h";
		CHECK(strncmp(t, want, sizeof want - 1) == 0);
		t = render_n("", 0, "\"a\\\"b.c+d\"@y.z", "h", "c", 0, 64, 8192, false);
		CHECK(strstr(t, "from \"a\\134\\042b.c+d\"@y.z on") != NULL);
		t = render_n("", 0, "\"\xc3\xa9 x\"@y.z", "h", "c", 0, 64, 8192, true);
		CHECK(strstr(t, "from \"\xc3\xa9\\040x\"@y.z on") != NULL);
		t = render_n("", 0, "\"@y.z", "h", "c", 0, 64, 8192, false);
		CHECK(strstr(t, "from \"@y.z on") != NULL);	/* no quoted part to speak of */
	}
	TEST("the null sender is shown as <>")
		CHECK_STR(render_n("", 0, "", "h", "c", 0, 64, 8192, false),
			  "\r\nMessage from <> on h (c) at 00:00 ...\r\nEOF\r\n");
	TEST("a UTF-8 sender is kept after SMTPUTF8, the HELO name never (RFC 5321: ASCII)") {
		const char *t = render_n("", 0, "j\xc3\xb6rg@example.org", "h\xc3\xb6", "c", 0, 64, 8192,
					 true);
		CHECK_STR(t, "\r\nMessage from j\xc3\xb6rg@example.org on h\\303\\266 (c) at 00:00 ...\r\n"
			     "EOF\r\n");
		t = render_n("", 0, "j\xc3\xb6rg@example.org", "h", "c", 0, 64, 8192, false);
		CHECK(strstr(t, "from j\\303\\266rg@example.org on") != NULL);
	}
	TEST("a long sender: the banner's rows are broken, and the rest indented") {
		char sender[300];
		memset(sender, 'a', 250);
		strcpy(sender + 250, "@example.org");
		const char *t = render_n("x\n", 2, sender, "h", "c", 0, 64, 8192, false);
		const char *p = t + 2, *body = body_of(t);
		size_t rows = 0, wide = 0, unindented = 0;
		while (p < body) {
			const char *e = strstr(p, "\r\n");
			wide += (size_t)(e - p) > TTY_WRAP_COLUMNS + 2;
			unindented += rows && strncmp(p, TTY_BANNER_INDENT, 4) != 0;
			rows++;
			p = e + 2;
		}
		CHECK(rows >= 4);
		CHECK_INT(wide, 0);
		CHECK_INT(unindented, 0);
		CHECK_STR(body, "| x\r\nEOF\r\n");
	}
}

/* Rows: broken after TTY_WRAP_COLUMNS columns of text (a TAB and a character beyond
 * ASCII counted at their widest), each behind the prefix. */
static void test_wrap(void)
{
	char msg[512], want[1024];
	TEST("a row of 76 columns fits, 77 is broken after 76") {
		memset(msg, 'x', 76);
		strcpy(msg + 76, "\n");
		snprintf(want, sizeof want, BANNER "| %.76s\r\nEOF\r\n", msg);
		CHECK_STR(render(msg, 64, 8192, false), want);
		memset(msg, 'x', 77);
		strcpy(msg + 77, "\n");
		snprintf(want, sizeof want, BANNER "| %.76s\r\n| x\r\nEOF\r\n", msg);
		CHECK_STR(render(msg, 64, 8192, false), want);
	}
	TEST("a TAB counts 8 columns: after 70 it goes to the next row") {
		memset(msg, 'x', 70);
		strcpy(msg + 70, "\ty\n");
		snprintf(want, sizeof want, BANNER "| %.70s\r\n| \ty\r\nEOF\r\n", msg);
		CHECK_STR(render(msg, 64, 8192, false), want);
	}
	TEST("an escape is never split across rows") {
		memset(msg, 'x', 75);
		strcpy(msg + 75, "\x1b\n");
		snprintf(want, sizeof want, BANNER "| %.75s\r\n| ^[\r\nEOF\r\n", msg);
		CHECK_STR(render(msg, 64, 8192, false), want);
		memset(msg, 'x', 73);
		strcpy(msg + 73, "\xe9\n");
		snprintf(want, sizeof want, BANNER "| %.73s\r\n| \\351\r\nEOF\r\n", msg);
		CHECK_STR(render(msg, 64, 8192, false), want);
	}
	TEST("a character beyond ASCII counts 2 columns (it may be wide)") {
		memset(msg, 'x', 75);
		strcpy(msg + 75, "\xe4\xb8\xad\n");
		snprintf(want, sizeof want, BANNER "| %.75s\r\n| \xe4\xb8\xad\r\nEOF\r\n", msg);
		CHECK_STR(render(msg, 64, 8192, true), want);
	}
}

/* The cut: at max_lines rows or max_bytes bytes as shown, prefixes included; a line
 * says how many bytes of the message were not shown. */
static void test_cut(void)
{
	TEST("max_lines: 2 rows shown, the rest counted")
		CHECK_STR(render("1\n2\n3\n", 2, 8192, false),
			  BANNER "| 1\r\n| 2\r\n[message cut: 2 more bytes not shown]\r\nEOF\r\n");
	TEST("max_lines: exactly enough rows, no cut line")
		CHECK_STR(render("1\n2\n", 2, 8192, false), BANNER "| 1\r\n| 2\r\nEOF\r\n");
	TEST("max_lines counts the rows a long line is broken into") {
		char msg[201];
		memset(msg, 'x', 200);
		msg[200] = '\0';
		const char *t = render(msg, 2, 8192, false);
		CHECK(strstr(t, "\r\n[message cut: 48 more bytes not shown]\r\nEOF\r\n") != NULL);
	}
	TEST("max_bytes: prefixes and escapes count; an escape is cut whole") {
		CHECK_STR(render("a\rb\n", 64, 5, false),
			  BANNER "| a^M\r\n[message cut: 2 more bytes not shown]\r\nEOF\r\n");
		CHECK_STR(render("ab\x9b" "c\n", 64, 6, false),
			  BANNER "| ab\r\n[message cut: 3 more bytes not shown]\r\nEOF\r\n");
	}
	TEST("max_bytes: a UTF-8 character is cut whole") {
		CHECK_STR(render("a\xc3\xa9", 64, 4, true),
			  BANNER "| a\r\n[message cut: 2 more bytes not shown]\r\nEOF\r\n");
		CHECK_STR(render("a\xc3\xa9", 64, 5, true), BANNER "| a\xc3\xa9\r\nEOF\r\n");
	}
	TEST("max_bytes 1: not even a prefix fits") {
		CHECK_STR(render("abc\n", 64, 1, false),
			  BANNER "[message cut: 4 more bytes not shown]\r\nEOF\r\n");
	}
	TEST("max_lines 1 and a message of one empty line: \"|\" and no cut")
		CHECK_STR(render("\n", 1, 8192, false), BANNER "|\r\nEOF\r\n");
}

static void test_errors(void)
{
	TEST("a spool shorter than its size: -1 (EIO), as a truncated spool") {
		struct buf out = BUF_INIT;
		int fd = memfd_create("spool", MFD_CLOEXEC);
		CHECK(write(fd, "abc", 3) == 3);
		struct tty_note note = { "s", "h", "c", 0, false };
		errno = 0;
		CHECK_INT(tty_render(&out, &note, fd, 10, 64, 8192), -1);
		CHECK_INT(errno, EIO);
		close(fd);
		buf_free(&out);
	}
	TEST("a spool that cannot be read: -1 with its errno") {
		struct buf out = BUF_INIT;
		struct tty_note note = { "s", "h", "c", 0, false };
		errno = 0;
		CHECK_INT(tty_render(&out, &note, -1, 10, 64, 8192), -1);
		CHECK_INT(errno, EBADF);
		buf_free(&out);
	}
}

/* ---------------------------------------------------------------- properties */

static uint32_t rng = 2463534242u;

static uint32_t rnd(void)	/* xorshift32: the same messages on every run */
{
	rng ^= rng << 13;
	rng ^= rng >> 17;
	rng ^= rng << 5;
	return rng;
}

/* A message that mixes what a hostile sender would: escapes, C1, UTF-8 good and bad,
 * TABs, long lines, bare CRs. */
static size_t random_message(char *m, size_t max)
{
	static const char *const pieces[] = {
		"\x1b[2J", "\x1b]0;x\a", "\x9b", "\r", "\n", "\n\n", "\t", "\xc3\xa9", "\xe2\x80\xae",
		"\xf0\x9f\x98\x80", "\xc3", "\xe2\x80", "\xed\xa0\x80", "\xc2\x85", "\x7f", "\0",
		"EOF\n", "Message from root\n", "| ", "^[", "\\033",
	};
	size_t n = 0, want = rnd() % max;
	while (n < want) {
		uint32_t r = rnd() % 100;
		if (r < 60) {
			m[n++] = (char)(' ' + rnd() % 95);
		} else if (r < 70) {
			m[n++] = (char)(rnd() % 256);
		} else {
			const char *p = pieces[rnd() % (sizeof pieces / sizeof pieces[0])];
			size_t k = *p ? strlen(p) : 1;
			if (n + k > max)
				break;
			memcpy(m + n, p, k);
			n += k;
		}
	}
	return n;
}

/* Columns of a shown row, as the renderer counts them. */
static size_t columns(const char *p, size_t n)
{
	size_t c = 0;
	for (size_t i = 0; i < n; i++) {
		unsigned char b = (unsigned char)p[i];
		c += b == '\t' ? 8 : b < 0x80 ? 1 : b >= 0xc0 ? 2 : 0;
	}
	return c;
}

/* What any rendering must be, whatever the message: true, or a reason in *why. */
static bool well_formed(const char *t, size_t tn, unsigned lines, unsigned bytes, bool utf8,
			size_t size, const char **why)
{
	if (strncmp(t, "\r\nMessage from ", 15) != 0)
		return *why = "no banner first", false;
	if (tn < 5 || strcmp(t + tn - 5, "EOF\r\n") != 0)
		return *why = "no EOF last", false;
	for (size_t i = 0; i < tn; i++) {
		unsigned char c = (unsigned char)t[i];
		if (c == '\r' && t[i + 1] != '\n')
			return *why = "a CR without LF", false;
		if (c == '\n' && (i == 0 || t[i - 1] != '\r'))
			return *why = "an LF without CR", false;
		if ((c < 0x20 && c != '\r' && c != '\n' && c != '\t') || c == 0x7f)
			return *why = "a control character reached the terminal", false;
		if (c >= 0x80) {
			unsigned cp;
			size_t k = utf8 ? utf8_next((const unsigned char *)t + i, tn - i, &cp) : 0;
			if (!k || !utf8_printable(cp))
				return *why = "a byte beyond ASCII that is no printable UTF-8", false;
			i += k - 1;
		}
	}
	const char *body = body_of(t), *end = t + tn - 5, *p = body;
	size_t rows = 0, shown = 0;
	bool cut = false;
	while (p < end) {
		const char *e = strstr(p, "\r\n");
		if (strncmp(p, "[message cut: ", 14) == 0) {
			unsigned long long rest = strtoull(p + 14, NULL, 10);
			if (rest == 0 || rest > size || e + 2 != end)
				return *why = "a wrong cut line", false;
			cut = true;
			break;
		}
		if (!(e - p == 1 && *p == '|') && strncmp(p, TTY_PREFIX, 2) != 0)
			return *why = "a row of the message without the prefix", false;
		if (e - p > 2 && columns(p + 2, (size_t)(e - p - 2)) > TTY_WRAP_COLUMNS)
			return *why = "a row wider than TTY_WRAP_COLUMNS", false;
		rows++;
		shown += (size_t)(e + 2 - p);
		p = e + 2;
	}
	if (rows > lines)
		return *why = "more rows than max_lines", false;
	/* The closing CRLF of a row cut in the middle is not counted (render.c). */
	if (shown > bytes + 2)
		return *why = "more bytes than max_bytes", false;
	if (!cut && p != end)
		return *why = "rows after the cut line", false;
	return true;
}

static void test_properties(void)
{
	static char msg[3000];
	TEST("3000 random messages: only our rows start a line, nothing unescaped, within the limits") {
		size_t bad = 0;
		for (int i = 0; i < 3000; i++) {
			size_t n = random_message(msg, sizeof msg);
			unsigned lines = 1 + rnd() % 12, bytes = 1 + rnd() % 700;
			bool utf8 = rnd() % 2;
			const char *t = render_n(msg, n, "s", "h", "c", 0, lines, bytes, utf8);
			const char *why;
			/* ... and the parent, checking by ttytext.h's rule, lets it through. */
			if ((!well_formed(t, strlen(t), lines, bytes, utf8, n, &why) ||
			     (why = ttytext_check(t, strlen(t)))) && bad++ < 3) {
				char safe[200];
				unit_safe(safe, sizeof safe, msg, n < 60 ? n : 60);
				printf("# message %d (%zu bytes, %u lines, %u bytes, utf8 %d): %s\n#   %s\n",
				       i, n, lines, bytes, utf8, why, safe);
			}
		}
		CHECK_INT(bad, 0);
	}
	/* Without line ends, '^' or '\\' the shown text can be read back: every byte
	 * shown is the message's next byte, and the cut line counts exactly the rest. */
	TEST("500 random lines read back from what is shown: nothing lost, the cut count exact") {
		size_t bad = 0;
		for (int i = 0; i < 500; i++) {
			size_t n = rnd() % 600;
			for (size_t k = 0; k < n; k++) {
				char c = (char)(rnd() % 256);
				msg[k] = c == '\n' || c == '^' || c == '\\' ? 'z' : c;
			}
			unsigned lines = 1 + rnd() % 10, bytes = 1 + rnd() % 900;
			const char *t = render_n(msg, n, "s", "h", "c", 0, lines, bytes, false);
			const char *p = body_of(t);
			size_t got = 0, rest = 0;
			bool ok = true;
			while (ok && strncmp(p, "EOF\r\n", 5) != 0) {
				if (strncmp(p, "[message cut: ", 14) == 0) {
					rest = strtoull(p + 14, NULL, 10);
					break;
				}
				const char *e = strstr(p, "\r\n");
				for (const char *s = p + 2; s < e && ok; s++) {
					unsigned char c;
					if (*s == '^')
						c = (unsigned char)(s[1] ^ 0x40), s++;
					else if (*s == '\\')
						c = (unsigned char)((s[1] - '0') << 6 | (s[2] - '0') << 3 |
								    (s[3] - '0')), s += 3;
					else
						c = (unsigned char)*s;
					ok = got < n && (unsigned char)msg[got++] == c;
				}
				p = e + 2;
			}
			if (!ok || got + rest != n)
				bad++;
		}
		CHECK_INT(bad, 0);
	}
}

int main(void)
{
	setenv("TZ", "UTC0", 1);	/* "at 00:00" for the time 0 */
	tzset();
	test_plain();
	test_escapes();
	test_utf8();
	test_banner();
	test_wrap();
	test_cut();
	test_errors();
	test_properties();
	return unit_done();
}
