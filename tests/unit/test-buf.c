/* test-buf.c: buf.c through buf.h, the one growable buffer: growth, the terminating
 * NUL, consuming, the limit on sizes (buf.h: running out of memory calls the handler,
 * which must not return; by default it logs and exits EXIT_SYSTEM) and the promise
 * that memory a buffer gives up is wiped first (a password must leave no copy).
 *
 * The wipe is seen through the linker: this program is linked with -Wl,--wrap=free,
 * so buf.c's free() comes here first, while the block is still ours to read. */
#include <fcntl.h>
#include <stdint.h>
#include <sys/stat.h>
#include <wchar.h>

#include "buf.h"
#include "log.h"
#include "config.h"
#include "unit.h"

#if defined(__SANITIZE_ADDRESS__)
#define UNIT_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define UNIT_ASAN 1
#endif
#endif
#ifdef UNIT_ASAN
/* A request of 2^62 bytes is the test, not a bug: let malloc say no. */
const char *__asan_default_options(void);
const char *__asan_default_options(void)
{
	return "allocator_may_return_null=1";
}
#endif

/* --wrap=free: the block being watched, and whether it was all zero when freed. */
void __real_free(void *p);
void __wrap_free(void *p);
static const void *watch;
static size_t watch_len;
static int watch_freed, watch_clean;

void __wrap_free(void *p)
{
	if (p && p == watch) {
		const unsigned char *c = p;
		size_t nonzero = 0;
		for (size_t i = 0; i < watch_len; i++)
			nonzero += c[i] != 0;
		watch_freed++;
		watch_clean += nonzero == 0;
		watch = NULL;
	}
	__real_free(p);
}

static void watch_block(const struct buf *b)
{
	watch = b->p;
	watch_len = b->cap;
	watch_freed = watch_clean = 0;
}

/* A buffer is a C string at every step. */
static bool terminated(const struct buf *b)
{
	return b->p && b->len < b->cap && b->p[b->len] == '\0';
}

static void test_basics(void)
{
	TEST("BUF_INIT is empty, owns nothing") {
		struct buf b = BUF_INIT;
		CHECK(b.p == NULL && b.len == 0 && b.cap == 0);
		buf_free(&b);	/* freeing an empty buffer is fine */
		CHECK(b.p == NULL);
	}
	TEST("adding nothing still makes an empty C string") {
		struct buf b = BUF_INIT;
		buf_add(&b, NULL, 0);
		CHECK(terminated(&b));
		CHECK_INT(b.len, 0);
		CHECK_STR(b.p, "");
		buf_free(&b);
	}
	TEST("buf_add, buf_adds, buf_addc append; the contents stay NUL-terminated") {
		struct buf b = BUF_INIT;
		buf_adds(&b, "hello");
		CHECK(terminated(&b));
		buf_addc(&b, ' ');
		buf_add(&b, "world!!", 5);
		CHECK(terminated(&b));
		CHECK_INT(b.len, 11);
		CHECK_STR(b.p, "hello world");
		buf_add(&b, "\0x", 2);	/* binary: a NUL inside counts */
		CHECK_INT(b.len, 13);
		CHECK(terminated(&b));
		CHECK_MEM(b.p, b.len, "hello world\0x", 13);
		buf_free(&b);
	}
	TEST("buf_printf appends formatted text, of any length") {
		struct buf b = BUF_INIT;
		buf_adds(&b, ">");
		buf_printf(&b, "%d-%s-%c", 42, "x", 'y');
		CHECK_STR(b.p, ">42-x-y");
		buf_printf(&b, "%*s", 10000, "end");
		CHECK_INT(b.len, 7 + 10000);
		CHECK(terminated(&b));
		CHECK(memcmp(b.p + b.len - 4, " end", 4) == 0);
		buf_printf(&b, "%s", "");
		CHECK_INT(b.len, 10007);
		buf_free(&b);
	}
	TEST("buf_printf: a conversion that fails (EILSEQ) leaves the buffer as it was") {
		struct buf b = BUF_INIT;
		buf_adds(&b, "kept");
		/* In the C locale a wide character beyond ASCII has no multibyte form. */
		buf_printf(&b, "%ls", L"\x100");
		CHECK_STR(b.p, "kept");
		CHECK_INT(b.len, 4);
		buf_free(&b);
	}
	TEST("buf_extend: n zero bytes in place, after what was there") {
		struct buf b = BUF_INIT;
		buf_adds(&b, "ab");
		char *p = buf_extend(&b, 5);
		CHECK(p == b.p + 2);
		CHECK_MEM(b.p, b.len, "ab\0\0\0\0\0", 7);
		CHECK(terminated(&b));
		memcpy(p, "cdefg", 5);
		CHECK_STR(b.p, "abcdefg");
		p = buf_extend(&b, 0);
		CHECK(p == b.p + 7 && *p == '\0');
		buf_free(&b);
	}
	TEST("buf_consume drops the first n bytes: some, none, all, more than all") {
		struct buf b = BUF_INIT;
		buf_adds(&b, "0123456789");
		buf_consume(&b, 3);
		CHECK_STR(b.p, "3456789");
		CHECK_INT(b.len, 7);
		buf_consume(&b, 0);
		CHECK_STR(b.p, "3456789");
		buf_consume(&b, 7);
		CHECK_INT(b.len, 0);
		CHECK(terminated(&b));
		buf_adds(&b, "xy");
		buf_consume(&b, 100);
		CHECK_INT(b.len, 0);
		CHECK_STR(b.p, "");
		buf_free(&b);
	}
	TEST("buf_reset keeps the memory for the next use; buf_free gives it up") {
		struct buf b = BUF_INIT;
		buf_adds(&b, "something");
		char *p = b.p;
		size_t cap = b.cap;
		buf_reset(&b);
		CHECK(b.p == p && b.cap == cap && b.len == 0 && b.p[0] == '\0');
		buf_adds(&b, "again");
		CHECK(b.p == p);
		buf_free(&b);
		CHECK(b.p == NULL && b.len == 0 && b.cap == 0);
		buf_adds(&b, "reused after free");
		CHECK_STR(b.p, "reused after free");
		buf_free(&b);
	}
}

/* Growth: doubling from 64, contents kept, byte by byte and in large steps. */
static void test_growth(void)
{
	TEST("growing a byte at a time to 1 MiB: contents kept, capacity doubles from 64") {
		struct buf b = BUF_INIT;
		size_t blocks = 0, bad_cap = 0, last = 0;
		for (size_t i = 0; i < (1u << 20); i++) {
			buf_addc(&b, (char)(i * 7 + 3));
			if (b.cap != last)
				blocks++, last = b.cap;
			/* a power of two from 64, and room for the NUL */
			if (b.cap < 64 || (b.cap & (b.cap - 1)) || b.cap < b.len + 1)
				bad_cap++;
		}
		CHECK_INT(bad_cap, 0);
		CHECK_INT(b.len, 1u << 20);
		CHECK(terminated(&b));
		size_t wrong = 0;
		for (size_t i = 0; i < b.len; i++)
			wrong += b.p[i] != (char)(i * 7 + 3);
		CHECK_INT(wrong, 0);
		CHECK_INT(blocks, 16);	/* 2^6, 2^7, ... 2^21 (room for 2^20 bytes and the NUL) */
		buf_free(&b);
	}
	TEST("one large add sizes the block at once, to the next power of two") {
		struct buf b = BUF_INIT;
		buf_extend(&b, 100000);
		CHECK_INT(b.cap, 131072);
		buf_extend(&b, 131071 - 100000);	/* exactly full, NUL included */
		CHECK_INT(b.cap, 131072);
		buf_addc(&b, 'x');
		CHECK_INT(b.cap, 262144);
		CHECK(terminated(&b));
		buf_free(&b);
	}
}

/* buf.h: memory a buffer gives up, when it grows or is freed, is wiped first. */
static void test_wipe(void)
{
	TEST("a buffer that grows wipes the block it leaves (a password leaves no copy)") {
		struct buf b = BUF_INIT;
		buf_adds(&b, "AUTH PLAIN c2VjcmV0");
		watch_block(&b);
		char *old = b.p;
		buf_extend(&b, 200);	/* 64 -> 256: a new block */
		CHECK(b.p != old);
		CHECK_INT(watch_freed, 1);
		CHECK_INT(watch_clean, 1);
		CHECK_STR(b.p, "AUTH PLAIN c2VjcmV0");
		buf_free(&b);
	}
	TEST("buf_free wipes the whole block, beyond len too") {
		struct buf b = BUF_INIT;
		buf_adds(&b, "password=hunter2, and more that is consumed");
		buf_consume(&b, 20);	/* the consumed bytes were moved over, not all wiped */
		watch_block(&b);
		buf_free(&b);
		CHECK_INT(watch_freed, 1);
		CHECK_INT(watch_clean, 1);
	}
}

/* The limit: a size whose arithmetic could overflow, or a malloc that fails, calls the
 * handler, which must not return (here: it ends the child with 42). */
static void oom_exit(void)
{
	_exit(42);
}

struct oom_case {
	int how;
	bool handler;
	const char *log;
};

static void oom_child(void *arg)
{
	const struct oom_case *c = arg;
	struct buf b = BUF_INIT;
	int null = open("/dev/null", O_WRONLY);
	dup2(null, 2);	/* ASan's warning about the failed allocation */
	if (c->log)
		log_open(c->log);	/* never the system's log */
	if (c->handler)
		buf_on_oom(oom_exit);
	buf_adds(&b, "x");
	switch (c->how) {
	case 0: buf_add(&b, "", SIZE_MAX / 2); break;	/* the limit: refused unread */
	case 1: buf_extend(&b, SIZE_MAX); break;
	case 2: buf_extend(&b, SIZE_MAX / 4); break;	/* below the limit: malloc fails */
	case 3: buf_extend(&b, SIZE_MAX / 2 - 1); break;	/* len 1: just past the limit */
	case 4: buf_extend(&b, SIZE_MAX / 2 - 2); break;	/* len 1: the most it lets through */
	}
	_exit(0);	/* returned: wrong */
}

static void test_limits(void)
{
	static const char *const what[] = {
		"SIZE_MAX / 2 bytes", "SIZE_MAX bytes", "2^62 bytes (malloc fails)",
		"SIZE_MAX / 2 - 1 bytes after one (len + n + 1 passes SIZE_MAX / 2)",
		"SIZE_MAX / 2 - 2 bytes after one (the most the limit lets through: the capacity doubles to 2^63 without overflow, malloc fails)",
	};
	for (int how = 0; how < 5; how++)
		TEST("adding %s calls the out-of-memory handler, which ends the process", what[how]) {
			struct oom_case c = { how, true, NULL };
			int st = unit_fork(oom_child, &c);
			CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 42);
		}
	TEST("without a handler: \"out of memory\" logged, exit status EXIT_SYSTEM (111)") {
		char path[] = "/tmp/unit-buf-log.XXXXXX";
		int fd = mkstemp(path);
		CHECK(fd != -1);
		struct oom_case c = { 0, false, path };
		int st = unit_fork(oom_child, &c);
		CHECK(WIFEXITED(st) && WEXITSTATUS(st) == EXIT_SYSTEM);
		char log[512] = "";
		ssize_t n = fd == -1 ? -1 : read(fd, log, sizeof log - 1);
		CHECK(n > 0 && strstr(log, "crit: out of memory"));
		if (fd != -1)
			close(fd), unlink(path);
	}
}

int main(void)
{
	test_basics();
	test_growth();
	test_wipe();
	test_limits();
	return unit_done();
}
