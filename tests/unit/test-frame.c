/* test-frame.c: frame.c through frame.h, the frames between the session process and
 * the privileged parent (privsep.h), over a socketpair like main.c's: fields round
 * trip; the header is checked before any payload is read (a length over the maximum,
 * an unexpected type, a non-zero pad); a frame cut short, a getter past the end, a
 * string too long or holding a NUL, or a byte left over are all refused; one
 * descriptor may ride with a frame, never two. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sys/socket.h>
#include <sys/time.h>

#include "config.h"	/* before frame.h: FRAME_MAX is TTY_TEXT_MAX's */
#include "frame.h"
#include "unit.h"

static int sv[2] = { -1, -1 };

/* A fresh connected pair: sv[0] sends, sv[1] receives.  A read that would wait more
 * than a second fails with EAGAIN: a header wrongly taken makes frame_recv() wait for
 * a payload that never comes, and that must fail the test, not hang it. */
static void pair(void)
{
	struct timeval tv = { 1, 0 };
	if (sv[0] != -1)
		close(sv[0]), close(sv[1]);
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) == -1 ||
	    setsockopt(sv[1], SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv) == -1) {
		perror("socketpair");
		exit(2);
	}
}

/* Raw bytes onto the link, as a broken or hostile peer would write them. */
static void raw(const void *p, size_t n)
{
	if (write(sv[0], p, n) != (ssize_t)n) {
		perror("write");
		exit(2);
	}
}

static void header(uint32_t len, uint16_t type, uint16_t zero)
{
	struct frame_hdr h = { len, type, zero };
	raw(&h, sizeof h);
}

/* Open descriptors of this process. */
static int open_fds(void)
{
	int n = 0;
	DIR *d = opendir("/proc/self/fd");
	if (!d)
		return -1;
	while (readdir(d))
		n++;
	closedir(d);
	return n;
}

static void test_round_trip(void)
{
	struct frame out = FRAME_INIT, in = FRAME_INIT;
	pair();
	TEST("every field type round-trips, and frame_done() says the payload was read exactly") {
		static const char bin[] = { 'a', '\0', 'b', '\xff' };
		frame_begin(&out, 0x1234);
		frame_put_u32(&out, 0xdeadbeef);
		frame_put_u64(&out, 0x0123456789abcdefULL);
		frame_put_str(&out, "alice@example.org");
		frame_put_str(&out, "");
		frame_put_bytes(&out, bin, sizeof bin);
		CHECK_INT(frame_send(sv[0], &out, -1), 0);
		CHECK_INT(frame_recv(sv[1], &in, 1024, NULL), 0);
		CHECK_INT(in.type, 0x1234);
		CHECK_INT(in.fd, -1);
		CHECK(frame_get_u32(&in) == 0xdeadbeef);
		CHECK(frame_get_u64(&in) == 0x0123456789abcdefULL);
		char s[64];
		frame_get_str(&in, s, 63);
		CHECK_STR(s, "alice@example.org");
		frame_get_str(&in, s, 0);
		CHECK_STR(s, "");
		size_t n;
		const char *p = frame_get_bytes(&in, 4, &n);
		CHECK_MEM(p, n, bin, sizeof bin);
		CHECK(frame_done(&in));
	}
	TEST("frame_finish: the header says the payload's length, the type, and a zero pad") {
		frame_begin(&out, 7);
		frame_put_u32(&out, 1);
		frame_put_str(&out, "xyz");
		frame_finish(&out);
		struct frame_hdr h;
		CHECK_INT(out.b.len, sizeof h + 4 + 4 + 3);
		memcpy(&h, out.b.p, sizeof h);
		CHECK_INT(h.len, 11);
		CHECK_INT(h.type, 7);
		CHECK_INT(h.zero, 0);
	}
	TEST("frame_send wipes the frame it sent (it may hold a password)") {
		frame_begin(&out, 9);
		frame_put_str(&out, "hunter2");
		size_t len = out.b.len;
		CHECK_INT(frame_send(sv[0], &out, -1), 0);
		CHECK_INT(out.b.len, 0);
		size_t nonzero = 0;
		for (size_t i = 0; i < len; i++)
			nonzero += out.b.p[i] != 0;
		CHECK_INT(nonzero, 0);
		CHECK_INT(frame_recv(sv[1], &in, 64, NULL), 0);
		char s[16];
		frame_get_str(&in, s, 15);
		CHECK_STR(s, "hunter2");
		CHECK(frame_done(&in));
		frame_clear(&in);	/* wipes the received payload too */
		CHECK(in.b.p[0] == 0 && memcmp(in.b.p, "\0\0\0\0\0\0\0\0\0\0\0", 11) == 0);
	}
	TEST("an empty payload of the largest type") {
		frame_begin(&out, 0xffff);
		CHECK_INT(frame_send(sv[0], &out, -1), 0);
		CHECK_INT(frame_recv(sv[1], &in, 0, NULL), 0);
		CHECK_INT(in.type, 0xffff);
		CHECK_INT(in.b.len, 0);
		CHECK(frame_done(&in));
	}
	TEST("frame_send_raw: two finished frames in one write are read as two") {
		struct buf two = BUF_INIT;
		for (uint32_t i = 1; i <= 2; i++) {
			frame_begin(&out, (uint16_t)(10 + i));
			frame_put_u32(&out, i * 100);
			frame_finish(&out);
			buf_add(&two, out.b.p, out.b.len);
		}
		CHECK_INT(frame_send_raw(sv[0], two.p, two.len, -1), 0);
		for (uint32_t i = 1; i <= 2; i++) {
			CHECK_INT(frame_recv(sv[1], &in, 4, NULL), 0);
			CHECK_INT(in.type, 10 + i);
			CHECK_INT(frame_get_u32(&in), i * 100);
			CHECK(frame_done(&in));
		}
		buf_free(&two);
	}
	TEST("a clean end of the link before a header: -1 with errno 0") {
		close(sv[0]);
		sv[0] = open("/dev/null", O_RDONLY);	/* keeps pair() simple */
		errno = EINVAL;
		CHECK_INT(frame_recv(sv[1], &in, 64, NULL), -1);
		CHECK_INT(errno, 0);
	}
	frame_free(&out);
	frame_free(&in);
}

/* The payload's size is judged on the header: only a header is sent here, and
 * frame_recv must answer without waiting for a payload that never comes. */
static size_t limit_of(uint16_t type)
{
	return type == 1 ? 16 : type == 2 ? FRAME_MAX : 0;
}

static void test_bounds(void)
{
	struct frame in = FRAME_INIT;
	static const struct {
		uint32_t len;
		uint16_t type, zero;
		size_t max;
		bool limit;
		const char *what;
	} bad[] = {
		{ 65, 1, 0, 64, false, "a length one over the maximum" },
		{ 0xffffffff, 1, 0, 64, false, "a length of 2^32 - 1" },
		{ FRAME_MAX + 1, 1, 0, (size_t)-1, false, "a length over FRAME_MAX, whatever max says" },
		{ 0, 1, 1, 64, false, "a non-zero pad" },
		{ 0, 1, 0x8000, 64, false, "a pad with its high bit set" },
		{ 0, 3, 0, 64, true, "a type the limit does not expect (0)" },
		{ 17, 1, 0, 64, true, "a length over the type's limit" },
		{ FRAME_MAX + 1, 2, 0, 0, true, "a length over FRAME_MAX for a type allowed FRAME_MAX" },
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		TEST("frame_recv refuses %s (EPROTO) on the header alone", bad[i].what) {
			pair();
			header(bad[i].len, bad[i].type, bad[i].zero);
			errno = 0;
			CHECK_INT(frame_recv(sv[1], &in, bad[i].max, bad[i].limit ? limit_of : NULL), -1);
			CHECK_INT(errno, EPROTO);
		}
	TEST("a length equal to the maximum is taken") {
		pair();
		header(64, 1, 0);
		raw(memset((char[64]){ 0 }, 'x', 64), 64);
		CHECK_INT(frame_recv(sv[1], &in, 64, NULL), 0);
		CHECK_INT(in.b.len, 64);
	}
	TEST("a length equal to the type's limit is taken (limit overrides max)") {
		pair();
		header(16, 1, 0);
		raw("0123456789abcdef", 16);
		CHECK_INT(frame_recv(sv[1], &in, 0, limit_of), 0);
		CHECK_INT(in.b.len, 16);
	}

	static const struct {
		size_t send;
		const char *what;
	} cut[] = {
		{ 1, "a header cut after 1 byte" },
		{ 7, "a header cut after 7 bytes" },
		{ 8, "a payload of 10 with none of it" },
		{ 17, "a payload of 10 cut after 9 bytes" },
	};
	for (size_t i = 0; i < sizeof cut / sizeof cut[0]; i++)
		TEST("frame_recv refuses %s, then the end (EPROTO)", cut[i].what) {
			pair();
			char whole[18];
			struct frame_hdr h = { 10, 1, 0 };
			memcpy(whole, &h, sizeof h);
			memcpy(whole + 8, "0123456789", 10);
			raw(whole, cut[i].send);
			shutdown(sv[0], SHUT_WR);
			errno = 0;
			CHECK_INT(frame_recv(sv[1], &in, 64, NULL), -1);
			CHECK_INT(errno, EPROTO);
		}

	TEST("the largest frame, FRAME_MAX bytes, round-trips (written by a child)") {
		pair();
		fflush(NULL);
		pid_t pid = fork();
		if (pid == 0) {
			alarm(UNIT_TIMEOUT / 6);	/* never outlives its test */
			struct frame big = FRAME_INIT;
			frame_begin(&big, 2);
			char *p = buf_extend(&big.b, FRAME_MAX - 4);
			for (size_t k = 0; k < FRAME_MAX - 4; k++)
				p[k] = (char)('a' + k % 26);
			frame_put_u32(&big, 0x55aa55aa);
			_exit(frame_send(sv[0], &big, -1) == 0 ? 0 : 1);
		}
		CHECK_INT(frame_recv(sv[1], &in, 0, limit_of), 0);
		CHECK_INT(in.b.len, FRAME_MAX);
		size_t wrong = 0;
		const char *p = in.b.p;
		for (size_t k = 0; k < FRAME_MAX - 4; k++)
			wrong += p[k] != (char)('a' + k % 26);
		CHECK_INT(wrong, 0);
		in.pos = FRAME_MAX - 4;
		CHECK(frame_get_u32(&in) == 0x55aa55aa);
		CHECK(frame_done(&in));
		int st;
		CHECK(waitpid(pid, &st, 0) == pid && WIFEXITED(st) && WEXITSTATUS(st) == 0);
	}
	frame_free(&in);
}

/* A received payload of these bytes. */
static void payload(struct frame *in, const void *p, size_t n)
{
	pair();
	header((uint32_t)n, 5, 0);
	raw(p, n);
	if (frame_recv(sv[1], in, 256, NULL) != 0) {
		perror("frame_recv");
		exit(2);
	}
}

/* The getters: strict, as OpenSMTPD's mproc getters are. */
static void test_getters(void)
{
	struct frame in = FRAME_INIT;
	TEST("a getter past the end marks the frame bad and gives 0") {
		payload(&in, "\1\0\0", 3);
		CHECK_INT(frame_get_u32(&in), 0);
		CHECK(in.bad);
		CHECK(!frame_done(&in));
	}
	TEST("after a failed getter every getter fails, even one that would fit") {
		payload(&in, "\1\0\0\0\2\0\0\0", 8);
		CHECK(frame_get_u64(&in) != 0);
		CHECK_INT(frame_get_u32(&in), 0);	/* past the end */
		in.pos = 0;
		CHECK_INT(frame_get_u32(&in), 0);	/* bad sticks */
		CHECK(!frame_done(&in));
	}
	TEST("a byte left over: frame_done() is false") {
		payload(&in, "\1\0\0\0\xff", 5);
		CHECK_INT(frame_get_u32(&in), 1);
		CHECK(!in.bad);
		CHECK(!frame_done(&in));
	}
	TEST("a string of exactly max bytes is taken, one more refused") {
		payload(&in, "\5\0\0\0hello", 9);
		char s[8] = "junk";
		frame_get_str(&in, s, 5);
		CHECK_STR(s, "hello");
		CHECK(frame_done(&in));
		in.pos = 0;
		frame_get_str(&in, s, 4);
		CHECK(in.bad);
		CHECK_STR(s, "");	/* nothing half-copied */
		CHECK(!frame_done(&in));
	}
	TEST("a string holding a NUL is refused") {
		payload(&in, "\3\0\0\0a\0b", 7);
		char s[8];
		frame_get_str(&in, s, 7);
		CHECK(in.bad);
		CHECK_STR(s, "");
		CHECK(!frame_done(&in));
	}
	TEST("a string whose length passes the payload's end is refused") {
		payload(&in, "\x10\0\0\0abc", 7);
		char s[32];
		frame_get_str(&in, s, 31);
		CHECK(in.bad);
		CHECK_STR(s, "");
	}
	TEST("a length of 2^32 - 1 is refused without arithmetic overflow") {
		payload(&in, "\xff\xff\xff\xff" "abc", 7);
		size_t n = 99;
		const char *p = frame_get_bytes(&in, (size_t)-1, &n);
		CHECK(in.bad);
		CHECK_INT(n, 0);
		CHECK(p && *p == '\0');
	}
	TEST("frame_get_bytes over max is refused, in place when it fits") {
		payload(&in, "\3\0\0\0xyz", 7);
		size_t n;
		const char *p = frame_get_bytes(&in, 3, &n);
		CHECK(p == in.b.p + 4 && n == 3);
		CHECK(frame_done(&in));
		in.pos = 0;
		frame_get_bytes(&in, 2, &n);
		CHECK(in.bad && n == 0);
	}
	frame_free(&in);
}

/* Send these bytes with descriptors fds[0..nfd) riding on them. */
static void send_fds(const void *p, size_t n, const int *fds, size_t nfd)
{
	char cbuf[CMSG_SPACE(sizeof(int) * 4)];
	struct iovec iov = { (void *)p, n };
	struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf,
			    .msg_controllen = CMSG_SPACE(sizeof(int) * nfd) };
	memset(cbuf, 0, sizeof cbuf);
	struct cmsghdr *c = CMSG_FIRSTHDR(&m);
	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = CMSG_LEN(sizeof(int) * nfd);
	memcpy(CMSG_DATA(c), fds, sizeof(int) * nfd);
	if (sendmsg(sv[0], &m, 0) != (ssize_t)n) {
		perror("sendmsg");
		exit(2);
	}
}

static void test_descriptors(void)
{
	struct frame out = FRAME_INIT, in = FRAME_INIT;
	int p[2];
	if (pipe(p) == -1)
		exit(2);
	TEST("a descriptor rides with a frame, and arrives close-on-exec") {
		pair();
		frame_begin(&out, 3);
		frame_put_u32(&out, 42);
		CHECK_INT(frame_send(sv[0], &out, p[1]), 0);
		CHECK_INT(frame_recv(sv[1], &in, 64, NULL), 0);
		CHECK(in.fd != -1 && in.fd != p[1]);
		CHECK(fcntl(in.fd, F_GETFD) & FD_CLOEXEC);
		CHECK_INT(write(in.fd, "!", 1), 1);	/* it is the pipe's write end */
		char c = 0;
		CHECK(read(p[0], &c, 1) == 1 && c == '!');
		CHECK_INT(frame_get_u32(&in), 42);
		CHECK(frame_done(&in));
	}
	TEST("the next frame_recv closes the descriptor a previous frame left") {
		int old = in.fd;
		frame_begin(&out, 3);
		CHECK_INT(frame_send(sv[0], &out, -1), 0);
		CHECK_INT(frame_recv(sv[1], &in, 64, NULL), 0);
		CHECK_INT(in.fd, -1);
		CHECK(fcntl(old, F_GETFD) == -1 && errno == EBADF);
	}
	TEST("two descriptors with one frame: refused (EPROTO), neither kept") {
		pair();
		int before = open_fds();
		struct frame_hdr h = { 0, 3, 0 };
		int two[2] = { p[0], p[1] };
		send_fds(&h, sizeof h, two, 2);
		errno = 0;
		CHECK_INT(frame_recv(sv[1], &in, 64, NULL), -1);
		CHECK_INT(errno, EPROTO);
		CHECK_INT(in.fd == -1 ? open_fds() : open_fds() - 1, before);
		frame_clear(&in);
		CHECK_INT(open_fds(), before);
	}
	TEST("a descriptor riding on payload bytes, not the header: refused (EPROTO)") {
		pair();
		int before = open_fds();
		header(4, 3, 0);
		send_fds("abcd", 4, &p[1], 1);
		errno = 0;
		CHECK_INT(frame_recv(sv[1], &in, 64, NULL), -1);
		CHECK_INT(errno, EPROTO);
		frame_clear(&in);
		CHECK_INT(open_fds(), before);
	}
	close(p[0]);
	close(p[1]);
	frame_free(&out);
	frame_free(&in);
}

int main(void)
{
	test_round_trip();
	test_bounds();
	test_getters();
	test_descriptors();
	return unit_done();
}
