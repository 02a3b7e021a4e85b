/* helper.h: the delivery helper, a process that runs as one recipient for the session
 * and serves the parent's requests on that user's mailbox (privsep.h, H_*), whatever
 * its format (store.h); and, in single-user mode, the same work done by the parent
 * itself, which then is the user (the worker).  Helper side: mbox.c starts the
 * helpers (asuser.h) and uses the worker. */
#ifndef HELPER_H
#define HELPER_H

#include <pwd.h>
#include <stdint.h>
#include <sys/types.h>

#include "config.h"
#include "forward.h"
#include "privsep.h"

/* The helper's life (an asuser_fn, arg the struct config): serve the parent's
 * frames on sock until it closes the link, then drop any copy left. */
void helper_serve(void *arg, const struct passwd *pw, int sock);

/* Another destination of the same message (the relay hand-off, parent.c): fn runs
 * once every mailbox copy is prepared and before any is committed; what it returns
 * (0, or an errno value) decides between commit and abort, so the message reaches
 * all destinations or none.
 *
 * missed, when not NULL (an int per recipient, zeroed), lets one recipient's
 * failure cost only that recipient's copy: when some copies fail to be prepared (a
 * helper late or killed, a full or broken disk) and others are prepared, each failed
 * one's errno value is set there and fn runs all the same; it must
 * then tell their sender (parent/report.h), or refuse (an errno value) so that
 * nothing is committed.  When every copy fails, fn does not run. */
struct mbox_hook {
	int (*fn)(void *arg);
	void *arg;
	int *missed;
};

/* Single-user mode: the parent does a helper's work itself, on one worker (NULL when
 * out of memory or the user's mailbox cannot be named). */
struct worker;
struct worker *worker_new(const struct config *cfg, const char *home, const char *user);
/* The check of priv_check(); the mailbox stays open for the delivery. */
enum mailbox worker_check(struct worker *w, uint64_t size);
/* ~/.forward of the one user (forward_read()). */
enum forward worker_forward(struct worker *w, int *fd);
/* As mbox_begin(), mbox_more(), mbox_discard() and mbox_deliver(), for the one user
 * (n is 1: every local part is that user, and the parent refuses a user twice). */
void worker_begin(struct worker *w, int spool, const struct priv_rcpt *rcpt, size_t n,
		  unsigned seq);
void worker_more(struct worker *w, uint64_t size);
void worker_drop(struct worker *w);
int worker_deliver(struct worker *w, int spool, off_t size, const struct priv_rcpt *rcpt,
		   size_t n, unsigned seq, const struct mbox_hook *hook);
/* Drop what is open and free w (NULL is allowed). */
void worker_free(struct worker *w);

#endif
