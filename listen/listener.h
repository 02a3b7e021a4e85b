/* listener.h: --listen, the one long-lived process of smtp-session (listener.c). */
#ifndef LISTENER_H
#define LISTENER_H

#include "config.h"

/* Serve the listening socket systemd passed (Accept=no) or that is on fd 0 (inetd
 * "wait"): for each connection a fresh exec of this program with cfg->session_argv and
 * the connection on fds 0 and 1, within --max-sessions and --max-per-source, until
 * SIGTERM or SIGINT and the end of the last session.  Returns the exit status: 0 after
 * a clean stop, EXIT_USAGE or EXIT_SYSTEM when it could not start (logged, with the
 * fix). */
int listener_run(const struct config *cfg);

#endif
