/* room.c: is there room for a message in a mailbox, as its user sees it?  The file
 * system's free blocks and files, and the user's quota.  Helper side: both stores
 * (maildir.c, mboxfile.c) check with it. */
#include "room.h"

#include <stdint.h>
#include <sys/quota.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "privsep.h"

/* Room for size more bytes (and one more file) in tmp/'s file system, as this user
 * sees it (f_bavail leaves out root's reserve), and in the user's quota where the
 * file system keeps one (quotactl_fd, Linux 5.14; ENOSYS, ESRCH "no quota here" and
 * EOPNOTSUPP only mean nothing to check; the valgrind build, NO_QUOTACTL_FD, leaves
 * it out: valgrind 3.19 does not know the call).  The trace headers are counted with
 * a margin of PS_HEAD_MAX. */
enum mailbox mailbox_room(int tmp, uint64_t size)
{
	uint64_t need = size + PS_HEAD_MAX;
	struct statvfs v;
	if (fstatvfs(tmp, &v) == 0 &&
	    ((uint64_t)v.f_bavail * v.f_frsize < need || (v.f_files && v.f_favail == 0)))
		return MAILBOX_FULL;
#if defined SYS_quotactl_fd && !defined NO_QUOTACTL_FD
	struct dqblk q;
	/* QCMD() shifts an int into its sign bit (undefined); the same bits, unsigned. */
	unsigned cmd = (unsigned)Q_GETQUOTA << SUBCMDSHIFT | (USRQUOTA & SUBCMDMASK);
	if (syscall(SYS_quotactl_fd, tmp, cmd, (int)geteuid(), &q) == 0) {
		/* dqb_bhardlimit counts QIF_DQBLKSIZE-byte blocks (quotactl(2)). */
		if ((q.dqb_valid & QIF_BLIMITS) && q.dqb_bhardlimit &&
		    q.dqb_curspace + need > q.dqb_bhardlimit * QIF_DQBLKSIZE)
			return MAILBOX_FULL;
		if ((q.dqb_valid & QIF_ILIMITS) && q.dqb_ihardlimit &&
		    q.dqb_curinodes + 1 > q.dqb_ihardlimit)
			return MAILBOX_FULL;
	}
#endif
	return MAILBOX_OK;
}
