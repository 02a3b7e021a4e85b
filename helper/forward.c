/* forward.c: reading ~/.forward as its user (forward.h).  Helper side: it runs in
 * the user's delivery helper, with the user's uid: a home may be a file system its
 * owner controls (NFS, FUSE), and only a process the parent can kill may wait on it.
 *
 * sendmail's rules for the file (and Postfix local(8)'s): it is used only when it is
 * a regular file owned by the user that neither its group nor others may write;
 * otherwise anyone who can write it could read the user's mail. */
#include "forward.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log.h"
#include "config.h"
#include "util.h"

/* A line about the file, unless it is the one said last: the helper lives for the
 * session, and a client that names the user at every RCPT must not make it write the
 * same line each time (config.h LOG_REFUSALS_MAX).  A changed file says something new. */
static void say(int prio, const char *fmt, ...)
{
	static char last[512];
	char line[sizeof last];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(line, sizeof line, fmt, ap);
	va_end(ap);
	if (strcmp(line, last) == 0)
		return;
	memcpy(last, line, strlen(line) + 1);
	log_msg(prio, "%s", line);
}

/* Why st may not be used, or NULL. */
static const char *unsafe(const struct stat *st)
{
	if (!S_ISREG(st->st_mode))
		return "is not a regular file";
	if (st->st_uid != geteuid())
		return "is not owned by the user";
	if (st->st_mode & (S_IWGRP | S_IWOTH))
		return "may be written by its group or others";
	if (st->st_size > FORWARD_FILE_MAX)
		return "is larger than 16 KiB";
	return NULL;
}

/* Copy the file into a memory file: the parent reads that, never the user's disk. */
static int to_memory(int in, int *out)
{
	char text[FORWARD_FILE_MAX];
	size_t len = 0;
	ssize_t r;
	while (len < sizeof text && (r = read(in, text + len, sizeof text - len)) != 0) {
		if (r == -1 && errno != EINTR)
			return -1;
		if (r > 0)
			len += (size_t)r;
	}
	int fd = memfd_create("forward", MFD_CLOEXEC);
	if (fd == -1 || write_all(fd, text, len) == -1)
		return close_keep_errno(fd), -1;
	*out = fd;
	return 0;
}

enum forward forward_read(const char *home, const char *user, int *fd)
{
	char path[4096];
	struct stat st;
	*fd = -1;
	if (snprintf(path, sizeof path, "%s/.forward", home) >= (int)sizeof path)
		return FORWARD_NONE;
	int in = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
	if (in == -1 && (errno == ENOENT || errno == ENOTDIR))
		return FORWARD_NONE;
	const char *why = in == -1 ? (errno == ELOOP ? "is a symbolic link" : NULL)
		: fstat(in, &st) == -1 ? NULL : unsafe(&st);
	if (in == -1 && !why) {
		say(LOG_ERR, "%s: cannot open %s: %s", user, path, strerror(errno));
		return FORWARD_TEMPFAIL;
	}
	if (why) {
		say(LOG_WARNING, "%s: %s ignored: it %s", user, path, why);
		close_keep_errno(in);
		return FORWARD_IGNORED;
	}
	int rc = to_memory(in, fd);
	if (rc == -1)
		say(LOG_ERR, "%s: cannot read %s: %s", user, path, strerror(errno));
	close(in);
	return rc == -1 ? FORWARD_TEMPFAIL : FORWARD_OK;
}
