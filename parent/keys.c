/* keys.c: the TLS private keys and the ticket key, held by the privileged parent and
 * used for the session process (keys.h, privsep.h: PS_TLS_KEYS, PS_SIGN).  Privileged
 * side.  OpenSMTPD's ca process does the same for its network-facing smtp process.
 *
 * The key files are opened and checked before the fork (session/tlsfiles.c: as the
 * program was started, root for /etc/ssl/private) and read here, after it, so no byte
 * of a key is ever in the session process's memory.  That process signs its handshake
 * through PS_SIGN: GnuTLS in it holds each key as an external key
 * (gnutls_privkey_import_ext4(), session/tls.c) whose callbacks send the request.
 * Every request is checked as hostile: the pair exists, the algorithm is one of
 * PS_SIGN_ALGOS the key can make, the hash has its length, a DigestInfo or EdDSA data
 * has the shape a TLS server signs, and no more than TLS_SIGN_MAX signatures are made
 * per session.
 *
 * The ticket key (RFC 5077; RFC 8446 4.6.1 in TLS 1.3): the session process gets not
 * the file's key but HMAC-SHA-512(file key, "smtp-session ticket key" || the number of
 * the current TLS_TICKET_PERIOD_S period, 8 octets big-endian), the key of this period.
 * Given one key, GnuTLS 3.7 encrypts its tickets under that key itself (its own
 * rotation, lib/stek.c, only moves on within a process that outlives its period), so
 * every process of a period shares the key and resumes the others' tickets, and a
 * taken-over session process learns the key of one period only: it can read and make
 * the tickets of that period, not those of earlier or later ones. */
#include "keys.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <gnutls/gnutls.h>
#include <gnutls/abstract.h>
#include <gnutls/crypto.h>
#include <gnutls/x509.h>

#include "config.h"
#include "privsep.h"
#include "util.h"

/* GnuTLS, linked in statically or loaded (dlopen) before the fork only where TLS is
 * configured, like the session's (session/tls.c says why).  For TLS_STATIC=0, every
 * function used, once. */
#define GNUTLS_LIB "libgnutls.so.30"
#define KEY_FUNCS(X)									\
	X(gnutls_x509_privkey_init) X(gnutls_x509_privkey_import)			\
	X(gnutls_x509_privkey_get_key_id) X(gnutls_x509_privkey_export_ecc_raw)	\
	X(gnutls_x509_privkey_deinit) X(gnutls_privkey_init) X(gnutls_privkey_deinit)	\
	X(gnutls_privkey_import_x509) X(gnutls_privkey_get_pk_algorithm)		\
	X(gnutls_privkey_sign_hash2) X(gnutls_privkey_sign_data2)			\
	X(gnutls_sign_supports_pk_algorithm) X(gnutls_sign_get_hash_algorithm)	\
	X(gnutls_hash_get_len) X(gnutls_hmac_fast) X(gnutls_free)

#if TLS_STATIC
/* Linked in (Makefile: TLS_STATIC=1), so its constructor would initialise it in every
 * process, TLS or not: GNUTLS_SKIP_GLOBAL_INIT turns that off (gnutls/gnutls.h), and
 * keys_library() initialises it where TLS is configured, before the fork, once for
 * both processes. */
GNUTLS_SKIP_GLOBAL_INIT

int keys_library(char *why, size_t n)
{
	int rc = gnutls_global_init();
	if (rc < 0)
		snprintf(why, n, "GnuTLS: %s", gnutls_strerror(rc));
	return rc < 0 ? -1 : 0;
}
#else
#define DECLARE(f) static __typeof__(f) *p_##f;
KEY_FUNCS(DECLARE)
#undef DECLARE

int keys_library(char *why, size_t n)
{
	void *lib = dl_library(GNUTLS_LIB, why, n);
	if (!lib)
		return -1;
#define RESOLVE(f) DL_RESOLVE(lib, GNUTLS_LIB, f, why, n)
	KEY_FUNCS(RESOLVE)
#undef RESOLVE
	return 0;
}

#define gnutls_x509_privkey_init (*p_gnutls_x509_privkey_init)
#define gnutls_x509_privkey_import (*p_gnutls_x509_privkey_import)
#define gnutls_x509_privkey_get_key_id (*p_gnutls_x509_privkey_get_key_id)
#define gnutls_x509_privkey_export_ecc_raw (*p_gnutls_x509_privkey_export_ecc_raw)
#define gnutls_x509_privkey_deinit (*p_gnutls_x509_privkey_deinit)
#define gnutls_privkey_init (*p_gnutls_privkey_init)
#define gnutls_privkey_deinit (*p_gnutls_privkey_deinit)
#define gnutls_privkey_import_x509 (*p_gnutls_privkey_import_x509)
#define gnutls_privkey_get_pk_algorithm (*p_gnutls_privkey_get_pk_algorithm)
#define gnutls_privkey_sign_hash2 (*p_gnutls_privkey_sign_hash2)
#define gnutls_privkey_sign_data2 (*p_gnutls_privkey_sign_data2)
#define gnutls_sign_supports_pk_algorithm (*p_gnutls_sign_supports_pk_algorithm)
#define gnutls_sign_get_hash_algorithm (*p_gnutls_sign_get_hash_algorithm)
#define gnutls_hash_get_len (*p_gnutls_hash_get_len)
#define gnutls_hmac_fast (*p_gnutls_hmac_fast)
#define gnutls_free (*p_gnutls_free)
#endif

/* One pair's key: the parent's own, for the life of the session. */
struct key {
	gnutls_privkey_t k;		/* NULL: it could not be decoded */
	int pk;				/* gnutls_pk_algorithm_t */
	int curve;			/* gnutls_ecc_curve_t, for ECDSA and EdDSA */
	unsigned char id[PS_KEY_ID_MAX];
	size_t idlen;
};

/* What this parent holds for its one session. */
static struct {
	struct key key[TLS_PAIRS_MAX];
	unsigned n;
	unsigned char ticket[TLS_TICKET_KEY_LEN];	/* this period's, until told */
	bool has_ticket;
	bool loaded;		/* TLS is configured: keys_load() ran */
	/* The files' octets, from keys_load() until the session asks for its keys
	 * (PS_TLS_KEYS): decoded only where the client asks for TLS (issue 23). */
	unsigned char *pem[TLS_PAIRS_MAX], *master;
	size_t pemlen[TLS_PAIRS_MAX], masterlen;
	bool told;		/* PS_TLS_KEYS was answered */
	unsigned signs;		/* PS_SIGN so far */
} K;

/* The whole file open on fd into a new buffer (*len octets), or NULL. */
static unsigned char *slurp(int fd, size_t *len)
{
	struct stat st;
	unsigned char *p = NULL;
	if (fstat(fd, &st) == 0 && st.st_size > 0 && st.st_size <= TLS_FILE_MAX &&
	    (p = malloc((size_t)st.st_size))) {
		size_t got = 0;
		ssize_t r = 1;
		while (got < (size_t)st.st_size &&
		       (r = read(fd, p + got, (size_t)st.st_size - got)) > 0)
			got += (size_t)r;
		if (got != (size_t)st.st_size) {
			explicit_bzero(p, (size_t)st.st_size);
			free(p);
			p = NULL;
		}
		*len = got;
	}
	return p;
}

/* Wipe and free a file's octets. */
static void forget(unsigned char **p, size_t *len)
{
	if (*p) {
		explicit_bzero(*p, *len);
		free(*p);
	}
	*p = NULL;
	*len = 0;
}

/* The PEM key pem (wiped and freed) into k.  0 or -1. */
static int load_key(unsigned char **pem, size_t *len, struct key *k)
{
	if (!*pem)
		return -1;
	gnutls_datum_t d = { *pem, (unsigned)*len };
	gnutls_x509_privkey_t x;
	int rc = gnutls_x509_privkey_init(&x);
	if (rc == 0 && (rc = gnutls_x509_privkey_import(x, &d, GNUTLS_X509_FMT_PEM)) < 0)
		gnutls_x509_privkey_deinit(x);
	forget(pem, len);
	if (rc < 0)
		return -1;
	k->idlen = sizeof k->id;
	gnutls_ecc_curve_t curve = GNUTLS_ECC_CURVE_INVALID;
	gnutls_x509_privkey_export_ecc_raw(x, &curve, NULL, NULL, NULL);	/* not EC: stays */
	k->curve = curve;
	if (gnutls_x509_privkey_get_key_id(x, GNUTLS_KEYID_USE_SHA256, k->id, &k->idlen) < 0 ||
	    gnutls_privkey_init(&k->k) < 0) {
		gnutls_x509_privkey_deinit(x);
		k->k = NULL;
		return -1;
	}
	if (gnutls_privkey_import_x509(k->k, x, GNUTLS_PRIVKEY_IMPORT_AUTO_RELEASE) < 0) {
		gnutls_x509_privkey_deinit(x);
		gnutls_privkey_deinit(k->k);
		k->k = NULL;
		return -1;
	}
	k->pk = gnutls_privkey_get_pk_algorithm(k->k, NULL);
	return 0;
}

/* This period's ticket key from the file's octets (wiped and freed).  0 or -1. */
static int load_ticket(unsigned char **master_p, size_t *len_p)
{
	unsigned char *master = *master_p;
	size_t len = *len_p;
	if (!master)
		return -1;
	int rc = -1;
	if (len == TLS_TICKET_KEY_LEN) {
		static const char label[] = "smtp-session ticket key";
		unsigned char in[sizeof label - 1 + 8];
		time_t now = time(NULL);
#ifdef SMTP_TEST_HOOKS
		/* Test builds only (tls.bats): the clock moved on by this many seconds. */
		const char *shift = getenv("SMTP_TEST_TICKET_SHIFT");
		if (shift)
			now += atol(shift);
#endif
		uint64_t period = (uint64_t)now / TLS_TICKET_PERIOD_S;
		memcpy(in, label, sizeof label - 1);
		for (int i = 0; i < 8; i++)
			in[sizeof label - 1 + i] = (unsigned char)(period >> (56 - 8 * i));
		/* SHA-512: 64 octets, TLS_TICKET_KEY_LEN */
		rc = gnutls_hmac_fast(GNUTLS_MAC_SHA512, master, len, in, sizeof in, K.ticket);
	}
	forget(master_p, len_p);
	return rc < 0 ? -1 : 0;
}

void keys_load(const int *fds, unsigned n, int ticket_fd)
{
	K.n = n;
	K.loaded = true;
	for (unsigned i = 0; i < n; i++)
		K.pem[i] = slurp(fds[i], &K.pemlen[i]);
	if (ticket_fd != -1)
		K.master = slurp(ticket_fd, &K.masterlen);
}

void keys_wipe(void)
{
	for (unsigned i = 0; i < K.n; i++) {
		forget(&K.pem[i], &K.pemlen[i]);
		if (K.key[i].k)
			gnutls_privkey_deinit(K.key[i].k);
		K.key[i] = (struct key){ 0 };
	}
	forget(&K.master, &K.masterlen);
	explicit_bzero(K.ticket, sizeof K.ticket);
}

/* The keys and the ticket key decoded from the octets keys_load() read, which are
 * wiped: a key that cannot be decoded is none (its certificate's check fails). */
static void decode(void)
{
	for (unsigned i = 0; i < K.n; i++)
		if (load_key(&K.pem[i], &K.pemlen[i], &K.key[i]) == -1)
			K.key[i] = (struct key){ 0 };
	K.has_ticket = load_ticket(&K.master, &K.masterlen) == 0;
}

/* ---------------------------------------------------------------- checks */

static bool listed(unsigned algo)
{
#define IS(a) if (algo == (unsigned)(a)) return true;
	PS_SIGN_ALGOS(IS)
#undef IS
	return false;
}

/* The curve an algorithm of TLS 1.3 is bound to (RFC 8446 4.2.3), else -1 (any). */
static int bound_curve(unsigned algo)
{
	switch (algo) {
	case GNUTLS_SIGN_ECDSA_SECP256R1_SHA256: return GNUTLS_ECC_CURVE_SECP256R1;
	case GNUTLS_SIGN_ECDSA_SECP384R1_SHA384: return GNUTLS_ECC_CURVE_SECP384R1;
	case GNUTLS_SIGN_ECDSA_SECP521R1_SHA512: return GNUTLS_ECC_CURVE_SECP521R1;
	case GNUTLS_SIGN_EDDSA_ED25519: return GNUTLS_ECC_CURVE_ED25519;
	case GNUTLS_SIGN_EDDSA_ED448: return GNUTLS_ECC_CURVE_ED448;
	default: return -1;
	}
}

/* A PKCS#1 DigestInfo (RFC 8017 9.2) of SHA-256, SHA-384 or SHA-512: the prefix, then
 * the hash of the length its last octet says. */
static bool digest_info(const unsigned char *d, size_t n)
{
	static const unsigned char pre[] = { 0x30, 0x00, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86,
		0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x00, 0x05, 0x00, 0x04, 0x00 };
	static const unsigned char kind[][3] = { { 0x31, 0x01, 0x20 }, { 0x41, 0x02, 0x30 },
						 { 0x51, 0x03, 0x40 } };
	if (n < sizeof pre)
		return false;
	for (size_t k = 0; k < 3; k++) {
		unsigned char p[sizeof pre];
		memcpy(p, pre, sizeof pre);
		p[1] = kind[k][0], p[14] = kind[k][1], p[18] = kind[k][2];
		if (memcmp(d, p, sizeof p) == 0 && n == sizeof p + kind[k][2])
			return true;
	}
	return false;
}

/* What a TLS server signs whole (EdDSA): a TLS 1.3 CertificateVerify's content (RFC
 * 8446 4.4.3: 64 spaces, the context string, 0, the transcript hash) or a TLS 1.2
 * ServerKeyExchange's (RFC 8422 5.4: the two randoms, then a named curve's point). */
static bool tls_signed_data(const unsigned char *d, size_t n)
{
	static const char ctx[] = "TLS 1.3, server CertificateVerify";
	size_t head = 64 + sizeof ctx;	/* with its 0 */
	if (n > head && memcmp(d + 64, ctx, sizeof ctx) == 0) {
		for (size_t i = 0; i < 64; i++)
			if (d[i] != ' ')
				return false;
		return n == head + 32 || n == head + 48 || n == head + 64;
	}
	return n > 68 && d[64] == 3 && d[67] == n - 68;
}

/* May this key make this signature of these octets? */
static bool allowed(const struct key *k, unsigned algo, const unsigned char *d, size_t n)
{
	if (algo == GNUTLS_SIGN_RSA_RAW)
		return k->pk == GNUTLS_PK_RSA && digest_info(d, n);
	if (!listed(algo) || !gnutls_sign_supports_pk_algorithm(algo, k->pk))
		return false;
	int curve = bound_curve(algo);
	if (curve != -1 && curve != k->curve)
		return false;
	if (algo == GNUTLS_SIGN_EDDSA_ED25519 || algo == GNUTLS_SIGN_EDDSA_ED448)
		return tls_signed_data(d, n);
	return n == gnutls_hash_get_len((gnutls_digest_algorithm_t)
					gnutls_sign_get_hash_algorithm(algo));
}

/* -------------------------------------------------------------- requests */

static const char *serve_tls_keys(struct frame *in, struct frame *out)
{
	if (!frame_done(in) || K.told)
		return "malformed or repeated TLS keys request";
	K.told = true;
	decode();
	frame_begin(out, PS_TLS_KEYS_ANS);
	frame_put_u32(out, K.n);
	for (unsigned i = 0; i < K.n; i++)
		frame_put_bytes(out, K.key[i].id, K.key[i].k ? K.key[i].idlen : 0);
	frame_put_bytes(out, K.ticket, K.has_ticket ? sizeof K.ticket : 0);
	explicit_bzero(K.ticket, sizeof K.ticket);	/* the parent needs it no more */
	return NULL;
}

static const char *serve_sign(struct frame *in, struct frame *out)
{
	uint32_t pair = frame_get_u32(in), algo = frame_get_u32(in);
	size_t n = 0;
	const unsigned char *d = (const unsigned char *)frame_get_bytes(in, PS_SIGN_DATA_MAX, &n);
	if (!frame_done(in) || !K.told)
		return "malformed or out-of-order signature request";
	if (++K.signs > TLS_SIGN_MAX)
		return "more signatures than a TLS handshake makes";
	if (pair >= K.n || !K.key[pair].k)
		return "a signature with a key there is not";
	const struct key *k = &K.key[pair];
	if (!allowed(k, algo, d, n))
		return "a signature the key does not make for TLS";
	gnutls_datum_t data = { (unsigned char *)d, (unsigned)n }, sig = { NULL, 0 };
	int rc;
	if (algo == GNUTLS_SIGN_RSA_RAW)
		rc = gnutls_privkey_sign_hash2(k->k, algo, GNUTLS_PRIVKEY_SIGN_FLAG_TLS1_RSA,
					       &data, &sig);
	else if (algo == GNUTLS_SIGN_EDDSA_ED25519 || algo == GNUTLS_SIGN_EDDSA_ED448)
		rc = gnutls_privkey_sign_data2(k->k, algo, 0, &data, &sig);
	else
		rc = gnutls_privkey_sign_hash2(k->k, algo, 0, &data, &sig);
	bool ok = rc == 0 && sig.size <= PS_SIGNATURE_MAX;
	frame_begin(out, PS_SIGN_ANS);
	frame_put_u32(out, ok ? 0 : 1);
	frame_put_bytes(out, sig.data, ok ? sig.size : 0);
	if (sig.data)
		gnutls_free(sig.data);
	return NULL;
}

const char *keys_serve(struct frame *in, struct frame *out)
{
	if (!K.loaded)
		return "a TLS request where TLS is off";
	return in->type == PS_TLS_KEYS ? serve_tls_keys(in, out) : serve_sign(in, out);
}
