/* tlsfiles.c: reading the TLS options' files (tlsfiles.h).  It runs at
 * start-up, before the fork, with the privileges the program was started with, so a
 * key in a root-only directory (/etc/ssl/private is 0710 root:ssl-cert) can be read;
 * the session process could open nothing once sandboxed.  Every session reads the
 * files anew, so a renewed certificate is used by the next connection. */
#include "tlsfiles.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util.h"

/* The whole of a regular file of at most TLS_FILE_MAX octets into b.  0 or -1. */
static int slurp(const char *path, struct buf *b)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd == -1)
		return -1;
	struct stat st;
	int bad = fstat(fd, &st) == -1 ? errno
		: !S_ISREG(st.st_mode) ? EINVAL : st.st_size > TLS_FILE_MAX ? EFBIG : 0;
	if (bad) {
		close(fd);
		errno = bad;
		return -1;
	}
	char *p = buf_extend(b, (size_t)st.st_size);
	size_t got = 0;
	while (got < (size_t)st.st_size) {
		ssize_t n = read(fd, p + got, (size_t)st.st_size - got);
		if (n <= 0) {
			if (n == 0)
				errno = EIO;	/* it shrank under us */
			close_keep_errno(fd);
			return -1;
		}
		got += (size_t)n;
	}
	close(fd);
	return 0;
}

int tls_files_read(const struct config *cfg, struct tls_files *f, const char **why)
{
	*f = (struct tls_files){ .pairs = cfg->tls_pairs };
	for (unsigned i = 0; i < cfg->tls_pairs; i++) {
		*why = cfg->tls_cert[i];
		if (slurp(cfg->tls_cert[i], &f->cert[i]) == -1)
			return -1;
		*why = cfg->tls_key[i];
		if (slurp(cfg->tls_key[i], &f->key[i]) == -1)
			return -1;
	}
	if (cfg->tls_ticket_key) {
		struct buf t = BUF_INIT;
		*why = cfg->tls_ticket_key;
		int rc = slurp(cfg->tls_ticket_key, &t);
		if (rc == 0 && t.len != TLS_TICKET_KEY_LEN) {
			errno = EINVAL;	/* "head -c 64 /dev/urandom" makes one */
			rc = -1;
		}
		if (rc == 0)
			memcpy(f->ticket, t.p, TLS_TICKET_KEY_LEN);
		f->has_ticket = rc == 0;
		buf_free(&t);
		if (rc == -1)
			return -1;
	}
	return 0;
}

void tls_files_wipe(struct tls_files *f)
{
	for (unsigned i = 0; i < TLS_PAIRS_MAX; i++) {
		buf_free(&f->cert[i]);
		buf_free(&f->key[i]);
	}
	explicit_bzero(f->ticket, sizeof f->ticket);
	f->has_ticket = false;
}
