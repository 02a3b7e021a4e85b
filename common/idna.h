/* idna.h: the other IDNA form of a local domain (RFC 5890: U-labels and A-labels), for
 * --domains at start-up. */
#ifndef IDNA_H
#define IDNA_H

#include <stddef.h>

/* domain (its ASCII letters in lowercase) in its other form: the A-labels of a domain
 * in UTF-8, or the U-labels of one with an "xn--" label, into out[n].  Returns 1 when
 * there is another form, 0 when there is none (plain ASCII), -1 when the domain is
 * not valid IDNA2008 or libidn2 cannot be loaded. */
int idna_other_form(const char *domain, char *out, size_t n);

#endif
