/* buf.c: growable byte buffer; the only place that does size arithmetic for memory. */
#include "buf.h"

#include "log.h"
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static buf_oom_fn *oom_handler;

void buf_on_oom(buf_oom_fn *fn)
{
	oom_handler = fn;
}

static _Noreturn void buf_oom(void)
{
	if (oom_handler)
		oom_handler();
	log_msg(LOG_CRIT, "out of memory");
	_exit(EXIT_SYSTEM);
}

/* Make room for n more bytes plus the terminating NUL. */
static void grow(struct buf *b, size_t n)
{
	if (n > SIZE_MAX / 2 - b->len - 1)
		buf_oom();
	size_t need = b->len + n + 1;
	if (need <= b->cap)
		return;
	size_t cap = b->cap ? b->cap : 64;
	while (cap < need)
		cap *= 2;
	/* Not realloc(): it would free the old block with its contents in it. */
	char *p = malloc(cap);
	if (!p)
		buf_oom();
	if (b->p) {
		memcpy(p, b->p, b->len + 1);
		explicit_bzero(b->p, b->cap);
		free(b->p);
	}
	b->p = p;
	b->cap = cap;
}

void buf_add(struct buf *b, const void *p, size_t n)
{
	grow(b, n);
	if (n)
		memcpy(b->p + b->len, p, n);
	b->len += n;
	b->p[b->len] = '\0';
}

char *buf_extend(struct buf *b, size_t n)
{
	grow(b, n);
	char *p = b->p + b->len;
	memset(p, 0, n + 1);
	b->len += n;
	return p;
}

void buf_adds(struct buf *b, const char *s)
{
	buf_add(b, s, strlen(s));
}

void buf_addc(struct buf *b, char c)
{
	buf_add(b, &c, 1);
}

void buf_vprintf(struct buf *b, const char *fmt, va_list ap)
{
	va_list ap2;
	va_copy(ap2, ap);
	int n = vsnprintf(NULL, 0, fmt, ap2);
	va_end(ap2);
	if (n < 0)
		return;
	grow(b, (size_t)n);
	vsnprintf(b->p + b->len, (size_t)n + 1, fmt, ap);
	b->len += (size_t)n;
}

void buf_printf(struct buf *b, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	buf_vprintf(b, fmt, ap);
	va_end(ap);
}

void buf_consume(struct buf *b, size_t n)
{
	if (n >= b->len) {
		buf_reset(b);
		return;
	}
	memmove(b->p, b->p + n, b->len - n);
	b->len -= n;
	b->p[b->len] = '\0';
}

void buf_reset(struct buf *b)
{
	b->len = 0;
	if (b->p)
		b->p[0] = '\0';
}

void buf_free(struct buf *b)
{
	if (b->p)
		explicit_bzero(b->p, b->cap);
	free(b->p);
	b->p = NULL;
	b->len = b->cap = 0;
}
