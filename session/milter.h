/* milter.h: the session's mail filters (--milter): the Sendmail milter protocol,
 * version 6, as Postfix's smtpd_milters speaks it.  Session side: the conversation
 * carries client data, so it runs in the sandboxed session process; only the
 * connections are made before the sandbox (milter_open()).
 *
 * Each step (connect, HELO, MAIL, RCPT, DATA, the message at its end) asks every
 * milter in --milter order; the first that refuses decides.  A milter that cannot be
 * reached, is slower than --milter-timeout or breaks the protocol gives
 * --milter-default-action from then on. */
#ifndef MILTER_H
#define MILTER_H

#include <stdbool.h>
#include <sys/types.h>

#include "config.h"

struct session;

/* What a milter decided: code 0 to go on; else the reply (4xx or 5xx only, the text
 * printable ASCII), or discard (250, nothing delivered). */
struct milter_verdict {
	int code;
	bool discard;
	char esc[16];
	char text[MILTER_TEXT_MAX + 1];
};

/* Before the sandbox (main.c): connect to each --milter as user (uid, gid and its
 * groups: the privsep user, when started as root; NULL: as we are), so the socket's
 * permissions are checked against it, as Postfix's against its postfix user; nothing
 * is read from the milters yet.  A milter that cannot
 * be reached is logged and gives the default action at its first step. */
void milter_open(const struct config *cfg, const char *user, uid_t uid, gid_t gid);

/* Milters are configured: the message is filtered before any copy is begun. */
bool milter_active(void);

/* The steps.  Each returns true with *v set when the command must be refused (or,
 * at the end of the message, discarded); the caller replies with milter_say().
 * milter_connect() and milter_helo() remember a refusal instead: MAIL gets it. */
void milter_connect(struct session *s);
void milter_helo(struct session *s);
bool milter_mail(struct session *s, const char *args, struct milter_verdict *v);
bool milter_rcpt(struct session *s, const char *rcpt, struct milter_verdict *v);
bool milter_data(struct session *s, struct milter_verdict *v);
/* The sealed spool: headers, body, end of message; the header changes asked for are
 * made in a new sealed spool that replaces s->spool. */
bool milter_eom(struct session *s, struct milter_verdict *v);
/* RSET, a refused or abandoned transaction: each milter forgets the message. */
void milter_abort(void);
/* The session ends: SMFIC_QUIT to each milter, and the connections closed. */
void milter_close(void);

/* The reply for v ("<addr>: " before the text when addr is not NULL). */
int milter_say(struct session *s, const struct milter_verdict *v, const char *addr);

#endif
