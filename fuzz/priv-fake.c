/* fuzz/priv-fake.c: test doubles for priv.h, linked into the fuzz harnesses instead of
 * priv.c and mbox.c.  Nothing here touches a file or changes a uid.
 *
 * Each double also checks what the dialogue hands it, so that a wrong message, not
 * only a crash, stops the fuzzer (abort()): a delivered message holds no CR (bare
 * CR/LF messages are refused, CRLF is stored as LF), no line over the RFC 5321 text
 * limit, and every trace header block is five well-formed lines (no header
 * injection through HELO, MAIL FROM or RCPT TO).
 *
 * Fake users: test, alice, bob, john.doe, root; mail to "full" fails with ENOSPC,
 * to "broken" with EIO (the 452/451 paths); the mailbox check at RCPT finds "nobox"'s
 * Maildir not a directory (450) and "quota"'s full (452); looking up "tempfail" gives
 * LOOKUP_TEMPFAIL, postmaster without --postmaster LOOKUP_NOPOSTMASTER.  AUTH:
 * alice/secret is good, user "tempfail" gets AUTHN_TEMPFAIL.
 * fake_init() stands in for users_init(), which main.c runs before the fork.
 * Terminals: test and alice are logged in and take messages, bob is not logged in,
 * john.doe has mesg n, root's terminal write fails (the SOML fallback and the SEND
 * 451), anyone else is a local error.  When a privileged operation is added to
 * priv.h, add its double here, answering from the same table.
 */
#include "priv.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dsn.h"
#include "ttytext.h"
#include "utf8.h"

static const char *const known_users[] = { "test", "alice", "bob", "john.doe", "root", "full",
					   "broken", "nobox", "quota" };

static bool known(const char *name)
{
	for (size_t i = 0; i < sizeof known_users / sizeof known_users[0]; i++)
		if (strcmp(known_users[i], name) == 0)
			return true;
	return false;
}

/* Copies begun while the message arrives (priv_begin()): the rest must come in order
 * (more..., then deliver or discard).  Reset for each input by fake_init(): a session
 * may end in the middle of a message. */
static bool begun;
/* PS_MAIL came; the last lookup had remote addresses; PS_ACCEPTs of the message. */
static bool in_mail, last_remote;
static unsigned accepted;

#define CHECK(cond) do { if (!(cond)) { \
	fprintf(stderr, "priv-fake: %s:%d: check failed: %s\n", __FILE__, __LINE__, #cond); \
	abort(); } } while (0)

void priv_attach(int sock)
{
	(void)sock;
}

bool priv_ok(void)
{
	return true;
}

void priv_log(int prio, const struct log_field *fields, const char *line)
{
	(void)prio, (void)fields, (void)line;	/* the harness logs to a file instead */
}

void priv_flush(void)
{
}

/* The configuration the parent would have (main.c's), which the doubles read. */
static const struct config *parent_cfg;

int fake_init(struct config *cfg, const char *as_user, const char **why);
int fake_init(struct config *cfg, const char *as_user, const char **why)
{
	static char user[USER_NAME_MAX + 1], home[] = "/nonexistent";
	begun = false;
	parent_cfg = cfg;
	cfg->single = false;
	cfg->user = cfg->home = NULL;
	if (!as_user)
		return 0;
	if (!known(as_user))
		return *why = "--user: no such user", errno = ENOENT, -1;
	snprintf(user, sizeof user, "%s", as_user);
	cfg->single = true;
	cfg->user = user;
	cfg->home = home;
	return 0;
}

/* One user from the old rules, or: "fwd" forwards to a remote address, "mix" is
 * alice and a remote address, "loop" loops; another domain is relayed (the session
 * asks only after AUTH). */
static enum lookup fake_lookup(const struct config *cfg, const char *local, const char *domain,
			       struct lookup_result *res)
{
	char name[LOCAL_PART_MAX + 1];
	size_t i;
	CHECK(strlen(local) <= PATH_LEN_MAX && strlen(domain) <= DOMAIN_MAX);
	CHECK(in_mail);
	for (i = 0; local[i]; i++)
		name[i] = (char)tolower((unsigned char)local[i]);
	name[i] = '\0';
	last_remote = false;
	if (domain[0] && !strstr(cfg->domains, domain))
		return snprintf(res->remote, sizeof res->remote, "%s@%s", local, domain),
		       res->nremote = 1, last_remote = true, LOOKUP_OK;
	if (strcmp(name, "tempfail") == 0)
		return LOOKUP_TEMPFAIL;
	if (strcmp(name, "loop") == 0)
		return LOOKUP_LOOP;
	if (strcmp(name, "fwd") == 0 || strcmp(name, "mix") == 0) {
		snprintf(res->remote, sizeof res->remote, "far@remote.example");
		res->nremote = 1;
		last_remote = true;
		if (name[0] == 'f')
			return LOOKUP_OK;
		snprintf(name, sizeof name, "alice");
	}
	const char *who = strcmp(name, "postmaster") == 0
		? (cfg->single ? cfg->user : cfg->postmaster) : name;
	if (!who)	/* no --postmaster (the default) */
		return LOOKUP_NOPOSTMASTER;
	if (cfg->single ? strcmp(who, cfg->user) != 0 : !known(who))
		return LOOKUP_NOUSER;
	buf_add(&res->users, who, strlen(who) + 1);
	res->nusers = 1;
	return LOOKUP_OK;
}

void priv_lookup(const char *local, const char *domain,
		 struct lookup_result *res)
{
	const struct config *cfg = parent_cfg;
	res->nusers = res->nremote = 0;
	res->remote[0] = '\0';
	res->r = fake_lookup(cfg, local, domain, res);
}

void priv_accept(unsigned notify, const char *orcpt)
{
	CHECK(dsn_notify_ok(notify) && (!orcpt[0] || dsn_orcpt_ok(orcpt)));
	const struct config *cfg = parent_cfg;
	CHECK(last_remote && in_mail);
	last_remote = false;
	CHECK(++accepted <= cfg->max_rcpt);
}

bool priv_mail(const struct config *cfg, const char *sender, bool authenticated,
	       unsigned ret, const char *envid)
{
	CHECK(ret <= DSN_RET_HDRS && dsn_envid_ok(envid));
	CHECK(strlen(sender) <= PATH_LEN_MAX);
	if (!authenticated || cfg->any_sender) {
		in_mail = true;
		accepted = 0;
		return true;
	}
	in_mail = true;
	accepted = 0;
	return strncmp(sender, "notmine", 7) != 0;
}

enum mailbox priv_check(const char *user, unsigned long long size)
{
	const struct config *cfg = parent_cfg;
	CHECK(known(user) && size <= cfg->max_size);
	CHECK(!cfg->single || strcmp(user, cfg->user) == 0);
	if (strcmp(user, "nobox") == 0)
		return MAILBOX_NOTDIR;
	if (strcmp(user, "quota") == 0)
		return MAILBOX_FULL;
	return MAILBOX_OK;
}

/* The header block: Return-Path, Delivered-To, Received and its continuation lines
 * (the TLS comment only over TLS); printable ASCII, and well-formed UTF-8 (addresses
 * after SMTPUTF8, RFC 6532), LF line ends. */
static void check_head(const struct priv_rcpt *r)
{
	static const char *const start[] = { "Return-Path: <", "Delivered-To: ",
					     "Received: from ", "\t(using TLSv1.3 with cipher ",
					     "\tby ", "\tfor <" };
	const size_t tls_line = 3;
	const char *p = r->head, *end = r->head + r->headlen;
	for (size_t i = 0; i < sizeof start / sizeof start[0]; i++) {
		if (i == tls_line && !(p < end && strncmp(p, start[i], strlen(start[i])) == 0))
			continue;	/* not over TLS */
		CHECK(p < end && strncmp(p, start[i], strlen(start[i])) == 0);
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		CHECK(nl != NULL);
		for (const char *c = p; c < nl; c++) {
			unsigned cp;
			size_t k = (*c & 0x80) ? utf8_next((const unsigned char *)c,
							   (size_t)(nl - c), &cp) : 1;
			CHECK(k > 1 ? cp >= 0xa0 : *c == '\t' || (*c >= ' ' && *c <= '~'));
			c += k - 1;
		}
		p = nl + 1;
	}
	CHECK(p == end);
}

/* The spooled message: no CR, lines within RFC 5321 4.5.3.1.6, LF at the end. */
static void check_spool(const struct config *cfg, int spool, off_t size)
{
	CHECK(size >= 0 && (unsigned long long)size <= cfg->max_size);
	char b[65536];
	size_t line = 0;
	off_t off = 0;
	char last = '\n';
	while (off < size) {
		ssize_t n = pread(spool, b, sizeof b, off);
		CHECK(n > 0);
		for (ssize_t i = 0; i < n; i++) {
			CHECK(b[i] != '\r');
			line = b[i] == '\n' ? 0 : line + 1;
			CHECK(line <= SMTP_TEXT_MAX - 2);
		}
		last = b[n - 1];
		off += n;
	}
	CHECK(last == '\n');
}

static int fake_deliver(const struct config *cfg, int spool, off_t size,
			const struct priv_rcpt *rcpt, size_t n, unsigned seq, size_t relay_len)
{
	CHECK((n >= 1 || relay_len) && n <= cfg->max_rcpt && seq >= 1);
	CHECK(!relay_len == !accepted);
	CHECK(n == 0 || !rcpt == begun);	/* begun copies are delivered without their recipients */
	begun = false;
	if (!rcpt)
		return check_spool(cfg, spool, size), 0;
	for (size_t i = 0; i < n; i++) {
		CHECK(known(rcpt[i].user));
		CHECK(!cfg->single || strcmp(rcpt[i].user, cfg->user) == 0);
		for (size_t j = 0; j < i; j++)
			CHECK(strcmp(rcpt[i].user, rcpt[j].user) != 0);	/* one copy each */
		check_head(&rcpt[i]);
	}
	check_spool(cfg, spool, size);
	for (size_t i = 0; i < n; i++) {
		if (strcmp(rcpt[i].user, "full") == 0)
			return ENOSPC;
		if (strcmp(rcpt[i].user, "broken") == 0)
			return EIO;
	}
	return 0;
}

struct priv_outcome priv_deliver(int spool, off_t size,
				 const struct priv_rcpt *rcpt, size_t n, unsigned seq,
				 const char *id, const char *relay_head, size_t relay_len,
				 bool *missed)
{
	(void)missed;	/* all or nothing here: the doubles fail every copy or none */
	const struct config *cfg = parent_cfg;
	CHECK(id[0] && (!relay_len || relay_head[relay_len - 1] == '\n'));
	int err = fake_deliver(cfg, spool, size, rcpt, n, seq, relay_len);
	return (struct priv_outcome){ err, 0 };
}

void priv_begin(int spool, const struct priv_rcpt *rcpt, size_t n,
		unsigned seq)
{
	const struct config *cfg = parent_cfg;
	CHECK(!begun && spool != -1 && n >= 1 && n <= cfg->max_rcpt && seq >= 1);
	for (size_t i = 0; i < n; i++) {
		CHECK(known(rcpt[i].user));
		check_head(&rcpt[i]);
	}
	begun = true;
}

void priv_more(unsigned long long size)
{
	const struct config *cfg = parent_cfg;
	CHECK(begun && size <= cfg->max_size);
}

void priv_discard(void)
{
	const struct config *cfg = parent_cfg;
	(void)cfg;
	CHECK(begun);
	begun = false;
}

enum authn priv_auth(const char *user, const char *pass,
		     const char *rhost, char *canon)
{
	const struct config *cfg = parent_cfg;
	(void)cfg, (void)rhost;
	CHECK(user[0] && pass[0]);	/* empty ones never reach PAM */
	CHECK(strlen(user) <= 255 && strlen(pass) <= 255);	/* RFC 4616 2 */
	if (strcmp(user, "tempfail") == 0)
		return AUTHN_TEMPFAIL;
	if (strcmp(user, "alice") != 0 || strcmp(pass, "secret") != 0)
		return AUTHN_FAIL;
	snprintf(canon, USER_NAME_MAX + 1, "%s", user);
	return AUTHN_OK;
}

static enum tty_result terminal(const char *user, bool writing)
{
	if (strcmp(user, "test") == 0 || strcmp(user, "alice") == 0)
		return TTY_OK;
	if (strcmp(user, "bob") == 0)
		return TTY_NOT_LOGGED_IN;
	if (strcmp(user, "john.doe") == 0)
		return TTY_REFUSED;
	if (strcmp(user, "root") == 0)
		return writing ? TTY_FAILED : TTY_OK;
	return TTY_ERROR;
}

static void answer(const char *const *users, size_t n, struct tty_status *st, bool writing)
{
	CHECK(n >= 1);
	for (size_t i = 0; i < n; i++) {
		CHECK(known(users[i]));
		st[i].result = terminal(users[i], writing);
		snprintf(st[i].line, sizeof st[i].line, "%s", st[i].result == TTY_OK ? "pts/0" : "");
	}
}

void priv_tty_check(const char *const *users, size_t n,
		    struct tty_status *st)
{
	const struct config *cfg = parent_cfg;
	CHECK(cfg->send != SEND_NEVER);
	answer(users, n, st, false);
}

/* What reaches a terminal: printable ASCII, TAB, CRLF line ends and (after SMTPUTF8)
 * whole, printable UTF-8 characters only (no ESC, no C1, no bare CR or LF), within
 * the configured bound plus the header and end lines; and after each line end,
 * nothing the sender wrote in the first column: a row is ours ("Message from",
 * "[message cut", "EOF"), the sender's after "|", or the banner's indented rest. */
void priv_tty_write(const char *const *users, size_t n,
		    const char *text, size_t len, struct tty_status *st)
{
	const struct config *cfg = parent_cfg;
	CHECK(cfg->send != SEND_NEVER);
	CHECK(len <= cfg->tty_max_bytes + 8192);
	CHECK(ttytext_check(text, len) == NULL);	/* the real parent would refuse it */
	const unsigned char *p = (const unsigned char *)text;
	for (size_t i = 0, k; i < len; i += k) {
		unsigned char c = p[i];
		unsigned cp;
		k = 1;
		if (c == '\r')
			CHECK(i + 1 < len && text[i + 1] == '\n');
		else if (c == '\n')
			CHECK(i > 0 && text[i - 1] == '\r');
		else if (c >= 0x80)
			CHECK((k = utf8_next(p + i, len - i, &cp)) > 1 && utf8_printable(cp));
		else
			CHECK(c == '\t' || (c >= ' ' && c <= '~'));
		if (c == '\n' && i + 1 < len) {
			const char *row = text + i + 1;
			size_t left = len - i - 1;
			CHECK(row[0] == '|' || row[0] == ' ' ||
			      (i == 1 && left >= 12 && memcmp(row, "Message from", 12) == 0) ||
			      (left >= 12 && memcmp(row, "[message cut", 12) == 0) ||
			      (left == 5 && memcmp(row, "EOF\r\n", 5) == 0));
		}
	}
	answer(users, n, st, true);
}
