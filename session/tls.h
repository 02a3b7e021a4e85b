/* tls.h: TLS for the session's connection (RFC 3207 STARTTLS, RFC 8314 implicit TLS),
 * with GnuTLS (bench/tlslib/README.md says why that library).
 *
 * Two halves on two sides.  tls_files_read() runs at start-up, before the fork, with
 * the privileges the program was started with (root, for /etc/ssl/private): it reads
 * the certificate chains, the private keys and the ticket key into memory
 * (tlsfiles.c).  Everything else runs in the session process (tls.c): tls_setup()
 * keeps them before the sandbox closes the file system, and tls_prepare() decodes
 * them when the client asks for TLS, and wipes the raw copies; the library needs no
 * file for that, only memory, getrandom and the connection.
 *
 * io.c is the only user of the record functions: nothing above struct conn knows
 * whether the connection is encrypted, only that it is (c.tls, TLS_ACTIVE() in session.h). */
#ifndef TLS_H
#define TLS_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "buf.h"
#include "config.h"
#include "tlsfiles.h"
#include "util.h"

struct tls;

/* The fix that goes with a TLS file that cannot be used (main.c, smtp-session.c). */
#define TLS_FILE_FIX "fix TLS= in " DEFAULT_ENV_FILE " (or --tls-cert and --tls-key): " \
	"the files must exist and be readable by root"

/* Session process, before the sandbox: the library loaded (TLS_STATIC=0) and the
 * certificates taken over from f (f is left empty).  NULL with the reason in why
 * when the library cannot be loaded or memory is short.  Nothing is decoded yet: a
 * session that never says STARTTLS pays for none of it (issue 23). */
struct tls *tls_setup(struct tls_files *f, char *why, size_t n);

/* In the sandbox, at STARTTLS or before the implicit TLS handshake: the library's
 * server credentials from the certificates, the parent's keys (PS_TLS_KEYS, asked
 * once), the protocol policy and the ticket key.  0, or -1 with the reason in why (a
 * key that does not match its certificate, an expired certificate, ...): t is then
 * of no use but to tls_free() (smtp-session.c drops it). */
int tls_prepare(struct tls *t, char *why, size_t n);

/* Results of the handshake. */
enum tls_hs { TLS_HS_OK, TLS_HS_FAILED, TLS_HS_TIMEOUT, TLS_HS_TERM };

/* The server's handshake on in/out, all of it under the deadline d (the idle
 * timeout); term is the SIGTERM flag.  On failure the library's reason is in why. */
enum tls_hs tls_handshake(struct tls *t, int in, int out, const struct deadline *d,
			  const volatile sig_atomic_t *term, char *why, size_t n);

/* Read decrypted bytes: > 0, 0 at the end of the stream (close_notify or EOF), -1 with
 * errno (ETIMEDOUT when d passed, EINTR for a signal, EPROTO for a TLS error). */
ssize_t tls_recv(struct tls *t, void *p, size_t n, const struct deadline *d);

/* Write all of p under d: 0, or -1 (the client cannot be written to). */
int tls_send(struct tls *t, const void *p, size_t n, const struct deadline *d);

/* Decrypted bytes are already waiting in the library. */
bool tls_pending(struct tls *t);

/* What was negotiated, for the Received line and the log: "TLSv1.3",
 * "TLS_AES_256_GCM_SHA384", the cipher's key bits, whether the session was resumed
 * from a ticket. */
const char *tls_version(struct tls *t);
const char *tls_cipher(struct tls *t);
unsigned tls_bits(struct tls *t);
bool tls_resumed(struct tls *t);

/* Send close_notify (best effort, no wait) and release everything. */
void tls_free(struct tls *t);

#endif
