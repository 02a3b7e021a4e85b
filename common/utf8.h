/* utf8.h: UTF-8 as RFC 3629 defines it, for internationalised addresses (RFC 6531,
 * addr.c), for replies that must stay ASCII (smtp-session.c), for the text a
 * terminal is shown (render.c) and for the user names AUTH takes (sasl.c, and again
 * in the parent, parent.c).  Pure functions.  Both sides. */
#ifndef UTF8_H
#define UTF8_H

#include <stdbool.h>
#include <stddef.h>

/* The length (1 to 4) of the well-formed UTF-8 character at p, where n bytes are
 * there, with its code point in *cp; 0 when the bytes are not one (a stray
 * continuation byte, an overlong form, a surrogate, a code point above U+10FFFF, or a
 * sequence cut short by the end of the n bytes).  ASCII is a character of length 1. */
size_t utf8_next(const unsigned char *p, size_t n, unsigned *cp);

/* Is cp invisible, or does it change how the text around it is shown?  Unicode's
 * format characters (category Cf: the soft hyphen U+00AD, U+200B-U+200F zero width
 * and direction marks, U+202A-U+202E and U+2066-U+2069 the bidirectional controls of
 * "Trojan Source", U+2060-U+2064, U+FEFF, U+061C and the rest), and the line and
 * paragraph separators U+2028 and U+2029.  Trace fields (trace.c) show these escaped. */
bool utf8_invisible(unsigned cp);

/* May a terminal be shown code point cp as it is?  Not the C0 and C1 controls and DEL,
 * not the format characters (Unicode category Cf, the bidirectional controls of the
 * "Trojan Source" class U+202A-U+202E and U+2066-U+2069 among them), not the line and
 * paragraph separators, not the noncharacters. */
bool utf8_printable(unsigned cp);

/* May an AUTH user name go to PAM (and into a log line)?  Not empty, and every
 * character either printable ASCII other than space, '"', '\'', '`' and '\\', or, as
 * EHLO always advertises SMTPUTF8 (RFC 6531) and AUTH needs EHLO, a well-formed UTF-8
 * character that utf8_printable() allows and that is no space.  Control bytes (a
 * newline, ESC), malformed UTF-8 and the quoting characters of shells and log
 * formats never reach PAM, whose modules log PAM_USER as it is. */
bool utf8_user_name_ok(const char *name);

#endif
