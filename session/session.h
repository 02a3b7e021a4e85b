/* session.h: the state of one SMTP session, shared by the files of the dialogue
 * (smtp-session.c: the verb table and loop; session/envelope.c: MAIL and RCPT; data.c:
 * DATA and BDAT; deliver.c: the message's outcome; sasl.c: AUTH; reply.c: replies).
 * Session side: nothing here needs privilege; what does is asked of priv.h. */
#ifndef SESSION_H
#define SESSION_H

#include <arpa/inet.h>
#include <signal.h>
#include <stdbool.h>
#include <stddef.h>

#include "buf.h"
#include "io.h"
#include "config.h"

/* RFC 5321 4.1.4: the order of commands. */
enum state {
	ST_INIT,	/* no HELO/EHLO yet */
	ST_HELO,	/* greeted, no transaction */
	ST_MAIL,	/* MAIL accepted, no recipient yet */
	ST_RCPT,	/* at least one recipient accepted */
};

/* RFC 821 3.4: the verb that started the transaction says where the message goes. */
enum mode {
	MODE_MAIL,	/* MAIL: the mailbox */
	MODE_SEND,	/* SEND: the terminal; RCPT 450 when the user cannot be reached */
	MODE_SOML,	/* SOML: the terminal if possible, else the mailbox */
	MODE_SAML,	/* SAML: the mailbox, and the terminal too if possible */
};

/* CHUNKING (RFC 3030): where the BDAT chunks of the transaction stand. */
enum bdat {
	BDAT_NONE,	/* no BDAT in this transaction (DATA is still possible) */
	BDAT_OPEN,	/* chunks taken so far; more may come, the last ends in LAST */
	BDAT_FAILED,	/* a chunk was refused: later ones are read and refused (503) */
};

/* What the DATA or BDAT reader saw of the message so far (data.c); reply_data() turns
 * it into the one reply. */
struct data {
	unsigned long long size;	/* RFC 1870: octets with CRLF, without stuffing dots */
	bool bare;			/* a CR or LF that was not part of a CRLF */
	bool longline;			/* a text line over SMTP_TEXT_MAX */
	bool cr;			/* BDAT: the last chunk ended in a CR (its LF may follow) */
	size_t line;			/* BDAT: octets of the line so far, without CRLF */
	int werr;			/* errno of a failed spool write */
	unsigned long long spooled, told;	/* bytes in the spool; told the parent */
	/* ibuf[from..to): message text, unstuffed and with LF line ends, not yet in the
	 * spool.  Each line is moved down over input already parsed (a line loses its CR
	 * and maybe a dot, so it always fits) and written out before fill() reuses ibuf:
	 * one copy in memory and one write per read, with no buffer besides ibuf. */
	size_t from, to;
};

/* RFC 3461 4.1, 4.2: what an RCPT asked to be told (NOTIFY, dsn.h; 0: not said) and
 * its original recipient (ORCPT decoded, "type;address", or ""). */
struct dsn_rcpt {
	unsigned notify;
	char orcpt[DSN_ORCPT_MAX + 1];
};

/* A recipient user, with the DSN parameters of the first RCPT that named it: its
 * ORCPT is kept in s->orcpts (most recipients have none: no 501 bytes each). */
struct rcpt {
	char user[USER_NAME_MAX + 1];	/* who gets it */
	char addr[PATH_LEN_MAX + 1];	/* as the client gave it, for Delivered-To */
	unsigned notify;
	size_t orcpt;			/* its offset in s->orcpts, 0 for none */
};

/* One accepted RCPT: which recipients it is (targets[first..first+n), each
 * an index into rcpts: an alias may name several users, and two addresses of one user
 * are one recipient) and the address as this RCPT gave it, for its reply. */
struct accepted {
	size_t first, n;
	bool local;		/* in a local domain: delivered or forwarded here */
	char addr[PATH_LEN_MAX + 1];
};

struct session {
	const struct config *cfg;
	bool quit;
	struct buf scratch;		/* formatting space for replies */
	char client[INET6_ADDRSTRLEN];	/* peer address, or "unknown" */
	bool local;			/* loopback rights: peer_local() (peer.h) */
	char helo[DOMAIN_MAX + 1];	/* the HELO/EHLO argument */
	const char *verb;		/* command being run, for the log */
	bool esmtp;			/* EHLO: enhanced status codes on (RFC 2034) */
	bool auth_offered;		/* AUTH allowed on this connection (--auth) */
	char auth_user[USER_NAME_MAX + 1];	/* after a successful AUTH, else "" */
	char auth_mech[16];		/* its SASL mechanism ({auth_type} of milter.c) */
	unsigned auth_failures;
	enum state state;
	enum mode mode;			/* which verb started the transaction */
	bool smtputf8;			/* MAIL had the SMTPUTF8 parameter (RFC 6531 3.4) */
	enum bdat bdat;			/* BDAT chunks of this transaction (RFC 3030) */
	struct data chunks;		/* what the BDAT chunks so far held */
	unsigned transactions;		/* MAIL commands accepted (RFC 9422 MAILMAX) */
	char sender[PATH_LEN_MAX + 1];	/* MAIL FROM, without <> */
	unsigned long long declared;	/* MAIL's SIZE= (RFC 1870), 0 if none */
	unsigned dsn_ret;		/* MAIL's RET= (RFC 3461 4.3, enum dsn_ret) */
	char envid[DSN_ENVID_MAX + 1];	/* MAIL's ENVID= decoded (RFC 3461 4.4), or "" */
	char msgid[64], date[64];	/* the message's id and date, from its start */
	bool begun;			/* the mailboxes' copies are being written */
	struct buf rcpts;		/* struct rcpt[nrcpt] */
	struct buf orcpts;		/* "\0", then the recipients' ORCPTs, each with
					 * its NUL (struct rcpt) */
	size_t nrcpt;
	struct buf accepted;		/* struct accepted[naccepted], each RCPT accepted,
					 * in order (RFC 2033 4.2) */
	size_t naccepted;
	struct buf targets;		/* size_t[ntargets], see struct accepted */
	size_t ntargets;
	size_t nforward;		/* recipients with remote addresses (priv_accept()) */
	int spool;			/* the message during DATA, or -1 */
	enum rd end;			/* why the session ends; RD_OK while it runs */
	const char *closing;		/* or why we closed it ourselves */
	unsigned errors;		/* refused commands so far (--max-errors) */
	unsigned tty_children;		/* terminal children asked for (TTY_CHILDREN_MAX) */
	unsigned commands, messages, rejects;
	struct tls *tls;		/* ready for STARTTLS or implicit TLS; NULL when off */
	/* Last: it ends with the 64 KiB input buffer, which is never cleared. */
	struct conn c;
};

/* A verb of the dialogue's one table (smtp-session.c) and the function that runs it. */
struct verb;
typedef int verb_fn(struct session *, const struct verb *, char *arg);

/* Which dialogue a verb belongs to: SMTP, LMTP (--lmtp, RFC 2033), or both.  In the
 * other one it is unknown: 500 (RFC 2033 4.1: LHLO, not HELO or EHLO; RFC 821's SEND,
 * SOML and SAML have no place in LMTP). */
enum { V_SMTP = 1, V_LMTP = 2, V_BOTH = 3 };

struct verb {
	const char *name;
	verb_fn *run;
	size_t max;	/* longest command line, CRLF included */
	unsigned where;	/* V_SMTP, V_LMTP or V_BOTH */
};

/* reply.c: the one reply function.  text may hold several lines separated by
 * '\n'; all but the last are sent as "code-" continuation lines (RFC 5321 4.2.1).
 * After EHLO every line carries the enhanced status code esc (RFC 2034 3, RFC 3463);
 * esc is NULL where there is none (greeting, EHLO/HELO replies, 334, 354).  Replies
 * of 400 and up are logged.  Returns code. */
int reply(struct session *s, int code, const char *esc, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/* The HELO name for a structured log field: none before HELO/EHLO. */
const char *helo_field(const struct session *s);
const char *helo_text(const struct session *s);

/* TLS is on for this connection (c.tls is set after the handshake). */
#define TLS_ACTIVE(s) ((s)->c.tls != NULL)

/* trace.c: "TLSv1.3 with cipher ... (256/256 bits)" appended to b. */
void tls_summary(struct session *s, struct buf *b);
/* The message's id and date (the Received line's), fixed when it starts. */
void message_stamp(struct session *s);
/* The Received field (RFC 5321 4.4), for rcpt (NULL: the copy handed to the relay
 * command, which names no recipient). */
void received(struct session *s, struct buf *h, const char *rcpt, const char *id,
	      const char *date);
/* A recipient's trace header block: Return-Path, Delivered-To and Received. */
struct rcpt;
void trace_headers(struct session *s, struct buf *h, const struct rcpt *r, const char *id,
		   const char *date);

/* A recipient's ORCPT, "" when it has none (here, not in envelope.c, which keeps
 * them: deliver.c reads them too, and envelope.c calls deliver.c). */
static inline const char *rcpt_orcpt(const struct session *s, const struct rcpt *r)
{
	return r->orcpt ? s->orcpts.p + r->orcpt : "";
}

/* envelope.c: the verbs of the envelope, for the verb table, and the reset that
 * forgets the transaction (RSET, EHLO/HELO, and after each message). */
int smtp_mail(struct session *s, const struct verb *v, char *arg);
int smtp_send(struct session *s, const struct verb *v, char *arg);
int smtp_soml(struct session *s, const struct verb *v, char *arg);
int smtp_saml(struct session *s, const struct verb *v, char *arg);
int smtp_rcpt(struct session *s, const struct verb *v, char *arg);
void reset_transaction(struct session *s);

/* data.c and sasl.c: the other verbs of the table. */
int smtp_data(struct session *s, const struct verb *v, char *arg);
int smtp_bdat(struct session *s, const struct verb *v, char *arg);
int smtp_auth(struct session *s, const struct verb *v, char *arg);

/* spool.c: the spool file in $TMPDIR, if TMPDIR is set, for every message of the
 * session, and a second for the milters' changes when rewrites (there are milters).
 * Called before the sandbox closes the file system; without it each message (and
 * each rewrite) gets a sealed memfd.  0, or -1 with errno (then memfds). */
int spool_init(bool rewrites);
/* Those spools' descriptors (i 0 or 1), or -1. */
int spool_fd(int i);
/* A message's spool, empty (s->spool), or -1 with errno. */
int spool_open(struct session *s);
/* A second spool, empty, made as spool_open() makes one (the other file in $TMPDIR,
 * or a memfd), for the milters' changed message while s->spool is read; -1 with
 * errno.  Then spool_replace() or spool_drop(). */
int spool_new(const struct session *s);
/* fd (from spool_new(), complete) becomes the message's spool, sealed as
 * spool_seal() seals; the old one is let go.  0, or -1 with errno. */
int spool_replace(struct session *s, int fd);
/* A spool_new() spool not used after all (its writing failed). */
void spool_drop(int fd);
/* The message is complete: a memfd spool is sealed, so that nobody can change it
 * while it is delivered.  0, or -1 with errno. */
int spool_seal(const struct session *s);
/* Release the session's spool. */
void spool_free(struct session *s);

/* deliver.c: what becomes of a complete message. */
/* The mailboxes' copies begun as the message starts (MAIL, not --lmtp). */
void begin_copies(struct session *s);
/* The transaction is forgotten: copies begun are dropped. */
void deliver_reset(struct session *s);
/* The one reply after the message (RFC 5321 4.2.5), and the delivery it reports. */
struct data;
int reply_data(struct session *s, struct data *d, const char *id);
/* May the session ask for n more terminal children (TTY_CHILDREN_MAX)?  If so they
 * are counted as started. */
bool tty_budget(struct session *s, size_t n);

#endif
