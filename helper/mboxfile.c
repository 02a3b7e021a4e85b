/* mboxfile.c: one user's mbox file (--mailbox mbox), worked on as that user
 * (mboxfile.h): the check at RCPT, the copy appended under the mailbox's locks and
 * kept or cut back.  Helper side: it runs in a delivery helper (as the user), in
 * single-user mode in the parent (which then is the user), and in the short-lived
 * child that undoes a killed helper's copy (as the user).  Nothing here runs as root.
 *
 * The format is RFC 4155's mbox, "mboxrd" flavour: each message starts with a line
 * "From <envelope sender> <date>" (the date as asctime(3) writes it, in UTC, RFC 4155
 * 2), every line of the message that matches ^>*From  gains one '>' more (so a reader
 * that takes one off gets the message back exactly, whatever it held), and the
 * message ends with an empty line.
 *
 * Locking, as Debian's MDAs and MUAs lock /var/mail: first the dot-lock USER.lock,
 * made by liblockfile (NFS-safe: a unique file linked to the lock name), then a
 * fcntl() write lock on the file itself.  That is Postfix local(8)'s and procmail's
 * order.  In root:mail 2775 /var/mail, where the user may create nothing, the helper
 * makes the lock (and a missing mailbox) with the mail group as its effective gid for
 * just those calls (mail_group() below); liblockfile's setgid dotlockfile is then not
 * needed, which matters because no_new_privs (the shipped units) disarms it.  Both
 * locks are tried, never waited for in the kernel: every wait has a deadline,
 * 1/MBOX_LOCK_WAIT_PART of --delivery-timeout, after which the helper answers EAGAIN
 * (451) itself.
 *
 * A copy is all or nothing: the file's length is taken once both locks are held,
 * and every failure cuts the file back to it (ftruncate, fsync) before the locks go.
 * The length is also left where a killed helper's cleanup finds it: as the file
 * offset of the mailbox's open file description (old length + 1; 0 when no copy is
 * being written), which the parent holds a duplicate of (passed up at H_CHECK) and
 * gives to the cleanup child.  The copy is written with pwrite(), which leaves that
 * offset alone.
 */
#include "mboxfile.h"

#include "buf.h"
#include "log.h"
#include "room.h"
#include "store.h"
#include "util.h"

#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <lockfile.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

struct mboxfile {
	const struct config *cfg;
	const char *user;
	int fd;			/* the mailbox, from the last check, or -1 */
	bool locked;		/* both locks held: a copy is being written or prepared */
	off_t old;		/* the file's length before that copy */
	char lock[PATH_MAX];	/* mbox_dir/USER.lock */
};

/* ---- liblockfile, loaded on first use ---- */

/* liblockfile's two calls.  It is loaded (dlopen) by the first lock only, so that a
 * Maildir session maps nothing more (see the Makefile for what linking it cost). */
struct lockfile_api {
	int (*create)(const char *, int, int);
	int (*remove)(const char *);
};

/* The library's functions, or NULL (logged) when it cannot be loaded. */
static const struct lockfile_api *lockfile(void)
{
	static struct lockfile_api api;	/* filled once per process */
	static bool tried;
	if (!tried) {
		tried = true;
		void *h = dlopen(LIBLOCKFILE, RTLD_NOW | RTLD_LOCAL);
		if (!h || !dl_sym(h, &api.create, "lockfile_create") ||
		    !dl_sym(h, &api.remove, "lockfile_remove")) {
			log_msg(LOG_ERR, "mbox: cannot load %s (Debian: liblockfile1): %s",
				LIBLOCKFILE, dlerror());
			api.create = NULL;
		}
	}
	return api.create ? &api : NULL;
}

/* ---- the mail group, for this user's own names in --mbox-dir ---- */

/* on: the group this process keeps as its saved gid (--mbox-dir's, parent/asuser.c's
 * mbox_group(): mail, of Debian's root:mail 2775 /var/mail) becomes its effective
 * gid; off: its own group again.  Nothing when it keeps none (real and saved gid the
 * same: single-user mode, a --mbox-dir the user may write to).
 *
 * The group is effective only around the calls that create or remove this user's own
 * names in --mbox-dir: the dot-lock USER.lock (with liblockfile's temporary .lk file
 * beside it, stale-lock check included) and a missing mailbox USER (O_CREAT|O_EXCL|
 * O_NOFOLLOW: a new file or nothing).  That limit matters: /var/mail has no sticky
 * bit, so group mail may create and unlink any name there (and read the mailboxes
 * that are 0660).  The names are fixed by the user's name, which mboxfile_new() keeps
 * from being a path, a dot file or another user's lock; nothing the user controls
 * (their home, ~/.forward, the message) is opened meanwhile; and the user cannot take
 * the process over to use the group (drop.h: ptrace needs equal saved gids). */
static void mail_group(bool on)
{
	gid_t r, e, sv;
	if (getresgid(&r, &e, &sv) == -1 || r == sv)
		return;
	if (setresgid((gid_t)-1, on ? sv : r, (gid_t)-1) == -1 && !on) {
		log_msg(LOG_ERR, "mbox: cannot give the mail group back: %s", strerror(errno));
		_exit(EXIT_SYSTEM);	/* the parent sees the helper gone: 451 */
	}
	prctl(PR_SET_DUMPABLE, 0);	/* a change of egid resets it to fs.suid_dumpable */
}

/* liblockfile's two calls with the mail group (errno kept). */
static int lock_create(const struct lockfile_api *lf, const char *lock)
{
	mail_group(true);
	int r = lf->create(lock, 0, L_PID);
	int e = errno;
	mail_group(false);
	errno = e;
	return r;
}

static int lock_remove(const struct lockfile_api *lf, const char *lock)
{
	mail_group(true);
	int r = lf->remove(lock);
	int e = errno;
	mail_group(false);
	errno = e;
	return r;
}

/* ---- the mailbox file ---- */

/* A user name that can be a mailbox's name: a name, never a path ("." and ".."
 * included) nor a dot file (liblockfile's temporary .lk files), and not ending in
 * ".lock", or one user's mailbox would be another's lock file. */
static bool box_name(const char *user)
{
	size_t n = strlen(user);
	return n && !strchr(user, '/') && user[0] != '.' &&
	       !(n >= 5 && strcmp(user + n - 5, ".lock") == 0);
}

struct mboxfile *mboxfile_new(const struct config *cfg, const char *user)
{
	if (!box_name(user))
		return NULL;
	struct mboxfile *b = calloc(1, sizeof *b);
	if (!b)
		return NULL;
	*b = (struct mboxfile){ .cfg = cfg, .user = user, .fd = -1 };
	if (snprintf(b->lock, sizeof b->lock, "%s/%s.lock", cfg->mbox_dir, user) >=
	    (int)sizeof b->lock) {
		free(b);
		return NULL;
	}
	return b;
}

int mboxfile_fd(const struct mboxfile *b)
{
	return b->fd;
}

/* A --mbox-dir anyone may write to (1777, as /tmp) lets any user plant another's
 * lock with a live pid (451 for ever), or a file or symlink in their mailbox's place
 * (450): said once per process, with the fix. */
static void warn_open_to_all(const struct mboxfile *b, int dir)
{
	static bool said;
	struct stat st;
	if (said || fstat(dir, &st) == -1 || !(st.st_mode & S_IWOTH))
		return;
	said = true;
	log_msg(LOG_WARNING, "--mbox-dir %s is writable by everyone: other users can block or "
		"take over any mailbox there; make it root:mail 2775 as Debian's /var/mail",
		b->cfg->mbox_dir);
}

/* Open mbox_dir/user (to read its last bytes and write), never through a symlink
 * (O_NOFOLLOW: ELOOP) and never blocking on a FIFO put there (O_NONBLOCK).  A missing
 * one is made new (O_EXCL: a name put there meanwhile is opened as any other), 0600,
 * the user's; in root:mail 2775 /var/mail with the mail group (mail_group()), which
 * the set-group-ID directory also gives the file, as useradd's mail spools have it. */
static int open_box(const struct mboxfile *b)
{
	int dir = open(b->cfg->mbox_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dir == -1)
		return -1;
	warn_open_to_all(b, dir);
	int flags = O_RDWR | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC;
	int fd = openat(dir, b->user, flags);
	if (fd == -1 && errno == ENOENT) {
		mail_group(true);
		fd = openat(dir, b->user, flags | O_CREAT | O_EXCL, 0600);
		int e = errno;
		mail_group(false);
		if (fd == -1 && e == EEXIST)	/* made meanwhile (another session's helper) */
			fd = openat(dir, b->user, flags);
		else if (fd == -1)
			errno = e;	/* EACCES: the directory is not the user's, nor the group's */
		else if (fsync(dir) == -1)	/* the new name made durable */
			log_msg(LOG_WARNING, "mailbox of %s: fsync of %s: %s", b->user,
				b->cfg->mbox_dir, strerror(errno));
		else
			log_msg(LOG_INFO, "mailbox of %s: created %s/%s", b->user,
				b->cfg->mbox_dir, b->user);
	}
	close_keep_errno(dir);
	return fd;
}

/* What is wrong with the open mailbox (its owner and kind), or NULL. */
static const char *not_ours(int fd)
{
	struct stat st;
	if (fstat(fd, &st) == -1)
		return strerror(errno);
	if (!S_ISREG(st.st_mode))
		return "not a regular file";
	if (st.st_uid != geteuid())
		return "owned by someone else";
	if (st.st_nlink != 1)	/* a hard link to another file of this user's */
		return "has more than one link";
	return NULL;
}

/* What an errno value from opening the mailbox says about it (all 450 but FULL). */
static enum mailbox refused_by(int e)
{
	switch (e) {
	case EACCES: case EPERM: case EROFS:
		return MAILBOX_DENIED;
	case ENOSPC: case EDQUOT:
		return MAILBOX_FULL;
	default:	/* ELOOP (a symlink), ENXIO (a FIFO), ENOENT, ... */
		return MAILBOX_BROKEN;
	}
}

enum mailbox mboxfile_check(struct mboxfile *b, uint64_t size)
{
	if (b->locked)	/* closing it would drop the fcntl lock: never */
		return MAILBOX_TEMPFAIL;
	close_keep_errno(b->fd);
	b->fd = open_box(b);
	const char *why = NULL;
	enum mailbox r = MAILBOX_BROKEN;
	if (b->fd == -1) {
		why = errno == ELOOP ? "a symlink, not followed" : strerror(errno);
		r = refused_by(errno);
	} else if (!(why = not_ours(b->fd)) && (r = mailbox_room(b->fd, size)) != MAILBOX_OK) {
		why = "no room for the message";
	}
	if (!why)
		return MAILBOX_OK;
	log_msg(LOG_NOTICE, "mailbox of %s: %s/%s: %s", b->user, b->cfg->mbox_dir, b->user, why);
	close_keep_errno(b->fd);
	b->fd = -1;
	return r;
}

/* ---- locking ---- */

/* Sleep *ms (doubling it for next time), but not past d: false when d has passed. */
static bool pause_before(const struct deadline *d, long *ms)
{
	int left = deadline_left(d);
	if (left == 0)
		return false;
	struct deadline t;
	deadline_in(&t, (unsigned long long)(*ms < left ? *ms : left));
	deadline_sleep(&t);
	if (*ms < MBOX_LOCK_POLL_MAX_MS)
		*ms *= 2;
	return true;
}

/* The fcntl write lock on fd (the whole file), tried until d. */
static int lock_fcntl(int fd, const struct deadline *d, long *ms)
{
	struct flock fl = { .l_type = F_WRLCK, .l_whence = SEEK_SET };
	while (fcntl(fd, F_SETLK, &fl) == -1)
		if ((errno != EAGAIN && errno != EACCES && errno != EINTR) || !pause_before(d, ms))
			return errno == EACCES ? (errno = EAGAIN, -1) : -1;
	return 0;
}

static void unlock_fcntl(int fd)
{
	struct flock fl = { .l_type = F_UNLCK, .l_whence = SEEK_SET };
	fcntl(fd, F_SETLK, &fl);
}

/* The dot-lock, then the fcntl lock, each tried until d.  0, or -1 with errno
 * (EAGAIN: held by someone else all that time), neither lock held. */
static int lock_box(struct mboxfile *b, const struct deadline *d)
{
	const struct lockfile_api *lf = lockfile();
	if (!lf)
		return errno = ENOSYS, -1;
	long ms = MBOX_LOCK_POLL_MIN_MS;
	int r;
	/* L_PID: the lock holds our pid (dotlockfile writes its parent's, ours), so that
	 * the lock of a helper that died is seen to be stale by the next locker. */
	while ((r = lock_create(lf, b->lock)) != L_SUCCESS) {
		if (r != L_MAXTRYS) {	/* no way to make it (no dotlockfile, no_new_privs) */
			log_msg(LOG_ERR, "mailbox of %s: cannot make %s (liblockfile error %d)",
				b->user, b->lock, r);
			return errno = EIO, -1;
		}
		if (!pause_before(d, &ms)) {
			log_msg(LOG_NOTICE, "mailbox of %s: %s held too long", b->user, b->lock);
			return errno = EAGAIN, -1;
		}
	}
	if (lock_fcntl(b->fd, d, &ms) == -1) {
		int e = errno;
		log_msg(LOG_NOTICE, "mailbox of %s: no fcntl lock: %s", b->user, strerror(e));
		lock_remove(lf, b->lock);
		return errno = e, -1;
	}
	return 0;
}

/* Both locks held: is the name still this file?  (A tool of root's or group mail's
 * may have replaced it while we waited; a copy in the old one would be lost.) */
static bool still_there(const struct mboxfile *b)
{
	struct stat a, n;
	int dir = open(b->cfg->mbox_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	bool same = dir != -1 && fstat(b->fd, &a) == 0 &&
		    fstatat(dir, b->user, &n, AT_SYMLINK_NOFOLLOW) == 0 &&
		    a.st_dev == n.st_dev && a.st_ino == n.st_ino && a.st_nlink == 1;
	close_keep_errno(dir);
	return same;
}

/* Where a killed helper's cleanup cuts back to: old + 1, or 0 for "nothing". */
static void mark(int fd, off_t v)
{
	lseek(fd, v, SEEK_SET);
}

/* Drop both locks, the reverse of their order. */
static void unlock_box(struct mboxfile *b)
{
	mark(b->fd, 0);
	unlock_fcntl(b->fd);
	const struct lockfile_api *lf = lockfile();
	if (lf && lock_remove(lf, b->lock) != 0)
		log_msg(LOG_WARNING, "mailbox of %s: cannot remove %s", b->user, b->lock);
	b->locked = false;
}

/* ---- the copy ---- */

/* The copy as it is written: buffered, pwrite() at pos (under the locks: the end). */
struct out {
	int fd;
	off_t pos;
	struct buf b;
	int err;		/* the first failure, then nothing more is written */
	char last;		/* the last byte put, to end the message with a line end */
	/* mboxrd quoting: at a line's start the bytes that may still become ^>*From 
	 * are held back, as counts: gt '>', then from bytes of "From ". */
	bool bol;
	size_t gt, from;
};

static void flush(struct out *o)
{
	size_t done = 0;
	while (!o->err && done < o->b.len) {
		ssize_t w = pwrite(o->fd, o->b.p + done, o->b.len - done, o->pos);
		if (w == -1 && errno == EINTR)
			continue;
		if (w <= 0) {
			o->err = w == 0 ? EIO : errno;
			break;
		}
		done += (size_t)w;
		o->pos += w;
	}
	buf_reset(&o->b);
}

static void put(struct out *o, const char *p, size_t n)
{
	if (o->err || !n)
		return;
	buf_add(&o->b, p, n);
	o->last = p[n - 1];
	if (o->b.len >= IO_BLOCK)
		flush(o);
}

static void put_gt(struct out *o, size_t n)
{
	static const char gt[64] = ">>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>";
	for (size_t k; n; n -= k)
		put(o, gt, (k = n < sizeof gt ? n : sizeof gt));
}

/* The bytes held back at a line's start, as they were. */
static void put_held(struct out *o)
{
	put_gt(o, o->gt);
	put(o, "From ", o->from);
	o->gt = o->from = 0;
}

/* n bytes of message text, mboxrd-quoted: a line ^>*From  gets one more '>'. */
static void put_quoted(struct out *o, const char *p, size_t n)
{
	static const char from[] = "From ";
	size_t run = 0;		/* bytes of p before i not yet put, none at a line start */
	for (size_t i = 0; i < n; i++) {
		if (!o->bol) {
			if (p[i] == '\n') {
				put(o, p + i - run, run + 1);
				run = 0;
				o->bol = true;
			} else {
				run++;
			}
			continue;
		}
		if (p[i] == '>' && o->from == 0) {
			o->gt++;
		} else if (p[i] == from[o->from]) {
			if (++o->from == sizeof from - 1) {
				put_gt(o, 1);	/* the one more */
				put_held(o);
				o->bol = false;
			}
		} else {
			put_held(o);	/* not such a line: as it was */
			put(o, p + i, 1);
			o->bol = p[i] == '\n';
		}
	}
	put(o, p + n - run, run);
}

/* RFC 4155 2: "From ", the envelope sender (MAILER-DAEMON for <>, as Postfix and
 * qmail write it), the date as asctime(3) does, in UTC, in English whatever the
 * locale.  The sender is taken from the header block's Return-Path line (data.c
 * writes it first); control bytes become '?'. */
static void from_line(struct out *o, const char *head, size_t headlen)
{
	static const char pre[] = "Return-Path: <";
	static const char day[][4] = { "Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat" };
	static const char mon[][4] = { "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul",
				       "Aug", "Sep", "Oct", "Nov", "Dec" };
	const char *s = NULL, *end = NULL;
	if (headlen > sizeof pre && memcmp(head, pre, sizeof pre - 1) == 0) {
		s = head + sizeof pre - 1;
		const char *nl = memchr(s, '\n', headlen - (size_t)(s - head));
		for (end = nl; end && end > s && end[-1] != '>'; end--)
			;
		end = end && end > s ? end - 1 : NULL;	/* at the closing '>' */
	}
	put(o, "From ", 5);
	if (!end || end == s) {
		put(o, "MAILER-DAEMON", 13);
	} else {
		for (const char *c = s; c < end; c++)
			put(o, (unsigned char)*c < 0x20 || *c == 0x7f ? "?" : c, 1);
	}
	time_t now = time(NULL);
	struct tm tm;
	char date[40];
	gmtime_r(&now, &tm);
	int n = snprintf(date, sizeof date, " %s %s %2d %02d:%02d:%02d %d\n", day[tm.tm_wday % 7],
			 mon[tm.tm_mon % 12], tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
			 tm.tm_year + 1900);
	put(o, date, (size_t)n);
}

/* RFC 4155: a "From " line starts a message only after an empty line.  A file that
 * does not end with one (a copy someone cut short) gets the line ends it lacks. */
static void separate(struct out *o)
{
	char end[2] = { '\n', '\n' };
	if (o->pos >= 2 && pread(o->fd, end, 2, o->pos - 2) != 2)
		o->err = errno ? errno : EIO;
	else if (o->pos == 1 && pread(o->fd, end + 1, 1, 0) != 1)
		o->err = errno ? errno : EIO;
	if (end[1] != '\n')
		put(o, "\n\n", 2);
	else if (end[0] != '\n')
		put(o, "\n", 1);
}

/* The whole copy at o->pos: the "From " line, the header block and the spool's
 * bytes 0..size quoted, the empty line that ends it; written and synced.  0 or an
 * errno value. */
static int append(struct out *o, const char *head, size_t headlen, int spool, off_t size)
{
	char in[IO_BLOCK];
	separate(o);
	from_line(o, head, headlen);
	o->bol = true;
	put_quoted(o, head, headlen);
	for (off_t off = 0; off < size && !o->err;) {
		size_t want = size - off < (off_t)sizeof in ? (size_t)(size - off) : sizeof in;
		ssize_t r = pread(spool, in, want, off);
		if (r == -1 && errno == EINTR)
			continue;
		if (r <= 0) {	/* the spool is shorter than it should be */
			o->err = r == 0 ? EIO : errno;
			break;
		}
		put_quoted(o, in, (size_t)r);
		off += r;
	}
	put_held(o);
	if (o->last != '\n')
		put(o, "\n", 1);
	put(o, "\n", 1);	/* RFC 4155: the empty line that ends a message */
	flush(o);
	if (!o->err && fsync(o->fd) == -1)
		o->err = errno;
	return o->err;
}

/* Back to the length before the copy, made durable (as far as the disk still lets
 * us: a failure here is logged, the locks go anyway). */
static void cut_back(struct mboxfile *b)
{
	if (ftruncate(b->fd, b->old) == -1 || fsync(b->fd) == -1)
		log_msg(LOG_ERR, "mailbox of %s: cannot cut back to %lld bytes: %s", b->user,
			(long long)b->old, strerror(errno));
}

int mboxfile_prepare(struct mboxfile *b, const char *head, size_t headlen, int spool,
		     off_t size)
{
	if (b->fd == -1 || b->locked || spool == -1)
		return EPROTO;
	struct deadline d;
	deadline_in(&d, b->cfg->delivery_timeout * 1000ULL / MBOX_LOCK_WAIT_PART);
	if (lock_box(b, &d) == -1)
		return errno;
	b->locked = true;
	struct stat st;
	if (!still_there(b) || fstat(b->fd, &st) == -1) {
		log_msg(LOG_NOTICE, "mailbox of %s: replaced while we waited for its lock",
			b->user);
		unlock_box(b);
		return EAGAIN;	/* the next check opens the new one */
	}
	b->old = st.st_size;
	mark(b->fd, b->old + 1);
	struct out o = { .fd = b->fd, .pos = b->old, .b = BUF_INIT };
	int rc = append(&o, head, headlen, spool, size);
	buf_free(&o.b);
	if (rc) {
		cut_back(b);
		unlock_box(b);
	}
	return rc;
}

int mboxfile_commit(struct mboxfile *b)
{
	if (!b->locked)
		return EPROTO;
	unlock_box(b);	/* the copy was synced by prepare */
	return 0;
}

int mboxfile_abort(struct mboxfile *b)
{
	if (!b->locked)
		return 0;
	cut_back(b);
	unlock_box(b);
	return 0;
}

void mboxfile_free(struct mboxfile *b)
{
	if (!b)
		return;
	mboxfile_abort(b);
	close_keep_errno(b->fd);
	free(b);
}

/* ---- as the user, after a helper was killed ---- */

/* Does the dot-lock hold pid (it is the killed helper's, not a later locker's)? */
static bool lock_of(const char *lock, pid_t pid)
{
	char b[24];
	int fd = open(lock, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	ssize_t n = fd == -1 ? -1 : read(fd, b, sizeof b - 1);
	close_keep_errno(fd);
	if (n <= 0)
		return false;
	b[n] = '\0';
	return strtol(b, NULL, 10) == (long)pid;
}

/* The helper held the dot-lock when it was killed (its pid is in it); if it was
 * writing a copy (the mark is set), the file is cut back under the fcntl lock (the
 * helper's went with it).  A dot-lock that is no longer the helper's was taken as
 * stale by another locker, who may have appended since: then nothing is cut (a
 * partial copy stays, and the next copy starts after an empty line, separate()).
 * This child is killed by the parent after CLEANUP_TIMEOUT_MS whatever it waits for. */
void mboxfile_undo(const struct config *cfg, const char *user, int fd, pid_t helper_pid)
{
	struct mboxfile *b = mboxfile_new(cfg, user);
	if (!b)
		return;
	off_t m = lseek(fd, 0, SEEK_CUR);
	const struct lockfile_api *lf = lock_of(b->lock, helper_pid) ? lockfile() : NULL;
	struct deadline d;
	long ms = MBOX_LOCK_POLL_MIN_MS;
	deadline_in(&d, CLEANUP_TIMEOUT_MS);
	if (lf && m > 0 && lock_fcntl(fd, &d, &ms) == 0 && lock_of(b->lock, helper_pid)) {
		b->fd = fd;
		b->old = m - 1;
		cut_back(b);
		log_msg(LOG_NOTICE, "mailbox of %s: a killed delivery's copy cut off", user);
		b->fd = -1;
	}
	if (lf && lock_of(b->lock, helper_pid))
		lock_remove(lf, b->lock);
	free(b);
}

/* ---- the store (store.h) ---- */

static enum mailbox st_check(void *st, uint64_t size, int *fd)
{
	enum mailbox r = mboxfile_check(st, size);
	*fd = mboxfile_fd(st);
	return r;
}

static int32_t st_open(void *st, uint64_t size)
{
	return mboxfile_fd(st) == -1 && mboxfile_check(st, size) != MAILBOX_OK ? EIO : 0;
}

/* H_BEGIN and H_MORE do nothing (mbox.c does not send them for mbox): a copy can only
 * be written under the locks, and an mbox lock must not be held while a client takes
 * its time sending the message (every other delivery and the user's mail reader
 * would wait for it).  The copy is written whole at H_PREPARE, and the locks are
 * held until H_COMMIT or H_ABORT. */
static int32_t st_begin(void *st, const char *name, const char *head, size_t headlen,
			int *spool)
{
	(void)st, (void)name, (void)head, (void)headlen, (void)spool;
	return 0;
}

static void st_more(void *st, off_t size)
{
	(void)st, (void)size;
}

static int32_t st_prepare(void *st, const char *name, const char *head, size_t headlen,
			  int spool, off_t size)
{
	(void)name;	/* a Maildir's; an mbox copy has no name */
	return mboxfile_prepare(st, head, headlen, spool, size);
}

static int32_t st_commit(void *st)
{
	return mboxfile_commit(st);
}

static int32_t st_abort(void *st)
{
	return mboxfile_abort(st);
}

static void st_free(void *st)
{
	mboxfile_free(st);
}

const struct store_ops mboxfile_ops = {
	.streams = false,
	.check = st_check, .open = st_open, .begin = st_begin, .more = st_more,
	.prepare = st_prepare, .commit = st_commit, .abort = st_abort, .free = st_free,
};
