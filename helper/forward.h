/* forward.h: a user's ~/.forward, read as that user (by the user's delivery helper,
 * or in single-user mode by the process itself).  Helper side. */
#ifndef FORWARD_H
#define FORWARD_H

enum forward {
	FORWARD_NONE,		/* no ~/.forward: the mailbox */
	FORWARD_OK,		/* its text follows */
	FORWARD_IGNORED,	/* unsafe (owner, mode, not a regular file, too large):
				 * logged, and the mailbox as if there were none */
	FORWARD_TEMPFAIL,	/* it could not be read now: 451, so that mail meant to be
				 * forwarded is not kept here instead */
};

/* Read home/.forward as the calling user, never through a symlink: its text (at most
 * FORWARD_FILE_MAX bytes) goes into a new memory file, *fd, for the parent, which then
 * reads memory and never a user's file system.  *fd is -1 unless FORWARD_OK. */
enum forward forward_read(const char *home, const char *user, int *fd);

#endif
