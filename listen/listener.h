/* listener.h: --listen, the one long-lived process of smtp-session (listener.c). */
#ifndef LISTENER_H
#define LISTENER_H

#include "config.h"

/* Serve the listening socket systemd passed (Accept=no) or that is on fd 0 (inetd
 * "wait"): for each connection a session with the connection on fds 0 and 1, within
 * --max-sessions and --max-per-source, until SIGTERM or SIGINT and the end of the last
 * session.  The session is a forked child that returns fork_session(arg) as its exit
 * status, or when fork_session is NULL (--exec-sessions) a fresh exec of this program
 * with cfg->session_argv.  argv is the listener's own, to execute itself afresh with
 * (listener.c, rotate()).  Returns the exit status: 0 after a clean stop, EXIT_USAGE
 * or EXIT_SYSTEM when it could not start (logged, with the fix). */
int listener_run(const struct config *cfg, char **argv, int (*fork_session)(void *),
		 void *arg);

#endif
