/* sasl.c: SMTP AUTH (RFC 4954) in the dialogue: the AUTH verb, the SASL exchange,
 * strict base64 and RFC 4616 PLAIN.  Session side: the password is checked by the
 * privileged parent (priv_auth(), PAM in auth.c); here it is only decoded.
 *
 * Passwords live only in buffers that are wiped as soon as they have been used: the
 * line in the input buffer (io.c wipes what a move leaves behind), the decoded
 * response, the parsed fields, and the frame that carries them to the parent. */
#include "sasl.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "log.h"
#include "priv.h"
#include "utf8.h"
#include "util.h"

/* ---------------------------------------------------------------- base64 */

static int b64value(unsigned char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

ssize_t auth_b64decode(const char *in, size_t len, unsigned char *out, size_t outsz)
{
	if (len % 4)
		return -1;
	size_t n = 0;
	for (size_t i = 0; i < len; i += 4) {
		int v[4], pad = 0;
		for (int j = 0; j < 4; j++) {
			unsigned char c = (unsigned char)in[i + j];
			/* '=' only as the last one or two characters of the text */
			if (c == '=' && i + 4 == len && j >= 2 && (j == 3 || in[i + 3] == '=')) {
				v[j] = 0;
				pad++;
			} else if ((v[j] = b64value(c)) < 0) {
				return -1;
			}
		}
		unsigned long w = (unsigned long)v[0] << 18 | (unsigned long)v[1] << 12 |
				  (unsigned long)v[2] << 6 | (unsigned long)v[3];
		unsigned char b[3] = { (unsigned char)(w >> 16), (unsigned char)(w >> 8),
				       (unsigned char)w };
		if (n + (size_t)(3 - pad) > outsz)
			return -1;
		memcpy(out + n, b, (size_t)(3 - pad));
		n += (size_t)(3 - pad);
		explicit_bzero(b, sizeof b);
	}
	return (ssize_t)n;
}

/* ----------------------------------------------------------------- PLAIN */

/* Copy one NUL-free field of at most SASL_FIELD_MAX octets. */
static int field(const unsigned char *p, size_t n, char *out)
{
	if (n > SASL_FIELD_MAX || memchr(p, '\0', n))
		return -1;
	memcpy(out, p, n);
	out[n] = '\0';
	return 0;
}

int auth_plain_parse(const unsigned char *msg, size_t len, struct sasl_plain *out)
{
	const unsigned char *nul1 = memchr(msg, '\0', len);
	if (!nul1)
		return -1;
	const unsigned char *cid = nul1 + 1;
	const unsigned char *nul2 = memchr(cid, '\0', len - (size_t)(cid - msg));
	if (!nul2 || nul2 == cid)
		return -1;
	const unsigned char *pw = nul2 + 1;
	if (field(msg, (size_t)(nul1 - msg), out->authzid) == -1 ||
	    field(cid, (size_t)(nul2 - cid), out->authcid) == -1 ||
	    field(pw, len - (size_t)(pw - msg), out->passwd) == -1) {
		explicit_bzero(out, sizeof *out);
		return -1;
	}
	return 0;
}

/* ------------------------------------------------------------ the verb */

/* RFC 4954 4: a client response is base64, "*" cancels, and an initial response of
 * "=" stands for an empty one.  Returns the decoded length, or -1 after a refusal. */
static ssize_t sasl_decode(struct session *s, const char *text, unsigned char *out, size_t n)
{
	if (strcmp(text, "*") == 0) {
		reply(s, 501, "5.7.0", "Authentication canceled");
		return -1;
	}
	ssize_t len = strcmp(text, "=") == 0 ? 0 : auth_b64decode(text, strlen(text), out, n);
	if (len < 0)
		reply(s, 501, "5.5.2", "Invalid base64 data");
	return len;
}

/* Ask for one response with a 334 challenge (already base64).  Returns the decoded
 * length, -1 after a refusal, or -2 when the session ends. */
static ssize_t sasl_ask(struct session *s, const char *challenge, unsigned char *out, size_t n)
{
	reply(s, 334, NULL, "%s", challenge);
	char *line;
	size_t len;
	enum rd r = conn_get_line(&s->c, AUTH_LINE_MAX, &line, &len);
	if (r == RD_LONG) {
		reply(s, 500, "5.5.6", "Authentication exchange line is too long");
		return -1;
	}
	if (r != RD_OK) {
		s->end = r;
		return -2;
	}
	ssize_t got = sasl_decode(s, line, out, n);
	explicit_bzero(line, len);	/* the password in base64 */
	return got;
}

/* The initial response if the client gave one, else ask for it. */
static ssize_t sasl_first(struct session *s, char *initial, const char *challenge,
			  unsigned char *out, size_t n)
{
	if (!initial)
		return sasl_ask(s, challenge, out, n);
	ssize_t got = sasl_decode(s, initial, out, n);
	explicit_bzero(initial, strlen(initial));
	return got;
}

/* Wait until the failure may be answered; SIGTERM cuts it short. */
static void auth_pause(const struct session *s, const struct deadline *until)
{
	while (!*s->c.term && deadline_sleep(until) == -1 && errno == EINTR)
		;
}

/* A user name as a log line may show it: what utf8_user_name_ok() allows in ASCII
 * as it is, every other byte as \xHH (so a refused name is still recognisable). */
static void name_for_log(char *out, size_t n, const char *user)
{
	size_t o = 0;
	for (const unsigned char *p = (const unsigned char *)user; *p && o + 5 < n; p++) {
		if (*p > 0x20 && *p < 0x7f && !strchr("\"'`\\", *p))
			out[o++] = (char)*p;
		else
			o += (size_t)snprintf(out + o, n - o, "\\x%02X", *p);
	}
	out[o] = '\0';
}

/* Check the credentials and answer.  An empty password, or an authorization identity
 * other than the user (RFC 4616 2: we act for nobody else), fails like a bad password;
 * so does a user name utf8_user_name_ok() refuses, which PAM never sees.
 *
 * Every failure is answered no sooner than --auth-delay after the credentials were
 * complete, however long PAM took: an unknown user (no hash to compute) and a wrong
 * password for a real one take the same time.  The parent pads the PAM check itself
 * (parent.c serve_auth), so even a compromised session process learns nothing from
 * its timing; this pads the failures the session decides alone.  Both count from the
 * start, so the pause is one --auth-delay, not two. */
static int authenticate(struct session *s, const char *mech, const char *authzid,
			const char *user, const char *pass)
{
	struct deadline until;
	deadline_in(&until, s->cfg->auth_delay_ms);
	char canon[USER_NAME_MAX + 1], shown[4 * SASL_FIELD_MAX + 1];
	enum authn r = AUTHN_FAIL;
	bool safe = utf8_user_name_ok(user);
	if (safe && pass[0] && (!authzid[0] || strcmp(authzid, user) == 0))
		r = priv_auth(user, pass,
			      strcmp(s->client, "unknown") ? s->client : NULL, canon);
	if (r == AUTHN_OK) {
		snprintf(s->auth_user, sizeof s->auth_user, "%s", canon);
		snprintf(s->auth_mech, sizeof s->auth_mech, "%s", mech);
		log_fields(LOG_INFO, LOG_FIELDS({ LF_USER, canon }, { LF_CLIENT, s->client }),
			   "auth: %s user=%s client=%s ok", mech, canon, s->client);
		return reply(s, 235, "2.7.0", "Authentication successful");
	}
	name_for_log(shown, sizeof shown, user);
	log_fields(LOG_NOTICE, LOG_FIELDS({ LF_USER, shown }, { LF_CLIENT, s->client }),
		   "auth: %s user=%s client=%s %s", mech, shown, s->client,
		   !safe ? "failed: unsafe user name, not passed to PAM"
			 : r == AUTHN_FAIL ? "failed" : "unavailable");
	if (r == AUTHN_TEMPFAIL)
		return reply(s, 454, "4.7.0", "Temporary authentication failure");
	auth_pause(s, &until);
	int code = reply(s, 535, "5.7.8", "Authentication credentials invalid");
	if (++s->auth_failures >= AUTH_MAX_FAILURES) {
		s->closing = "auth failures";
		reply(s, 421, "4.7.0", "%s Too many authentication failures, closing connection",
		      s->cfg->hostname);
	}
	return code;
}

/* RFC 4616 PLAIN, with or without an initial response. */
static int auth_plain(struct session *s, char *initial)
{
	unsigned char msg[AUTH_LINE_MAX / 4 * 3];
	struct sasl_plain p;
	ssize_t n = sasl_first(s, initial, "", msg, sizeof msg);
	if (n < 0)
		return n == -1 ? 501 : 0;
	int bad = auth_plain_parse(msg, (size_t)n, &p);
	explicit_bzero(msg, sizeof msg);
	int code = bad ? reply(s, 501, "5.5.2", "Invalid PLAIN response")
		       : authenticate(s, "PLAIN", p.authzid, p.authcid, p.passwd);
	explicit_bzero(&p, sizeof p);
	return code;
}

/* A LOGIN field: text without NUL, at most SASL_FIELD_MAX octets. */
static bool login_field(const unsigned char *b, ssize_t n, char *out)
{
	if (n > SASL_FIELD_MAX || memchr(b, '\0', (size_t)n))
		return false;
	memcpy(out, b, (size_t)n);
	out[n] = '\0';
	return true;
}

/* LOGIN (draft-murchison-sasl-login): "Username:" and "Password:" in base64. */
static int auth_login(struct session *s, char *initial)
{
	unsigned char b[AUTH_LINE_MAX / 4 * 3];
	char user[SASL_FIELD_MAX + 1], pass[SASL_FIELD_MAX + 1];
	int code = 501;
	ssize_t n = sasl_first(s, initial, "VXNlcm5hbWU6", b, sizeof b);
	if (n >= 0 && (n == 0 || !login_field(b, n, user)))	/* no empty user for PAM */
		code = reply(s, 501, "5.5.2", "Invalid user name");
	else if (n >= 0 && (n = sasl_ask(s, "UGFzc3dvcmQ6", b, sizeof b)) >= 0)
		code = login_field(b, n, pass) ? authenticate(s, "LOGIN", "", user, pass)
					       : reply(s, 501, "5.5.2", "Invalid password");
	explicit_bzero(b, sizeof b);
	explicit_bzero(pass, sizeof pass);
	return code;
}

/* RFC 4954 4: AUTH mechanism [initial-response]. */
int smtp_auth(struct session *s, const struct verb *v, char *arg)
{
	(void)v;
	if (s->cfg->auth == AUTH_NEVER)
		return reply(s, 502, "5.5.1", "AUTH not available");
	if (!s->esmtp)
		return reply(s, 503, "5.5.1", "Send EHLO first");
	if (s->cfg->require_tls && !TLS_ACTIVE(s))	/* RFC 3207 4 */
		return reply(s, 530, "5.7.0", "Must issue a STARTTLS command first");
	if (!s->auth_offered)	/* RFC 4954 6: only where it cannot be sniffed */
		return reply(s, 538, "5.7.11",
			     "Encryption required for requested authentication mechanism");
	if (s->auth_user[0])
		return reply(s, 503, "5.5.1", "Already authenticated");
	if (s->state > ST_HELO)
		return reply(s, 503, "5.5.1", "AUTH not allowed in a mail transaction");
	char *initial = strchr(arg, ' ');
	if (initial)
		*initial++ = '\0';
	if (!*arg || (initial && (!*initial || strchr(initial, ' '))))
		return reply(s, 501, "5.5.4", "Syntax: AUTH mechanism [initial-response]");
	if (strcasecmp(arg, "PLAIN") == 0)
		return auth_plain(s, initial);
	if (strcasecmp(arg, "LOGIN") == 0)
		return auth_login(s, initial);
	return reply(s, 504, "5.5.4", "Unrecognized authentication mechanism");
}
