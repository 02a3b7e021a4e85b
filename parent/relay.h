/* relay.h: the hand-off of forwarded and relayed mail to the system's MTA, through
 * the sendmail(1) interface every Debian MTA installs (--relay-command, by default
 * "/usr/sbin/sendmail -i -f {sender} --").  Privileged side: the parent runs it for
 * the recipients that are not local, once per message, after the final dot.
 *
 * The command is run with execv, never through a shell (OpenSMTPD CVE-2020-7247), as
 * --relay-user, in a process group of its own, with a clean environment, and under
 * --delivery-timeout: it runs as a user who may stop it, so the parent never waits
 * for it without a deadline. */
#ifndef RELAY_H
#define RELAY_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "config.h"

struct relay_job {
	const char *sender;		/* the envelope sender, "" for the null path <> */
	const char *const *rcpt;	/* n recipients, each relay_address_ok() */
	size_t n;
	const char *head;		/* trace header block written before the message */
	size_t headlen;
	int spool;			/* the message: bytes 0..size of this descriptor, read
					 * with pread (its offset is neither used nor moved),
					 * LF line ends */
	off_t size;
	const char *id;			/* the message's queue id, for the log */
	/* RFC 3461 for the MTA, when --relay-command has the word {dsn} or through
	 * --relay-socket (below):
	 * NOTIFY of these recipients (0: not given), RET (enum dsn_ret) and ENVID
	 * decoded ("" or NULL: none). */
	unsigned notify, ret;
	const char *envid;
	bool *dsn_dropped;		/* or NULL: set when the recipients' NOTIFY could not
					 * be handed on with the message (no {dsn} in the
					 * command, a --relay-socket server without DSN) */
};

enum relay_result { RELAY_OK, RELAY_TEMPFAIL, RELAY_FAIL };

/* Before the fork, with the privileges smtp-session was started with.  As root: look
 * up cfg->relay_user and remember its uid and primary gid; it must not be root.  The
 * default (NULL: cfg->privsep_user) is looked up at the first relay_run() instead.  Not as root, the command runs as the current user, and a
 * --relay-user naming another user is an error.  relay_argv[0] is not checked here
 * (the MTA may be installed later): a command that cannot be run is logged at each
 * run and answered RELAY_TEMPFAIL.  0, or -1 with *why (a whole sentence). */
int relay_init(const struct config *cfg, const char **why);

/* May addr be given to the command as one recipient (or as the sender)?  local@domain
 * with a non-empty local part and domain, at most PATH_LEN_MAX - 2 bytes (RFC 5321
 * 4.5.3.1.3 without the brackets); the local part a dot-string of atext or a quoted
 * string, the domain letters, digits, '-' and '.', or an address literal in brackets;
 * UTF-8 where RFC 6531 allows it.  Never a space, a control byte or malformed UTF-8,
 * and outside a quoted string none of the RFC 5322 specials ( ) < > , ; : \ " [ ]
 * that an MTA's sendmail parses (Postfix splits its arguments as address lists): so
 * each address is one argv word and one address.  A leading '-' is allowed: the
 * recipients follow "--". */
bool relay_address_ok(const char *addr);

/* Run the command for one message: cfg->relay_argv with the word "{sender}" replaced
 * by j->sender (the null sender is passed as the empty word: Postfix's sendmail and
 * msmtp both read -f "" as <>), then the n recipients after the final "--".  The
 * message on its stdin is j->head, then spool bytes 0..size.  Exit 0: RELAY_OK;
 * EX_TEMPFAIL (75), a signal, the deadline, a command that could not be started or
 * that stopped reading its input: RELAY_TEMPFAIL; any other exit: RELAY_FAIL, with
 * the command's first line of stderr in the log.  One log line per run. */
enum relay_result relay_run(const struct config *cfg, const struct relay_job *j);

/* The DSN parameters (RFC 3461) and the relay command: when --relay-command has the
 * word {dsn}, it is replaced by "-N notify" (lower case: never, or
 * success,failure,delay), "-R full|hdrs" and "-V envid", each only when the client
 * gave it: Postfix's and Sendmail's sendmail(1) options.  Not in the default: Exim's
 * -N means "do not deliver" and its -R "retry now".  ORCPT has no sendmail(1) option
 * and is not passed on.  With --relay-socket they go as ESMTP parameters when the
 * server offers DSN (relayclient.h).  Otherwise *j->dsn_dropped is set. */

#endif
