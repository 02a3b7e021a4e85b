/* loop.h: mail loops, found in the message's own trace header fields (session side).
 * RFC 5321 6.3: a server should detect loops, and counting Received lines is the
 * simple way; qmail-local's Delivered-To check finds a forwarding loop at its first
 * turn. */
#ifndef LOOP_H
#define LOOP_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

/* Read the header section of the spooled message (bytes 0..size, LF line ends, up to
 * the first empty line): the number of Received fields goes into *received, and
 * hit[i] is set for each addrs[i] some Delivered-To field names (compared without
 * case, angle brackets and spaces).  0, or -1 with errno when the spool cannot be
 * read. */
int loop_scan(int spool, off_t size, const char *const *addrs, size_t n, bool *hit,
	      unsigned *received);

#endif
