/* parent.h: the privileged parent of a session (privsep.h).  Privileged side. */
#ifndef PARENT_H
#define PARENT_H

#include <sys/types.h>

#include "smtp-session.h"

/* Serve the session process's requests on sock until it closes the link.  Returns 0
 * when the link ended cleanly, or -1 when the session process broke the protocol
 * (then *why says how, and the caller must kill it) or the link failed. */
int parent_serve(const struct config *cfg, int sock, const char **why);

#endif
