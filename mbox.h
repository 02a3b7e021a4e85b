/* mbox.h: delivery into Maildirs (the privileged side's mailbox writer). */
#ifndef MBOX_H
#define MBOX_H

#include <stdint.h>

#include "priv.h"

/* The delivery helpers of one session: as root, one process per recipient user,
 * running as that user, started at the user's first check and kept until
 * mbox_close().  NULL when out of memory. */
struct mbox *mbox_open(const struct config *cfg);

/* The mailbox check of priv_check(), as the user, within cfg->delivery_timeout. */
enum mailbox mbox_check(struct mbox *m, const char *user, uint64_t size);

/* All-or-nothing delivery of the spool to every recipient; see priv_deliver().  Each
 * recipient's helper must answer within cfg->delivery_timeout, or it is killed, its
 * tmp/ file removed, and the delivery fails. */
int mbox_deliver(struct mbox *m, int spool, off_t size, const struct priv_rcpt *rcpt,
		 size_t n, unsigned seq);

/* End every helper (each aborts what it holds and exits; a late one is killed) and
 * free m.  NULL is allowed. */
void mbox_close(struct mbox *m);

#endif
