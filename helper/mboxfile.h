/* mboxfile.h: one user's mbox file (--mailbox mbox), worked on as that user.
 * Helper side: a store of store.h (mboxfile_ops, on a struct mboxfile), which the
 * helper (helper.c) serves when cfg->store is STORE_MBOX; mbox.c calls
 * mboxfile_undo() in a cleanup child as the user. */
#ifndef MBOXFILE_H
#define MBOXFILE_H

#include <stdint.h>
#include <sys/types.h>

#include "privsep.h"
#include "store.h"
#include "config.h"

/* The mailbox cfg->mbox_dir/user of the user this process is; NULL when out of
 * memory or the name cannot be a file name. */
struct mboxfile *mboxfile_new(const struct config *cfg, const char *user);

/* H_CHECK: open the mailbox (made when missing: mode 0600, the user's, in root:mail
 * 2775 /var/mail with the mail group the helper keeps, parent/asuser.c),
 * never through a symlink; a regular file of this user's with one link, and room for
 * size more bytes; logged when not.  It stays open for the delivery. */
enum mailbox mboxfile_check(struct mboxfile *b, uint64_t size);

/* The descriptor the last check opened, or -1: the helper passes it up, so that the
 * parent can have a killed helper's copy undone (mboxfile_undo()). */
int mboxfile_fd(const struct mboxfile *b);

/* H_PREPARE: lock (dot-lock, then fcntl), append the "From " line, the header block
 * and bytes 0..size of the spool (mboxrd-quoted), fsync; the locks are kept.  0, or
 * an errno value and the file cut back to its old length, unlocked. */
int mboxfile_prepare(struct mboxfile *b, const char *head, size_t headlen, int spool,
		     off_t size);

/* H_COMMIT: keep the copy, unlock.  H_ABORT: cut the copy off, fsync, unlock (nothing
 * when none is prepared).  0 or an errno value. */
int mboxfile_commit(struct mboxfile *b);
int mboxfile_abort(struct mboxfile *b);

/* Abort what is prepared, close, free (NULL is allowed). */
void mboxfile_free(struct mboxfile *b);

/* In a short-lived child as the user, after the helper helper_pid (which had the
 * mailbox open as fd, from its last check) was killed: its copy, if it was writing
 * one, is cut off and its dot-lock removed. */
void mboxfile_undo(const struct config *cfg, const char *user, int fd, pid_t helper_pid);

/* The mbox store of store.h, on a struct mboxfile of mboxfile_new(). */
extern const struct store_ops mboxfile_ops;

#endif
