/* test-dsn.c: dsn.c through dsn.h: RFC 3461's NOTIFY (4.1), xtext (4), ENVID (4.4)
 * and ORCPT (4.2), and RFC 6533 3's utf-8 address type. */
#include "dsn.h"
#include "config.h"
#include "unit.h"

int main(void)
{
	unsigned n;
	char out[DSN_ORCPT_MAX + 1], big[DSN_ORCPT_MAX + 10];

	TEST("NOTIFY: a list in any order and case, or NEVER alone") {
		CHECK(dsn_notify_parse("SUCCESS", &n) && n == DSN_SUCCESS);
		CHECK(dsn_notify_parse("delay,Failure,SUCCESS", &n) && n == 7);
		CHECK(dsn_notify_parse("NEVER", &n) && n == DSN_NEVER);
	}
	TEST("NOTIFY: empty, unknown, repeated, NEVER with another, a stray comma") {
		CHECK(!dsn_notify_parse("", &n));
		CHECK(!dsn_notify_parse("SOMETIMES", &n));
		CHECK(!dsn_notify_parse("SUCCESS,SUCCESS", &n));
		CHECK(!dsn_notify_parse("NEVER,SUCCESS", &n));
		CHECK(!dsn_notify_parse("SUCCESS,", &n));
		CHECK(!dsn_notify_parse(",SUCCESS", &n));
		CHECK(!dsn_notify_parse("SUCCES", &n));
		CHECK(!dsn_notify_ok(DSN_NEVER | DSN_DELAY) && !dsn_notify_ok(16) && dsn_notify_ok(0));
	}
	TEST("NOTIFY as the sendmail option says it") {
		dsn_notify_text(DSN_SUCCESS | DSN_DELAY, out, sizeof out);
		CHECK_STR(out, "SUCCESS,DELAY");
		dsn_notify_text(DSN_NEVER, out, sizeof out);
		CHECK_STR(out, "NEVER");
	}
	TEST("xtext: +HH upper-case hex, printable ASCII but + and =") {
		CHECK(dsn_xtext_decode("a+2Bb+3Dc+20d", false, out, sizeof out));
		CHECK_STR(out, "a+b=c d");
		CHECK(!dsn_xtext_decode("a+2b", false, out, sizeof out));	/* lower case */
		CHECK(!dsn_xtext_decode("a+2", false, out, sizeof out));
		CHECK(!dsn_xtext_decode("a=b", false, out, sizeof out));
		CHECK(!dsn_xtext_decode("a b", false, out, sizeof out));
		CHECK(!dsn_xtext_decode("a+0Ab", false, out, sizeof out));	/* a line break */
		CHECK(!dsn_xtext_decode("a+7Fb", false, out, sizeof out));
		CHECK(!dsn_xtext_decode("b\xc3\xa9", false, out, sizeof out));
		CHECK(!dsn_xtext_decode("abcdef", false, out, 4));	/* does not fit */
	}
	TEST("ENVID: printable ASCII, at most DSN_ENVID_MAX") {
		CHECK(dsn_envid_ok("") && dsn_envid_ok("QQ 314159"));
		CHECK(!dsn_envid_ok("a\nb") && !dsn_envid_ok("b\xc3\xa9"));
		memset(big, 'e', DSN_ENVID_MAX + 1);
		big[DSN_ENVID_MAX + 1] = '\0';
		CHECK(!dsn_envid_ok(big));
		big[DSN_ENVID_MAX] = '\0';
		CHECK(dsn_envid_ok(big));
	}
	TEST("ORCPT: type;xtext decoded, the type kept as written") {
		CHECK(dsn_orcpt_parse("rfc822;bob+40example.org", false, out, sizeof out));
		CHECK_STR(out, "rfc822;bob@example.org");
		CHECK(dsn_orcpt_ok(out));
		CHECK(dsn_orcpt_parse("X-Foo;x", false, out, sizeof out));
		CHECK(!dsn_orcpt_parse("bob@example.org", false, out, sizeof out));
		CHECK(!dsn_orcpt_parse(";bob@example.org", false, out, sizeof out));
		CHECK(!dsn_orcpt_parse("rfc822;", false, out, sizeof out));
		CHECK(!dsn_orcpt_parse("rfc 822;x", false, out, sizeof out));
		CHECK(!dsn_orcpt_ok("rfc822;a\rb") && !dsn_orcpt_ok("rfc822;b\xc3\xa9"));
	}
	TEST("ORCPT utf-8 (RFC 6533 3): \\x{HEX} always, UTF-8 as it is after SMTPUTF8 only") {
		CHECK(dsn_orcpt_parse("utf-8;b\\x{E9}b@example.org", false, out, sizeof out));
		CHECK_STR(out, "utf-8;b\xc3\xa9" "b@example.org");
		CHECK(dsn_orcpt_ok(out));
		CHECK(!dsn_orcpt_parse("utf-8;b\xc3\xa9" "b@example.org", false, out, sizeof out));
		CHECK(dsn_orcpt_parse("utf-8;b\xc3\xa9" "b@example.org", true, out, sizeof out));
		CHECK(dsn_orcpt_parse("utf-8;a\\x{2B}b", false, out, sizeof out));
		CHECK_STR(out, "utf-8;a+b");
		CHECK(!dsn_orcpt_parse("utf-8;b\\x{D800}b", true, out, sizeof out));	/* surrogate */
		CHECK(!dsn_orcpt_parse("utf-8;b\\x{41}b", true, out, sizeof out));	/* plain ASCII */
		CHECK(!dsn_orcpt_parse("utf-8;b\\x{202E}b", true, out, sizeof out));	/* bidi */
		CHECK(!dsn_orcpt_parse("utf-8;b\\x{E9b", true, out, sizeof out));
		CHECK(!dsn_orcpt_parse("utf-8;b\\b", true, out, sizeof out));
		CHECK(!dsn_orcpt_parse("rfc822;b\xc3\xa9", true, out, sizeof out));
	}
	return unit_done();
}
