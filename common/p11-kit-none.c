/* p11-kit-none.c: the p11-kit functions that the static GnuTLS (Makefile: TLS_STATIC=1)
 * refers to, none of which this program ever reaches.  Both sides.
 *
 * Debian ships no static libp11-kit, and linking its shared library, with the libffi it
 * brings, cost every session, TLS or not, about 0.4 ms of CPU (2.4 ms instead of
 * 2.0 ms for a plain session with TLS off; bench/results/2026-12-07-tls.txt).  GnuTLS
 * calls p11-kit only for PKCS #11: "pkcs11:" URLs, tokens and the system trust store,
 * which smtp-session does not use (its keys are files the parent decodes from memory,
 * parent/keys.c; it asks no client for a certificate).  Should a path ever reach one of
 * these, the process ends at once (abort) rather than act on a made-up answer. */
#include <stdlib.h>

#if TLS_STATIC
#define P11_KIT_FUNCS(X)								\
	X(p11_kit_config_option) X(p11_kit_message) X(p11_kit_module_finalize)	\
	X(p11_kit_module_get_flags) X(p11_kit_module_get_name) X(p11_kit_module_load)	\
	X(p11_kit_module_release) X(p11_kit_modules_load) X(p11_kit_pin_file_callback)	\
	X(p11_kit_pin_get_length) X(p11_kit_pin_get_value) X(p11_kit_pin_new_for_string) \
	X(p11_kit_pin_register_callback) X(p11_kit_pin_request) X(p11_kit_pin_unref)	\
	X(p11_kit_pin_unregister_callback) X(p11_kit_space_strdup) X(p11_kit_space_strlen) \
	X(p11_kit_strerror) X(p11_kit_uri_format) X(p11_kit_uri_free)			\
	X(p11_kit_uri_get_attribute) X(p11_kit_uri_get_attributes)			\
	X(p11_kit_uri_get_module_info) X(p11_kit_uri_get_pin_source)			\
	X(p11_kit_uri_get_pin_value) X(p11_kit_uri_get_token_info)			\
	X(p11_kit_uri_match_module_info) X(p11_kit_uri_match_token_info)		\
	X(p11_kit_uri_new) X(p11_kit_uri_parse) X(p11_kit_uri_set_attribute)

/* Never called: each only stops the process (see above). */
#define NONE(f) _Noreturn void f(void); _Noreturn void f(void) { abort(); }
P11_KIT_FUNCS(NONE)
#else
typedef int p11_kit_none_unused;	/* ISO C: no empty translation unit */
#endif
