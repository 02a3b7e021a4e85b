/* ttyrender.c: runs tty_render() on a file, for tty.bats.
 *
 *   ttyrender FILE SENDER HELO CLIENT MAX-LINES MAX-BYTES [utf8]
 *
 * FILE stands for the spool (the message with LF line ends); the text a terminal would
 * be shown goes to stdout, with the time taken as 0 (so "at 00:00" with TZ=UTC0).  This
 * reaches what no SMTP session can: a bare CR, which DATA refuses (RFC 5321 2.3.8), and
 * control characters in the header line's fields.  "utf8" renders as after SMTPUTF8.  It
 * links render.c, utf8.c, buf.c and log.c only. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "render.h"

int main(int argc, char **argv)
{
	if (argc != 7 && !(argc == 8 && strcmp(argv[7], "utf8") == 0)) {
		fputs("usage: ttyrender FILE SENDER HELO CLIENT MAX-LINES MAX-BYTES [utf8]\n", stderr);
		return 100;
	}
	int fd = open(argv[1], O_RDONLY);
	off_t size = fd == -1 ? -1 : lseek(fd, 0, SEEK_END);
	if (size == -1) {
		perror(argv[1]);
		return 111;
	}
	struct tty_note note = { argv[2], argv[3], argv[4], 0, argc == 8 };
	struct buf out = BUF_INIT;
	if (tty_render(&out, &note, fd, size, (unsigned)atoi(argv[5]), (unsigned)atoi(argv[6])) == -1) {
		perror("tty_render");
		return 111;
	}
	return fwrite(out.p, 1, out.len, stdout) == out.len ? 0 : 111;
}
