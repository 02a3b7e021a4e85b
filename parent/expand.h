/* expand.h: what a recipient address resolves to (privileged side): aliases(5),
 * ~/.forward, the user database.  The result is a set of local users, whose
 * mailboxes get the message, and of remote addresses, to which it is handed on
 * (relay.h). */
#ifndef EXPAND_H
#define EXPAND_H

#include <stdbool.h>
#include <stddef.h>

#include "buf.h"
#include "privsep.h"

struct aliases;
struct mbox;

struct expansion {
	struct buf users;	/* "name\0name\0...": mailboxes, each once */
	size_t nusers;
	struct buf remote;	/* "addr\0addr\0...": for the relay command, each once */
	size_t nremote;
};

struct expand_ctx {
	const struct config *cfg;
	const struct aliases *aliases;	/* NULL: none */
	struct mbox *mbox;		/* reads ~/.forward as the user; NULL: not read */
};

/* Resolve the local part of an address in a local domain (RFC 5321 2.3.5).  Aliases
 * first (postmaster and root too, as on every Debian system), then the user and
 * their ~/.forward; targets are followed ALIAS_DEPTH_MAX deep, a name met again on
 * its own path is a loop (a user is then delivered to directly, as sendmail does
 * for "alice: alice, bob"), |command, /file and :include: targets are refused and
 * logged (log_bulk_msg(): a few lines per recipient, then a count).  More than
 * EXPAND_TARGETS_MAX users and addresses in all is LOOKUP_TOO_MANY: the address is
 * refused whole, never cut short.  LOOKUP_OK when there is at least one user or
 * address and nothing failed for now; else why not.  x must be zeroed; expand_free()
 * releases it. */
enum lookup expand_local(const struct expand_ctx *c, const char *local, struct expansion *x);

/* Is user among x's users? */
bool expand_has_user(const struct expansion *x, const char *user);

void expand_free(struct expansion *x);

#endif
