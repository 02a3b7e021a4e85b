/* report.c: a delivery status notification for the recipients a message did not
 * reach (report.h).  RFC 3464 (the message/delivery-status fields), RFC 6522 (the
 * multipart/report container), RFC 3462 text/rfc822-headers (what is quoted of the
 * message: its header, not its body), RFC 3834 (Auto-Submitted).  Privileged side. */
#include "report.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "dsn.h"
#include "log.h"
#include "relay.h"
#include "utf8.h"
#include "visible.h"
#include "util.h"

/* A relayed address; or the address a recipient's trace block was written for: its
 * "Delivered-To:" line (trace.c), if it is one the relay command could be given (no
 * control bytes, no space); else the user's name. */
static void final_recipient(const struct report_rcpt *r, char *out, size_t n)
{
	static const char field[] = "Delivered-To: ";
	snprintf(out, n, "%s", r->addr ? r->addr : r->user);
	if (r->addr || !r->head)
		return;
	const char *p = r->head, *end = r->head + r->headlen;
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t len = (size_t)((nl ? nl : end) - p);
		if (len > sizeof field - 1 && memcmp(p, field, sizeof field - 1) == 0 &&
		    len - (sizeof field - 1) < n) {
			char addr[PATH_LEN_MAX + 1];
			size_t alen = len - (sizeof field - 1);
			if (alen < sizeof addr) {
				memcpy(addr, p + sizeof field - 1, alen);
				addr[alen] = '\0';
				if (relay_address_ok(addr))
					snprintf(out, n, "%s", addr);
			}
			return;
		}
		p = nl ? nl + 1 : end;
	}
}

static bool ascii(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s > 0x7f)
			return false;
	return true;
}

/* The report into a memory file for the relay command; -1 with errno set. */
static int report_file(const struct buf *b)
{
	int fd = memfd_create("smtp-session-report", MFD_CLOEXEC);
	if (fd != -1 && write_all(fd, b->p, b->len) == -1) {
		close_keep_errno(fd);
		return -1;
	}
	return fd;
}

/* RFC 3463 for what mbox_deliver() reports: a full mailbox or disk is 4.2.2 (the
 * recipient's quota, RFC 3463 3.3), anything else (a helper late or killed at
 * --delivery-timeout, an I/O error) 4.3.0.  4.x.x with Action: failed: the failure
 * is transient, but there is no queue here to try again (RFC 3464 2.3.3). */
static const char *status_of(int err)
{
	return err == ENOSPC || err == EDQUOT ? "4.2.2" : "4.3.0";
}

static const char *reason_of(int err)
{
	if (err == ENOSPC || err == EDQUOT)
		return "the mailbox is full";
	if (err == EIO)
		return "the mailbox's delivery did not finish in time or failed";
	return strerror(err);
}

/* The message's header, as text/rfc822-headers quotes it: up to the empty line, at
 * most REPORT_HEADER_MAX bytes, cut at a line end. */
static void quote_header(int spool, off_t size, struct buf *b)
{
	char text[REPORT_HEADER_MAX];
	ssize_t got = pread(spool, text, size < (off_t)sizeof text ? (size_t)size : sizeof text, 0);
	if (got <= 0)
		return;
	size_t n = (size_t)got, end = 0;
	for (size_t i = 0; i < n; i++) {
		if (text[i] != '\n')
			continue;
		if (i == end)	/* the empty line */
			break;
		end = i + 1;
	}
	buf_add(b, text, end);
}

bool report_allowed(int spool, off_t size)
{
	static const char field[] = "content-type:";
	struct buf h = BUF_INIT;
	quote_header(spool, size, &h);
	buf_addc(&h, '\0');
	bool report = false;
	for (const char *line = h.p; line && *line && !report; ) {
		const char *nl = strchr(line, '\n');
		size_t len = nl ? (size_t)(nl - line) : strlen(line);
		if (len > sizeof field - 1 && strncasecmp(line, field, sizeof field - 1) == 0) {
			const char *v = line + sizeof field - 1;
			while (*v == ' ' || *v == '\t')
				v++;
			report = strncasecmp(v, "multipart/report", 16) == 0;
		}
		line = nl ? nl + 1 : NULL;
	}
	buf_free(&h);
	return !report;
}

/* RET=FULL (RFC 3461 4.3) on a failure report: the whole message as message/rfc822,
 * up to REPORT_FULL_MAX; else (RET=HDRS, no RET, a success report, or a larger
 * message) its header as text/rfc822-headers (RFC 3462).  true when it is whole. */
static bool quote_full(const struct report_job *j)
{
	return !j->success && j->ret == DSN_RET_FULL && j->size <= REPORT_FULL_MAX;
}

static void quote_message(const struct report_job *j, struct buf *b)
{
	char block[4096];
	for (off_t off = 0; off < j->size;) {
		size_t want = j->size - off < (off_t)sizeof block ? (size_t)(j->size - off)
								   : sizeof block;
		ssize_t got = pread(j->spool, block, want, off);
		if (got <= 0)
			break;
		buf_add(b, block, (size_t)got);
		off += got;
	}
}

/* RFC 3464 2.3.1 Original-Recipient, from ORCPT: "type;address", shown as a trace
 * field shows it. */
static void original_recipient(struct buf *b, const char *orcpt)
{
	const char *semi = strchr(orcpt, ';');
	if (!orcpt[0] || !semi)
		return;
	buf_printf(b, "Original-Recipient: %.*s; ", (int)(semi - orcpt), orcpt);
	put_visible(b, semi + 1);
	buf_adds(b, "\n");
}

/* The text part: what happened, one line per recipient. */
static void write_text(const struct config *cfg, const struct report_job *j, struct buf *b)
{
	buf_printf(b, "This is the mail system at %s.\n\n", cfg->hostname);
	if (j->success)
		buf_printf(b, "Your message %s was delivered to the recipients below, or "
			   "handed on to\na mail system that sends no such report.\n\n", j->id);
	else
		buf_printf(b, "Your message %s could not be delivered to the recipients below.  "
			   "Its other\nrecipients received it: do not send it again to them.\n\n",
			   j->id);
	char addr[PATH_LEN_MAX + 1];
	for (size_t i = 0; i < j->n; i++) {
		final_recipient(&j->rcpt[i], addr, sizeof addr);
		buf_adds(b, "<");
		put_visible(b, addr);
		buf_printf(b, ">: %s\n", j->success ? j->rcpt[i].addr ? "relayed" : "delivered to "
			   "the mailbox" : reason_of(j->rcpt[i].err));
	}
	if (!j->success && j->ret == DSN_RET_FULL && !quote_full(j))
		buf_printf(b, "\nThe message is over %d bytes: only its header is quoted below."
			   "\n", REPORT_FULL_MAX);
}

static void write_report(const struct config *cfg, const struct report_job *j, struct buf *b)
{
	char date[64], arrival[64], boundary[PS_ID_MAX + 40];
	time_t now = time(NULL);
	struct tm tm;
	strftime(date, sizeof date, "%a, %d %b %Y %H:%M:%S %z", localtime_r(&now, &tm));
	strftime(arrival, sizeof arrival, "%a, %d %b %Y %H:%M:%S %z",
		 localtime_r(j->arrival ? &j->arrival : &now, &tm));
	snprintf(boundary, sizeof boundary, "%s/report/%s", j->id, cfg->hostname);
	buf_printf(b, "From: Mail Delivery System <MAILER-DAEMON@%s>\n", cfg->hostname);
	buf_adds(b, "To: <");
	put_visible(b, j->sender);	/* as a trace field shows it (trace.c) */
	if (j->success)
		buf_printf(b, ">\nSubject: Successful Mail Delivery Report: message %s\n"
			   "Date: %s\n", j->id, date);
	else
		buf_printf(b, ">\nSubject: Undelivered Mail: %zu recipient%s did not get "
			   "message %s\nDate: %s\n", j->n, j->n == 1 ? "" : "s", j->id, date);
	buf_printf(b, "Message-ID: <%s.report@%s>\nAuto-Submitted: auto-replied\n",
		   j->id, cfg->hostname);
	buf_printf(b, "MIME-Version: 1.0\nContent-Type: multipart/report; "
		   "report-type=delivery-status;\n\tboundary=\"%s\"\n\n", boundary);
	buf_printf(b, "This is a MIME-encapsulated message.\n\n--%s\n"
		   "Content-Type: text/plain; charset=utf-8\n\n", boundary);
	write_text(cfg, j, b);
	/* RFC 3464 2.2: the per-message fields; ENVID is printable ASCII (dsn.h). */
	buf_printf(b, "\n--%s\nContent-Type: message/delivery-status\n\n", boundary);
	if (j->envid && j->envid[0])
		buf_printf(b, "Original-Envelope-Id: %s\n", j->envid);
	buf_printf(b, "Reporting-MTA: dns; %s\nArrival-Date: %s\n", cfg->hostname, arrival);
	char addr[PATH_LEN_MAX + 1];
	for (size_t i = 0; i < j->n; i++) {
		const struct report_rcpt *r = &j->rcpt[i];
		final_recipient(r, addr, sizeof addr);
		buf_adds(b, "\n");
		original_recipient(b, r->orcpt ? r->orcpt : "");
		/* RFC 6533 3: an address that is not ASCII is of type utf-8. */
		buf_printf(b, "Final-Recipient: %s; ", ascii(addr) ? "rfc822" : "utf-8");
		put_visible(b, addr);
		/* RFC 3464 2.3.3 Action, 2.3.4 Status (RFC 3463: 2.0.0 success, 2.1.5
		 * destination valid, for a relayed address) */
		if (j->success)
			buf_printf(b, "\nAction: %s\nStatus: %s\n", r->addr ? "relayed" :
				   "delivered", r->addr ? "2.1.5" : "2.0.0");
		else
			buf_printf(b, "\nAction: failed\nStatus: %s\nDiagnostic-Code: X-Local; "
				   "%s\n", status_of(r->err), reason_of(r->err));
	}
	if (quote_full(j)) {
		buf_printf(b, "\n--%s\nContent-Type: message/rfc822\n\n", boundary);
		quote_message(j, b);
	} else {
		buf_printf(b, "\n--%s\nContent-Type: text/rfc822-headers\n\n", boundary);
		quote_header(j->spool, j->size, b);
	}
	buf_printf(b, "\n--%s--\n", boundary);
}

int report_send(const struct config *cfg, const struct report_job *j)
{
	if (!relay_address_ok(j->sender)) {
		log_msg(LOG_ERR, "%s: sender <%s> cannot be given the report", j->id, j->sender);
		return EAGAIN;
	}
	struct buf b = BUF_INIT;
	write_report(cfg, j, &b);
	int fd = report_file(&b);
	const char *to[] = { j->sender };
	struct relay_job r = { "", to, 1, "", 0, fd, (off_t)b.len, j->id, 0, 0, NULL, NULL };
	enum relay_result rr = fd == -1 ? RELAY_TEMPFAIL : relay_run(cfg, &r);
	if (fd != -1)
		close(fd);
	buf_free(&b);
	if (rr != RELAY_OK) {
		log_msg(LOG_ERR, "%s: the %s report to <%s> was not taken%s", j->id,
			j->success ? "success" : "failure", j->sender,
			j->success ? " (the message is delivered)" : ": nothing is delivered");
		return EAGAIN;
	}
	if (j->success)
		log_msg(LOG_NOTICE, "%s: delivery of %zu recipient%s reported to <%s> "
			"(NOTIFY=SUCCESS)", j->id, j->n, j->n == 1 ? "" : "s", j->sender);
	else
		log_msg(LOG_NOTICE, "%s: %zu recipient%s did not get it; reported to <%s>", j->id,
			j->n, j->n == 1 ? "" : "s", j->sender);
	return 0;
}
