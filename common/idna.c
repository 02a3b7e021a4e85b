/* idna.c: the other IDNA form of a local domain (idna.h), through libidn2.  Start-up,
 * before the fork: both processes get the list of local domains in both forms, so
 * the session compares addresses byte for byte and never needs libidn2.
 *
 * libidn2 is loaded only when a configured domain needs it (dlopen), not linked:
 * libidn2 and libunistring are built with BIND_NOW, and loading them cost every
 * session about 490,000 instructions of symbol binding (callgrind), more than a
 * whole session without them; few sites have an internationalized domain name. */
#include "idna.h"

#include <dlfcn.h>
#include <idn2.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

struct idn2_api {
	int (*to_ascii)(const char *, char **, int);
	int (*to_unicode)(const char *, char **, int);
	void (*free)(void *);
};

static const struct idn2_api *idn2(void)
{
	static struct idn2_api api;
	static bool tried;
	if (!tried) {
		tried = true;
		void *lib = dlopen("libidn2.so.0", RTLD_NOW | RTLD_LOCAL);
		if (!lib || !dl_sym(lib, &api.to_ascii, "idn2_to_ascii_8z") ||
		    !dl_sym(lib, &api.to_unicode, "idn2_to_unicode_8z8z") ||
		    !dl_sym(lib, &api.free, "idn2_free"))
			api.to_ascii = NULL;
	}
	return api.to_ascii ? &api : NULL;
}

static bool has_alabel(const char *domain)
{
	for (const char *p = domain; p; p = strchr(p, '.') ? strchr(p, '.') + 1 : NULL)
		if (strncmp(p, "xn--", 4) == 0)
			return true;
	return false;
}

int idna_other_form(const char *domain, char *out, size_t n)
{
	bool ascii = true;
	for (const char *p = domain; *p; p++)
		ascii = ascii && !(*p & 0x80);
	if (ascii && !has_alabel(domain))
		return 0;
	const struct idn2_api *api = idn2();
	if (!api)
		return -1;
	/* IDNA2008 as it is (IDN2_NO_TR46): no UTS 46 mapping, so a label must already be
	 * a U-label (lowercase, NFC); no IDN2_USE_STD3_ASCII_RULES, which silently drops
	 * '_' (RECIPES-2 item 9). */
	char *other = NULL;
	int rc = ascii ? api->to_unicode(domain, &other, 0)
		       : api->to_ascii(domain, &other, IDN2_NO_TR46);
	int ok = rc == IDN2_OK && other && snprintf(out, n, "%s", other) < (int)n ? 1 : -1;
	api->free(other);
	return ok;
}
