/* options.h: the command line (smtp-session(8) documents each option). */
#ifndef OPTIONS_H
#define OPTIONS_H

#include "config.h"

/* The defaults of every option. */
void options_defaults(struct config *cfg);

/* --log-file's argument, if argv has one, read before options_parse() so that a
 * usage error goes where the other log lines go; NULL without one. */
const char *options_log_file(int argc, char **argv);

/* Parse argv into cfg; *user is --user's argument (single-user mode), or left alone.
 * A usage error is one line "smtp-session: WHAT: FIX" on stderr (log_config_error():
 * where that is not the client's connection) and in the log, the usage text only when
 * stderr is a terminal; it exits EXIT_USAGE, before any session.  --help and
 * --version exit 0. */
void options_parse(int argc, char **argv, struct config *cfg, const char **user);

#endif
