/* buf.h: the one growable byte buffer of the project.
 *
 * Every variable-length thing (replies, header blocks, recipient lists, the spool
 * write-behind) lives in a struct buf, so size arithmetic happens in one place
 * (buf.c) and nowhere else.  Memory a buffer gives up (when it grows, or is freed)
 * is wiped first: a password that passed through a buffer leaves no copy behind.  The contents are always NUL-terminated, so a buffer
 * of text can be used as a C string.
 */
#ifndef BUF_H
#define BUF_H

#include <stdarg.h>
#include <stddef.h>

struct buf {
	char *p;
	size_t len, cap;
};

#define BUF_INIT { NULL, 0, 0 }

/* On running out of memory these call the handler set with buf_on_oom() (by default:
 * log it and exit EXIT_SYSTEM), which must not return. */
void buf_add(struct buf *b, const void *p, size_t n);
void buf_adds(struct buf *b, const char *s);
void buf_addc(struct buf *b, char c);
void buf_printf(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void buf_vprintf(struct buf *b, const char *fmt, va_list ap);
/* Append n zero bytes and return where they start (to be filled in place). */
char *buf_extend(struct buf *b, size_t n);
void buf_consume(struct buf *b, size_t n);	/* drop the first n bytes */
void buf_reset(struct buf *b);
void buf_free(struct buf *b);			/* wipe and free */

/* What running out of memory does in this process: the session process also tells
 * the client (421); the privileged parent only logs.  The handler must not return. */
typedef void buf_oom_fn(void);
void buf_on_oom(buf_oom_fn *fn);

#endif
