/* tlsfiles.h: the files of the TLS options (certificate chains, private keys, the
 * ticket key), read into memory at start-up, before the fork, with the privileges the
 * program was started with (root, for /etc/ssl/private), for tls_setup() (tls.h) to
 * decode in the session process.  Session side: they are the session's credentials,
 * though read before it exists. */
#ifndef TLSFILES_H
#define TLSFILES_H

#include <stdbool.h>

#include "buf.h"
#include "config.h"

/* The files of the TLS options, as read by the privileged side. */
struct tls_files {
	struct buf cert[TLS_PAIRS_MAX], key[TLS_PAIRS_MAX];
	unsigned pairs;
	unsigned char ticket[TLS_TICKET_KEY_LEN];
	bool has_ticket;
};

/* tls_files_read(): a key or ticket key file that others could read or replace. */
#define TLS_FILE_UNSAFE (-2)

/* Read every file the TLS options name (tlsfiles.c; before the fork).  0; -1 when a
 * file cannot be read (why[n]: the file and the reason); TLS_FILE_UNSAFE when a
 * private key or the ticket key is not protected (why[n]: the file, the fault and the
 * command that fixes it), a configuration error. */
int tls_files_read(const struct config *cfg, struct tls_files *f, char *why, size_t n);

/* Wipe and release them (both sides, as soon as they are no longer needed). */
void tls_files_wipe(struct tls_files *f);

#endif
