/* smtp-session.h: configuration and limits shared by the dialogue and the privileged side.
 * Every limit of the program is named here, once, with the rule it comes from. */
#ifndef SMTP_SESSION_H
#define SMTP_SESSION_H

#include <stdbool.h>
#include <sys/types.h>

#define SMTP_SESSION_VERSION "0.1.0"

/* RFC 5321 4.5.3.1.4: a command line is at most 512 octets, CRLF included. */
#define SMTP_LINE_MAX 512
/* RFC 5321 4.5.3.1.6: a text line is at most 1000 octets, CRLF included. */
#define SMTP_TEXT_MAX 1000
/* RFC 5321 4.5.3.1.1 and 4.5.3.1.2: local part and domain lengths. */
#define LOCAL_PART_MAX 64
#define DOMAIN_MAX 255
/* RFC 5321 4.5.3.1.3: a path, "<" and ">" included, is at most 256 octets. */
#define PATH_LEN_MAX 256
/* RFC 5321 4.5.3.1.8: a server must accept at least 100 recipients. */
#define DEFAULT_MAX_RCPT 100
/* RFC 1870: the SIZE we advertise; 10 MiB by default. */
#define DEFAULT_MAX_SIZE (10ULL * 1024 * 1024)
/* RFC 5321 4.5.3.2.7: the server timeout should be at least 5 minutes. */
#define DEFAULT_TIMEOUT 300
/* Commands that get 500-504 or 555 before we give up on the client with 421. */
#define MAX_BAD_COMMANDS 10
/* Size of one read from the client and of one write to the spool. */
#define IO_BLOCK 65536
/* Replies are flushed at the latest when this much is pending (RFC 2920 3.2). */
#define OUT_FLUSH_AT 16384
/* Longest user name we pass around (glibc's LOGIN_NAME_MAX is 256). */
#define USER_NAME_MAX 256

/* Exit status (skarnet convention): 0 for every session that ended as the protocol
 * allows, 100 for a usage error, 111 for a system failure. */
#define EXIT_USAGE 100
#define EXIT_SYSTEM 111

struct config {
	const char *hostname;	/* our name in the greeting, Received and Maildir names */
	char *domains;		/* ",a,b," lowercase: the local domains */
	const char *maildir;	/* relative to each home, or absolute in single-user mode */
	const char *postmaster;	/* user who gets postmaster's mail */
	const char *log_file;	/* NULL: syslog, facility mail */
	unsigned long long max_size;
	unsigned max_rcpt;
	unsigned timeout;	/* seconds of silence before 421 */

	/* Filled in by priv_init(). */
	bool single;		/* single-user mode: all mail goes to one user, no uid change */
	char *user;		/* single-user mode: that user */
	char *home;		/* single-user mode: that user's home */
};

/* One whole session with the client on in/out (smtp-session.c): settles the mode with
 * priv_init(cfg, as_user), holds the dialogue and releases everything.  Returns the
 * exit status.  main() and the fuzz harness are its only callers. */
int session_run(struct config *cfg, const char *as_user, int in, int out);

#endif
