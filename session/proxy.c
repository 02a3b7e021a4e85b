/* proxy.c: the PROXY protocol header, versions 1 and 2 (proxy.h).  Session side.
 *
 * The rules are those of HAProxy's proxy-protocol.txt ("the spec" below).  The header
 * is read byte-exact from the descriptor, never through struct conn's buffer: what
 * follows it may be TLS (implicit TLS behind the proxy) or pipelined SMTP, and must
 * stay in the socket for whoever reads next.  Version 1 has no length field, so its
 * line is read a byte at a time (at most PROXY_V1_MAX reads, once per connection);
 * version 2 says its length and is read in two reads. */
#include "proxy.h"

#include <arpa/inet.h>
#include <errno.h>
#include <poll.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "peer.h"
#include "config.h"
#include "util.h"

/* Spec 2.2: the 12-byte signature of version 2; its first 6 bytes can never start a
 * version 1 header ("PROXY "), so 6 bytes tell the two apart. */
static const char V2_SIG[12] = "\r\n\r\n\0\r\nQUIT\n";
#define V1_START "PROXY "
#define V2_HEAD 16	/* signature, version and command, family, length */
static const char CLOSED[] = "connection closed inside the header";

/* Read exactly n bytes before the deadline: 0, or -1 with *why set. */
static int read_exact(int fd, void *p, size_t n, const struct deadline *d, const char **why)
{
	size_t got = 0;
	while (got < n) {
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		int r = poll(&pfd, 1, deadline_left(d));
		if (r == -1 && errno == EINTR)
			continue;
		if (r == 0)
			return *why = "no complete header in time", -1;
		ssize_t m = r == -1 ? -1 : read(fd, (char *)p + got, n - got);
		if (m == -1 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (m <= 0)
			return *why = CLOSED, -1;
		got += (size_t)m;
	}
	return 0;
}

/* Spec 2.1: a port is a decimal number 0..65535 without leading zeros. */
static bool v1_port(const char *s)
{
	size_t len = strspn(s, "0123456789");
	return len > 0 && len <= 5 && !s[len] && (s[0] != '0' || len == 1) &&
	       strtoul(s, NULL, 10) <= 65535;
}

/* Spec 2.1: "PROXY TCP4|TCP6 src dst sport dport" or "PROXY UNKNOWN ...", the
 * fields separated by one space, the line ended by CRLF (already cut off). */
static int v1_parse(char *line, char *client, size_t n, const char **why)
{
	char *f[6], *save = NULL;
	size_t k = 0, len = strlen(line);
	if (strncmp(line, "UNKNOWN", 7) == 0 && (!line[7] || line[7] == ' '))
		return 0;	/* the rest of the line is to be ignored */
	/* Empty: "PROXY " alone, whose space is then a trailing one. */
	if (!len || strstr(line, "  ") || line[0] == ' ' || line[len - 1] == ' ')
		return *why = "version 1: fields not separated by single spaces", -1;
	for (char *t = strtok_r(line, " ", &save); t && k < 6; t = strtok_r(NULL, " ", &save))
		f[k++] = t;
	int family = k == 5 && strcmp(f[0], "TCP4") == 0 ? AF_INET
		: k == 5 && strcmp(f[0], "TCP6") == 0 ? AF_INET6 : 0;
	unsigned char src[16], dst[16];
	if (!family)
		return *why = "version 1: not TCP4, TCP6 or UNKNOWN with four fields", -1;
	if (inet_pton(family, f[1], src) != 1 || inet_pton(family, f[2], dst) != 1)
		return *why = "version 1: an address that does not match its family", -1;
	if (!v1_port(f[3]) || !v1_port(f[4]))
		return *why = "version 1: a port that is no number 0-65535", -1;
	peer_text(family, src, client, n);
	return 1;
}

static int v1_read(int fd, const struct deadline *d, char *client, size_t n, const char **why)
{
	char line[PROXY_V1_MAX + 1];
	size_t len = strlen(V1_START);
	memcpy(line, V1_START, len);
	while (len < 2 || line[len - 1] != '\n') {
		if (len == PROXY_V1_MAX)
			return *why = "version 1: line too long", -1;
		if (read_exact(fd, line + len, 1, d, why) == -1)
			return -1;
		len++;
	}
	if (line[len - 2] != '\r')
		return *why = "version 1: line not ended by CRLF", -1;
	line[len - 2] = '\0';
	if (memchr(line, '\0', len - 2))
		return *why = "version 1: a NUL byte in the line", -1;
	return v1_parse(line + strlen(V1_START), client, n, why);
}

/* Spec 2.2: after the signature, version 2 and the command (LOCAL 0, PROXY 1), the
 * address family and transport, and the length of what follows: the addresses, then
 * TLVs, which are skipped (we read them whole and look at none of them). */
static int v2_read(int fd, const struct deadline *d, unsigned char *h, char *client,
		   size_t n, const char **why)
{
	unsigned char body[PROXY_V2_LEN_MAX];
	if (read_exact(fd, h + 6, V2_HEAD - 6, d, why) == -1)
		return -1;
	if (memcmp(h, V2_SIG, sizeof V2_SIG) != 0)
		return *why = "version 2: bad signature", -1;
	unsigned version = h[12] >> 4, command = h[12] & 0xf, family = h[13] >> 4,
		 transport = h[13] & 0xf, len = (unsigned)h[14] << 8 | h[15];
	if (version != 2 || command > 1)
		return *why = "version 2: unknown version or command", -1;
	if (len > sizeof body)
		return *why = "version 2: header too long", -1;
	if (read_exact(fd, body, len, d, why) == -1)
		return -1;
	/* LOCAL: the proxy's own connection (a health check); an unspecified family or
	 * a Unix socket carries no IP address.  The socket's address stands. */
	if (command == 0 || family == 0 || family == 3)
		return 0;
	size_t need = family == 1 ? 12 : family == 2 ? 36 : 0;
	if (!need || transport != 1)
		return *why = "version 2: not TCP over IPv4 or IPv6", -1;
	if (len < need)
		return *why = "version 2: addresses cut short", -1;
	peer_text(family == 1 ? AF_INET : AF_INET6, body, client, n);
	return 1;
}

int proxy_read(int fd, unsigned timeout_ms, char *client, size_t n, const char **why)
{
	unsigned char h[V2_HEAD];
	char addr[INET6_ADDRSTRLEN];
	struct deadline d;
	deadline_in(&d, timeout_ms);
	/* A connection that ends before its first byte is a load balancer's TCP check
	 * (connect, then close), not a broken header. */
	if (read_exact(fd, h, 1, &d, why) == -1)
		return *why == CLOSED ? (*why = "closed before any byte (a TCP check)", -2) : -1;
	if (read_exact(fd, h + 1, 5, &d, why) == -1)
		return -1;
	int r;
	if (memcmp(h, V1_START, 6) == 0)
		r = v1_read(fd, &d, addr, sizeof addr, why);
	else if (memcmp(h, V2_SIG, 6) == 0)
		r = v2_read(fd, &d, h, addr, sizeof addr, why);
	else
		return *why = "no PROXY header", -1;
	if (r == 1)
		snprintf(client, n, "%s", addr);
	return r;
}
