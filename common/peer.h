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

#endif
