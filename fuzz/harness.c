/* fuzz/harness.c: libFuzzer harness for the SMTP dialogue.
 *
 * Every input is one session, in this process (no fork, nothing written to disk).
 * Byte 0 picks the configuration (below); the rest is exactly what the client sends.
 * The real dialogue, session_run() in smtp-session.c (compiled unchanged; only its
 * main is renamed), reads it from memory as if it were the connection and writes its
 * replies and the message's spool to memory (the read(), poll(), write() and spool
 * doubles below), under a virtual clock.  The privileged operations are the doubles in priv-fake.c, which also check
 * what they are handed.  After the session the replies are checked for form: the
 * fuzzer stops on a crash, a sanitizer report, a leak, or a malformed reply.
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
 *                    (chunks[] below; 0: all there is; 8: up to each CR, LF or
 *                    '.'), so that lines and the end of data fall across reads
 *                    as they do over TCP.  The harness is linked with
 *                    -Wl,--wrap=read,--wrap=write,--wrap=poll (and the clock's).
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "config.h"

/* fuzz/priv-fake.c: the double of users_init(), which main.c runs before the fork. */
int fake_init(struct config *cfg, const char *as_user, const char **why);
/* fuzz/tls-fake.c: the plain stand-in for the TLS layer. */
struct tls *tls_fake(void);

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The connection lives in memory: the session's read(), poll() and write() on its two
 * descriptors never enter the kernel (in_fd and out_fd are memfds only so that the
 * descriptors exist and fstat() works).  A syscall per read() was half the time of an
 * execution: an input read one byte at a time cost two syscalls a byte. */
static int in_fd = -1, out_fd = -1;
static const uint8_t *in_p;	/* the client's bytes of this input */
static size_t in_len, in_off;
static size_t chunk;	/* the most one read() of in_fd returns; 0: no limit */
/* A read() ends after each CR, LF and '.': every split of a line end and of the end
 * of data ("\r|\n", "\r\n.|\r\n") and some inside lines, at the cost of a few reads a
 * line.  It stands where one byte per read() stood: that made as many reads as the
 * input had bytes, and such inputs were half the corpus and most of the time. */
#define AT_ENDS SIZE_MAX
static const size_t chunks[16] = { 0, 0, 0, 0, 0, 0, 0, 0, AT_ENDS, 7, 5, 13, 511, 1000,
				   1001, 4096 };
/* The replies: reserved once (pages are touched only as used), never malloc()ed, so
 * that an execution's mallocs and frees balance and libFuzzer's leak check stays
 * quiet.  More than this is a reply flood: a finding. */
#define OUT_MAX (64u << 20)
static char *out_p;
static size_t out_len;

/* The message's spool (spool.c: a memfd per message, sealed when complete) is in
 * memory too: while it is open, spool_id, a descriptor of /dev/null made once, stands
 * for it, and write(), pread(), lseek(), fcntl()'s seals and close() on it are served
 * here, so a message costs no memfd_create(), no write() per read of the input and
 * no close().  A write after F_SEAL_WRITE fails with EPERM as on a memfd. */
#define SPOOL_MAX (64u << 20)	/* beyond any --max-size the harness sets, plus a line */
static int spool_id = -1;
static bool spool_open, spool_sealed;
static char *spool_p;
static size_t spool_len, spool_pos;

/* The session's clock: CLOCK_MONOTONIC stands still during an execution but for the
 * sleeps, which move it on at once (the AUTH failure pause of sasl.c, --auth-delay).
 * So the pause costs nothing, the deadlines never expire by accident (the input is
 * all there), and an input runs the same each time.  Only while session_run() runs:
 * libFuzzer's own timers use the same functions. */
static bool in_session;
static struct timespec now_mono = { 1000000, 0 };

ssize_t __real_read(int fd, void *buf, size_t n);
ssize_t __wrap_read(int fd, void *buf, size_t n);
ssize_t __real_write(int fd, const void *buf, size_t n);
ssize_t __wrap_write(int fd, const void *buf, size_t n);
int __real_poll(struct pollfd *p, nfds_t n, int ms);
int __wrap_poll(struct pollfd *p, nfds_t n, int ms);
int __real_clock_gettime(clockid_t id, struct timespec *ts);
int __wrap_clock_gettime(clockid_t id, struct timespec *ts);
int __real_clock_nanosleep(clockid_t id, int flags, const struct timespec *t,
			   struct timespec *rem);
int __wrap_clock_nanosleep(clockid_t id, int flags, const struct timespec *t,
			   struct timespec *rem);

int __real_memfd_create(const char *name, unsigned flags);
int __wrap_memfd_create(const char *name, unsigned flags);
int __real_close(int fd);
int __wrap_close(int fd);
ssize_t __real_pread(int fd, void *buf, size_t n, off_t off);
ssize_t __wrap_pread(int fd, void *buf, size_t n, off_t off);
off_t __real_lseek(int fd, off_t off, int whence);
off_t __wrap_lseek(int fd, off_t off, int whence);
int __real_fcntl(int fd, int cmd, ...);
int __wrap_fcntl(int fd, int cmd, ...);

int __wrap_memfd_create(const char *name, unsigned flags)
{
	if (!in_session || strcmp(name, "smtp-session-spool") != 0)
		return __real_memfd_create(name, flags);
	if (spool_open)
		abort();	/* spool_open() closes the last one first */
	spool_open = true;
	spool_sealed = false;
	spool_len = spool_pos = 0;
	return spool_id;
}

int __wrap_close(int fd)
{
	if (fd != spool_id)
		return __real_close(fd);
	if (!spool_open)
		abort();	/* closed twice */
	spool_open = false;
	return 0;
}

ssize_t __wrap_pread(int fd, void *buf, size_t n, off_t off)
{
	if (fd != spool_id || !spool_open)
		return __real_pread(fd, buf, n, off);
	if (off < 0)
		return errno = EINVAL, -1;
	if ((size_t)off >= spool_len)
		return 0;
	if (n > spool_len - (size_t)off)
		n = spool_len - (size_t)off;
	memcpy(buf, spool_p + off, n);
	return (ssize_t)n;
}

off_t __wrap_lseek(int fd, off_t off, int whence)
{
	if (fd != spool_id || !spool_open)
		return __real_lseek(fd, off, whence);
	off_t base = whence == SEEK_SET ? 0 : whence == SEEK_CUR ? (off_t)spool_pos
		   : whence == SEEK_END ? (off_t)spool_len : -1;
	if (base < 0 || base + off < 0)
		return errno = EINVAL, -1;
	spool_pos = (size_t)(base + off);
	return (off_t)spool_pos;
}

int __wrap_fcntl(int fd, int cmd, ...)
{
	va_list ap;
	va_start(ap, cmd);
	long arg = va_arg(ap, long);	/* an int or a pointer: the real one reads the same */
	va_end(ap);
	if (fd != spool_id || !spool_open)
		return __real_fcntl(fd, cmd, arg);
	if (cmd == F_GET_SEALS)
		return spool_sealed ? F_SEAL_WRITE : 0;
	if (cmd != F_ADD_SEALS)
		abort();	/* nothing else is done to a spool */
	spool_sealed = spool_sealed || (arg & F_SEAL_WRITE);
	return 0;
}

static ssize_t spool_write(const void *buf, size_t n)
{
	if (spool_sealed)
		return errno = EPERM, -1;
	if (spool_pos > SPOOL_MAX || n > SPOOL_MAX - spool_pos)
		return errno = EFBIG, -1;
	memcpy(spool_p + spool_pos, buf, n);
	spool_pos += n;
	if (spool_pos > spool_len)
		spool_len = spool_pos;
	return (ssize_t)n;
}

ssize_t __wrap_read(int fd, void *buf, size_t n)
{
	if (fd != in_fd)
		return __real_read(fd, buf, n);
	if (n > in_len - in_off)
		n = in_len - in_off;
	if (chunk == AT_ENDS) {
		for (size_t i = 0; i < n; i++)
			if (in_p[in_off + i] == '\r' || in_p[in_off + i] == '\n' ||
			    in_p[in_off + i] == '.') {
				n = i + 1;
				break;
			}
	} else if (chunk && n > chunk) {
		n = chunk;
	}
	memcpy(buf, in_p + in_off, n);
	in_off += n;
	return (ssize_t)n;
}

ssize_t __wrap_write(int fd, const void *buf, size_t n)
{
	if (fd == spool_id && spool_open)
		return spool_write(buf, n);
	if (fd != out_fd)
		return __real_write(fd, buf, n);
	if (n > OUT_MAX - out_len) {
		fprintf(stderr, "harness: more than %u bytes of replies\n", OUT_MAX);
		abort();
	}
	memcpy(out_p + out_len, buf, n);
	out_len += n;
	return (ssize_t)n;
}

/* Both ends are always ready, as the memfds were: the input is all there (at its end
 * read() returns 0), and the replies always fit. */
int __wrap_poll(struct pollfd *p, nfds_t n, int ms)
{
	if (n != 1 || (p->fd != in_fd && p->fd != out_fd))
		return __real_poll(p, n, ms);
	p->revents = (short)(p->events & (POLLIN | POLLOUT));
	return p->revents ? 1 : 0;
}

int __wrap_clock_gettime(clockid_t id, struct timespec *ts)
{
	if (!in_session || id != CLOCK_MONOTONIC)
		return __real_clock_gettime(id, ts);
	*ts = now_mono;
	return 0;
}

int __wrap_clock_nanosleep(clockid_t id, int flags, const struct timespec *t,
			   struct timespec *rem)
{
	if (!in_session || id != CLOCK_MONOTONIC)
		return __real_clock_nanosleep(id, flags, t, rem);
	struct timespec to = *t;
	if (!(flags & TIMER_ABSTIME)) {
		to.tv_sec += now_mono.tv_sec;
		to.tv_nsec += now_mono.tv_nsec;
		if (to.tv_nsec >= 1000000000L)
			to.tv_sec++, to.tv_nsec -= 1000000000L;
	}
	if (to.tv_sec > now_mono.tv_sec ||
	    (to.tv_sec == now_mono.tv_sec && to.tv_nsec > now_mono.tv_nsec))
		now_mono = to;
	return 0;
}

/* The log lines are still formatted and scrubbed (log.c), then dropped here instead
 * of costing a write() each. */
static void no_log(int prio, const struct log_field *fields, const char *line)
{
	(void)prio, (void)fields, (void)line;
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc, (void)argv;
	in_fd = memfd_create("smtp-in", MFD_CLOEXEC);
	out_fd = memfd_create("smtp-out", MFD_CLOEXEC);
	out_p = mmap(NULL, OUT_MAX, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS |
		     MAP_NORESERVE, -1, 0);
	spool_p = mmap(NULL, SPOOL_MAX, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS |
		       MAP_NORESERVE, -1, 0);
	spool_id = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (in_fd == -1 || out_fd == -1 || out_p == MAP_FAILED || spool_p == MAP_FAILED ||
	    spool_id == -1) {
		perror("memfd_create");
		exit(1);
	}
	log_to_sink(no_log);
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
	in_p = data + 1;
	in_len = size - 1;
	in_off = out_len = 0;
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
		.auth_delay_ms = DEFAULT_AUTH_DELAY_MS,	/* a virtual pause: no time */
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
	now_mono = (struct timespec){ 1000000, 0 };	/* each input from the same start */
	in_session = true;
	session_run(&cfg, cfg.tls ? tls_fake() : NULL, refuse, in_fd, out_fd);
	in_session = false;
	if (spool_open) {	/* session_free() closes it: a descriptor leaked per session */
		fprintf(stderr, "harness: the session left its spool open\n");
		abort();
	}

	if (out_len == 0 && !cfg.proxy)
		abort();	/* there is always the greeting or a 421, but after a bad header */
	check_replies(out_p, out_len);
	return 0;
}
