/* asuser.c: a child process that does one job as one user, under a deadline
 * (asuser.h).  Privileged side. */
#include "asuser.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "log.h"
#include "users.h"

/* Configuration of this process (set once), not session state. */
static int hidden_fd = -1;

void asuser_hide(int fd)
{
	hidden_fd = fd;
}

int asuser_start(struct asuser *k, const struct config *cfg, const char *user,
		 asuser_fn *fn, void *arg)
{
	int sv[2];
	k->pid = -1;
	k->fd = -1;
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) == -1)
		return -1;
	k->pid = fork();
	if (k->pid == 0) {
		close(sv[0]);
		if (hidden_fd != -1)
			close(hidden_fd);
		errno = 0;
		struct passwd *pw = cfg->single ? NULL : getpwnam(user);
		if (cfg->single)
			fn(arg, NULL, sv[1]);
		else if (!pw)
			log_msg(LOG_ERR, "%s: no such user", user);
		else if (users_become(pw) == -1)
			log_msg(LOG_ERR, "%s: cannot become the user: %s", user, strerror(errno));
		else
			fn(arg, pw, sv[1]);
		_exit(0);
	}
	close_keep_errno(sv[1]);
	if (k->pid == -1) {
		close_keep_errno(sv[0]);
		return -1;
	}
	k->fd = sv[0];
	return 0;
}

int asuser_send(struct asuser *k, const void *p, size_t n)
{
	return send(k->fd, p, n, MSG_NOSIGNAL) == (ssize_t)n ? 0 : -1;
}

int asuser_recv(struct asuser *k, void *p, size_t n, const struct deadline *d)
{
	size_t got = 0;
	while (got < n) {
		struct pollfd pfd = { .fd = k->fd, .events = POLLIN };
		int r = poll(&pfd, 1, deadline_left(d));
		if (r == -1 && errno == EINTR)
			continue;
		if (r == 0)
			return errno = ETIMEDOUT, -1;
		ssize_t m = r == -1 ? -1 : recv(k->fd, (char *)p + got, n - got, MSG_DONTWAIT);
		if (m == -1 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (m <= 0)
			return errno = EIO, -1;
		got += (size_t)m;
	}
	return 0;
}

/* Has the child closed its end (it does so as it exits) before the deadline? */
static bool ended(struct asuser *k, const struct deadline *d)
{
	char b[64];
	for (;;) {
		struct pollfd pfd = { .fd = k->fd, .events = POLLIN };
		int r = poll(&pfd, 1, deadline_left(d));
		if (r == -1 && errno == EINTR)
			continue;
		if (r <= 0)
			return false;
		ssize_t m = recv(k->fd, b, sizeof b, MSG_DONTWAIT);
		if (m == 0 || (m == -1 && errno != EINTR && errno != EAGAIN))
			return true;
	}
}

void asuser_end(struct asuser *k, const struct deadline *d)
{
	bool late = k->fd != -1 && k->pid > 0 && !ended(k, d);
	close_keep_errno(k->fd);
	k->fd = -1;
	if (k->pid <= 0)
		return;
	if (late)
		kill(k->pid, SIGKILL);
	while (waitpid(k->pid, NULL, 0) == -1 && errno == EINTR)
		;
	k->pid = -1;
}
