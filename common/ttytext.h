/* ttytext.h: the one rule for what may reach a user's terminal (SEND, SOML, SAML: RFC
 * 821 3.4).  Both sides: the session's renderer (render.c) escapes every byte this
 * rule does not let through, and the root parent (parent.c, before tty.c writes)
 * checks the whole text against it again, since a taken-over session process could
 * send anything: a title escape (ESC ] 0;...BEL), a clear screen (ESC [ 2 J), an OSC
 * 52 clipboard write, or a row that looks like our own banner.  Pure functions. */
#ifndef TTYTEXT_H
#define TTYTEXT_H

#include <stdbool.h>
#include <stddef.h>

/* May this ASCII byte reach a terminal as it is?  Printable ASCII and TAB; not the
 * other C0 controls (ESC, BEL, CR, LF, BS...) nor DEL.  A line end is not a byte
 * that passes: it is CRLF, where the rule below puts it. */
bool ttytext_ascii_ok(unsigned char c);

/* May this character beyond ASCII reach a terminal as it is?  utf8_printable(): not
 * C1 (0x9b is CSI to many terminals), no format or bidirectional control. */
bool ttytext_char_ok(unsigned cp);

/* Is text (n bytes) what tty_render() (render.h) makes, row by row?  Rows end in CRLF
 * and hold only bytes and well-formed UTF-8 characters that the two predicates above
 * allow.  The rows are, in order: an empty one; the banner, "Message from ...", with
 * its wrapped rows after TTY_BANNER_INDENT; the sender's rows, each "|" alone or
 * after TTY_PREFIX; at most one "[message cut: N more bytes not shown]"; and "EOF",
 * the last.  NULL when it is, else why not (for the log line). */
const char *ttytext_check(const char *text, size_t n);

#endif
