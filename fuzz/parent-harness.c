/* fuzz/parent-harness.c: libFuzzer harness for the privileged parent's side of
 * privsep.h: the frame reader, the policy table and every serving function of
 * parent.c, against a session process that sends anything.
 *
 * Byte 0 chooses the descriptor that travels with each PS_DELIVER and PS_BEGIN frame
 * (the two that carry the spool): bits 0-1
 * 0 none, 1 a sealed memfd holding the message, 2 an unsealed one, 3 a pipe; bit 2
 * a sealed memfd one byte shorter than the message.  The rest is the byte stream the
 * session process writes.  The harness cuts it into frames at the lengths their
 * headers claim (the tail as it is), each one message with the descriptor that may
 * ride with it, and serves the stream with parent_serve().  The link is in memory:
 * recvmsg() and sendmsg() on it are served here (linked with -Wl,--wrap), as a stream
 * socket would (a descriptor comes with the first bytes of its message, and is closed
 * with MSG_CTRUNC when the reader has no room for it), so an input costs no socket
 * pair and no syscall per frame.  The privileged operations are the doubles in
 * parent-fake.c, which abort() when handed what the parent must never let through
 * (a recipient no lookup returned, more than --max-recipients of them, a spool that
 * is not a regular file or is shorter than declared, an empty password).
 */
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include "frame.h"
#include "log.h"
#include "parent.h"
#include "privsep.h"
#include "config.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
void parent_fake_reset(void);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char message[] = "Subject: fuzz\n\nbody\n";

#define INPUT_MAX 16384	/* what the harness takes (16 KiB) */

/* The link: the input cut into messages, each with its descriptor or -1.  link_fd is
 * the parent's end of a socket pair made once, so that the descriptor exists. */
static struct msg {
	size_t off, len;
	int fd;
} msgs[INPUT_MAX];
static const uint8_t *link_p;
static size_t nmsgs, cur, pos;	/* the message being read, and how far */
static int link_fd = -1;

ssize_t __real_recvmsg(int sock, struct msghdr *m, int flags);
ssize_t __wrap_recvmsg(int sock, struct msghdr *m, int flags);
ssize_t __real_sendmsg(int sock, const struct msghdr *m, int flags);
ssize_t __wrap_sendmsg(int sock, const struct msghdr *m, int flags);

ssize_t __wrap_recvmsg(int sock, struct msghdr *m, int flags)
{
	if (sock != link_fd)
		return __real_recvmsg(sock, m, flags);
	if (m->msg_iovlen != 1)
		abort();	/* frame.c reads into one buffer */
	size_t room = m->msg_controllen;
	m->msg_controllen = 0;
	m->msg_flags = 0;
	if (cur == nmsgs)
		return 0;	/* the session process closed its end */
	struct msg *g = &msgs[cur];
	size_t n = g->len - pos;
	if (n > m->msg_iov[0].iov_len)
		n = m->msg_iov[0].iov_len;
	memcpy(m->msg_iov[0].iov_base, link_p + g->off + pos, n);
	if (g->fd != -1) {
		if (room >= CMSG_SPACE(sizeof(int))) {
			m->msg_controllen = CMSG_SPACE(sizeof(int));
			struct cmsghdr *c = CMSG_FIRSTHDR(m);
			c->cmsg_level = SOL_SOCKET;
			c->cmsg_type = SCM_RIGHTS;
			c->cmsg_len = CMSG_LEN(sizeof(int));
			memcpy(CMSG_DATA(c), &g->fd, sizeof g->fd);
		} else {
			close(g->fd);
			m->msg_flags |= MSG_CTRUNC;
		}
		g->fd = -1;
	}
	pos += n;
	if (pos == g->len)
		cur++, pos = 0;
	return (ssize_t)n;
}

/* What the parent answers goes nowhere: no session process reads it. */
ssize_t __wrap_sendmsg(int sock, const struct msghdr *m, int flags)
{
	if (sock != link_fd)
		return __real_sendmsg(sock, m, flags);
	size_t n = 0;
	for (size_t i = 0; i < m->msg_iovlen; i++)
		n += m->msg_iov[i].iov_len;
	return (ssize_t)n;
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc, (void)argv;
	log_open("/dev/null");
	int sv[2];
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) == -1)
		abort();
	link_fd = sv[0];	/* sv[1] stays open, unused: the link looks alive */
	return 0;
}

static int spool(uint8_t conf)
{
	int fds[2];
	if ((conf & 3) == 3) {
		if (pipe2(fds, O_CLOEXEC) == -1)
			abort();
		close(fds[1]);
		return fds[0];
	}
	int fd = memfd_create("fuzz-spool", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	size_t n = sizeof message - 1 - (conf & 4 ? 1 : 0);
	if (fd == -1 || write(fd, message, n) != (ssize_t)n)
		abort();
	if ((conf & 3) == 1 &&
	    fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE | F_SEAL_SEAL) == -1)
		abort();
	return fd;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1 || size > INPUT_MAX)
		return 0;
	uint8_t conf = data[0];
	data++, size--;
	parent_fake_reset();
	link_p = data;
	nmsgs = cur = pos = 0;
	size_t off = 0;
	while (off < size) {
		struct frame_hdr h;
		size_t n = size - off;
		if (n >= sizeof h) {
			memcpy(&h, data + off, sizeof h);
			if (h.len <= n - sizeof h)
				n = sizeof h + h.len;
		}
		int fd = -1;
		if (n >= sizeof h && (h.type == PS_DELIVER || h.type == PS_BEGIN) && (conf & 3))
			fd = spool(conf);
		msgs[nmsgs++] = (struct msg){ off, n, fd };
		off += n;
	}
	static char domains[] = ",tttest.com,";
	struct config cfg = {
		.hostname = "smtp.tttest.com", .domains = domains, .maildir = "Maildir",
		.postmaster = "root", .max_size = 1000, .max_rcpt = 4, .timeout = 1,
		.auth = AUTH_ALWAYS, .pam_service = "smtp", .tty_max_lines = 64,
		.tty_max_bytes = 8192, .tty_timeout = 1,
	};
	const char *why;
	parent_serve(&cfg, link_fd, !(conf & 4), &why);	/* bit 2: a remote client */
	for (; cur < nmsgs; cur++, pos = 0)	/* what the parent did not read */
		if (msgs[cur].fd != -1)
			close(msgs[cur].fd);
	return 0;
}
