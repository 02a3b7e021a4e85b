/* milter.c: the Sendmail milter protocol, version 6 (the MTA's side, as Sendmail
 * 8.14 and Postfix's milter8 speak it), for --milter.  Session side.
 *
 * The wire: every packet is a 32-bit length in network order (the command letter
 * included), the letter, then its data; strings end in NUL.  The MTA offers the
 * actions and protocol steps it supports (SMFIC_OPTNEG); the milter answers with the
 * ones it wants, and we keep only what we offered.  We offer:
 *  - actions: add and insert headers (SMFIF_ADDHDRS), change and delete them
 *    (SMFIF_CHGHDRS), quarantine (SMFIF_QUARANTINE).  Not offered, so negotiated
 *    away (smtp-session(8)): body replacement, adding or removing recipients and
 *    changing the sender (SMFIF_CHGBODY, ADDRCPT, DELRCPT, CHGFROM), and macro lists
 *    (SETSYMLIST); such a request is a protocol violation;
 *  - every "do not send" step (SMFIP_NO*), every "no reply" flag (SMFIP_NR_*) and
 *    SMFIP_SKIP (the rest of the body skipped); not rejected recipients (RCPT_REJ).
 *
 * Everything a milter sends is hostile: frames are bounded (MILTER_FRAME_MAX), every
 * read and write waits at most --milter-timeout, a reply code must be 4xx or 5xx and
 * its text reaches the client as printable ASCII only, and anything unexpected closes
 * that milter and gives --milter-default-action.
 *
 * The connections are made before the sandbox (milter_open(), main.c), as the
 * privsep user; the conversation happens inside it, with read, write and poll. */
#include "milter.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "buf.h"
#include "log.h"
#include "session.h"
#include "tls.h"
#include "util.h"

/* Commands (MTA to milter). */
enum { C_ABORT = 'A', C_BODY = 'B', C_CONNECT = 'C', C_MACRO = 'D', C_EOM = 'E',
       C_HELO = 'H', C_HEADER = 'L', C_MAIL = 'M', C_EOH = 'N', C_OPTNEG = 'O',
       C_QUIT = 'Q', C_RCPT = 'R', C_DATA = 'T' };
/* Replies (milter to MTA). */
enum { R_ACCEPT = 'a', R_CONTINUE = 'c', R_DISCARD = 'd', R_ADDHEADER = 'h',
       R_INSHEADER = 'i', R_CHGHEADER = 'm', R_PROGRESS = 'p', R_QUARANTINE = 'q',
       R_REJECT = 'r', R_SKIP = 's', R_TEMPFAIL = 't', R_REPLYCODE = 'y' };
/* Actions (SMFIF_*). */
#define F_ADDHDRS 0x01u
#define F_CHGHDRS 0x10u
#define F_QUARANTINE 0x20u
#define OUR_ACTIONS (F_ADDHDRS | F_CHGHDRS | F_QUARANTINE)
/* Protocol steps (SMFIP_*): "do not send" and "no reply" for each step. */
#define P_NOCONNECT 0x1u
#define P_NOHELO 0x2u
#define P_NOMAIL 0x4u
#define P_NORCPT 0x8u
#define P_NOBODY 0x10u
#define P_NOHDRS 0x20u
#define P_NOEOH 0x40u
#define P_NR_HDR 0x80u
#define P_NODATA 0x200u
#define P_SKIP 0x400u
#define P_NR_CONN 0x1000u
#define P_NR_HELO 0x2000u
#define P_NR_MAIL 0x4000u
#define P_NR_RCPT 0x8000u
#define P_NR_DATA 0x10000u
#define P_NR_EOH 0x40000u
#define P_NR_BODY 0x80000u
/* All of 0x1..0x400 (SMFIP_NOUNKNOWN too: we never send an unknown command) and the
 * no-reply flags 0x1000..0x80000; not SMFIP_RCPT_REJ (0x800) nor HDR_LEADSPC. */
#define OUR_PROTO 0xff7ffu
#define MILTER_VERSION 6

struct milter {
	const char *spec;
	int fd;			/* -1 when not connected */
	bool failed;		/* unreachable or broke the protocol: the default action */
	bool off_session;	/* accepted the connection: no more steps */
	bool off_txn;		/* accepted or discarded this message */
	bool skip_body;		/* SMFIR_SKIP: no more body chunks */
	uint32_t actions, proto;	/* negotiated */
};

static struct {
	const struct config *cfg;
	struct milter m[MILTER_MAX];
	unsigned n;
	bool txn;		/* MAIL went to the milters: ABORT on a reset */
	bool discard;		/* a milter discarded this message */
	bool refused;		/* connect or HELO refused: conn is MAIL's reply */
	struct milter_verdict conn;
	char port[8];		/* {client_port} */
	const char *rcpt;	/* {rcpt_addr} of the RCPT being asked about */
	struct buf out, in;	/* a packet being written, one being read */
} M;

static const char *const action_name[] = { "tempfail", "accept", "reject" };

/* ------------------------------------------------------- connecting (root side) */

static int connect_wait(int fd, const struct sockaddr *sa, socklen_t len, int ms)
{
	if (connect(fd, sa, len) == 0)
		return 0;
	if (errno != EINPROGRESS)
		return -1;
	struct pollfd p = { fd, POLLOUT, 0 };
	int r = poll(&p, 1, ms);
	if (r <= 0) {
		errno = r == 0 ? ETIMEDOUT : errno;
		return -1;
	}
	int e = 0;
	socklen_t el = sizeof e;
	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &e, &el) == -1)
		return -1;
	errno = e;
	return e ? -1 : 0;
}

/* unix:/PATH, inet:HOST:PORT or inet6:HOST:PORT (options.c checked the form). */
static int connect_spec(const char *spec, int ms)
{
	if (strncmp(spec, "unix:", 5) == 0) {
		struct sockaddr_un sun = { .sun_family = AF_UNIX };
		snprintf(sun.sun_path, sizeof sun.sun_path, "%s", spec + 5);
		int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
		if (fd != -1 && connect_wait(fd, (struct sockaddr *)&sun, sizeof sun, ms) == -1)
			close_keep_errno(fd), fd = -1;
		return fd;
	}
	bool six = strncmp(spec, "inet6:", 6) == 0;
	char host[MILTER_SPEC_MAX + 1];
	snprintf(host, sizeof host, "%s", spec + (six ? 6 : 5));
	char *colon = strrchr(host, ':'), *h = host;
	*colon = '\0';
	if (h[0] == '[' && colon > h + 1 && colon[-1] == ']')
		h++, colon[-1] = '\0';
	struct addrinfo hints = { .ai_family = six ? AF_INET6 : AF_UNSPEC,
				  .ai_socktype = SOCK_STREAM, .ai_flags = AI_NUMERICSERV }, *ai;
	int rc = getaddrinfo(h, colon + 1, &hints, &ai);
	if (rc) {
		errno = rc == EAI_SYSTEM ? errno : EHOSTUNREACH;
		return -1;
	}
	int fd = -1;
	for (struct addrinfo *a = ai; a && fd == -1; a = a->ai_next) {
		fd = socket(a->ai_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
		if (fd != -1 && connect_wait(fd, a->ai_addr, a->ai_addrlen, ms) == -1)
			close_keep_errno(fd), fd = -1;
	}
	freeaddrinfo(ai);
	int one = 1;	/* small packets each way: no Nagle delay */
	if (fd != -1)
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
	return fd;
}

void milter_open(const struct config *cfg, const char *user, uid_t uid, gid_t gid)
{
	M.cfg = cfg;
	M.n = cfg->nmilters;
	uid_t euid = geteuid();
	gid_t egid = getegid();
	/* As the privsep user, never root: the administrator gives it a Unix socket by
	 * a group (Debian's OpenDKIM: "adduser smtp-session opendkim", as Postfix's
	 * postfix user is added), so for one its groups too.  initgroups() reads every
	 * NSS group source (libnss_systemd loaded, userdb searched: 170 system calls),
	 * which a session without a unix: milter must not pay; without milters nothing
	 * changes.  The ids come back for sandbox_enter(), which drops the groups and
	 * changes the ids for good (drop.h). */
	bool unix_sock = false;
	for (unsigned i = 0; i < M.n; i++)
		unix_sock |= strncmp(cfg->milters[i], "unix:", 5) == 0;
	bool need = user && euid == 0 && M.n > 0;
	bool sw = need && (!unix_sock || initgroups(user, gid) == 0) && setegid(gid) == 0 &&
		  seteuid(uid) == 0;
	if (need && !sw)	/* never as root: the milters fail, their default action */
		log_msg(LOG_ERR, "milter: cannot become %s to connect: %s", user, strerror(errno));
	for (unsigned i = 0; i < M.n; i++) {
		struct milter *m = &M.m[i];
		*m = (struct milter){ .spec = cfg->milters[i], .fd = -1 };
		errno = EPERM;
		m->fd = need && !sw ? -1 : connect_spec(m->spec, (int)cfg->milter_timeout * 1000);
		if (m->fd == -1) {
			m->failed = true;
			log_msg(LOG_ERR, "milter %s: cannot connect: %s: default action %s",
				m->spec, strerror(errno), action_name[cfg->milter_default]);
		}
	}
	if (need && ((geteuid() != euid && seteuid(euid) == -1) || setegid(egid) == -1))
		log_msg(LOG_ERR, "milter: cannot take back the ids: %s", strerror(errno));
}

bool milter_active(void)
{
	return M.n > 0;
}

/* --------------------------------------------------------------- the wire */

static void fail(struct milter *m, const char *why)
{
	log_msg(LOG_ERR, "milter %s: %s: default action %s", m->spec, why,
		action_name[M.cfg->milter_default]);
	if (m->fd != -1)
		close(m->fd);
	m->fd = -1;
	m->failed = true;
}

/* The default action as a verdict: false for accept. */
static bool default_verdict(struct milter_verdict *v)
{
	if (M.cfg->milter_default == MILTER_ACCEPT)
		return false;
	*v = (struct milter_verdict){ 0 };
	if (M.cfg->milter_default == MILTER_TEMPFAIL) {
		v->code = 451;
		snprintf(v->esc, sizeof v->esc, "4.7.1");
		snprintf(v->text, sizeof v->text, "Mail filter unavailable, try again later");
	} else {
		v->code = 550;
		snprintf(v->esc, sizeof v->esc, "5.7.1");
		snprintf(v->text, sizeof v->text, "Mail filter failed, message refused");
	}
	return true;
}

/* Wait for fd to be ready for ev until d; false on timeout or error. */
static bool ready(int fd, short ev, const struct deadline *d)
{
	struct pollfd p = { fd, ev, 0 };
	int r;
	while ((r = poll(&p, 1, deadline_left(d))) == -1 && errno == EINTR)
		;
	return r == 1;
}

static bool put(struct milter *m, char cmd, const void *data, size_t len)
{
	uint32_t n = htonl((uint32_t)len + 1);
	buf_reset(&M.out);
	buf_add(&M.out, &n, 4);
	buf_addc(&M.out, cmd);
	buf_add(&M.out, data, len);
	struct deadline d;
	deadline_in(&d, M.cfg->milter_timeout * 1000ULL);
	for (size_t off = 0; off < M.out.len;) {
		ssize_t w = write(m->fd, M.out.p + off, M.out.len - off);
		if (w > 0)
			off += (size_t)w;
		else if (w == -1 && errno != EAGAIN && errno != EINTR)
			return fail(m, strerror(errno)), false;
		else if (w == -1 && !ready(m->fd, POLLOUT, &d))
			return fail(m, "timeout writing"), false;
	}
	return true;
}

static bool get_bytes(struct milter *m, char *p, size_t n, const struct deadline *d)
{
	while (n) {
		ssize_t r = read(m->fd, p, n);
		if (r > 0) {
			p += r, n -= (size_t)r;
		} else if (r == 0) {
			return fail(m, "connection closed"), false;
		} else if (errno != EAGAIN && errno != EINTR) {
			return fail(m, strerror(errno)), false;
		} else if (!ready(m->fd, POLLIN, d)) {
			return fail(m, "timeout waiting for a reply"), false;
		}
	}
	return true;
}

/* One packet into M.in (its data) and *cmd; false when the milter failed. */
static bool get(struct milter *m, char *cmd, const struct deadline *d)
{
	uint32_t n;
	if (!get_bytes(m, (char *)&n, 4, d))
		return false;
	n = ntohl(n);
	if (n == 0 || n > MILTER_FRAME_MAX)
		return fail(m, "bad packet length"), false;
	buf_reset(&M.in);
	char *p = buf_extend(&M.in, n);
	if (!get_bytes(m, p, n, d))
		return false;
	M.in.len = n;
	*cmd = p[0];
	buf_consume(&M.in, 1);
	return true;
}

/* ------------------------------------------------------------- replies */

/* RFC 3463: "class.subject.detail" of the code's class. */
static size_t esc_len(const char *p, char cls)
{
	if (p[0] != cls || p[1] != '.')
		return 0;
	size_t i = 2, d = 0;
	while (isdigit((unsigned char)p[i]) && d < 3)
		i++, d++;
	if (!d || p[i] != '.')
		return 0;
	size_t j = ++i;
	while (isdigit((unsigned char)p[i]) && i - j < 3)
		i++;
	return i > j && (p[i] == ' ' || p[i] == '\0' || p[i] == '\r') ? i : 0;
}

/* SMFIR_REPLYCODE: "4xx|5xx [x.y.z] text", maybe several lines joined by CRLF, each
 * with the code ("550-..." then "550 ...").  The text becomes printable ASCII lines
 * (reply() writes them as a multi-line reply), so the milter cannot make us write
 * outside the SMTP grammar (RFC 5321 4.2). */
static bool reply_code(const char *p, size_t n, struct milter_verdict *v)
{
	if (n < 4 || p[n - 1] != '\0' || (p[0] != '4' && p[0] != '5') || p[1] < '0' ||
	    p[1] > '5' || !isdigit((unsigned char)p[2]))
		return false;
	*v = (struct milter_verdict){ .code = (p[0] - '0') * 100 + (p[1] - '0') * 10 + p[2] - '0' };
	size_t t = 0;
	for (const char *line = p; *line;) {
		if (strncmp(line, p, 3) != 0 || (line[3] != ' ' && line[3] != '-' && line[3]))
			return false;
		line += line[3] ? 4 : 3;
		size_t e = esc_len(line, p[0]);
		if (e && !v->esc[0])
			snprintf(v->esc, sizeof v->esc, "%.*s", (int)e, line);
		line += e + (e && *line && line[e] == ' ');
		if (t && t < MILTER_TEXT_MAX)
			v->text[t++] = '\n';
		for (; *line && *line != '\r' && *line != '\n'; line++)
			if (t < MILTER_TEXT_MAX)
				v->text[t++] = *line >= 0x20 && *line < 0x7f ? *line : '?';
		while (*line == '\r' || *line == '\n')
			line++;
	}
	v->text[t] = '\0';
	if (!v->esc[0])
		snprintf(v->esc, sizeof v->esc, "%c.7.1", p[0]);
	if (!t)
		snprintf(v->text, sizeof v->text, "%s", p[0] == '4' ? "Try again later" :
			 "Refused by the mail filter");
	return true;
}

int milter_say(struct session *s, const struct milter_verdict *v, const char *addr)
{
	if (addr)
		return reply(s, v->code, v->esc, "<%s>: %s", addr, v->text);
	return reply(s, v->code, v->esc, "%s", v->text);
}

/* ------------------------------------------------------------- macros */

static void macro(struct buf *b, const char *name, const char *value)
{
	if (!value || !*value)
		return;
	buf_add(b, name, strlen(name) + 1);
	buf_add(b, value, strlen(value) + 1);
}

/* The macros the common milters read (rspamd, OpenDKIM, OpenDMARC, clamav-milter), by
 * step, as Postfix's defaults (milter_*_macros) give them. */
static void macros(struct session *s, char step, struct buf *b)
{
	char under[INET6_ADDRSTRLEN + 16];
	buf_addc(b, step);
	switch (step) {
	case C_CONNECT:
		snprintf(under, sizeof under, "unknown [%s]", s->client);
		macro(b, "j", s->cfg->hostname);
		macro(b, "_", under);
		macro(b, "{daemon_name}", s->cfg->hostname);	/* Postfix: $myhostname */
		macro(b, "{client_addr}", s->client);
		macro(b, "{client_port}", M.port);
		macro(b, "{client_name}", "unknown");	/* no reverse DNS here */
		break;
	case C_HELO:
	case C_MAIL:
		if (TLS_ACTIVE(s)) {
			macro(b, "{tls_version}", tls_version(s->c.tls));
			macro(b, "{cipher}", tls_cipher(s->c.tls));
		}
		if (step == C_HELO)
			break;
		macro(b, "{mail_addr}", s->sender[0] ? s->sender : "<>");
		macro(b, "{auth_type}", s->auth_user[0] ? s->auth_mech : NULL);
		macro(b, "{auth_authen}", s->auth_user);
		break;
	case C_RCPT:
		macro(b, "{rcpt_addr}", M.rcpt);
		break;
	case C_DATA:
	case C_EOH:
	case C_EOM:
		macro(b, "i", s->msgid);
		break;
	}
}

/* ------------------------------------------------------------- one step */

/* The end of the message's header fields, which modify() changes (below). */
struct eom;
static bool modify(struct milter *m, struct eom *e, char cmd);

/* Send step's macros and the command to m, and read its answer unless nr: the
 * answer's letter (R_CONTINUE for no reply), with *v for R_REPLYCODE, or 0 when m
 * failed.  At the end of the message e takes the modifications. */
static char ask(struct session *s, struct milter *m, char cmd, const void *data, size_t len,
		bool nr, struct milter_verdict *v, struct eom *e)
{
	struct buf mac = BUF_INIT;
	macros(s, cmd, &mac);
	bool sent = (mac.len == 1 || put(m, C_MACRO, mac.p, mac.len)) && put(m, cmd, data, len);
	buf_free(&mac);
	if (!sent)
		return 0;
	if (nr)
		return R_CONTINUE;
	struct deadline d;	/* SMFIR_PROGRESS does not extend it: the step is bounded */
	deadline_in(&d, M.cfg->milter_timeout * 1000ULL);
	for (;;) {
		char r;
		if (!get(m, &r, &d))
			return 0;
		switch (r) {
		case R_PROGRESS:
			continue;
		case R_ACCEPT: case R_CONTINUE: case R_DISCARD: case R_REJECT: case R_TEMPFAIL:
			return r;
		case R_REPLYCODE:
			if (reply_code(M.in.p, M.in.len, v))
				return r;
			return fail(m, "malformed reply code"), 0;
		case R_SKIP:
			if (cmd == C_BODY && (m->proto & P_SKIP))
				return r;
			break;
		case R_ADDHEADER: case R_INSHEADER: case R_CHGHEADER: case R_QUARANTINE:
			if (cmd == C_EOM && modify(m, e, r))
				continue;
			if (m->failed)
				return 0;
			break;
		}
		char why[64];
		snprintf(why, sizeof why, "unexpected reply '%c' (0x%02x) to '%c'",
			 r >= 0x20 && r < 0x7f ? r : '?', (unsigned char)r, cmd);
		return fail(m, why), 0;
	}
}

/* One step for every milter in order: true with *v when the command is refused.
 * no and nr are the step's SMFIP_NO* and SMFIP_NR_* flags. */
static bool step(struct session *s, char cmd, const void *data, size_t len, uint32_t no,
		 uint32_t nr, struct milter_verdict *v, struct eom *e)
{
	bool session_step = cmd == C_CONNECT || cmd == C_HELO;
	for (unsigned i = 0; i < M.n; i++) {
		struct milter *m = &M.m[i];
		if (m->off_session || (!session_step && (m->off_txn || M.discard)))
			continue;
		if (m->failed) {
			if (default_verdict(v))
				return true;
			continue;
		}
		if (m->proto & no || (cmd == C_BODY && m->skip_body))
			continue;
		char r = ask(s, m, cmd, data, len, (m->proto & nr) != 0, v, e);
		switch (r) {
		case 0:
			if (default_verdict(v))
				return true;
			break;
		case R_ACCEPT:	/* the connection, or this message: no more steps */
			if (session_step)
				m->off_session = true;
			else
				m->off_txn = true;
			break;
		case R_SKIP:
			m->skip_body = true;
			break;
		case R_DISCARD:	/* the message, whatever step said it */
			if (session_step)
				m->off_session = true;	/* no message to discard: as accept */
			else
				M.discard = true;
			break;
		case R_REJECT:
			*v = (struct milter_verdict){ .code = 550, .esc = "5.7.1" };
			snprintf(v->text, sizeof v->text, "Command rejected");
			return true;
		case R_TEMPFAIL:
			*v = (struct milter_verdict){ .code = 451, .esc = "4.7.1" };
			snprintf(v->text, sizeof v->text, "Service unavailable, try again later");
			return true;
		case R_REPLYCODE:
			return true;
		}
	}
	return false;
}

/* ------------------------------------------------------------- the steps */

/* SMFIC_OPTNEG: version, actions, protocol; the answer's must be within ours. */
static bool negotiate(struct milter *m)
{
	uint32_t o[3] = { htonl(MILTER_VERSION), htonl(OUR_ACTIONS), htonl(OUR_PROTO) };
	struct deadline d;
	deadline_in(&d, M.cfg->milter_timeout * 1000ULL);
	char r;
	if (!put(m, C_OPTNEG, o, sizeof o) || !get(m, &r, &d))
		return false;
	if (r != C_OPTNEG || M.in.len < 12)
		return fail(m, "bad option negotiation"), false;
	memcpy(o, M.in.p, sizeof o);
	uint32_t version = ntohl(o[0]);
	if (version < 2 || version > MILTER_VERSION)
		return fail(m, "unsupported protocol version"), false;
	m->actions = ntohl(o[1]) & OUR_ACTIONS;
	m->proto = ntohl(o[2]) & OUR_PROTO;
	return true;
}

void milter_connect(struct session *s)
{
	if (!M.n)
		return;
	struct sockaddr_storage ss;
	socklen_t sl = sizeof ss;
	M.port[0] = '\0';
	if (!s->cfg->proxy && getpeername(s->c.in, (struct sockaddr *)&ss, &sl) == 0 &&
	    (ss.ss_family == AF_INET || ss.ss_family == AF_INET6))
		snprintf(M.port, sizeof M.port, "%u", ntohs(ss.ss_family == AF_INET ?
			 ((struct sockaddr_in *)&ss)->sin_port :
			 ((struct sockaddr_in6 *)&ss)->sin6_port));
	for (unsigned i = 0; i < M.n; i++)
		if (!M.m[i].failed)
			negotiate(&M.m[i]);
	/* hostname, family ('4', '6', or 'U' unknown), port, address */
	struct buf b = BUF_INIT;
	char host[INET6_ADDRSTRLEN + 2];
	unsigned char bin[16];
	char fam = inet_pton(AF_INET, s->client, bin) == 1 ? '4' :
		   inet_pton(AF_INET6, s->client, bin) == 1 ? '6' : 'U';
	snprintf(host, sizeof host, "[%s]", s->client);
	buf_add(&b, host, strlen(host) + 1);
	buf_addc(&b, fam);
	if (fam != 'U') {
		uint16_t port = htons((uint16_t)atoi(M.port));
		buf_add(&b, &port, 2);
		buf_add(&b, s->client, strlen(s->client) + 1);
	}
	M.refused = step(s, C_CONNECT, b.p, b.len, P_NOCONNECT, P_NR_CONN, &M.conn, NULL);
	buf_free(&b);
}

void milter_helo(struct session *s)
{
	if (!M.n || M.refused)
		return;
	M.refused = step(s, C_HELO, s->helo, strlen(s->helo) + 1, P_NOHELO, P_NR_HELO,
			 &M.conn, NULL);
}

bool milter_mail(struct session *s, const char *args, struct milter_verdict *v)
{
	if (!M.n)
		return false;
	if (M.refused) {
		*v = M.conn;
		return true;
	}
	for (unsigned i = 0; i < M.n; i++)
		M.m[i].off_txn = M.m[i].skip_body = false;
	M.discard = false;
	M.txn = true;
	struct buf b = BUF_INIT;
	buf_printf(&b, "<%s>", s->sender);
	buf_addc(&b, '\0');
	for (const char *p = args; *p;) {	/* each ESMTP parameter a string */
		while (*p == ' ')
			p++;
		size_t n = strcspn(p, " ");
		if (n) {
			buf_add(&b, p, n);
			buf_addc(&b, '\0');
		}
		p += n;
	}
	bool no = step(s, C_MAIL, b.p, b.len, P_NOMAIL, P_NR_MAIL, v, NULL);
	buf_free(&b);
	return no;
}

bool milter_rcpt(struct session *s, const char *rcpt, struct milter_verdict *v)
{
	if (!M.n)
		return false;
	struct buf b = BUF_INIT;
	buf_printf(&b, "<%s>", rcpt);
	buf_addc(&b, '\0');
	M.rcpt = rcpt;	/* {rcpt_addr} */
	bool no = step(s, C_RCPT, b.p, b.len, P_NORCPT, P_NR_RCPT, v, NULL);
	buf_free(&b);
	return no;
}

bool milter_data(struct session *s, struct milter_verdict *v)
{
	if (!M.n)
		return false;
	message_stamp(s);	/* the id, macro i, from here on */
	return step(s, C_DATA, NULL, 0, P_NODATA, P_NR_DATA, v, NULL);
}

void milter_abort(void)
{
	if (!M.txn)
		return;
	M.txn = false;
	for (unsigned i = 0; i < M.n; i++)
		if (M.m[i].fd != -1 && !M.m[i].off_session)
			put(&M.m[i], C_ABORT, NULL, 0);
}

void milter_close(void)
{
	for (unsigned i = 0; i < M.n; i++)
		if (M.m[i].fd != -1) {
			put(&M.m[i], C_QUIT, NULL, 0);
			close(M.m[i].fd);
			M.m[i].fd = -1;
		}
	M.n = 0;
	buf_free(&M.out);
	buf_free(&M.in);
}

/* ------------------------------------------------------ the message (EOM) */

/* One header field as the spool has it: "Name: value\n", folded lines included. */
struct field {
	char *raw;
	size_t len, namelen;
};

struct eom {
	struct field *f;
	size_t n, cap;
	size_t added;		/* bytes the milters added (MILTER_HEADER_MAX) */
	bool changed;
};

static void field_insert(struct eom *e, size_t at, char *raw, size_t len, size_t namelen)
{
	if (e->n == e->cap) {
		size_t cap = e->cap ? 2 * e->cap : 32;
		struct field *f = realloc(e->f, cap * sizeof *f);
		if (!f)
			abort();	/* as buf's out of memory: the session cannot go on */
		e->f = f, e->cap = cap;
	}
	memmove(e->f + at + 1, e->f + at, (e->n - at) * sizeof *e->f);
	e->f[at] = (struct field){ raw, len, namelen };
	e->n++;
}

static void eom_free(struct eom *e)
{
	for (size_t i = 0; i < e->n; i++)
		free(e->f[i].raw);
	free(e->f);
}

/* A field name (RFC 5322 2.2: printable ASCII but ':'). */
static bool name_ok(const char *p, size_t n)
{
	if (!n || n > SMTP_TEXT_MAX)
		return false;
	for (size_t i = 0; i < n; i++)
		if (p[i] <= 0x20 || p[i] >= 0x7f || p[i] == ':')
			return false;
	return true;
}

/* "name: value\n" from a milter's name and value: CRLF becomes LF, a bare CR goes,
 * other control characters but tab go, and every line after the first starts
 * with white space (RFC 5322 2.2.3), so the field cannot end the header section or
 * become two fields. */
static char *make_field(const char *name, const char *value, size_t *len)
{
	struct buf b = BUF_INIT;
	buf_printf(&b, "%s: ", name);
	while (*value == ' ' || *value == '\t')
		value++;
	for (const char *p = value; *p; p++) {
		unsigned char c = (unsigned char)*p;
		if (c == '\n') {
			if (!p[1])
				break;
			buf_addc(&b, '\n');
			if (p[1] != ' ' && p[1] != '\t')
				buf_addc(&b, '\t');
		} else if (c == '\t' || c >= 0x20) {
			buf_addc(&b, (char)c);
		}
	}
	buf_addc(&b, '\n');
	*len = b.len;
	char *raw = malloc(b.len);
	if (!raw)
		abort();
	memcpy(raw, b.p, b.len);
	buf_free(&b);
	return raw;
}

/* The strings of a modification: [index] name NUL value NUL. */
static bool mod_args(bool indexed, uint32_t *index, const char **name, const char **value)
{
	const char *p = M.in.p;
	size_t n = M.in.len;
	if (indexed) {
		if (n < 4)
			return false;
		memcpy(index, p, 4);
		*index = ntohl(*index);
		p += 4, n -= 4;
	}
	const char *z = memchr(p, '\0', n);
	if (!z || !memchr(z + 1, '\0', n - (size_t)(z + 1 - p)))
		return false;
	*name = p;
	*value = z + 1;
	return name_ok(p, (size_t)(z - p));
}

/* SMFIR_ADDHEADER (at the end), SMFIR_INSHEADER (at the index: 0 is the top, where
 * RFC 8601 puts Authentication-Results), SMFIR_CHGHEADER (the index-th field of that
 * name, from 1; an empty value deletes it; past the last one it is added) and
 * SMFIR_QUARANTINE (delivered with an X-Quarantine field: smtp-session(8)).
 * False when the milter may not, or sent a malformed one (it failed then). */
static bool modify(struct milter *m, struct eom *e, char cmd)
{
	uint32_t need = cmd == R_CHGHEADER ? F_CHGHDRS : cmd == R_QUARANTINE ? F_QUARANTINE :
			F_ADDHDRS;
	if (!e || !(m->actions & need))
		return false;
	uint32_t index = 0;
	const char *name, *value;
	if (cmd == R_QUARANTINE) {
		if (!M.in.len || M.in.p[M.in.len - 1] != '\0')
			return fail(m, "malformed quarantine"), false;
		name = "X-Quarantine";
		value = M.in.p;
		log_msg(LOG_NOTICE, "milter %s: message quarantined: %.200s", m->spec, value);
	} else if (!mod_args(cmd != R_ADDHEADER, &index, &name, &value)) {
		return fail(m, "malformed header change"), false;
	}
	size_t len = 0, at = e->n, nl = strlen(name);
	if (cmd == R_CHGHEADER) {
		for (size_t i = 0, k = 0; i < e->n; i++)
			if (e->f[i].namelen == nl && strncasecmp(e->f[i].raw, name, nl) == 0 &&
			    ++k == index) {
				at = i;
				break;
			}
		if (at < e->n) {	/* replaced or deleted */
			free(e->f[at].raw);
			e->n--;
			memmove(e->f + at, e->f + at + 1, (e->n - at) * sizeof *e->f);
		}
		e->changed = true;
		if (!*value)
			return true;
	} else if (cmd == R_INSHEADER) {
		at = index < e->n ? index : e->n;
	}
	char *raw = make_field(name, value, &len);
	if ((e->added += len) > MILTER_HEADER_MAX) {
		free(raw);
		return fail(m, "added too much to the header"), false;
	}
	field_insert(e, at, raw, len, nl);
	e->changed = true;
	return true;
}

/* The header section of the spool into e; *body is where the body starts and *blank
 * whether the empty line is there.  -1 on a read error, 1 when it is too large. */
static int read_header(int fd, struct eom *e, off_t *body, bool *blank)
{
	struct buf h = BUF_INIT;
	char *p = buf_extend(&h, MILTER_HEADER_MAX + 1);
	ssize_t r;
	size_t got = 0;
	while (got < MILTER_HEADER_MAX + 1 &&
	       (r = pread(fd, p + got, MILTER_HEADER_MAX + 1 - got, (off_t)got)) != 0) {
		if (r == -1 && errno != EINTR)
			return buf_free(&h), -1;
		got += r > 0 ? (size_t)r : 0;
	}
	size_t pos = 0;
	bool ended = false;
	*blank = false;
	while (pos < got && !ended) {
		char *nl = memchr(p + pos, '\n', got - pos);
		if (!nl)
			break;	/* the line goes on past what was read */
		size_t n = (size_t)(nl - (p + pos)) + 1;
		const char *colon = memchr(p + pos, ':', n);
		size_t namelen = colon ? (size_t)(colon - (p + pos)) : 0;
		while (namelen && (p[pos + namelen - 1] == ' ' || p[pos + namelen - 1] == '\t'))
			namelen--;
		if (n == 1) {
			*blank = ended = true;
			pos++;
		} else if ((p[pos] == ' ' || p[pos] == '\t') && e->n) {	/* folded */
			struct field *f = &e->f[e->n - 1];
			char *raw = realloc(f->raw, f->len + n);
			if (!raw)
				abort();
			memcpy(raw + f->len, p + pos, n);
			f->raw = raw, f->len += n;
			pos += n;
		} else if (colon && name_ok(p + pos, namelen)) {
			char *raw = malloc(n);
			if (!raw)
				abort();
			memcpy(raw, p + pos, n);
			field_insert(e, e->n, raw, n, namelen);
			pos += n;
		} else {
			ended = true;	/* not a field: the body starts here (RFC 5322 2.1) */
		}
	}
	buf_free(&h);
	/* The spool ends in LF (data.c), so a section that did not end was cut by the
	 * bound, unless the message is all header. */
	if (!ended && got > MILTER_HEADER_MAX)
		return 1;
	*body = (off_t)pos;
	return 0;
}

/* Each field as SMFIC_HEADER: name NUL value NUL, the value without the blank after
 * the colon and without its last LF (folded lines keep theirs, as Postfix sends). */
static bool send_headers(struct session *s, struct eom *e, struct milter_verdict *v)
{
	struct buf b = BUF_INIT;
	bool no = false;
	for (size_t i = 0; i < e->n && !no; i++) {
		const struct field *f = &e->f[i];
		const char *val = memchr(f->raw, ':', f->len) + 1;
		const char *end = f->raw + f->len - 1;	/* the LF */
		while (val < end && (*val == ' ' || *val == '\t'))
			val++;
		buf_reset(&b);
		buf_add(&b, f->raw, f->namelen);
		buf_addc(&b, '\0');
		buf_add(&b, val, (size_t)(end - val));
		buf_addc(&b, '\0');
		no = step(s, C_HEADER, b.p, b.len, P_NOHDRS, P_NR_HDR, v, NULL);
	}
	buf_free(&b);
	return no || step(s, C_EOH, NULL, 0, P_NOEOH, P_NR_EOH, v, NULL);
}

/* The body in chunks of MILTER_CHUNK_MAX with CRLF line ends (the spool has LF: the
 * milter sees the message as it came, which DKIM's body hash needs). */
static bool send_body(struct session *s, off_t from, struct milter_verdict *v)
{
	char in[16384];
	struct buf b = BUF_INIT;
	bool no = false;
	ssize_t r;
	while (!no && (r = pread(s->spool, in, sizeof in, from)) != 0) {
		if (r == -1) {
			if (errno == EINTR)
				continue;
			break;
		}
		from += r;
		for (ssize_t i = 0; i < r; i++) {
			if (in[i] == '\n')
				buf_addc(&b, '\r');
			buf_addc(&b, in[i]);
		}
		while (!no && b.len >= MILTER_CHUNK_MAX) {
			no = step(s, C_BODY, b.p, MILTER_CHUNK_MAX, P_NOBODY, P_NR_BODY, v, NULL);
			buf_consume(&b, MILTER_CHUNK_MAX);
		}
	}
	if (!no && b.len)
		no = step(s, C_BODY, b.p, b.len, P_NOBODY, P_NR_BODY, v, NULL);
	buf_free(&b);
	return no;
}

/* The changed header section and the body, into a new spool (spool.c: on the disk
 * under $TMPDIR as the message was, else a memfd), sealed, in place of the old one:
 * what the parent delivers is what the milters made. */
static bool rewrite(struct session *s, const struct eom *e, off_t body, bool blank)
{
	int fd = spool_new(s);
	bool ok = fd != -1;
	for (size_t i = 0; ok && i < e->n; i++)
		ok = write_all(fd, e->f[i].raw, e->f[i].len) == 0;
	/* The empty line, also where the message had none before a body that is no
	 * field (RFC 5322 2.1): the fields added must not run into it. */
	off_t end = lseek(s->spool, 0, SEEK_END);
	if (ok && (blank || body < end))
		ok = write_all(fd, "\n", 1) == 0;
	char in[65536];
	ssize_t r;
	while (ok && (r = pread(s->spool, in, sizeof in, body)) != 0) {
		if (r == -1 && errno == EINTR)
			continue;
		ok = r > 0 && write_all(fd, in, (size_t)r) == 0;
		body += r > 0 ? r : 0;
	}
	if (!ok) {
		log_msg(LOG_ERR, "milter: cannot write the changed message: %s", strerror(errno));
		if (fd != -1)
			spool_drop(fd);
		return false;
	}
	return spool_replace(s, fd) == 0;
}

bool milter_eom(struct session *s, struct milter_verdict *v)
{
	if (!M.n)
		return false;
	if (M.discard) {	/* ABORT follows (reset_transaction()): the milters that
				 * had not seen the end forget the message */
		*v = (struct milter_verdict){ .discard = true };
		return true;
	}
	struct eom e = { 0 };
	off_t body = 0;
	bool blank = false, no;
	int rc = read_header(s->spool, &e, &body, &blank);
	if (rc) {
		eom_free(&e);
		*v = rc == 1 ? (struct milter_verdict){ 554, false, "5.6.0",
			"Header section too large for the mail filter" } :
			(struct milter_verdict){ 451, false, "4.3.0", "Local error, try again later" };
		return true;
	}
	no = send_headers(s, &e, v) || send_body(s, body, v) ||
	     step(s, C_EOM, NULL, 0, 0, 0, v, &e);
	if (!no && M.discard)
		*v = (struct milter_verdict){ .discard = true }, no = true;
	if (!no && e.changed && !rewrite(s, &e, body, blank)) {
		*v = (struct milter_verdict){ 451, false, "4.3.0", "Local error, try again later" };
		no = true;
	}
	/* Done: the milters expect the next MAIL.  Refused on the way (some had no end
	 * of message): reset_transaction() sends ABORT, as Postfix does. */
	M.txn = no;
	eom_free(&e);
	return no;
}
