/* config.h: configuration and limits shared by the dialogue and the privileged side.
 * Every limit of the program is named here, once, with the rule it comes from. */
#ifndef SMTP_SESSION_H
#define SMTP_SESSION_H

#include <stdbool.h>
#include <sys/types.h>

#define SMTP_SESSION_VERSION "0.1.0"

/* RFC 5321 4.5.3.1.4: a command line is at most 512 octets, CRLF included. */
#define SMTP_LINE_MAX 512
/* RFC 5321 4.5.3.1.6: a text line is at most 1000 octets, CRLF included. */
#define SMTP_TEXT_MAX 1000
/* RFC 5321 4.5.3.1.1 and 4.5.3.1.2: local part and domain lengths. */
#define LOCAL_PART_MAX 64
#define DOMAIN_MAX 255
/* RFC 5321 4.5.3.1.3: a path, "<" and ">" included, is at most 256 octets. */
#define PATH_LEN_MAX 256
/* RFC 6531 3.1 item 5: the MAIL line may be 10 octets longer, for " SMTPUTF8"; RFC
 * 3461 5: 100 more for RET and ENVID, and the RCPT line 500 more for NOTIFY and ORCPT. */
#define MAIL_LINE_MAX (SMTP_LINE_MAX + 10 + 100)
#define RCPT_LINE_MAX (SMTP_LINE_MAX + 500)
/* RFC 5321 4.5.3.1.8: a server must accept at least 100 recipients.  RFC 9422:
 * EHLO's LIMITS says it as RCPTMAX. */
#define DEFAULT_MAX_RCPT 100
/* The most --max-recipients may say. */
#define RCPT_LIMIT 100000
/* RFC 9422 MAILMAX: the transactions (MAIL commands accepted) of one session
 * (--max-messages); the next MAIL gets 421 and the connection is closed. */
#define DEFAULT_MAX_MESSAGES 100
/* RFC 3030 2: BDAT's chunk-size is 1*DIGIT; we take it up to 2^63 - 1 octets.  A size
 * we cannot read leaves us unable to find the end of the chunk: 501, then 421. */
#define BDAT_SIZE_MAX 0x7fffffffffffffffULL
/* RFC 1870: the SIZE we advertise; 10 MiB by default. */
#define DEFAULT_MAX_SIZE (10ULL * 1024 * 1024)
/* RFC 5321 4.5.3.2.7: the server timeout should be at least 5 minutes. */
#define DEFAULT_TIMEOUT 300
/* RFC 4954 4: lines in the AUTH exchange (the AUTH command too) may be 12288 octets. */
#define AUTH_LINE_MAX 12288
/* Failed AUTH attempts in one session before 421 (brute-force brake). */
#define AUTH_MAX_FAILURES 3
/* Each failed AUTH is answered this many milliseconds after the check began, not
 * sooner, whatever PAM took (--auth-delay): failures for real and unknown users
 * take the same time. */
#define DEFAULT_AUTH_DELAY_MS 2000
/* Refused commands in one session before we give up on the client with 421 4.7.0
 * (--max-errors), as Postfix's smtpd_hard_error_limit: every reply of 400 and up to a
 * command counts, refused recipients (RCPT, and SEND's 450 for a user not logged in)
 * included; 421 itself does not (it ends the session anyway), nor do 334 and 354. */
#define DEFAULT_MAX_ERRORS 20
/* RFC 5321 4.5.3.2: the whole session, however busy, lasts at most this many seconds
 * (--session-timeout); then 421 4.4.2 and the end.  Each command line must also be
 * complete within --timeout of its first byte, so trickling cannot stretch it. */
#define DEFAULT_SESSION_TIMEOUT 1800
/* Terminal children (SEND, SOML, SAML: one process per recipient for each check or
 * write, tty.c) one session may start in all.  The session refuses what would pass it
 * (452 4.5.3 at RCPT; the mailbox, or 452 for SEND, at the end of the message) and the
 * parent counts again and ends a session that asks for more (privsep.h). */
#define TTY_CHILDREN_MAX 100
/* The parent is told the spool's size each time it has grown this much during DATA
 * or BDAT, so that the mailboxes' copies are written while the message arrives. */
#define STREAM_STEP (256 * 1024)
/* Size of one read from the client and of one write to the spool. */
#define IO_BLOCK 65536
/* Replies are flushed at the latest when this much is pending (RFC 2920 3.2). */
#define OUT_FLUSH_AT 16384
/* Longest user name we pass around (glibc's LOGIN_NAME_MAX is 256). */
#define USER_NAME_MAX 256

/* RFC 821 3.4 sending (SEND, SOML, SAML: the message goes onto the user's terminal).
 * Only the start of the message is shown there: at most this many lines and this many
 * bytes as shown (escapes included), then a line saying the rest was cut. */
#define DEFAULT_TTY_MAX_LINES 64
#define DEFAULT_TTY_MAX_BYTES 8192
/* Seconds a terminal may take to accept the text, in total, before it counts as not
 * reachable: a stuck terminal (XOFF, nobody reading) must never hang the session. */
#define DEFAULT_TTY_TIMEOUT 5
/* As root, a terminal's child process that has not answered this long after that
 * deadline is killed (it may be stuck in something the deadline does not cover). */
#define TTY_GRACE_MS 1000
/* How a terminal tells our lines from the sender's (render.c): every row of message
 * text starts with TTY_PREFIX, and rows are broken after TTY_WRAP_COLUMNS columns of
 * text (wide characters and TABs counted at their widest), so on a terminal of 80
 * columns or more no row of the sender's can start anywhere else; rows of the banner
 * that wrap start with TTY_BANNER_INDENT.  Our own lines (the banner, the cut line,
 * "EOF") start with a letter or '[' in the first column, which the sender can never
 * reach. */
#define TTY_PREFIX "| "
#define TTY_WRAP_COLUMNS 76
#define TTY_BANNER_INDENT "    "
/* utmp's ut_line is a fixed 32-byte field (glibc UT_LINESIZE), not NUL-terminated. */
#define TTY_LINE_MAX 32
/* The most --tty-max-bytes may be, and the most a rendered terminal text may take:
 * that many bytes as shown plus the header, cut and end lines (tty_render()). */
#define TTY_MAX_BYTES_LIMIT (1 << 20)
#define TTY_TEXT_MAX (TTY_MAX_BYTES_LIMIT + 8192)

/* Privilege separation (privsep.h).  The session process's limit on open files: it
 * needs the connection (0, 1), stderr, the link to the parent and one spool; a few
 * more for the sanitizers' report files. */
#define SESSION_NOFILE 16
/* The user the session process runs as when started as root (--privsep-user). */
#define DEFAULT_PRIVSEP_USER "smtp-session"
/* Its root directory (--privsep-dir): empty, root's, writable by nobody else; made by
 * make install.  Where it is missing, each session makes a fresh one in $TMPDIR or
 * /tmp and removes it at once, which costs about 0.4 ms of file-system work. */
#define DEFAULT_PRIVSEP_DIR "/var/lib/smtp-session/empty"
/* Where the shipped systemd units read TLS= (the --tls-cert and --tls-key options)
 * from: named by the errors that ask for a certificate (options.c, main.c). */
#define DEFAULT_ENV_FILE "/etc/default/smtp-session"
/* Seconds a recipient's delivery helper (running as the recipient) may take to answer
 * a mailbox check or a delivery (--delivery-timeout); after that it is killed, its
 * tmp/ file removed and the client told 451: a recipient cannot hold the session. */
#define DEFAULT_DELIVERY_TIMEOUT 60
/* Delivery helpers kept alive at once (one per recipient user, for the session):
 * RFC 5321 4.5.3.1.8's 100 recipients of one transaction.  A transaction with more
 * distinct users starts the others at DATA. */
#define HELPERS_MAX 100
/* A killed helper's tmp/ file is removed by a short-lived child as the user, which
 * gets this long (the file system is the user's: it may hang too). */
#define CLEANUP_TIMEOUT_MS 1000
/* A child killed with SIGKILL that is still not gone this long afterwards (stuck in
 * the kernel on a user's file system) is no longer waited for: init reaps it. */
#define REAP_GRACE_MS 1000

/* Who receives mail (as root): accounts with a uid of at least UID_MIN of
 * login.defs(5) (the first uid useradd gives a person), else of this; below it are
 * root and the system accounts, whose mail goes to --postmaster. */
#define LOGIN_DEFS "/etc/login.defs"
#define DEFAULT_UID_MIN 1000

/* The PROXY protocol header (--proxy; HAProxy's proxy-protocol.txt).  2.1: a version
 * 1 line is at most 107 bytes, CRLF included.  2.2: version 2 says its length, up to
 * 65535; we take the addresses plus this much of TLVs (HAProxy's own, ALPN, authority,
 * unique ID, SSL details, stay far below).  The whole header must arrive within
 * PROXY_TIMEOUT_MS of the connection (and within --timeout): a proxy sends it at once. */
#define PROXY_V1_MAX 107
#define PROXY_V2_LEN_MAX 1024
#define PROXY_TIMEOUT_MS 5000

/* Forwarding and relaying (issue 13).  aliases(5) targets that are aliases again are
 * followed this deep (sendmail's MAXRCPT recursion is similar; a cycle is found
 * sooner, by the names on the way).  One recipient address expands to at most
 * EXPAND_TARGETS_MAX local users and remote addresses in all (each counted once,
 * over every alias and ~/.forward on the way): RFC 5321 4.5.3.1.8's 100 recipients,
 * which is also what one PS_LOOKUP_ANS may carry and what the delivery helpers of one
 * transaction are sized for (HELPERS_MAX).  An address that would expand to more is
 * refused at RCPT (550 5.2.4, LOOKUP_TOO_MANY), never accepted in part: nothing RCPT
 * accepted is dropped.  An aliases file or a ~/.forward larger than this is refused
 * whole, not read in part. */
#define ALIAS_DEPTH_MAX 10
#define EXPAND_TARGETS_MAX 100
#define ALIASES_FILE_MAX (4 * 1024 * 1024)
#define FORWARD_FILE_MAX 16384
#define DEFAULT_ALIASES "/etc/aliases"
/* The hand-off to the system's MTA: the sendmail(1) interface every Debian MTA has.
 * The word {sender} is replaced by the envelope sender; the recipients follow the last
 * word, which must be "--", so no address can be taken for an option (OpenSMTPD
 * CVE-2020-7247).  Its first line of stderr, at most this long, goes to the log. */
#define DEFAULT_RELAY_COMMAND "/usr/sbin/sendmail -i -f {sender} --"
#define RELAY_ARGS_MAX 32
#define RELAY_STDERR_MAX 512
/* --relay-socket (helper/relayclient.c): a reply line of the MTA's listener at most
 * this long (RFC 5321 4.5.3.1.5 allows 512 octets; some servers say more), and at most
 * this many lines in one reply (an EHLO lists its extensions). */
#define RELAY_REPLY_MAX 2048
#define RELAY_REPLY_LINES_MAX 64
/* The relay log: one line per relayed recipient (issue 22), at most this many per
 * run; the rest are counted in one more line. */
#define RELAY_LOG_RCPT_MAX 100
/* RFC 5321 6.3 loop detection by counting Received lines; 50 is Postfix's
 * hopcount_limit (RFC 5321 asks for at least 100 where it is the only check; ours
 * also has Delivered-To, as qmail-local). */
#define HOPS_MAX 50
/* How much of a message's header a delivery status notification quotes (RFC 3462
 * text/rfc822-headers; Postfix quotes the header whole, we cut it at a line end). */
#define REPORT_HEADER_MAX (32 * 1024)
/* RET=FULL (RFC 3461 4.3): a failure report quotes the whole message as message/rfc822
 * up to this size (Postfix's bounce_size_limit); a larger one is quoted as its header
 * (text/rfc822-headers), and the report says so. */
#define REPORT_FULL_MAX 50000
/* RFC 3461 4.4: ENVID's value is at most 100 characters; 4.2: ORCPT's at most 500
 * (both as the client writes them, xtext; decoded they are no longer). */
#define DSN_ENVID_MAX 100
#define DSN_ORCPT_MAX 500
/* --mailbox mbox: the users' mailboxes are files in this directory (Debian's spool,
 * root:mail 2775), named after each user. */
#define DEFAULT_MBOX_DIR "/var/mail"
/* mboxfile.c: a helper waits for an mbox's two locks (the dot-lock USER.lock, then
 * fcntl) at most 1/MBOX_LOCK_WAIT_PART of --delivery-timeout, then answers 451 itself
 * (EAGAIN) instead of being killed at the deadline.  It tries again after
 * MBOX_LOCK_POLL_MIN_MS, doubling up to MBOX_LOCK_POLL_MAX_MS: liblockfile's own
 * retries sleep 5 s and more each, so it is called with 0 retries (one try). */
#define MBOX_LOCK_WAIT_PART 2
#define MBOX_LOCK_POLL_MIN_MS 2
#define MBOX_LOCK_POLL_MAX_MS 64
/* liblockfile, loaded (dlopen) by the first mbox delivery only. */
#define LIBLOCKFILE "liblockfile.so.1"

/* Log lines a client can make us write in bulk (log.h's log_bulk_*()): refused
 * commands, and the targets of an alias or a ~/.forward that are dropped (a |pipe, an
 * unknown user, a loop...).  Each process of a session (the session process, the
 * parent) writes at most LOG_REFUSALS_MAX of them per session, and the expansion of
 * one recipient at most LOG_REFUSALS_PER_RCPT; the rest are counted and said in one
 * summary line at the end of the recipient ("N more ... not logged") or, once the
 * session's budget is spent, at the end of the session.  So one connection adds a few
 * kilobytes of log, however large the alias or however many refusals (--max-errors up
 * to 100000): 2 to 4 KiB in relay.bats's floods, and below 16 KiB even when every line
 * holds an address of the longest kind (256 octets); a 421 that ends the session is
 * always logged. */
#define LOG_REFUSALS_MAX 20
#define LOG_REFUSALS_PER_RCPT 5

/* --listen (listen/listener.c): one listening socket, a fresh exec of this program per
 * connection.  The limits are those the Accept=yes socket units had (MaxConnections=64,
 * MaxConnectionsPerSource): live sessions in all (--max-sessions), and per client IP
 * address (--max-per-source), an IPv4-mapped IPv6 address counted as the IPv4 one.  16
 * per source so that a sender with the common concurrency of 8, plus reconnects whose
 * previous session is not yet reaped, is never refused.  Either option takes at most
 * LISTEN_SESSIONS_LIMIT. */
#define DEFAULT_MAX_SESSIONS 64
#define DEFAULT_MAX_PER_SOURCE 16
#define LISTEN_SESSIONS_LIMIT 10000
/* A connection over a limit waits up to LISTEN_WAIT_MS, unread, for a session to end:
 * a session whose client has said QUIT may still be ending (its processes exiting, a
 * helper waited for) when the client's next connection comes, and on a busy host the
 * 8 sessions of a sender could take the slack of 16 (issue 23: a sender opening 8
 * parallel connections is never refused).  Then, or at once when LISTEN_WAITING_MAX
 * connections already wait, one 421 line and the close. */
#define LISTEN_WAIT_MS 2000
#define LISTEN_WAITING_MAX 16
/* Refused connections are logged at most once per this many milliseconds, the line
 * counting those not logged since: a client that hammers cannot flood the log. */
#define LISTEN_REFUSAL_LOG_MS 1000
/* After SIGTERM or SIGINT the listener stops accepting at once and gives the live
 * sessions this long to end on their own (a transaction in progress completes), then
 * sends each SIGTERM (421 4.3.2 at its next read) and waits for them.  A second
 * SIGTERM or SIGINT ends the wait at once. */
#define LISTEN_DRAIN_MS 5000
/* Connections taken from the socket before the listener looks at its signals again,
 * so that a flood cannot delay SIGCHLD or SIGTERM. */
#define LISTEN_ACCEPT_BATCH 64
/* --listen without --exec-sessions forks each session from the listener, so sessions
 * share the listener's address-space layout and stack canary (doc/performance.md).
 * The listener executes itself afresh, the live sessions kept, after this many
 * sessions, and at once after a session killed by a signal (a crash, a guess at the
 * layout or the canary that went wrong): each layout serves at most this many
 * sessions, and a client that makes sessions crash to learn it learns nothing that
 * the next session keeps.  Postfix's smtpd serves 100 sessions per process
 * (max_use). */
#define LISTEN_FORKS_PER_EXEC 100

/* Exit status (skarnet convention): 0 for every session that ended as the protocol
 * allows, 100 for a usage error, 111 for a system failure. */
#define EXIT_USAGE 100
#define EXIT_SYSTEM 111

/* Who may write on a terminal with SEND, SOML and SAML (--send): by default (auth)
 * authenticated clients and loopback clients, who could run write(1) on this host
 * anyway; local: loopback clients only; any: every client; never: the verbs are off
 * (502, not in EHLO).  Another client's SEND gets 530 5.7.0; its SOML and SAML go to
 * the mailbox only, as MAIL. */
enum send_policy { SEND_AUTH, SEND_LOCAL, SEND_ANY, SEND_NEVER };

/* Where AUTH is offered (--auth): only where credentials cannot be sniffed (a loopback
 * connection, later also after STARTTLS), everywhere, or nowhere. */
enum auth_policy { AUTH_LOCAL, AUTH_ALWAYS, AUTH_NEVER };

/* TLS (--tls): STARTTLS after the greeting (RFC 3207), the handshake before the
 * greeting (RFC 8314 implicit TLS, port 465), or none. */
/* --mailbox: a Maildir below each home (the default) or an mbox file in --mbox-dir. */
enum store { STORE_MAILDIR, STORE_MBOX };

enum tls_mode { TLS_OFF, TLS_STARTTLS, TLS_IMPLICIT };

/* Mail filters (--milter, the Sendmail milter protocol version 6, as Postfix's
 * smtpd_milters speaks it; session/milter.c).  --milter-default-action: what a
 * milter that cannot be reached, times out or breaks the protocol means: tempfail
 * (the default: never mail through unfiltered unless the administrator says so),
 * accept (that milter is skipped) or reject. */
enum milter_action { MILTER_TEMPFAIL, MILTER_ACCEPT, MILTER_REJECT };
/* Milters per session (--milter, repeatable): each holds one descriptor of the
 * session process's SESSION_NOFILE. */
#define MILTER_MAX 4
/* --milter-timeout: seconds for connecting and for each reply (Postfix's
 * milter_command_timeout is 30 s). */
#define DEFAULT_MILTER_TIMEOUT 30
/* The largest frame a milter may send (a header it adds, a reply text); Sendmail's
 * and Postfix's body chunks are 65535 octets (MILTER_CHUNK_MAX). */
#define MILTER_FRAME_MAX (64 * 1024 + 16)
#define MILTER_CHUNK_MAX 65535
/* The header section a milter is shown and may change, and what its changes may add
 * to it (header_size_limit is 100 KiB in Postfix); a larger header section is
 * refused (554 5.6.0), more added is a protocol violation. */
#define MILTER_HEADER_MAX (256 * 1024)
/* The text of a milter's SMFIR_REPLYCODE that reaches the client, after the code and
 * the enhanced status code (RFC 5321 4.5.3.1.5: a reply line is 512 octets). */
#define MILTER_TEXT_MAX 400
/* --milter SOCKET: "unix:" and an absolute path of sun_path's 107 octets at most,
 * or "inet:HOST:PORT" / "inet6:HOST:PORT". */
#define MILTER_SPEC_MAX 300
/* --tls-cert/--tls-key pairs: one RSA and one ECDSA at most. */
#define TLS_PAIRS_MAX 2
/* Largest certificate chain or key file read (PEM). */
#define TLS_FILE_MAX (256 * 1024)
/* --tls-ticket-key: the RFC 5077 ticket master key, 64 octets (GnuTLS's size). */
#define TLS_TICKET_KEY_LEN 64
/* Certificates in one --tls-cert chain, the server's included. */
#define TLS_CHAIN_MAX 16
/* PS_SIGN requests of one session (issue 21): a handshake signs once (RFC 8446 4.4.3
 * CertificateVerify, RFC 5246 7.4.3 ServerKeyExchange), a session makes one handshake
 * (STARTTLS once, RFC 3207 4.2; no renegotiation); one more for a library that would
 * sign again. */
#define TLS_SIGN_MAX 2
/* The period of the ticket key a session process gets (issue 21): the parent derives
 * it from --tls-ticket-key for the current period only, so a taken-over session
 * process exposes the tickets of one period, never the file's key. */
#define TLS_TICKET_PERIOD_S 3600

struct config {
	const char *hostname;	/* our name in the greeting, Received and Maildir names */
	char *domains;		/* ",a,b," lowercase: the local domains */
	const char *maildir;	/* relative to each home, or absolute in single-user mode */
	const char *postmaster;	/* user who gets postmaster's, root's and system
				 * accounts' mail; NULL: nobody, they are refused */
	const char *log_file;	/* NULL: syslog, facility mail */
	unsigned long long max_size;
	unsigned max_rcpt;
	unsigned max_messages;	/* transactions per session (RFC 9422 MAILMAX) */
	unsigned timeout;	/* seconds of silence, or for one command line, before 421 */
	unsigned session_timeout;	/* seconds the whole session may last */
	unsigned max_errors;	/* refused commands before 421 */
	enum auth_policy auth;
	bool require_auth;	/* submission mode: no MAIL before AUTH (530) */
	const char *pam_service;
	unsigned auth_delay_ms;
	enum send_policy send;	/* --send: who may write on terminals */
	bool proxy;		/* --proxy: a PROXY header comes first (proxy.h) */
	bool proxy_trust_loopback;	/* --proxy-trust-loopback: peer_local() (peer.h) */
	bool lmtp;		/* --lmtp: the dialogue is LMTP (RFC 2033) */
	const char *utmp;	/* --utmp: NULL for the system's utmp */
	unsigned tty_max_lines, tty_max_bytes;	/* what a terminal is shown */
	unsigned tty_timeout;	/* seconds a terminal may take to accept it */
	unsigned delivery_timeout;	/* seconds a delivery helper may take to answer */
	const char *privsep_user;	/* as root, the session process runs as this user */
	const char *privsep_dir;	/* ... in this empty directory as its root */
	enum tls_mode tls;	/* --tls */
	const char *tls_cert[TLS_PAIRS_MAX], *tls_key[TLS_PAIRS_MAX];	/* PEM files */
	unsigned tls_pairs;
	bool require_tls;	/* --require-tls: no MAIL, AUTH, SEND... before TLS (530) */
	const char *tls_ticket_key;	/* --tls-ticket-key: RFC 5077 key file, or NULL */
	const char *aliases;	/* --aliases: aliases(5) file, NULL for none */
	bool aliases_default;	/* ... /etc/aliases, not given: the system's, which
				 * single-user mode does not use (users_init()) */
	const char *relay_argv[RELAY_ARGS_MAX + 1];	/* --relay-command in words */
	const char *relay_user;	/* --relay-user; NULL: --privsep-user */
	const char *relay_socket;	/* --relay-socket: SMTP to this Unix socket instead
					 * of running relay_argv (helper/relayclient.h) */
	bool any_sender;	/* --any-sender: no check of an authenticated MAIL FROM */
	enum store store;	/* --mailbox */
	const char *mbox_dir;	/* --mbox-dir */
	bool listen;		/* --listen: serve connections from a listening socket */
	bool exec_sessions;	/* --exec-sessions: each session exec'd, not forked */
	unsigned max_sessions;	/* --max-sessions: live sessions in all */
	unsigned max_per_source;	/* --max-per-source: per client IP address */
	const char *milters[MILTER_MAX];	/* --milter, in the order given */
	unsigned nmilters;
	enum milter_action milter_default;	/* --milter-default-action */
	unsigned milter_timeout;	/* --milter-timeout, seconds */
	char **session_argv;	/* under --listen: argv without the listener's options,
				 * which each connection's exec gets */

	/* Filled in by users_init(). */
	bool single;		/* single-user mode: all mail goes to one user, no uid change */
	char *user;		/* single-user mode: that user */
	char *home;		/* single-user mode: that user's home */
	unsigned long uid_min;	/* otherwise: the first uid that receives mail */
};

/* One whole session with the client on in/out (smtp-session.c): the dialogue, then
 * everything released.  tls: the TLS layer made ready by tls_setup() (tls.h), or NULL
 * when TLS is off.  With refuse set (the privileged side could not start), only
 * a 421 greeting.  Returns the exit status.  The session process (main.c) and the
 * fuzz harness are its only callers. */
struct tls;
int session_run(const struct config *cfg, struct tls *tls, bool refuse, int in, int out);

#endif
