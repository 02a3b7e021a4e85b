/* bench/tlsload.c: the TLS load client of make bench (smtp-source has no TLS;
 * openssl s_time measures handshakes alone).  C workers at once, each running its
 * share of N sessions one after another; each session: the greeting, EHLO, MAIL,
 * RCPT, DATA with a message of SIZE bytes, QUIT, in lock-step.
 *
 *   tlsload [-c C] [-n N] [-s SIZE] [-m plain|starttls|implicit] [-r] HOST PORT RCPT
 *
 * -m starttls: STARTTLS after EHLO, then EHLO again; implicit: the handshake first
 * (RFC 8314); plain: no TLS.  -r: each worker resumes its first session's TLS session
 * (RFC 5077 ticket) in every later one.  Prints one line:
 *   sessions N seconds S rate R/s resumed K errors E
 * and exits 1 if any session failed.  TCP_NODELAY on the socket: without it the
 * handshake's small records wait for delayed ACKs (issue 11). */
#include <arpa/inet.h>
#include <errno.h>
#include <gnutls/gnutls.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

struct conn {
	int fd;
	gnutls_session_t tls;	/* NULL: plain */
	char buf[4096];
	size_t len;
};

struct opts {
	const char *host, *rcpt, *mode;
	int port, size;
	bool resume;
};

static gnutls_certificate_credentials_t cred;

static ssize_t rd(struct conn *c, char *p, size_t n)
{
	if (!c->tls)
		return read(c->fd, p, n);
	ssize_t r;
	do
		r = gnutls_record_recv(c->tls, p, n);
	while (r == GNUTLS_E_AGAIN || r == GNUTLS_E_INTERRUPTED);
	return r < 0 ? -1 : r;
}

static int wr(struct conn *c, const char *p, size_t n)
{
	while (n) {
		ssize_t w = c->tls ? gnutls_record_send(c->tls, p, n) : write(c->fd, p, n);
		if (w <= 0)
			return -1;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

/* Read one whole reply; its code, or -1. */
static int reply(struct conn *c)
{
	for (;;) {
		char *nl = memchr(c->buf, '\n', c->len);
		if (nl) {
			size_t n = (size_t)(nl - c->buf) + 1;
			int code = atoi(c->buf);
			bool last = n > 4 && c->buf[3] == ' ';
			memmove(c->buf, c->buf + n, c->len - n);
			c->len -= n;
			if (last)
				return code;
			continue;
		}
		if (c->len == sizeof c->buf)
			return -1;
		ssize_t r = rd(c, c->buf + c->len, sizeof c->buf - c->len);
		if (r <= 0)
			return -1;
		c->len += (size_t)r;
	}
}

static int cmd(struct conn *c, const char *line, int want)
{
	return wr(c, line, strlen(line)) == 0 && reply(c) == want ? 0 : -1;
}

static int start_tls(struct conn *c, gnutls_datum_t *sess)
{
	if (gnutls_init(&c->tls, GNUTLS_CLIENT) < 0 ||
	    gnutls_set_default_priority(c->tls) < 0 ||
	    gnutls_credentials_set(c->tls, GNUTLS_CRD_CERTIFICATE, cred) < 0)
		return -1;
	if (sess->size)
		gnutls_session_set_data(c->tls, sess->data, sess->size);
	gnutls_transport_set_int(c->tls, c->fd);
	int r;
	do
		r = gnutls_handshake(c->tls);
	while (r < 0 && !gnutls_error_is_fatal(r));
	return r < 0 ? -1 : 0;
}

/* One session; 0, or -1.  *resumed is set when the TLS session was resumed. */
static int session(const struct opts *o, const char *msg, gnutls_datum_t *sess, bool *resumed)
{
	struct conn c = { .fd = socket(AF_INET, SOCK_STREAM, 0) };
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons((uint16_t)o->port) };
	inet_pton(AF_INET, o->host, &sa.sin_addr);
	int one = 1, rc = -1;
	setsockopt(c.fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
	char line[600];
	if (connect(c.fd, (struct sockaddr *)&sa, sizeof sa) == -1)
		goto out;
	if (strcmp(o->mode, "implicit") == 0 && start_tls(&c, sess) == -1)
		goto out;
	if (reply(&c) != 220 || cmd(&c, "EHLO load.example.org\r\n", 250))
		goto out;
	if (strcmp(o->mode, "starttls") == 0 &&
	    (cmd(&c, "STARTTLS\r\n", 220) || start_tls(&c, sess) ||
	     cmd(&c, "EHLO load.example.org\r\n", 250)))
		goto out;
	snprintf(line, sizeof line, "RCPT TO:<%s>\r\n", o->rcpt);
	if (cmd(&c, "MAIL FROM:<load@example.org>\r\n", 250) || cmd(&c, line, 250) ||
	    cmd(&c, "DATA\r\n", 354) || wr(&c, msg, strlen(msg)) || cmd(&c, ".\r\n", 250))
		goto out;
	if (c.tls) {
		*resumed = gnutls_session_is_resumed(c.tls);
		if (o->resume && !sess->size)
			gnutls_session_get_data2(c.tls, sess);
	}
	rc = cmd(&c, "QUIT\r\n", 221);
out:
	if (c.tls) {
		gnutls_bye(c.tls, GNUTLS_SHUT_WR);
		gnutls_deinit(c.tls);
	}
	close(c.fd);
	return rc;
}

/* The message: headers and lines of 76 'x' up to size bytes, CRLF throughout. */
static char *message(int size)
{
	char *m = malloc((size_t)size + 200), *p = m;
	p += sprintf(p, "Subject: tlsload\r\n\r\n");
	while (p - m < size - 78)
		p += sprintf(p, "%.76s\r\n", "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx");
	*p = '\0';
	return m;
}

int main(int argc, char **argv)
{
	struct opts o = { .mode = "implicit", .size = 2048 };
	int conc = 1, n = 100, ch;
	while ((ch = getopt(argc, argv, "c:n:s:m:r")) != -1) {
		switch (ch) {
		case 'c': conc = atoi(optarg); break;
		case 'n': n = atoi(optarg); break;
		case 's': o.size = atoi(optarg); break;
		case 'm': o.mode = optarg; break;
		case 'r': o.resume = true; break;
		default: return 2;
		}
	}
	if (argc - optind != 3 || conc < 1 || n < conc) {
		fprintf(stderr, "usage: tlsload [-c C] [-n N] [-s SIZE] [-m plain|starttls|implicit] [-r] HOST PORT RCPT\n");
		return 2;
	}
	o.host = argv[optind];
	o.port = atoi(argv[optind + 1]);
	o.rcpt = argv[optind + 2];
	gnutls_certificate_allocate_credentials(&cred);	/* the server's is not checked */
	char *msg = message(o.size);
	int *res = mmap(NULL, 2 * sizeof(int) * (size_t)conc, PROT_READ | PROT_WRITE,
			MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (int w = 0; w < conc; w++) {
		if (fork() == 0) {
			gnutls_datum_t sess = { NULL, 0 };
			int errs = 0, resumed = 0;
			for (int i = w; i < n; i += conc) {
				bool r = false;
				errs += session(&o, msg, &sess, &r) != 0;
				resumed += r;
			}
			res[2 * w] = errs;
			res[2 * w + 1] = resumed;
			_exit(0);
		}
	}
	while (wait(NULL) > 0)
		;
	clock_gettime(CLOCK_MONOTONIC, &t1);
	double s = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	int errs = 0, resumed = 0;
	for (int w = 0; w < conc; w++) {
		errs += res[2 * w];
		resumed += res[2 * w + 1];
	}
	printf("sessions %d seconds %.3f rate %.1f/s resumed %d errors %d\n", n, s, n / s,
	       resumed, errs);
	return errs ? 1 : 0;
}
