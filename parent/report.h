/* report.h: the delivery status notifications (RFC 3464) sent to a message's sender:
 * when some of its local recipients did not get it and the others did (mbox_hook's
 * missed): the copies that could be written are kept, and the sender is told which
 * could not, instead of every recipient being answered 4xx because of one; and after
 * a delivery, for the recipients whose RCPT asked for NOTIFY=SUCCESS (RFC 3461 4.1):
 * "delivered" for a mailbox, "relayed" for an address handed to a relay command that
 * could not be given the DSN parameters (RFC 3464 2.3.3).  Privileged side. */
#ifndef REPORT_H
#define REPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>
#include <time.h>

#include "config.h"
#include "privsep.h"

/* One recipient of the report: a mailbox's user with its trace header block (the
 * Delivered-To line names its address, trace.c), or a relayed address; its ORCPT;
 * and for a failure why (an errno value). */
struct report_rcpt {
	const char *user;		/* NULL for a relayed address */
	const char *head;
	size_t headlen;
	int err;			/* failed: an errno value; 0: delivered or relayed */
	const char *addr;		/* the relayed address, or NULL */
	const char *orcpt;		/* RFC 3461 ORCPT decoded ("type;address"), or "" */
};

struct report_job {
	const char *sender;		/* the envelope sender, not "" */
	const char *id;			/* the message's id */
	int spool;			/* the message (its header is quoted) */
	off_t size;
	const struct report_rcpt *rcpt;
	size_t n;
	bool success;			/* delivered and relayed, else failed (err) */
	unsigned ret;			/* RFC 3461 4.3 RET (enum dsn_ret) */
	const char *envid;		/* RFC 3461 4.4 ENVID decoded, or "" */
	time_t arrival;			/* RFC 3464 2.2.5 Arrival-Date */
};

/* May the message be reported on at all?  Not when it is a report itself: its header
 * has "Content-Type: multipart/report" (RFC 3461 6.2, RFC 5321 6.1: no report about a
 * report; those come from <>, which is never reported to, but not always). */
bool report_allowed(int spool, off_t size);

/* Write the report (multipart/report; report-type=delivery-status) and hand it to
 * the relay command from the null sender <> (RFC 3464 2, RFC 5321 4.5.5) to
 * j->sender.  0 when the command took it, else an errno value (EAGAIN: try again
 * later), logged. */
int report_send(const struct config *cfg, const struct report_job *j);

#endif
