/* parent.h: the privileged parent of a session (privsep.h).  Privileged side. */
#ifndef PARENT_H
#define PARENT_H

#include <stdbool.h>
#include <sys/types.h>

#include "config.h"

/* Serve the session process's requests on sock until it closes the link; loopback
 * says whether the client is on a loopback address (for --send).  Returns 0 when the
 * link ended cleanly, or -1 when the session process broke the protocol (then *why
 * says how, and the caller must kill it) or the link failed. */
int parent_serve(const struct config *cfg, int sock, bool loopback, const char **why);

#endif
