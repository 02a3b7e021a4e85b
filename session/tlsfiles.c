/* tlsfiles.c: the TLS options' files (tlsfiles.h).  It runs at start-up, before the
 * fork, with the privileges the program was started with, so a key in a root-only
 * directory (/etc/ssl/private is 0710 root:ssl-cert) can be opened; the session
 * process could open nothing once sandboxed.  Every session opens the files anew, so
 * a renewed certificate and key are used by the next connection. */
#include "tlsfiles.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util.h"

/* Issue 21: a secret file (a private key, the ticket key) that someone else could read
 * or replace is refused, as OpenSSH refuses an unprotected private key file.  The
 * rule: nobody but the owner and, for a file owned by root, its group may read it
 * (Debian's 0640 root:ssl-cert); nobody but the owner may write it; the owner is root
 * when we run as root (a user who owns the file could swap the key or the ticket key
 * under every session), else root or the user we run as.  NULL when the file passes,
 * else the fault, with the fix in fix[n]. */
static const char *unsafe(const char *path, const struct stat *st, char *fix, size_t n)
{
	/* Who the kernel started us as: a preloaded uid_wrapper (the tests as an ordinary
	 * user) may make geteuid() say root, not the owner of the files. */
	uid_t me = (uid_t)getauxval(AT_EUID);
	snprintf(fix, n, "chmod 600 %s", path);
	if (st->st_mode & (S_IROTH | S_IWOTH))
		return st->st_mode & S_IROTH ? "readable by others" : "writable by others";
	if (st->st_mode & S_IWGRP)
		return "writable by its group";
	if (st->st_uid != 0 && (me == 0 || st->st_uid != me)) {
		snprintf(fix, n, "chown %s %s", me == 0 ? "root" : "$(id -un)", path);
		return me == 0 ? "not owned by root" : "owned by another user";
	}
	if ((st->st_mode & S_IRGRP) && st->st_uid != 0)
		return "readable by its group and not owned by root";
	return NULL;
}

/* path open for reading: a regular file of at most TLS_FILE_MAX octets, and for a
 * secret file one that passes unsafe() (of size octets if size is not 0).  The
 * descriptor, or -1 with errno, or TLS_FILE_UNSAFE with the reason in why[n]. */
static int open_checked(const char *opt, const char *path, bool secret, off_t size,
			char *why, size_t n, off_t *len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd == -1)
		return -1;
	struct stat st;
	int bad = fstat(fd, &st) == -1 ? errno
		: !S_ISREG(st.st_mode) ? EINVAL : st.st_size > TLS_FILE_MAX ? EFBIG
		: size && st.st_size != size ? EINVAL : 0;	/* a ticket key's 64 */
	if (bad) {
		close(fd);
		errno = bad;
		return -1;
	}
	char fix[PATH_MAX + 32];
	const char *fault = secret ? unsafe(path, &st, fix, sizeof fix) : NULL;
	if (fault) {
		close(fd);
		snprintf(why, n, "%s %s: %s (mode %04o, uid %u): run %s", opt, path, fault,
			 (unsigned)(st.st_mode & 07777), (unsigned)st.st_uid, fix);
		return TLS_FILE_UNSAFE;
	}
	*len = st.st_size;
	return fd;
}

/* The whole of the file open on fd, len octets, into b; fd closed.  0 or -1. */
static int slurp(int fd, off_t len, struct buf *b)
{
	char *p = buf_extend(b, (size_t)len);
	size_t got = 0;
	while (got < (size_t)len) {
		ssize_t r = read(fd, p + got, (size_t)len - got);
		if (r <= 0) {
			if (r == 0)
				errno = EIO;	/* it shrank under us */
			close_keep_errno(fd);
			return -1;
		}
		got += (size_t)r;
	}
	close(fd);
	return 0;
}

/* One file: a certificate into b (fd NULL), or a key's descriptor into *fd.  0, or -1
 * or TLS_FILE_UNSAFE with why[n] filled in. */
static int one(const char *opt, const char *path, off_t size, struct buf *b, int *fd,
	       char *why, size_t n)
{
	off_t len = 0;
	int rc = open_checked(opt, path, fd != NULL, size, why, n, &len);
	if (rc >= 0 && fd)
		*fd = rc, rc = 0;
	else if (rc >= 0)
		rc = slurp(rc, len, b);
	if (rc == -1)
		snprintf(why, n, "%s %s: %s", opt, path, strerror(errno));
	return rc;
}

void tls_files_init(struct tls_files *f)
{
	*f = (struct tls_files){ .ticket_fd = -1 };
	for (unsigned i = 0; i < TLS_PAIRS_MAX; i++)
		f->key_fd[i] = -1;
}

int tls_files_read(const struct config *cfg, struct tls_files *f, char *why, size_t n)
{
	tls_files_init(f);
	f->pairs = cfg->tls_pairs;
	int rc = 0;
	for (unsigned i = 0; rc == 0 && i < cfg->tls_pairs; i++) {
		rc = one("--tls-cert", cfg->tls_cert[i], 0, &f->cert[i], NULL, why, n);
		if (rc == 0)
			rc = one("--tls-key", cfg->tls_key[i], 0, NULL, &f->key_fd[i], why, n);
	}
	/* "head -c 64 /dev/urandom" makes one: another size is EINVAL */
	if (rc == 0 && cfg->tls_ticket_key)
		rc = one("--tls-ticket-key", cfg->tls_ticket_key, TLS_TICKET_KEY_LEN, NULL,
			 &f->ticket_fd, why, n);
	return rc;
}

void tls_files_close_keys(struct tls_files *f)
{
	for (unsigned i = 0; i < TLS_PAIRS_MAX; i++) {
		if (f->key_fd[i] != -1)
			close(f->key_fd[i]);
		f->key_fd[i] = -1;
	}
	if (f->ticket_fd != -1)
		close(f->ticket_fd);
	f->ticket_fd = -1;
}

void tls_files_wipe(struct tls_files *f)
{
	for (unsigned i = 0; i < TLS_PAIRS_MAX; i++)
		buf_free(&f->cert[i]);
	tls_files_close_keys(f);
}
