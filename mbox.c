/* mbox.c: delivery into Maildirs, as DJB describes them (cr.yp.to/proto/maildir.html).
 *
 * Delivery is two-phase so that it is all or nothing over all recipients:
 *   prepare: write the copy into tmp/ under a unique name, fsync it;
 *   commit:  rename it into new/, fsync new/;      abort: unlink it from tmp/.
 * No copy is committed before every recipient's prepare has succeeded.  Only a failure
 * between two commits (a rename or a directory fsync) can leave some recipients with the
 * message while the client is told to retry: a duplicate later, never a loss.
 *
 * The work on a user's files is done as that user.  As root, each recipient user gets
 * a helper process (asuser.c) at the first check of its mailbox (RCPT), which drops
 * to the user's uid and groups before it opens anything and then serves this
 * session's checks and deliveries for that user until the session ends: one fork,
 * getpwnam and initgroups per user and session instead of per recipient and message,
 * and the fork happens while the client still sends its envelope.  The helpers write
 * in parallel.  A helper runs as its user, who may stop it (SIGSTOP) or make it hang
 * on a file system of their own (FUSE, NFS): the parent never waits for one longer
 * than --delivery-timeout, then kills it and has its tmp/ file removed, as the user,
 * through the tmp/ descriptor the helper passed up, by a child that is itself given
 * CLEANUP_TIMEOUT_MS.  The privileged process itself never touches a user's file.
 * Privileged side.  In single-user mode the process already is the user and runs the
 * same steps itself.  No path below the home is followed through a symlink
 * (O_NOFOLLOW on every component and on the file).
 */
#include "mbox.h"

#include "asuser.h"
#include "frame.h"
#include "log.h"
#include "privsep.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/quota.h>
#include <sys/sendfile.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
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
static void unique_name(char *out, size_t n, const char *host, pid_t pid, unsigned seq)
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

/* Room for size more bytes (and one more file) in tmp/'s file system, as this user
 * sees it (f_bavail leaves out root's reserve), and in the user's quota where the
 * file system keeps one (quotactl_fd, Linux 5.14; ENOSYS, ESRCH "no quota here" and
 * EOPNOTSUPP only mean nothing to check; the valgrind build, NO_QUOTACTL_FD, leaves
 * it out: valgrind 3.19 does not know the call).  The trace headers are counted with
 * a margin of PS_HEAD_MAX. */
static enum mailbox room(int tmp, uint64_t size)
{
	uint64_t need = size + PS_HEAD_MAX;
	struct statvfs v;
	if (fstatvfs(tmp, &v) == 0 &&
	    ((uint64_t)v.f_bavail * v.f_frsize < need || (v.f_files && v.f_favail == 0)))
		return MAILBOX_FULL;
#if defined SYS_quotactl_fd && !defined NO_QUOTACTL_FD
	struct dqblk q;
	/* QCMD() shifts an int into its sign bit (undefined); the same bits, unsigned. */
	unsigned cmd = (unsigned)Q_GETQUOTA << SUBCMDSHIFT | (USRQUOTA & SUBCMDMASK);
	if (syscall(SYS_quotactl_fd, tmp, cmd, (int)geteuid(), &q) == 0) {
		/* dqb_bhardlimit counts QIF_DQBLKSIZE-byte blocks (quotactl(2)). */
		if ((q.dqb_valid & QIF_BLIMITS) && q.dqb_bhardlimit &&
		    q.dqb_curspace + need > q.dqb_bhardlimit * QIF_DQBLKSIZE)
			return MAILBOX_FULL;
		if ((q.dqb_valid & QIF_ILIMITS) && q.dqb_ihardlimit &&
		    q.dqb_curinodes + 1 > q.dqb_ihardlimit)
			return MAILBOX_FULL;
	}
#endif
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
	if ((r = room(b->tmp, size)) != MAILBOX_OK)
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

/* ---- as root: a helper per recipient user, running as that user ---- */

/* The helper's requests (frames of frame.h between the parent and a helper; the
 * helper trusts the parent).  H_CHECK, H_PREPARE, H_COMMIT and H_ABORT are answered
 * with an int32 (an enum mailbox for H_CHECK, else 0 or an errno value), H_CHECK's
 * with the helper's tmp/ descriptor attached when it has one; H_DELIVER as H_PREPARE.
 * H_BEGIN and H_MORE
 * are not answered: they let the helper write its copy while the message arrives,
 * and what goes wrong there is H_PREPARE's answer. */
enum h_type {
	H_CHECK = 1,	/* u64 size */
	H_PREPARE,	/* u64 size, str name, bytes header block; the spool attached */
	H_COMMIT,	/* the prepared copy into new/ */
	H_ABORT,	/* the prepared copy removed */
	H_BEGIN,	/* u64 0, str name, bytes header block; the growing spool attached */
	H_MORE,		/* u64 bytes of the spool there are so far */
	H_DELIVER,	/* H_PREPARE then H_COMMIT: a delivery to this one recipient */
};
#define H_FRAME_MAX (8 + 4 + NAME_MAX + 4 + PS_HEAD_MAX)

/* The helper's side. */
struct hstate {
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
static void helper_drop(struct hstate *h)
{
	close_keep_errno(h->fd);
	close_keep_errno(h->spool);
	h->fd = h->spool = -1;
	if (h->name[0])
		unlinkat(h->box.tmp, h->name, 0);
	h->name[0] = '\0';
	h->err = 0;
}

/* H_BEGIN: the copy is started now and follows the spool as it grows (H_MORE). */
static int32_t helper_begin(struct hstate *h, const char *name, const char *head,
			    size_t headlen, int *spool)
{
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
static void helper_more(struct hstate *h, off_t size)
{
	struct stat st;
	if (h->fd == -1 || h->err || fstat(h->spool, &st) == -1)
		return;
	if (size > st.st_size)
		size = st.st_size;
	if (copy_body(h->spool, h->fd, &h->done, size) == -1)
		h->err = errno;
}

/* H_PREPARE: the whole copy in tmp/, synced: the rest of a begun one (its spool must
 * be the same file), or all of it. */
static int32_t helper_prepare(struct hstate *h, const char *name, const char *head,
			      size_t headlen, int spool, off_t size)
{
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
		helper_drop(h);
	close_keep_errno(h->spool);
	h->spool = -1;
	h->total = (off_t)headlen + size;
	return rc;
}

static int32_t helper_do(struct hstate *h, struct frame *f, int *fd)
{
	uint64_t size = f->type != H_COMMIT && f->type != H_ABORT ? frame_get_u64(f) : 0;
	char name[NAME_MAX + 1] = "";
	size_t headlen = 0;
	const char *head = NULL;
	if (f->type == H_PREPARE || f->type == H_DELIVER || f->type == H_BEGIN) {
		frame_get_str(f, name, NAME_MAX);
		head = frame_get_bytes(f, PS_HEAD_MAX, &headlen);
	}
	if (!frame_done(f) || size > (uint64_t)INT64_MAX)
		return EPROTO;
	int32_t rc;
	switch (f->type) {
	case H_CHECK:
		rc = check(&h->box, h->cfg, h->home, h->user, size);
		*fd = h->box.tmp;
		return rc;
	case H_BEGIN:
		return helper_begin(h, name, head, headlen, &f->fd);
	case H_MORE:
		helper_more(h, (off_t)size);
		return 0;
	case H_PREPARE:
		return helper_prepare(h, name, head, headlen, f->fd, (off_t)size);
	case H_DELIVER:
		if ((rc = helper_prepare(h, name, head, headlen, f->fd, (off_t)size)) == 0)
			rc = commit(&h->box, h->name, h->total);
		h->name[0] = '\0';
		return rc;
	case H_COMMIT:
		rc = h->name[0] && h->fd == -1 ? commit(&h->box, h->name, h->total) : EPROTO;
		h->name[0] = '\0';
		return rc;
	case H_ABORT:
		helper_drop(h);
		return 0;
	}
	return EPROTO;
}

/* The helper: serve the parent until it closes the link, then drop what is open. */
static void helper_main(void *arg, const struct passwd *pw, int sock)
{
	struct hstate h = { .cfg = arg, .home = pw->pw_dir, .user = pw->pw_name,
			    .box = MAILDIR_CLOSED, .fd = -1, .spool = -1 };
	struct frame f = FRAME_INIT;
	while (frame_recv(sock, &f, H_FRAME_MAX, NULL) == 0) {
		int fd = -1;
		int32_t rc = helper_do(&h, &f, &fd);
		if (f.type == H_BEGIN || f.type == H_MORE)
			continue;	/* not answered */
		if (frame_send_raw(sock, (const char *)&rc, sizeof rc, fd) == -1)
			break;
	}
	helper_drop(&h);
	frame_free(&f);
	maildir_close(&h.box);
}

/* ---- single-user mode: this process is the user, and does a helper's work ---- */

/* The one recipient (every local part is the one user, and the parent refuses a user
 * twice) gets its copy begun here. */
static void begin_here(struct hstate *h, int spool, const struct priv_rcpt *rcpt, size_t n,
		       unsigned seq)
{
	if (n != 1 || (h->box.tmp == -1 && maildir_open(&h->box, h->cfg, h->home) != MAILBOX_OK))
		return;	/* deliver_here() tries again, or fails */
	char name[NAME_MAX + 1];
	unique_name(name, sizeof name, h->cfg->hostname, getpid(), seq);
	int fd = fcntl(spool, F_DUPFD_CLOEXEC, 0);
	if (fd != -1)
		helper_begin(h, name, rcpt->head, rcpt->headlen, &fd);
	close_keep_errno(fd);
}

static int deliver_here(struct hstate *h, int spool, off_t size, const struct priv_rcpt *rcpt,
			size_t n, unsigned seq)
{
	if (n != 1)
		return EINVAL;
	if (h->box.tmp == -1 && maildir_open(&h->box, h->cfg, h->home) != MAILBOX_OK)
		return errno ? errno : EIO;
	char name[NAME_MAX + 1];
	if (h->name[0])
		memcpy(name, h->name, sizeof name);	/* begun */
	else
		unique_name(name, sizeof name, h->cfg->hostname, getpid(), seq);
	int rc = helper_prepare(h, name, rcpt->head, rcpt->headlen, spool, size);
	if (rc == 0)
		rc = commit(&h->box, h->name, h->total);
	h->name[0] = '\0';
	return rc;
}

/* The parent's side: one helper. */
struct helper {
	char user[USER_NAME_MAX + 1];
	uid_t uid;
	gid_t gid;
	struct asuser k;	/* k.fd == -1: gone (killed), to be swept */
	int tmp;		/* its tmp/ (from its last check), or -1 */
	char name[NAME_MAX + 1];	/* its copy in tmp/ while a delivery is open */
	bool begun;		/* that copy was begun while the message arrived */
	unsigned long used;	/* when it was last asked: the least recent one goes */
};

struct mbox {
	const struct config *cfg;
	struct hstate *self;	/* single-user mode: this process does a helper's work */
	struct helper *h;
	size_t n, cap;
	unsigned long tick;
};

struct mbox *mbox_open(const struct config *cfg)
{
	struct mbox *m = calloc(1, sizeof *m);
	if (!m)
		return NULL;
	m->cfg = cfg;
	if (cfg->single && !(m->self = malloc(sizeof *m->self))) {
		free(m);
		return NULL;
	}
	if (m->self)
		*m->self = (struct hstate){ .cfg = cfg, .home = cfg->home, .user = cfg->user,
					    .box = MAILDIR_CLOSED, .fd = -1, .spool = -1 };
	return m;
}

static int find(const struct mbox *m, const char *user)
{
	for (size_t i = 0; i < m->n; i++)
		if (m->h[i].k.fd != -1 && strcmp(m->h[i].user, user) == 0)
			return (int)i;
	return -1;
}

/* In a short-lived child as the user: remove a killed helper's copy. */
static void unlink_copy(void *arg, const struct passwd *pw, int sock)
{
	const struct helper *h = arg;
	(void)pw, (void)sock;
	unlinkat(h->tmp, h->name, 0);
}

/* A killed helper's copy is removed by its user, relative to the tmp/ descriptor
 * the helper passed up (never by a path, never following a symlink), within
 * CLEANUP_TIMEOUT_MS.  The descriptor is hidden from children; a duplicate that is
 * not rides into this one. */
static void remove_copy(const struct mbox *m, struct helper *h)
{
	if (h->tmp == -1 || !h->name[0])
		return;
	struct helper copy = *h;
	struct passwd pw = { .pw_name = h->user, .pw_uid = h->uid, .pw_gid = h->gid };
	struct asuser k;
	struct deadline d;
	if ((copy.tmp = fcntl(h->tmp, F_DUPFD_CLOEXEC, 0)) == -1)
		return;
	deadline_in(&d, CLEANUP_TIMEOUT_MS);
	if (asuser_start_pw(&k, m->cfg, &pw, unlink_copy, &copy) == 0)
		asuser_end(&k, &d);
	close(copy.tmp);
	h->name[0] = '\0';
}

static void forget_tmp(struct helper *h)
{
	if (h->tmp == -1)
		return;
	asuser_unhide(h->tmp);
	close(h->tmp);
	h->tmp = -1;
}

/* A helper that failed to answer: killed now, its copy removed; swept later. */
static void give_up(struct mbox *m, struct helper *h, const char *why)
{
	log_msg(LOG_WARNING, "mailbox of %s: %s; its helper killed", h->user, why);
	asuser_kill(&h->k);
	remove_copy(m, h);
	forget_tmp(h);
}

/* Drop the helpers that are gone from the table. */
static void sweep(struct mbox *m)
{
	size_t j = 0;
	for (size_t i = 0; i < m->n; i++)
		if (m->h[i].k.fd != -1)
			m->h[j++] = m->h[i];
	m->n = j;
}

/* Start a helper for user (looked up here, in the parent, so that the helper and a
 * cleanup child know its ids).  Returns its index, or -1. */
static int start(struct mbox *m, const char *user)
{
	if (m->n == m->cap) {
		size_t cap = m->cap ? m->cap * 2 : 4;
		struct helper *p = realloc(m->h, cap * sizeof *p);
		if (!p)
			return -1;
		m->h = p;
		m->cap = cap;
	}
	errno = 0;
	struct passwd *pw = getpwnam(user);
	if (!pw) {
		log_msg(LOG_ERR, "%s: no such user", user);
		return -1;
	}
	struct helper *h = &m->h[m->n];
	*h = (struct helper){ .uid = pw->pw_uid, .gid = pw->pw_gid, .tmp = -1 };
	snprintf(h->user, sizeof h->user, "%s", pw->pw_name);
	char *home = strdup(pw->pw_dir);
	if (!home)
		return -1;
	struct passwd copy = { .pw_name = h->user, .pw_uid = h->uid, .pw_gid = h->gid,
			       .pw_dir = home };
	int rc = asuser_start_pw(&h->k, m->cfg, &copy, helper_main, (void *)m->cfg);
	free(home);
	if (rc == -1) {
		log_msg(LOG_ERR, "%s: cannot start a delivery helper: %s", user, strerror(errno));
		return -1;
	}
	/* Never blocked by a helper that does not read: a request is refused instead. */
	fcntl(h->k.fd, F_SETFL, O_NONBLOCK);
	asuser_hide(h->k.fd);
	return (int)m->n++;
}

/* Send the request built in f (with fd unless -1): false when the helper cannot take
 * it now (gone, or not reading: its socket buffer full). */
static bool tell(struct helper *h, struct frame *f, int fd)
{
	return frame_send(h->k.fd, f, fd) == 0;
}

/* The helper's answer before d; its tmp/ descriptor, when one comes, replaces the
 * one kept.  -1 when it is late or gone. */
static int hear(struct helper *h, int32_t *rc, const struct deadline *d)
{
	size_t got = 0;
	while (got < sizeof *rc) {
		struct pollfd p = { .fd = h->k.fd, .events = POLLIN };
		int r = poll(&p, 1, deadline_left(d));
		if (r == -1 && errno == EINTR)
			continue;
		if (r == 0)
			return errno = ETIMEDOUT, -1;
		char cbuf[CMSG_SPACE(sizeof(int))];
		struct iovec iov = { (char *)rc + got, sizeof *rc - got };
		struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf,
				      .msg_controllen = sizeof cbuf };
		ssize_t n = r == -1 ? -1 : recvmsg(h->k.fd, &msg, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
		if (n == -1 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (n <= 0)
			return errno = EIO, -1;
		struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
		if (c && c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS &&
		    c->cmsg_len == CMSG_LEN(sizeof(int))) {
			forget_tmp(h);
			memcpy(&h->tmp, CMSG_DATA(c), sizeof h->tmp);
			asuser_hide(h->tmp);
		}
		got += (size_t)n;
	}
	return 0;
}

/* Ask helper i to check its mailbox, before d. */
static enum mailbox check_at(struct mbox *m, int i, uint64_t size, const struct deadline *d)
{
	struct helper *h = &m->h[i];
	struct frame f = FRAME_INIT;
	int32_t rc = MAILBOX_TEMPFAIL;
	h->used = ++m->tick;
	frame_begin(&f, H_CHECK);
	frame_put_u64(&f, size);
	if (!tell(h, &f, -1) || hear(h, &rc, d) == -1) {
		give_up(m, h, errno == ETIMEDOUT ? "no answer to the check in time"
						 : "the check failed");
		rc = MAILBOX_TEMPFAIL;
	} else if (rc < MAILBOX_OK || rc > MAILBOX_TEMPFAIL) {
		rc = MAILBOX_TEMPFAIL;
	}
	frame_free(&f);
	return (enum mailbox)rc;
}

/* At most HELPERS_MAX at once: the one asked least recently ends first. */
static void make_room(struct mbox *m)
{
	struct deadline d;
	while (m->n >= HELPERS_MAX) {
		size_t old = 0;
		for (size_t i = 1; i < m->n; i++)
			if (m->h[i].used < m->h[old].used)
				old = i;
		deadline_in(&d, REAP_GRACE_MS);
		forget_tmp(&m->h[old]);
		shutdown(m->h[old].k.fd, SHUT_WR);	/* it sees the end, and exits */
		asuser_end(&m->h[old].k, &d);
		sweep(m);
	}
}

enum mailbox mbox_check(struct mbox *m, const char *user, uint64_t size)
{
	if (m->self)	/* the Maildir stays open for the delivery */
		return check(&m->self->box, m->cfg, m->self->home, m->self->user, size);
	sweep(m);
	int i = find(m, user);
	if (i == -1) {
		make_room(m);
		if ((i = start(m, user)) == -1)
			return MAILBOX_TEMPFAIL;
	}
	struct deadline d;
	deadline_in(&d, m->cfg->delivery_timeout * 1000ULL);
	return check_at(m, i, size, &d);
}

/* The helper of user, ready to deliver (started and checked now if need be), or -1
 * with an errno value in *err. */
static int ready(struct mbox *m, const char *user, uint64_t size, const struct deadline *d,
		 int *err)
{
	int i = find(m, user);
	if (i == -1 && (i = start(m, user)) == -1)
		return *err = EIO, -1;
	if (m->h[i].tmp != -1)
		return i;
	enum mailbox r = check_at(m, i, size, d);
	if (r == MAILBOX_OK)
		return i;
	*err = r == MAILBOX_FULL ? ENOSPC : EIO;
	return -1;
}

/* Helper i writes its copy into tmp/ (the answer is heard later). */
static int ask_prepare(struct mbox *m, int i, const struct priv_rcpt *r, int spool,
		       off_t size, unsigned seq, enum h_type type)
{
	struct helper *h = &m->h[i];
	struct frame f = FRAME_INIT;
	h->used = ++m->tick;
	if (!h->begun)
		unique_name(h->name, sizeof h->name, m->cfg->hostname, h->k.pid, seq);
	h->begun = false;
	frame_begin(&f, type);
	frame_put_u64(&f, (uint64_t)size);
	frame_put_str(&f, h->name);
	frame_put_bytes(&f, r->head, r->headlen);
	bool ok = tell(h, &f, spool);
	frame_free(&f);
	if (!ok)
		give_up(m, h, "cannot send the delivery");
	return ok ? 0 : EIO;
}

/* Helper i's answer to the request sent last: 0, an errno value, or EIO for a helper
 * that is late (then killed, its copy removed). */
static int answer(struct mbox *m, int i, const struct deadline *d)
{
	struct helper *h = &m->h[i];
	int32_t rc;
	if (hear(h, &rc, d) == -1) {
		give_up(m, h, errno == ETIMEDOUT ? "no answer to the delivery in time"
						 : "the helper ended");
		return EIO;
	}
	if (rc)	/* the helper removed its copy itself */
		h->name[0] = '\0';
	return rc;
}

/* Helper i commits or aborts its prepared copy; 0 or an errno value. */
static int finish(struct mbox *m, int i, enum h_type verdict, const struct deadline *d)
{
	struct helper *h = &m->h[i];
	struct frame f = FRAME_INIT;
	frame_begin(&f, verdict);
	bool ok = tell(h, &f, -1);
	frame_free(&f);
	if (!ok) {
		give_up(m, h, "cannot send the verdict");
		return EIO;
	}
	int rc = answer(m, i, d);
	h->name[0] = '\0';
	return rc;
}

/* The helpers of rcpt[0..n), started and checked if need be (-1 for one that cannot
 * be), into hi[]; 0, or the first failure's errno value. */
static int helpers_of(struct mbox *m, const struct priv_rcpt *rcpt, size_t n, int *hi,
		      uint64_t size, const struct deadline *d)
{
	int err = 0;
	for (size_t i = 0; i < n; i++)
		if ((hi[i] = ready(m, rcpt[i].user, size, d, &err)) == -1)
			return err;
	return 0;
}

void mbox_begin(struct mbox *m, int spool, const struct priv_rcpt *rcpt, size_t n,
		unsigned seq)
{
	if (m->self) {
		begin_here(m->self, spool, rcpt, n, seq);
		return;
	}
	struct deadline d;
	deadline_in(&d, m->cfg->delivery_timeout * 1000ULL);
	sweep(m);
	/* A helper that cannot begin is left to mbox_deliver(), which tries again. */
	for (size_t i = 0; i < n; i++) {
		int err, k = ready(m, rcpt[i].user, 0, &d, &err);
		if (k == -1)
			continue;
		struct helper *h = &m->h[k];
		struct frame f = FRAME_INIT;
		unique_name(h->name, sizeof h->name, m->cfg->hostname, h->k.pid, seq);
		frame_begin(&f, H_BEGIN);
		frame_put_u64(&f, 0);
		frame_put_str(&f, h->name);
		frame_put_bytes(&f, rcpt[i].head, rcpt[i].headlen);
		h->begun = tell(h, &f, spool);
		if (!h->begun)
			give_up(m, h, "cannot send the delivery");
		frame_free(&f);
	}
}

void mbox_more(struct mbox *m, uint64_t size)
{
	if (m->self)
		helper_more(m->self, (off_t)size);
	for (size_t i = 0; i < m->n; i++) {
		struct helper *h = &m->h[i];
		if (h->k.fd == -1 || !h->begun)
			continue;
		struct frame f = FRAME_INIT;
		frame_begin(&f, H_MORE);
		frame_put_u64(&f, size);
		tell(h, &f, -1);	/* only a hint: a helper not reading misses it */
		frame_free(&f);
	}
}

void mbox_discard(struct mbox *m)
{
	if (m->self)
		helper_drop(m->self);
	struct deadline d;
	deadline_in(&d, m->cfg->delivery_timeout * 1000ULL);
	for (size_t i = 0; i < m->n; i++)
		if (m->h[i].k.fd != -1 && m->h[i].begun) {
			m->h[i].begun = false;
			finish(m, (int)i, H_ABORT, &d);
		}
	sweep(m);
}

static int deliver_as_users(struct mbox *m, int spool, off_t size,
			    const struct priv_rcpt *rcpt, size_t n, unsigned seq)
{
	int *hi = calloc(n, sizeof *hi), *rc = calloc(n, sizeof *rc);
	if (!hi || !rc) {
		free(hi), free(rc);
		return ENOMEM;
	}
	struct deadline d;
	deadline_in(&d, m->cfg->delivery_timeout * 1000ULL);
	int err = 0;
	size_t asked = 0;
	/* All helpers first (their indexes stay valid: sweep() runs only at the end). */
	err = helpers_of(m, rcpt, n, hi, (uint64_t)size, &d);
	/* Then every copy at once, the helpers writing in parallel.  One recipient alone
	 * is all or nothing by itself: its helper commits at once, which spares a round
	 * trip per message. */
	enum h_type type = n == 1 ? H_DELIVER : H_PREPARE;
	while (asked < n && !err) {
		err = rc[asked] = ask_prepare(m, hi[asked], &rcpt[asked], spool, size, seq, type);
		asked++;
	}
	for (size_t i = 0; i < asked; i++)
		if (rc[i] == 0 && (rc[i] = answer(m, hi[i], &d)) && !err)
			err = rc[i];
	if (type == H_DELIVER) {
		if (asked)
			m->h[hi[0]].name[0] = '\0';	/* in new/, or removed */
		asked = 0;
	}
	/* Only when every copy is in tmp/ does any go into new/.  The second phase has
	 * a deadline of its own: the helpers that were on time must not be killed
	 * because another one was late. */
	enum h_type verdict = err ? H_ABORT : H_COMMIT;
	deadline_in(&d, m->cfg->delivery_timeout * 1000ULL);
	for (size_t i = 0; i < asked; i++) {
		if (rc[i])
			continue;
		int c = finish(m, hi[i], verdict, &d);
		if (c && !err)
			err = c;
	}
	free(hi), free(rc);
	sweep(m);
	return err;
}

int mbox_deliver(struct mbox *m, int spool, off_t size, const struct priv_rcpt *rcpt,
		 size_t n, unsigned seq)
{
	if (m->self)
		return deliver_here(m->self, spool, size, rcpt, n, seq);
	return deliver_as_users(m, spool, size, rcpt, n, seq);
}

void mbox_close(struct mbox *m)
{
	if (!m)
		return;
	if (m->self) {
		helper_drop(m->self);
		maildir_close(&m->self->box);
		free(m->self);
	}
	/* Every helper sees its link close at once and exits; they are reaped together,
	 * a late one killed. */
	for (size_t i = 0; i < m->n; i++) {
		struct helper *h = &m->h[i];
		forget_tmp(h);
		if (h->k.fd != -1) {
			asuser_unhide(h->k.fd);
			shutdown(h->k.fd, SHUT_WR);
		}
	}
	struct deadline d;
	deadline_in(&d, REAP_GRACE_MS);
	for (size_t i = 0; i < m->n; i++)
		if (m->h[i].k.fd != -1)
			asuser_end(&m->h[i].k, &d);
	free(m->h);
	free(m);
}
