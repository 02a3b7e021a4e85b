/* priv.h: the privileged operations, the only things the dialogue asks for that need
 * root or touch a user's files.
 *
 * In the session process each call is one request to the privileged parent over the
 * socketpair (priv.c, the frames of privsep.h), which runs it (parent.c) and answers.
 * Every argument is plain data (names, byte strings, one file descriptor), never a
 * pointer into the dialogue's state.  The fuzzing harness links test doubles for this
 * header instead (fuzz/priv-fake.c).
 */
#ifndef PRIV_H
#define PRIV_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "buf.h"
#include "privsep.h"
#include "config.h"

/* The link to the privileged parent, set once in the session process before the
 * dialogue starts (main.c). */
void priv_attach(int sock);

/* false once the link has failed (the parent is gone): every call since answered as
 * a temporary failure, and the session must end with 421. */
bool priv_ok(void);

/* The session's log lines go to the parent, which writes them (log.c's sink in the
 * session process): the session can open no socket or file of its own. */
struct log_field;
void priv_log(int prio, const struct log_field *fields, const char *line);

/* Send the log lines priv_log() holds back: before every wait for the client, and at
 * the end of the session.  (A request takes them along itself.) */
void priv_flush(void);

/* Resolve local@domain (domain "" only for RCPT TO:<postmaster>): in a local domain
 * through aliases, the user database and ~/.forward; in another domain only for an
 * authenticated client (relaying).  res->users must be released with buf_free(). */
void priv_lookup(const char *local, const char *domain,
		 struct lookup_result *res);

/* The recipient looked up last was accepted: its remote addresses join the message's
 * (sent only when it has any), with its RCPT's NOTIFY and ORCPT (RFC 3461, dsn.h;
 * 0 and "" when not given). */
void priv_accept(unsigned notify, const char *orcpt);

/* A transaction starts (MAIL, SEND, SOML, SAML) with this envelope sender ("" for
 * <>): false when the client authenticated as a user who does not own that address
 * (553 5.7.1; --any-sender turns the check off).  Only that check waits for the
 * parent; otherwise the request goes with the next one.  ret and envid: MAIL's RET
 * (enum dsn_ret) and decoded ENVID ("" when none), RFC 3461 4.3 and 4.4. */
bool priv_mail(const struct config *cfg, const char *sender, bool authenticated,
	       unsigned ret, const char *envid);

/* Check, as the user, that user's mailbox can take a message of size bytes (MAIL's
 * SIZE=, RFC 1870; 0 when not declared): a Maildir (made when missing, with tmp/ new/
 * cur/) whose every part is a directory the user can write, or with --mailbox mbox a
 * regular file of the user's with one link (mboxfile.h); room on the file system and
 * in the user's quota. */
enum mailbox priv_check(const char *user, unsigned long long size);

/* Deliver the spooled message (bytes 0..size of spool, LF line ends) to every
 * recipient and to the remote addresses accepted (priv_accept()), all or nothing:
 * err 0 when it is durable in every mailbox, else an errno value (ENOSPC and EDQUOT
 * mean "out of storage"); relay 0 when the relay command took it or there was none.
 * When either failed no copy is left behind, unless the failure came between two
 * final renames or between two relay runs.  seq is unique per message in this
 * process.  One exception to all or nothing: with more than one recipient, one
 * whose copy fails while others succeed is set in missed[] (n entries, zeroed by
 * the caller) and err is 0: the others have it, its sender was told (report.h). */

/* relay_head: the trace header block (Received) for the copy handed to the relay
 * command, when any recipient has remote addresses, else "".  id names the message
 * in the log. */
struct priv_outcome priv_deliver(int spool, off_t size,
				 const struct priv_rcpt *rcpt, size_t n, unsigned seq,
				 const char *id, const char *relay_head, size_t relay_len,
				 bool *missed);

/* Optional, before priv_deliver(): the copies for these recipients (all mailboxes)
 * are begun now, from the spool as it grows, so that they are written while the
 * message arrives rather than after it.  priv_more() tells how far the spool is;
 * priv_deliver() with rcpt NULL (the recipients are known) completes them, and
 * priv_discard() drops them when the message is refused.  None of these waits. */
void priv_begin(int spool, const struct priv_rcpt *rcpt, size_t n,
		unsigned seq);
void priv_more(unsigned long long size);
void priv_discard(void);

/* Check a user name and password (PAM, service cfg->pam_service; rhost is the
 * client's address or NULL).  This must run as root: pam_unix can check no one's
 * password but its caller's otherwise.  On AUTHN_OK the name PAM settled on is in
 * canon[USER_NAME_MAX + 1]. */
enum authn priv_auth(const char *user, const char *pass,
		     const char *rhost, char *canon);

/* For each of the n users: is there a terminal that takes messages now?  Nothing is
 * written.  status[i] is users[i]'s answer. */
void priv_tty_check(const char *const *users, size_t n,
		    struct tty_status *status);

/* Write text (made safe by tty_render()) to each user's least idle terminal that takes
 * messages, as that user, all users at once, within cfg->tty_timeout seconds in total.
 * Each user's result is independent (status[i]); a terminal that does not take the
 * whole text in time is TTY_FAILED and may have shown part of it. */
void priv_tty_write(const char *const *users, size_t n,
		    const char *text, size_t len, struct tty_status *status);

/* TLS (issue 21): the private keys stay in the parent.  Before the sandbox: the
 * SHA-256 id of each of the n pairs' keys (idlen[i] 0: it cannot be used) and the
 * ticket key of the current period, if --tls-ticket-key is given.  0 or -1. */
int priv_tls_keys(unsigned n, unsigned char id[][PS_KEY_ID_MAX], size_t *idlen,
		  unsigned char ticket[TLS_TICKET_KEY_LEN], bool *has_ticket);

/* The parent signs for the handshake with pair's key: algo is GnuTLS's signature
 * algorithm, data the hash (or EdDSA's data).  The signature is appended to sig.  0,
 * or -1 (refused or failed: the handshake fails). */
int priv_sign(unsigned pair, unsigned algo, const void *data, size_t len, struct buf *sig);

#endif
