/* options.h: the command line (smtp-session(8) documents each option). */
#ifndef OPTIONS_H
#define OPTIONS_H

#include "config.h"

/* The defaults of every option. */
void options_defaults(struct config *cfg);

/* Parse argv into cfg; *user is --user's argument (single-user mode), or left alone.
 * A usage error is written to stderr and exits EXIT_USAGE: it happens before any
 * session.  --help and --version exit 0. */
void options_parse(int argc, char **argv, struct config *cfg, const char **user);

#endif
