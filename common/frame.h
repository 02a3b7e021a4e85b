/* frame.h: the frames of privsep.h: building, sending, receiving and reading them.
 * Used by both sides.  Reading is strict: a getter past the end, or a string that is
 * too long or holds a NUL, marks the frame bad, and frame_done() says whether the
 * payload was read exactly to its end (OpenSMTPD's mproc getters do the same). */
#ifndef FRAME_H
#define FRAME_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"

/* The largest payload of any frame: a terminal text (TTY_TEXT_MAX) and its length. */
#define FRAME_MAX (TTY_TEXT_MAX + 64)

struct frame_hdr {
	uint32_t len;		/* payload bytes that follow */
	uint16_t type;		/* enum ps_type */
	uint16_t zero;		/* must be 0 */
};

struct frame {
	uint16_t type;
	struct buf b;		/* while building: header + payload; received: payload */
	size_t pos;		/* read position in the payload */
	bool bad;		/* a getter failed */
	int fd;			/* a descriptor that came with it, else -1 */
};

#define FRAME_INIT { 0, BUF_INIT, 0, false, -1 }

/* Building: start a frame of this type (the buffer is reused), then add fields. */
void frame_begin(struct frame *f, uint16_t type);
void frame_put_u32(struct frame *f, uint32_t v);
void frame_put_u64(struct frame *f, uint64_t v);
void frame_put_str(struct frame *f, const char *s);
void frame_put_bytes(struct frame *f, const void *p, size_t n);

/* Fill in the header of the frame built in f: f->b then holds the whole frame. */
void frame_finish(struct frame *f);

/* Send the frame built in f, with descriptor fd unless it is -1.  0, or -1 with
 * errno.  The buffer is wiped afterwards (it may hold a password). */
int frame_send(int sock, struct frame *f, int fd);

/* Send n bytes of finished frames in one go, with descriptor fd (riding with the
 * first byte) unless it is -1.  0, or -1 with errno. */
int frame_send_raw(int sock, const char *p, size_t n, int fd);

/* Receive one frame into f (closing any descriptor a previous frame left).  Its
 * payload may be at most max bytes, or, when limit is given, limit(type) bytes (0 for
 * a type not expected at all): the bound is checked on the header, before the payload
 * is read.  0, or -1 with errno: 0 for a clean end of stream before a header, EPROTO
 * for a frame cut short, oversized, of an unexpected type, with a bad header or with
 * more than one descriptor. */
int frame_recv(int sock, struct frame *f, size_t max, size_t (*limit)(uint16_t type));

/* Reading the payload of a received frame, in order. */
uint32_t frame_get_u32(struct frame *f);
uint64_t frame_get_u64(struct frame *f);
/* A string of at most max bytes, copied NUL-terminated into out[max + 1]. */
void frame_get_str(struct frame *f, char *out, size_t max);
/* Bytes of at most max, pointed to in place. */
const char *frame_get_bytes(struct frame *f, size_t max, size_t *len);
/* true when every getter succeeded and the payload was read exactly to its end. */
bool frame_done(const struct frame *f);

/* Wipe the payload and close the descriptor; keep the buffer for the next frame. */
void frame_clear(struct frame *f);
/* frame_clear() and free the buffer. */
void frame_free(struct frame *f);

#endif
