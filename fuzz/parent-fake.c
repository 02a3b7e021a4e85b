/* fuzz/parent-fake.c: doubles for what the privileged parent runs (users.h, auth.h,
 * mbox.h, tty.h), linked into fuzz/parent-fuzz instead of users.c, auth.c, mbox.c and
 * tty.c.  Nothing here touches a file or a uid.  Each double checks what parent.c let
 * through and abort()s on what the parent must refuse.
 *
 * Users: test, alice, bob, root; "tempfail" fails the lookup.  AUTH: alice/secret.
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "auth.h"
#include "buf.h"
#include "dsn.h"
#include "mbox.h"
#include "relay.h"
#include "tty.h"
#include "users.h"
#include "utf8.h"

#define CHECK(cond) do { if (!(cond)) { \
	fprintf(stderr, "parent-fake: %s:%d: check failed: %s\n", __FILE__, __LINE__, #cond); \
	abort(); } } while (0)

static const char *const known_users[] = { "test", "alice", "bob", "root" };

/* Names this input's lookups returned, each once (at most the known users), to check
 * the parent's own bookkeeping.  Kept with repeats, 64 lookups of one name filled it
 * and the next name was taken for one no lookup returned (parent-seeds.py
 * "many-lookups"). */
static char returned[sizeof known_users / sizeof known_users[0]][USER_NAME_MAX + 1];
static size_t nreturned;

static bool known(const char *name)
{
	for (size_t i = 0; i < sizeof known_users / sizeof known_users[0]; i++)
		if (strcmp(known_users[i], name) == 0)
			return true;
	return false;
}

static void was_returned(const char *user)
{
	for (size_t i = 0; i < nreturned; i++)
		if (strcmp(returned[i], user) == 0)
			return;
	CHECK(!"a recipient no lookup returned");
}

int users_init(struct config *cfg, const char *as_user, const char **why)
{
	(void)cfg, (void)as_user, (void)why;
	return 0;
}

enum lookup users_lookup(const struct config *cfg, const char *local, char *user)
{
	(void)cfg;
	CHECK(strlen(local) <= LOCAL_PART_MAX);
	if (strcmp(local, "tempfail") == 0)
		return LOOKUP_TEMPFAIL;
	const char *who = strcasecmp(local, "postmaster") == 0 ? "root" : local;
	if (!known(who))
		return LOOKUP_NOUSER;
	snprintf(user, USER_NAME_MAX + 1, "%s", who);
	size_t i = 0;
	while (i < nreturned && strcmp(returned[i], who) != 0)
		i++;
	if (i == nreturned) {	/* a known user not seen yet: there is room */
		CHECK(nreturned < sizeof returned / sizeof returned[0]);
		snprintf(returned[nreturned++], USER_NAME_MAX + 1, "%s", who);
	}
	return LOOKUP_OK;
}

enum authn auth_pam(const char *service, const char *user, const char *pass,
		    const char *rhost, char *canon)
{
	(void)service, (void)rhost;
	CHECK(utf8_user_name_ok(user) && pass[0]);
	if (strcmp(user, "alice") != 0 || strcmp(pass, "secret") != 0)
		return AUTHN_FAIL;
	snprintf(canon, USER_NAME_MAX + 1, "%s", user);
	return AUTHN_OK;
}

/* The helpers of a session: only the configuration, to check against. */
struct mbox {
	const struct config *cfg;
};

struct mbox *mbox_open(const struct config *cfg)
{
	struct mbox *m = malloc(sizeof *m);
	if (m)
		m->cfg = cfg;
	return m;
}

void mbox_close(struct mbox *m)
{
	free(m);
}

enum mailbox mbox_check(struct mbox *m, const char *user, uint64_t size)
{
	was_returned(user);
	CHECK(size <= m->cfg->max_size);
	return strcmp(user, "bob") == 0 ? MAILBOX_FULL : MAILBOX_OK;
}

void mbox_begin(struct mbox *m, int spool, const struct priv_rcpt *rcpt, size_t n,
		unsigned seq)
{
	(void)seq;
	struct stat st;
	CHECK(n >= 1 && n <= m->cfg->max_rcpt);
	CHECK(fstat(spool, &st) == 0 && S_ISREG(st.st_mode));
	for (size_t i = 0; i < n; i++) {
		was_returned(rcpt[i].user);
		CHECK(rcpt[i].headlen >= 1 && rcpt[i].headlen <= 4096);
	}
}

void mbox_more(struct mbox *m, uint64_t size)
{
	CHECK(size <= m->cfg->max_size);
}

void mbox_discard(struct mbox *m)
{
	(void)m;
}

enum forward mbox_forward(struct mbox *m, const char *user, struct buf *text)
{
	(void)m;
	was_returned(user);
	if (strcmp(user, "test") != 0)
		return FORWARD_NONE;
	buf_adds(text, "\\test, far@remote.example, \"|/bin/sh\"\n# note\n");
	return FORWARD_OK;
}

bool relay_address_ok(const char *addr)
{
	return strchr(addr, '@') && !strpbrk(addr, " \t\r\n") && strlen(addr) <= PATH_LEN_MAX - 2;
}

int relay_init(const struct config *cfg, const char **why)
{
	(void)cfg, (void)why;
	return 0;
}

enum relay_result relay_run(const struct config *cfg, const struct relay_job *j)
{
	(void)cfg;
	/* A relay carries the session's trace block; a report (report.c, from <>) is
	 * whole in its spool. */
	CHECK(j->n >= 1 && j->n <= EXPAND_TARGETS_MAX && (j->headlen >= 1 || !j->sender[0]));
	for (size_t i = 0; i < j->n; i++)
		CHECK(relay_address_ok(j->rcpt[i]));
	CHECK(!j->sender[0] || relay_address_ok(j->sender));
	/* The DSN parameters the parent passes on are as dsn.h allows. */
	CHECK(dsn_notify_ok(j->notify) && j->ret <= DSN_RET_HDRS && (!j->envid || dsn_envid_ok(j->envid)));
	if (j->dsn_dropped && j->notify)	/* a "relayed" report follows for SUCCESS */
		*j->dsn_dropped = true;
	return RELAY_OK;
}

int mbox_deliver(struct mbox *m, int spool, off_t size, const struct priv_rcpt *rcpt,
		 size_t n, unsigned seq, const struct mbox_hook *hook)
{
	(void)seq;
	struct stat st;
	CHECK(n >= 1 && n <= m->cfg->max_rcpt);
	CHECK(fstat(spool, &st) == 0 && S_ISREG(st.st_mode) && st.st_size >= size);
	CHECK(size >= 0 && (unsigned long long)size <= m->cfg->max_size);
	for (size_t i = 0; i < n; i++) {
		was_returned(rcpt[i].user);
		CHECK(rcpt[i].headlen <= 4096);
		for (size_t j = 0; j < i; j++)	/* the parent refuses a user twice */
			CHECK(strcmp(rcpt[i].user, rcpt[j].user) != 0);
	}
	/* bob's copy fails when others are pending with him: the report path
	 * (parent.c's report_missed(), report.c) runs, as a stopped helper makes it. */
	for (size_t i = 0; hook && hook->missed && i < n; i++)
		if (strcmp(rcpt[i].user, "bob") == 0)
			hook->missed[i] = EIO;
	return hook ? hook->fn(hook->arg) : 0;
}

static void terminals(const struct config *cfg, const char *const *users, size_t n,
		      struct tty_status *st)
{
	CHECK(cfg->send != SEND_NEVER && n >= 1 && n <= cfg->max_rcpt);
	for (size_t i = 0; i < n; i++) {
		was_returned(users[i]);
		st[i] = (struct tty_status){ strcmp(users[i], "bob") ? TTY_OK : TTY_NOT_LOGGED_IN,
					     "pts/0" };
	}
}

void tty_check(const struct config *cfg, const char *const *users, size_t n,
	       struct tty_status *status)
{
	terminals(cfg, users, n, status);
}

void tty_write(const struct config *cfg, const char *const *users, size_t n,
	       const char *text, size_t len, struct tty_status *status)
{
	CHECK(len <= TTY_TEXT_MAX && (len == 0 || text));
	terminals(cfg, users, n, status);
}

/* A new input starts with no lookups (called by the harness through this hook). */
void parent_fake_reset(void);
void parent_fake_reset(void)
{
	nreturned = 0;
}
