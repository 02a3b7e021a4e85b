/* sessions.c: the listener's table of live sessions (sessions.h).  A linear table: at
 * most LISTEN_SESSIONS_LIMIT slots, scanned once per accepted connection, which costs
 * far less than the fork and exec that follow. */
#include "sessions.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "peer.h"

int sessions_init(struct sessions *t, unsigned size)
{
	t->slot = calloc(size, sizeof *t->slot);
	t->size = t->slot ? size : 0;
	t->live = 0;
	return t->slot ? 0 : -1;
}

void sessions_free(struct sessions *t)
{
	free(t->slot);
	t->slot = NULL;
	t->size = t->live = 0;
}

void source_of(const struct sockaddr_storage *sa, socklen_t len, struct source *s)
{
	memset(s, 0, sizeof *s);
	if (sa->ss_family == AF_INET && len >= sizeof(struct sockaddr_in)) {
		const struct sockaddr_in *in = (const struct sockaddr_in *)sa;
		s->addr.s6_addr[10] = s->addr.s6_addr[11] = 0xff;	/* ::ffff:a.b.c.d */
		memcpy(&s->addr.s6_addr[12], &in->sin_addr, 4);
		s->ip = true;
	} else if (sa->ss_family == AF_INET6 && len >= sizeof(struct sockaddr_in6)) {
		s->addr = ((const struct sockaddr_in6 *)sa)->sin6_addr;
		s->ip = true;
	}
}

void source_text(const struct source *s, char *out, size_t n)
{
	if (s->ip)
		peer_text(AF_INET6, &s->addr, out, n);	/* a mapped address comes out as IPv4 */
	else
		snprintf(out, n, "local");
}

unsigned sessions_from(const struct sessions *t, const struct source *s)
{
	unsigned n = 0;
	for (unsigned i = 0; i < t->size; i++)
		if (t->slot[i].pid && t->slot[i].from.ip == s->ip &&
		    memcmp(&t->slot[i].from.addr, &s->addr, sizeof s->addr) == 0)
			n++;
	return n;
}

void sessions_add(struct sessions *t, pid_t pid, const struct source *s)
{
	for (unsigned i = 0; i < t->size; i++)
		if (!t->slot[i].pid) {
			t->slot[i] = (struct session_slot){ .pid = pid, .from = *s };
			t->live++;
			return;
		}
}

bool sessions_remove(struct sessions *t, pid_t pid, struct source *s)
{
	for (unsigned i = 0; i < t->size; i++)
		if (t->slot[i].pid == pid) {
			*s = t->slot[i].from;
			t->slot[i].pid = 0;
			t->live--;
			return true;
		}
	return false;
}

void sessions_signal(const struct sessions *t, int sig)
{
	for (unsigned i = 0; i < t->size; i++)
		if (t->slot[i].pid)
			kill(t->slot[i].pid, sig);
}
