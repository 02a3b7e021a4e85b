/* tls.c: the TLS layer of the session's connection, with GnuTLS (tls.h).  Session
 * side: it runs in the unprivileged, sandboxed session process.
 *
 * Policy (issue 11, RFC 8996, RFC 7525): TLS 1.2 and 1.3 only; AEAD ciphers with
 * ECDHE only (no NULL, export, RC4 or CBC suites); the server's order of preference;
 * no compression (GnuTLS 3.6 removed it); no renegotiation (a client's request is
 * refused with a no_renegotiation alert).  RFC 5077 / RFC 8446 4.6.1 tickets when a
 * ticket key is given: the parent hands this process the key of the current period
 * only (parent/keys.c), which every session process of the period shares.
 *
 * No private key is ever in this process (issue 21): the parent holds them and signs
 * (PS_SIGN, parent/keys.c); here each is a GnuTLS external key whose callbacks ask the
 * parent (gnutls_privkey_import_ext4()). */
#include "tls.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <gnutls/gnutls.h>
#include <gnutls/abstract.h>
#include <gnutls/x509.h>

#include "priv.h"
#include "util.h"

/* TLS_STATIC=1 (the default): GnuTLS and the libraries it uses are linked in
 * statically, so nothing is loaded and no symbol is looked up when a session starts:
 * loading the shared libgnutls and the eight libraries it brings (nettle, hogweed, gmp,
 * p11-kit, tasn1, unistring, idn2, ffi), their relocations mostly, was two thirds of
 * what TLS cost a session (issue 23; bench/results/2026-12-07-tls.txt).  The library
 * is initialised only where TLS is configured (keys_library(), parent/keys.c).
 * TLS_STATIC=0: libgnutls is not linked but loaded (dlopen) before the fork, only where
 * TLS is configured: linked dynamically, it doubled the CPU time of every plain session
 * (bench/tlslib/README.md).  Every function used is listed here once; below, each name
 * stands for its pointer. */
#define GNUTLS_LIB "libgnutls.so.30"
#define GNUTLS_FUNCS(X)								\
	X(gnutls_strerror)								\
	X(gnutls_x509_crt_get_expiration_time) X(gnutls_x509_crt_get_activation_time)	\
	X(gnutls_x509_crt_deinit) X(gnutls_certificate_set_key)			\
	X(gnutls_certificate_allocate_credentials) X(gnutls_certificate_free_credentials) \
	X(gnutls_priority_init) X(gnutls_priority_deinit) X(gnutls_init) X(gnutls_deinit) \
	X(gnutls_priority_set) X(gnutls_credentials_set)				\
	X(gnutls_session_ticket_enable_server) X(gnutls_transport_set_ptr)		\
	X(gnutls_transport_set_pull_function) X(gnutls_transport_set_push_function)	\
	X(gnutls_transport_set_pull_timeout_function) X(gnutls_protocol_get_name)	\
	X(gnutls_protocol_get_version) X(gnutls_handshake) X(gnutls_error_is_fatal)	\
	X(gnutls_record_recv) X(gnutls_record_send) X(gnutls_alert_send)		\
	X(gnutls_record_check_pending) X(gnutls_ciphersuite_get) X(gnutls_cipher_get)	\
	X(gnutls_cipher_get_key_size) X(gnutls_session_is_resumed) X(gnutls_bye)	\
	X(gnutls_certificate_set_flags) X(gnutls_x509_crt_get_key_id)			\
	X(gnutls_x509_crt_list_import) X(gnutls_pcert_import_x509_list) X(gnutls_pcert_deinit) \
	X(gnutls_privkey_init) X(gnutls_privkey_deinit) X(gnutls_privkey_import_ext4)	\
	X(gnutls_pubkey_get_pk_algorithm) X(gnutls_sign_supports_pk_algorithm)		\
	X(gnutls_db_set_cache_expiration) X(gnutls_malloc)

#if TLS_STATIC
/* Linked in (Makefile: TLS_STATIC=1): nothing to load. */
static int load_gnutls(char *why, size_t n)
{
	(void)why, (void)n;
	return 0;
}
#else
#define DECLARE(f) static __typeof__(f) *p_##f;
GNUTLS_FUNCS(DECLARE)
#undef DECLARE

/* Load the library: 0, or -1 with the reason in why. */
static int load_gnutls(char *why, size_t n)
{
	void *lib = dl_library(GNUTLS_LIB, why, n);
	if (!lib)
		return -1;
#define RESOLVE(f) DL_RESOLVE(lib, GNUTLS_LIB, f, why, n)
	GNUTLS_FUNCS(RESOLVE)
#undef RESOLVE
	return 0;
}

#define gnutls_strerror (*p_gnutls_strerror)
#define gnutls_x509_crt_get_expiration_time (*p_gnutls_x509_crt_get_expiration_time)
#define gnutls_x509_crt_get_activation_time (*p_gnutls_x509_crt_get_activation_time)
#define gnutls_x509_crt_deinit (*p_gnutls_x509_crt_deinit)
#define gnutls_certificate_set_key (*p_gnutls_certificate_set_key)
#define gnutls_certificate_allocate_credentials (*p_gnutls_certificate_allocate_credentials)
#define gnutls_certificate_free_credentials (*p_gnutls_certificate_free_credentials)
#define gnutls_priority_init (*p_gnutls_priority_init)
#define gnutls_priority_deinit (*p_gnutls_priority_deinit)
#define gnutls_init (*p_gnutls_init)
#define gnutls_deinit (*p_gnutls_deinit)
#define gnutls_priority_set (*p_gnutls_priority_set)
#define gnutls_credentials_set (*p_gnutls_credentials_set)
#define gnutls_session_ticket_enable_server (*p_gnutls_session_ticket_enable_server)
#define gnutls_transport_set_ptr (*p_gnutls_transport_set_ptr)
#define gnutls_transport_set_pull_function (*p_gnutls_transport_set_pull_function)
#define gnutls_transport_set_push_function (*p_gnutls_transport_set_push_function)
#define gnutls_transport_set_pull_timeout_function (*p_gnutls_transport_set_pull_timeout_function)
#define gnutls_protocol_get_name (*p_gnutls_protocol_get_name)
#define gnutls_protocol_get_version (*p_gnutls_protocol_get_version)
#define gnutls_handshake (*p_gnutls_handshake)
#define gnutls_error_is_fatal (*p_gnutls_error_is_fatal)
#define gnutls_record_recv (*p_gnutls_record_recv)
#define gnutls_record_send (*p_gnutls_record_send)
#define gnutls_alert_send (*p_gnutls_alert_send)
#define gnutls_record_check_pending (*p_gnutls_record_check_pending)
#define gnutls_ciphersuite_get (*p_gnutls_ciphersuite_get)
#define gnutls_cipher_get (*p_gnutls_cipher_get)
#define gnutls_cipher_get_key_size (*p_gnutls_cipher_get_key_size)
#define gnutls_session_is_resumed (*p_gnutls_session_is_resumed)
#define gnutls_bye (*p_gnutls_bye)
#define gnutls_certificate_set_flags (*p_gnutls_certificate_set_flags)
#define gnutls_x509_crt_get_key_id (*p_gnutls_x509_crt_get_key_id)
#define gnutls_x509_crt_list_import (*p_gnutls_x509_crt_list_import)
#define gnutls_pcert_import_x509_list (*p_gnutls_pcert_import_x509_list)
#define gnutls_pcert_deinit (*p_gnutls_pcert_deinit)
#define gnutls_privkey_init (*p_gnutls_privkey_init)
#define gnutls_privkey_deinit (*p_gnutls_privkey_deinit)
#define gnutls_privkey_import_ext4 (*p_gnutls_privkey_import_ext4)
#define gnutls_pubkey_get_pk_algorithm (*p_gnutls_pubkey_get_pk_algorithm)
#define gnutls_sign_supports_pk_algorithm (*p_gnutls_sign_supports_pk_algorithm)
#define gnutls_db_set_cache_expiration (*p_gnutls_db_set_cache_expiration)
#define gnutls_malloc (*p_gnutls_malloc)
#endif

/* The suites and versions we offer, most preferred first. */
#define TLS_PRIORITY "SECURE256:+SECURE128:-VERS-ALL:+VERS-TLS1.3:+VERS-TLS1.2:" \
	"-CIPHER-ALL:+AES-256-GCM:+CHACHA20-POLY1305:+AES-128-GCM:-MAC-ALL:+AEAD:" \
	"-KX-ALL:+ECDHE-ECDSA:+ECDHE-RSA:-GROUP-ALL:+GROUP-X25519:+GROUP-SECP256R1:" \
	"+GROUP-SECP384R1:%SERVER_PRECEDENCE"

/* One pair's key, as this process knows it: which pair the parent signs with, and the
 * public key's algorithm (from the certificate) for the library's questions. */
struct ext_key {
	unsigned pair;
	int pk;				/* gnutls_pk_algorithm_t */
	unsigned bits;
};

struct tls {
	gnutls_certificate_credentials_t cred;
	struct ext_key key[TLS_PAIRS_MAX];
	gnutls_priority_t prio;
	gnutls_datum_t ticket;		/* the ticket key, or empty */
	gnutls_session_t sess;		/* from the handshake on */
	int in, out;
	const struct deadline *d;	/* of the read or write under way */
	bool timedout;			/* the transport gave up at d */
	char version[16];
	struct tls_files files;		/* the certificates, until tls_prepare() */
	bool prepared;			/* tls_prepare() succeeded */
};

static void say(char *why, size_t n, const char *what, int rc)
{
	snprintf(why, n, "%s: %s", what, gnutls_strerror(rc));
}

/* The checks of a pair at start-up (issue 11), with a clear reason: the key belongs
 * to the certificate (by comparing key ids: the parent's, of the key it holds, and
 * the certificate's; GnuTLS's own check signs and verifies, 0.35 ms for ECDSA and
 * 2.7 ms for RSA-2048 in every session, so it is turned off), and the certificate is
 * valid now: a client that checks would fail anyway, with a worse message.  crt is
 * the server's, the first of the chain. */
static int check_pair(gnutls_x509_crt_t crt, const unsigned char *id, size_t idlen,
		      char *why, size_t n)
{
	unsigned char a[PS_KEY_ID_MAX];
	size_t la = sizeof a;
	time_t now = time(NULL);
	const char *bad = NULL;
	if (gnutls_x509_crt_get_key_id(crt, GNUTLS_KEYID_USE_SHA256, a, &la) < 0 || !idlen)
		bad = "the key cannot be read";
	else if (la != idlen || memcmp(a, id, la) != 0)
		bad = "the key does not match the certificate";
	else if (gnutls_x509_crt_get_expiration_time(crt) < now)
		bad = "the certificate has expired";
	else if (gnutls_x509_crt_get_activation_time(crt) > now)
		bad = "the certificate is not valid yet";
	if (bad)
		snprintf(why, n, "%s", bad);
	return bad ? -1 : 0;
}

/* The external key's callbacks (gnutls_privkey_import_ext4()).  Signing, of a hash or
 * (EdDSA) of data: the parent does it. */
static int ext_sign(gnutls_privkey_t key, gnutls_sign_algorithm_t algo, void *userdata,
		    unsigned flags, const gnutls_datum_t *data, gnutls_datum_t *sig)
{
	(void)key, (void)flags;
	const struct ext_key *k = userdata;
	struct buf b = BUF_INIT;
	int rc = priv_sign(k->pair, (unsigned)algo, data->data, data->size, &b);
	sig->data = rc == 0 ? gnutls_malloc(b.len) : NULL;
	if (sig->data) {
		memcpy(sig->data, b.p, b.len);
		sig->size = (unsigned)b.len;
	}
	buf_free(&b);
	return sig->data ? 0 : GNUTLS_E_PK_SIGN_FAILED;
}

/* What the library asks of the key: its algorithm and size (the certificate's), and
 * whether it makes a signature algorithm: one of PS_SIGN_ALGOS for its kind of key,
 * the rule the parent applies (the curve of TLS 1.3's ECDSA algorithms the library
 * checks against the certificate itself). */
static int ext_info(gnutls_privkey_t key, unsigned flags, void *userdata)
{
	(void)key;
	const struct ext_key *k = userdata;
	if (flags & GNUTLS_PRIVKEY_INFO_PK_ALGO)
		return k->pk;
	if (flags & GNUTLS_PRIVKEY_INFO_PK_ALGO_BITS)
		return (int)k->bits;
	if (flags & GNUTLS_PRIVKEY_INFO_HAVE_SIGN_ALGO) {
		unsigned algo = GNUTLS_FLAGS_TO_SIGN_ALGO(flags);
		bool listed = false;
#define IS(a) listed |= algo == (unsigned)(a);
		PS_SIGN_ALGOS(IS)
#undef IS
		return listed && gnutls_sign_supports_pk_algorithm(algo, k->pk);
	}
	return -1;
}

/* Pair i into the credentials: the certificate chain in PEM, decoded once and
 * checked (check_pair()), and the parent's key, as an external key. */
static int load_pair(struct tls *t, unsigned i, const gnutls_datum_t *c,
		     const unsigned char *id, size_t idlen, char *why, size_t n)
{
	gnutls_x509_crt_t crt[TLS_CHAIN_MAX];
	unsigned ncrt = TLS_CHAIN_MAX;
	int rc = gnutls_x509_crt_list_import(crt, &ncrt, c, GNUTLS_X509_FMT_PEM,
					     GNUTLS_X509_CRT_LIST_FAIL_IF_UNSORTED);
	if (rc < 0 || ncrt == 0)
		return say(why, n, "certificate", rc < 0 ? rc : GNUTLS_E_NO_CERTIFICATE_FOUND), -1;
	gnutls_pcert_st pc[TLS_CHAIN_MAX];
	unsigned npc = ncrt;
	rc = check_pair(crt[0], id, idlen, why, n) == -1 ? 1
		: gnutls_pcert_import_x509_list(pc, crt, &npc, 0);
	for (unsigned j = 0; j < ncrt; j++)
		gnutls_x509_crt_deinit(crt[j]);
	if (rc != 0)
		return rc < 0 ? (say(why, n, "certificate", rc), -1) : -1;
	struct ext_key *k = &t->key[i];
	k->pair = i;
	k->pk = gnutls_pubkey_get_pk_algorithm(pc[0].pubkey, &k->bits);
	gnutls_privkey_t key;
	if ((rc = gnutls_privkey_init(&key)) == 0 &&
	    (rc = gnutls_privkey_import_ext4(key, k, ext_sign, ext_sign, NULL, NULL, ext_info,
					     0)) < 0)
		gnutls_privkey_deinit(key);
	/* the credentials own the certificates and the key from here on */
	if (rc == 0 && (rc = gnutls_certificate_set_key(t->cred, NULL, 0, pc, (int)npc, key)) < 0)
		gnutls_privkey_deinit(key);
	if (rc < 0) {
		for (unsigned j = 0; j < npc; j++)
			gnutls_pcert_deinit(&pc[j]);
		return say(why, n, "key", rc), -1;
	}
	return 0;
}

static int load_pairs(struct tls *t, const struct tls_files *f,
		      unsigned char id[][PS_KEY_ID_MAX], const size_t *idlen, char *why, size_t n)
{
	gnutls_certificate_set_flags(t->cred, GNUTLS_CERTIFICATE_SKIP_KEY_CERT_MATCH);
	for (unsigned i = 0; i < f->pairs; i++) {
		gnutls_datum_t c = { (unsigned char *)f->cert[i].p, (unsigned)f->cert[i].len };
		char what[32], reason[96];
		snprintf(what, sizeof what, "certificate and key %u", i + 1);
		if (load_pair(t, i, &c, id[i], idlen[i], reason, sizeof reason) == -1) {
			snprintf(why, n, "%s: %s", what, reason);
			return -1;
		}
	}
	return 0;
}

/* The library, the credentials, the policy and the ticket key into t.  0, or -1 with
 * the reason in why. */
static int setup(struct tls *t, const struct tls_files *f, char *why, size_t n)
{
	unsigned char id[TLS_PAIRS_MAX][PS_KEY_ID_MAX], ticket[TLS_TICKET_KEY_LEN];
	size_t idlen[TLS_PAIRS_MAX] = { 0 };
	bool has_ticket = false;
	if (priv_tls_keys(f->pairs, id, idlen, ticket, &has_ticket) == -1)
		return snprintf(why, n, "the privileged parent did not answer"), -1;
	int rc = gnutls_certificate_allocate_credentials(&t->cred);
	if (rc < 0)
		return say(why, n, "credentials", rc), -1;
	if (load_pairs(t, f, id, idlen, why, n) == -1)
		return explicit_bzero(ticket, sizeof ticket), -1;
	if ((rc = gnutls_priority_init(&t->prio, TLS_PRIORITY, NULL)) < 0)
		return explicit_bzero(ticket, sizeof ticket), say(why, n, "priority", rc), -1;
	if (has_ticket) {
		if (!(t->ticket.data = malloc(TLS_TICKET_KEY_LEN)))
			return snprintf(why, n, "out of memory"), -1;
		memcpy(t->ticket.data, ticket, TLS_TICKET_KEY_LEN);
		t->ticket.size = TLS_TICKET_KEY_LEN;
		explicit_bzero(ticket, sizeof ticket);
	}
	return 0;
}

struct tls *tls_setup(struct tls_files *f, char *why, size_t n)
{
	struct tls *t = calloc(1, sizeof *t);
	if (!t) {
		snprintf(why, n, "out of memory");
		tls_files_wipe(f);
		return NULL;
	}
	if (load_gnutls(why, n) == -1) {	/* a library is loaded before the sandbox */
		tls_files_wipe(f);
		free(t);
		return NULL;
	}
	t->files = *f;		/* the certificates move here, for tls_prepare() */
	tls_files_init(f);
	return t;
}

int tls_prepare(struct tls *t, char *why, size_t n)
{
	if (!t->prepared) {
		t->prepared = setup(t, &t->files, why, n) == 0;
		tls_files_wipe(&t->files);	/* in the library now, or of no use */
	}
	return t->prepared ? 0 : -1;
}

/* --------------------------------------------------------------- transport */

/* Wait for fd under the deadline of the operation under way: 1 ready, 0 timed out
 * (errno ETIMEDOUT), -1 with errno. */
static int wait_fd(struct tls *t, int fd, short ev)
{
	struct pollfd p = { .fd = fd, .events = ev };
	int r = poll(&p, 1, t->d ? deadline_left(t->d) : -1);
	if (r == 0) {
		t->timedout = true;
		errno = ETIMEDOUT;
	}
	return r;
}

static ssize_t pull(gnutls_transport_ptr_t ptr, void *p, size_t n)
{
	struct tls *t = ptr;
	if (wait_fd(t, t->in, POLLIN) <= 0)
		return -1;
	return read(t->in, p, n);
}

static ssize_t push(gnutls_transport_ptr_t ptr, const void *p, size_t n)
{
	struct tls *t = ptr;
	if (wait_fd(t, t->out, POLLOUT) <= 0)
		return -1;
	ssize_t w = send(t->out, p, n, MSG_NOSIGNAL);
	if (w == -1 && errno == ENOTSOCK)
		w = write(t->out, p, n);
	return w;
}

static int pull_timeout(gnutls_transport_ptr_t ptr, unsigned ms)
{
	struct tls *t = ptr;
	struct pollfd p = { .fd = t->in, .events = POLLIN };
	return poll(&p, 1, ms == GNUTLS_INDEFINITE_TIMEOUT ? -1 : (int)ms);
}

/* The errno that stands for a GnuTLS error after a transport call. */
static int as_errno(struct tls *t, int rc)
{
	if (t->timedout)
		return ETIMEDOUT;
	if (rc == GNUTLS_E_INTERRUPTED || rc == GNUTLS_E_AGAIN)
		return EINTR;
	return EPROTO;
}

/* -------------------------------------------------------------- handshake */

static int new_session(struct tls *t, int in, int out, char *why, size_t n)
{
	/* GNUTLS_NO_SIGNAL: send() with MSG_NOSIGNAL; the client may be gone. */
	int rc = gnutls_init(&t->sess, GNUTLS_SERVER | GNUTLS_NO_SIGNAL);
	if (rc == 0)
		rc = gnutls_priority_set(t->sess, t->prio);
	if (rc == 0)
		rc = gnutls_credentials_set(t->sess, GNUTLS_CRD_CERTIFICATE, t->cred);
	/* Without a ticket key there is no resumption: GnuTLS's server issues no ticket in
	 * TLS 1.2 or 1.3 unless given a key (gnutls_init() sets GNUTLS_NO_TICKETS for a
	 * server), and we set no session cache (gnutls_db_set_*), which a process per
	 * connection could not share.  Issue 22 asked for an empty session ID in TLS 1.2
	 * then (RFC 5246 7.4.1.3: "the session will not be cached and therefore cannot be
	 * resumed"), but GnuTLS 3.7 (and its master of 2026) gives every new TLS 1.2
	 * session a random 32-octet ID where it reads the ClientHello (lib/handshake.c), with no
	 * call to leave it empty; the ServerHello is hashed into the Finished messages,
	 * so the transport cannot edit it either.  A client that offers that ID again
	 * gets a full handshake, as it would with none. */
	if (rc == 0 && t->ticket.size) {
		rc = gnutls_session_ticket_enable_server(t->sess, &t->ticket);
		/* the lifetime a ticket is announced with (RFC 8446 4.6.1): the period
		 * its key is given out for */
		gnutls_db_set_cache_expiration(t->sess, TLS_TICKET_PERIOD_S);
	}
	if (rc < 0) {
		say(why, n, "session", rc);
		return -1;
	}
	t->in = in;
	t->out = out;
	gnutls_transport_set_ptr(t->sess, t);
	gnutls_transport_set_pull_function(t->sess, pull);
	gnutls_transport_set_push_function(t->sess, push);
	gnutls_transport_set_pull_timeout_function(t->sess, pull_timeout);
	return 0;
}

static void name_version(struct tls *t)
{
	/* Postfix's spelling in the Received comment: "TLSv1.3". */
	const char *v = gnutls_protocol_get_name(gnutls_protocol_get_version(t->sess));
	if (v && strncmp(v, "TLS", 3) == 0)
		snprintf(t->version, sizeof t->version, "TLSv%s", v + 3);
	else
		snprintf(t->version, sizeof t->version, "%s", v ? v : "TLS");
}

enum tls_hs tls_handshake(struct tls *t, int in, int out, const struct deadline *d,
			  const volatile sig_atomic_t *term, char *why, size_t n)
{
	if (new_session(t, in, out, why, n) == -1)
		return TLS_HS_FAILED;
	t->d = d;
	t->timedout = false;
	int rc;
	do {
		rc = gnutls_handshake(t->sess);
	} while (rc < 0 && !gnutls_error_is_fatal(rc) && !t->timedout && !*term);
	t->d = NULL;
	if (rc == 0) {
		name_version(t);
		return TLS_HS_OK;
	}
	if (t->timedout) {
		snprintf(why, n, "timeout");
		return TLS_HS_TIMEOUT;
	}
	if (*term) {
		snprintf(why, n, "SIGTERM");
		return TLS_HS_TERM;
	}
	say(why, n, "handshake", rc);
	return TLS_HS_FAILED;
}

/* ------------------------------------------------------------------ records */

ssize_t tls_recv(struct tls *t, void *p, size_t n, const struct deadline *d)
{
	t->d = d;
	t->timedout = false;
	ssize_t r;
	for (;;) {
		r = gnutls_record_recv(t->sess, p, n);
		if (r == GNUTLS_E_REHANDSHAKE) {
			/* issue 11: no renegotiation (RFC 5746 would allow a safe one) */
			gnutls_alert_send(t->sess, GNUTLS_AL_WARNING, GNUTLS_A_NO_RENEGOTIATION);
			continue;
		}
		break;
	}
	t->d = NULL;
	if (r >= 0)
		return r;
	if (r == GNUTLS_E_PREMATURE_TERMINATION)
		return 0;	/* EOF without close_notify: the end all the same */
	errno = as_errno(t, (int)r);
	return -1;
}

int tls_send(struct tls *t, const void *p, size_t n, const struct deadline *d)
{
	t->d = d;
	t->timedout = false;
	size_t off = 0;
	while (off < n) {
		ssize_t w = gnutls_record_send(t->sess, (const char *)p + off, n - off);
		if (w > 0)
			off += (size_t)w;
		else if (w != GNUTLS_E_INTERRUPTED && w != GNUTLS_E_AGAIN)
			break;
		else if (t->timedout)
			break;
	}
	t->d = NULL;
	return off == n ? 0 : -1;
}

bool tls_pending(struct tls *t)
{
	return t->sess && gnutls_record_check_pending(t->sess) > 0;
}

const char *tls_version(struct tls *t)
{
	return t->version;
}

const char *tls_cipher(struct tls *t)
{
	const char *c = gnutls_ciphersuite_get(t->sess);
	return c ? c : "unknown";
}

unsigned tls_bits(struct tls *t)
{
	return (unsigned)gnutls_cipher_get_key_size(gnutls_cipher_get(t->sess)) * 8;
}

bool tls_resumed(struct tls *t)
{
	return gnutls_session_is_resumed(t->sess) != 0;
}

void tls_free(struct tls *t)
{
	if (!t)
		return;
	if (t->sess) {
		/* close_notify, without waiting for the client's (RFC 8446 6.1) */
		struct deadline now;
		deadline_in(&now, 0);
		t->d = &now;
		gnutls_bye(t->sess, GNUTLS_SHUT_WR);
		gnutls_deinit(t->sess);
	}
	if (t->prio)
		gnutls_priority_deinit(t->prio);
	if (t->cred)
		gnutls_certificate_free_credentials(t->cred);
	tls_files_wipe(&t->files);
	if (t->ticket.data) {
		explicit_bzero(t->ticket.data, t->ticket.size);
		free(t->ticket.data);
	}
	free(t);
}
