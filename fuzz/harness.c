/* fuzz/harness.c: libFuzzer harness for the SMTP dialogue.
 *
 * Every input is one session.  Byte 0 picks the configuration (below); the rest is
 * exactly what the client sends.  The real dialogue, session_run() in smtp-session.c
 * (compiled unchanged; only its main is renamed), reads it from a memfd as if it were
 * the connection, and writes its replies to another memfd.  The privileged operations
 * are the doubles in priv-fake.c, which also check what they are handed.  After the
 * session the replies are checked for form: the fuzzer stops on a crash, a sanitizer
 * report, a leak, or a malformed reply.
 *
 * Byte 0:  bit 0  single-user mode (--user test)
 *          bit 1  --max-size 100   (the 552 paths)
 *          bit 2  --max-recipients 2 and --max-messages 2 (the 452 and 421 paths)
 *          bit 3  --user nosuchuser (start-up fails: the 421 path)
 *          bits 1-2 both set: --proxy, a PROXY header comes first (and may end
 *                    the session without any reply)
 *          bits 0 and 2 both set: --lmtp (RFC 2033)
 *          bits 4-5 both set: --require-auth;  bits 4 and 6 both set: --no-send
 *          bits 5-6 not both set: --tls starttls with the plain stand-in of
 *                    fuzz/tls-fake.c; bits 5 and 7 both set: --require-tls
 *          bits 4-7  how many bytes one read() of the connection returns at most
 *                    (chunks[] below; 0: all there is), so that lines and the
 *                    end of data fall across reads as they do over TCP.  The
 *                    harness is linked with -Wl,--wrap=read for that.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log.h"
#include "config.h"

/* fuzz/priv-fake.c: the double of users_init(), which main.c runs before the fork. */
int fake_init(struct config *cfg, const char *as_user, const char **why);
/* fuzz/tls-fake.c: the plain stand-in for the TLS layer. */
struct tls *tls_fake(void);

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int in_fd = -1, out_fd = -1;
static size_t chunk;	/* the most one read() of in_fd returns; 0: no limit */
static const size_t chunks[16] = { 0, 0, 0, 0, 0, 0, 0, 0, 1, 2, 5, 13, 511, 1000, 1001,
				   4096 };

ssize_t __real_read(int fd, void *buf, size_t n);
ssize_t __wrap_read(int fd, void *buf, size_t n);

ssize_t __wrap_read(int fd, void *buf, size_t n)
{
	if (fd == in_fd && chunk && n > chunk)
		n = chunk;
	return __real_read(fd, buf, n);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc, (void)argv;
	in_fd = memfd_create("smtp-in", MFD_CLOEXEC);
	out_fd = memfd_create("smtp-out", MFD_CLOEXEC);
	if (in_fd == -1 || out_fd == -1) {
		perror("memfd_create");
		exit(1);
	}
	log_open("/dev/null");	/* log lines are still formatted and scrubbed */
	unsetenv("TMPDIR");	/* the DATA spool is a memfd, as by default */
	signal(SIGPIPE, SIG_IGN);
	umask(077);
	return 0;
}

#define CHECK(cond) do { if (!(cond)) { \
	fprintf(stderr, "harness: malformed reply (%s) in:\n%.*s\n", #cond, (int)len, out); \
	abort(); } } while (0)

/* Every reply line: 3 digits, 2xx-5xx, '-' or ' ', printable ASCII, CRLF, at most 512
 * octets (RFC 5321 4.2, 4.5.3.1.5); a multiline reply keeps its code; nothing after
 * a 221 or 421, which end the session. */
static void check_replies(const char *out, size_t len)
{
	const char *p = out, *end = out + len;
	char cont[3] = { 0 };
	bool closed = false;
	while (p < end) {
		CHECK(!closed);
		const char *lf = memchr(p, '\n', (size_t)(end - p));
		CHECK(lf && lf > p && lf[-1] == '\r');
		size_t n = (size_t)(lf - p) + 1;
		CHECK(n >= 6 && n <= SMTP_LINE_MAX);
		CHECK(p[0] >= '2' && p[0] <= '5' && p[1] >= '0' && p[1] <= '9' &&
		      p[2] >= '0' && p[2] <= '9' && (p[3] == ' ' || p[3] == '-'));
		for (const char *c = p; c < lf - 1; c++)
			CHECK(*c >= ' ' && *c <= '~');
		CHECK(!cont[0] || memcmp(cont, p, 3) == 0);
		if (p[3] == '-')
			memcpy(cont, p, 3);
		else
			cont[0] = 0;
		closed = p[3] == ' ' && (memcmp(p, "221", 3) == 0 || memcmp(p, "421", 3) == 0);
		p = lf + 1;
	}
	CHECK(!cont[0]);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	uint8_t conf = data[0];
	chunk = chunks[conf >> 4];
	if (ftruncate(in_fd, 0) == -1 || ftruncate(out_fd, 0) == -1 ||
	    pwrite(in_fd, data + 1, size - 1, 0) != (ssize_t)(size - 1) ||
	    lseek(in_fd, 0, SEEK_SET) == -1 || lseek(out_fd, 0, SEEK_SET) == -1)
		abort();
	static char domains[] = ",smtp.tttest.com,tttest.com,localhost,";
	struct config cfg = {
		.hostname = "smtp.tttest.com",
		.domains = domains,
		.maildir = "Maildir",
		.postmaster = "root",
		.max_size = conf & 2 ? 100 : DEFAULT_MAX_SIZE,
		.max_rcpt = conf & 4 ? 2 : DEFAULT_MAX_RCPT,
		.max_messages = conf & 4 ? 2 : DEFAULT_MAX_MESSAGES,
		.timeout = 1,
		.session_timeout = DEFAULT_SESSION_TIMEOUT,
		.max_errors = DEFAULT_MAX_ERRORS,
		.auth = AUTH_ALWAYS,	/* the pipe is no loopback client: offer it anyway */
		.require_auth = (conf & 0x30) == 0x30,
		.pam_service = "smtp",
		.auth_delay_ms = 0,
		/* the pipe is no loopback client: any, or never */
		.send = (conf & 0x50) == 0x50 ? SEND_NEVER : SEND_ANY,
		.proxy = (conf & 6) == 6,
		.lmtp = (conf & 5) == 5,
		.tty_max_lines = DEFAULT_TTY_MAX_LINES,
		.tty_max_bytes = DEFAULT_TTY_MAX_BYTES,
		.tty_timeout = DEFAULT_TTY_TIMEOUT,
		.tls = (conf & 0x60) == 0x60 ? TLS_OFF : TLS_STARTTLS,
		.require_tls = (conf & 0xa0) == 0xa0 && (conf & 0x60) != 0x60,
	};
	const char *user = conf & 8 ? "nosuchuser" : conf & 1 ? "test" : NULL;
	const char *why;
	bool refuse = fake_init(&cfg, user, &why) == -1;	/* main.c's users_init() */
	session_run(&cfg, cfg.tls ? tls_fake() : NULL, refuse, in_fd, out_fd);

	off_t len = lseek(out_fd, 0, SEEK_END);
	if (len < 0 || (len == 0 && !cfg.proxy))
		abort();	/* there is always the greeting or a 421, but after a bad header */
	if (len == 0)
		return 0;
	char *out = mmap(NULL, (size_t)len, PROT_READ, MAP_PRIVATE, out_fd, 0);
	if (out == MAP_FAILED)
		abort();
	check_replies(out, (size_t)len);
	munmap(out, (size_t)len);
	return 0;
}
