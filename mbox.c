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
 * child (asuser.c) that drops to the user's uid and groups before it opens anything,
 * and the parent tells it "commit" or "abort" over a socketpair; the children write
 * in parallel, and a child that does not answer within DELIVERY_TIMEOUT_MS is killed
 * and the delivery fails (its recipient could have stopped it).  Privileged side.  In single-user mode the process already is the user
 * and runs the same steps itself.  No path below the home is followed through a
 * symlink (O_NOFOLLOW on every component and on the file).
 */
#include "mbox.h"

#include "asuser.h"
#include "log.h"
#include "util.h"

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

/* What a recipient's child is to do. */
struct job {
	const struct config *cfg;
	const struct priv_rcpt *r;
	int spool;
	off_t size;
	unsigned seq;
};

/* In the child, as the recipient: prepare, answer, then commit or abort as told. */
static void child(void *arg, const struct passwd *pw, int sock)
{
	const struct job *j = arg;
	struct tx t;
	int rc = prepare(&t, j->cfg, pw->pw_dir, j->r, j->spool, j->size, j->seq);
	(void)!send(sock, &rc, sizeof rc, MSG_NOSIGNAL);
	if (rc)
		return;
	char verdict = 0;
	if (read(sock, &verdict, 1) == 1 && verdict == 'c') {
		rc = commit(&t);
		(void)!send(sock, &rc, sizeof rc, MSG_NOSIGNAL);
	} else {
		abort_tx(&t);	/* told to, or the parent is gone */
	}
}

/* One child's answer: 0 or an errno value; a child that died or is late failed. */
static int answer(struct asuser *k, const char *user, const struct deadline *d)
{
	int rc;
	if (asuser_recv(k, &rc, sizeof rc, d) == 0)
		return rc;
	if (errno == ETIMEDOUT)
		log_msg(LOG_WARNING, "delivery to %s: no answer in time, given up", user);
	return EIO;
}

static int deliver_as_users(const struct config *cfg, int spool, off_t size,
			    const struct priv_rcpt *rcpt, size_t n, unsigned seq)
{
	struct asuser *k = calloc(n, sizeof *k);
	struct job *j = calloc(n, sizeof *j);
	int *rc = calloc(n, sizeof *rc);
	if (!k || !j || !rc) {
		free(k), free(j), free(rc);
		return ENOMEM;
	}
	struct deadline d;
	deadline_in(&d, DELIVERY_TIMEOUT_MS);
	int err = 0;
	size_t started = 0;
	while (started < n && !err) {
		j[started] = (struct job){ cfg, &rcpt[started], spool, size, seq };
		if (asuser_start(&k[started], cfg, rcpt[started].user, child, &j[started]) == -1)
			err = errno;
		else
			started++;
	}
	for (size_t i = 0; i < started; i++)
		if ((rc[i] = answer(&k[i], rcpt[i].user, &d)) != 0 && !err)
			err = rc[i];
	char verdict = err ? 'a' : 'c';
	for (size_t i = 0; i < started; i++)
		if (rc[i] == 0)
			(void)!asuser_send(&k[i], &verdict, 1);
	for (size_t i = 0; i < started && verdict == 'c'; i++) {
		int c = answer(&k[i], rcpt[i].user, &d);
		if (c && !err)
			err = c;
	}
	for (size_t i = 0; i < started; i++)
		asuser_end(&k[i], &d);
	free(k), free(j), free(rc);
	return err;
}

int mbox_deliver(const struct config *cfg, int spool, off_t size,
		 const struct priv_rcpt *rcpt, size_t n, unsigned seq)
{
	if (cfg->single)
		return deliver_here(cfg, spool, size, rcpt, n, seq);
	return deliver_as_users(cfg, spool, size, rcpt, n, seq);
}
