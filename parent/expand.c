/* expand.c: a recipient's local part into mailboxes and remote addresses (expand.h).
 * Privileged side: it runs in the parent, which alone reads the aliases file and the
 * user database; a ~/.forward is read by the user's own helper (mbox_forward()).
 *
 * The rules are sendmail's, as Postfix local(8) keeps them: aliases apply to every
 * local name; a user's ~/.forward replaces the mailbox unless it names "\user"; a
 * local name reached again on its own path is delivered to the user without looking
 * further (so "alice: alice, bob" and a .forward naming its owner work), and if no
 * user has that name the path is a loop and goes nowhere. */
#include "expand.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "addr.h"
#include "aliases.h"
#include "forward.h"
#include "log.h"
#include "mbox.h"
#include "relay.h"
#include "users.h"

/* One expansion under way. */
struct walk {
	const struct expand_ctx *c;
	struct expansion *x;
	const char *path[ALIAS_DEPTH_MAX + 2];	/* the names from the address to here */
	unsigned depth;
	enum lookup fail;	/* the worst answer for a part that went nowhere */
	bool temp;		/* a part must be tried again later: 451 for all */
	bool loop;		/* a part was a loop or too deep */
	bool full;		/* more than EXPAND_TARGETS_MAX: the walk stops, the
				 * address is refused (never accepted in part) */
};

static bool in_list(const struct buf *b, const char *s)
{
	for (size_t off = 0; off < b->len; off += strlen(b->p + off) + 1)
		if (strcasecmp(b->p + off, s) == 0)
			return true;
	return false;
}

bool expand_has_user(const struct expansion *x, const char *user)
{
	return in_list(&x->users, user);
}

void expand_free(struct expansion *x)
{
	buf_free(&x->users);
	buf_free(&x->remote);
	x->nusers = x->nremote = 0;
}

/* Room for one more user or address?  Else the expansion is over the limit and stops
 * (expand_local() refuses the address, config.h EXPAND_TARGETS_MAX). */
static bool room(struct walk *w)
{
	if (w->x->nusers + w->x->nremote < EXPAND_TARGETS_MAX)
		return true;
	w->full = true;
	return false;
}

static void add_user(struct walk *w, const char *user)
{
	if (!in_list(&w->x->users, user) && room(w)) {
		buf_add(&w->x->users, user, strlen(user) + 1);
		w->x->nusers++;
	}
}

static void add_remote(struct walk *w, const char *addr)
{
	if (!relay_address_ok(addr)) {
		log_bulk_msg(LOG_WARNING, "%s: target <%s> is no address the relay command may "
			     "be given, dropped", w->path[0], addr);
		return;
	}
	if (!in_list(&w->x->remote, addr) && room(w)) {
		buf_add(&w->x->remote, addr, strlen(addr) + 1);
		w->x->nremote++;
	}
}

static void note_failure(struct walk *w, enum lookup r)
{
	if (r == LOOKUP_TEMPFAIL)
		w->temp = true;
	else if (w->fail == LOOKUP_OK || w->fail == LOOKUP_NOUSER)
		w->fail = r;
}

/* The mailbox of the user called name, with no alias or .forward looked at. */
static void direct(struct walk *w, const char *name)
{
	char user[USER_NAME_MAX + 1];
	enum lookup r = users_lookup(w->c->cfg, name, user);
	if (r == LOOKUP_OK)
		add_user(w, user);
	else if (r == LOOKUP_NOUSER)
		log_bulk_msg(LOG_WARNING, "%s: target \\%s: no such user, dropped", w->path[0],
			     name);
	if (r != LOOKUP_OK)
		note_failure(w, r);
}

static void expand_name(struct walk *w, const char *name);

/* A target that is a name or an address: a local one is a name again (RFC 5321 2.3.5:
 * the local domains; no routing through the local part), another domain's is handed
 * on. */
static void expand_target(struct walk *w, char *t)
{
	char *at = strrchr(t, '@');
	char key[DOMAIN_MAX + 1];
	if (!at) {
		expand_name(w, t);
	} else if (addr_domain_key(at + 1, key, sizeof key) &&
		   addr_local_domain(w->c->cfg->domains, key) && !strpbrk(t, "%!")) {
		*at = '\0';
		if (t[0] && !strchr(t, '@'))
			expand_name(w, t);
	} else {
		add_remote(w, t);
	}
}

/* A list of targets (an alias's, or a .forward's) of the name last on the path. */
static void expand_list(struct walk *w, const char *list)
{
	char t[PATH_LEN_MAX + 1];
	bool cut;
	while (!w->full && aliases_next_target(&list, t, sizeof t, &cut)) {
		const char *owner = w->path[w->depth - 1];
		if (cut || !t[0]) {
			log_bulk_msg(LOG_WARNING, "%s: a target of %s is too long, dropped",
				     w->path[0], owner);
		} else if (t[0] == '|' || t[0] == '/' || strncasecmp(t, ":include:", 9) == 0) {
			/* Programs, files and included lists would run or write as root, or as a
			 * user on the word of a file: not here (doc/deploy.md, "Aliases"). */
			log_bulk_msg(LOG_WARNING, "%s: target \"%s\" of %s refused: pipes, files "
				     "and :include: are not delivered by smtp-session", w->path[0], t,
				     owner);
		} else if (t[0] == '\\') {	/* "\user": that mailbox, no further */
			char *at = strchr(t + 1, '@');
			if (at)
				*at = '\0';
			direct(w, t + 1);
		} else {
			expand_target(w, t);
		}
	}
}

/* The user's ~/.forward, or the mailbox. */
static void user_or_forward(struct walk *w, const char *user)
{
	struct buf text = BUF_INIT;
	enum forward f = w->c->mbox ? mbox_forward(w->c->mbox, user, &text) : FORWARD_NONE;
	if (f == FORWARD_TEMPFAIL)
		w->temp = true;
	else if (f != FORWARD_OK || !text.len)
		add_user(w, user);
	else {
		buf_addc(&text, '\0');
		/* A comment line ('#' first) is blanked out. */
		for (char *l = text.p; l && *l; l = strchr(l, '\n'), l = l ? l + 1 : NULL)
			if (*l == '#')
				for (char *e = l; *e && *e != '\n'; e++)
					*e = ' ';
		w->path[w->depth++] = user;
		expand_list(w, text.p);
		w->depth--;
	}
	buf_free(&text);
}

static bool on_path(const struct walk *w, const char *name)
{
	for (unsigned i = 0; i < w->depth; i++)
		if (strcasecmp(w->path[i], name) == 0)
			return true;
	return false;
}

static void expand_name(struct walk *w, const char *raw)
{
	char name[LOCAL_PART_MAX + 1], user[USER_NAME_MAX + 1];
	size_t i;
	for (i = 0; raw[i] && i < LOCAL_PART_MAX; i++)
		name[i] = (char)tolower((unsigned char)raw[i]);
	name[i] = '\0';
	if (on_path(w, name)) {	/* a loop: the user of that name, if any, gets it */
		enum lookup r = users_lookup(w->c->cfg, name, user);
		if (r == LOOKUP_OK && strcasecmp(user, name) == 0)
			add_user(w, user);
		else if (r == LOOKUP_TEMPFAIL)
			w->temp = true;
		else {
			log_bulk_msg(LOG_WARNING, "%s: alias loop at %s, that part dropped",
				     w->path[0], name);
			w->loop = true;
		}
		return;
	}
	if (w->depth > ALIAS_DEPTH_MAX) {
		log_bulk_msg(LOG_WARNING, "%s: aliases nested deeper than %d at %s, that part "
			     "dropped", w->path[0], ALIAS_DEPTH_MAX, name);
		w->loop = true;
		return;
	}
	w->path[w->depth++] = name;
	const char *targets = aliases_get(w->c->aliases, name);
	enum lookup r;
	if (targets) {
		expand_list(w, targets);
	} else if ((r = users_lookup(w->c->cfg, name, user)) != LOOKUP_OK) {
		if (w->depth > 1 && r == LOOKUP_NOUSER)	/* a target, not the address */
			log_bulk_msg(LOG_WARNING, "%s: target %s of %s: no such user, dropped",
				     w->path[0], name, w->path[w->depth - 2]);
		note_failure(w, r);
	}
	else if (on_path(w, user) && strcasecmp(user, name) != 0)
		add_user(w, user);	/* postmaster's user reached again */
	else
		user_or_forward(w, user);
	w->depth--;
}

enum lookup expand_local(const struct expand_ctx *c, const char *local, struct expansion *x)
{
	struct walk w = { .c = c, .x = x, .fail = LOOKUP_OK };
	/* One recipient's lines about dropped targets are counted, and at most
	 * LOG_REFUSALS_PER_RCPT written (log.h): a client cannot grow the log by naming a
	 * large alias again and again. */
	log_bulk_begin();
	expand_name(&w, local);
	if (w.full)
		log_bulk_msg(LOG_WARNING, "%s: more than %d users and addresses, refused",
			     local, EXPAND_TARGETS_MAX);
	log_bulk_end(local);
	if (w.full)
		return LOOKUP_TOO_MANY;
	if (w.temp)
		return LOOKUP_TEMPFAIL;
	if (x->nusers || x->nremote)
		return LOOKUP_OK;
	if (w.fail != LOOKUP_OK)
		return w.fail;
	return w.loop ? LOOKUP_LOOP : LOOKUP_NOUSER;
}
