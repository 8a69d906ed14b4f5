/*
 * auth - the SASL side of SMTP AUTH (RFC 4954): which mechanism to use
 * with a relay, and each mechanism's messages.  The only user of GNU SASL
 * (PLAIN, LOGIN, CRAM-MD5, SCRAM-SHA-256 and its -PLUS variant with TLS
 * channel binding); XOAUTH2 and OAUTHBEARER (RFC 7628), which carry an
 * access token and no crypto, are built here.  No I/O: smtp.c carries
 * the base64 lines this module makes and reads.
 *
 * Promises: a mechanism that hands the relay the secret itself (PLAIN,
 * LOGIN, XOAUTH2, OAUTHBEARER) is never chosen without TLS; auto picks the
 * strongest password mechanism both sides have (SCRAM-SHA-256-PLUS,
 * SCRAM-SHA-256, CRAM-MD5, PLAIN, LOGIN) and never a token mechanism;
 * -PLUS only with channel binding data; a SCRAM exchange counts as done
 * only once the relay has proved it knows the password.  Nothing here
 * puts a secret into an error text.
 */
#ifndef RELAYQ_AUTH_H
#define RELAYQ_AUTH_H

#include <stddef.h>
#include <sys/types.h>

#include "conf.h"

#define AUTH_BIT(m)	(1u << (m))

/* auth_offered - the mechanisms relayq knows in the EHLO AUTH list
 * ("PLAIN LOGIN SCRAM-SHA-256 ..."), as AUTH_BIT()s. */
unsigned auth_offered(const char *list);

/* auth_choose - the mechanism for want (AUTH_AUTO or one named), given
 * what the relay offers (its EHLO AUTH list), whether TLS is up and
 * whether channel binding data is at hand.  0 with *out, or -1 with why
 * (the configured one is not offered, or not allowed here). */
int	auth_choose(enum auth_mech want, const char *offered, int tls,
	    int have_cb, enum auth_mech *out, char *why, size_t whylen);

/* auth_xoauth2_response - "user=U^Aauth=Bearer T^A^A" into out;
 * auth_oauthbearer_response - RFC 7628's "n,a=U,^Ahost=H^Aport=P^A
 * auth=Bearer T^A^A" (U escaped as a saslname).  The length, or -1 with
 * why when it does not fit or U or T holds a control byte (T a space). */
ssize_t	auth_xoauth2_response(const char *user, const char *token,
	    char *out, size_t outlen, char *why, size_t whylen);
ssize_t	auth_oauthbearer_response(const char *user, const char *host,
	    int port, const char *token, char *out, size_t outlen, char *why,
	    size_t whylen);

/* Channel binding data from tls_channel_binding(). */
struct auth_cb {
	const char		*type;		/* "tls-exporter", "tls-unique" */
	const unsigned char	*data;
	size_t			 len;
};

struct auth_client;

/* auth_client_new - an exchange of mechanism m; cb is needed for -PLUS
 * only.  NULL with why. */
struct auth_client *auth_client_new(enum auth_mech m, const char *user,
	    const char *secret, const char *host, int port,
	    const struct auth_cb *cb, char *why, size_t whylen);
/* auth_client_first - the initial response in base64 into *b64 (the
 * caller frees it), or NULL when the relay speaks first (LOGIN,
 * CRAM-MD5).  0, or -1 with why. */
int	auth_client_first(struct auth_client *, char **b64, char *why,
	    size_t whylen);
/* auth_client_next - the base64 answer to a 334 challenge (base64,
 * challen bytes) into *b64; the answer to the relay's error report
 * (auth_client_server_error) lets it give its verdict.  0, or -1 with
 * why: the relay failed a check of ours, and the caller cancels ("*"). */
int	auth_client_next(struct auth_client *, const char *challenge,
	    size_t challen, char **b64, char *why, size_t whylen);
/* auth_client_done - has the mechanism run to its end (for SCRAM: the
 * relay's signature checked)?  A 235 before that is not to be trusted. */
int	auth_client_done(const struct auth_client *);
/* auth_client_server_error - what the relay said was wrong inside the
 * mechanism (SCRAM "e=", the OAuth JSON status), printable, or "". */
const char *auth_client_server_error(const struct auth_client *);
void	auth_client_free(struct auth_client *);

#endif
