/* relayclient.c: the relay child's SMTP client on a Unix socket (relayclient.h).
 * Helper side. */
#include "relayclient.h"

#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sysexits.h>
#include <unistd.h>

#include "buf.h"
#include "config.h"
#include "dsn.h"
#include "util.h"

/* The connection: the socket, what came in and is not yet a whole line, what goes
 * out and is not yet sent, and the last reply line (for the one line on err). */
struct conn {
	int fd;
	char in[RELAY_REPLY_MAX];
	size_t inlen;
	struct buf out;
	char last[RELAY_REPLY_MAX];
	bool ext_8bit, ext_utf8;	/* EHLO offered 8BITMIME, SMTPUTF8 */
	bool ext_dsn;			/* and DSN (RFC 3461) */
};

static int say(int err, const char *fmt, ...)
{
	char line[RELAY_STDERR_MAX];
	va_list ap;
	va_start(ap, fmt);
	int k = vsnprintf(line, sizeof line - 1, fmt, ap);
	va_end(ap);
	if (k < 0)
		return -1;
	size_t len = strlen(line);
	line[len++] = '\n';
	return write_all(err, line, len);
}

static bool flush(struct conn *c)
{
	for (size_t off = 0; off < c->out.len;) {
		/* MSG_NOSIGNAL: a server gone away is an answer (EPIPE), not a signal. */
		ssize_t m = send(c->fd, c->out.p + off, c->out.len - off, MSG_NOSIGNAL);
		if (m == -1 && errno == EINTR)
			continue;
		if (m <= 0)
			return false;
		off += (size_t)m;
	}
	buf_reset(&c->out);
	return true;
}

/* One reply line into c->last, without its CRLF: false at EOF, an error, or a line
 * longer than RELAY_REPLY_MAX. */
static bool read_line(struct conn *c)
{
	for (;;) {
		char *nl = memchr(c->in, '\n', c->inlen);
		if (nl) {
			size_t len = (size_t)(nl - c->in);
			size_t keep = len && c->in[len - 1] == '\r' ? len - 1 : len;
			memcpy(c->last, c->in, keep);
			c->last[keep] = '\0';
			c->inlen -= len + 1;
			memmove(c->in, nl + 1, c->inlen);
			for (size_t i = 0; i < keep; i++)	/* only text reaches the log */
				if ((unsigned char)c->last[i] < ' ' || c->last[i] == 0x7f)
					c->last[i] = '?';
			return true;
		}
		if (c->inlen == sizeof c->in)
			return false;
		ssize_t m = read(c->fd, c->in + c->inlen, sizeof c->in - c->inlen);
		if (m == -1 && errno == EINTR)
			continue;
		if (m <= 0)
			return false;
		c->inlen += (size_t)m;
	}
}

/* A whole reply (RFC 5321 4.2.1: "ddd-" lines, then "ddd "): its code, or 0 when the
 * server broke the dialogue.  The EHLO keywords are noted on the way. */
static int read_reply(struct conn *c)
{
	for (int lines = 0; lines < RELAY_REPLY_LINES_MAX; lines++) {
		if (!read_line(c) || strlen(c->last) < 3)
			return 0;
		const char *l = c->last;
		if (l[0] < '2' || l[0] > '5' || l[1] < '0' || l[1] > '5' || l[2] < '0' || l[2] > '9')
			return 0;
		const char *kw = l[3] ? l + 4 : l + 3;
		if (strncasecmp(kw, "8BITMIME", 8) == 0 && (!kw[8] || kw[8] == ' '))
			c->ext_8bit = true;
		if (strncasecmp(kw, "SMTPUTF8", 8) == 0 && (!kw[8] || kw[8] == ' '))
			c->ext_utf8 = true;
		if (strncasecmp(kw, "DSN", 3) == 0 && (!kw[3] || kw[3] == ' '))
			c->ext_dsn = true;
		if (l[3] == ' ' || !l[3])
			return (l[0] - '0') * 100 + (l[1] - '0') * 10 + (l[2] - '0');
		if (l[3] != '-')
			return 0;
	}
	return 0;
}

/* Send a command, read its reply.  0 when the reply is in class 2 or is want (354
 * after DATA); otherwise the exit status, and the one line written. */
static int command(struct conn *c, int err, int want, const char *what)
{
	if (!flush(c)) {
		say(err, "%s: the connection broke: %s", what, strerror(errno));
		return EX_TEMPFAIL;
	}
	int code = read_reply(c);
	if (code == want || (code >= 200 && code < 300))
		return 0;
	if (!code) {
		say(err, "%s: no valid reply (connection closed or broken dialogue)", what);
		return EX_TEMPFAIL;
	}
	say(err, "%s: %s", what, c->last);
	return code >= 500 ? EX_UNAVAILABLE : EX_TEMPFAIL;
}

static bool ascii(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s >= 0x80)
			return false;
	return true;
}

/* The message from in, CRLF for each LF and a dot before each line that starts with
 * one (RFC 5321 4.5.2), then the end of data.  false when in cannot be read or the
 * server went away (the parent then sees that it was not taken). */
static bool send_body(struct conn *c, int in, int err)
{
	char b[IO_BLOCK];
	bool bol = true;
	for (;;) {
		ssize_t m = read(in, b, sizeof b);
		if (m == -1 && errno == EINTR)
			continue;
		if (m == -1) {
			say(err, "DATA: cannot read the message: %s", strerror(errno));
			return false;
		}
		if (m == 0)
			break;
		for (ssize_t i = 0; i < m; i++) {
			if (bol && b[i] == '.')
				buf_addc(&c->out, '.');
			if (b[i] == '\n')
				buf_addc(&c->out, '\r');
			buf_addc(&c->out, b[i]);
			bol = b[i] == '\n';
		}
		if (c->out.len >= IO_BLOCK && !flush(c)) {
			say(err, "DATA: the connection broke: %s", strerror(errno));
			return false;
		}
	}
	buf_adds(&c->out, bol ? ".\r\n" : "\r\n.\r\n");
	return true;
}

/* RFC 3461 4: s as xtext, appended to b ("+HH" for '+', '=' and what is not
 * printable ASCII but space). */
static void put_xtext(struct buf *b, const char *s)
{
	for (; *s; s++) {
		unsigned char ch = (unsigned char)*s;
		if (ch > ' ' && ch < 0x7f && ch != '+' && ch != '=')
			buf_addc(b, (char)ch);
		else
			buf_printf(b, "+%02X", ch);
	}
}

/* MAIL's RET and ENVID, when the server takes them. */
static void mail_dsn(struct conn *c, const struct relay_dsn *dsn)
{
	if (!c->ext_dsn)
		return;
	if (dsn->ret)
		buf_adds(&c->out, dsn->ret == DSN_RET_FULL ? " RET=FULL" : " RET=HDRS");
	if (dsn->envid && dsn->envid[0]) {
		buf_adds(&c->out, " ENVID=");
		put_xtext(&c->out, dsn->envid);
	}
}

static int dialogue(struct conn *c, const char *helo, const char *sender,
		    const char *const rcpt[], size_t n, const struct relay_dsn *dsn, int in,
		    int err)
{
	int rc = command(c, err, 220, "the greeting");
	if (rc)
		return rc;
	buf_printf(&c->out, "EHLO %s\r\n", helo);
	if ((rc = command(c, err, 250, "EHLO")) != 0)
		return rc;
	bool utf8 = !ascii(sender);
	for (size_t i = 0; i < n; i++)
		utf8 = utf8 || !ascii(rcpt[i]);
	/* The body may hold 8-bit text (RFC 6152); international addresses need the
	 * SMTPUTF8 parameter (RFC 6531 3.4), which a server without it refuses. */
	buf_printf(&c->out, "MAIL FROM:<%s>%s%s", sender, c->ext_8bit ? " BODY=8BITMIME" : "",
		   utf8 && c->ext_utf8 ? " SMTPUTF8" : "");
	mail_dsn(c, dsn);
	buf_adds(&c->out, "\r\n");
	char notify[32] = "";
	if (c->ext_dsn && dsn->notify)
		dsn_notify_text(dsn->notify, notify, sizeof notify);
	if ((rc = command(c, err, 250, "MAIL FROM")) != 0)
		return rc;
	for (size_t i = 0; i < n; i++) {
		buf_printf(&c->out, "RCPT TO:<%s>%s%s\r\n", rcpt[i], notify[0] ? " NOTIFY=" : "",
			   notify);
		char what[PATH_LEN_MAX + 16];
		snprintf(what, sizeof what, "RCPT TO:<%s>", rcpt[i]);
		if ((rc = command(c, err, 250, what)) != 0)
			return rc;
	}
	buf_adds(&c->out, "DATA\r\n");
	if ((rc = command(c, err, 354, "DATA")) != 0)
		return rc;
	if (!send_body(c, in, err))
		return EX_TEMPFAIL;
	if ((rc = command(c, err, 250, "the end of the message")) != 0)
		return rc;
	say(err, "%s", c->last);	/* often "250 2.0.0 Ok: queued as ID" */
	buf_adds(&c->out, "QUIT\r\n");	/* taken: what QUIT gets changes nothing */
	flush(c);
	bool asked = dsn->notify || dsn->ret || (dsn->envid && dsn->envid[0]);
	return asked && !c->ext_dsn ? RELAY_CLIENT_NO_DSN : 0;
}

int relay_client(const char *path, const char *helo, const char *sender,
		 const char *const rcpt[], size_t n, const struct relay_dsn *dsn, int in,
		 int err)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	if (strlen(path) >= sizeof sa.sun_path) {
		say(err, "%s: the socket's name is too long", path);
		return EX_TEMPFAIL;
	}
	memcpy(sa.sun_path, path, strlen(path) + 1);
	struct conn c = { .fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0), .out = BUF_INIT };
	if (c.fd == -1 || connect(c.fd, (struct sockaddr *)&sa, sizeof sa) == -1) {
		say(err, "cannot connect to %s: %s (is smtp-relay.socket enabled?)", path,
		    strerror(errno));
		return EX_TEMPFAIL;
	}
	int rc = dialogue(&c, helo, sender, rcpt, n, dsn, in, err);
	close(c.fd);
	buf_free(&c.out);
	return rc;
}
