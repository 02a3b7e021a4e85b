/* sessions.h: the listener's table of live sessions (listen/listener.c): which child
 * serves which client address, for the limits of --max-sessions and --max-per-source
 * and for the log line of a session that ended badly.  Nothing of a session but its
 * pid and its client's address: the listener never sees what a client says. */
#ifndef SESSIONS_H
#define SESSIONS_H

#include <stdbool.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/types.h>

/* A client's IP address as the limits count it: IPv4 as the IPv4-mapped IPv6 address,
 * so that 192.0.2.7 over IPv4 and ::ffff:192.0.2.7 over a dual-stack socket are one
 * source.  A client without one (a Unix socket: the LMTP socket's MTA) has no source
 * to limit: only --max-sessions applies, as the LMTP unit had no
 * MaxConnectionsPerSource=. */
struct source {
	struct in6_addr addr;
	bool ip;		/* false: no IP address (AF_UNIX), addr is :: */
};

struct session_slot {
	pid_t pid;		/* 0: free */
	struct source from;
};

struct sessions {
	struct session_slot *slot;
	unsigned size, live;
};

/* A table of size slots (--max-sessions): 0, or -1 when memory is short. */
int sessions_init(struct sessions *t, unsigned size);
void sessions_free(struct sessions *t);

/* The source of a peer address from accept(). */
void source_of(const struct sockaddr_storage *sa, socklen_t len, struct source *s);

/* The source as text (an IPv4-mapped address as IPv4; "local" without an IP
 * address), n at least INET6_ADDRSTRLEN. */
void source_text(const struct source *s, char *out, size_t n);

/* How many live sessions come from s (an IP source). */
unsigned sessions_from(const struct sessions *t, const struct source *s);

/* Record a new session; the caller has checked that there is room (live < size). */
void sessions_add(struct sessions *t, pid_t pid, const struct source *s);

/* Free the slot of pid: true with its source in *s, false when pid is none of ours
 * (a child of a library, say: not counted). */
bool sessions_remove(struct sessions *t, pid_t pid, struct source *s);

/* Send sig to every live session. */
void sessions_signal(const struct sessions *t, int sig);

#endif
