/* mbox.c: delivery into Maildirs, as DJB describes them (cr.yp.to/proto/maildir.html).
 *
 * Delivery is two-phase so that it is all or nothing over all recipients:
 *   prepare: write the copy into tmp/ under a unique name, fsync it;
 *   commit:  rename it into new/, fsync new/;      abort: unlink it from tmp/.
 * No copy is committed before every recipient's prepare has succeeded.  Only a failure
 * between two commits (a rename or a directory fsync) can leave some recipients with the
 * message while the client is told to retry: a duplicate later, never a loss.
 *
 * The work on a user's files is done as that user.  As root, each recipient gets a
 * child that drops to the user's uid and groups (initgroups, setgid, setuid) before it
 * opens anything, and the parent tells it "commit" or "abort" over a socketpair; the
 * children write in parallel.  In single-user mode the process already is the user
 * and runs the same steps itself.  No path below the home is followed through a
 * symlink (O_NOFOLLOW on every component and on the file).
 */
#include "mbox.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sendfile.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

#define DIR_FLAGS (O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)

/* One recipient's copy between prepare and commit. */
struct tx {
	int tmp, new;		/* the Maildir's tmp/ and new/ */
	char name[NAME_MAX + 1];
};

static void close_keep_errno(int fd)
{
	int e = errno;
	if (fd != -1)
		close(fd);
	errno = e;
}

/* Open directory name below dirfd, creating it (0700) if missing, never through a
 * symlink.  A directory we create is made durable by syncing its parent. */
static int subdir(int dirfd, const char *name)
{
	int fd = openat(dirfd, name, DIR_FLAGS);
	if (fd != -1 || errno != ENOENT)
		return fd;
	if (mkdirat(dirfd, name, 0700) == -1 && errno != EEXIST)
		return -1;
	if (fsync(dirfd) == -1)
		return -1;
	return openat(dirfd, name, DIR_FLAGS);
}

/* The Maildir directory: path is relative to home, or (single-user mode) absolute,
 * in which case its parent is the trusted base.  Components below the base are
 * opened with O_NOFOLLOW and created if missing. */
static int open_maildir(const char *home, const char *path)
{
	char rel[PATH_MAX], base[PATH_MAX];
	if (snprintf(rel, sizeof rel, "%s", path) >= (int)sizeof rel)
		return errno = ENAMETOOLONG, -1;
	if (rel[0] == '/') {
		char *slash = strrchr(rel, '/');
		snprintf(base, sizeof base, "%.*s", slash == rel ? 1 : (int)(slash - rel), rel);
		memmove(rel, slash + 1, strlen(slash + 1) + 1);
	} else if (snprintf(base, sizeof base, "%s", home) >= (int)sizeof base) {
		return errno = ENAMETOOLONG, -1;
	}
	int fd = open(base, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	char *save = NULL;
	for (char *c = strtok_r(rel, "/", &save); c && fd != -1; c = strtok_r(NULL, "/", &save)) {
		if (strcmp(c, ".") == 0)
			continue;
		int next = strcmp(c, "..") == 0 ? (errno = EINVAL, -1) : subdir(fd, c);
		close_keep_errno(fd);
		fd = next;
	}
	return fd;
}

static int write_all(int fd, const char *p, size_t n)
{
	while (n) {
		ssize_t w = write(fd, p, n);
		if (w == -1 && errno == EINTR)
			continue;
		if (w == -1)
			return -1;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

/* Copy bytes off..size of the spool to fd through a small buffer. */
static int copy_slow(int spool, int fd, off_t off, off_t size)
{
	char b[IO_BLOCK];
	while (off < size) {
		size_t want = size - off < (off_t)sizeof b ? (size_t)(size - off) : sizeof b;
		ssize_t r = pread(spool, b, want, off);
		if (r == -1 && errno == EINTR)
			continue;
		if (r <= 0)
			return r == 0 ? (errno = EIO, -1) : -1;
		if (write_all(fd, b, (size_t)r) == -1)
			return -1;
		off += r;
	}
	return 0;
}

/* Across file systems (the memfd spool, a spool in a tmpfs) copy_file_range refuses
 * with EXDEV; sendfile still copies in the kernel, without a buffer of ours. */
static int copy_sendfile(int spool, int fd, off_t off, off_t size)
{
	while (off < size) {
		ssize_t n = sendfile(fd, spool, &off, (size_t)(size - off));
		if (n > 0)
			continue;
		if (n == 0)
			return errno = EIO, -1;		/* the spool is shorter than it should be */
		if (errno == EINTR)
			continue;
		if (errno == EINVAL || errno == ENOSYS)
			return copy_slow(spool, fd, off, size);
		return -1;
	}
	return 0;
}

/* The one copy per recipient, done by the kernel (copy_file_range, else sendfile). */
static int copy_body(int spool, int fd, off_t size)
{
	off_t off = 0;
	while (off < size) {
		ssize_t n = copy_file_range(spool, &off, fd, NULL, (size_t)(size - off), 0);
		if (n > 0)
			continue;
		if (n == 0)
			return errno = EIO, -1;		/* the spool is shorter than it should be */
		if (errno == EINTR)
			continue;
		if (errno == EXDEV || errno == EINVAL || errno == ENOSYS || errno == EOPNOTSUPP)
			return copy_sendfile(spool, fd, off, size);
		return -1;
	}
	return 0;
}

/* DJB's unique name: <seconds>.M<usec>P<pid>Q<n>.<host>, plus ",S=<size>"; '/' and
 * ':' in the host name are written as \057 and \072 as the maildir spec asks. */
static void unique_name(char *out, size_t n, const char *host, unsigned seq, off_t size)
{
	char h[128];	/* the host part may be cut: pid, time and Q keep it unique */
	size_t j = 0;
	for (const char *p = host; *p && j + 5 < sizeof h; p++) {
		if (*p == '/' || *p == ':')
			j += (size_t)snprintf(h + j, sizeof h - j, "\\%03o", (unsigned char)*p);
		else
			h[j++] = *p;
	}
	h[j] = '\0';
	struct timeval tv;
	gettimeofday(&tv, NULL);
	snprintf(out, n, "%lld.M%06ldP%ldQ%u.%s,S=%lld", (long long)tv.tv_sec,
		 (long)tv.tv_usec, (long)getpid(), seq, h, (long long)size);
}

static void tx_close(struct tx *t)
{
	close_keep_errno(t->tmp);
	close_keep_errno(t->new);
	t->tmp = t->new = -1;
}

/* Phase 1: the copy in tmp/, synced.  Returns 0 or an errno value; on failure
 * nothing is left in tmp/. */
static int prepare(struct tx *t, const struct config *cfg, const char *home,
		   const struct priv_rcpt *r, int spool, off_t size, unsigned seq)
{
	t->tmp = t->new = -1;
	int md = open_maildir(home, cfg->maildir);
	if (md == -1)
		return errno;
	int cur = subdir(md, "cur");	/* a Maildir must have all three */
	close_keep_errno(cur);
	if (cur != -1) {
		t->tmp = subdir(md, "tmp");
		t->new = t->tmp == -1 ? -1 : subdir(md, "new");
	}
	close_keep_errno(md);
	if (t->new == -1) {
		tx_close(t);
		return errno;
	}
	unique_name(t->name, sizeof t->name, cfg->hostname, seq, (off_t)r->headlen + size);
	int fd = openat(t->tmp, t->name,
			O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd == -1) {
		tx_close(t);
		return errno;
	}
	/* The copy's size is known: reserving its blocks first spares ext4 the delayed
	 * allocation of every page (a 10 MB message: about 10% more MB/s in make bench)
	 * and reports a full disk or quota before anything is written. */
	if ((fallocate(fd, 0, 0, (off_t)r->headlen + size) == -1 &&
	     errno != EOPNOTSUPP && errno != ENOSYS) ||
	    write_all(fd, r->head, r->headlen) == -1 || copy_body(spool, fd, size) == -1 ||
	    fsync(fd) == -1) {
		close_keep_errno(fd);
		goto fail;
	}
	if (close(fd) == -1)
		goto fail;
	return 0;
fail:;
	int e = errno;
	unlinkat(t->tmp, t->name, 0);
	tx_close(t);
	return e;
}

/* Phase 2: move the copy into new/ and make that durable. */
static int commit(struct tx *t)
{
	int rc = 0;
	if (renameat(t->tmp, t->name, t->new, t->name) == -1) {
		rc = errno;
		unlinkat(t->tmp, t->name, 0);
	} else if (fsync(t->new) == -1) {
		rc = errno;
	}
	tx_close(t);
	return rc;
}

static void abort_tx(struct tx *t)
{
	if (t->tmp != -1)
		unlinkat(t->tmp, t->name, 0);
	tx_close(t);
}

/* ---- single-user mode: this process is the user ---- */

static int deliver_here(const struct config *cfg, int spool, off_t size,
			const struct priv_rcpt *rcpt, size_t n, unsigned seq)
{
	struct tx *t = calloc(n, sizeof *t);
	if (!t)
		return ENOMEM;
	int err = 0;
	size_t ready = 0;
	while (ready < n && !err)
		if ((err = prepare(&t[ready], cfg, cfg->home, &rcpt[ready], spool, size, seq)) == 0)
			ready++;
	for (size_t i = 0; i < ready; i++) {
		int rc = err ? (abort_tx(&t[i]), 0) : commit(&t[i]);
		if (rc && !err)
			err = rc;
	}
	free(t);
	return err;
}

/* ---- as root: one child per recipient, running as that recipient ---- */

static int send_int(int fd, int v)
{
	return send(fd, &v, sizeof v, MSG_NOSIGNAL) == (ssize_t)sizeof v ? 0 : -1;
}

static int recv_int(int fd)
{
	int v;
	ssize_t n;
	do
		n = read(fd, &v, sizeof v);
	while (n == -1 && errno == EINTR);
	return n == (ssize_t)sizeof v ? v : EIO;	/* a child that died failed */
}

static _Noreturn void child(const struct config *cfg, const struct priv_rcpt *r,
			    int spool, off_t size, unsigned seq, int sock)
{
	struct tx t;
	int rc;
	errno = 0;
	struct passwd *pw = getpwnam(r->user);
	if (!pw)
		rc = errno ? errno : ENOENT;
	else if (priv_become(pw) == -1)
		rc = errno;
	else
		rc = prepare(&t, cfg, pw->pw_dir, r, spool, size, seq);
	send_int(sock, rc);
	if (rc == 0) {
		char verdict = 0;
		if (read(sock, &verdict, 1) == 1 && verdict == 'c') {
			send_int(sock, commit(&t));
		} else {
			abort_tx(&t);	/* told to, or the parent is gone */
		}
	}
	_exit(0);
}

struct kid {
	pid_t pid;
	int fd;
	int rc;
};

static int spawn(struct kid *k, const struct config *cfg, const struct priv_rcpt *r,
		 int spool, off_t size, unsigned seq)
{
	int sv[2];
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) == -1)
		return errno;
	k->pid = fork();
	if (k->pid == 0) {
		close(sv[0]);
		child(cfg, r, spool, size, seq, sv[1]);
	}
	int e = errno;
	close(sv[1]);
	if (k->pid == -1) {
		close(sv[0]);
		return e;
	}
	k->fd = sv[0];
	return 0;
}

static int deliver_as_users(const struct config *cfg, int spool, off_t size,
			    const struct priv_rcpt *rcpt, size_t n, unsigned seq)
{
	struct kid *k = calloc(n, sizeof *k);
	if (!k)
		return ENOMEM;
	int err = 0;
	size_t started = 0;
	while (started < n && !err)
		if ((err = spawn(&k[started], cfg, &rcpt[started], spool, size, seq)) == 0)
			started++;
	for (size_t i = 0; i < started; i++)
		if ((k[i].rc = recv_int(k[i].fd)) != 0 && !err)
			err = k[i].rc;
	char verdict = err ? 'a' : 'c';
	for (size_t i = 0; i < started; i++)
		if (k[i].rc == 0)
			(void)!send(k[i].fd, &verdict, 1, MSG_NOSIGNAL);
	for (size_t i = 0; i < started && verdict == 'c'; i++) {
		int rc = recv_int(k[i].fd);
		if (rc && !err)
			err = rc;
	}
	for (size_t i = 0; i < started; i++) {
		close(k[i].fd);
		while (waitpid(k[i].pid, NULL, 0) == -1 && errno == EINTR)
			;
	}
	free(k);
	return err;
}

int mbox_deliver(const struct config *cfg, int spool, off_t size,
		 const struct priv_rcpt *rcpt, size_t n, unsigned seq)
{
	if (cfg->single)
		return deliver_here(cfg, spool, size, rcpt, n, seq);
	return deliver_as_users(cfg, spool, size, rcpt, n, seq);
}
