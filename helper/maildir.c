/* maildir.c: one user's Maildir, worked on as that user (maildir.h): the check at
 * RCPT, the copy in tmp/ (begun while the message arrives, or all at once), the move
 * into new/; and the helper process that does this for the session, serving the
 * parent's frames.  Privileged side: it runs in a helper (as the user) or, in
 * single-user mode, in the parent (which then is the user).  mbox.c starts the
 * helpers and waits for them.
 *
 * Maildirs as DJB describes them (cr.yp.to/proto/maildir.html).  No path below the
 * home is followed through a symlink (O_NOFOLLOW on every component and on the file).
 */
#include "maildir.h"

#include "frame.h"
#include "log.h"
#include "mboxfile.h"
#include "privsep.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/quota.h>
#include <sys/sendfile.h>
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

/* Room for size more bytes (and one more file) in tmp/'s file system, as this user
 * sees it (f_bavail leaves out root's reserve), and in the user's quota where the
 * file system keeps one (quotactl_fd, Linux 5.14; ENOSYS, ESRCH "no quota here" and
 * EOPNOTSUPP only mean nothing to check; the valgrind build, NO_QUOTACTL_FD, leaves
 * it out: valgrind 3.19 does not know the call).  The trace headers are counted with
 * a margin of PS_HEAD_MAX. */
enum mailbox mailbox_room(int tmp, uint64_t size)
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

/* ---- the helper: a process running as the user for the session ---- */

#define H_FRAME_MAX (8 + 4 + NAME_MAX + 4 + PS_HEAD_MAX)

/* The helper's side. */
struct worker {
	const struct config *cfg;
	const char *home, *user;
	struct mboxfile *mbox;	/* --mailbox mbox: the user's mbox file, else NULL */
	struct maildir box;	/* opened by the last check */
	char name[NAME_MAX + 1];	/* the copy in tmp/ (begun or prepared), or "" */
	off_t total;		/* a prepared copy's size */
	int fd, spool;		/* a begun copy and its spool, else -1 */
	off_t head, done;	/* its header bytes, the spool's bytes in it so far */
	int err;		/* what went wrong with it, for H_PREPARE */
};

/* Drop the copy in tmp/, begun or prepared. */
static void helper_drop(struct worker *h)
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
static int32_t helper_begin(struct worker *h, const char *name, const char *head,
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
static void helper_more(struct worker *h, off_t size)
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
static int32_t helper_prepare(struct worker *h, const char *name, const char *head,
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

/* The same requests for an mbox file (mboxfile.c): the copy is written whole at
 * H_PREPARE, under the mailbox's locks, which are held until H_COMMIT or H_ABORT.
 * H_BEGIN and H_MORE do nothing (mbox.c does not send them for mbox): a copy can only
 * be written under the locks, and an mbox lock must not be held while a client takes
 * its time sending the message (every other delivery and the user's mail reader
 * would wait for it). */
static int32_t mbox_do(struct worker *h, const struct frame *f, uint64_t size,
		       const char *head, size_t headlen, int *fd)
{
	int32_t rc;
	switch (f->type) {
	case H_CHECK:
		rc = mboxfile_check(h->mbox, size);
		*fd = mboxfile_fd(h->mbox);
		return rc;
	case H_BEGIN:
	case H_MORE:
		return 0;
	case H_PREPARE:
		return mboxfile_prepare(h->mbox, head, headlen, f->fd, (off_t)size);
	case H_DELIVER:
		rc = mboxfile_prepare(h->mbox, head, headlen, f->fd, (off_t)size);
		return rc ? rc : mboxfile_commit(h->mbox);
	case H_COMMIT:
		return mboxfile_commit(h->mbox);
	case H_ABORT:
		return mboxfile_abort(h->mbox);
	}
	return EPROTO;
}

static int32_t helper_do(struct worker *h, struct frame *f, int *fd)
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
	if (f->type == H_FORWARD)	/* whatever the mailbox's format */
		return (int32_t)forward_read(h->home, h->user, fd);
	if (h->mbox)
		return mbox_do(h, f, size, head, headlen, fd);
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
void maildir_helper(void *arg, const struct passwd *pw, int sock)
{
	struct worker h = { .cfg = arg, .home = pw->pw_dir, .user = pw->pw_name,
			    .box = MAILDIR_CLOSED, .fd = -1, .spool = -1 };
	struct frame f = FRAME_INIT;
	if (h.cfg->store == STORE_MBOX && !(h.mbox = mboxfile_new(h.cfg, h.user))) {
		log_msg(LOG_ERR, "%s: no mbox for this user name", h.user);
		return;	/* the parent sees the link close: the check fails */
	}
	while (frame_recv(sock, &f, H_FRAME_MAX, NULL) == 0) {
		int fd = -1;
		int32_t rc = helper_do(&h, &f, &fd);
		if (f.type == H_BEGIN || f.type == H_MORE)
			continue;	/* not answered */
		int sent = frame_send_raw(sock, (const char *)&rc, sizeof rc, fd);
		if (f.type == H_FORWARD)
			close_keep_errno(fd);	/* the parent has its own now */
		if (sent == -1)
			break;
	}
	helper_drop(&h);
	frame_free(&f);
	maildir_close(&h.box);
	mboxfile_free(h.mbox);	/* aborts what is prepared */
}

/* ---- single-user mode: this process is the user, and does a helper's work ---- */

/* The one recipient (every local part is the one user, and the parent refuses a user
 * twice) gets its copy begun here. */
void maildir_begin(struct worker *h, int spool, const struct priv_rcpt *rcpt, size_t n,
		   unsigned seq)
{
	if (h->mbox)
		return;	/* written whole at the delivery, under the locks (mbox_do()) */
	if (n != 1 || (h->box.tmp == -1 && maildir_open(&h->box, h->cfg, h->home) != MAILBOX_OK))
		return;	/* maildir_deliver() tries again, or fails */
	char name[NAME_MAX + 1];
	maildir_name(name, sizeof name, h->cfg->hostname, getpid(), seq);
	int fd = fcntl(spool, F_DUPFD_CLOEXEC, 0);
	if (fd != -1)
		helper_begin(h, name, rcpt->head, rcpt->headlen, &fd);
	close_keep_errno(fd);
}

int maildir_deliver(struct worker *h, int spool, off_t size, const struct priv_rcpt *rcpt,
		    size_t n, unsigned seq, const struct mbox_hook *hook)
{
	if (n != 1)
		return EINVAL;
	if (h->mbox) {
		if (mboxfile_fd(h->mbox) == -1 &&
		    mboxfile_check(h->mbox, (uint64_t)size) != MAILBOX_OK)
			return EIO;
		int rc = mboxfile_prepare(h->mbox, rcpt->head, rcpt->headlen, spool, size);
		if (rc == 0 && hook && (rc = hook->fn(hook->arg)))	/* mbox.h: all or nothing */
			mboxfile_abort(h->mbox);
		else if (rc == 0)
			rc = mboxfile_commit(h->mbox);
		return rc;
	}
	if (h->box.tmp == -1 && maildir_open(&h->box, h->cfg, h->home) != MAILBOX_OK)
		return errno ? errno : EIO;
	char name[NAME_MAX + 1];
	if (h->name[0])
		memcpy(name, h->name, sizeof name);	/* begun */
	else
		maildir_name(name, sizeof name, h->cfg->hostname, getpid(), seq);
	int rc = helper_prepare(h, name, rcpt->head, rcpt->headlen, spool, size);
	if (rc == 0 && hook && (rc = hook->fn(hook->arg)))	/* mbox.h: all or nothing */
		helper_drop(h);
	else if (rc == 0)
		rc = commit(&h->box, h->name, h->total);
	h->name[0] = '\0';
	return rc;
}

struct worker *maildir_new(const struct config *cfg, const char *home, const char *user)
{
	struct worker *w = malloc(sizeof *w);
	if (!w)
		return NULL;
	*w = (struct worker){ .cfg = cfg, .home = home, .user = user,
			      .box = MAILDIR_CLOSED, .fd = -1, .spool = -1 };
	if (cfg->store == STORE_MBOX && !(w->mbox = mboxfile_new(cfg, user))) {
		free(w);
		return NULL;
	}
	return w;
}

enum forward maildir_forward(struct worker *w, int *fd)
{
	return forward_read(w->home, w->user, fd);
}

enum mailbox maildir_check(struct worker *w, uint64_t size)
{
	if (w->mbox)
		return mboxfile_check(w->mbox, size);
	return check(&w->box, w->cfg, w->home, w->user, size);
}

void maildir_more(struct worker *w, uint64_t size)
{
	helper_more(w, (off_t)size);
}

void maildir_drop(struct worker *w)
{
	helper_drop(w);
	if (w->mbox)
		mboxfile_abort(w->mbox);
}

void maildir_free(struct worker *w)
{
	if (!w)
		return;
	helper_drop(w);
	maildir_close(&w->box);
	mboxfile_free(w->mbox);
	free(w);
}
