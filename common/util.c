/* util.c: deadlines, close_keep_errno(), write_all() (util.h); shared by both sides. */
#include "util.h"

#include <dlfcn.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define DAY_MS 86400000LL

void deadline_in(struct deadline *d, unsigned long long ms)
{
	clock_gettime(CLOCK_MONOTONIC, &d->at);
	if (ms > (unsigned long long)DAY_MS * 365)
		ms = (unsigned long long)DAY_MS * 365;
	d->at.tv_sec += (time_t)(ms / 1000);
	d->at.tv_nsec += (long)(ms % 1000) * 1000000L;
	if (d->at.tv_nsec >= 1000000000L) {
		d->at.tv_sec++;
		d->at.tv_nsec -= 1000000000L;
	}
}

int deadline_left(const struct deadline *d)
{
	struct timespec now;
	clock_gettime(CLOCK_MONOTONIC, &now);
	long long ms = (d->at.tv_sec - now.tv_sec) * 1000LL +
		       (d->at.tv_nsec - now.tv_nsec + 999999) / 1000000;
	return ms < 0 ? 0 : ms > DAY_MS ? (int)DAY_MS : (int)ms;
}

int deadline_sleep(const struct deadline *d)
{
	int e = clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &d->at, NULL);
	return e ? (errno = e, -1) : 0;
}

void close_keep_errno(int fd)
{
	int e = errno;
	if (fd != -1)
		close(fd);
	errno = e;
}

int write_all(int fd, const void *p, size_t n)
{
	const char *c = p;
	while (n) {
		ssize_t w = write(fd, c, n);
		if (w == -1 && errno == EINTR)
			continue;
		if (w <= 0)
			return w == 0 ? (errno = EIO, -1) : -1;
		c += w;
		n -= (size_t)w;
	}
	return 0;
}

void *dl_library(const char *name, char *why, size_t n)
{
	void *lib = dlopen(name, RTLD_NOW | RTLD_LOCAL);
	if (!lib)
		snprintf(why, n, "cannot load %s: %s", name, dlerror());
	return lib;
}

bool dl_sym(void *lib, void *slot, const char *name)
{
	void *f = dlsym(lib, name);
	memcpy(slot, &f, sizeof f);	/* POSIX: a data pointer converts to a function's */
	return f != NULL;
}

/* AddressSanitizer, as GCC says it (__SANITIZE_ADDRESS__) or clang, which builds
 * smtp-session-asan (__has_feature). */
#if defined(__SANITIZE_ADDRESS__)
#define ASAN_BUILD 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define ASAN_BUILD 1
#endif
#endif

_Noreturn void end_process(int rc)
{
#ifdef ASAN_BUILD
	exit(rc);
#else
	_exit(rc);
#endif
}

void signals_default(void)
{
	for (int sig = 1; sig < NSIG; sig++)
		if (sig != SIGKILL && sig != SIGSTOP)
			signal(sig, SIG_DFL);
	sigset_t none;
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
}
