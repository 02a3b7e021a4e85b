/* unit.h: the one framework of the unit tests (tests/unit/), with no library behind it.
 *
 *   TEST("name %s", arg) { CHECK(expr); CHECK_STR(got, want); ... }
 *   return unit_done();
 *
 * Each TEST is one TAP line, "ok N name" or "not ok N name", printed when its block
 * ends; every CHECK that fails in it prints "# file:line: expression" (and, for the
 * typed ones, what it got and wanted) before that line, and counts.  unit_done()
 * prints the plan, "1..N", and returns the exit status: 1 if any test failed.
 * tests/run (phase unit) numbers the lines of all the programs in one sequence.
 *
 * A TEST's block is the body of a for loop that runs once: no break or continue in
 * it (they would skip the result line).  Names are made safe for TAP: a control
 * byte, a byte beyond ASCII or '#' (which would start a TAP directive, "# skip") is
 * shown as \xNN.
 *
 * Every program is ended by SIGALRM after UNIT_TIMEOUT seconds: a hang (a read that
 * never returns) fails the phase instead of stopping it.  Its children, which an
 * alarm of the parent does not reach, end themselves after UNIT_TIMEOUT / 6 seconds
 * (unit_fork() sets that; a test that forks by hand does the same). */
#ifndef UNIT_H
#define UNIT_H

#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#define UNIT_TIMEOUT 60

static int unit_tests, unit_failed_tests, unit_checks, unit_failed_checks;
static bool unit_open, unit_test_failed;
static char unit_name[512];

/* s (n bytes) as TAP and a diagnostic line may carry it, in out[size] (size > 8): cut
 * with "..." where it does not fit. */
static inline void unit_safe(char *out, size_t size, const char *s, size_t n)
{
	size_t o = 0;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		bool hex = c < 0x20 || c >= 0x7f || c == '#';
		if (o + (hex ? 4 : 1) + 3 >= size) {
			memcpy(out + o, "...", 3);
			o += 3;
			break;
		}
		if (hex)
			o += (size_t)snprintf(out + o, size - o, "\\x%02x", c);
		else
			out[o++] = (char)c;
	}
	out[o] = '\0';
}

static inline void unit_begin(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static inline void unit_begin(const char *fmt, ...)
{
	static bool started;
	if (!started) {
		started = true;
		alarm(UNIT_TIMEOUT);
	}
	char raw[1024];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(raw, sizeof raw, fmt, ap);
	va_end(ap);
	unit_safe(unit_name, sizeof unit_name, raw,
		  n < 0 ? 0 : (size_t)n < sizeof raw ? (size_t)n : sizeof raw - 1);
	unit_open = true;
	unit_test_failed = false;
}

static inline void unit_end(void)
{
	unit_tests++;
	if (unit_test_failed)
		unit_failed_tests++;
	printf("%sok %d %s\n", unit_test_failed ? "not " : "", unit_tests, unit_name);
	fflush(stdout);	/* a crash later must not lose the lines already decided */
	unit_open = false;
}

#define TEST(...) for (unit_begin(__VA_ARGS__); unit_open; unit_end())

/* A test that cannot run here: counted as skipped, never as passed (tests/run). */
static inline void unit_skip(const char *name, const char *why)
{
	unit_tests++;
	printf("ok %d %s # skip %s\n", unit_tests, name, why);
	fflush(stdout);
}

/* Record one check; false (and a diagnostic) when it failed. */
static inline bool unit_check(bool ok, const char *file, int line, const char *expr)
{
	unit_checks++;
	if (ok)
		return true;
	char safe[512];
	unit_safe(safe, sizeof safe, expr, strlen(expr));
	printf("# %s:%d: CHECK(%s) failed\n", file, line, safe);
	unit_failed_checks++;
	unit_test_failed = true;
	return false;
}

#define CHECK(expr) unit_check((expr) ? true : false, __FILE__, __LINE__, #expr)

/* Two byte strings (got n bytes, want m bytes) equal, else both shown. */
static inline bool unit_check_mem(const char *got, size_t n, const char *want, size_t m,
				  const char *file, int line, const char *expr)
{
	if (unit_check(n == m && memcmp(got, want, n) == 0, file, line, expr))
		return true;
	char a[1024], b[1024];
	unit_safe(a, sizeof a, got, n);
	unit_safe(b, sizeof b, want, m);
	printf("#   got:  \"%s\" (%zu bytes)\n#   want: \"%s\" (%zu bytes)\n", a, n, b, m);
	return false;
}

/* Two C strings equal; a NULL is no string and fails. */
static inline bool unit_check_str(const char *got, const char *want, const char *file, int line,
				  const char *expr)
{
	if (!got || !want) {
		unit_check(false, file, line, expr);
		printf("#   got %s, want %s\n", got ? "a string" : "NULL", want ? "a string" : "NULL");
		return false;
	}
	return unit_check_mem(got, strlen(got), want, strlen(want), file, line, expr);
}

#define CHECK_STR(got, want) unit_check_str((got), (want), __FILE__, __LINE__, #got " == " #want)
#define CHECK_MEM(got, n, want, m) \
	unit_check_mem((got), (n), (want), (m), __FILE__, __LINE__, #got " == " #want)

static inline bool unit_check_int(long long got, long long want, const char *file, int line,
				  const char *expr)
{
	if (unit_check(got == want, file, line, expr))
		return true;
	printf("#   got: %lld, want: %lld\n", got, want);
	return false;
}

#define CHECK_INT(got, want) \
	unit_check_int((long long)(got), (long long)(want), __FILE__, __LINE__, #got " == " #want)

/* Run fn(arg) in a child process (for code that ends the process: a usage error, the
 * out-of-memory handler) and return its wait status; stdout is flushed first, so the
 * child's exit() cannot print our pending lines twice.  The child is ended by SIGALRM
 * after UNIT_TIMEOUT / 6 seconds. */
static inline int unit_fork(void (*fn)(void *), void *arg)
{
	fflush(NULL);
	pid_t pid = fork();
	if (pid == -1) {
		perror("fork");
		exit(2);
	}
	if (pid == 0) {
		alarm(UNIT_TIMEOUT / 6);	/* a child that hangs fails its test alone */
		fn(arg);
		_exit(0);
	}
	int st;
	while (waitpid(pid, &st, 0) == -1) {
		if (errno != EINTR) {
			perror("waitpid");
			exit(2);
		}
	}
	return st;
}

/* The plan, a summary comment, and the exit status. */
static inline int unit_done(void)
{
	printf("1..%d\n# %d tests (%d checks), %d failed (%d checks)\n", unit_tests, unit_tests,
	       unit_checks, unit_failed_tests, unit_failed_checks);
	return unit_failed_tests ? 1 : 0;
}

#endif
