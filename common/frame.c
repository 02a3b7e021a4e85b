/* frame.c: building, sending, receiving and reading the frames of privsep.h. */
#include "frame.h"

#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "config.h"
#include "util.h"

void frame_begin(struct frame *f, uint16_t type)
{
	struct frame_hdr h = { 0, type, 0 };
	frame_clear(f);
	buf_reset(&f->b);
	f->type = type;
	buf_add(&f->b, &h, sizeof h);
}

void frame_put_u32(struct frame *f, uint32_t v)
{
	buf_add(&f->b, &v, sizeof v);
}

void frame_put_u64(struct frame *f, uint64_t v)
{
	buf_add(&f->b, &v, sizeof v);
}

void frame_put_bytes(struct frame *f, const void *p, size_t n)
{
	frame_put_u32(f, (uint32_t)n);
	buf_add(&f->b, p, n);
}

void frame_put_str(struct frame *f, const char *s)
{
	frame_put_bytes(f, s, strlen(s));
}

static int send_all(int sock, const char *p, size_t n, int fd)
{
	char cbuf[CMSG_SPACE(sizeof(int))];
	while (n) {
		struct iovec iov = { (void *)p, n };
		struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1 };
		if (fd != -1) {	/* the descriptor rides with the first bytes */
			memset(cbuf, 0, sizeof cbuf);
			m.msg_control = cbuf;
			m.msg_controllen = sizeof cbuf;
			struct cmsghdr *c = CMSG_FIRSTHDR(&m);
			c->cmsg_level = SOL_SOCKET;
			c->cmsg_type = SCM_RIGHTS;
			c->cmsg_len = CMSG_LEN(sizeof(int));
			memcpy(CMSG_DATA(c), &fd, sizeof fd);
		}
		ssize_t w = sendmsg(sock, &m, MSG_NOSIGNAL);
		if (w == -1 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		p += w;
		n -= (size_t)w;
		fd = -1;
	}
	return 0;
}

void frame_finish(struct frame *f)
{
	struct frame_hdr h;
	memcpy(&h, f->b.p, sizeof h);
	h.len = (uint32_t)(f->b.len - sizeof h);
	memcpy(f->b.p, &h, sizeof h);
}

int frame_send_raw(int sock, const char *p, size_t n, int fd)
{
	return send_all(sock, p, n, fd);
}

int frame_send(int sock, struct frame *f, int fd)
{
	frame_finish(f);
	int rc = send_all(sock, f->b.p, f->b.len, fd);
	int e = errno;
	explicit_bzero(f->b.p, f->b.len);
	buf_reset(&f->b);
	errno = e;
	return rc;
}

/* Read exactly n bytes; the first read may carry one descriptor (into *fd). */
static int recv_all(int sock, void *p, size_t n, int *fd)
{
	size_t got = 0;
	while (got < n) {
		char cbuf[CMSG_SPACE(sizeof(int) * 2)];
		struct iovec iov = { (char *)p + got, n - got };
		struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1,
				    .msg_control = fd ? cbuf : NULL,
				    .msg_controllen = fd ? sizeof cbuf : 0 };
		ssize_t r = recvmsg(sock, &m, MSG_CMSG_CLOEXEC);
		if (r == -1 && errno == EINTR)
			continue;
		if (r == -1)
			return -1;
		for (struct cmsghdr *c = fd ? CMSG_FIRSTHDR(&m) : NULL; c; c = CMSG_NXTHDR(&m, c)) {
			if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
				continue;
			size_t k = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
			for (size_t i = 0; i < k; i++) {
				int got_fd;
				memcpy(&got_fd, CMSG_DATA(c) + i * sizeof(int), sizeof got_fd);
				if (*fd == -1 && i == 0)
					*fd = got_fd;
				else {	/* more than one: refused, none kept */
					close(got_fd);
					errno = EPROTO;
					return -1;
				}
			}
		}
		if (m.msg_flags & MSG_CTRUNC)
			return errno = EPROTO, -1;
		if (r == 0)
			return errno = got ? EPROTO : 0, -1;
		got += (size_t)r;
	}
	return 0;
}

int frame_recv(int sock, struct frame *f, size_t max, size_t (*limit)(uint16_t type))
{
	struct frame_hdr h;
	frame_clear(f);
	buf_reset(&f->b);
	if (recv_all(sock, &h, sizeof h, &f->fd) == -1)
		return -1;
	f->type = h.type;
	if (limit)
		max = limit(h.type);
	if (h.zero != 0 || (limit && max == 0) || h.len > max || h.len > FRAME_MAX)
		return errno = EPROTO, -1;
	if (recv_all(sock, buf_extend(&f->b, h.len), h.len, NULL) == -1)
		return errno = errno ? errno : EPROTO, -1;
	return 0;
}

static bool take(struct frame *f, void *out, size_t n)
{
	if (f->bad || f->b.len - f->pos < n) {
		f->bad = true;
		memset(out, 0, n);
		return false;
	}
	memcpy(out, f->b.p + f->pos, n);
	f->pos += n;
	return true;
}

uint32_t frame_get_u32(struct frame *f)
{
	uint32_t v;
	take(f, &v, sizeof v);
	return v;
}

uint64_t frame_get_u64(struct frame *f)
{
	uint64_t v;
	take(f, &v, sizeof v);
	return v;
}

const char *frame_get_bytes(struct frame *f, size_t max, size_t *len)
{
	uint32_t n = frame_get_u32(f);
	*len = 0;
	if (f->bad || n > max || f->b.len - f->pos < n) {
		f->bad = true;
		return "";
	}
	const char *p = f->b.p + f->pos;
	f->pos += n;
	*len = n;
	return p;
}

void frame_get_str(struct frame *f, char *out, size_t max)
{
	size_t n;
	const char *p = frame_get_bytes(f, max, &n);
	if (memchr(p, '\0', n))
		f->bad = true;
	if (f->bad)
		n = 0;
	memcpy(out, p, n);
	out[n] = '\0';
}

bool frame_done(const struct frame *f)
{
	return !f->bad && f->pos == f->b.len;
}

void frame_clear(struct frame *f)
{
	if (f->b.p)
		explicit_bzero(f->b.p, f->b.len);
	f->pos = 0;
	f->bad = false;
	close_keep_errno(f->fd);
	f->fd = -1;
}

void frame_free(struct frame *f)
{
	frame_clear(f);
	buf_free(&f->b);
}
