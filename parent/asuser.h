/* asuser.h: a child process that does one job as one user, under a deadline.
 * Privileged side: mbox.c (a Maildir) and tty.c (a terminal) touch a user's files only
 * through such a child, and the parent never waits for one past a deadline: a child
 * runs as the user, so the user may stop it (SIGSTOP) or make it hang. */
#ifndef ASUSER_H
#define ASUSER_H

#include <pwd.h>
#include <stddef.h>
#include <sys/types.h>

#include "config.h"
#include "util.h"

struct asuser {
	pid_t pid;	/* -1: none */
	int fd;		/* our end of the socketpair to the child, -1 once closed */
};

/* The child's job: pw is the user it now is, or NULL in single-user mode (where the
 * whole program already is the one user); sock is its end of the socketpair. */
typedef void asuser_fn(void *arg, const struct passwd *pw, int sock);

/* Start a child that becomes user (as root: initgroups, setgid, setuid, for good)
 * and runs fn(arg, pw, sock), then exits.  A child that cannot become the user logs
 * why and exits without an answer.  Returns 0, or -1 with errno. */
int asuser_start(struct asuser *k, const struct config *cfg, const char *user,
		 asuser_fn *fn, void *arg);

/* The same with the user already looked up (a copy the caller owns): the child does
 * not read the user database again, and takes the user's uid and primary group only
 * (no supplementary groups: DROP_PRIMARY_GROUP of drop.h; asuser.c says why). */
int asuser_start_pw(struct asuser *k, const struct config *cfg, const struct passwd *pw,
		    asuser_fn *fn, void *arg);

/* A descriptor of ours that no child may keep (the link to the session process, a
 * delivery helper's socket): it is closed in each child before it becomes the user.
 * asuser_unhide() forgets it again (before it is closed). */
void asuser_hide(int fd);
void asuser_unhide(int fd);

/* Send n bytes to the child: 0 or -1. */
int asuser_send(struct asuser *k, const void *p, size_t n);

/* Read exactly n bytes of the child's answer before the deadline.  0, or -1 with
 * errno ETIMEDOUT (too late) or EIO (the child ended without the answer). */
int asuser_recv(struct asuser *k, void *p, size_t n, const struct deadline *d);

/* Close our end and reap the child.  A child that has not ended by the deadline is
 * killed (SIGKILL, which a stopped process cannot refuse) first.  The reaping itself
 * is bounded too: a killed child that is still not gone a second later is left to
 * init. */
void asuser_end(struct asuser *k, const struct deadline *d);

/* Kill the child now (SIGKILL), close our end and reap it, as asuser_end(). */
void asuser_kill(struct asuser *k);

#endif
