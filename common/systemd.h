/* systemd.h: the two things smtp-session takes from systemd when systemd starts it:
 * the connection socket (LISTEN_FDS, sd_listen_fds(3)) and the journal
 * (sd_journal_sendv(3)).
 *
 * libsystemd is not linked in.  Linking it loads libsystemd, libgcrypt, liblz4,
 * libzstd, liblzma and libcap into every session and raises its peak RSS by about
 * 1 MiB, although sessions under inetd or tcpserver never use it.  So it is
 * dlopen()ed, and only when the environment says systemd started us (LISTEN_FDS,
 * JOURNAL_STREAM or INVOCATION_ID).
 *
 * Built with WITH_SYSTEMD=0 (no libsystemd-dev needed), nothing is loaded: a passed
 * socket is used only when it is also on stdin (StandardInput=socket), and logging
 * goes to syslog.
 */
#ifndef SYSTEMD_H
#define SYSTEMD_H

#include <stdbool.h>
#include <sys/uio.h>

/* If systemd passed the connection as a socket (LISTEN_FDS=1, LISTEN_PID ours: an
 * Accept=yes service, or systemd-socket-activate --accept), move it onto fds 0 and 1,
 * where the session expects its connection.  Returns 0 (also when nothing was
 * passed), or an exit status (EXIT_USAGE, EXIT_SYSTEM) with the reason in *why when
 * what was passed cannot be served. */
int systemd_connection(const char **why);

/* --listen: the listening socket to serve, in *fd: the one systemd passed (LISTEN_FDS=1,
 * LISTEN_PID ours: an Accept=no socket unit, or systemd-socket-activate without
 * --accept), whose LISTEN_* variables are then unset, or else fd 0 when it is a
 * listening socket (inetd "wait", StandardInput=socket; the only way under
 * WITH_SYSTEMD=0).  Returns 0, or EXIT_USAGE or EXIT_SYSTEM with the reason and the
 * fix in *why (a connection instead of a listening socket, none at all). */
int systemd_listener(int *fd, const char **why);

/* Does systemd's journal collect our output ($JOURNAL_STREAM or $INVOCATION_ID), and
 * could libsystemd be loaded to write to it? */
bool systemd_journal(void);

/* One journal entry of "FIELD=value" items: 0, or a negative errno value. */
int systemd_journal_sendv(const struct iovec *iov, int n);

#endif
