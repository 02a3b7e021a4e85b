/* loop.c: Received and Delivered-To in the message's header section (loop.h).
 * Session side: it reads the spool the session wrote, and nothing else. */
#include "loop.h"

#include <errno.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "config.h"

/* Does the header field line (no LF) have this name?  RFC 5322 2.2: the name, then
 * a colon (RFC 5322 4.5 obsolete syntax: spaces before it). */
static const char *field(const char *line, size_t len, const char *name)
{
	size_t n = strlen(name);
	if (len <= n || strncasecmp(line, name, n) != 0)
		return NULL;
	while (n < len && (line[n] == ' ' || line[n] == '\t'))
		n++;
	return n < len && line[n] == ':' ? line + n + 1 : NULL;
}

/* The Delivered-To value [v, end) against each address. */
static void mark(const char *v, const char *end, const char *const *addrs, size_t n, bool *hit)
{
	while (v < end && (*v == ' ' || *v == '\t' || *v == '<'))
		v++;
	while (end > v && (end[-1] == ' ' || end[-1] == '\t' || end[-1] == '>' || end[-1] == '\r'))
		end--;
	if (end == v)
		return;	/* an empty field names nobody */
	for (size_t i = 0; i < n; i++)
		if (strlen(addrs[i]) == (size_t)(end - v) && strncasecmp(addrs[i], v, (size_t)(end - v)) == 0)
			hit[i] = true;
}

int loop_scan(int spool, off_t size, const char *const *addrs, size_t n, bool *hit,
	      unsigned *received)
{
	char block[SMTP_TEXT_MAX * 8];
	size_t have = 0;
	off_t off = 0;
	*received = 0;
	for (;;) {
		ssize_t r = off < size ? pread(spool, block + have, sizeof block - have, off) : 0;
		if (r == -1 && errno == EINTR)
			continue;
		if (r == -1)
			return -1;
		off += r;
		have += (size_t)r;
		size_t pos = 0;
		for (char *nl; (nl = memchr(block + pos, '\n', have - pos)); pos = (size_t)(nl - block) + 1) {
			const char *line = block + pos, *v;
			size_t len = (size_t)(nl - line);
			if (len == 0)
				return 0;	/* the end of the header section */
			if (field(line, len, "Received"))
				++*received;
			else if ((v = field(line, len, "Delivered-To")))
				mark(v, nl, addrs, n, hit);
		}
		/* A line longer than the block (the message is refused for it anyway) or
		 * the end of the spool: no more header fields to read. */
		if (r == 0 || (pos == 0 && have == sizeof block))
			return 0;
		memmove(block, block + pos, have - pos);
		have -= pos;
	}
}
