/* maildir.h: one user's Maildir, worked on as that user (maildir.c), and the
 * protocol between the parent (mbox.c) and a delivery helper, which serves it for an
 * mbox file (--mailbox mbox) with mboxfile.h instead.  Privileged side. */
#ifndef MAILDIR_H
#define MAILDIR_H

#include <pwd.h>
#include <stdint.h>
#include <sys/types.h>

#include "forward.h"
#include "privsep.h"
#include "config.h"

/* DJB's unique name <seconds>.M<usec>P<pid>Q<seq>.<host> for a copy in tmp/ (pid:
 * the process that writes it); in new/ it gains ",S=<size>". */
void maildir_name(char *out, size_t n, const char *host, pid_t pid, unsigned seq);

/* Room for size more bytes (and a file) on fd's file system, as this user sees it,
 * and in the user's quota where there is one; mboxfile.c's check uses it too. */
enum mailbox mailbox_room(int fd, uint64_t size);

/* The helper's life (an asuser_fn, arg the struct config): serve the parent's
 * frames on sock until it closes the link, then drop any copy left in tmp/. */
void maildir_helper(void *arg, const struct passwd *pw, int sock);

/* Another destination of the same message (the relay hand-off, parent.c): fn runs
 * once every mailbox copy is prepared and before any is committed; what it returns
 * (0, or an errno value) decides between commit and abort, so the message reaches
 * all destinations or none. */
struct mbox_hook {
	int (*fn)(void *arg);
	void *arg;
};

/* Single-user mode: the parent does a helper's work itself, on one worker. */
struct worker;
struct worker *maildir_new(const struct config *cfg, const char *home, const char *user);
/* The check of priv_check(); the Maildir stays open for the delivery. */
enum mailbox maildir_check(struct worker *w, uint64_t size);
/* ~/.forward of the one user (forward_read()). */
enum forward maildir_forward(struct worker *w, int *fd);
/* As mbox_begin(), mbox_more(), mbox_discard() and mbox_deliver(), for the one user
 * (n is 1: every local part is that user, and the parent refuses a user twice). */
void maildir_begin(struct worker *w, int spool, const struct priv_rcpt *rcpt, size_t n,
		   unsigned seq);
void maildir_more(struct worker *w, uint64_t size);
void maildir_drop(struct worker *w);
int maildir_deliver(struct worker *w, int spool, off_t size, const struct priv_rcpt *rcpt,
		    size_t n, unsigned seq, const struct mbox_hook *hook);
/* Drop what is open and free w (NULL is allowed). */
void maildir_free(struct worker *w);

#endif
