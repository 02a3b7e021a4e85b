/* auth.c: checking a user name and password with PAM, for AUTH.  Privileged side:
 * it runs in the root parent (pam_unix can check no one's password but its caller's
 * otherwise); the SASL exchange that produced them is the session's (sasl.c).
 *
 * The password lives only in the caller's buffer, which the caller wipes, and in the
 * copy handed to PAM through the conversation function, which is wiped when PAM gives
 * it back.  Nothing here logs anything that came from the client.
 */
#include "auth.h"

#include <dlfcn.h>
#include <security/pam_appl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

/* ------------------------------------------------------------------- PAM */

struct creds {
	const char *user, *pass;
};

static void free_responses(struct pam_response *r, int n)
{
	for (int i = 0; i < n; i++)
		if (r[i].resp) {
			explicit_bzero(r[i].resp, strlen(r[i].resp));
			free(r[i].resp);
		}
	free(r);
}

/* Answer PAM's prompts: the password for a hidden prompt, the user name for a visible
 * one; messages for the user are dropped (there is nobody to show them to). */
static int conversation(int n, const struct pam_message **msg, struct pam_response **resp,
			void *data)
{
	const struct creds *c = data;
	if (n <= 0 || n > PAM_MAX_NUM_MSG)
		return PAM_CONV_ERR;
	struct pam_response *r = calloc((size_t)n, sizeof *r);
	if (!r)
		return PAM_BUF_ERR;
	for (int i = 0; i < n; i++) {
		const char *answer;
		switch (msg[i]->msg_style) {
		case PAM_PROMPT_ECHO_OFF: answer = c->pass; break;
		case PAM_PROMPT_ECHO_ON: answer = c->user; break;
		case PAM_ERROR_MSG:
		case PAM_TEXT_INFO: continue;
		default: free_responses(r, n); return PAM_CONV_ERR;
		}
		if (!(r[i].resp = strdup(answer))) {	/* PAM frees it */
			free_responses(r, n);
			return PAM_BUF_ERR;
		}
	}
	*resp = r;
	return PAM_SUCCESS;
}

/* libpam calls this instead of sleeping after a failure: the dialogue applies its own,
 * configurable delay (--auth-delay), the same for every kind of failure. */
static void no_pam_delay(int status, unsigned usec, void *data)
{
	(void)status, (void)usec, (void)data;
}

/* What each PAM result means for the client (RFC 4954 6):
 *   PAM_SUCCESS from both pam_authenticate and pam_acct_mgmt   -> 235 2.7.0
 *   pam_authenticate: PAM_AUTH_ERR, PAM_USER_UNKNOWN, PAM_CRED_INSUFFICIENT,
 *     PAM_MAXTRIES, PAM_PERM_DENIED                             -> 535 5.7.8
 *   pam_acct_mgmt: PAM_ACCT_EXPIRED, PAM_NEW_AUTHTOK_REQD (password expired),
 *     PAM_PERM_DENIED (locked), PAM_AUTH_ERR, PAM_USER_UNKNOWN  -> 535 5.7.8
 *   anything else (PAM_AUTHINFO_UNAVAIL, PAM_SERVICE_ERR, PAM_SYSTEM_ERR,
 *     PAM_BUF_ERR, PAM_CONV_ERR, PAM_ABORT, PAM_TRY_AGAIN, ...)  -> 454 4.7.0
 * An unknown user and a wrong password get the same reply, so AUTH tells nobody who
 * exists. */
static enum authn verdict(int rc)
{
	switch (rc) {
	case PAM_SUCCESS:
		return AUTHN_OK;
	case PAM_AUTH_ERR:
	case PAM_USER_UNKNOWN:
	case PAM_CRED_INSUFFICIENT:
	case PAM_MAXTRIES:
	case PAM_PERM_DENIED:
	case PAM_ACCT_EXPIRED:
	case PAM_NEW_AUTHTOK_REQD:
		return AUTHN_FAIL;
	default:
		return AUTHN_TEMPFAIL;
	}
}

/* libpam is loaded on the first AUTH, not linked: most sessions never authenticate,
 * and libpam with libaudit and libcap-ng, which it needs, cost every session about
 * 200,000 instructions, 30 system calls and 300 KiB (make bench).  The functions are
 * looked up in the global scope, so a preloaded interposer (pam_wrapper in the tests)
 * still comes first, as it would for a linked libpam. */
struct pam_api {
	int (*start)(const char *, const char *, const struct pam_conv *, pam_handle_t **);
	int (*set_item)(pam_handle_t *, int, const void *);
	int (*get_item)(const pam_handle_t *, int, const void **);
	int (*authenticate)(pam_handle_t *, int);
	int (*acct_mgmt)(pam_handle_t *, int);
	int (*end)(pam_handle_t *, int);
};

/* The loaded library's functions, or NULL when libpam cannot be loaded. */
static const struct pam_api *pam_api(void)
{
	static struct pam_api api;	/* filled once per process */
	static bool tried;
	if (!tried) {
		tried = true;
		if (!dlopen("libpam.so.0", RTLD_NOW | RTLD_GLOBAL) ||
		    !dl_sym(RTLD_DEFAULT, &api.start, "pam_start") ||
		    !dl_sym(RTLD_DEFAULT, &api.set_item, "pam_set_item") ||
		    !dl_sym(RTLD_DEFAULT, &api.get_item, "pam_get_item") ||
		    !dl_sym(RTLD_DEFAULT, &api.authenticate, "pam_authenticate") ||
		    !dl_sym(RTLD_DEFAULT, &api.acct_mgmt, "pam_acct_mgmt") ||
		    !dl_sym(RTLD_DEFAULT, &api.end, "pam_end"))
			api.start = NULL;
	}
	return api.start ? &api : NULL;
}

enum authn auth_pam(const char *service, const char *user, const char *pass,
		    const char *rhost, char *canon)
{
	const struct pam_api *pam = pam_api();
	if (!pam)
		return AUTHN_TEMPFAIL;
	struct creds c = { user, pass };
	struct pam_conv conv = { conversation, &c };
	pam_handle_t *ph = NULL;
	int rc = pam->start(service, user, &conv, &ph);
	if (rc != PAM_SUCCESS)
		return AUTHN_TEMPFAIL;
	/* PAM conventions for a network service: where the request comes from, who asks,
	 * and a "tty" naming the service (there is no terminal). */
	if (rhost)
		pam->set_item(ph, PAM_RHOST, rhost);
	pam->set_item(ph, PAM_RUSER, user);
	pam->set_item(ph, PAM_TTY, "smtp");
	pam->set_item(ph, PAM_FAIL_DELAY, (const void *)no_pam_delay);
	rc = pam->authenticate(ph, PAM_SILENT | PAM_DISALLOW_NULL_AUTHTOK);
	if (rc == PAM_SUCCESS)
		rc = pam->acct_mgmt(ph, PAM_SILENT | PAM_DISALLOW_NULL_AUTHTOK);
	const void *item = NULL;
	if (rc == PAM_SUCCESS && pam->get_item(ph, PAM_USER, &item) == PAM_SUCCESS && item)
		snprintf(canon, USER_NAME_MAX + 1, "%s", (const char *)item);
	else
		snprintf(canon, USER_NAME_MAX + 1, "%s", user);
	pam->end(ph, rc);
	return verdict(rc);
}
