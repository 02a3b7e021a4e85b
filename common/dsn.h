/* dsn.h: the parameters of Delivery Status Notifications (RFC 3461): RET and ENVID on
 * MAIL, NOTIFY and ORCPT on RCPT, their xtext (RFC 3461 4) and, with SMTPUTF8, the
 * utf-8 address type of ORCPT (RFC 6533 3).  Pure functions.  Both sides: the session
 * decodes what the client wrote, the parent checks again what reaches it, as both go
 * into the header fields of a report (parent/report.c) and the relay command's argv. */
#ifndef DSN_H
#define DSN_H

#include <stdbool.h>
#include <stddef.h>

/* RFC 3461 4.1 NOTIFY: a set of these, or NEVER alone; 0 when RCPT had no NOTIFY
 * (then FAILURE and DELAY are implied, 4.1: "as if NOTIFY=FAILURE,DELAY"). */
enum {
	DSN_SUCCESS = 1,
	DSN_FAILURE = 2,
	DSN_DELAY = 4,
	DSN_NEVER = 8,
	DSN_NOTIFY_ALL = 15,
};

/* RFC 3461 4.3 RET: what a failure report quotes of the message. */
enum dsn_ret { DSN_RET_NONE, DSN_RET_FULL, DSN_RET_HDRS };

/* The value of NOTIFY= into *notify; false for an empty, unknown or repeated keyword,
 * or NEVER beside another one (RFC 3461 4.1). */
bool dsn_notify_parse(const char *v, unsigned *notify);

/* Is notify a value dsn_notify_parse() makes (0 included)? */
bool dsn_notify_ok(unsigned notify);

/* The value of NOTIFY= for notify (not 0): "NEVER" or "SUCCESS,FAILURE,DELAY" and the
 * like, into out[n]. */
void dsn_notify_text(unsigned notify, char *out, size_t n);

/* RFC 3461 4 xtext decoded into out[n] (NUL-terminated): "+HH" (two upper-case hex
 * digits) for a byte, any other printable ASCII but '+' and '=' for itself.  With
 * utf8 (RFC 6533 3: utf-8-addr-xtext and, after SMTPUTF8, utf-8-addr-unitext),
 * "\x{HEX}" for a code point and UTF-8 characters as they are.  false for anything
 * else, or when the result does not fit; the result is then printable: ASCII from
 * 0x20 to 0x7e, and with utf8 characters utf8_printable() allows. */
bool dsn_xtext_decode(const char *in, bool utf8, char *out, size_t n);

/* ENVID's decoded value (RFC 3461 4.4: printable US-ASCII) and ORCPT's, as they travel
 * to the parent: "type;address", with type an atom of letters, digits and '-' and the
 * address printable (UTF-8 only for type utf-8).  The parent checks them with these. */
bool dsn_envid_ok(const char *envid);
bool dsn_orcpt_ok(const char *orcpt);

/* ORCPT=addr-type;xtext (RFC 3461 4.2) decoded into out[n] as "type;address", the
 * type as written.  Type utf-8 (RFC 6533 3) takes "\x{HEX}" escapes always and UTF-8
 * as it is only after MAIL's SMTPUTF8 (utf-8-addr-unitext).  false when malformed. */
bool dsn_orcpt_parse(const char *v, bool smtputf8, char *out, size_t n);

#endif
