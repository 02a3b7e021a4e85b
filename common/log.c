/* log.c: the journal under systemd, else syslog; or a file for tests and debugging;
 * or stderr where neither a journal nor a syslog daemon is there to listen (log.h). */
#include "log.h"

#include <fcntl.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "config.h"
#include "systemd.h"

/* Set once at start-up, before the session: configuration, not session state. */
static int log_fd = -1;
static bool journal;
static log_sink_fn *sink;
static bool to_stderr;		/* log_fd is a copy of stderr (log.h: the fallback) */
static bool said_where;		/* the first stderr line said where the logs go */

void log_to_sink(log_sink_fn *fn)
{
	if (log_fd != -1)
		close(log_fd);
	log_fd = -1;
	to_stderr = false;
	closelog();
	journal = false;
	sink = fn;
}

/* Is fd 2 the stream systemd connected to the journal ($JOURNAL_STREAM, "DEV:INO",
 * systemd.exec(5))? */
static bool stderr_is_journal(const struct stat *err)
{
	const char *js = getenv("JOURNAL_STREAM");
	unsigned long long dev, ino;
	return js && sscanf(js, "%llu:%llu", &dev, &ino) == 2 &&
	       (unsigned long long)err->st_dev == dev && (unsigned long long)err->st_ino == ino;
}

/* May we write on stderr?  Not when it is the client's connection: inetd makes fds 0,
 * 1 and 2 one socket, and a client on a pipe may have stdout and stderr one pipe; then
 * a log line would be read by the client as a reply.  So: a terminal (a person, who
 * is no SMTP client), or else open, not the same file as stdin or stdout, and no
 * socket unless it is the journal's stream (another cannot be told from a client). */
bool log_stderr_apart(void)
{
	struct stat err, c;
	if (isatty(2))
		return true;
	if (fstat(2, &err) == -1 || (S_ISSOCK(err.st_mode) && !stderr_is_journal(&err)))
		return false;
	for (int fd = 0; fd <= 1; fd++)
		if (fstat(fd, &c) == 0 && c.st_dev == err.st_dev && c.st_ino == err.st_ino)
			return false;
	return true;
}

/* Does a syslog daemon listen on _PATH_LOG (/dev/log)?  glibc's syslog() drops every
 * line silently when nobody does (a minimal system, a container): we would rather
 * know.  Datagram first, then stream, as glibc tries. */
static bool syslog_listens(void)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	snprintf(a.sun_path, sizeof a.sun_path, "%s", _PATH_LOG);
	static const int types[] = { SOCK_DGRAM, SOCK_STREAM };
	for (size_t i = 0; i < sizeof types / sizeof types[0]; i++) {
		int s = socket(AF_UNIX, types[i] | SOCK_CLOEXEC, 0);
		if (s == -1)
			continue;
		int rc = connect(s, (struct sockaddr *)&a, sizeof a);
		close(s);
		if (rc == 0)
			return true;
	}
	return false;
}

void log_open(const char *file)
{
	if (file) {
		log_fd = open(file, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
		if (log_fd != -1)
			return;
	}
	/* Also under the journal: syslog is the fallback when a journal write fails. */
	openlog("smtp-session", LOG_PID, LOG_MAIL);
	journal = !file && systemd_journal();
	/* Issue 22: no journal and no syslog daemon (tcpserver or daemontools on a minimal
	 * system): stderr, which their log collectors (multilog) keep, unless it is the
	 * connection.  A copy of fd 2, so the parent's drop_connection() leaves it be. */
	if (!journal && !syslog_listens() && log_stderr_apart() &&
	    (log_fd = fcntl(2, F_DUPFD_CLOEXEC, 3)) != -1)
		to_stderr = true;
}

/* Do this process's log lines reach what stderr reaches?  Stderr itself, or the
 * journal when stderr is the journal's stream (systemd's StandardError=journal). */
static bool log_is_stderr(void)
{
	struct stat err;
	return to_stderr || (journal && fstat(2, &err) == 0 && stderr_is_journal(&err));
}

static void scrub(char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || (unsigned char)*s >= 0x7f)
			*s = '?';
}

static void to_file(int prio, const char *line)
{
	static const char *const level[] = { "emerg", "alert", "crit", "error",
					     "warning", "notice", "info", "debug" };
	char out[1300];
	/* The first line on stderr says where this process's logs go, and why (issue 22):
	 * whoever reads them learns that syslog and the journal were not there. */
	const char *where = to_stderr && !said_where
		? " (logging to stderr: no journal, and no syslog daemon at " _PATH_LOG ")" : "";
	said_where = said_where || to_stderr;
	int n = snprintf(out, sizeof out, "smtp-session[%ld]: %s: %s%s\n", (long)getpid(),
			 level[prio & 7], line, where);
	if (n > 0)
		(void)!write(log_fd, out, (size_t)n < sizeof out ? (size_t)n : sizeof out - 1);
}

/* Field names in the order of enum log_key. */
static const char *const field_name[] = {
	[LF_CLIENT] = "SMTP_CLIENT", [LF_HELO] = "SMTP_HELO", [LF_FROM] = "SMTP_FROM",
	[LF_RCPT] = "SMTP_RCPT", [LF_MSGID] = "SMTP_MSGID", [LF_USER] = "SMTP_USER",
	[LF_TLS] = "SMTP_TLS", [LF_QUEUED] = "SMTP_QUEUED",
};

#define FIELDS_MAX LF_KEYS	/* one per key at most: a key may not repeat */
#define FIELD_LEN 320	/* "SMTP_xxxx=" and a path (PATH_LEN_MAX 256) or a domain */

/* One journal entry: the message, its priority, syslog's facility and identifier (so
 * "journalctl -t smtp-session" and "SYSLOG_FACILITY=2" work as for syslog lines), and
 * the fields.  Returns 0 or a negative errno value. */
static int to_journal(int prio, const char *line, const struct log_field *f)
{
	static const char ident[] = "SYSLOG_IDENTIFIER=smtp-session";
	char head[3][1100], item[FIELDS_MAX][FIELD_LEN];
	/* The three head entries, the identifier, and at most FIELDS_MAX fields. */
	struct iovec iov[3 + 1 + FIELDS_MAX];
	int n = 0;
	snprintf(head[0], sizeof head[0], "MESSAGE=%s", line);
	snprintf(head[1], sizeof head[1], "PRIORITY=%d", prio & 7);
	snprintf(head[2], sizeof head[2], "SYSLOG_FACILITY=%d", LOG_MAIL >> 3);
	for (; n < 3; n++)
		iov[n] = (struct iovec){ head[n], strlen(head[n]) };
	iov[n++] = (struct iovec){ (void *)ident, sizeof ident - 1 };
	for (int i = 0; f && f[i].key != LF_END && i < FIELDS_MAX; i++) {
		if (!f[i].value || (unsigned)f[i].key >= LF_KEYS || !field_name[f[i].key])
			continue;
		/* Never an empty field (issue 22): the null sender reads "<>", as in from=<>. */
		const char *v = f[i].value[0] ? f[i].value : f[i].key == LF_FROM ? "<>" : "-";
		snprintf(item[i], sizeof item[i], "%s=%s", field_name[f[i].key], v);
		scrub(item[i]);
		iov[n++] = (struct iovec){ item[i], strlen(item[i]) };
	}
	return systemd_journal_sendv(iov, n);
}

static void emit(int prio, const struct log_field *fields, char *line)
{
	scrub(line);
	if (sink)
		sink(prio, fields, line);
	else if (log_fd != -1)
		to_file(prio, line);
	else if (!journal || to_journal(prio, line, fields) < 0)
		syslog(prio, "%s", line);
}

static void vlog(int prio, const struct log_field *fields, const char *fmt, va_list ap)
{
	char line[1024];
	vsnprintf(line, sizeof line, fmt, ap);
	emit(prio, fields, line);
}

void log_line(int prio, const struct log_field *fields, const char *text)
{
	char line[1024];
	snprintf(line, sizeof line, "%s", text);
	emit(prio & 7, fields, line);
}

void log_fields(int prio, const struct log_field *fields, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vlog(prio, fields, fmt, ap);
	va_end(ap);
}

void log_msg(int prio, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vlog(prio, NULL, fmt, ap);
	va_end(ap);
}

void log_config_error(int prio, const char *fmt, ...)
{
	char line[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(line, sizeof line, fmt, ap);
	va_end(ap);
	scrub(line);
	/* Once: where the log is what stderr reaches, the log line is the one.  Start-up
	 * only: the callers that may write here are main(), the listener, and a session's
	 * privileged process before its session process exists (serve(), also forked by
	 * the listener, whose stderr is never a connection); in the session process the
	 * sink is set (log_to_sink()), so a certificate found unusable at STARTTLS
	 * (smtp-session.c) goes to the log alone, and no line reaches stderr once the
	 * dialogue may have begun; log_stderr_apart() refuses a stderr that is the
	 * connection (inetd), which config-errors.bats checks for each kind of error. */
	if (!sink && !log_is_stderr() && log_stderr_apart())
		fprintf(stderr, "smtp-session: %s\n", line);
	emit(prio & 7, NULL, line);
}

/* The budget of the log_bulk_*() lines (log.h): one session's, in this process. */
static struct {
	unsigned lines;		/* written in this session (summaries of units included) */
	unsigned unit_lines;	/* written in the unit under way */
	unsigned long held;	/* not written in this session, not yet said */
	unsigned long unit_held;	/* not written in the unit under way */
	bool in_unit;
} bulk;

/* May one more bulk line be written?  Counted either way. */
static bool bulk_take(void)
{
	if (bulk.lines < LOG_REFUSALS_MAX &&
	    (!bulk.in_unit || bulk.unit_lines < LOG_REFUSALS_PER_RCPT)) {
		bulk.lines++;
		bulk.unit_lines++;
		return true;
	}
	if (bulk.in_unit)
		bulk.unit_held++;
	else
		bulk.held++;
	return false;
}

void log_bulk_msg(int prio, const char *fmt, ...)
{
	va_list ap;
	if (!bulk_take())
		return;
	va_start(ap, fmt);
	vlog(prio, NULL, fmt, ap);
	va_end(ap);
}

void log_bulk_fields(int prio, const struct log_field *fields, const char *fmt, ...)
{
	va_list ap;
	if (!bulk_take())
		return;
	va_start(ap, fmt);
	vlog(prio, fields, fmt, ap);
	va_end(ap);
}

void log_bulk_begin(void)
{
	bulk.in_unit = true;
	bulk.unit_lines = 0;
	bulk.unit_held = 0;
}

void log_bulk_end(const char *what)
{
	unsigned long n = bulk.unit_held;
	bulk.in_unit = false;
	bulk.unit_lines = 0;
	bulk.unit_held = 0;
	if (!n)
		return;
	if (bulk.lines >= LOG_REFUSALS_MAX) {	/* said at the session's end */
		bulk.held += n;
		return;
	}
	bulk.lines++;
	log_msg(LOG_WARNING, "%s: %lu more lines like the ones above not logged (at most %d)",
		what, n, LOG_REFUSALS_PER_RCPT);
}

void log_bulk_end_session(void)
{
	unsigned long n = bulk.held + bulk.unit_held;
	bulk.lines = bulk.unit_lines = 0;
	bulk.held = bulk.unit_held = 0;
	bulk.in_unit = false;
	if (n)
		log_msg(LOG_WARNING, "%lu more lines about refusals and dropped targets not "
			"logged in this session (at most %d)", n, LOG_REFUSALS_MAX);
}
