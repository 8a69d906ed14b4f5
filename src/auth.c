/*
 * auth - SMTP AUTH mechanisms; see auth.h.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <gsasl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "auth.h"
#include "util.h"

/* Strongest first: what auto tries, in order. */
static const enum auth_mech auto_order[] = {
	AUTH_SCRAM_SHA_256_PLUS, AUTH_SCRAM_SHA_256, AUTH_CRAM_MD5,
	AUTH_PLAIN, AUTH_LOGIN,
};

struct auth_client {
	enum auth_mech	 mech;
	Gsasl		*ctx;
	Gsasl_session	*s;
	char		*token_b64;	/* XOAUTH2, OAUTHBEARER */
	int		 done;
	char		 server_error[256];
};

unsigned
auth_offered(const char *list)
{
	const char	*p = list, *end;
	unsigned	 bits = 0;
	size_t		 len;
	int		 m;

	while (*p) {
		while (*p == ' ')
			p++;
		for (end = p; *end && *end != ' '; end++)
			;
		len = (size_t)(end - p);
		for (m = AUTH_AUTO + 1; m < AUTH_NMECHS && len > 0; m++)
			if (strlen(auth_mech_name(m)) == len &&
			    strncasecmp(p, auth_mech_name(m), len) == 0)
				bits |= AUTH_BIT(m);
		p = end;
	}
	return bits;
}

/* May m be used at all on this connection? */
static const char *
not_here(enum auth_mech m, int tls, int have_cb)
{
	if (auth_mech_cleartext(m) && !tls)
		return "it would show the secret to anyone on the path without "
		    "TLS";
	if (m == AUTH_SCRAM_SHA_256_PLUS && !have_cb)
		return "there is no TLS channel to bind to";
	return NULL;
}

int
auth_choose(enum auth_mech want, const char *offered, int tls, int have_cb,
    enum auth_mech *out, char *why, size_t whylen)
{
	unsigned	 bits = auth_offered(offered);
	const char	*no;
	char		 list[200];
	size_t		 i;

	escape_text(list, sizeof(list), offered, strlen(offered));
	if (want != AUTH_AUTO) {
		if (!(bits & AUTH_BIT(want))) {
			snprintf(why, whylen, "does not offer AUTH %s (auth = "
			    "%s); it offers: %s", auth_mech_name(want),
			    auth_mech_name(want), list[0] ? list : "nothing");
			return -1;
		}
		if ((no = not_here(want, tls, have_cb)) != NULL) {
			snprintf(why, whylen, "refusing AUTH %s: %s",
			    auth_mech_name(want), no);
			return -1;
		}
		*out = want;
		return 0;
	}
	for (i = 0; i < ARRAY_LEN(auto_order); i++)
		if ((bits & AUTH_BIT(auto_order[i])) &&
		    not_here(auto_order[i], tls, have_cb) == NULL) {
			*out = auto_order[i];
			return 0;
		}
	snprintf(why, whylen, "offers no AUTH mechanism relayq may use here "
	    "(%s; it offers: %s)", tls ? "SCRAM-SHA-256-PLUS, SCRAM-SHA-256, "
	    "CRAM-MD5, PLAIN, LOGIN" : "without TLS only SCRAM-SHA-256 and "
	    "CRAM-MD5", list[0] ? list : "nothing");
	return -1;
}

/* Bytes a token and a user name may not hold: they would end or split
 * the mechanism's fields. */
static int
bad_field(const char *s, int no_space)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f ||
		    (no_space && *s == ' '))
			return 1;
	return 0;
}

static ssize_t
put(char *out, size_t outlen, size_t used, const char *s, size_t len)
{
	if (used + len >= outlen)
		return -1;
	memcpy(out + used, s, len);
	return (ssize_t)(used + len);
}

static int
check_fields(const char *user, const char *token, char *why, size_t whylen)
{
	if (bad_field(user, 0)) {
		snprintf(why, whylen, "the user name holds a control byte");
		return -1;
	}
	if (*token == '\0' || bad_field(token, 1)) {
		snprintf(why, whylen, "the access token is empty or holds a "
		    "space or control byte");
		return -1;
	}
	return 0;
}

ssize_t
auth_xoauth2_response(const char *user, const char *token, char *out,
    size_t outlen, char *why, size_t whylen)
{
	ssize_t	n = 0;

	if (check_fields(user, token, why, whylen) == -1)
		return -1;
	if ((n = put(out, outlen, 0, "user=", 5)) < 0 ||
	    (n = put(out, outlen, (size_t)n, user, strlen(user))) < 0 ||
	    (n = put(out, outlen, (size_t)n, "\001auth=Bearer ", 13)) < 0 ||
	    (n = put(out, outlen, (size_t)n, token, strlen(token))) < 0 ||
	    (n = put(out, outlen, (size_t)n, "\001\001", 2)) < 0) {
		snprintf(why, whylen, "the access token is too long");
		return -1;
	}
	out[n] = '\0';
	return n;
}

ssize_t
auth_oauthbearer_response(const char *user, const char *host, int port,
    const char *token, char *out, size_t outlen, char *why, size_t whylen)
{
	const char	*p;
	char		 portstr[16];
	ssize_t		 n;

	if (check_fields(user, token, why, whylen) == -1)
		return -1;
	if (bad_field(host, 1)) {
		snprintf(why, whylen, "the host name holds a control byte");
		return -1;
	}
	snprintf(portstr, sizeof(portstr), "%d", port);
	/* gs2-header: no channel binding, the user as a saslname
	 * (RFC 5801: "," and "=" escaped). */
	if ((n = put(out, outlen, 0, "n,a=", 4)) < 0)
		goto too_long;
	for (p = user; *p && n >= 0; p++)
		n = *p == ',' ? put(out, outlen, (size_t)n, "=2C", 3) :
		    *p == '=' ? put(out, outlen, (size_t)n, "=3D", 3) :
		    put(out, outlen, (size_t)n, p, 1);
	if (n < 0 ||
	    (n = put(out, outlen, (size_t)n, ",\001host=", 7)) < 0 ||
	    (n = put(out, outlen, (size_t)n, host, strlen(host))) < 0 ||
	    (n = put(out, outlen, (size_t)n, "\001port=", 6)) < 0 ||
	    (n = put(out, outlen, (size_t)n, portstr, strlen(portstr))) < 0 ||
	    (n = put(out, outlen, (size_t)n, "\001auth=Bearer ", 13)) < 0 ||
	    (n = put(out, outlen, (size_t)n, token, strlen(token))) < 0 ||
	    (n = put(out, outlen, (size_t)n, "\001\001", 2)) < 0)
		goto too_long;
	out[n] = '\0';
	return n;
too_long:
	snprintf(why, whylen, "the access token is too long");
	return -1;
}

static int
gsasl_fail(int rc, const char *what, char *why, size_t whylen)
{
	snprintf(why, whylen, "%s: %s", what, gsasl_strerror(rc));
	return -1;
}

struct auth_client *
auth_client_new(enum auth_mech m, const char *user, const char *secret,
    const char *host, int port, const struct auth_cb *cb, char *why,
    size_t whylen)
{
	struct auth_client	*c = xcalloc(1, sizeof(*c));
	char			 raw[16384], *b64 = NULL;
	ssize_t			 n;
	int			 rc;

	c->mech = m;
	if (m == AUTH_XOAUTH2 || m == AUTH_OAUTHBEARER) {
		n = m == AUTH_XOAUTH2 ?
		    auth_xoauth2_response(user, secret, raw, sizeof(raw), why,
		    whylen) :
		    auth_oauthbearer_response(user, host, port, secret, raw,
		    sizeof(raw), why, whylen);
		if (n > 0 && (rc = gsasl_base64_to(raw, (size_t)n,
		    &c->token_b64, NULL)) != GSASL_OK)
			gsasl_fail(rc, "base64", why, whylen);
		wipe(raw, sizeof(raw));
		if (c->token_b64 == NULL)
			goto fail;
		return c;
	}
	if ((rc = gsasl_init(&c->ctx)) != GSASL_OK) {
		gsasl_fail(rc, "GNU SASL", why, whylen);
		goto fail;
	}
	if ((rc = gsasl_client_start(c->ctx, auth_mech_name(m), &c->s)) !=
	    GSASL_OK) {
		gsasl_fail(rc, auth_mech_name(m), why, whylen);
		goto fail;
	}
	if ((rc = gsasl_property_set(c->s, GSASL_AUTHID, user)) != GSASL_OK ||
	    (rc = gsasl_property_set(c->s, GSASL_PASSWORD, secret)) !=
	    GSASL_OK) {
		gsasl_fail(rc, auth_mech_name(m), why, whylen);
		goto fail;
	}
	/* Only -PLUS gets the binding: given to plain SCRAM, GNU SASL would
	 * send the "y" flag, which a relay offering -PLUS must refuse. */
	if (m == AUTH_SCRAM_SHA_256_PLUS) {
		if (cb == NULL || cb->len == 0) {
			snprintf(why, whylen, "%s without channel binding data",
			    auth_mech_name(m));
			goto fail;
		}
		if ((rc = gsasl_base64_to((const char *)cb->data, cb->len,
		    &b64, NULL)) != GSASL_OK ||
		    (rc = gsasl_property_set(c->s,
		    strcmp(cb->type, "tls-exporter") == 0 ?
		    GSASL_CB_TLS_EXPORTER : GSASL_CB_TLS_UNIQUE, b64)) !=
		    GSASL_OK) {
			free(b64);
			gsasl_fail(rc, "channel binding", why, whylen);
			goto fail;
		}
		free(b64);
	}
	return c;
fail:
	auth_client_free(c);
	return NULL;
}

/* One gsasl step on b64 input; GSASL_OK means the mechanism is done. */
static int
step(struct auth_client *c, const char *in, char **b64, char *why,
    size_t whylen)
{
	int	rc;

	*b64 = NULL;
	rc = gsasl_step64(c->s, in, b64);
	if (rc == GSASL_OK)
		c->done = 1;
	else if (rc != GSASL_NEEDS_MORE) {
		if (*b64 != NULL) {
			wipe(*b64, strlen(*b64));
			free(*b64);
			*b64 = NULL;
		}
		if (rc == GSASL_AUTHENTICATION_ERROR &&
		    (c->mech == AUTH_SCRAM_SHA_256 ||
		    c->mech == AUTH_SCRAM_SHA_256_PLUS))
			snprintf(why, whylen, "%s: the relay did not prove it "
			    "knows the password (wrong server signature)",
			    auth_mech_name(c->mech));
		else
			gsasl_fail(rc, auth_mech_name(c->mech), why, whylen);
		return -1;
	}
	return 0;
}

int
auth_client_first(struct auth_client *c, char **b64, char *why,
    size_t whylen)
{
	*b64 = NULL;
	if (c->token_b64 != NULL) {
		*b64 = c->token_b64;
		c->token_b64 = NULL;
		c->done = 1;
		return 0;
	}
	/* The relay sends the first challenge of these two. */
	if (c->mech == AUTH_LOGIN || c->mech == AUTH_CRAM_MD5)
		return 0;
	return step(c, "", b64, why, whylen);
}

/* The relay's complaint inside the mechanism, kept printable. */
static void
note_server_error(struct auth_client *c, const char *challenge)
{
	char	*raw = NULL;
	size_t	 len = 0;

	if (gsasl_base64_from(challenge, strlen(challenge), &raw, &len) !=
	    GSASL_OK)
		return;
	if (c->mech == AUTH_XOAUTH2 || c->mech == AUTH_OAUTHBEARER ||
	    (len >= 2 && raw[0] == 'e' && raw[1] == '=' &&
	    (c->mech == AUTH_SCRAM_SHA_256 ||
	    c->mech == AUTH_SCRAM_SHA_256_PLUS)))
		escape_text(c->server_error, sizeof(c->server_error), raw,
		    len > 200 ? 200 : len);
	free(raw);
}

int
auth_client_next(struct auth_client *c, const char *challenge,
    size_t challen, char **b64, char *why, size_t whylen)
{
	*b64 = NULL;
	if (memchr(challenge, '\0', challen) != NULL ||
	    memchr(challenge, '\n', challen) != NULL) {
		snprintf(why, whylen, "malformed AUTH challenge");
		return -1;
	}
	note_server_error(c, challenge);
	/* A challenge after the token, or SCRAM's "e=", is the relay's
	 * error report; the answer that lets it end with its verdict is
	 * empty, or a single ^A for OAUTHBEARER (RFC 7628 3.2.3). */
	if (c->mech == AUTH_XOAUTH2 || c->mech == AUTH_OAUTHBEARER ||
	    c->server_error[0] != '\0') {
		*b64 = xstrdup(c->mech == AUTH_OAUTHBEARER ? "AQ==" : "");
		return 0;
	}
	if (c->done) {
		snprintf(why, whylen, "%s: a challenge after the end of the "
		    "exchange", auth_mech_name(c->mech));
		return -1;
	}
	return step(c, challenge, b64, why, whylen);
}

int
auth_client_done(const struct auth_client *c)
{
	return c->done;
}

const char *
auth_client_server_error(const struct auth_client *c)
{
	return c->server_error;
}

void
auth_client_free(struct auth_client *c)
{
	if (c == NULL)
		return;
	if (c->token_b64 != NULL) {
		wipe(c->token_b64, strlen(c->token_b64));
		free(c->token_b64);
	}
	if (c->s != NULL)
		gsasl_finish(c->s);
	if (c->ctx != NULL)
		gsasl_done(c->ctx);
	free(c);
}
