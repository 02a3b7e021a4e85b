/* proxy.h: the PROXY protocol header (HAProxy's proxy-protocol.txt, versions 1 and 2)
 * that a load balancer sends before the client's first byte (--proxy).  Session side:
 * it is read from the connection before the greeting, and before any TLS. */
#ifndef PROXY_H
#define PROXY_H

#include <stddef.h>

/* Read the header from fd, byte-exact (nothing after it is consumed, so the SMTP or
 * TLS bytes that follow stay in the socket), within timeout_ms.  Returns:
 *   1  a proxied connection: the client's address is in client[n];
 *   0  a LOCAL (v2) or UNKNOWN (v1) connection, the proxy's own health check, or a
 *      v2 header of a Unix socket or of no family: client is left alone (the
 *      socket's address stands, without loopback rights: peer_local(), peer.h);
 *  -1  no valid header (malformed, truncated, oversized, too late): *why says what;
 *  -2  the connection closed before its first byte: a load balancer's TCP check. */
int proxy_read(int fd, unsigned timeout_ms, char *client, size_t n, const char **why);

#endif
