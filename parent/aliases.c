/* aliases.c: the aliases(5) file (aliases.h).  Privileged side: the parent reads it
 * once per session, at the first recipient, so that an edited file counts from the
 * next connection, with no newaliases step (Debian's MTAs read a compiled copy; ours
 * is small enough to parse: ALIASES_FILE_MAX).
 *
 * The format, as sendmail's and Postfix's aliases(5): "name: target, target" per
 * line; '#' at the start of a line makes a comment; a line that starts with a space
 * or a tab continues the one before; names are case-insensitive; the same name twice:
 * the first one counts (Postfix warns and does the same). */
#include "aliases.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "buf.h"
#include "log.h"
#include "config.h"
#include "util.h"

struct entry {
	size_t name, targets;	/* offsets into text */
};

struct aliases {
	struct buf text;	/* "name\0targets\0" per entry, targets joined */
	struct entry *e;
	size_t n;
};

static int by_name(const void *a, const void *b, void *text)
{
	return strcmp((const char *)text + ((const struct entry *)a)->name,
		      (const char *)text + ((const struct entry *)b)->name);
}

/* The whole file, at most ALIASES_FILE_MAX bytes; NUL bytes become spaces.  Read in
 * one piece of the size fstat gives (and what more arrives while we read), so that a
 * small file costs a small buffer: the parent's memory is measured (make bench). */
static int read_file(const char *path, struct buf *b)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	struct stat st;
	if (fd == -1)
		return -1;
	if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode) || st.st_size > ALIASES_FILE_MAX) {
		close(fd);
		return errno = EFBIG, -1;
	}
	size_t want = (size_t)st.st_size + 1;
	for (;;) {
		char *p = buf_extend(b, want);
		ssize_t r = read(fd, p, want);
		b->len -= want - (r > 0 ? (size_t)r : 0);
		if (r == -1 && errno == EINTR)
			continue;
		if (r == -1 || b->len > ALIASES_FILE_MAX) {
			if (r != -1)
				errno = EFBIG;
			close_keep_errno(fd);
			return -1;
		}
		if (r == 0)
			break;
		want = 4096;
	}
	close(fd);
	for (size_t i = 0; i < b->len; i++)
		if (b->p[i] == '\0')
			b->p[i] = ' ';
	return 0;
}

/* One logical line (continuations joined with a space): "name: targets" into a. */
static void add_entry(struct aliases *a, struct buf *entries, const char *line, size_t len,
		      unsigned lineno)
{
	const char *colon = memchr(line, ':', len);
	size_t nlen = colon ? (size_t)(colon - line) : 0;
	while (nlen && (line[nlen - 1] == ' ' || line[nlen - 1] == '\t'))
		nlen--;
	if (!colon || !nlen || nlen > LOCAL_PART_MAX) {
		log_bulk_msg(LOG_WARNING, "aliases line %u: no \"name:\" at its start, ignored",
			     lineno);
		return;
	}
	struct entry e = { a->text.len, 0 };
	for (size_t i = 0; i < nlen; i++)
		buf_addc(&a->text, (char)tolower((unsigned char)line[i]));
	buf_addc(&a->text, '\0');
	e.targets = a->text.len;
	buf_add(&a->text, colon + 1, len - (size_t)(colon - line) - 1);
	buf_addc(&a->text, '\0');
	buf_add(entries, &e, sizeof e);
}

struct aliases *aliases_load(const char *path)
{
	struct aliases *a = calloc(1, sizeof *a);
	struct buf raw = BUF_INIT, line = BUF_INIT, entries = BUF_INIT;
	if (!a || (path && read_file(path, &raw) == -1)) {
		int e = errno;
		free(a);
		buf_free(&raw);
		return errno = e, NULL;
	}
	unsigned lineno = 0, start = 0;
	/* A file of many bad lines is read at each session's first recipient: a few
	 * lines in the log, then a count (log.h). */
	log_bulk_begin();
	for (size_t i = 0; i < raw.len;) {
		const char *p = raw.p + i, *nl = memchr(p, '\n', raw.len - i);
		size_t n = nl ? (size_t)(nl - p) : raw.len - i;
		i += n + (nl != NULL);
		lineno++;
		if (n && p[n - 1] == '\r')
			n--;
		bool cont = n && (p[0] == ' ' || p[0] == '\t');
		if (!cont && line.len) {	/* the entry before is complete */
			add_entry(a, &entries, line.p, line.len, start);
			buf_reset(&line);
		}
		if (n == 0 || p[0] == '#')
			continue;
		if (cont && line.len)
			buf_addc(&line, ' ');
		if (!line.len)
			start = lineno;
		buf_add(&line, p, n);
	}
	if (line.len)
		add_entry(a, &entries, line.p, line.len, start);
	log_bulk_end(path);
	buf_free(&raw);
	buf_free(&line);
	a->e = (struct entry *)entries.p;	/* entries' memory is a's now */
	a->n = entries.len / sizeof *a->e;
	/* Sorted, stable for equal names by their offset: the first one wins. */
	if (a->n)
		qsort_r(a->e, a->n, sizeof *a->e, by_name, a->text.p);
	return a;
}

const char *aliases_get(const struct aliases *a, const char *name)
{
	size_t lo = 0, hi = a ? a->n : 0, first = SIZE_MAX;
	while (lo < hi) {	/* the lowest index holding name */
		size_t mid = lo + (hi - lo) / 2;
		int c = strcmp(name, a->text.p + a->e[mid].name);
		if (c == 0)
			first = mid;
		if (c <= 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	if (first == SIZE_MAX)
		return NULL;
	size_t best = first;	/* equal names: the one earliest in the file */
	for (size_t i = first; i < a->n && strcmp(name, a->text.p + a->e[i].name) == 0; i++)
		if (a->e[i].name < a->e[best].name)
			best = i;
	return a->text.p + a->e[best].targets;
}

void aliases_free(struct aliases *a)
{
	if (!a)
		return;
	buf_free(&a->text);
	free(a->e);
	free(a);
}

bool aliases_next_target(const char **p, char *out, size_t n, bool *cut)
{
	const char *s = *p;
	*cut = false;
	while (*s == ' ' || *s == '\t' || *s == ',' || *s == '\n' || *s == '\r')
		s++;
	if (!*s)
		return *p = s, false;
	size_t len = 0;
	bool quoted = *s == '"';
	s += quoted;
	for (; *s && (quoted ? *s != '"' : (*s != ',' && *s != '\n')); s++)
		if (len + 1 < n)
			out[len++] = *s;
		else
			*cut = true;
	s += quoted && *s == '"';
	while (!quoted && len && (out[len - 1] == ' ' || out[len - 1] == '\t' || out[len - 1] == '\r'))
		len--;
	out[len] = '\0';
	*p = s;
	return true;
}
