/* parent.c: the privileged parent: it serves the requests of privsep.h and nothing
 * else.  Privileged side.  It never parses SMTP, decodes base64 or renders text; it
 * checks every frame as if the session process were hostile (privsep.h lists what
 * ends the session), as OpenSSH's monitor does: one table says which request is
 * served by which function with which bound, and anything else is fatal. */
#include "parent.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <arpa/inet.h>

#include "addr.h"
#include "aliases.h"
#include "dsn.h"
#include "auth.h"
#include "expand.h"
#include "frame.h"
#include "keys.h"
#include "log.h"
#include "mbox.h"
#include "privsep.h"
#include "relay.h"
#include "report.h"
#include "tty.h"
#include "ttytext.h"
#include "users.h"
#include "utf8.h"
#include "visible.h"
#include "util.h"

/* RFC 4616 2: a PLAIN field is at most 255 octets (sasl.h). */
#define AUTH_FIELD_MAX 255

/* The remote addresses of one accepted recipient, handed to the relay command in one
 * run.  dt: for a forwarded recipient (aliases, .forward) its address, for the
 * Delivered-To line that lets a loop be found (qmail-local); "" for the recipients
 * an authenticated client relays, which all share one group. */
struct relay_group {
	char dt[PATH_LEN_MAX + 1];
	struct buf addrs;	/* "a\0b\0..." */
	size_t n;
	unsigned notify;	/* their RCPT's NOTIFY (RFC 3461 4.1): relayed ones are
				 * grouped by it, as the relay command takes one -N */
	bool dsn_dropped;	/* the relay run could not hand NOTIFY on (relay.h) */
};

struct parent {
	const struct config *cfg;
	int sock;
	struct frame in, out;
	struct buf users;		/* names LOOKUP returned: "name\0name\0..." */
	struct buf pend;		/* PS_RCPT so far: struct pending[npend] */
	size_t npend;
	unsigned auth_failures;		/* counted here: the session's count is not trusted */
	unsigned tty_children;		/* terminal children started (TTY_CHILDREN_MAX) */
	bool loopback;			/* the client is on a loopback address (main.c) */
	bool authenticated;		/* an AUTH of this session succeeded, here */
	struct mbox *mbox;		/* the recipients' delivery helpers */
	bool begun;			/* PS_BEGIN came: the pending ones are being written */
	uint32_t begun_seq;		/* ... for the message with this sequence */
	const char *why;		/* why the session broke the protocol */
	char auth_user[USER_NAME_MAX + 1];	/* who that AUTH was, as PAM said */
	struct aliases *aliases;	/* read at the first lookup */
	bool aliases_read;
	bool in_mail;			/* PS_MAIL came: a transaction is open */
	char sender[PATH_LEN_MAX + 1];	/* its envelope sender, "" for <> */
	unsigned ret;			/* its RET= (enum dsn_ret, RFC 3461 4.3) */
	char envid[DSN_ENVID_MAX + 1];	/* its ENVID= decoded (RFC 3461 4.4), or "" */
	time_t arrival;			/* when PS_MAIL came (RFC 3464 2.2.5) */
	struct relay_group last;	/* the remote addresses of the last lookup */
	struct buf groups;		/* PS_ACCEPT so far: struct relay_group[ngroups] */
	size_t ngroups;
};

/* One pending recipient; its strings are copies owned here. */
struct pending {
	char user[USER_NAME_MAX + 1];
	char *head;
	size_t headlen;
	unsigned notify;	/* RFC 3461 NOTIFY (dsn.h), 0: not given */
	char *orcpt;		/* RFC 3461 ORCPT decoded, or "" */
};

/* Where the session stands, as the parent sees it (privsep.h: "pending"): each
 * request is allowed in some of these only, as OpenSSH's monitor allows each request
 * in some of its states.  begun implies pending recipients. */
enum ps_state {
	ST_IDLE = 1 << 0,	/* no recipient pending, no transaction open (PS_MAIL) */
	ST_MAIL = 1 << 1,	/* PS_MAIL opened a transaction, no recipient pending */
	ST_PENDING = 1 << 2,	/* PS_RCPT came: recipients wait for a delivery or terminal */
	ST_BEGUN = 1 << 3,	/* PS_BEGIN came: their copies are being written */
	ST_ANY = ST_IDLE | ST_MAIL | ST_PENDING | ST_BEGUN,
};

static enum ps_state state_of(const struct parent *p)
{
	return p->begun ? ST_BEGUN : p->npend ? ST_PENDING : p->in_mail ? ST_MAIL : ST_IDLE;
}

/* The contract of privsep.h, one row a request: who serves it, its payload's bound,
 * whether a descriptor comes with it, the states it is allowed in (what ends the
 * session when it comes in another, logged as order), and the type of its answer (0:
 * none; PS_MAIL's only when the sender is checked, PS_TTY_*'s one per recipient).
 * What a row cannot say (a recipient looked up, a delivery with something to
 * deliver) its function checks.  Answer types and unknown types have no row. */
struct request {
	int (*serve)(struct parent *);
	size_t max;
	bool fd;
	unsigned when;
	enum ps_type answer;
	const char *order;
};
static const struct request requests[PS_TYPE_END];

static int fatal(struct parent *p, const char *why)
{
	p->why = why;
	return -1;
}

static bool looked_up(const struct parent *p, const char *user)
{
	for (size_t off = 0; off < p->users.len; off += strlen(p->users.p + off) + 1)
		if (strcmp(p->users.p + off, user) == 0)
			return true;
	return false;
}

static void clear_pending(struct parent *p)
{
	struct pending *r = (struct pending *)p->pend.p;
	for (size_t i = 0; i < p->npend; i++) {
		free(r[i].head);
		free(r[i].orcpt);
	}
	buf_reset(&p->pend);
	p->npend = 0;
}

static void clear_groups(struct parent *p)
{
	struct relay_group *g = (struct relay_group *)p->groups.p;
	for (size_t i = 0; i < p->ngroups; i++)
		buf_free(&g[i].addrs);
	buf_reset(&p->groups);
	p->ngroups = 0;
	buf_free(&p->last.addrs);
	p->last.n = 0;
}

/* Send the answer built in p->out: of the type the table gives the request served. */
static int answer(struct parent *p)
{
	if (p->out.type != requests[p->in.type].answer)
		return fatal(p, "internal error: an answer of another type than the table's");
	return frame_send(p->sock, &p->out, -1) == -1 ? fatal(p, "link lost") : 0;
}

/* ------------------------------------------------------------ the requests */

static int serve_log(struct parent *p)
{
	struct log_field f[PS_LOG_FIELDS_MAX + 1];
	char value[PS_LOG_FIELDS_MAX][PS_LOG_VALUE_MAX + 1], line[PS_LOG_LINE_MAX + 1];
	uint32_t prio = frame_get_u32(&p->in), n = frame_get_u32(&p->in);
	if (prio > 7 || n > PS_LOG_FIELDS_MAX)
		return fatal(p, "bad log request");
	for (uint32_t i = 0; i < n; i++) {
		uint32_t key = frame_get_u32(&p->in);
		frame_get_str(&p->in, value[i], PS_LOG_VALUE_MAX);
		if (key == LF_END || key > LF_TLS)
			return fatal(p, "bad log field");
		f[i] = (struct log_field){ (enum log_key)key, value[i] };
	}
	f[n] = (struct log_field){ LF_END, NULL };
	frame_get_str(&p->in, line, PS_LOG_LINE_MAX);
	if (!frame_done(&p->in))
		return fatal(p, "malformed log request");
	log_line((int)prio, f, line);
	return 0;
}

/* The aliases file, read at the first lookup of the session; NULL when there is
 * none or it cannot be read (then *bad). */
static const struct aliases *aliases_of(struct parent *p, bool *bad)
{
	if (!p->aliases_read) {
		p->aliases_read = true;
		p->aliases = aliases_load(p->cfg->aliases);
		if (!p->aliases)
			log_msg(LOG_ERR, "--aliases %s: cannot be read: %m", p->cfg->aliases);
	}
	*bad = !p->aliases;
	return p->aliases;
}

/* Is domain (as the client wrote it, "" for RCPT TO:<postmaster>) a local one? */
static bool local_domain(const struct parent *p, const char *domain)
{
	char key[DOMAIN_MAX + 1];
	return !domain[0] || (addr_domain_key(domain, key, sizeof key) &&
			      addr_local_domain(p->cfg->domains, key));
}

/* What local@domain resolves to, into x (users and remote addresses); the parent's
 * own checks, whatever the session decided: another domain only after AUTH. */
static enum lookup resolve(struct parent *p, const char *local, const char *domain,
			   struct expansion *x)
{
	char addr[PATH_LEN_MAX + DOMAIN_MAX + 2];
	bool bad;
	snprintf(addr, sizeof addr, "%s@%s", local, domain);	/* relay_address_ok() bounds it */
	if (!local_domain(p, domain) || strpbrk(local, "%!@")) {	/* no source routes */
		if (!p->authenticated || !relay_address_ok(addr) || !domain[0] ||
		    domain[0] == '[')	/* no address literal (envelope.c) */
			return LOOKUP_RELAY_DENIED;
		buf_add(&x->remote, addr, strlen(addr) + 1);
		x->nremote = 1;
		return LOOKUP_OK;
	}
	struct expand_ctx c = { p->cfg, aliases_of(p, &bad), p->mbox };
	return bad ? LOOKUP_TEMPFAIL : expand_local(&c, local, x);
}

static int serve_lookup(struct parent *p)
{
	char local[PATH_LEN_MAX + 1], domain[DOMAIN_MAX + 1];	/* quoted: 64 and more */
	struct expansion x = { BUF_INIT, 0, BUF_INIT, 0 };
	frame_get_str(&p->in, local, PATH_LEN_MAX);
	frame_get_str(&p->in, domain, DOMAIN_MAX);
	if (!frame_done(&p->in))
		return fatal(p, "malformed or out-of-order lookup");
	enum lookup r = resolve(p, local, domain, &x);
	if (r != LOOKUP_OK)
		expand_free(&x);
	buf_free(&p->last.addrs);	/* the last one was not accepted */
	p->last = (struct relay_group){ .addrs = x.remote, .n = x.nremote };
	char dt[PATH_LEN_MAX + DOMAIN_MAX + 2];
	snprintf(dt, sizeof dt, domain[0] ? "%s@%s" : "%s", local, domain);
	if (local_domain(p, domain) && !strpbrk(local, "%!@") && strlen(dt) <= PATH_LEN_MAX)
		memcpy(p->last.dt, dt, strlen(dt) + 1);	/* forwarded */
	x.remote = (struct buf)BUF_INIT;
	frame_begin(&p->out, PS_LOOKUP_ANS);
	frame_put_u32(&p->out, r);
	frame_put_u32(&p->out, (uint32_t)x.nusers);
	for (size_t off = 0; off < x.users.len; off += strlen(x.users.p + off) + 1) {
		const char *user = x.users.p + off;
		if (!looked_up(p, user))
			buf_add(&p->users, user, strlen(user) + 1);
		frame_put_str(&p->out, user);
	}
	frame_put_u32(&p->out, (uint32_t)p->last.n);
	frame_put_str(&p->out, p->last.n ? p->last.addrs.p : "");
	expand_free(&x);
	return answer(p);
}

/* Add addr to g's addresses unless it is there already. */
static void group_add(struct relay_group *g, const char *addr)
{
	for (size_t off = 0; off < g->addrs.len; off += strlen(g->addrs.p + off) + 1)
		if (strcasecmp(g->addrs.p + off, addr) == 0)
			return;
	buf_add(&g->addrs, addr, strlen(addr) + 1);
	g->n++;
}

/* PS_ACCEPT: the recipient looked up last joins the message with its remote
 * addresses: a forwarded one as a group of its own (its Delivered-To), a relayed one
 * into the one group of relayed recipients. */
static int serve_accept(struct parent *p)
{
	char orcpt[DSN_ORCPT_MAX + 1];
	uint32_t notify = frame_get_u32(&p->in);
	frame_get_str(&p->in, orcpt, DSN_ORCPT_MAX);	/* not passed on (relay.h) */
	if (!frame_done(&p->in) || !p->in_mail || !p->last.n)
		return fatal(p, "malformed or out-of-order accept");
	if (!dsn_notify_ok(notify) || (orcpt[0] && !dsn_orcpt_ok(orcpt)))
		return fatal(p, "malformed DSN parameters");
	p->last.notify = notify;
	if (p->ngroups >= p->cfg->max_rcpt)
		return fatal(p, "too many recipients");
	struct relay_group *g = (struct relay_group *)p->groups.p;
	size_t i = 0;
	while (i < p->ngroups && (p->last.dt[0] || g[i].dt[0] || g[i].notify != notify))
		i++;
	if (i < p->ngroups) {	/* relayed, and the group of relayed ones exists */
		group_add(&g[i], p->last.addrs.p);
		buf_free(&p->last.addrs);
	} else {
		buf_add(&p->groups, &p->last, sizeof p->last);
		p->ngroups++;
	}
	p->last = (struct relay_group){ .addrs = BUF_INIT };
	return 0;
}

/* Does the authenticated user own sender (local@domain)?  Postfix's
 * reject_sender_login_mismatch with the aliases as its login map: their own name in a
 * local domain, or an alias that resolves to them (.forward files do not count: a
 * user cannot make an address theirs).  The null sender is anyone's (bounces). */
static bool owns(struct parent *p, const char *sender)
{
	const char *at = strrchr(sender, '@');
	char local[LOCAL_PART_MAX + 1];
	bool bad;
	if (!sender[0])
		return true;
	if (!at || !local_domain(p, at + 1) || (size_t)(at - sender) > LOCAL_PART_MAX)
		return false;
	snprintf(local, sizeof local, "%.*s", (int)(at - sender), sender);
	if (strcasecmp(local, p->auth_user) == 0)
		return true;
	struct expansion x = { BUF_INIT, 0, BUF_INIT, 0 };
	struct expand_ctx c = { p->cfg, aliases_of(p, &bad), NULL };
	bool mine = !bad && expand_local(&c, local, &x) == LOOKUP_OK &&
		    expand_has_user(&x, p->auth_user);
	expand_free(&x);
	return mine;
}

/* PS_MAIL: a transaction starts; for an authenticated client, the sender must be its
 * own (unless --any-sender), and only then is there an answer. */
static int serve_mail(struct parent *p)
{
	char sender[PATH_LEN_MAX + 1];
	frame_get_str(&p->in, sender, PATH_LEN_MAX);
	p->ret = frame_get_u32(&p->in);
	frame_get_str(&p->in, p->envid, DSN_ENVID_MAX);
	if (!frame_done(&p->in))
		return fatal(p, "malformed or out-of-order MAIL");
	if (p->ret > DSN_RET_HDRS || !dsn_envid_ok(p->envid))
		return fatal(p, "malformed DSN parameters");
	p->arrival = time(NULL);
	clear_groups(p);
	bool check = p->authenticated && !p->cfg->any_sender, ok = !check || owns(p, sender);
	if (!ok)	/* as many as --max-errors allows: a budget (log.h) */
		log_bulk_msg(LOG_NOTICE, "MAIL FROM:<%s> refused: not an address of user %s",
			     sender, p->auth_user);
	p->in_mail = ok;
	snprintf(p->sender, sizeof p->sender, "%s", ok ? sender : "");
	if (!check)
		return 0;
	frame_begin(&p->out, PS_MAIL_ANS);
	frame_put_u32(&p->out, ok);
	return answer(p);
}

/* Every answer but AUTHN_OK is held back until --auth-delay after the request came
 * (SIGTERM cuts the pause short): an unknown user and a wrong password for a real one
 * take the same time, however long PAM took (pam_unix hashes only for real users),
 * and the session process, which could time the answer itself, learns nothing.  This
 * is the place to time it: PAM runs here, and the session is not trusted.  A bound
 * the client controls it is not: --auth-delay is at most 60 s. */
static void auth_pad(const struct deadline *until)
{
	(void)deadline_sleep(until);	/* the parent's one signal handler is SIGTERM's */
}

static int serve_auth(struct parent *p)
{
	char user[AUTH_FIELD_MAX + 1], pass[AUTH_FIELD_MAX + 1], rhost[INET6_ADDRSTRLEN];
	char canon[USER_NAME_MAX + 1] = "";
	struct deadline until;
	deadline_in(&until, p->cfg->auth_delay_ms);
	frame_get_str(&p->in, user, AUTH_FIELD_MAX);
	frame_get_str(&p->in, pass, AUTH_FIELD_MAX);
	frame_get_str(&p->in, rhost, sizeof rhost - 1);
	bool ok = frame_done(&p->in);
	frame_clear(&p->in);	/* the password's copy in the frame */
	int rc = 0;
	if (!ok)
		rc = fatal(p, "malformed or out-of-order AUTH");
	else if (p->cfg->auth == AUTH_NEVER)
		rc = fatal(p, "AUTH with --auth never");
	else if (p->auth_failures >= AUTH_MAX_FAILURES)	/* the session should have ended */
		rc = fatal(p, "AUTH after too many failures");
	else if (!utf8_user_name_ok(user))	/* the session refuses these: 535 */
		rc = fatal(p, "unsafe user name in AUTH");
	enum authn r = AUTHN_FAIL;
	if (rc == 0 && pass[0])
		r = auth_pam(p->cfg->pam_service, user, pass, rhost[0] ? rhost : NULL, canon);
	explicit_bzero(pass, sizeof pass);
	if (rc)
		return rc;
	if (r != AUTHN_OK)
		auth_pad(&until);
	if (r == AUTHN_FAIL)
		p->auth_failures++;
	if (r == AUTHN_OK) {
		p->authenticated = true;
		snprintf(p->auth_user, sizeof p->auth_user, "%s", canon);
	}
	if (r != AUTHN_OK)
		canon[0] = '\0';
	frame_begin(&p->out, PS_AUTH_ANS);
	frame_put_u32(&p->out, r);
	frame_put_str(&p->out, canon);
	return answer(p);
}

static int serve_rcpt(struct parent *p)
{
	struct pending r;
	size_t n;
	frame_get_str(&p->in, r.user, USER_NAME_MAX);
	const char *head = frame_get_bytes(&p->in, PS_HEAD_MAX, &n);
	char orcpt[DSN_ORCPT_MAX + 1];
	r.notify = frame_get_u32(&p->in);
	frame_get_str(&p->in, orcpt, DSN_ORCPT_MAX);
	if (!frame_done(&p->in))
		return fatal(p, "malformed recipient");
	if (!dsn_notify_ok(r.notify) || (orcpt[0] && !dsn_orcpt_ok(orcpt)))
		return fatal(p, "malformed DSN parameters");
	if (!looked_up(p, r.user))
		return fatal(p, "recipient never looked up");
	const struct pending *q = (const struct pending *)p->pend.p;
	for (size_t i = 0; i < p->npend; i++)	/* the session sends each user once */
		if (strcmp(q[i].user, r.user) == 0)
			return fatal(p, "the same recipient twice");
	if (p->npend >= p->cfg->max_rcpt)
		return fatal(p, "too many recipients");
	if (!(r.head = malloc(n + 1)) || !(r.orcpt = strdup(orcpt))) {
		free(r.head);
		return fatal(p, "out of memory");
	}
	memcpy(r.head, head, n);
	r.headlen = n;
	buf_add(&p->pend, &r, sizeof r);
	p->npend++;
	return 0;
}

/* PS_CHECK: a looked-up user's mailbox, for a message of the declared size. */
static int serve_check(struct parent *p)
{
	char user[USER_NAME_MAX + 1];
	frame_get_str(&p->in, user, USER_NAME_MAX);
	uint64_t size = frame_get_u64(&p->in);
	if (!frame_done(&p->in))
		return fatal(p, "malformed or out-of-order mailbox check");
	if (!looked_up(p, user))
		return fatal(p, "mailbox check for a user never looked up");
	if (size > p->cfg->max_size)	/* MAIL refuses such a SIZE (RFC 1870 6.1) */
		return fatal(p, "mailbox check over --max-size");
	enum mailbox r = mbox_check(p->mbox, user, size);
	frame_begin(&p->out, PS_CHECK_ANS);
	frame_put_u32(&p->out, r);
	return answer(p);
}

/* The pending recipients as mbox.c takes them (pointing into p->pend), or NULL. */
static struct priv_rcpt *mailbox_rcpts(struct parent *p)
{
	struct pending *r = (struct pending *)p->pend.p;
	struct priv_rcpt *pr = calloc(p->npend, sizeof *pr);
	for (size_t i = 0; pr && i < p->npend; i++)
		pr[i] = (struct priv_rcpt){ r[i].user, r[i].head, r[i].headlen, r[i].notify,
					    r[i].orcpt };
	return pr;
}

/* The spool must be a regular file with the declared bytes; a memory file that could
 * be sealed must be, so that it cannot shrink or change while it is delivered (a
 * shorter file only fails the delivery: copies stop at its end). */
static const char *bad_spool(int fd, uint64_t size)
{
	struct stat st;
	if (fd == -1)
		return "delivery without a spool";
	if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode))
		return "spool is not a regular file";
	if ((uint64_t)st.st_size < size)
		return "spool smaller than declared";
	/* -1: no seals on this file system; F_SEAL_SEAL alone: a memory file that was made
	 * unsealable (MFD_ALLOW_SEALING not given, or tmpfs), as good as a regular file. */
	int seals = fcntl(fd, F_GET_SEALS);
	int need = F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE;
	if (seals != -1 && seals != F_SEAL_SEAL && (seals & need) != need)
		return "spool memfd not sealed";
	return NULL;
}

/* The hand-off of one message to the relay command, group by group, and the
 * report of the recipients it missed (missed: an errno value per pending one). */
struct handoff {
	struct parent *p;
	int spool;
	off_t size;
	const char *id, *head;
	size_t headlen;
	enum relay_result result;
	int *missed;
};

/* Each group's run: its Delivered-To line (if forwarded), the session's Received
 * block, the message.  Stops at the first that does not take it; a group handed off
 * before that one stays handed off (logged: a retry duplicates it there). */
static int run_relays(void *arg)
{
	struct handoff *h = arg;
	struct parent *p = h->p;
	struct relay_group *g = (struct relay_group *)p->groups.p;
	if (p->sender[0] && !relay_address_ok(p->sender)) {
		log_msg(LOG_ERR, "%s: sender <%s> cannot be given to the relay command", h->id,
			p->sender);
		h->result = RELAY_FAIL;
	}
	for (size_t i = 0; i < p->ngroups && h->result == RELAY_OK; i++) {
		const char **rcpt = calloc(g[i].n, sizeof *rcpt);
		size_t n = 0;
		for (size_t off = 0; rcpt && n < g[i].n; off += strlen(g[i].addrs.p + off) + 1)
			rcpt[n++] = g[i].addrs.p + off;
		struct buf head = BUF_INIT;
		if (g[i].dt[0]) {	/* shown as trace.c shows it for a mailbox */
			buf_adds(&head, "Delivered-To: ");
			put_visible(&head, g[i].dt);
			buf_adds(&head, "\n");
		}
		buf_add(&head, h->head, h->headlen);
		struct relay_job j = { p->sender, rcpt, n, head.p, head.len, h->spool, h->size,
				       h->id, g[i].notify, p->ret, p->envid, &g[i].dsn_dropped };
		h->result = rcpt ? relay_run(p->cfg, &j) : RELAY_TEMPFAIL;
		free(rcpt);
		buf_free(&head);
		if (h->result != RELAY_OK && i)
			log_msg(LOG_WARNING, "%s: %zu of %zu relay runs took the message before "
				"one failed: a retry sends it there again", h->id, i, p->ngroups);
	}
	return h->result == RELAY_OK ? 0 : h->result == RELAY_TEMPFAIL ? EAGAIN : EPERM;
}

/* The pending recipients that did not get the message while others did: their
 * sender is told (report.h), or, for the null sender, who is never sent a report
 * (RFC 5321 6.1, RFC 3461 6.2), the log says their copy is lost.  0, or an errno
 * value when the report could not be handed on (then nothing is committed). */
static int report_missed(struct handoff *h)
{
	struct parent *p = h->p;
	const struct pending *r = (const struct pending *)p->pend.p;
	struct report_rcpt *rr = calloc(p->npend, sizeof *rr);
	size_t n = 0;
	if (!rr)
		return ENOMEM;
	/* RFC 3461 4.1: a failure is reported unless NOTIFY was given without FAILURE
	 * (NEVER, or SUCCESS or DELAY alone); no report is sent about a report. */
	bool allowed = p->sender[0] && report_allowed(h->spool, h->size);
	for (size_t i = 0; i < p->npend; i++)
		if (h->missed[i] && allowed && (!r[i].notify || r[i].notify & DSN_FAILURE))
			rr[n++] = (struct report_rcpt){ r[i].user, r[i].head, r[i].headlen,
							h->missed[i], NULL, r[i].orcpt };
		else if (h->missed[i])
			log_msg(LOG_ERR, "%s: user=%s did not get it (%s); %s: that copy is lost",
				h->id, r[i].user, strerror(h->missed[i]), !p->sender[0] ?
				"the null sender gets no report" : !allowed ? "the message is a "
				"report, which is not reported on" : "its NOTIFY asked for no report");
	int err = 0;
	if (n) {
		struct report_job j = { p->sender, h->id, h->spool, h->size, rr, n, false,
					p->ret, p->envid, p->arrival };
		err = report_send(p->cfg, &j);
	}
	for (size_t i = 0; i < n && !err; i++)
		log_msg(LOG_ERR, "%s: user=%s did not get it (%s), reported to the sender", h->id,
			rr[i].user, strerror(rr[i].err));
	free(rr);
	return err;
}

/* Once the mailboxes' copies are prepared (mbox_hook): the relay command's groups,
 * then the report of any recipient whose copy failed. */
static int after_prepare(void *arg)
{
	struct handoff *h = arg;
	int err = h->p->ngroups ? run_relays(h) : 0;
	return err || !h->missed ? err : report_missed(h);
}

/* RFC 3461 4.1 NOTIFY=SUCCESS: after a delivery, one report for the message, listing
 * the mailboxes that got it ("delivered") and the relayed addresses of recipients
 * that asked, when the relay run could not hand their NOTIFY on ("relayed", RFC 3464
 * 2.3.3; when it could, the MTA reports instead).  Never to <>, never about a
 * report.  The message is delivered whatever becomes of this: a report the relay
 * command does not take is logged (report_send()). */
static void report_success(struct parent *p, const struct handoff *h)
{
	const struct pending *r = (const struct pending *)p->pend.p;
	const struct relay_group *g = (const struct relay_group *)p->groups.p;
	struct buf list = BUF_INIT;
	for (size_t i = 0; i < p->npend; i++) {
		if (!(r[i].notify & DSN_SUCCESS) || (h->missed && h->missed[i]))
			continue;
		struct report_rcpt rr = { r[i].user, r[i].head, r[i].headlen, 0, NULL, r[i].orcpt };
		buf_add(&list, &rr, sizeof rr);
	}
	for (size_t i = 0; i < p->ngroups; i++)
		for (size_t off = 0; g[i].notify & DSN_SUCCESS && g[i].dsn_dropped &&
		     off < g[i].addrs.len;
		     off += strlen(g[i].addrs.p + off) + 1) {
			struct report_rcpt rr = { NULL, NULL, 0, 0, g[i].addrs.p + off, "" };
			buf_add(&list, &rr, sizeof rr);
		}
	size_t n = list.len / sizeof(struct report_rcpt);
	if (n && p->sender[0] && report_allowed(h->spool, h->size)) {
		struct report_job j = { p->sender, h->id, h->spool, h->size,
					(const struct report_rcpt *)list.p, n, true, p->ret,
					p->envid, p->arrival };
		(void)report_send(p->cfg, &j);
	}
	buf_free(&list);
}

/* PS_DELIVER_ANS: err, the relay's result, and a bit per pending recipient that did
 * not get the message when the others did (empty when none). */
static int answer_delivery(struct parent *p, int err, enum relay_result relay,
			   const int *missed, size_t n)
{
	unsigned char bits[PS_MISSED_MAX] = { 0 };
	size_t len = 0;
	for (size_t i = 0; missed && i < n; i++)
		if (missed[i]) {
			bits[i / 8] |= (unsigned char)(1u << (i % 8));
			len = (n + 7) / 8;
		}
	frame_begin(&p->out, PS_DELIVER_ANS);
	frame_put_u32(&p->out, (uint32_t)err);
	frame_put_u32(&p->out, (uint32_t)relay);
	frame_put_bytes(&p->out, (const char *)bits, len);
	return answer(p);
}

/* A message id as trace.c makes them: letters, digits and dots. */
static bool id_ok(const char *id)
{
	if (!id[0])
		return false;
	for (; *id; id++)
		if (!(*id >= '0' && *id <= '9') && !(*id >= 'A' && *id <= 'Z') &&
		    !(*id >= 'a' && *id <= 'z') && *id != '.')
			return false;
	return true;
}

static int serve_deliver(struct parent *p)
{
	char id[PS_ID_MAX + 1];
	size_t headlen;
	uint64_t size = frame_get_u64(&p->in);
	uint32_t seq = frame_get_u32(&p->in);
	frame_get_str(&p->in, id, PS_ID_MAX);
	const char *head = frame_get_bytes(&p->in, PS_HEAD_MAX, &headlen);
	const char *bad = bad_spool(p->in.fd, size);
	if (!frame_done(&p->in) || !(p->npend || p->ngroups))
		return fatal(p, "malformed or out-of-order delivery");
	if (!id_ok(id))	/* it goes into a report's header fields (report.c) */
		return fatal(p, "malformed message id");
	if (bad)
		return fatal(p, bad);
	if (size > p->cfg->max_size)
		return fatal(p, "message over --max-size");
	if (p->begun && seq != p->begun_seq)
		return fatal(p, "delivery of another message than the one begun");
	if (p->ngroups && !headlen)
		return fatal(p, "relay without a trace header block");
	p->begun = false;
	/* With more than one mailbox, one that fails costs only its own copy. */
	int *missed = p->npend > 1 ? calloc(p->npend, sizeof *missed) : NULL;
	if (p->npend > 1 && !missed)
		return fatal(p, "out of memory");
	struct handoff h = { p, p->in.fd, (off_t)size, id, head, headlen, RELAY_OK, missed };
	struct mbox_hook hook = { after_prepare, &h, missed };
	int err;
	if (p->npend) {
		struct priv_rcpt *pr = mailbox_rcpts(p);
		if (!pr) {
			free(missed);
			return fatal(p, "out of memory");
		}
		err = mbox_deliver(p->mbox, p->in.fd, (off_t)size, pr, p->npend, seq,
				   p->ngroups || missed ? &hook : NULL);
		free(pr);
	} else {
		err = run_relays(&h);
	}
	if (h.result != RELAY_OK)
		err = 0;	/* the relay's answer is the one that counts */
	else if (!err)
		report_success(p, &h);
	size_t n = p->npend;
	clear_pending(p);
	clear_groups(p);
	p->in_mail = false;
	int rc = answer_delivery(p, err, h.result, err || h.result != RELAY_OK ? NULL : missed, n);
	free(missed);
	return rc;
}

/* --send, checked again on what the parent knows itself: the address it found
 * (main.c) and the AUTH it answered (the session refuses these with 530 first). */
static bool send_allowed(const struct parent *p)
{
	switch (p->cfg->send) {
	case SEND_ANY: return true;
	case SEND_AUTH: return p->authenticated || p->loopback;
	case SEND_LOCAL: return p->loopback;
	default: return false;
	}
}

/* PS_BEGIN: the pending recipients' copies are begun while the message arrives.  The
 * spool grows until PS_DELIVER, so it need only be a regular file here. */
static int serve_begin(struct parent *p)
{
	uint32_t seq = frame_get_u32(&p->in);
	struct stat st;
	if (!frame_done(&p->in))
		return fatal(p, "malformed or out-of-order begin");
	if (fstat(p->in.fd, &st) == -1 || !S_ISREG(st.st_mode))
		return fatal(p, "spool is not a regular file");
	const struct pending *r = (const struct pending *)p->pend.p;
	for (size_t i = 0; i < p->npend; i++)
		if (!r[i].headlen)
			return fatal(p, "begin without a header block");
	struct priv_rcpt *pr = mailbox_rcpts(p);
	if (!pr)
		return fatal(p, "out of memory");
	mbox_begin(p->mbox, p->in.fd, pr, p->npend, seq);
	free(pr);
	p->begun = true;
	p->begun_seq = seq;
	return 0;
}

/* PS_MORE: the begun message's spool has grown to size bytes. */
static int serve_more(struct parent *p)
{
	uint64_t size = frame_get_u64(&p->in);
	if (!frame_done(&p->in))
		return fatal(p, "malformed or out-of-order progress");
	if (size > p->cfg->max_size)
		return fatal(p, "message over --max-size");
	mbox_more(p->mbox, size);
	return 0;
}

/* PS_DISCARD: the begun message was refused; its copies are dropped. */
static int serve_discard(struct parent *p)
{
	if (!frame_done(&p->in))
		return fatal(p, "malformed or out-of-order discard");
	mbox_discard(p->mbox);
	clear_pending(p);
	p->begun = false;
	return 0;
}

/* PS_TTY_CHECK and PS_TTY_WRITE: one answer per pending recipient. */
static int serve_tty(struct parent *p)
{
	size_t len = 0;
	const char *text = p->in.type == PS_TTY_WRITE
		? frame_get_bytes(&p->in, TTY_TEXT_MAX, &len) : NULL;
	if (!frame_done(&p->in))
		return fatal(p, "malformed or out-of-order terminal request");
	/* Only what the renderer makes reaches a terminal (ttytext.h): no escape
	 * sequence, no row that looks like our own, whatever the session sends. */
	const char *bad = text ? ttytext_check(text, len) : NULL;
	if (bad)
		return fatal(p, bad);
	if (!send_allowed(p))
		return fatal(p, "terminal request --send does not allow this client");
	if (p->npend > TTY_CHILDREN_MAX - p->tty_children)	/* the session should refuse */
		return fatal(p, "too many terminal children");
	p->tty_children += (unsigned)p->npend;
	struct pending *r = (struct pending *)p->pend.p;
	const char **users = calloc(p->npend, sizeof *users);
	struct tty_status *st = calloc(p->npend, sizeof *st);
	if (!users || !st) {
		free(users), free(st);
		return fatal(p, "out of memory");
	}
	int rc = 0;
	for (size_t i = 0; i < p->npend; i++) {
		users[i] = r[i].user;
		if (r[i].headlen)
			rc = fatal(p, "header block for a terminal");
	}
	if (rc == 0 && text)
		tty_write(p->cfg, users, p->npend, text, len, st);
	else if (rc == 0)
		tty_check(p->cfg, users, p->npend, st);
	for (size_t i = 0; i < p->npend && rc == 0; i++) {
		frame_begin(&p->out, PS_TTY_ANS);
		frame_put_u32(&p->out, st[i].result);
		frame_put_str(&p->out, st[i].line);
		rc = answer(p);
	}
	free(users), free(st);
	clear_pending(p);
	return rc;
}

/* PS_TLS_KEYS and PS_SIGN: the TLS keys stay here (keys.c). */
static int serve_keys(struct parent *p)
{
	const char *bad = keys_serve(&p->in, &p->out);
	return bad ? fatal(p, bad) : answer(p);
}

/* ------------------------------------------------------------- the table */

static const struct request requests[PS_TYPE_END] = {
	[PS_LOG] = { serve_log, 8 + PS_LOG_FIELDS_MAX * (8 + PS_LOG_VALUE_MAX) +
				4 + PS_LOG_LINE_MAX, false, ST_ANY, 0, NULL },
	[PS_MAIL] = { serve_mail, 4 + PATH_LEN_MAX + 4 + 4 + DSN_ENVID_MAX, false, ST_IDLE | ST_MAIL, PS_MAIL_ANS,
		      "malformed or out-of-order MAIL" },
	[PS_LOOKUP] = { serve_lookup, 8 + PATH_LEN_MAX + DOMAIN_MAX, false, ST_MAIL,
			PS_LOOKUP_ANS, "malformed or out-of-order lookup" },
	[PS_ACCEPT] = { serve_accept, 4 + 4 + DSN_ORCPT_MAX, false, ST_MAIL | ST_PENDING, 0,
			"malformed or out-of-order accept" },
	[PS_AUTH] = { serve_auth, 3 * 4 + 2 * AUTH_FIELD_MAX + INET6_ADDRSTRLEN, false,
		      ST_IDLE | ST_MAIL, PS_AUTH_ANS, "malformed or out-of-order AUTH" },
	[PS_CHECK] = { serve_check, 4 + USER_NAME_MAX + 8, false, ST_IDLE | ST_MAIL,
		       PS_CHECK_ANS, "malformed or out-of-order mailbox check" },
	[PS_RCPT] = { serve_rcpt, 8 + USER_NAME_MAX + PS_HEAD_MAX + 4 + 4 + DSN_ORCPT_MAX, false,
		      ST_IDLE | ST_MAIL | ST_PENDING, 0, "recipient after the copies were begun" },
	[PS_BEGIN] = { serve_begin, 4, true, ST_PENDING, 0, "malformed or out-of-order begin" },
	[PS_MORE] = { serve_more, 8, false, ST_BEGUN, 0, "malformed or out-of-order progress" },
	[PS_DISCARD] = { serve_discard, 0 + 1, false, ST_BEGUN, 0,
			 "malformed or out-of-order discard" },
	[PS_DELIVER] = { serve_deliver, 8 + 4 + 4 + PS_ID_MAX + 4 + PS_HEAD_MAX, true,
			 ST_MAIL | ST_PENDING | ST_BEGUN, PS_DELIVER_ANS,
			 "malformed or out-of-order delivery" },
	[PS_TTY_CHECK] = { serve_tty, 0 + 1, false, ST_PENDING | ST_BEGUN, PS_TTY_ANS,
			   "malformed or out-of-order terminal request" },
	[PS_TTY_WRITE] = { serve_tty, 4 + TTY_TEXT_MAX, false, ST_PENDING | ST_BEGUN, PS_TTY_ANS,
			   "malformed or out-of-order terminal request" },
	[PS_TLS_KEYS] = { serve_keys, 0 + 1, false, ST_IDLE, PS_TLS_KEYS_ANS,
			  "TLS keys asked for after the session began" },
	[PS_SIGN] = { serve_keys, 8 + 4 + PS_SIGN_DATA_MAX, false, ST_IDLE | ST_MAIL, PS_SIGN_ANS,
		      "a signature asked for with recipients pending" },
};

/* The payload bound of a request type, 0 for a type that is no request.  (An empty
 * payload, PS_TTY_CHECK's, is allowed by a bound of 1.) */
static size_t limit(uint16_t type)
{
	return type < PS_TYPE_END && requests[type].serve ? requests[type].max : 0;
}

int parent_serve(const struct config *cfg, int sock, bool loopback, const char **why)
{
	struct parent p = { .cfg = cfg, .sock = sock, .in = FRAME_INIT, .out = FRAME_INIT,
			    .loopback = loopback, .mbox = mbox_open(cfg) };
	int rc = p.mbox ? 0 : fatal(&p, "out of memory");
	while (rc == 0) {
		if (frame_recv(sock, &p.in, 0, limit) == -1) {
			if (errno != 0)
				rc = fatal(&p, errno == EPROTO
					   ? "malformed, oversized, unknown or cut-short frame"
					   : "link lost");
			break;	/* errno 0: the session closed the link, its normal end */
		}
		const struct request *r = &requests[p.in.type];
		if (r->fd != (p.in.fd != -1))
			rc = fatal(&p, r->fd ? "delivery without a spool" : "descriptor where none belongs");
		else if (!(r->when & state_of(&p)))
			rc = fatal(&p, r->order);
		else
			rc = r->serve(&p);
		frame_clear(&p.in);
	}
	*why = p.why;
	log_bulk_end_session();	/* the dropped targets not logged, counted in one line */
	mbox_close(p.mbox);
	clear_pending(&p);
	clear_groups(&p);
	buf_free(&p.groups);
	aliases_free(p.aliases);
	buf_free(&p.pend);
	buf_free(&p.users);
	frame_free(&p.in);
	frame_free(&p.out);
	return rc;
}
