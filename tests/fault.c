/* fault.c: LD_PRELOAD shim for the failure-path tests: makes fsync() or renameat()
 * fail with a chosen errno for files whose path contains a chosen string, as a full
 * disk, an exceeded quota or a broken device would; or makes fsync() stop the
 * process (SIGSTOP, as a recipient may stop their delivery helper) in the middle of
 * a delivery; or makes fstatvfs() report a full file system (or stop the process,
 * in the middle of a mailbox check); or lets pwrite() (an mbox copy, mboxfile.c)
 * write FAULT_AFTER bytes in all and then fail (or stop the process), as a disk that
 * fills up in the middle of a copy; or makes link() to a matching name stop the
 * process (liblockfile making an mbox's dot-lock: the helper holds the mail group);
 * or makes memfd_create() of a matching name fail, as a kernel without memfds or a
 * process out of memory would (the spool must then be in $TMPDIR, spool.c).
 *
 *   FAULT_PATH=/home/bob/Maildir/tmp/  FAULT_ERRNO=ENOSPC|EDQUOT|EIO|SIGSTOP
 *   FAULT_CALL=fsync (default) | rename | statvfs | pwrite | link | memfd_create
 *   FAULT_AFTER=bytes (pwrite)
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/statvfs.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int fault_errno(void)
{
	const char *e = getenv("FAULT_ERRNO");
	if (!e || !strcmp(e, "ENOSPC"))
		return ENOSPC;
	if (!strcmp(e, "EDQUOT"))
		return EDQUOT;
	return EIO;
}

static int wanted(const char *call, int dirfd, const char *name)
{
	const char *want = getenv("FAULT_PATH");
	const char *c = getenv("FAULT_CALL");
	if (!want || strcmp(c ? c : "fsync", call) != 0)
		return 0;
	char link[64], path[4096];
	snprintf(link, sizeof link, "/proc/self/fd/%d", dirfd);
	ssize_t n = readlink(link, path, sizeof path - 1);
	if (n < 0)
		return 0;
	path[n] = '\0';
	if (name)
		snprintf(path + n, sizeof path - (size_t)n, "/%s", name);
	return strstr(path, want) != NULL;
}

int fsync(int fd)
{
	static int (*real)(int);
	if (!real)
		real = (int (*)(int))dlsym(RTLD_NEXT, "fsync");
	if (wanted("fsync", fd, NULL)) {
		const char *e = getenv("FAULT_ERRNO");
		if (e && !strcmp(e, "SIGSTOP")) {
			raise(SIGSTOP);	/* whoever continues us gets the real fsync */
			return real(fd);
		}
		return errno = fault_errno(), -1;
	}
	return real(fd);
}

int renameat(int olddirfd, const char *old, int newdirfd, const char *new)
{
	static int (*real)(int, const char *, int, const char *);
	if (!real)
		real = (int (*)(int, const char *, int, const char *))dlsym(RTLD_NEXT, "renameat");
	if (wanted("rename", newdirfd, new))
		return errno = fault_errno(), -1;
	return real(olddirfd, old, newdirfd, new);
}

/* A full file system: no block and no inode left for ordinary users. */
int fstatvfs(int fd, struct statvfs *v)
{
	static int (*real)(int, struct statvfs *);
	if (!real)
		real = (int (*)(int, struct statvfs *))dlsym(RTLD_NEXT, "fstatvfs");
	int rc = real(fd, v);
	const char *e = getenv("FAULT_ERRNO");
	if (rc == 0 && wanted("statvfs", fd, NULL)) {
		if (e && !strcmp(e, "SIGSTOP"))
			raise(SIGSTOP);	/* a helper stopped in the middle of the check */
		else
			v->f_bavail = v->f_favail = 0;
	}
	return rc;
}

/* pwrite() to a matching file: FAULT_AFTER bytes (0 if unset) in all go through, the
 * last of them in a short write, then the fault. */
static ssize_t fault_pwrite(const char *name, int fd, const void *p, size_t n, off_t off)
{
	static ssize_t (*real)(int, const void *, size_t, off_t);
	static unsigned long long done;
	if (!real)
		real = (ssize_t (*)(int, const void *, size_t, off_t))dlsym(RTLD_NEXT, name);
	if (!wanted("pwrite", fd, NULL))
		return real(fd, p, n, off);
	const char *a = getenv("FAULT_AFTER");
	unsigned long long allow = a ? strtoull(a, NULL, 10) : 0;
	if (done < allow) {
		size_t k = n < allow - done ? n : (size_t)(allow - done);
		ssize_t w = real(fd, p, k, off);
		if (w > 0)
			done += (unsigned long long)w;
		return w;
	}
	const char *e = getenv("FAULT_ERRNO");
	if (e && !strcmp(e, "SIGSTOP")) {
		raise(SIGSTOP);	/* stopped in the middle of the copy, its locks held */
		return real(fd, p, n, off);
	}
	return errno = fault_errno(), -1;
}

ssize_t pwrite(int fd, const void *p, size_t n, off_t off)
{
	return fault_pwrite("pwrite", fd, p, n, off);
}

ssize_t pwrite64(int fd, const void *p, size_t n, off_t off)
{
	return fault_pwrite("pwrite64", fd, p, n, off);
}

/* link() to a name that contains FAULT_PATH: the process stops first (SIGSTOP), then
 * links as asked; any other FAULT_ERRNO fails it. */
int link(const char *old, const char *new)
{
	static int (*real)(const char *, const char *);
	if (!real)
		real = (int (*)(const char *, const char *))dlsym(RTLD_NEXT, "link");
	const char *want = getenv("FAULT_PATH"), *c = getenv("FAULT_CALL");
	if (want && c && !strcmp(c, "link") && strstr(new, want)) {
		const char *e = getenv("FAULT_ERRNO");
		if (!e || strcmp(e, "SIGSTOP"))
			return errno = fault_errno(), -1;
		raise(SIGSTOP);
	}
	return real(old, new);
}

/* memfd_create() of a name that contains FAULT_PATH fails with FAULT_ERRNO. */
int memfd_create(const char *name, unsigned flags)
{
	static int (*real)(const char *, unsigned);
	if (!real)
		real = (int (*)(const char *, unsigned))dlsym(RTLD_NEXT, "memfd_create");
	const char *want = getenv("FAULT_PATH"), *c = getenv("FAULT_CALL");
	if (want && c && !strcmp(c, "memfd_create") && strstr(name, want))
		return errno = fault_errno(), -1;
	return real(name, flags);
}
