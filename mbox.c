/* mbox.c: delivery into Maildirs (or, --mailbox mbox, mbox files), all or nothing,
 * through a helper per recipient user (the work itself, as the user, is maildir.c's
 * and mboxfile.c's).
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
 * to the user's uid and primary group (drop.h) before it opens anything and then serves this
 * session's checks and deliveries for that user until the session ends: one fork,
 * getpwnam and privilege drop per user and session instead of per recipient and message,
 * and the fork happens while the client still sends its envelope.  The helpers write
 * in parallel.  A helper runs as its user, who may stop it (SIGSTOP) or make it hang
 * on a file system of their own (FUSE, NFS): the parent never waits for one longer
 * than --delivery-timeout, then kills it and has its tmp/ file removed, as the user,
 * through the tmp/ descriptor the helper passed up, by a child that is itself given
 * CLEANUP_TIMEOUT_MS.  The privileged process itself never touches a user's file.
 * Privileged side.  In single-user mode the process already is the user and does a
 * helper's work itself (helper.h's worker).
 */
#include "mbox.h"

#include "asuser.h"
#include "buf.h"
#include "frame.h"
#include "log.h"
#include "maildir.h"
#include "mboxfile.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

/* The parent's side: one helper. */
struct helper {
	char user[USER_NAME_MAX + 1];
	uid_t uid;
	gid_t gid;
	struct asuser k;	/* k.fd == -1: gone (killed), to be swept */
	int box;		/* what its last check passed up: its Maildir's tmp/, or
				 * its mbox file (--mailbox mbox), or -1 */
	char name[NAME_MAX + 1];	/* its copy in tmp/ while a delivery is open */
	bool begun;		/* that copy was begun while the message arrived */
	unsigned long used;	/* when it was last asked: the least recent one goes */
};

struct mbox {
	const struct config *cfg;
	struct worker *self;	/* single-user mode: this process does a helper's work */
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
	if (cfg->single && !(m->self = worker_new(cfg, cfg->home, cfg->user))) {
		free(m);
		return NULL;
	}
	return m;
}

static int find(const struct mbox *m, const char *user)
{
	for (size_t i = 0; i < m->n; i++)
		if (m->h[i].k.fd != -1 && strcmp(m->h[i].user, user) == 0)
			return (int)i;
	return -1;
}

/* What a cleanup child is given. */
struct cleanup {
	const struct config *cfg;
	const char *user, *name;	/* the user; the copy's name in tmp/ */
	int box;		/* a duplicate of what the helper passed up */
	pid_t pid;		/* the killed helper */
};

/* In a short-lived child as the user: undo a killed helper's copy.  A Maildir's is
 * unlinked from tmp/; an mbox is cut back to its old length, and the helper's
 * dot-lock removed (mboxfile_undo()). */
static void undo_copy(void *arg, const struct passwd *pw, int sock)
{
	const struct cleanup *c = arg;
	(void)pw, (void)sock;
	if (c->cfg->store == STORE_MBOX)
		mboxfile_undo(c->cfg, c->user, c->box, c->pid);
	else
		unlinkat(c->box, c->name, 0);
}

/* A killed helper's copy is undone by its user, through the descriptor the helper
 * passed up (never by a path, never following a symlink), within
 * CLEANUP_TIMEOUT_MS.  The descriptor is hidden from children; a duplicate that is
 * not rides into this one. */
static void remove_copy(const struct mbox *m, struct helper *h, pid_t pid)
{
	if (h->box == -1 || !h->name[0])
		return;
	struct cleanup c = { m->cfg, h->user, h->name, -1, pid };
	struct passwd pw = { .pw_name = h->user, .pw_uid = h->uid, .pw_gid = h->gid };
	struct asuser k;
	struct deadline d;
	if ((c.box = fcntl(h->box, F_DUPFD_CLOEXEC, 0)) == -1)
		return;
	deadline_in(&d, CLEANUP_TIMEOUT_MS);
	if (asuser_start_pw(&k, m->cfg, &pw, undo_copy, &c) == 0)
		asuser_end(&k, &d);
	close(c.box);
	h->name[0] = '\0';
}

static void forget_box(struct helper *h)
{
	if (h->box == -1)
		return;
	asuser_unhide(h->box);
	close(h->box);
	h->box = -1;
}

/* A helper that failed to answer: killed now, its copy removed; swept later. */
static void give_up(struct mbox *m, struct helper *h, const char *why)
{
	log_msg(LOG_WARNING, "mailbox of %s: %s; its helper killed", h->user, why);
	pid_t pid = h->k.pid;	/* asuser_kill() forgets it */
	asuser_kill(&h->k);
	remove_copy(m, h, pid);
	forget_box(h);
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
	*h = (struct helper){ .uid = pw->pw_uid, .gid = pw->pw_gid, .box = -1 };
	snprintf(h->user, sizeof h->user, "%s", pw->pw_name);
	char *home = strdup(pw->pw_dir);
	if (!home)
		return -1;
	struct passwd copy = { .pw_name = h->user, .pw_uid = h->uid, .pw_gid = h->gid,
			       .pw_dir = home };
	int rc = asuser_start_pw(&h->k, m->cfg, &copy, helper_serve, (void *)m->cfg);
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

/* The helper's answer before d; a descriptor that comes with it goes into *fd, or
 * with fd NULL is its tmp/ and replaces the one kept.  -1 when it is late or gone. */
static int hear(struct helper *h, int32_t *rc, const struct deadline *d, int *fd)
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
		    c->cmsg_len == CMSG_LEN(sizeof(int)) && fd) {
			close_keep_errno(*fd);
			memcpy(fd, CMSG_DATA(c), sizeof *fd);
		} else if (c && c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS &&
			   c->cmsg_len == CMSG_LEN(sizeof(int))) {
			forget_box(h);
			memcpy(&h->box, CMSG_DATA(c), sizeof h->box);
			asuser_hide(h->box);
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
	if (!tell(h, &f, -1) || hear(h, &rc, d, NULL) == -1) {
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
		forget_box(&m->h[old]);
		shutdown(m->h[old].k.fd, SHUT_WR);	/* it sees the end, and exits */
		asuser_end(&m->h[old].k, &d);
		sweep(m);
	}
}

/* The helper of user, started if need be; -1 when it cannot be. */
static int helper_of(struct mbox *m, const char *user)
{
	sweep(m);
	int i = find(m, user);
	if (i == -1) {
		make_room(m);
		i = start(m, user);
	}
	return i;
}

enum mailbox mbox_check(struct mbox *m, const char *user, uint64_t size)
{
	if (m->self)	/* the Maildir stays open for the delivery */
		return worker_check(m->self, size);
	int i = helper_of(m, user);
	if (i == -1)
		return MAILBOX_TEMPFAIL;
	struct deadline d;
	deadline_in(&d, m->cfg->delivery_timeout * 1000ULL);
	return check_at(m, i, size, &d);
}

/* The text of a memory file a helper made (forward.c), at most FORWARD_FILE_MAX
 * bytes, into out.  Only a memory file is read (it takes seals; a file on a disk does
 * not): root never reads from a user's file system, which could make it wait. */
static enum forward read_memory(int fd, struct buf *out)
{
	struct stat st;
	if (fcntl(fd, F_GET_SEALS) == -1 || fstat(fd, &st) == -1)
		return FORWARD_TEMPFAIL;
	size_t want = st.st_size < FORWARD_FILE_MAX ? (size_t)st.st_size : FORWARD_FILE_MAX;
	ssize_t n = pread(fd, buf_extend(out, want), want, 0);
	out->len -= want - (n > 0 ? (size_t)n : 0);
	return n == -1 ? FORWARD_TEMPFAIL : FORWARD_OK;
}

enum forward mbox_forward(struct mbox *m, const char *user, struct buf *text)
{
	int fd = -1;
	int32_t rc = FORWARD_TEMPFAIL;
	if (m->self) {
		rc = worker_forward(m->self, &fd);
	} else {
		int i = helper_of(m, user);
		struct frame f = FRAME_INIT;
		struct deadline d;
		deadline_in(&d, m->cfg->delivery_timeout * 1000ULL);
		frame_begin(&f, H_FORWARD);
		frame_put_u64(&f, 0);
		if (i != -1) {
			m->h[i].used = ++m->tick;
			if (!tell(&m->h[i], &f, -1) || hear(&m->h[i], &rc, &d, &fd) == -1) {
				give_up(m, &m->h[i], errno == ETIMEDOUT ? "no answer about .forward "
					"in time" : "reading .forward failed");
				rc = FORWARD_TEMPFAIL;
			}
		}
		frame_free(&f);
	}
	if (rc < FORWARD_NONE || rc > FORWARD_TEMPFAIL || (rc == FORWARD_OK && fd == -1))
		rc = FORWARD_TEMPFAIL;
	if (rc == FORWARD_OK)
		rc = read_memory(fd, text);
	close_keep_errno(fd);
	return (enum forward)rc;
}

/* The helper of user, ready to deliver (started and checked now if need be), or -1
 * with an errno value in *err. */
static int ready(struct mbox *m, const char *user, uint64_t size, const struct deadline *d,
		 int *err)
{
	int i = find(m, user);
	if (i == -1 && (i = start(m, user)) == -1)
		return *err = EIO, -1;
	if (m->h[i].box != -1)
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
		maildir_name(h->name, sizeof h->name, m->cfg->hostname, h->k.pid, seq);
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
	if (hear(h, &rc, d, NULL) == -1) {
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

/* The helpers of rcpt[0..n), started and checked if need be, into hi[]; one that
 * cannot be is -1 there, with its errno value in rc[].  0, or the first failure's
 * errno value; with all set, every recipient is tried (a failure costs only its own
 * copy, mbox_hook's missed), else the first failure ends it. */
static int helpers_of(struct mbox *m, const struct priv_rcpt *rcpt, size_t n, int *hi,
		      int *rc, uint64_t size, const struct deadline *d, bool all)
{
	int first = 0;
	for (size_t i = 0; i < n; i++) {
		int err = 0;
		if ((hi[i] = ready(m, rcpt[i].user, size, d, &err)) != -1)
			continue;
		rc[i] = err;
		if (!first)
			first = err;
		if (!all)
			return first;
	}
	return first;
}

void mbox_begin(struct mbox *m, int spool, const struct priv_rcpt *rcpt, size_t n,
		unsigned seq)
{
	if (m->self) {
		worker_begin(m->self, spool, rcpt, n, seq);
		return;
	}
	if (m->cfg->store == STORE_MBOX)
		return;	/* written whole at the delivery, under the locks (mboxfile.c) */
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
		maildir_name(h->name, sizeof h->name, m->cfg->hostname, h->k.pid, seq);
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
		worker_more(m->self, size);
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
		worker_drop(m->self);
	struct deadline d;
	deadline_in(&d, m->cfg->delivery_timeout * 1000ULL);
	for (size_t i = 0; i < m->n; i++)
		if (m->h[i].k.fd != -1 && m->h[i].begun) {
			m->h[i].begun = false;
			finish(m, (int)i, H_ABORT, &d);
		}
	sweep(m);
}

/* The recipients in the order their copies are prepared, as indexes into rcpt: as
 * given, or for mbox (serial) sorted by user name. */
static int by_user(const void *a, const void *b, void *rcpt)
{
	const struct priv_rcpt *r = rcpt;
	return strcmp(r[*(const size_t *)a].user, r[*(const size_t *)b].user);
}

static void prepare_order(const struct priv_rcpt *rcpt, size_t n, bool serial, size_t *order)
{
	for (size_t i = 0; i < n; i++)
		order[i] = i;
	if (serial)
		qsort_r(order, n, sizeof *order, by_user, (void *)rcpt);
}

/* After the first phase: how many of the n copies failed (rc[i] set), each one's
 * errno value in missed when a failure costs only its own copy.  The delivery's errno value: 0
 * when every copy is prepared, or when some are and missed is given; else the first
 * failure's. */
static int tally(const int *rc, size_t n, int *missed, int *first_failure)
{
	int first = 0;
	size_t failed = 0;
	for (size_t i = 0; i < n; i++) {
		if (!rc[i])
			continue;
		if (!first)
			first = rc[i];
		failed++;
		if (missed)
			missed[i] = rc[i];
	}
	*first_failure = first;
	return failed && (failed == n || !missed) ? first : 0;
}

static int deliver_as_users(struct mbox *m, int spool, off_t size,
			    const struct priv_rcpt *rcpt, size_t n, unsigned seq,
			    const struct mbox_hook *hook)
{
	/* An mbox copy holds its mailbox's locks from its prepare to the verdict.  Two
	 * sessions that took them for the same users in different orders would each
	 * wait for the other's (until the deadline, and both fail): so mbox copies are
	 * prepared one after the other, in one order for everyone, by user name. */
	bool serial = m->cfg->store == STORE_MBOX && n > 1;
	/* With missed, every recipient is tried: one that fails costs its own copy. */
	int *missed = hook ? hook->missed : NULL;
	bool all = missed != NULL;
	int *hi = calloc(n, sizeof *hi), *rc = calloc(n, sizeof *rc);
	size_t *order = calloc(n, sizeof *order);
	if (!hi || !rc || !order) {
		free(hi), free(rc), free(order);
		return ENOMEM;
	}
	prepare_order(rcpt, n, serial, order);
	struct deadline d;
	deadline_in(&d, m->cfg->delivery_timeout * 1000ULL);
	bool asked_any = false;
	/* All helpers first (their indexes stay valid: sweep() runs only at the end). */
	int err = helpers_of(m, rcpt, n, hi, rc, (uint64_t)size, &d, all);
	/* Then every copy at once, the helpers writing in parallel (mbox: in turn).  One
	 * recipient alone is all or nothing by itself: its helper commits at once, which
	 * spares a round trip per message, unless another destination follows (hook). */
	enum h_type type = n == 1 && !hook ? H_DELIVER : H_PREPARE;
	bool *asked = calloc(n, sizeof *asked);
	if (!asked)
		err = ENOMEM;
	for (size_t k = 0; k < n && (all || !err); k++) {
		size_t i = order[k];
		if (hi[i] == -1)
			continue;
		asked[i] = asked_any = true;
		/* In turn, each copy has a deadline of its own: one that was late must not
		 * cost the ones after it (the first phase then lasts at most n deadlines,
		 * each spent only by a recipient whose own helper is late). */
		if (serial && all)
			deadline_in(&d, m->cfg->delivery_timeout * 1000ULL);
		rc[i] = ask_prepare(m, hi[i], &rcpt[i], spool, size, seq, type);
		if (serial && !rc[i])
			rc[i] = answer(m, hi[i], &d);
		if (rc[i] && !err)
			err = rc[i];
	}
	for (size_t i = 0; i < n && !serial; i++)
		if (asked && asked[i] && rc[i] == 0 && (rc[i] = answer(m, hi[i], &d)) && !err)
			err = rc[i];
	if (type == H_DELIVER) {
		if (asked_any)
			m->h[hi[0]].name[0] = '\0';	/* in new/, or removed */
		free(asked);
		asked = NULL;
	}
	int failure = 0;
	if (asked)
		err = tally(rc, n, missed, &failure);
	/* Every copy that can be is in tmp/: the other destinations' turn (and the
	 * report, if any failed).  If they refuse, the client hears of a mailbox's
	 * failure first (a full disk is 452, RFC 3463 4.3.1). */
	if (!err && hook && asked && (err = hook->fn(hook->arg)) && failure)
		err = failure;
	/* Only when every copy is in tmp/ does any go into new/.  The second phase has
	 * a deadline of its own: the helpers that were on time must not be killed
	 * because another one was late. */
	enum h_type verdict = err ? H_ABORT : H_COMMIT;
	deadline_in(&d, m->cfg->delivery_timeout * 1000ULL);
	for (size_t i = 0; i < n && asked; i++) {
		if (!asked[i] || rc[i])
			continue;
		int c = finish(m, hi[i], verdict, &d);
		if (c && !err)
			err = c;
	}
	free(hi), free(rc), free(order), free(asked);
	sweep(m);
	return err;
}

int mbox_deliver(struct mbox *m, int spool, off_t size, const struct priv_rcpt *rcpt,
		 size_t n, unsigned seq, const struct mbox_hook *hook)
{
	if (m->self)
		return worker_deliver(m->self, spool, size, rcpt, n, seq, hook);
	return deliver_as_users(m, spool, size, rcpt, n, seq, hook);
}

void mbox_close(struct mbox *m)
{
	if (!m)
		return;
	worker_free(m->self);
	/* Every helper sees its link close at once and exits; they are reaped together,
	 * a late one killed. */
	for (size_t i = 0; i < m->n; i++) {
		struct helper *h = &m->h[i];
		forget_box(h);
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
