/* relayclient.h: the hand-off of relayed and forwarded mail over SMTP (RFC 5321) to a
 * listener on a Unix socket (--relay-socket), instead of running --relay-command.
 * Under the shipped systemd units the MTA's sendmail cannot run inside the session's
 * sandbox (no_new_privs disarms Postfix's setgid postdrop and Exim's setuid binary);
 * smtp-relay.socket runs "sendmail -bs" (SMTP on stdin, which Postfix and Exim both
 * speak) in a unit of its own, and the relay child talks to it here.
 *
 * Helper side: runs in the relay child (parent/relay.c), as the relay user, under the
 * parent's --delivery-timeout (the parent kills the child at the deadline, so the
 * blocking reads here need none of their own). */
#ifndef RELAYCLIENT_H
#define RELAYCLIENT_H

#include <stddef.h>

/* RFC 3461: the DSN parameters of the message (dsn.h: NOTIFY of these recipients, 0
 * when not given; RET; ENVID decoded, "" for none).  They go as ESMTP parameters on
 * MAIL (RET, ENVID xtext-encoded) and RCPT (NOTIFY) when the server offers DSN; when
 * it does not and there are some, the message is still sent and relay_client() says
 * so by returning RELAY_CLIENT_NO_DSN instead of 0 (relay.c: the sender is then told
 * "relayed" for a NOTIFY=SUCCESS, RFC 3461 4.1 and RFC 3464 2.3.3). */
struct relay_dsn {
	unsigned notify, ret;
	const char *envid;
};
#define RELAY_CLIENT_NO_DSN 9

/* One message: connect to path, EHLO helo, MAIL FROM:<sender>, RCPT TO:<rcpt[i]> for
 * each of the n recipients, DATA with the message read from in (LF line ends; sent
 * with CRLF and dot-stuffed, RFC 5321 4.5.2), QUIT.  The one line written to err is
 * the final reply on success, or the command and the reply that stopped it.  Returns
 * the exit status sendmail(1) would: 0 when the server took the message, 75
 * (EX_TEMPFAIL) for a 4xx reply, a refused connection or a broken dialogue, 69
 * (EX_UNAVAILABLE) for a 5xx reply.  All or nothing: one refused recipient stops the
 * message for all of them (the relay command's contract, relay.h). */
int relay_client(const char *path, const char *helo, const char *sender,
		 const char *const rcpt[], size_t n, const struct relay_dsn *dsn, int in,
		 int err);

#endif
