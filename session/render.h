/* render.h: the text of a message as a terminal may be shown it (SEND, SOML, SAML:
 * RFC 821 3.4), the way write(1) shows it.  Session side: it runs in the dialogue,
 * once per message, so the privileged side never reads message text. */
#ifndef RENDER_H
#define RENDER_H

#include <stdbool.h>
#include <sys/types.h>
#include <time.h>

#include "buf.h"

/* What the header line says: who sent it (the envelope sender, "" for <>), from which
 * client (its HELO name and address) and when; and whether the transaction had
 * SMTPUTF8 (RFC 6531), which lets well-formed, printable UTF-8 through. */
struct tty_note {
	const char *sender;
	const char *helo;
	const char *client;
	time_t when;
	bool utf8;
};

/* Append to out the text for a terminal: "\r\n", the header line
 *   Message from <sender> on <helo> (<client>) at HH:MM ...
 * (its rows broken after TTY_WRAP_COLUMNS columns, the rest indented), the message
 * (bytes 0..size of spool, LF line ends), each row after TTY_PREFIX ("|" alone for an
 * empty line) and broken after TTY_WRAP_COLUMNS columns, cut after max_lines rows or
 * max_bytes bytes as shown (prefixes included), a line saying so when it was cut,
 * and "EOF": only our rows start in the first column, so the sender can forge
 * neither a banner nor an end (and a quoted local part of the sender shows its
 * blanks, '@' and parentheses as \ooo, so the banner's sender is one word).  Line
 * ends are CRLF; TAB and printable ASCII pass, every other byte is shown as ^X or
 * \ooo (the rule of ttytext.h, by which the parent checks the text again); with
 * note->utf8, a well-formed UTF-8 character that utf8_printable() allows passes too
 * (as util-linux write(1) shows it in a UTF-8 locale), while C1 controls, format and
 * bidirectional controls and every malformed sequence stay escaped.  Returns 0, or -1
 * with errno when the spool cannot be read. */
int tty_render(struct buf *out, const struct tty_note *note, int spool, off_t size,
	       unsigned max_lines, unsigned max_bytes);

#endif
