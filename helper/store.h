/* store.h: one user's mailbox, worked on as that user, in either format: a Maildir
 * (maildir.c) or an mbox file (mboxfile.c).  The delivery helper (helper.c) serves
 * the parent's requests (privsep.h, the H_* of the second protocol) through this
 * table, whatever the format, so that neither store knows the other or the helper.
 * Helper side.
 *
 * Delivery is in two phases, so that a message reaches every recipient or none
 * (mbox.c): prepare writes the whole copy and syncs it where nobody reads it yet (a
 * Maildir's tmp/; the end of an mbox file, under its locks), commit makes it the
 * user's (new/; the locks released), abort takes it back. */
#ifndef STORE_H
#define STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "privsep.h"

struct store_ops {
	/* Copies may begin while the message arrives (begin, more): a Maildir's may; an
	 * mbox file's can only be written under its locks, which must not be held while
	 * a client takes its time, so begin and more do nothing there. */
	bool streams;
	/* H_CHECK: the mailbox is opened (made when missing) and can take size more
	 * bytes; logged when not.  *fd: a descriptor for the parent (a Maildir's tmp/,
	 * the mbox file), or -1. */
	enum mailbox (*check)(void *st, uint64_t size, int *fd);
	/* Single-user mode, before a delivery: the mailbox is open (checked when it was
	 * not).  0 or an errno value. */
	int32_t (*open)(void *st, uint64_t size);
	/* H_BEGIN: a copy named name started with the header block, following *spool as
	 * it grows (the descriptor is taken: *spool becomes -1); H_MORE: size bytes of
	 * the spool there are so far.  0 or an errno value. */
	int32_t (*begin)(void *st, const char *name, const char *head, size_t headlen,
			 int *spool);
	void (*more)(void *st, off_t size);
	/* H_PREPARE: the whole copy (the header block and bytes 0..size of spool),
	 * written and synced, not yet the user's: the rest of a begun one, or all of it.
	 * 0, or an errno value and nothing left. */
	int32_t (*prepare)(void *st, const char *name, const char *head, size_t headlen,
			   int spool, off_t size);
	/* H_COMMIT: the prepared copy becomes the user's; H_ABORT: the copy, begun or
	 * prepared, is taken back.  0 or an errno value. */
	int32_t (*commit)(void *st);
	int32_t (*abort)(void *st);
	/* Abort what is open, close, free (NULL is allowed). */
	void (*free)(void *st);
};

#endif
