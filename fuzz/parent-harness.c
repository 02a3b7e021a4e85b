/* fuzz/parent-harness.c: libFuzzer harness for the privileged parent's side of
 * privsep.h: the frame reader, the policy table and every serving function of
 * parent.c, against a session process that sends anything.
 *
 * Byte 0 chooses the descriptor that travels with each PS_DELIVER and PS_BEGIN frame
 * (the two that carry the spool): bits 0-1
 * 0 none, 1 a sealed memfd holding the message, 2 an unsealed one, 3 a pipe; bit 2
 * a sealed memfd one byte shorter than the message.  The rest is the byte stream the
 * session process writes.  The harness cuts it into frames at the lengths their
 * headers claim (the tail as it is) and sends each with sendmsg(), so a descriptor
 * can ride with the frames that may carry one, then serves the stream with
 * parent_serve() on the other end.  The privileged operations are the doubles in
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

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc, (void)argv;
	log_open("/dev/null");
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
	if (size < 1 || size > 16384)
		return 0;
	uint8_t conf = data[0];
	data++, size--;
	parent_fake_reset();
	int sv[2];
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) == -1)
		abort();
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
		/* The input is bounded (16 KiB) to fit in the socket's buffer. */
		if (frame_send_raw(sv[1], (const char *)data + off, n, fd) == -1)
			abort();
		if (fd != -1)
			close(fd);
		off += n;
	}
	shutdown(sv[1], SHUT_WR);
	static char domains[] = ",tttest.com,";
	struct config cfg = {
		.hostname = "smtp.tttest.com", .domains = domains, .maildir = "Maildir",
		.postmaster = "root", .max_size = 1000, .max_rcpt = 4, .timeout = 1,
		.auth = AUTH_ALWAYS, .pam_service = "smtp", .tty_max_lines = 64,
		.tty_max_bytes = 8192, .tty_timeout = 1,
	};
	const char *why;
	parent_serve(&cfg, sv[0], !(conf & 4), &why);	/* bit 2: a remote client */
	close(sv[0]);
	close(sv[1]);
	return 0;
}
