/* test-util.c: write_all() of util.c through util.h, the one loop that writes a whole
 * buffer (the spool, the milters' rewrite, a Maildir file, a report): every byte
 * arrives in order through short writes and EINTR; a failure is -1 with the errno of
 * the write; nothing to write is no write.
 *
 * The short writes are seen through the linker: this program is linked with
 * -Wl,--wrap=write, so util.c's write() comes here first and counts what it returned. */
#include <fcntl.h>
#include <signal.h>

#include "util.h"
#include "unit.h"

ssize_t __real_write(int fd, const void *p, size_t n);
ssize_t __wrap_write(int fd, const void *p, size_t n);
static int writes, short_writes, eintrs;

ssize_t __wrap_write(int fd, const void *p, size_t n)
{
	ssize_t w = __real_write(fd, p, n);
	writes++;
	short_writes += w >= 0 && (size_t)w < n;
	eintrs += w == -1 && errno == EINTR;
	return w;
}

static void on_usr1(int sig)
{
	(void)sig;
}

#define BIG (4u << 20)	/* 64 times a pipe's 64 KiB */

/* The reader: takes BIG bytes in small reads, signalling the writer after each (a
 * signal without SA_RESTART ends a pipe write early, short or EINTR), and exits 0 if
 * they are the pattern in order. */
static void reader(int in, pid_t writer)
{
	alarm(UNIT_TIMEOUT / 6);
	char b[4096];
	size_t got = 0;
	ssize_t r;
	while ((r = read(in, b, sizeof b)) != 0) {
		if (r == -1 && errno == EINTR)
			continue;
		if (r == -1)
			_exit(2);
		for (ssize_t i = 0; i < r; i++)
			if ((unsigned char)b[i] != (unsigned char)((got + (size_t)i) % 251))
				_exit(1);
		got += (size_t)r;
		kill(writer, SIGUSR1);
	}
	_exit(got == BIG ? 0 : 3);
}

int main(void)
{
	alarm(UNIT_TIMEOUT);

	TEST("write_all: %u bytes through a pipe whose reader signals us after each read: "
	     "all, in order, through short writes and EINTR", BIG) {
		struct sigaction sa = { .sa_handler = on_usr1 };	/* no SA_RESTART */
		sigemptyset(&sa.sa_mask);
		sigaction(SIGUSR1, &sa, NULL);
		int p[2];
		CHECK(pipe(p) == 0);
		char *msg = malloc(BIG);
		CHECK(msg != NULL);
		for (size_t i = 0; msg && i < BIG; i++)
			msg[i] = (char)(i % 251);
		fflush(NULL);
		pid_t me = getpid(), pid = fork();
		if (pid == 0) {
			close(p[1]);
			reader(p[0], me);
		}
		close(p[0]);
		writes = short_writes = eintrs = 0;
		CHECK_INT(write_all(p[1], msg, BIG), 0);
		close(p[1]);
		int st = -1;
		while (waitpid(pid, &st, 0) == -1 && errno == EINTR)
			;
		CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0);
		CHECK(writes > 1);
		CHECK(short_writes + eintrs > 0);
		signal(SIGUSR1, SIG_IGN);
		free(msg);
	}

	TEST("write_all: a full device is -1 with ENOSPC") {
		int fd = open("/dev/full", O_WRONLY | O_CLOEXEC);
		CHECK(fd != -1);
		errno = 0;
		CHECK_INT(write_all(fd, "x", 1), -1);
		CHECK_INT(errno, ENOSPC);
		close(fd);
	}

	TEST("write_all: a pipe nobody reads is -1 with EPIPE (SIGPIPE ignored, as main.c)") {
		signal(SIGPIPE, SIG_IGN);
		int p[2];
		CHECK(pipe(p) == 0);
		close(p[0]);
		errno = 0;
		CHECK_INT(write_all(p[1], "hello", 5), -1);
		CHECK_INT(errno, EPIPE);
		close(p[1]);
	}

	TEST("write_all: nothing to write is 0 and no write, whatever the descriptor") {
		writes = 0;
		CHECK_INT(write_all(-1, "", 0), 0);
		CHECK_INT(writes, 0);
	}

	return unit_done();
}
