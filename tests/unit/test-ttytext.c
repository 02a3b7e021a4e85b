/* test-ttytext.c: ttytext.h, the one rule for what may reach a terminal, which the
 * root parent applies to whatever text a session process asks it to write (a
 * taken-over session could send anything).  What the renderer makes passes it (here,
 * and over 3000 random messages in test-render.c); the escapes a hostile session
 * would send, and rows that break the renderer's layout, do not. */
#include "ttytext.h"
#include "config.h"
#include "unit.h"

#define HEAD "\r\nMessage from s@example.org on h (c) at 00:00 ...\r\n"

static const char *check(const char *t)
{
	return ttytext_check(t, strlen(t));
}

static void test_good(void)
{
	TEST("the renderer's layout passes: banner, wrapped banner, rows, empty rows, cut, EOF") {
		CHECK(check(HEAD "EOF\r\n") == NULL);
		CHECK(check(HEAD TTY_BANNER_INDENT "more\r\n| a\tb\r\n|\r\n| \xc3\xa9\r\nEOF\r\n") == NULL);
		CHECK(check(HEAD "| a\r\n[message cut: 12 more bytes not shown]\r\nEOF\r\n") == NULL);
		CHECK(check(HEAD "[message cut: 1 more bytes not shown]\r\nEOF\r\n") == NULL);
	}
	TEST("the predicates: printable ASCII and TAB; printable UTF-8 beyond ASCII") {
		CHECK(ttytext_ascii_ok('a') && ttytext_ascii_ok(' ') && ttytext_ascii_ok('\t'));
		CHECK(!ttytext_ascii_ok(0x1b) && !ttytext_ascii_ok('\a') && !ttytext_ascii_ok('\r'));
		CHECK(!ttytext_ascii_ok('\n') && !ttytext_ascii_ok(0x7f) && !ttytext_ascii_ok(0));
		CHECK(ttytext_char_ok(0xe9) && ttytext_char_ok(0x1f600));
		CHECK(!ttytext_char_ok(0x9b) && !ttytext_char_ok(0x202e) && !ttytext_char_ok(0x41));
	}
}

/* The audit's four: a title, a clear screen, a fake banner, an OSC 52 clipboard write;
 * and the ways around the layout. */
static void test_bad(void)
{
	static const struct {
		const char *text, *what;
	} cases[] = {
		{ HEAD "| \x1b]0;pwned\a\r\nEOF\r\n", "a title escape (ESC ] 0;...BEL)" },
		{ HEAD "| \x1b[2J\r\nEOF\r\n", "a clear screen (ESC [ 2 J)" },
		{ HEAD "| a\r\nMessage from root@localhost\r\nEOF\r\n", "a fake banner row" },
		{ "\x1b[2J\r\nMessage from root@localhost on localhost (127.0.0.1) at 12:00 ...\r\nEOF\r\n",
		  "a clear screen before the banner" },
		{ HEAD "| \x1b]52;c;cm0gLXJmIH4K\a\r\nEOF\r\n", "an OSC 52 clipboard write" },
		{ HEAD "| \xc2\x9b" "2J\r\nEOF\r\n", "CSI as a C1 control in UTF-8" },
		{ HEAD "| \x9b" "2J\r\nEOF\r\n", "CSI as a raw byte" },
		{ HEAD "| a\xe2\x80\xae" "b\r\nEOF\r\n", "a bidi override" },
		{ HEAD "| a\rMessage from root\r\nEOF\r\n", "a bare CR inside a row" },
		{ HEAD "| a\nMessage from root\r\nEOF\r\n", "a bare LF" },
		{ HEAD "| a\b\b\bb\r\nEOF\r\n", "backspaces" },
		{ HEAD "|x\r\nEOF\r\n", "a row after '|' without the blank" },
		{ HEAD "| a\r\n    b\r\nEOF\r\n", "an indented row after a body row" },
		{ HEAD "EOF\r\n| after\r\nEOF\r\n", "rows after EOF" },
		{ HEAD "| a\r\n", "no EOF" },
		{ HEAD "| a\r\nEOF", "EOF without its CRLF" },
		{ "Message from x\r\nEOF\r\n", "no fresh line first" },
		{ "\r\nBroadcast message from root\r\nEOF\r\n", "another banner" },
		{ HEAD "[message cut: many more bytes not shown]\r\nEOF\r\n", "a cut line with words" },
		{ HEAD "[message cut: 1 more bytes not shown]\r\n[message cut: 1 more bytes not shown]"
		       "\r\nEOF\r\n", "two cut lines" },
		{ HEAD "[message cut: 1 more bytes not shown]\r\n| a\r\nEOF\r\n", "a row after the cut" },
		{ HEAD "| \xc3\r\nEOF\r\n", "a cut UTF-8 sequence" },
		{ "", "nothing" },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
		TEST("refused: %s", cases[i].what)
			CHECK(check(cases[i].text) != NULL);
	TEST("refused: a NUL byte inside a row (the length counts, not strlen)") {
		static const char t[] = HEAD "| a\0b\r\nEOF\r\n";
		CHECK(ttytext_check(t, sizeof t - 1) != NULL);
	}
}

int main(void)
{
	test_good();
	test_bad();
	return unit_done();
}
