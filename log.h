/* log.h: diagnostics.  Never to stdout or stderr: under inetd both are the client's
 * socket.  Syslog (facility mail) by default, or a file with --log-file. */
#ifndef LOG_H
#define LOG_H

#include <syslog.h>

/* file: NULL for syslog. */
void log_open(const char *file);

/* One log line.  Control characters and non-ASCII bytes, which may come from the
 * client, are shown as '?' so that nobody can forge log lines. */
void log_msg(int prio, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
