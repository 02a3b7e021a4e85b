/* spool.c: where a message waits while it arrives and is delivered: a sealed memfd
 * of its own, or one file in $TMPDIR for the whole session; and where the milters'
 * changed message is written (milter.c), the same way.  Session side. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#include "session.h"
#include "util.h"

/* The spools in $TMPDIR, when TMPDIR is set: opened before the sandbox closes the
 * file system, and reused by every message (ftruncate).  The second only with
 * milters: their changed message is written to it while the first is read, and
 * from then on it is the message's spool (spool_replace()). */
static int disk[2] = { -1, -1 };

/* An unlinked file in dir: O_TMPFILE, or where the file system has none, a named
 * file unlinked at once. */
static int disk_open(const char *dir)
{
	int fd = open(dir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
	if (fd != -1 || (errno != EOPNOTSUPP && errno != EISDIR && errno != EINVAL))
		return fd;
	char path[4096];
	snprintf(path, sizeof path, "%s/smtp-session.XXXXXX", dir);
	fd = mkostemp(path, O_CLOEXEC);
	if (fd != -1)
		unlink(path);
	return fd;
}

int spool_init(bool rewrites)
{
	const char *dir = getenv("TMPDIR");
	if (!dir || dir[0] != '/')
		return 0;
	for (int i = 0; i < (rewrites ? 2 : 1); i++) {
		disk[i] = disk_open(dir);
		if (disk[i] == -1) {	/* both or none: memfds then, for every spool */
			close_keep_errno(disk[0]);
			disk[0] = -1;
			return -1;
		}
	}
	return 0;
}

int spool_fd(int i)
{
	return disk[i];
}

static bool on_disk(int fd)
{
	return fd != -1 && (fd == disk[0] || fd == disk[1]);
}

/* Empty, written from its start. */
static int empty(int fd)
{
	return ftruncate(fd, 0) == -1 || lseek(fd, 0, SEEK_SET) == -1 ? -1 : 0;
}

/* A spool of our own is let go: a memfd closed, a disk file emptied (the message's
 * bytes leave the disk now, not at the next message). */
static void let_go(int fd)
{
	if (fd == -1)
		return;
	if (on_disk(fd))
		(void)!ftruncate(fd, 0);
	else
		close(fd);
}

/* The spool of one message: a file nobody else can open, which vanishes with us.  By
 * default an anonymous memory file (memfd), new for each message, because it is
 * sealed before the privileged side reads it (privsep.h: it must not shrink under
 * the delivery); on ext4 creating and dropping an unlinked file on disk costs journal
 * work that made up a quarter of a short session (make bench).  Whoever wants the
 * bytes on a disk (a small machine with a large --max-size) sets TMPDIR. */
int spool_open(struct session *s)
{
	if (s->spool != -1 && s->spool != disk[0])	/* the last message's memfd, or
							 * the milters' rewrite of it */
		let_go(s->spool);
	s->spool = -1;
	if (disk[0] != -1) {
		s->spool = disk[0];
		return empty(s->spool);
	}
	s->spool = memfd_create("smtp-session-spool", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	return s->spool == -1 ? -1 : 0;
}

int spool_new(const struct session *s)
{
	if (disk[0] == -1)
		return memfd_create("smtp-session-spool", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	int fd = s->spool == disk[0] ? disk[1] : disk[0];
	if (fd == -1)
		return errno = EBADF, -1;	/* spool_init() was told of no milter */
	return empty(fd) == -1 ? -1 : fd;
}

int spool_replace(struct session *s, int fd)
{
	if (s->spool != fd)
		let_go(s->spool);
	s->spool = fd;
	return spool_seal(s);
}

void spool_drop(int fd)
{
	let_go(fd);
}

/* The message is complete: a memfd spool is sealed, so that nobody can change it
 * while it is delivered.  A file in $TMPDIR cannot be (the parent takes a regular
 * file unsealed, privsep.h): no one but us can open it. */
int spool_seal(const struct session *s)
{
	if (on_disk(s->spool))
		return 0;
	return fcntl(s->spool, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE |
					    F_SEAL_SEAL);
}

void spool_free(struct session *s)
{
	if (s->spool != -1 && !on_disk(s->spool))
		close(s->spool);
	s->spool = -1;
}
