/* tlsfiles.h: the files of the TLS options, opened at start-up, before the fork, with
 * the privileges the program was started with (root, for /etc/ssl/private): the
 * certificate chains are read into memory for tls_setup() (tls.h) to decode in the
 * session process; the private keys and the ticket key are only opened and checked,
 * and read by the privileged parent after the fork (parent/keys.c), so that no byte of
 * them is ever in the session process (issue 21).  Session side: the certificates are
 * the session's, though read before it exists. */
#ifndef TLSFILES_H
#define TLSFILES_H

#include <stdbool.h>

#include "buf.h"
#include "config.h"

/* The files of the TLS options: the certificates' text, the keys' descriptors. */
struct tls_files {
	struct buf cert[TLS_PAIRS_MAX];
	int key_fd[TLS_PAIRS_MAX];	/* for the parent (keys_load()); -1: none */
	unsigned pairs;
	int ticket_fd;			/* --tls-ticket-key, or -1 */
};

/* Nothing open, nothing read: what tls_files_read() starts from, and TLS off. */
void tls_files_init(struct tls_files *f);

/* tls_files_read(): a key or ticket key file that others could read or replace. */
#define TLS_FILE_UNSAFE (-2)

/* Read the certificates, open the keys (tlsfiles.c; before the fork).  0; -1 when a
 * file cannot be read (why[n]: the file and the reason); TLS_FILE_UNSAFE when a
 * private key or the ticket key is not protected (why[n]: the file, the fault and the
 * command that fixes it), a configuration error.  f must be released with
 * tls_files_wipe() whatever the result. */
int tls_files_read(const struct config *cfg, struct tls_files *f, char *why, size_t n);

/* Close the key files (the session process does at once: it must never read them). */
void tls_files_close_keys(struct tls_files *f);

/* Close and release everything (both sides, as soon as they are no longer needed). */
void tls_files_wipe(struct tls_files *f);

#endif
