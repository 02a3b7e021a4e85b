/* mbox.h: delivery into Maildirs or mbox files (the privileged side's mailbox
 * writer). */
#ifndef MBOX_H
#define MBOX_H

#include <stdint.h>

#include "forward.h"
#include "helper.h"
#include "privsep.h"

/* The delivery helpers of one session: as root, one process per recipient user,
 * running as that user, started at the user's first check and kept until
 * mbox_close().  NULL when out of memory. */
struct mbox *mbox_open(const struct config *cfg);

/* The mailbox check of priv_check(), as the user, within cfg->delivery_timeout. */
enum mailbox mbox_check(struct mbox *m, const char *user, uint64_t size);

/* ~/.forward of user (forward.h), read by the user's helper (started now if need be)
 * within cfg->delivery_timeout; for FORWARD_OK its text is added to text. */
struct buf;
enum forward mbox_forward(struct mbox *m, const char *user, struct buf *text);

/* All-or-nothing delivery of the spool to every recipient; see priv_deliver().  Each
 * recipient's helper must answer within cfg->delivery_timeout, or it is killed, its
 * tmp/ file removed, and the delivery fails.  hook may be NULL. */
int mbox_deliver(struct mbox *m, int spool, off_t size, const struct priv_rcpt *rcpt,
		 size_t n, unsigned seq, const struct mbox_hook *hook);

/* Optional, before mbox_deliver() with the same recipients and sequence: the copies
 * are begun now, with the spool still growing (not yet sealed), so that the helpers
 * write while the message arrives instead of after it.  Not answered: what fails
 * here fails mbox_deliver().  Does nothing in single-user mode. */
void mbox_begin(struct mbox *m, int spool, const struct priv_rcpt *rcpt, size_t n,
		unsigned seq);

/* The spool of the begun copies holds size bytes now (a hint; never waits). */
void mbox_more(struct mbox *m, uint64_t size);

/* The begun copies are dropped (the message was refused or the client left). */
void mbox_discard(struct mbox *m);

/* End every helper (each aborts what it holds and exits; a late one is killed) and
 * free m.  NULL is allowed. */
void mbox_close(struct mbox *m);

#endif
