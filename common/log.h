/* log.h: diagnostics.  Never to stdout, and never to stderr when it is the client's
 * connection (inetd makes fds 0, 1 and 2 one socket).  Syslog (facility mail) by
 * default, the journal when systemd started us, or a file with --log-file; and where
 * no journal and no syslog daemon listen (tcpserver or daemontools on a minimal
 * system), stderr when it is not the connection: the first line there says so. */
#ifndef LOG_H
#define LOG_H

#include <stdbool.h>
#include <syslog.h>

/* file: NULL for the journal (under systemd), syslog, or that stderr. */
void log_open(const char *file);

/* Is stderr somewhere else than the client's connection (log.c says how it tells)? */
bool log_stderr_apart(void);

/* A configuration or start-up error, one line "WHAT: FIX" (issue 22): to the log, and
 * as "smtp-session: WHAT: FIX" to stderr as well where stderr is apart from the
 * connection and not where the log goes already (the journal's stream under systemd,
 * which "systemctl status" shows; stderr itself): an administrator or a supervisor's
 * log (tcpserver's, inetd's) reads it once. */
void log_config_error(int prio, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Structured fields: in the journal each becomes SMTP_<NAME>=value, so that
 * "journalctl SMTP_CLIENT=192.0.2.1" finds a client's sessions.  Syslog and the log
 * file get the message text only, which names the same things. */
enum log_key {
	LF_END,		/* ends a field list */
	LF_CLIENT,	/* SMTP_CLIENT: the client's IP address */
	LF_HELO,	/* SMTP_HELO: the HELO/EHLO argument */
	LF_FROM,	/* SMTP_FROM: the envelope sender ("<>" for the null sender) */
	LF_RCPT,	/* SMTP_RCPT: an envelope recipient */
	LF_MSGID,	/* SMTP_MSGID: our id of the message (in Received and the replies) */
	LF_USER,	/* SMTP_USER: the local user concerned (recipient, or who authenticated) */
	LF_TLS,		/* SMTP_TLS: protocol and cipher, when TLS is on */
	LF_QUEUED,	/* SMTP_QUEUED: the MTA's queue id of relayed mail, when it says one */
	LF_KEYS		/* how many keys there are (LF_END included): not a key */
};

struct log_field {
	enum log_key key;
	const char *value;	/* NULL: field left out; "": written as "-" (or "<>") */
};

/* A field list for log_fields(): LOG_FIELDS({ LF_CLIENT, addr }, { LF_HELO, helo }). */
#define LOG_FIELDS(...) ((const struct log_field[]){ __VA_ARGS__, { LF_END, NULL } })

/* One log line, with structured fields (fields may be NULL).  Control characters and
 * non-ASCII bytes, which may come from the client, are shown as '?' in the text and
 * in the fields, so that nobody can forge log lines. */
void log_fields(int prio, const struct log_field *fields, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* From now on this process's log lines go to fn instead (the session process: to the
 * parent, priv_log()), already formatted and scrubbed; the log file and the syslog
 * socket this process had are closed. */
typedef void log_sink_fn(int prio, const struct log_field *fields, const char *line);
void log_to_sink(log_sink_fn *fn);

/* Write a line that came from elsewhere (the session, through the parent): scrubbed
 * again, then to the journal, syslog or the log file. */
void log_line(int prio, const struct log_field *fields, const char *line);

/* The same without fields. */
void log_msg(int prio, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Lines a client can make us write in bulk: refusals, and the dropped targets of an
 * alias or a ~/.forward.  log_bulk_msg() and log_bulk_fields() write a line as
 * log_msg() and log_fields() do while this process's budget lasts: LOG_REFUSALS_MAX
 * lines per session, and LOG_REFUSALS_PER_RCPT within one unit (the expansion of one
 * recipient, between log_bulk_begin() and log_bulk_end()); past it the line is only
 * counted.  log_bulk_end() says in one line how many of the unit's were not logged
 * (while the session's budget has room for that line, else they join the session's
 * count), and log_bulk_end_session() says the session's count and starts afresh. */
void log_bulk_msg(int prio, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void log_bulk_fields(int prio, const struct log_field *fields, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
void log_bulk_begin(void);	/* units do not nest */
/* what names the unit in the summary line (the recipient's local part). */
void log_bulk_end(const char *what);
void log_bulk_end_session(void);

#endif
