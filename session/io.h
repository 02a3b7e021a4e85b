/* io.h: the session's connection to the client: buffered reading of lines and data,
 * replies collected and written in one go, every wait under a deadline.  Session
 * side.  This is the layer a TLS record layer will sit under: nothing above it reads
 * or writes the descriptors.
 *
 * Reading is done in IO_BLOCK chunks and parsed from the buffer; replies collect in
 * one output buffer that is written only when the client has nothing more waiting
 * (RFC 2920 3.2), so a pipelined batch of commands costs one read and one write. */
#ifndef IO_H
#define IO_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>

#include "buf.h"
#include "config.h"
#include "util.h"

/* Result of waiting for input. */
enum rd {
	RD_OK,		/* data (or a line) is there */
	RD_LONG,	/* a line over the limit was skipped */
	RD_EOF,		/* the client closed the connection */
	RD_TIMEOUT,	/* RFC 5321 4.5.3.2: the client was silent too long, or took
			 * longer than the timeout over one command line */
	RD_EXPIRED,	/* the session's own time (--session-timeout) is up */
	RD_TERM,	/* SIGTERM */
};

struct conn {
	int in, out;
	bool out_sock;			/* out is a socket: send() without SIGPIPE */
	bool dead;			/* the client cannot be written to any more */
	unsigned timeout;		/* seconds a read or a write may wait */
	struct deadline end;		/* when the session's time is up */
	const volatile sig_atomic_t *term;	/* set by the SIGTERM handler */
	void (*idle)(void);		/* called before every wait for the client */
	struct buf obuf;		/* replies not yet written */
	struct tls *tls;		/* TLS after the handshake (tls.h), else NULL */
	char longhead[6];		/* first bytes of the last over-long line */
	size_t ipos, ilen;		/* ibuf[ipos..ilen) is read but not yet parsed */
	/* Last, so that a session can clear everything before it: its bytes are never
	 * read before they are written. */
	char ibuf[IO_BLOCK];		/* client input */
};

/* Set up c on in/out (everything before ibuf must be zero); idle may be NULL.  No
 * read waits past session_timeout seconds from now (RD_EXPIRED). */
void conn_init(struct conn *c, int in, int out, unsigned timeout, unsigned session_timeout,
	       const volatile sig_atomic_t *term, void (*idle)(void));

/* Write every pending reply, waiting at most the timeout for the client. */
void conn_flush(struct conn *c);

/* Read more input into ibuf (pending replies are written first unless more input
 * is already waiting).  Input already parsed is dropped, and the bytes it leaves
 * behind are wiped: they may be a password. */
enum rd conn_fill(struct conn *c);

/* The next line, NUL-terminated in place, without its line end.  LF ends a command
 * line, with or without CR before it.  The wait for its first byte and the time from
 * that byte to its end are each bounded by the timeout: a client that trickles a
 * byte now and then cannot hold the session (RD_TIMEOUT).  A line longer than max octets (line end
 * included, RFC 5321 4.5.3.1.4) is skipped through its end: RD_LONG, and its first
 * bytes are in longhead. */
enum rd conn_get_line(struct conn *c, size_t max, char **line, size_t *len);

/* The TLS handshake on the connection (RFC 3207 after "220 Ready to start TLS", or
 * RFC 8314 before the greeting), under the idle timeout.  Pending replies are written
 * first; any input already read is discarded unparsed and wiped (RFC 3207 5: plaintext
 * pipelined after STARTTLS must never be executed, CVE-2011-0411).  RD_OK, and from
 * then on every read and write goes through t; else RD_EOF (the handshake failed, the
 * library's reason in why), RD_TIMEOUT or RD_TERM, and the connection is dead. */
enum rd conn_starttls(struct conn *c, struct tls *t, char *why, size_t n);

/* Release the output buffer (wiped). */
void conn_free(struct conn *c);

#endif
