/* util.h: small system helpers used by both sides (the session process and the
 * privileged parent): deadlines on a monotonic clock, closing without losing errno,
 * writing a whole buffer.  There is one of each in the program, here. */
#ifndef UTIL_H
#define UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

/* A point in time on CLOCK_MONOTONIC, which no clock change can move. */
struct deadline {
	struct timespec at;
};

/* The deadline ms milliseconds from now. */
void deadline_in(struct deadline *d, unsigned long long ms);

/* Milliseconds left, 0 when it has passed; at most a day, so it fits poll(2). */
int deadline_left(const struct deadline *d);

/* Sleep until d has passed: 0, or -1 with errno EINTR when a signal handler ran
 * first (SIGTERM cuts a pause short). */
int deadline_sleep(const struct deadline *d);

/* The end of a process that has nothing left to write: exit(3) without the
 * destructors of the libraries it has loaded: GnuTLS's (linked in) and, under systemd,
 * libsystemd's and its five dependencies' (loaded for the journal and socket
 * activation), 14% of a forked session's page faults (issue 23, doc/performance.md).
 * Nothing of ours waits for exit(): the log is written at once, no stdio stream is
 * written to.  The sanitizer builds keep exit(): LeakSanitizer checks from an atexit
 * handler. */
_Noreturn void end_process(int rc);

/* close(fd) unless it is -1, keeping errno as it was: for error paths. */
void close_keep_errno(int fd);

/* All n bytes of p to fd, through short writes and EINTR: 0, or -1 with errno (EIO
 * for a write that took nothing).  For a descriptor that blocks (a spool, a memfd, a
 * Maildir file, a pipe); one that does not, under a deadline, has its own loop with
 * poll (the client's io.c, a milter's socket, a terminal, the relay command's pipe). */
int write_all(int fd, const void *p, size_t n);

/* Before an exec: every signal's disposition back to SIG_DFL and an empty mask, since
 * exec keeps both (and SIG_IGN): the relay command and a listener's session start as
 * any program expects. */
void signals_default(void);

/* The function name in a library opened with dlopen (lib; RTLD_DEFAULT for one loaded
 * RTLD_GLOBAL) into the function pointer at slot: false when it is missing.  Each
 * library that is loaded on demand (libpam, libidn2, liblockfile) fills its table
 * through this. */
bool dl_sym(void *lib, void *slot, const char *name);

/* dlopen(name) now, locally: the library, or NULL with the reason in why. */
void *dl_library(const char *name, char *why, size_t n);

/* In a function that returns an int: the function f of lib (named libname) into the
 * pointer p_f, or -1 with the reason in why (libgnutls's tables, tls.c and keys.c). */
#define DL_RESOLVE(lib, libname, f, why, n)					\
	if (!dl_sym(lib, &p_##f, #f)) {						\
		snprintf(why, n, "%s: no %s", libname, #f);			\
		return -1;							\
	}

#endif
