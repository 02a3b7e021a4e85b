/* systemd.c: socket activation and the journal, through a libsystemd loaded only
 * when systemd started us (see systemd.h for why it is not linked). */
#include "systemd.h"

#include <errno.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config.h"

static bool is_stream_socket(int fd)
{
	struct stat st;
	int type;
	socklen_t len = sizeof type;
	return fstat(fd, &st) == 0 && S_ISSOCK(st.st_mode) &&
	       getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &len) == 0 && type == SOCK_STREAM;
}

/* A stream socket in the listening state (SO_ACCEPTCONN): what --listen serves. */
static bool is_listening(int fd)
{
	int on = 0;
	socklen_t len = sizeof on;
	return is_stream_socket(fd) &&
	       getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &on, &len) == 0 && on;
}

/* --listen with nothing from systemd: the listening socket on fd 0 (inetd "wait",
 * systemd StandardInput=socket with Accept=no). */
static int stdin_listener(int *fd, const char **why)
{
	if (is_listening(0))
		return *fd = 0, 0;
	if (is_stream_socket(0))
		return *why = "--listen: fd 0 is a connection, not a listening socket: leave "
			      "--listen out (inetd nowait, tcpserver, Accept=yes), or pass a "
			      "listening socket (Accept=no, inetd wait)", EXIT_USAGE;
	return *why = "--listen: no listening socket: start it from a systemd socket unit "
		      "with Accept=no, or with a listening socket on fd 0 (inetd wait)",
	       EXIT_USAGE;
}

#if WITH_SYSTEMD

#include <dlfcn.h>
#define SD_JOURNAL_SUPPRESS_LOCATION	/* the plain function, not the macro adding CODE_* */
#include <systemd/sd-daemon.h>
#include <systemd/sd-journal.h>

/* The functions we use, typed by libsystemd's own headers so the compiler checks
 * every call; filled once by load().  Configuration, not session state. */
static struct {
	bool tried, ok;
	__typeof__(sd_listen_fds) *listen_fds;
	__typeof__(sd_is_socket) *is_socket;
	__typeof__(sd_journal_sendv) *journal_sendv;
} sd;

static bool load(void)
{
	if (sd.tried)
		return sd.ok;
	sd.tried = true;
	void *lib = dlopen("libsystemd.so.0", RTLD_NOW | RTLD_LOCAL);
	if (!lib)
		return false;
	/* POSIX dlsym(3): a void * that holds a function is converted through a cast. */
	*(void **)&sd.listen_fds = dlsym(lib, "sd_listen_fds");
	*(void **)&sd.is_socket = dlsym(lib, "sd_is_socket");
	*(void **)&sd.journal_sendv = dlsym(lib, "sd_journal_sendv");
	sd.ok = sd.listen_fds && sd.is_socket && sd.journal_sendv;
	return sd.ok;
}

/* Put the connection on fds 0 and 1 and close the passed descriptor. */
static int take(int fd, const char **why)
{
	if (dup2(fd, 0) == -1 || dup2(fd, 1) == -1)
		return *why = "cannot move the passed socket to fds 0 and 1", EXIT_SYSTEM;
	close(fd);
	return 0;
}

int systemd_connection(const char **why)
{
	if (!getenv("LISTEN_FDS"))
		return 0;
	if (!load()) {
		if (is_stream_socket(0))
			return 0;	/* StandardInput=socket: the connection is on fd 0 too */
		return *why = "LISTEN_FDS is set, but libsystemd.so.0 cannot be loaded", EXIT_SYSTEM;
	}
	int n = sd.listen_fds(1);	/* 1: unset LISTEN_*, our children are not meant */
	if (n == 0)
		return 0;	/* LISTEN_PID names another process: not for us */
	if (n < 0)
		return *why = "LISTEN_FDS/LISTEN_PID are malformed", EXIT_USAGE;
	if (n > 1)
		return *why = "systemd passed several sockets: use one socket unit with Accept=yes",
		       EXIT_USAGE;
	int fd = SD_LISTEN_FDS_START;
	if (sd.is_socket(fd, AF_UNSPEC, SOCK_STREAM, 1) > 0)
		return *why = "systemd passed a listening socket: the socket unit needs Accept=yes, "
			      "or give smtp-session --listen", EXIT_USAGE;
	if (sd.is_socket(fd, AF_UNSPEC, SOCK_STREAM, 0) <= 0)
		return *why = "the passed file descriptor is not a stream socket", EXIT_USAGE;
	return take(fd, why);
}

/* sd_listen_fds(3): LISTEN_PID must be ours, and 1 unsets LISTEN_*: the sessions we
 * start are not meant. */
int systemd_listener(int *fd, const char **why)
{
	if (!getenv("LISTEN_FDS"))
		return stdin_listener(fd, why);
	if (!load()) {
		if (is_listening(0))
			return *fd = 0, 0;	/* StandardInput=socket */
		return *why = "LISTEN_FDS is set, but libsystemd.so.0 cannot be loaded", EXIT_SYSTEM;
	}
	int n = sd.listen_fds(1);
	if (n == 0)
		return stdin_listener(fd, why);	/* LISTEN_PID names another process */
	if (n < 0)
		return *why = "LISTEN_FDS/LISTEN_PID are malformed", EXIT_USAGE;
	if (n > 1)
		return *why = "--listen: systemd passed several sockets: give the service one "
			      "socket unit with one ListenStream=", EXIT_USAGE;
	int passed = SD_LISTEN_FDS_START;
	if (sd.is_socket(passed, AF_UNSPEC, SOCK_STREAM, 1) > 0)
		return *fd = passed, 0;
	if (sd.is_socket(passed, AF_UNSPEC, SOCK_STREAM, 0) > 0)
		return *why = "--listen: systemd passed a connection (Accept=yes): set Accept=no "
			      "in the socket unit, or leave --listen out", EXIT_USAGE;
	return *why = "the passed file descriptor is not a stream socket", EXIT_USAGE;
}

bool systemd_journal(void)
{
	return (getenv("JOURNAL_STREAM") || getenv("INVOCATION_ID")) && load();
}

int systemd_journal_sendv(const struct iovec *iov, int n)
{
	return sd.ok ? sd.journal_sendv(iov, n) : -ENOSYS;
}

#else /* !WITH_SYSTEMD */

/* Without libsystemd we still serve StandardInput=socket, where systemd puts the
 * connection on fd 0 as well as passing it; anything else is a configuration error. */
int systemd_connection(const char **why)
{
	const char *pid = getenv("LISTEN_PID");
	if (!getenv("LISTEN_FDS") || !pid || atol(pid) != (long)getpid() || is_stream_socket(0))
		return 0;	/* nothing passed, not to us, or on stdin too */
	return *why = "systemd passed a socket (LISTEN_FDS), but this smtp-session was built "
		      "with WITH_SYSTEMD=0: set StandardInput=socket in the service",
	       EXIT_USAGE;
}

/* Without libsystemd only fd 0 can be read without guessing: LISTEN_FDS for us with
 * no listening socket on fd 0 asks for StandardInput=socket. */
int systemd_listener(int *fd, const char **why)
{
	const char *pid = getenv("LISTEN_PID");
	if (!is_listening(0) && getenv("LISTEN_FDS") && pid && atol(pid) == (long)getpid())
		return *why = "--listen: systemd passed a socket (LISTEN_FDS), but this "
			      "smtp-session was built with WITH_SYSTEMD=0: set "
			      "StandardInput=socket in the service", EXIT_USAGE;
	return stdin_listener(fd, why);
}

bool systemd_journal(void)
{
	return false;
}

int systemd_journal_sendv(const struct iovec *iov, int n)
{
	(void)iov, (void)n;
	return -ENOSYS;
}

#endif
