/* maildir.c: one user's Maildir, worked on as that user: the check at RCPT, the copy
 * in tmp/ (begun while the message arrives, or all at once), the move into new/; a
 * store of store.h, served by the delivery helper (helper.c).  Helper side: it runs in
 * a helper (as the user) or, in single-user mode, in the parent (which then is the
 * user).
 *
 * Maildirs as DJB describes them (cr.yp.to/proto/maildir.html).  No path below the
 * home is followed through a symlink (O_NOFOLLOW on every component and on the file).
 */
#include "maildir.h"

#include "log.h"
#include "privsep.h"
#include "room.h"
#include "store.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

#define DIR_FLAGS (O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)

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

/* The one copy per recipient, done by the kernel (copy_file_range, else sendfile):
 * bytes *off..size of the spool, appended to fd; *off says how far it got. */
static int copy_body(int spool, int fd, off_t *off, off_t size)
{
	while (*off < size) {
		ssize_t n = copy_file_range(spool, off, fd, NULL, (size_t)(size - *off), 0);
		if (n > 0)
			continue;
		if (n == 0)
			return errno = EIO, -1;		/* the spool is shorter than it should be */
		if (errno == EINTR)
			continue;
		if (errno == EXDEV || errno == EINVAL || errno == ENOSYS || errno == EOPNOTSUPP) {
			int rc = copy_sendfile(spool, fd, *off, size);
			if (rc == 0)
				*off = size;
			return rc;
		}
		return -1;
	}
	return 0;
}

/* DJB's unique name: <seconds>.M<usec>P<pid>Q<n>.<host>; '/' and ':' in the host name
 * are written as \057 and \072 as the maildir spec asks.  pid is the process that
 * writes the file (a helper's, chosen by the parent, which must know the name to
 * remove the file of a helper it killed).  The copy has this name in tmp/ and gets
 * ",S=<size>" in new/ (commit()), as its size may not be known when it is begun. */
void maildir_name(char *out, size_t n, const char *host, pid_t pid, unsigned seq)
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
	snprintf(out, n, "%lld.M%06ldP%ldQ%u.%s", (long long)tv.tv_sec, (long)tv.tv_usec,
		 (long)pid, seq, h);
}

/* ---- one Maildir, opened as its user ---- */

struct maildir {
	int md, tmp, new;	/* the Maildir and its tmp/ and new/, or -1 */
};

#define MAILDIR_CLOSED { -1, -1, -1 }

static void maildir_close(struct maildir *b)
{
	close_keep_errno(b->md);
	close_keep_errno(b->tmp);
	close_keep_errno(b->new);
	*b = (struct maildir)MAILDIR_CLOSED;
}

/* What an errno value from opening a Maildir says about it. */
static enum mailbox broken_by(int e)
{
	switch (e) {
	case ENOTDIR: case ELOOP: case EEXIST:
		return MAILBOX_NOTDIR;	/* a file, FIFO or symlink where a directory belongs */
	case EACCES: case EPERM: case EROFS:
		return MAILBOX_DENIED;
	case ENOSPC: case EDQUOT:
		return MAILBOX_FULL;
	default:
		return MAILBOX_BROKEN;
	}
}

/* The user can write (and search) each part: mode bits, ACLs, a read-only mount. */
static bool writable(int md)
{
	static const char *const part[] = { ".", "cur", "tmp", "new" };
	for (size_t i = 0; i < sizeof part / sizeof part[0]; i++)
		if (faccessat(md, part[i], W_OK | X_OK, AT_EACCESS | AT_SYMLINK_NOFOLLOW) == -1)
			return false;
	return true;
}

/* Open the Maildir below home, making what is missing (DJB: all three of tmp/ new/
 * cur/), and check that every part is a directory this user can write. */
static enum mailbox maildir_open(struct maildir *b, const struct config *cfg,
				 const char *home)
{
	maildir_close(b);
	b->md = open_maildir(home, cfg->maildir);
	if (b->md == -1)
		return broken_by(errno);
	int cur = subdir(b->md, "cur");
	if (cur != -1 && (b->tmp = subdir(b->md, "tmp")) != -1)
		b->new = subdir(b->md, "new");
	int e = errno;
	close_keep_errno(cur);
	if (cur == -1 || b->new == -1) {
		maildir_close(b);
		return broken_by(e);
	}
	if (!writable(b->md)) {
		e = errno;
		maildir_close(b);
		return broken_by(e);
	}
	return MAILBOX_OK;
}

/* The whole check, logged when it fails (the reply does not say what is wrong). */
static enum mailbox check(struct maildir *b, const struct config *cfg, const char *home,
			  const char *user, uint64_t size)
{
	enum mailbox r = maildir_open(b, cfg, home);
	if (r != MAILBOX_OK) {
		log_msg(LOG_NOTICE, "mailbox of %s: %s", user, strerror(errno));
		return r;
	}
	if ((r = mailbox_room(b->tmp, size)) != MAILBOX_OK)
		log_msg(LOG_NOTICE, "mailbox of %s: no room for %llu bytes", user,
			(unsigned long long)size);
	return r;
}

/* Start a copy in tmp/: created (never through a symlink, never over a file), the
 * header block written.  total, when known (not 0), is reserved first: that spares
 * ext4 the delayed allocation of every page (a 10 MB message: about 10% more MB/s in
 * make bench) and reports a full disk or quota before anything is written.  The
 * descriptor, or -1 with errno and nothing left in tmp/. */
static int copy_open(const struct maildir *b, const char *name, const char *head,
		     size_t headlen, off_t total)
{
	int fd = openat(b->tmp, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
			0600);
	if (fd == -1)
		return -1;
	if ((total && fallocate(fd, 0, 0, total) == -1 && errno != EOPNOTSUPP &&
	     errno != ENOSYS) || write_all(fd, head, headlen) == -1) {
		close_keep_errno(fd);
		unlinkat(b->tmp, name, 0);
		return -1;
	}
	return fd;
}

/* End a copy: synced and closed.  0, or an errno value and nothing left in tmp/. */
static int copy_close(const struct maildir *b, const char *name, int fd)
{
	if (fsync(fd) == 0 && close(fd) == 0)
		return 0;
	int e = errno;
	close(fd);
	unlinkat(b->tmp, name, 0);
	return e;
}

/* Phase 1 in one go: the whole copy in tmp/, synced.  0 or an errno value; on failure
 * nothing is left in tmp/. */
static int prepare(const struct maildir *b, const char *name, const char *head,
		   size_t headlen, int spool, off_t size)
{
	int fd = copy_open(b, name, head, headlen, (off_t)headlen + size);
	if (fd == -1)
		return errno;
	off_t off = 0;
	if (copy_body(spool, fd, &off, size) == -1) {
		int e = errno;
		close(fd);
		unlinkat(b->tmp, name, 0);
		return e;
	}
	return copy_close(b, name, fd);
}

/* Phase 2: move the copy into new/ under its full name (with its size, total) and
 * make that durable. */
static int commit(const struct maildir *b, const char *name, off_t total)
{
	char final[NAME_MAX + 1];
	if (snprintf(final, sizeof final, "%s,S=%lld", name, (long long)total) >= (int)sizeof final)
		return ENAMETOOLONG;
	if (renameat(b->tmp, name, b->new, final) == -1) {
		int e = errno;
		unlinkat(b->tmp, name, 0);
		return e;
	}
	return fsync(b->new) == -1 ? errno : 0;
}

/* ---- the store (store.h): a Maildir and the copy being written into it ---- */

struct maildir_store {
	const struct config *cfg;
	const char *home, *user;
	struct maildir box;	/* opened by the last check */
	char name[NAME_MAX + 1];	/* the copy in tmp/ (begun or prepared), or "" */
	off_t total;		/* a prepared copy's size */
	int fd, spool;		/* a begun copy and its spool, else -1 */
	off_t head, done;	/* its header bytes, the spool's bytes in it so far */
	int err;		/* what went wrong with it, for H_PREPARE */
};

/* Drop the copy in tmp/, begun or prepared. */
static void drop(struct maildir_store *h)
{
	close_keep_errno(h->fd);
	close_keep_errno(h->spool);
	h->fd = h->spool = -1;
	if (h->name[0])
		unlinkat(h->box.tmp, h->name, 0);
	h->name[0] = '\0';
	h->err = 0;
}

static enum mailbox st_check(void *st, uint64_t size, int *fd)
{
	struct maildir_store *h = st;
	enum mailbox r = check(&h->box, h->cfg, h->home, h->user, size);
	*fd = h->box.tmp;
	return r;
}

static int32_t st_open(void *st, uint64_t size)
{
	struct maildir_store *h = st;
	(void)size;	/* RCPT checked the room; the delivery finds out for itself */
	if (h->box.tmp == -1 && maildir_open(&h->box, h->cfg, h->home) != MAILBOX_OK)
		return errno ? errno : EIO;
	return 0;
}

/* H_BEGIN: the copy is started now and follows the spool as it grows (H_MORE). */
static int32_t st_begin(void *st, const char *name, const char *head, size_t headlen,
			int *spool)
{
	struct maildir_store *h = st;
	if (h->box.tmp == -1 || h->name[0] || *spool == -1 || !name[0] || strchr(name, '/'))
		return EPROTO;
	memcpy(h->name, name, NAME_MAX + 1);
	h->head = (off_t)headlen;
	h->done = 0;
	h->err = 0;
	if ((h->fd = copy_open(&h->box, name, head, headlen, 0)) == -1)
		h->err = errno;
	h->spool = *spool;	/* kept until the copy is done */
	*spool = -1;
	return 0;
}

/* H_MORE: up to size bytes of the spool into the begun copy (no further than the
 * spool has: size is only a hint). */
static void st_more(void *st, off_t size)
{
	struct maildir_store *h = st;
	struct stat s;
	if (h->fd == -1 || h->err || fstat(h->spool, &s) == -1)
		return;
	if (size > s.st_size)
		size = s.st_size;
	if (copy_body(h->spool, h->fd, &h->done, size) == -1)
		h->err = errno;
}

/* H_PREPARE: the whole copy in tmp/, synced: the rest of a begun one (its spool must
 * be the same file), or all of it. */
static int32_t st_prepare(void *st, const char *name, const char *head, size_t headlen,
			  int spool, off_t size)
{
	struct maildir_store *h = st;
	struct stat a, b;
	int32_t rc;
	if (h->box.tmp == -1 || spool == -1 || !name[0] || strchr(name, '/'))
		return EPROTO;
	if (!h->name[0]) {
		if ((rc = prepare(&h->box, name, head, headlen, spool, size)) == 0)
			memcpy(h->name, name, NAME_MAX + 1);
	} else if (strcmp(h->name, name) || h->fd == -1 || (off_t)headlen != h->head ||
		   h->done > size ||	/* more was announced than is delivered */
		   fstat(spool, &a) || fstat(h->spool, &b) || a.st_dev != b.st_dev ||
		   a.st_ino != b.st_ino) {
		rc = h->err ? h->err : EPROTO;
	} else if (h->err || copy_body(spool, h->fd, &h->done, size) == -1) {
		rc = h->err ? h->err : errno;
	} else {
		rc = copy_close(&h->box, h->name, h->fd);
		h->fd = -1;
	}
	if (rc)
		drop(h);
	close_keep_errno(h->spool);
	h->spool = -1;
	h->total = (off_t)headlen + size;
	return rc;
}

/* H_COMMIT: the prepared copy into new/. */
static int32_t st_commit(void *st)
{
	struct maildir_store *h = st;
	int32_t rc = h->name[0] && h->fd == -1 ? commit(&h->box, h->name, h->total) : EPROTO;
	h->name[0] = '\0';
	return rc;
}

/* H_ABORT: the copy, begun or prepared, removed. */
static int32_t st_abort(void *st)
{
	drop(st);
	return 0;
}

static void st_free(void *st)
{
	struct maildir_store *h = st;
	if (!h)
		return;
	drop(h);
	maildir_close(&h->box);
	free(h);
}

const struct store_ops maildir_ops = {
	.streams = true,
	.check = st_check, .open = st_open, .begin = st_begin, .more = st_more,
	.prepare = st_prepare, .commit = st_commit, .abort = st_abort, .free = st_free,
};

void *maildir_store(const struct config *cfg, const char *home, const char *user)
{
	struct maildir_store *h = malloc(sizeof *h);
	if (h)
		*h = (struct maildir_store){ .cfg = cfg, .home = home, .user = user,
					     .box = MAILDIR_CLOSED, .fd = -1, .spool = -1 };
	return h;
}
