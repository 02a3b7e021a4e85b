/* privsep.h: the protocol between the session process and the privileged parent.
 *
 * Started as root, smtp-session forks before it reads a byte from the client.  The
 * child (the session process) runs the whole SMTP dialogue as the unprivileged
 * --privsep-user, chrooted into an empty directory, with no_new_privs and a seccomp
 * allow-list (sandbox.c).  The parent stays root, never touches the connection, and
 * serves the requests below and nothing else (parent.c).  Not started as root, the
 * same fork and the same protocol run without the uid change and the chroot.
 *
 * Transport: a SOCK_STREAM socketpair.  A frame is a header (struct frame_hdr: the
 * payload's length, the type) and a payload of typed fields in the order given
 * below (frame.h: u32, u64, str = u32 length + bytes without NUL, bytes = the same
 * with any bytes).  One file descriptor may travel with a frame (SCM_RIGHTS), only
 * where a request says so.
 *
 * The parent treats the child as hostile.  Any of these ends the session (the child
 * is killed, the event logged, and the parent exits EXIT_SYSTEM): an unknown type, an
 * answer type sent as a request, a payload over the type's bound (or over FRAME_MAX),
 * a frame cut short, a field that does not parse or bytes left after the last field,
 * a descriptor where none belongs or none where one must be, a request out of order
 * (see "pending"), a recipient that no LOOKUP of this session returned or that is
 * pending already, a LOOKUP or PS_ACCEPT outside a transaction (PS_MAIL), a
 * PS_ACCEPT of a lookup without remote addresses, a PS_CHECK or PS_MORE over
 * --max-size, PS_MORE or PS_DISCARD without PS_BEGIN, a PS_DELIVER with neither
 * pending recipients nor accepted remote addresses or with remote addresses and no
 * relay header, a PS_DELIVER of another sequence than the one begun, an AUTH after
 * AUTH_MAX_FAILURES failures, an AUTH user name utf8_user_name_ok() refuses (the
 * session answers those 535 itself), more than cfg->max_rcpt recipients, a terminal
 * request --send does not allow (the parent finds the client's address itself,
 * before it lets go of the connection, and knows whether an AUTH of this session
 * succeeded) or one that would take the session past TTY_CHILDREN_MAX terminal
 * children in all (each pending recipient of a PS_TTY_CHECK or PS_TTY_WRITE is one),
 * terminal text that is not laid out and escaped as tty_render() makes it (the rule
 * of ttytext.h: no escape sequence, no row that looks like our own), DSN parameters
 * dsn.h does not allow (a RET beyond HDRS, a NOTIFY of NEVER with another or of an
 * unknown bit, an ENVID over DSN_ENVID_MAX or with a control byte, an ORCPT that is
 * no "type;address" of printable characters: they go into a report's header fields
 * and the relay command's argv), a spool that is not a regular file (or a memfd that could be sealed and is not) or
 * is smaller than declared.
 *
 * What the parent decides itself, whatever the session asked: whether a domain is
 * local, whether another domain may be relayed to (only after an AUTH it answered),
 * what an address resolves to (aliases, the user database, ~/.forward: expand.h),
 * whether an authenticated client owns its sender, and what the relay command is
 * given (every address checked by relay_address_ok()).
 *
 * Timing: every PS_AUTH_ANS but AUTHN_OK is sent no sooner than cfg->auth_delay_ms
 * after the PS_AUTH arrived, whatever PAM took, so the answer's timing tells nobody,
 * the session process included, whether the user exists.
 *
 *  request (child -> parent)                 answer (parent -> child)
 *  -------------------------------------     ----------------------------------------
 *  PS_LOG      u32 priority                  none: the parent writes it to syslog,
 *              u32 n, n x (u32 key,          the journal or --log-file, scrubbed
 *                          str value)        again (control bytes as '?')
 *              str line
 *  PS_MAIL     str sender ("" for <>),       only after a successful AUTH and without
 *              u32 RET (enum dsn_ret),       --any-sender: PS_MAIL_ANS u32 1, or 0
 *              str ENVID decoded or ""       when the user does not own the sender
 *              (a transaction starts)
 *  PS_LOOKUP   str local part, str domain    PS_LOOKUP_ANS  u32 enum lookup,
 *              (after PS_MAIL; "" only for                  u32 n, n x str user,
 *              <postmaster>)                                u32 remote addresses,
 *                                                           str the first or ""
 *  PS_ACCEPT   u32 NOTIFY, str ORCPT         none: the last lookup's remote addresses
 *              (of its RCPT, dsn.h)          join the message (expand.h, relay.h)
 *  PS_AUTH     str user, str password,       PS_AUTH_ANS    u32 enum authn
 *              str client address or ""                     str user PAM settled on
 *  PS_CHECK    str user (from a LOOKUP),     PS_CHECK_ANS   u32 enum mailbox (priv.h),
 *              u64 SIZE= (<= --max-size)     checked as the user, within
 *                                            --delivery-timeout
 *  PS_RCPT     str user (from a LOOKUP),     none: one recipient of the next
 *              str header block,             PS_DELIVER, PS_TTY_CHECK or PS_TTY_WRITE
 *              u32 NOTIFY, str ORCPT         ("pending"; the header block must be ""
 *              (of its first RCPT, dsn.h)    for the terminal requests)
 *  PS_DELIVER  u64 size, u32 sequence,       PS_DELIVER_ANS u32 0 or an errno value
 *              str id, bytes relay header    (EIO also when a helper was too late),
 *              ("" unless PS_ACCEPT came)    u32 enum relay_result, bytes missed: a
 *              + the spool's descriptor      bit per pending recipient (bit i%8 of
 *                                            byte i/8) that did not get it while the
 *                                            others did, its sender told (report.h);
 *                                            empty when none was missed
 *  PS_BEGIN    u32 sequence,                 none: the pending (mailbox) recipients'
 *              + the spool's descriptor      copies are begun while the message
 *              (still growing: a regular     arrives; the next PS_DELIVER must carry
 *              file, not yet sealed)         this sequence.  No PS_RCPT until then.
 *  PS_MORE     u64 spool bytes so far        none (after PS_BEGIN: a hint)
 *  PS_DISCARD  (nothing)                     none: the begun copies are dropped, the
 *                                            pending recipients forgotten
 *  PS_TTY_CHECK (nothing)                    one PS_TTY_ANS per pending recipient, in
 *  PS_TTY_WRITE bytes text (tty_render())    order: u32 enum tty_result, str tty line
 *  PS_TLS_KEYS (nothing; once, outside a     PS_TLS_KEYS_ANS u32 n pairs,
 *              transaction: the session      n x bytes the SHA-256 id of the pair's
 *              asks at STARTTLS)             key ("": it cannot be used), bytes the
 *                                            ticket key of this period ("": none)
 *  PS_SIGN     u32 pair (from 0), u32 the    PS_SIGN_ANS    u32 0 or 1 (failed),
 *              signature algorithm (GnuTLS's                bytes the signature
 *              gnutls_sign_algorithm_t), bytes
 *              the hash (the DigestInfo for
 *              GNUTLS_SIGN_RSA_RAW) or, for
 *              EdDSA, the data to be signed
 *
 * Each answer comes before the child sends its next request, so there is never more
 * than one request in flight; PS_LOG, PS_RCPT, PS_BEGIN, PS_MORE, PS_DISCARD and
 * PS_ACCEPT need none, PS_MAIL only as said.
 *
 * The TLS private keys and the ticket key stay in the parent (issue 21, parent/keys.c):
 * the session process signs its handshake through PS_SIGN.  Besides the rules above,
 * the session is ended for a PS_TLS_KEYS without TLS or asked twice, a PS_SIGN before
 * PS_TLS_KEYS, with recipients pending, for a pair that does not exist or cannot be
 * used, with an algorithm of PS_SIGN_ALGOS the key cannot make (or another), with a
 * hash of another length than the algorithm's, a DigestInfo or EdDSA data that is not
 * of the shape a TLS 1.2 or 1.3 server signs, or more than TLS_SIGN_MAX PS_SIGN in
 * all: one handshake signs once.  The parent cannot see the connection, so a
 * taken-over session can still have TLS_SIGN_MAX handshake signatures made per
 * connection, never the key.
 */
#ifndef PRIVSEP_H
#define PRIVSEP_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "config.h"

enum ps_type {
	PS_LOG = 1,
	PS_LOOKUP,
	PS_LOOKUP_ANS,
	PS_AUTH,
	PS_AUTH_ANS,
	PS_RCPT,
	PS_DELIVER,
	PS_DELIVER_ANS,
	PS_TTY_CHECK,
	PS_TTY_WRITE,
	PS_TTY_ANS,
	PS_CHECK,
	PS_CHECK_ANS,
	PS_BEGIN,
	PS_MORE,
	PS_DISCARD,
	PS_MAIL,
	PS_MAIL_ANS,
	PS_ACCEPT,
	PS_TLS_KEYS,
	PS_TLS_KEYS_ANS,
	PS_SIGN,
	PS_SIGN_ANS,
	PS_TYPE_END,	/* not a type: one past the last */
};

/* Bounds of the fields (the parent checks each; the frame bound follows from them). */
#define PS_LOG_LINE_MAX 1024	/* log.c formats lines into 1024 bytes */
#define PS_LOG_VALUE_MAX 320	/* a field's value: a path, a domain, an address */
#define PS_LOG_FIELDS_MAX 8
#define PS_HEAD_MAX 4096	/* one recipient's trace header block */
#define PS_ID_MAX 63		/* a message's id (session/trace.c's message_id()) */
/* PS_SIGN: the hash or data to be signed (a TLS 1.3 CertificateVerify's content is
 * 64 + 34 + 64 octets, a TLS 1.2 ServerKeyExchange's 64 + 4 + 133 at most), the
 * signature (RSA keys of up to 16384 bits), a key id (SHA-256: 32 octets). */
#define PS_SIGN_DATA_MAX 512
#define PS_SIGNATURE_MAX 2048
#define PS_KEY_ID_MAX 64
/* The signature algorithms PS_SIGN accepts, by GnuTLS's names (both sides load the
 * same library): the TLS 1.2 and 1.3 server signatures with SHA-2 (RFC 8446 4.2.3;
 * SHA-1 is no longer signed, RFC 9155).  PKCS#1 v1.5 ones reach the parent as
 * GNUTLS_SIGN_RSA_RAW with the DigestInfo. */
#define PS_SIGN_ALGOS(X)								\
	X(GNUTLS_SIGN_RSA_SHA256) X(GNUTLS_SIGN_RSA_SHA384) X(GNUTLS_SIGN_RSA_SHA512)	\
	X(GNUTLS_SIGN_RSA_PSS_RSAE_SHA256) X(GNUTLS_SIGN_RSA_PSS_RSAE_SHA384)		\
	X(GNUTLS_SIGN_RSA_PSS_RSAE_SHA512) X(GNUTLS_SIGN_RSA_PSS_SHA256)		\
	X(GNUTLS_SIGN_RSA_PSS_SHA384) X(GNUTLS_SIGN_RSA_PSS_SHA512)			\
	X(GNUTLS_SIGN_ECDSA_SHA256) X(GNUTLS_SIGN_ECDSA_SHA384) X(GNUTLS_SIGN_ECDSA_SHA512) \
	X(GNUTLS_SIGN_ECDSA_SECP256R1_SHA256) X(GNUTLS_SIGN_ECDSA_SECP384R1_SHA384)	\
	X(GNUTLS_SIGN_ECDSA_SECP521R1_SHA512) X(GNUTLS_SIGN_EDDSA_ED25519)		\
	X(GNUTLS_SIGN_EDDSA_ED448)

/* PS_LOOKUP_ANS: the result, the users (EXPAND_TARGETS_MAX at most), the number of
 * remote addresses and the first of them. */
/* PS_DELIVER_ANS: two u32, then the missed bits of up to RCPT_LIMIT recipients. */
#define PS_MISSED_MAX ((RCPT_LIMIT + 7) / 8)
#define PS_DELIVER_ANS_MAX (4 + 4 + 4 + PS_MISSED_MAX)
#define PS_LOOKUP_ANS_MAX (16 + PATH_LEN_MAX + EXPAND_TARGETS_MAX * (4 + USER_NAME_MAX))

/* The answers' values and the structures that carry them, which the session (priv.h)
 * and the privileged side (parent.c and what it runs) both use. */

enum lookup {
	LOOKUP_OK,
	LOOKUP_NOUSER,		/* no such mailbox: 550 5.1.1 */
	LOOKUP_TEMPFAIL,	/* the user database did not answer: 451 4.3.0 */
	LOOKUP_NOPOSTMASTER,	/* postmaster, root or a system account, and no
				 * --postmaster to take their mail: 550 5.1.1 */
	LOOKUP_LOOP,		/* aliases or .forward files go round in a circle, or
				 * too deep, and nowhere else: 550 5.4.6 */
	LOOKUP_RELAY_DENIED,	/* another domain, and the client has not
				 * authenticated: 550 5.7.1 */
	LOOKUP_TOO_MANY,	/* aliases or .forward files name more than
				 * EXPAND_TARGETS_MAX users and addresses: 550 5.2.4
				 * (the last value: priv.c checks the answer against it) */
};

/* What one recipient address resolves to (expand.h): the local users whose mailboxes
 * get the message, and how many remote addresses it is handed on to (relay.h), with
 * the first of them for the 251 reply. */
struct lookup_result {
	enum lookup r;
	struct buf users;	/* "name\0name\0..." */
	size_t nusers;
	size_t nremote;
	char remote[PATH_LEN_MAX + 1];	/* the first, or "" */
};

/* RFC 5321 4.2.5 leaves one reply for all recipients after DATA, so a recipient whose
 * mailbox cannot take the message is found at RCPT instead, where it costs only that
 * recipient (and its sender retries it alone). */
enum mailbox {
	MAILBOX_OK,
	MAILBOX_NOTDIR,		/* a part is not a directory: 450 4.2.0 */
	MAILBOX_DENIED,		/* a part the user cannot write: 450 4.2.0 */
	MAILBOX_BROKEN,		/* cannot be opened or made otherwise: 450 4.2.0 */
	MAILBOX_FULL,		/* no room for the declared size (disk or quota): 452 4.2.2 */
	MAILBOX_TEMPFAIL,	/* no answer in time, no helper: 451 4.3.0 */
};

/* One recipient of a delivery: the user, and the header block written before the
 * message for this copy (Return-Path, Delivered-To, Received). */
struct priv_rcpt {
	const char *user;
	const char *head;
	size_t headlen;
	unsigned notify;	/* RFC 3461 NOTIFY (dsn.h), 0 when not given */
	const char *orcpt;	/* RFC 3461 ORCPT decoded ("type;address"), or "" */
};

/* What a delivery came to (priv_deliver()). */
struct priv_outcome {
	int err;		/* the mailboxes: 0 or an errno value */
	int relay;		/* enum relay_result (relay.h) of the hand-off: 0 when it
				 * took the message or there was none */
};

enum authn {
	AUTHN_OK,		/* 235 */
	AUTHN_FAIL,		/* bad credentials, expired or locked account: 535 5.7.8 */
	AUTHN_TEMPFAIL,		/* PAM could not answer: 454 4.7.0 */
};

/* RFC 821 3.4 sending: the recipient's terminal (tty.c).  A user can be sent to when
 * utmp has a live USER_PROCESS entry for them whose line is a terminal under /dev that
 * belongs to them and takes messages (group-write bit set, as `mesg y` leaves it). */
enum tty_result {
	TTY_OK,			/* written (check: there is such a terminal) */
	TTY_NOT_LOGGED_IN,	/* no live utmp entry for the user */
	TTY_REFUSED,		/* logged in, but no terminal takes messages or is safe */
	TTY_FAILED,		/* the write failed or did not finish in time */
	TTY_ERROR,		/* local trouble: no such user, fork failed */
};

struct tty_status {
	enum tty_result result;
	char line[TTY_LINE_MAX + 1];	/* the terminal chosen ("pts/3"), or "" */
};

/* The second protocol: the parent and a delivery helper, a process that runs as the
 * recipient (asuser.h) and works on that user's mailbox (maildir.c, mboxfile.c). */
/* The helper's requests (frames of frame.h between the parent and a helper; the
 * helper trusts the parent).  H_CHECK, H_PREPARE, H_COMMIT and H_ABORT are answered
 * with an int32 (an enum mailbox for H_CHECK, else 0 or an errno value), H_CHECK's
 * with the helper's tmp/ descriptor (for mbox: its mailbox file's) attached when it
 * has one; H_DELIVER as H_PREPARE.
 * H_BEGIN and H_MORE are not answered: they let the helper write its copy while the
 * message arrives, and what goes wrong there is H_PREPARE's answer. */
enum h_type {
	H_CHECK = 1,	/* u64 size */
	H_PREPARE,	/* u64 size, str name, bytes header block; the spool attached */
	H_COMMIT,	/* the prepared copy into new/ */
	H_ABORT,	/* the prepared copy removed */
	H_BEGIN,	/* u64 0, str name, bytes header block; the growing spool attached */
	H_MORE,		/* u64 bytes of the spool there are so far */
	H_DELIVER,	/* H_PREPARE then H_COMMIT: a delivery to this one recipient */
	H_FORWARD,	/* u64 0: ~/.forward (forward.h); answered with an enum forward,
			 * and for FORWARD_OK the memory file holding its text */
};

#endif
