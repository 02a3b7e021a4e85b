/* bench/baseline.c: the least a per-connection SMTP handler can do for the work the
 * benchmark asks of smtp-session, as the yardstick for `make bench`.
 *
 * usage: baseline MAILDIR [USER]   (the connection on stdin/stdout, like smtp-session)
 *
 * With USER (make bench's root configuration, started as root), it first becomes that
 * user (initgroups, setgid, setuid), the least a root handler must do to write into a
 * user's Maildir as that user: once per session, with no fork and no lookup per message.
 *
 * It answers the greeting, HELO/EHLO, MAIL, RCPT, DATA, RSET, NOOP and QUIT without
 * looking at their arguments, and writes each message the way smtp-session does:
 * dot-unstuffed, CRLF turned into LF, into MAILDIR/tmp/, fsync, rename into new/,
 * fsync new/.  No checks, no limits, no trace headers, no logging, no spool file, no
 * timeouts: anything smtp-session costs beyond this is the price of doing it right.
 * Like smtp-session it reads in 64 KiB blocks and answers a batch of lines with one
 * write, just before it waits for more input.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/time.h>
#include <unistd.h>

#define BLOCK 65536

static char in[BLOCK], out[4096], file[BLOCK];
static size_t ilen, olen, flen;
static int tmpdir, newdir, msg = -1;
static unsigned seq;
static char name[128];

static void die(const char *what)
{
	perror(what);
	exit(111);
}

static void put(const char *s)
{
	size_t n = strlen(s);
	if (olen + n > sizeof out)
		die("reply buffer");
	memcpy(out + olen, s, n);
	olen += n;
}

static void flush_out(void)
{
	if (olen && write(1, out, olen) != (ssize_t)olen)
		exit(0);	/* the client is gone */
	olen = 0;
}

static void file_write(const char *p, size_t n)
{
	if (flen + n > sizeof file) {
		if (write(msg, file, flen) != (ssize_t)flen)
			die("write");
		flen = 0;
	}
	memcpy(file + flen, p, n);	/* text lines are shorter than the buffer */
	flen += n;
}

static void begin_message(void)
{
	struct timeval tv;
	gettimeofday(&tv, NULL);
	snprintf(name, sizeof name, "%lld.M%06ldP%ldQ%u.baseline", (long long)tv.tv_sec,
		 (long)tv.tv_usec, (long)getpid(), ++seq);
	msg = openat(tmpdir, name, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (msg == -1)
		die("open tmp/");
	flen = 0;
}

static void end_message(void)
{
	if (flen && write(msg, file, flen) != (ssize_t)flen)
		die("write");
	if (fsync(msg) == -1 || close(msg) == -1)
		die("fsync");
	if (renameat(tmpdir, name, newdir, name) == -1 || fsync(newdir) == -1)
		die("rename");
	msg = -1;
	put("250 ok\r\n");
}

/* One line without its CRLF (or LF). */
static void line(char *p, size_t n)
{
	if (msg != -1) {
		if (n == 1 && p[0] == '.')
			end_message();
		else {
			if (n && p[0] == '.')
				p++, n--;
			p[n] = '\n';
			file_write(p, n + 1);
		}
		return;
	}
	if (n >= 4 && (!strncasecmp(p, "HELO", 4) || !strncasecmp(p, "EHLO", 4)))
		put("250 baseline\r\n");
	else if (n >= 4 && !strncasecmp(p, "DATA", 4)) {
		begin_message();
		put("354 go ahead\r\n");
	} else if (n >= 4 && !strncasecmp(p, "QUIT", 4)) {
		put("221 bye\r\n");
		flush_out();
		exit(0);
	} else
		put("250 ok\r\n");	/* MAIL, RCPT, RSET, NOOP and anything else */
}

int main(int argc, char **argv)
{
	if (argc != 2 && argc != 3)
		die("usage: baseline MAILDIR [USER]");
	if (argc == 3) {
		struct passwd *pw = getpwnam(argv[2]);
		if (!pw || initgroups(pw->pw_name, pw->pw_gid) == -1 || setgid(pw->pw_gid) == -1 ||
		    setuid(pw->pw_uid) == -1)
			die(argv[2]);
	}
	char path[4096];
	snprintf(path, sizeof path, "%s/tmp", argv[1]);
	tmpdir = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	snprintf(path, sizeof path, "%s/new", argv[1]);
	newdir = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (tmpdir == -1 || newdir == -1)
		die(argv[1]);
	put("220 baseline ESMTP\r\n");
	for (;;) {
		flush_out();
		ssize_t r = read(0, in + ilen, sizeof in - ilen);
		if (r <= 0)
			return 0;
		ilen += (size_t)r;
		char *p = in, *end = in + ilen, *lf;
		while ((lf = memchr(p, '\n', (size_t)(end - p)))) {
			size_t n = (size_t)(lf - p);
			line(p, n && p[n - 1] == '\r' ? n - 1 : n);
			p = lf + 1;
		}
		ilen = (size_t)(end - p);
		memmove(in, p, ilen);
		if (ilen == sizeof in)
			ilen = 0;	/* an over-long line: dropped */
	}
}
