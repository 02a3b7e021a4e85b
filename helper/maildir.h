/* maildir.h: one user's Maildir, worked on as that user (maildir.c): a store of
 * store.h, and the names of its copies, which the parent chooses (mbox.c).  Helper
 * side. */
#ifndef MAILDIR_H
#define MAILDIR_H

#include <pwd.h>
#include <stdint.h>
#include <sys/types.h>

#include "privsep.h"
#include "store.h"
#include "config.h"

/* DJB's unique name <seconds>.M<usec>P<pid>Q<seq>.<host> for a copy in tmp/ (pid:
 * the process that writes it); in new/ it gains ",S=<size>". */
void maildir_name(char *out, size_t n, const char *host, pid_t pid, unsigned seq);

/* The Maildir store of store.h for the user this process is (home: theirs), or NULL
 * when out of memory. */
extern const struct store_ops maildir_ops;
void *maildir_store(const struct config *cfg, const char *home, const char *user);

#endif
