/* io.c: the session's connection to the client (io.h).  Session side. */
#include "io.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tls.h"
#include "util.h"

void conn_init(struct conn *c, int in, int out, unsigned timeout, unsigned session_timeout,
	       const volatile sig_atomic_t *term, void (*idle)(void))
{
	deadline_in(&c->end, session_timeout * 1000ULL);
	c->idle = idle;
	struct stat st;
	c->in = in;
	c->out = out;
	c->timeout = timeout;
	c->term = term;
	c->out_sock = fstat(out, &st) == 0 && S_ISSOCK(st.st_mode);
}

void conn_flush(struct conn *c)
{
	struct deadline d;
	deadline_in(&d, c->timeout * 1000ULL);
	if (c->tls) {	/* records, under the same deadline (tls.c) */
		if (!c->dead && c->obuf.len && tls_send(c->tls, c->obuf.p, c->obuf.len, &d))
			c->dead = true;
		buf_reset(&c->obuf);
		return;
	}
	size_t off = 0;
	while (off < c->obuf.len && !c->dead) {
		struct pollfd p = { .fd = c->out, .events = POLLOUT };
		int r = poll(&p, 1, deadline_left(&d));
		if (r == 0 || (r == -1 && errno != EINTR))
			c->dead = true;	/* the client does not take our replies */
		if (r <= 0)
			continue;
		ssize_t n = c->out_sock
			? send(c->out, c->obuf.p + off, c->obuf.len - off, MSG_DONTWAIT | MSG_NOSIGNAL)
			: write(c->out, c->obuf.p + off, c->obuf.len - off);
		if (n > 0)
			off += (size_t)n;
		else if (n == -1 && errno != EINTR && errno != EAGAIN)
			c->dead = true;
	}
	buf_reset(&c->obuf);
}

/* Is more client input already waiting?  Then replies can wait too (RFC 2920 3.2). */
static bool input_waiting(const struct conn *c)
{
	if (c->tls && tls_pending(c->tls))
		return true;
	struct pollfd p = { .fd = c->in, .events = POLLIN };
	return poll(&p, 1, 0) == 1;
}

/* The earlier of d and the end of the session, in milliseconds. */
static int wait_left(const struct conn *c, const struct deadline *d)
{
	int a = deadline_left(d), b = deadline_left(&c->end);
	return a < b ? a : b;
}

/* conn_fill() waiting at most until d. */
static enum rd fill(struct conn *c, const struct deadline *d)
{
	if (c->ipos) {
		size_t keep = c->ilen - c->ipos;
		memmove(c->ibuf, c->ibuf + c->ipos, keep);
		/* What the move did not overwrite of the old copy is wiped: an AUTH line
		 * split across two reads must leave no second copy behind (the whole line
		 * is wiped in place once it has been used). */
		size_t from = c->ipos > keep ? c->ipos : keep;
		explicit_bzero(c->ibuf + from, c->ilen - from);
		c->ilen = keep;
		c->ipos = 0;
	}
	if (c->obuf.len && !input_waiting(c))
		conn_flush(c);
	if (c->idle)
		c->idle();
	if (c->dead)
		return RD_EOF;
	for (;;) {
		if (*c->term)
			return RD_TERM;
		struct pollfd p = { .fd = c->in, .events = POLLIN };
		int r = c->tls && tls_pending(c->tls) ? 1 : poll(&p, 1, wait_left(c, d));
		if (r == 0)
			return deadline_left(&c->end) ? RD_TIMEOUT : RD_EXPIRED;
		if (r == -1) {
			if (errno == EINTR)
				continue;
			return RD_EOF;
		}
		ssize_t n = c->tls
			? tls_recv(c->tls, c->ibuf + c->ilen, sizeof c->ibuf - c->ilen, d)
			: read(c->in, c->ibuf + c->ilen, sizeof c->ibuf - c->ilen);
		if (n > 0) {
			c->ilen += (size_t)n;
			return RD_OK;
		}
		if (n == -1 && errno == ETIMEDOUT)
			return RD_TIMEOUT;
		if (n == 0 || (errno != EINTR && errno != EAGAIN))
			return RD_EOF;
	}
}

enum rd conn_fill(struct conn *c)
{
	struct deadline d;
	deadline_in(&d, c->timeout * 1000ULL);
	return fill(c, &d);
}

/* The start of a line that is too long to keep, so that its reply can still depend on
 * the verb (an over-long AUTH line gets RFC 4954's 500 5.5.6). */
static void keep_head(struct conn *c, const char *p, size_t n)
{
	size_t k = n < sizeof c->longhead - 1 ? n : sizeof c->longhead - 1;
	memcpy(c->longhead, p, k);
	c->longhead[k] = '\0';
}

enum rd conn_get_line(struct conn *c, size_t max, char **line, size_t *len)
{
	bool toolong = false;
	/* Until the line's first byte is here, d bounds the silence; from that byte on,
	 * the whole line (RFC 5321 4.5.3.2: a server times out a command). */
	bool started = c->ipos < c->ilen;
	struct deadline d;
	deadline_in(&d, c->timeout * 1000ULL);
	for (;;) {
		char *p = c->ibuf + c->ipos;
		size_t avail = c->ilen - c->ipos;
		char *nl = memchr(p, '\n', avail);
		if (nl) {
			size_t n = (size_t)(nl - p);
			c->ipos += n + 1;
			if (!toolong && n + 1 > max)
				keep_head(c, p, n);
			if (toolong || n + 1 > max)
				return RD_LONG;
			if (n && p[n - 1] == '\r')
				n--;
			p[n] = '\0';
			*line = p;
			*len = n;
			return RD_OK;
		}
		if (avail >= max) {
			if (!toolong)
				keep_head(c, p, avail);
			toolong = true;
			c->ipos = c->ilen;
		}
		enum rd r = fill(c, &d);
		if (r != RD_OK)
			return r;
		if (!started) {
			started = true;
			deadline_in(&d, c->timeout * 1000ULL);
		}
	}
}

enum rd conn_starttls(struct conn *c, struct tls *t, char *why, size_t n)
{
	conn_flush(c);
	explicit_bzero(c->ibuf, c->ilen);	/* RFC 3207 5, CVE-2011-0411 */
	c->ipos = c->ilen = 0;
	if (c->dead) {
		snprintf(why, n, "lost connection");
		return RD_EOF;
	}
	struct deadline d;
	deadline_in(&d, c->timeout * 1000ULL);
	switch (tls_handshake(t, c->in, c->out, &d, c->term, why, n)) {
	case TLS_HS_OK:
		c->tls = t;
		return RD_OK;
	case TLS_HS_TIMEOUT:
		c->dead = true;
		return RD_TIMEOUT;
	case TLS_HS_TERM:
		c->dead = true;
		return RD_TERM;
	default:
		c->dead = true;
		return RD_EOF;
	}
}

void conn_free(struct conn *c)
{
	buf_free(&c->obuf);
}
