/* sandbox.c: confining the session process (sandbox.h).  Session side: the first
 * thing the session process does, while it may still be root.
 *
 * What a session needs after this: read and write the connection and the link to
 * the parent (descriptors it already has), make a memory file per message, and
 * time: the allow-list is sandbox-filter.h.  What it leaves out, among the rest: opening
 * any path, execve, socket, connect, ptrace, fork.  Everything it uses later is opened before: the
 * spool in $TMPDIR if set (spool.c), and the log, which goes through the parent.
 *
 * Test builds: the sanitizer and valgrind builds of make check are compiled with
 * SANDBOX_LIGHT, which leaves out the chroot and the seccomp filter: LeakSanitizer
 * reads /proc and ptraces the process at exit, and valgrind cannot run under a
 * filter (RECIPES-2 item 6).  The installed program has no such switch.
 */
#include "sandbox.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <dirent.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sys/syscall.h>

#include "config.h"
#include "drop.h"
#include "util.h"

#ifndef SANDBOX_LIGHT
/* Is this process root as the kernel sees it?  getuid() may be answered by an
 * interposer (uid_wrapper in the tests); /proc/self/status is not. */
static bool kernel_root(void)
{
	FILE *f = fopen("/proc/self/status", "re");
	char line[256];
	bool root = false;
	while (f && fgets(line, sizeof line, f))
		if (strncmp(line, "Uid:", 4) == 0) {
			unsigned r, e;
			root = sscanf(line + 4, "%u %u", &r, &e) == 2 && e == 0;
			break;
		}
	if (f)
		fclose(f);
	return root;
}

/* Is the open directory fd fit to be the root: root's, writable by nobody else, and
 * with nothing in it? */
static bool fit_root(int fd)
{
	struct stat st;
	if (fstat(fd, &st) == -1 || st.st_uid != 0 || (st.st_mode & 022))
		return false;
	/* Its entries, with no directory stream (which would allocate 32 KiB): an empty
	 * directory has "." and ".." only. */
	char b[1024];
	ssize_t got;
	while ((got = getdents64(fd, b, sizeof b)) > 0)
		for (ssize_t off = 0; off < got;) {
			const struct dirent64 *e = (const struct dirent64 *)(b + off);
			if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
				return false;
			off += e->d_reclen;
		}
	return got == 0;
}

/* chroot into dir: 0, -1 with errno, or 1 when dir does not exist. */
static int given_root(const char *dir)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd == -1)
		return errno == ENOENT ? 1 : -1;
	int rc = !fit_root(fd) ? (errno = EPERM, -1)
		: fchdir(fd) == -1 || chroot(".") == -1 || chdir("/") == -1 ? -1 : 0;
	close_keep_errno(fd);
	return rc;
}

/* chroot into an empty directory that nobody can ever put anything into: a fresh
 * directory (root's, mode 0700) in $TMPDIR or /tmp, removed as soon as we are in it.
 * (In a sticky directory such as /tmp nobody else can rename or remove it meanwhile.) */
static int fresh_root(void)
{
	const char *tmp = getenv("TMPDIR");
	char dir[4096];
	if (!tmp || tmp[0] != '/' || strlen(tmp) > sizeof dir - 32)
		tmp = "/tmp";
	snprintf(dir, sizeof dir, "%s/smtp-session.XXXXXX", tmp);
	if (!mkdtemp(dir))
		return -1;
	int rc = chdir(dir);
	int e = errno;
	rmdir(dir);
	if (rc == -1)
		return errno = e, -1;
	if (chroot(".") == -1 || chdir("/") == -1)
		return -1;
	return 0;
}
/* --privsep-dir, or where it is missing a fresh directory. */
static int empty_root(const char *dir)
{
	int rc = given_root(dir);
	return rc == 1 ? fresh_root() : rc;
}

#endif

static int become(const struct passwd *pw)
{
	return drop_privileges(pw->pw_uid, pw->pw_gid, pw->pw_name, DROP_NO_GROUPS);
}

#ifndef SANDBOX_LIGHT
/* The allow-list of sandbox-filter.h, compiled by libseccomp at build time
 * (tools/seccomp-gen.c).  Anything else kills the process (SIGSYS), which the parent
 * logs. */
#include "seccomp-bpf.h"

static int filter(void)
{
	struct sock_fprog prog = {
		.len = (unsigned short)(sizeof session_filter / sizeof session_filter[0]),
		.filter = (struct sock_filter *)session_filter,
	};
	return (int)syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog);
}
#endif

int sandbox_enter(const struct passwd *pw, const char *dir, const char **why)
{
	pid_t parent = getppid();
	(void)dir;	/* SANDBOX_LIGHT builds make no chroot */
	tzset();	/* /etc/localtime, read now: the Received date needs it later */
	if (pw) {
#ifndef SANDBOX_LIGHT
		/* Only a process the kernel counts as root can chroot; under uid_wrapper
		 * (the tests as an ordinary user) it is not, and has no root to give up.
		 * /proc is asked only then, and is still there: no chroot happened. */
		int e = empty_root(dir) == -1 ? errno : 0;
		if (e && (e != EPERM || kernel_root()))
			return *why = "chroot into --privsep-dir (empty, root's, writable by no one "
				      "else) or a fresh directory", errno = e, -1;
#endif
		if (become(pw) == -1)
			return *why = "change to --privsep-user", -1;
	}
	/* Changing uids cleared these; set them now. */
	if (prctl(PR_SET_PDEATHSIG, SIGTERM) == -1 || getppid() != parent)
		return *why = "follow the parent", errno = errno ? errno : ESRCH, -1;
#ifdef SANDBOX_LIGHT
	prctl(PR_SET_DUMPABLE, 1);	/* LeakSanitizer ptraces the process at exit */
#endif
	struct rlimit core = { 0, 0 }, files = { SESSION_NOFILE, SESSION_NOFILE };
	if (setrlimit(RLIMIT_CORE, &core) == -1)
		return *why = "lower the resource limits", -1;
#ifdef SANDBOX_LIGHT
	(void)setrlimit(RLIMIT_NOFILE, &files);	/* valgrind refuses it for its own fds */
#else
	if (setrlimit(RLIMIT_NOFILE, &files) == -1)
		return *why = "lower the resource limits", -1;
#endif
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == -1)
		return *why = "set no_new_privs", -1;
#ifndef SANDBOX_LIGHT
	if (filter() == -1)
		return *why = "load the seccomp filter", -1;
#endif
	return 0;
}
