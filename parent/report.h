/* report.h: the delivery status notification (RFC 3464) sent to a message's sender
 * when some of its local recipients did not get it and the others did (mbox_hook's
 * missed): the copies that could be written are kept, and the sender is told which
 * could not, instead of every recipient being answered 4xx because of one.
 * Privileged side. */
#ifndef REPORT_H
#define REPORT_H

#include <stddef.h>
#include <sys/types.h>

#include "config.h"
#include "privsep.h"

/* One recipient that did not get the message: its trace header block (the
 * Delivered-To line names its address, trace.c) and why (an errno value). */
struct report_rcpt {
	const char *user;
	const char *head;
	size_t headlen;
	int err;
};

struct report_job {
	const char *sender;		/* the envelope sender, not "" */
	const char *id;			/* the message's id */
	int spool;			/* the message (its header is quoted) */
	off_t size;
	const struct report_rcpt *rcpt;
	size_t n;
};

/* Write the report (multipart/report; report-type=delivery-status) and hand it to
 * the relay command from the null sender <> (RFC 3464 2, RFC 5321 4.5.5) to
 * j->sender.  0 when the command took it, else an errno value (EAGAIN: try again
 * later), logged. */
int report_send(const struct config *cfg, const struct report_job *j);

#endif
