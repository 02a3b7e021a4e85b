/* addr.h: the address grammar of RFC 5321 4.1.2 and the other small syntax checks of
 * the dialogue, as pure functions: no I/O, no state.  Both sides: the dialogue parses
 * with it, and the parent checks the addresses it is given (relay.c, expand.c). */
#ifndef ADDR_H
#define ADDR_H

#include <stdbool.h>

#include "config.h"

struct addr {
	char local[LOCAL_PART_MAX + 1];	/* local part, quoting removed */
	char domain[DOMAIN_MAX + 1];	/* "" for <> and <postmaster> */
	char key[DOMAIN_MAX + 1];	/* the domain with its ASCII letters in lowercase */
	char text[PATH_LEN_MAX + 1];	/* the mailbox as sent, quoting kept */
	bool utf8;			/* it holds UTF-8 beyond ASCII (RFC 6531) */
};

enum perr {
	P_OK,
	P_SYNTAX,
	P_8BIT,		/* a byte beyond ASCII, and UTF-8 was not allowed */
	P_UTF8,		/* malformed UTF-8, or a C1 control (RFC 6531 3.3, RFC 3629) */
	P_LONG,
};

/* RFC 5321 4.1.2 Path: "<" [A-d-l ":"] Mailbox ">", or "<>", or a bare "<local>"
 * (only <Postmaster> is valid without a domain; the caller decides).  *pp points at
 * "<" and is moved past ">".  With utf8 (the SMTPUTF8 parameter), RFC 6531 3.3: the
 * local part may hold UTF-8, in atoms and quoted strings, and the domain U-labels
 * (well-formed UTF-8, checked here); lengths stay counted in octets. */
enum perr addr_parse_path(const char **pp, struct addr *a, bool utf8);

/* The domain in the form local domains are compared in: its ASCII letters in
 * lowercase (RFC 4343), every other byte as it is.  The local domains are kept in
 * both IDNA forms (options.c, idna.c), so "bücher.example" and
 * "xn--bcher-kva.example" both match whichever was configured.  false when the
 * result does not fit out[n]. */
bool addr_domain_key(const char *domain, char *out, size_t n);

/* Does arg hold the word w (case-insensitive, between spaces or the ends)? */
bool addr_has_word(const char *arg, const char *w);

/* Case-insensitive "FROM:" / "TO:" prefix; the spaces some clients put after the
 * colon ("MAIL From: <a@b>", as in the seed transcript) are skipped.  NULL when arg
 * does not start with kw. */
const char *addr_after_keyword(const char *arg, const char *kw);

/* Is domain (in the form of addr_domain_key()) one of the local domains (",a,b,", in
 * that form too, each in both IDNA forms: struct config)? */
bool addr_local_domain(const char *domains, const char *domain);

/* RFC 5321 4.1.1.1: HELO/EHLO take a domain or an address literal.  We accept any one
 * word of printable ASCII (real clients send "localhost.localdomain", bare host names,
 * names with '_'): it only ever goes into the Received header. */
bool addr_helo_ok(const char *arg);

/* RFC 3461 4 xtext, or "<>": the value of AUTH= on MAIL (RFC 4954 5). */
bool addr_xtext_ok(const char *v);

/* A decimal number from min to max, digits only. */
bool addr_number(const char *s, unsigned long long min, unsigned long long max,
		 unsigned long long *out);


#endif
