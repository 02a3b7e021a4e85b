/* peer.h: who the client is: its IP address, from the connection's socket or what
 * the super-server said, and whether it is a loopback address.  Both sides: the
 * session (AUTH and SEND policies, logs) and the parent (which checks the SEND policy
 * again, trusting no word of the session's) each find it out themselves. */
#ifndef PEER_H
#define PEER_H

#include <stdbool.h>
#include <stddef.h>

/* The IP address of the peer of fd as text: from getpeername(), else from
 * $REMOTE_ADDR (systemd) or $TCPREMOTEIP (tcpserver) when they hold a real address,
 * else "unknown" (a pipe: no address, and so no loopback client). */
void peer_address(int fd, char *out, size_t n);

/* An address of family (AF_INET, AF_INET6) in binary as text; an IPv4-mapped IPv6
 * address as IPv4, so that 192.0.2.7 is one client however it came (proxy.c too). */
void peer_text(int family, const void *bin, char *out, size_t n);

/* Is this IP address (text) a loopback address (127/8, ::1)? */
bool peer_loopback(const char *addr);

/* How a side knows who the client is. */
enum peer_via {
	PEER_DIRECT,	/* no --proxy: the socket's peer is the client */
	PEER_NAMED,	/* a PROXY header named the client's TCP address (v1 TCP4/TCP6,
			 * v2 PROXY over TCP) */
	PEER_UNNAMED,	/* a header that names no IP client: v1 UNKNOWN, v2 LOCAL (a
			 * health check), v2 AF_UNIX or UNSPEC; the proxy's own address
			 * stands */
	PEER_UNSEEN,	/* --proxy, on the side that does not read the header (the
			 * parent: the session reads it in its sandbox) */
};

/* The one rule for loopback rights (AUTH without TLS under --auth local, SEND under
 * --send auth and local): does the client count as local?  sock is the socket's peer,
 * named the address a header named (PEER_NAMED only).  Without --proxy: sock is a
 * loopback address.  Behind a proxy, never, unless trust_loopback
 * (--proxy-trust-loopback) says the proxy's loopback clients are local; and even then
 * only when the proxy itself is on this host (sock is loopback: another host's
 * loopback is not ours) and the header named a loopback address.  A header that names
 * no address grants nothing.  PEER_UNSEEN counts as local whenever a header could make
 * it so: the parent's check is then as wide as the session's, never narrower, so the
 * two never disagree about an honest session. */
bool peer_local(const char *sock, enum peer_via via, const char *named, bool trust_loopback);

#endif
