/* aliases.h: the aliases(5) file, read by the privileged side.  The name of an alias
 * and its list of targets; what a target means is expand.c's business. */
#ifndef ALIASES_H
#define ALIASES_H

#include <stdbool.h>
#include <stddef.h>

struct aliases;

/* Read path (NULL: no aliases, an empty table).  On a file that cannot be read or
 * is over ALIASES_FILE_MAX, NULL with errno (the caller logs and answers 451: mail
 * for a name the file would have redirected must not go elsewhere). */
struct aliases *aliases_load(const char *path);

/* The targets of name (lowercase), as written after the colon with continuation
 * lines joined, or NULL when name is no alias. */
const char *aliases_get(const struct aliases *a, const char *name);

void aliases_free(struct aliases *a);

/* The next target of a list (aliases(5), or a .forward file): separated by commas or
 * line ends, spaces around it dropped, a "quoted target" taken whole without its
 * quotes.  Copies it into out (n bytes; a longer one is cut and reported as too long
 * by *cut) and advances *p; false at the end of the list. */
bool aliases_next_target(const char **p, char *out, size_t n, bool *cut);

#endif
