/* log.c: syslog, or a file for tests and debugging. */
#include "log.h"

#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* Set once at start-up, before the session: configuration, not session state. */
static int log_fd = -1;

void log_open(const char *file)
{
	if (file) {
		log_fd = open(file, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
		if (log_fd != -1)
			return;
	}
	openlog("smtp-session", LOG_PID, LOG_MAIL);
}

static void scrub(char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || (unsigned char)*s >= 0x7f)
			*s = '?';
}

void log_msg(int prio, const char *fmt, ...)
{
	char line[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(line, sizeof line, fmt, ap);
	va_end(ap);
	scrub(line);
	if (log_fd == -1) {
		syslog(prio, "%s", line);
		return;
	}
	static const char *const level[] = { "emerg", "alert", "crit", "error",
					     "warning", "notice", "info", "debug" };
	char out[1200];
	int n = snprintf(out, sizeof out, "smtp-session[%ld]: %s: %s\n", (long)getpid(),
			 level[prio & 7], line);
	if (n > 0)
		(void)!write(log_fd, out, (size_t)n < sizeof out ? (size_t)n : sizeof out - 1);
}
