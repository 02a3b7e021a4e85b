/* peer.c: the client's address (peer.h).  Both sides. */
#include "peer.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>

void peer_text(int family, const void *bin, char *out, size_t n)
{
	const struct in6_addr *a6 = bin;
	if (family == AF_INET6 && IN6_IS_ADDR_V4MAPPED(a6))
		inet_ntop(AF_INET, &a6->s6_addr[12], out, (socklen_t)n);
	else
		inet_ntop(family, bin, out, (socklen_t)n);
}

void peer_address(int fd, char *out, size_t n)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof ss;
	unsigned char bin[16];
	if (getpeername(fd, (struct sockaddr *)&ss, &len) == 0) {
		if (ss.ss_family == AF_INET) {
			peer_text(AF_INET, &((struct sockaddr_in *)&ss)->sin_addr, out, n);
			return;
		}
		if (ss.ss_family == AF_INET6) {
			peer_text(AF_INET6, &((struct sockaddr_in6 *)&ss)->sin6_addr, out, n);
			return;
		}
	}
	/* systemd sets REMOTE_ADDR, tcpserver TCPREMOTEIP; believe only real addresses. */
	const char *env[] = { "REMOTE_ADDR", "TCPREMOTEIP" };
	for (size_t i = 0; i < 2; i++) {
		const char *v = getenv(env[i]);
		if (v && (inet_pton(AF_INET, v, bin) == 1 || inet_pton(AF_INET6, v, bin) == 1)) {
			snprintf(out, n, "%s", v);
			return;
		}
	}
	snprintf(out, n, "unknown");
}

bool peer_local(const char *sock, enum peer_via via, const char *named, bool trust_loopback)
{
	if (via == PEER_DIRECT)
		return peer_loopback(sock);
	if (!trust_loopback || !peer_loopback(sock))
		return false;
	return via == PEER_UNSEEN || (via == PEER_NAMED && named && peer_loopback(named));
}

bool peer_loopback(const char *addr)
{
	struct in_addr a4;
	struct in6_addr a6;
	if (inet_pton(AF_INET, addr, &a4) == 1)
		return (ntohl(a4.s_addr) >> 24) == 127;
	return inet_pton(AF_INET6, addr, &a6) == 1 && IN6_IS_ADDR_LOOPBACK(&a6);
}
