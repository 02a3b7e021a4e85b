/* relay.h: the hand-off of a message to the system's MTA through the sendmail(1)
 * interface (--relay-command).  Privileged side. */
#ifndef RELAY_H
#define RELAY_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "smtp-session.h"

struct relay_job {
	const char *sender;		/* the envelope sender, "" for the null path <> */
	const char *const *rcpt;	/* n recipients, each relay_address_ok() */
	size_t n;
	const char *head;		/* trace header block written before the message */
	size_t headlen;
	int spool;			/* the message: bytes 0..size, LF line ends */
	off_t size;
	const char *id;			/* the message's queue id, for the log */
};

enum relay_result { RELAY_OK, RELAY_TEMPFAIL, RELAY_FAIL };

int relay_init(const struct config *cfg, const char **why);
bool relay_address_ok(const char *addr);
enum relay_result relay_run(const struct config *cfg, const struct relay_job *j);

#endif
