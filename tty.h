/* tty.h: sending (RFC 821 3.4): a message written onto a logged-in user's terminal,
 * the way write(1) does it, for SEND, SOML and SAML.
 *
 * Two halves.  tty_render() turns the message into the text a terminal may be shown;
 * it needs no privilege and runs in the dialogue, once per message, so the privileged
 * side never reads message text.  tty_check() and tty_write() are the privileged side's
 * (behind priv_tty_check() and priv_tty_write() in priv.h): they find the user's
 * terminal in utmp and open and write it as that user, never as root.
 */
#ifndef TTY_H
#define TTY_H

#include <stddef.h>
#include <sys/types.h>
#include <time.h>

#include "buf.h"
#include "priv.h"

/* What the header line says: who sent it (the envelope sender, "" for <>), from which
 * client (its HELO name and address) and when. */
struct tty_note {
	const char *sender;
	const char *helo;
	const char *client;
	time_t when;
};

/* Append to out the text for a terminal: "\r\n", the header line
 *   Message from <sender> on <helo> (<client>) at HH:MM ...
 * the message (bytes 0..size of spool, LF line ends) cut after max_lines lines or
 * max_bytes bytes as shown, a line saying so when it was cut, and "EOF".  Line ends are
 * CRLF; TAB and printable ASCII pass, every other byte is shown as ^X or \ooo.  Returns
 * 0, or -1 with errno when the spool cannot be read. */
int tty_render(struct buf *out, const struct tty_note *note, int spool, off_t size,
	       unsigned max_lines, unsigned max_bytes);

/* The privileged side's implementations of priv_tty_check() and priv_tty_write(). */
void tty_check(const struct config *cfg, const char *const *users, size_t n,
	       struct tty_status *status);
void tty_write(const struct config *cfg, const char *const *users, size_t n,
	       const char *text, size_t len, struct tty_status *status);

#endif
