/* spool.c: where a message waits while it arrives and is delivered: a sealed memfd
 * of its own, or one file in $TMPDIR for the whole session.  Session side. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#include "session.h"

/* The spool in $TMPDIR, when TMPDIR is set: opened once, before the sandbox closes
 * the file system, and reused by every message (ftruncate). */
static int disk_spool = -1;

int spool_init(void)
{
	const char *dir = getenv("TMPDIR");
	if (!dir || dir[0] != '/')
		return 0;
	disk_spool = open(dir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
	if (disk_spool != -1 || (errno != EOPNOTSUPP && errno != EISDIR && errno != EINVAL))
		return disk_spool == -1 ? -1 : 0;
	char path[4096];
	snprintf(path, sizeof path, "%s/smtp-session.XXXXXX", dir);
	disk_spool = mkostemp(path, O_CLOEXEC);
	if (disk_spool != -1)
		unlink(path);
	return disk_spool == -1 ? -1 : 0;
}

int spool_fd(void)
{
	return disk_spool;
}

/* The spool of one message: a file nobody else can open, which vanishes with us.  By
 * default an anonymous memory file (memfd), new for each message, because it is
 * sealed before the privileged side reads it (privsep.h: it must not shrink under
 * the delivery); on ext4 creating and dropping an unlinked file on disk costs journal
 * work that made up a quarter of a short session (make bench).  Whoever wants the
 * bytes on a disk (a small machine with a large --max-size) sets TMPDIR. */
int spool_open(struct session *s)
{
	if (s->spool != -1 && s->spool != disk_spool) {	/* the last message's memfd, or
							 * the milters' rewrite of it */
		close(s->spool);
		s->spool = -1;
	}
	if (disk_spool != -1) {
		s->spool = disk_spool;
		return ftruncate(s->spool, 0) == -1 || lseek(s->spool, 0, SEEK_SET) == -1 ? -1 : 0;
	}
	s->spool = memfd_create("smtp-session-spool", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	return s->spool == -1 ? -1 : 0;
}

/* The message is complete: a memfd spool is sealed, so that nobody can change it
 * while it is delivered. */
int spool_seal(const struct session *s)
{
	if (s->spool == disk_spool)
		return 0;
	return fcntl(s->spool, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE |
					    F_SEAL_SEAL);
}

void spool_free(struct session *s)
{
	if (s->spool != -1 && s->spool != disk_spool)
		close(s->spool);
	s->spool = -1;
}
