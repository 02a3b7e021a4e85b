/* keys.h: the TLS private keys and the ticket key, held by the privileged parent
 * (issue 21): the session process, which parses the network, never maps them.  It
 * signs its handshake through PS_SIGN and gets, through PS_TLS_KEYS, each key's id
 * (to check it against its certificate) and a ticket key for the current period only
 * (privsep.h).  Privileged side. */
#ifndef KEYS_H
#define KEYS_H

#include <stddef.h>

#include "frame.h"

/* Before the fork, where TLS is configured: make GnuTLS ready (TLS_STATIC=1: initialise
 * the library linked in; TLS_STATIC=0: load libgnutls with dlopen), so that both
 * processes have it without doing it twice.  0, or -1 with the reason in why[n]. */
int keys_library(char *why, size_t n);

/* The parent, after the fork: read the n key files open on fds[] and the ticket key
 * file open on ticket_fd (-1: none), which the caller closes.  They are decoded when
 * the session first asks for its keys (PS_TLS_KEYS, at STARTTLS), so a session
 * without TLS decodes nothing.  A key that cannot be decoded is answered with an
 * empty key id (the session refuses its pair). */
void keys_load(const int *fds, unsigned n, int ticket_fd);

/* The parent, at the end: every key octet and decoded key wiped. */
void keys_wipe(void);

/* Serve PS_TLS_KEYS or PS_SIGN from in, the answer built in out.  NULL, or why the
 * request breaks the protocol (the session is then killed). */
const char *keys_serve(struct frame *in, struct frame *out);

#endif
