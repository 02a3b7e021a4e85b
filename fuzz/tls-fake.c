/* fuzz/tls-fake.c: a plain stand-in for the TLS layer (tls.h), so that the harness
 * reaches the states after STARTTLS: the "handshake" succeeds at once without a byte,
 * and records are the bytes themselves.  What the real layer does to the input
 * buffer (discarding pipelined plaintext, RFC 3207 5) is io.c's, so it is fuzzed. */
#include <errno.h>
#include <stdlib.h>
#include <unistd.h>

#include "tls.h"

struct tls {
	int in, out;
};

static struct tls the_fake;

struct tls *tls_fake(void);
struct tls *tls_fake(void)
{
	return &the_fake;
}

int tls_prepare(struct tls *t, char *why, size_t n)
{
	(void)t, (void)why, (void)n;
	return 0;
}

enum tls_hs tls_handshake(struct tls *t, int in, int out, const struct deadline *d,
			  const volatile sig_atomic_t *term, char *why, size_t n)
{
	(void)d, (void)term, (void)why, (void)n;
	t->in = in;
	t->out = out;
	return TLS_HS_OK;
}

ssize_t tls_recv(struct tls *t, void *p, size_t n, const struct deadline *d)
{
	(void)d;
	return read(t->in, p, n);
}

int tls_send(struct tls *t, const void *p, size_t n, const struct deadline *d)
{
	(void)d;
	return write(t->out, p, n) == (ssize_t)n ? 0 : -1;
}

bool tls_pending(struct tls *t)
{
	(void)t;
	return false;
}

const char *tls_version(struct tls *t)
{
	(void)t;
	return "TLSv1.3";
}

const char *tls_cipher(struct tls *t)
{
	(void)t;
	return "TLS_FAKE_PLAIN";
}

unsigned tls_bits(struct tls *t)
{
	(void)t;
	return 0;
}

bool tls_resumed(struct tls *t)
{
	(void)t;
	return false;
}

void tls_free(struct tls *t)
{
	(void)t;
}
