/* visible.h: a string as a trace header field shows it, so that what it hides is
 * seen. */
#ifndef VISIBLE_H
#define VISIBLE_H

#include "buf.h"

/* s appended to b: utf8_invisible() characters (bidirectional controls, zero-width
 * characters, U+FEFF...) and bytes that are no well-formed UTF-8 as \ooo per byte,
 * everything else as it is. */
void put_visible(struct buf *b, const char *s);

#endif
