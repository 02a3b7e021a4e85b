/* mbox.h: delivery into Maildirs (the privileged side's mailbox writer). */
#ifndef MBOX_H
#define MBOX_H

#include "priv.h"

/* All-or-nothing delivery of the spool to every recipient; see priv_deliver(). */
int mbox_deliver(const struct config *cfg, int spool, off_t size,
		 const struct priv_rcpt *rcpt, size_t n, unsigned seq);

#endif
