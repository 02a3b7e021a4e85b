/* helper.c: the delivery helper (helper.h): the parent's frames on one user's mailbox,
 * answered through the store table of its format (store.h); and single-user mode's
 * worker, the same work in the parent.  Helper side: it runs as the user. */
#include "helper.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "frame.h"
#include "log.h"
#include "maildir.h"
#include "mboxfile.h"
#include "store.h"
#include "util.h"

/* The largest request: H_PREPARE's u64, name and header block. */
#define H_FRAME_MAX (8 + 4 + NAME_MAX + 4 + PS_HEAD_MAX)

/* A helper's or a worker's state: the user and their mailbox's store. */
struct worker {
	const struct config *cfg;
	const char *home, *user;
	const struct store_ops *ops;
	void *st;
	char begun[NAME_MAX + 1];	/* the worker's copy begun (worker_begin()), or "" */
};

/* The store of the configured format (--mailbox) for this user.  0, or -1 logged. */
static int open_store(struct worker *w)
{
	if (w->cfg->store == STORE_MBOX) {
		w->ops = &mboxfile_ops;
		w->st = mboxfile_new(w->cfg, w->user);
	} else {
		w->ops = &maildir_ops;
		w->st = maildir_store(w->cfg, w->home, w->user);
	}
	if (!w->st)
		log_msg(LOG_ERR, "%s: no %s for this user", w->user,
			w->cfg->store == STORE_MBOX ? "mbox (out of memory or a bad name)" :
			"Maildir (out of memory)");
	return w->st ? 0 : -1;
}

/* One request of privsep.h's second protocol, as the store says. */
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
	int32_t rc;
	switch (f->type) {
	case H_FORWARD:	/* whatever the mailbox's format */
		return (int32_t)forward_read(h->home, h->user, fd);
	case H_CHECK:
		return (int32_t)h->ops->check(h->st, size, fd);
	case H_BEGIN:
		return h->ops->begin(h->st, name, head, headlen, &f->fd);
	case H_MORE:
		h->ops->more(h->st, (off_t)size);
		return 0;
	case H_PREPARE:
		return h->ops->prepare(h->st, name, head, headlen, f->fd, (off_t)size);
	case H_DELIVER:
		rc = h->ops->prepare(h->st, name, head, headlen, f->fd, (off_t)size);
		return rc ? rc : h->ops->commit(h->st);
	case H_COMMIT:
		return h->ops->commit(h->st);
	case H_ABORT:
		return h->ops->abort(h->st);
	}
	return EPROTO;
}

/* The helper: serve the parent until it closes the link, then drop what is open. */
void helper_serve(void *arg, const struct passwd *pw, int sock)
{
	struct worker h = { .cfg = arg, .home = pw->pw_dir, .user = pw->pw_name };
	struct frame f = FRAME_INIT;
	if (open_store(&h) == -1)
		return;	/* the parent sees the link close: the check fails */
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
	frame_free(&f);
	h.ops->free(h.st);	/* aborts what is prepared */
}

/* ---- single-user mode: this process is the user, and does a helper's work ---- */

struct worker *worker_new(const struct config *cfg, const char *home, const char *user)
{
	struct worker *w = malloc(sizeof *w);
	if (!w)
		return NULL;
	*w = (struct worker){ .cfg = cfg, .home = home, .user = user };
	if (open_store(w) == -1) {
		free(w);
		return NULL;
	}
	return w;
}

enum forward worker_forward(struct worker *w, int *fd)
{
	return forward_read(w->home, w->user, fd);
}

enum mailbox worker_check(struct worker *w, uint64_t size)
{
	int fd;
	return w->ops->check(w->st, size, &fd);
}

/* The one recipient (every local part is the one user, and the parent refuses a user
 * twice) gets its copy begun here, where the format allows. */
void worker_begin(struct worker *w, int spool, const struct priv_rcpt *rcpt, size_t n,
		  unsigned seq)
{
	if (!w->ops->streams || n != 1 || w->ops->open(w->st, 0) != 0)
		return;	/* worker_deliver() writes it whole, or fails */
	char name[NAME_MAX + 1];
	maildir_name(name, sizeof name, w->cfg->hostname, getpid(), seq);
	int fd = fcntl(spool, F_DUPFD_CLOEXEC, 0);
	if (fd != -1 && w->ops->begin(w->st, name, rcpt->head, rcpt->headlen, &fd) == 0)
		memcpy(w->begun, name, sizeof name);
	close_keep_errno(fd);
}

void worker_more(struct worker *w, uint64_t size)
{
	w->ops->more(w->st, (off_t)size);
}

void worker_drop(struct worker *w)
{
	w->ops->abort(w->st);
	w->begun[0] = '\0';
}

int worker_deliver(struct worker *w, int spool, off_t size, const struct priv_rcpt *rcpt,
		   size_t n, unsigned seq, const struct mbox_hook *hook)
{
	if (n != 1)
		return EINVAL;
	int32_t rc = w->ops->open(w->st, (uint64_t)size);
	if (rc)
		return rc;
	char name[NAME_MAX + 1];
	if (w->begun[0])
		memcpy(name, w->begun, sizeof name);
	else
		maildir_name(name, sizeof name, w->cfg->hostname, getpid(), seq);
	w->begun[0] = '\0';
	rc = w->ops->prepare(w->st, name, rcpt->head, rcpt->headlen, spool, size);
	if (rc == 0 && hook && (rc = hook->fn(hook->arg)))	/* mbox.h: all or nothing */
		w->ops->abort(w->st);
	else if (rc == 0)
		rc = w->ops->commit(w->st);
	return rc;
}

void worker_free(struct worker *w)
{
	if (!w)
		return;
	w->ops->free(w->st);
	free(w);
}
