/* test-proxy.c: proxy.c through proxy.h, the PROXY protocol header (HAProxy's
 * proxy-protocol.txt, "the spec": 2.1 version 1, 2.2 version 2).  proxy_read() reads
 * from a descriptor, so each header is written into a socketpair (and the writing
 * side shut down where the test is about the end of the stream); the parser must
 * consume exactly the header, leaving what follows (SMTP, or a TLS handshake) in the
 * socket.  tests/proxy.bats does the same end to end with proxyclient.py and a real
 * HAProxy; the cases here are those and the spec's edges. */
#include <arpa/inet.h>
#include <poll.h>
#include <sys/socket.h>

#include "peer.h"
#include "proxy.h"
#include "config.h"
#include "unit.h"

static const char SIG[12] = "\r\n\r\n\0\r\nQUIT\n";

struct result {
	int rc;
	char client[64];
	const char *why;
	char after[64];	/* what was left in the socket */
};

/* proxy_read on these bytes, written whole; closed after them when eof.  What was
 * left unread is collected with a short poll (nothing is left unread by a refusal
 * that ends the connection: it is collected anyway). */
static struct result run(const void *p, size_t n, bool eof, unsigned timeout_ms)
{
	int sv[2];
	struct result r = { .rc = 99, .client = "untouched", .why = NULL };
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) == -1 ||
	    write(sv[0], p, n) != (ssize_t)n) {
		perror("socketpair");
		exit(2);
	}
	if (eof)
		shutdown(sv[0], SHUT_WR);
	r.rc = proxy_read(sv[1], timeout_ms, r.client, sizeof r.client, &r.why);
	size_t got = 0;
	struct pollfd pfd = { sv[1], POLLIN, 0 };
	while (got < sizeof r.after - 1 && poll(&pfd, 1, 0) == 1) {
		ssize_t k = read(sv[1], r.after + got, sizeof r.after - 1 - got);
		if (k <= 0)
			break;
		got += (size_t)k;
	}
	r.after[got] = '\0';
	close(sv[0]);
	close(sv[1]);
	return r;
}

static struct result run_s(const char *s, bool eof)
{
	return run(s, strlen(s), eof, 1000);
}

/* A version 2 header: command byte, family byte, then body (n bytes). */
static size_t v2(unsigned char *out, unsigned char cmd, unsigned char fam, const void *body,
		 size_t n)
{
	memcpy(out, SIG, 12);
	out[12] = cmd;
	out[13] = fam;
	out[14] = (unsigned char)(n >> 8);
	out[15] = (unsigned char)n;
	memcpy(out + 16, body, n);
	return 16 + n;
}

/* ---------------------------------------------------------------- version 1 */

static void test_v1(void)
{
	static const struct {
		const char *line;
		int rc;
		const char *client;
		const char *what;
	} ok[] = {
		{ "PROXY TCP4 192.0.2.7 127.0.0.1 40000 25\r\n", 1, "192.0.2.7", "TCP4" },
		{ "PROXY TCP6 2001:db8::7 2001:db8::1 40000 25\r\n", 1, "2001:db8::7", "TCP6" },
		{ "PROXY TCP6 ::ffff:192.0.2.8 ::ffff:192.0.2.1 1 2\r\n", 1, "192.0.2.8",
		  "TCP6 with an IPv4-mapped address, shown as IPv4 (peer.h)" },
		{ "PROXY TCP4 192.0.2.7 127.0.0.1 0 65535\r\n", 1, "192.0.2.7", "ports 0 and 65535" },
		{ "PROXY UNKNOWN\r\n", 0, "untouched", "UNKNOWN: the socket's address stands" },
		{ "PROXY UNKNOWN ffff::1 ffff::2 1 2\r\n", 0, "untouched",
		  "UNKNOWN with addresses, which are ignored (spec 2.1)" },
		{ "PROXY UNKNOWN anything at all\r\n", 0, "untouched", "UNKNOWN with anything after it" },
	};
	for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++)
		TEST("v1 %s", ok[i].what) {
			char in[256];
			snprintf(in, sizeof in, "%sEHLO h\r\n", ok[i].line);
			struct result r = run_s(in, false);
			CHECK_INT(r.rc, ok[i].rc);
			CHECK_STR(r.client, ok[i].client);
			CHECK_STR(r.after, "EHLO h\r\n");	/* byte-exact: the rest stays */
		}

	static const struct {
		const char *line;
		const char *why;
		const char *what;
	} bad[] = {
		{ "PROXY TCP4 192.0.2.7 127.0.0.1 99999 25\r\n", "version 1: a port that is no number",
		  "a port over 65535" },
		{ "PROXY TCP4 192.0.2.7 127.0.0.1 65536 25\r\n", "version 1: a port that is no number",
		  "port 65536" },
		{ "PROXY TCP4 192.0.2.7 127.0.0.1 0400 25\r\n", "version 1: a port that is no number",
		  "a port with a leading zero" },
		{ "PROXY TCP4 192.0.2.7 127.0.0.1 1 -25\r\n", "version 1: a port that is no number",
		  "a negative port" },
		{ "PROXY TCP4 192.0.2.7 127.0.0.1 +1 25\r\n", "version 1: a port that is no number",
		  "a port with a sign" },
		{ "PROXY TCP4 192.0.2.7 127.0.0.1 123456 25\r\n", "version 1: a port that is no number",
		  "a port of six digits" },
		{ "PROXY TCP4 2001:db8::1 127.0.0.1 1 25\r\n", "version 1: an address that does not match",
		  "TCP4 with an IPv6 source" },
		{ "PROXY TCP6 192.0.2.7 2001:db8::1 1 25\r\n", "version 1: an address that does not match",
		  "TCP6 with an IPv4 source" },
		{ "PROXY TCP4 192.0.2.7 ::1 1 25\r\n", "version 1: an address that does not match",
		  "TCP4 with an IPv6 destination" },
		{ "PROXY TCP4 192.0.2.07 127.0.0.1 1 25\r\n", "version 1: an address that does not match",
		  "an IPv4 address with a leading zero" },
		{ "PROXY TCP4 192.0.2 127.0.0.1 1 25\r\n", "version 1: an address that does not match",
		  "an IPv4 address of three parts" },
		{ "PROXY TCP4  192.0.2.7 127.0.0.1 1 25\r\n", "version 1: fields not separated",
		  "two spaces" },
		{ "PROXY  TCP4 192.0.2.7 127.0.0.1 1 25\r\n", "version 1: fields not separated",
		  "two spaces after PROXY" },
		{ "PROXY TCP4 192.0.2.7 127.0.0.1 1 25 \r\n", "version 1: fields not separated",
		  "a trailing space" },
		{ "PROXY TCP4\t192.0.2.7 127.0.0.1 1 25\r\n", "version 1: not TCP4, TCP6 or UNKNOWN",
		  "a TAB for a space" },
		{ "PROXY TCP5 192.0.2.7 127.0.0.1 1 25\r\n", "version 1: not TCP4, TCP6 or UNKNOWN",
		  "protocol TCP5" },
		{ "PROXY tcp4 192.0.2.7 127.0.0.1 1 25\r\n", "version 1: not TCP4, TCP6 or UNKNOWN",
		  "the protocol in lowercase" },
		{ "PROXY UNKNOWNX\r\n", "version 1: not TCP4, TCP6 or UNKNOWN", "UNKNOWNX" },
		{ "PROXY TCP4 192.0.2.7 127.0.0.1 1\r\n", "version 1: not TCP4, TCP6 or UNKNOWN",
		  "a field missing" },
		{ "PROXY TCP4 192.0.2.7 127.0.0.1 1 25 26\r\n", "version 1: not TCP4, TCP6 or UNKNOWN",
		  "a field too many" },
		{ "PROXY \r\n", "version 1: fields not separated", "nothing after PROXY" },
		{ "PROXY UNKNOWN\n", "version 1: line not ended by CRLF", "a bare LF" },
		{ "PROXY TCP4 192.0.2.7 127.0.0.1 1 25\r\r\n", "version 1: a port that is no number",
		  "CR CR LF (the CR is part of the last field)" },
		{ "proxy TCP4 192.0.2.7 127.0.0.1 1 25\r\n", "no PROXY header", "PROXY in lowercase" },
		{ "EHLO client.example.org\r\n", "no PROXY header", "no header at all: SMTP first" },
		{ "\x16\x03\x01\x02\x05\x01", "no PROXY header", "no header at all: a TLS ClientHello" },
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		TEST("v1 refused: %s", bad[i].what) {
			struct result r = run_s(bad[i].line, true);
			CHECK_INT(r.rc, -1);
			CHECK(r.why && strncmp(r.why, bad[i].why, strlen(bad[i].why)) == 0);
			CHECK_STR(r.client, "untouched");
		}

	TEST("v1 refused: a NUL byte in the line") {
		static const char line[] = "PROXY TCP4 192.0.2.7\0 127.0.0.1 1 25\r\n";
		struct result r = run(line, sizeof line - 1, true, 1000);
		CHECK_INT(r.rc, -1);
		CHECK_STR(r.why, "version 1: a NUL byte in the line");
	}
	/* Spec 2.1: at most 107 bytes, CRLF included. */
	TEST("v1: a line of 107 bytes is taken, 108 refused (spec 2.1)") {
		char line[200], xs[100];
		memset(xs, 'x', 99);
		xs[99] = '\0';
		snprintf(line, sizeof line, "PROXY UNKNOWN %.91s\r\n", xs);
		CHECK_INT(strlen(line), PROXY_V1_MAX);
		struct result r = run_s(line, false);
		CHECK_INT(r.rc, 0);
		snprintf(line, sizeof line, "PROXY UNKNOWN %.92s\r\n", xs);
		CHECK_INT(strlen(line), PROXY_V1_MAX + 1);
		r = run_s(line, false);
		CHECK_INT(r.rc, -1);
		CHECK_STR(r.why, "version 1: line too long");
	}
	TEST("v1: the longest real line (TCP6, full addresses, 5-digit ports) fits") {
		const char *line = "PROXY TCP6 ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff "
				   "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff 65535 65535\r\n";
		CHECK(strlen(line) <= PROXY_V1_MAX);
		struct result r = run_s(line, false);
		CHECK_INT(r.rc, 1);
		CHECK_STR(r.client, "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff");
	}
	TEST("v1: a line that never ends is refused at 107 bytes, nothing more read") {
		char line[300];
		memset(line, 'x', sizeof line);
		memcpy(line, "PROXY TCP4 ", 11);
		struct result r = run(line, sizeof line, false, 1000);
		CHECK_INT(r.rc, -1);
		CHECK_STR(r.why, "version 1: line too long");
		CHECK_INT(strlen(r.after), 63);	/* collected up to its buffer: bytes were left */
	}
	TEST("v1: the client's address fits in a small buffer only as far as it goes") {
		int sv[2];
		char small[8];
		const char *why = NULL;
		const char *line = "PROXY TCP4 192.0.2.123 127.0.0.1 1 25\r\n";
		CHECK(socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0);
		CHECK(write(sv[0], line, strlen(line)) == (ssize_t)strlen(line));
		CHECK_INT(proxy_read(sv[1], 1000, small, sizeof small, &why), 1);
		CHECK_STR(small, "192.0.2");	/* snprintf: cut, terminated */
		close(sv[0]);
		close(sv[1]);
	}
}

/* ---------------------------------------------------------------- version 2 */

static void test_v2(void)
{
	unsigned char h[2048], body[1100];
	struct result r;
	/* Spec 2.2: IPv4 addresses (4 + 4) and ports (2 + 2), 12 bytes. */
	static const unsigned char a4[12] = { 192, 0, 2, 7, 192, 0, 2, 1, 0x9c, 0x40, 0, 25 };
	unsigned char a6[36] = { 0 };
	inet_pton(AF_INET6, "2001:db8::7", a6);
	inet_pton(AF_INET6, "2001:db8::1", a6 + 16);

	TEST("v2 PROXY TCP4") {
		size_t n = v2(h, 0x21, 0x11, a4, 12);
		memcpy(h + n, "EHLO h\r\n", 8);
		r = run(h, n + 8, false, 1000);
		CHECK_INT(r.rc, 1);
		CHECK_STR(r.client, "192.0.2.7");
		CHECK_STR(r.after, "EHLO h\r\n");
	}
	TEST("v2 PROXY TCP6 with 300 bytes of TLVs (skipped)") {
		memcpy(body, a6, 36);
		for (size_t k = 0; k < 300; k += 100) {	/* PP2_TYPE_NOOP records */
			body[36 + k] = 0x04;
			body[37 + k] = 0;
			body[38 + k] = 97;
			memset(body + 39 + k, 'x', 97);
		}
		size_t n = v2(h, 0x21, 0x21, body, 336);
		memcpy(h + n, "\x16\x03\x01", 3);	/* a TLS record follows (implicit TLS) */
		r = run(h, n + 3, false, 1000);
		CHECK_INT(r.rc, 1);
		CHECK_STR(r.client, "2001:db8::7");
		CHECK_STR(r.after, "\x16\x03\x01");
	}
	TEST("v2 PROXY TCP6 with an IPv4-mapped address, shown as IPv4") {
		unsigned char m[36] = { 0 };
		inet_pton(AF_INET6, "::ffff:192.0.2.8", m);
		r = run(h, v2(h, 0x21, 0x21, m, 36), false, 1000);
		CHECK_INT(r.rc, 1);
		CHECK_STR(r.client, "192.0.2.8");
	}
	static const struct {
		unsigned char cmd, fam;
		size_t len;
		const char *what;
	} local[] = {
		{ 0x20, 0x00, 0, "LOCAL, family unspecified (a health check)" },
		{ 0x20, 0x11, 12, "LOCAL with TCP4 addresses: they are not the client's" },
		{ 0x21, 0x00, 0, "PROXY with an unspecified family" },
		{ 0x21, 0x31, 216, "PROXY over a Unix socket (no IP address)" },
		{ 0x21, 0x32, 216, "PROXY over a Unix datagram socket" },
	};
	for (size_t i = 0; i < sizeof local / sizeof local[0]; i++)
		TEST("v2 %s: 0, the socket's address stands", local[i].what) {
			memset(body, 0, sizeof body);
			memcpy(body, a4, 12);
			size_t n = v2(h, local[i].cmd, local[i].fam, body, local[i].len);
			memcpy(h + n, "QUIT\r\n", 6);
			r = run(h, n + 6, false, 1000);
			CHECK_INT(r.rc, 0);
			CHECK_STR(r.client, "untouched");
			CHECK_STR(r.after, "QUIT\r\n");
		}

	static const struct {
		unsigned char cmd, fam;
		size_t len;
		const char *why;
		const char *what;
	} bad[] = {
		{ 0x31, 0x11, 12, "version 2: unknown version or command", "version 3" },
		{ 0x11, 0x11, 12, "version 2: unknown version or command", "version 1 in a v2 header" },
		{ 0x22, 0x11, 12, "version 2: unknown version or command", "command 2" },
		{ 0x2f, 0x11, 12, "version 2: unknown version or command", "command 15" },
		{ 0x21, 0x12, 12, "version 2: not TCP over IPv4 or IPv6", "UDP over IPv4" },
		{ 0x21, 0x22, 36, "version 2: not TCP over IPv4 or IPv6", "UDP over IPv6" },
		{ 0x21, 0x10, 12, "version 2: not TCP over IPv4 or IPv6", "IPv4, transport unspecified" },
		{ 0x21, 0x41, 12, "version 2: not TCP over IPv4 or IPv6", "family 4" },
		{ 0x21, 0x11, 11, "version 2: addresses cut short", "TCP4 with 11 bytes" },
		{ 0x21, 0x11, 8, "version 2: addresses cut short", "TCP4 without ports" },
		{ 0x21, 0x21, 35, "version 2: addresses cut short", "TCP6 with 35 bytes" },
		{ 0x21, 0x21, 12, "version 2: addresses cut short", "TCP6 with IPv4's 12 bytes" },
		{ 0x21, 0x11, 0, "version 2: addresses cut short", "TCP4 with no body" },
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		TEST("v2 refused: %s", bad[i].what) {
			memset(body, 0, sizeof body);
			memcpy(body, a4, 12);
			r = run(h, v2(h, bad[i].cmd, bad[i].fam, body, bad[i].len), true, 1000);
			CHECK_INT(r.rc, -1);
			CHECK_STR(r.why, bad[i].why);
			CHECK_STR(r.client, "untouched");
		}

	TEST("v2 refused: a signature wrong in its last byte") {
		size_t n = v2(h, 0x21, 0x11, a4, 12);
		h[11] = 'X';
		r = run(h, n, true, 1000);
		CHECK_INT(r.rc, -1);
		CHECK_STR(r.why, "version 2: bad signature");
	}
	/* Spec 2.2 allows up to 65535 bytes after the fixed part; we take
	 * PROXY_V2_LEN_MAX (config.h). */
	TEST("v2: a length of 1024 is taken, 1025 refused before its bytes are read") {
		memset(body, 0, sizeof body);
		memcpy(body, a4, 12);
		r = run(h, v2(h, 0x21, 0x11, body, PROXY_V2_LEN_MAX), false, 1000);
		CHECK_INT(r.rc, 1);
		CHECK_STR(r.client, "192.0.2.7");
		CHECK_STR(r.after, "");
		size_t n = v2(h, 0x21, 0x11, body, PROXY_V2_LEN_MAX + 1);
		r = run(h, n, false, 1000);
		CHECK_INT(r.rc, -1);
		CHECK_STR(r.why, "version 2: header too long");
		CHECK(strlen(r.after) > 0);	/* the body was not read */
	}
	TEST("v2: a length of 65535 is refused at once") {
		size_t n = v2(h, 0x21, 0x11, a4, 12);
		h[14] = h[15] = 0xff;
		r = run(h, n, false, 1000);
		CHECK_INT(r.rc, -1);
		CHECK_STR(r.why, "version 2: header too long");
	}
}

/* ---------------------------------------------------------------- the stream */

static void test_stream(void)
{
	struct result r;
	unsigned char h[64];
	static const unsigned char a4[12] = { 192, 0, 2, 7, 192, 0, 2, 1, 0, 1, 0, 25 };
	v2(h, 0x21, 0x11, a4, 12);	/* 28 bytes */

	TEST("closed before the first byte: -2 (a load balancer's TCP check)") {
		r = run("", 0, true, 1000);
		CHECK_INT(r.rc, -2);
		CHECK_STR(r.why, "closed before any byte (a TCP check)");
	}
	static const size_t cuts[] = { 1, 5, 6, 12, 15, 16, 20, 27 };
	for (size_t i = 0; i < sizeof cuts / sizeof cuts[0]; i++)
		TEST("v2 cut after %zu of 28 bytes, then closed: -1", cuts[i]) {
			r = run(h, cuts[i], true, 1000);
			CHECK_INT(r.rc, -1);
			CHECK_STR(r.why, "connection closed inside the header");
		}
	TEST("v1 cut inside the line, then closed: -1") {
		r = run_s("PROXY TCP4 1", true);
		CHECK_INT(r.rc, -1);
		CHECK_STR(r.why, "connection closed inside the header");
	}
	TEST("nothing sent within the time: -1, not -2 (the connection is still open)") {
		r = run("", 0, false, 50);
		CHECK_INT(r.rc, -1);
		CHECK_STR(r.why, "no complete header in time");
	}
	TEST("v2 cut after 20 bytes and the sender waits: refused when the time is up") {
		r = run(h, 20, false, 50);
		CHECK_INT(r.rc, -1);
		CHECK_STR(r.why, "no complete header in time");
	}
	TEST("v1 without its line end and the sender waits: refused when the time is up") {
		r = run("PROXY TCP4 192.0.2.7 127.0.0.1 1 25", 35, false, 50);
		CHECK_INT(r.rc, -1);
		CHECK_STR(r.why, "no complete header in time");
	}
	TEST("a header written a byte at a time is read whole") {
		int sv[2];
		char client[64] = "";
		const char *why = NULL;
		CHECK(socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0);
		fflush(NULL);
		pid_t pid = fork();
		if (pid == 0) {
			alarm(UNIT_TIMEOUT / 6);	/* never outlives its test */
			const char *s = "PROXY TCP6 2001:db8::9 2001:db8::1 1 25\r\nQUIT\r\n";
			for (; *s; s++) {
				if (write(sv[0], s, 1) != 1)
					_exit(1);
				usleep(200);
			}
			_exit(0);
		}
		close(sv[0]);
		CHECK_INT(proxy_read(sv[1], 2000, client, sizeof client, &why), 1);
		CHECK_STR(client, "2001:db8::9");
		char rest[16] = "";
		size_t got = 0;
		while (got < 6) {
			ssize_t k = read(sv[1], rest + got, sizeof rest - 1 - got);
			if (k <= 0)
				break;
			got += (size_t)k;
		}
		CHECK_STR(rest, "QUIT\r\n");
		waitpid(pid, NULL, 0);
		close(sv[1]);
	}
}

/* peer_local(): the one rule by which the session and the parent give loopback
 * rights, whatever a header says. */
static void test_local(void)
{
	TEST("peer_local: without --proxy, the socket's loopback address is local, nothing else") {
		CHECK(peer_local("127.0.0.1", PEER_DIRECT, NULL, false));
		CHECK(peer_local("::1", PEER_DIRECT, NULL, false));
		CHECK(!peer_local("192.0.2.7", PEER_DIRECT, NULL, false));
		CHECK(!peer_local("unknown", PEER_DIRECT, NULL, false));
	}
	TEST("peer_local: behind a proxy nobody is local without --proxy-trust-loopback") {
		CHECK(!peer_local("127.0.0.1", PEER_NAMED, "127.0.0.1", false));
		CHECK(!peer_local("127.0.0.1", PEER_NAMED, "::1", false));
		CHECK(!peer_local("127.0.0.1", PEER_UNNAMED, NULL, false));
		CHECK(!peer_local("127.0.0.1", PEER_UNSEEN, NULL, false));
	}
	TEST("peer_local: --proxy-trust-loopback: a named loopback client of a proxy on loopback") {
		CHECK(peer_local("127.0.0.1", PEER_NAMED, "127.0.0.1", true));
		CHECK(peer_local("127.0.0.1", PEER_NAMED, "::1", true));
		CHECK(!peer_local("127.0.0.1", PEER_NAMED, "192.0.2.7", true));
		CHECK(!peer_local("127.0.0.1", PEER_UNNAMED, NULL, true));	/* UNKNOWN, LOCAL, AF_UNIX */
		CHECK(!peer_local("192.0.2.1", PEER_NAMED, "127.0.0.1", true));	/* another host's */
		CHECK(peer_local("127.0.0.1", PEER_UNSEEN, NULL, true));
		CHECK(!peer_local("192.0.2.1", PEER_UNSEEN, NULL, true));
	}
	TEST("peer_local: the parent (PEER_UNSEEN) is never narrower than the session") {
		static const char *const socks[] = { "127.0.0.1", "::1", "192.0.2.1", "unknown" };
		static const char *const named[] = { "127.0.0.1", "::1", "192.0.2.7", "unknown" };
		for (int t = 0; t < 2; t++)
			for (size_t i = 0; i < 4; i++)
				for (size_t k = 0; k < 4; k++)
					for (int via = PEER_NAMED; via <= PEER_UNNAMED; via++)
						CHECK(!peer_local(socks[i], (enum peer_via)via, named[k], t) ||
						      peer_local(socks[i], PEER_UNSEEN, NULL, t));
	}
}

int main(void)
{
	test_v1();
	test_v2();
	test_stream();
	test_local();
	return unit_done();
}
