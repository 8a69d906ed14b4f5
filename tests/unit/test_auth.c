/*
 * test_auth.c - unit tests for src/auth.c: the mechanism choice from an
 * offered list, the XOAUTH2 and OAUTHBEARER responses byte for byte, and
 * whole SCRAM-SHA-256(-PLUS) exchanges against GNU SASL's own server side,
 * with a matching and a mismatching channel binding.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <gsasl.h>

#include "auth.h"
#include "testlib.h"

static enum auth_mech
choose_ok(enum auth_mech want, const char *offered, int tls, int cb)
{
	enum auth_mech	m = AUTH_NMECHS;
	char		why[300] = "";

	if (auth_choose(want, offered, tls, cb, &m, why, sizeof(why)) != 0)
		fail_msg("auth_choose(%d, \"%s\", %d, %d): %s", want, offered,
		    tls, cb, why);
	return m;
}

static void
choose_fails(enum auth_mech want, const char *offered, int tls, int cb,
    const char *expect)
{
	enum auth_mech	m = AUTH_NMECHS;
	char		why[300] = "";

	assert_int_equal(auth_choose(want, offered, tls, cb, &m, why,
	    sizeof(why)), -1);
	assert_int_equal(m, AUTH_NMECHS);
	if (strstr(why, expect) == NULL)
		fail_msg("\"%s\" lacks \"%s\"", why, expect);
}

static void
test_offered(void **state)
{
	(void)state;
	assert_int_equal(auth_offered(""), 0);
	assert_int_equal(auth_offered("PLAIN LOGIN"),
	    AUTH_BIT(AUTH_PLAIN) | AUTH_BIT(AUTH_LOGIN));
	/* Case-insensitive, extra spaces, unknown names ignored, and a
	 * prefix is not the mechanism (SCRAM-SHA-256 in -PLUS, CRAM-MD5X). */
	assert_int_equal(auth_offered("  scram-sha-256-plus GSSAPI  CRAM-MD5X "
	    "xoauth2 OAUTHBEARER"), AUTH_BIT(AUTH_SCRAM_SHA_256_PLUS) |
	    AUTH_BIT(AUTH_XOAUTH2) | AUTH_BIT(AUTH_OAUTHBEARER));
	assert_int_equal(auth_offered("auto"), 0);
}

static void
test_choose_auto(void **state)
{
	const char *all = "LOGIN PLAIN CRAM-MD5 SCRAM-SHA-256 "
	    "SCRAM-SHA-256-PLUS XOAUTH2 OAUTHBEARER";

	(void)state;
	assert_int_equal(choose_ok(AUTH_AUTO, all, 1, 1),
	    AUTH_SCRAM_SHA_256_PLUS);
	/* Without channel binding data, -PLUS is out. */
	assert_int_equal(choose_ok(AUTH_AUTO, all, 1, 0), AUTH_SCRAM_SHA_256);
	assert_int_equal(choose_ok(AUTH_AUTO, "PLAIN CRAM-MD5 LOGIN", 1, 1),
	    AUTH_CRAM_MD5);
	assert_int_equal(choose_ok(AUTH_AUTO, "LOGIN PLAIN", 1, 1), AUTH_PLAIN);
	assert_int_equal(choose_ok(AUTH_AUTO, "LOGIN", 1, 1), AUTH_LOGIN);
	/* Without TLS only what does not show the secret. */
	assert_int_equal(choose_ok(AUTH_AUTO, all, 0, 0), AUTH_SCRAM_SHA_256);
	assert_int_equal(choose_ok(AUTH_AUTO, "PLAIN CRAM-MD5", 0, 0),
	    AUTH_CRAM_MD5);
	choose_fails(AUTH_AUTO, "PLAIN LOGIN XOAUTH2", 0, 0,
	    "without TLS only SCRAM-SHA-256 and CRAM-MD5");
	/* Never a token mechanism by itself. */
	choose_fails(AUTH_AUTO, "XOAUTH2 OAUTHBEARER", 1, 1,
	    "it offers: XOAUTH2 OAUTHBEARER");
	choose_fails(AUTH_AUTO, "", 1, 1, "it offers: nothing");
}

static void
test_choose_named(void **state)
{
	(void)state;
	assert_int_equal(choose_ok(AUTH_XOAUTH2, "PLAIN XOAUTH2", 1, 0),
	    AUTH_XOAUTH2);
	assert_int_equal(choose_ok(AUTH_LOGIN, "PLAIN LOGIN SCRAM-SHA-256",
	    1, 0), AUTH_LOGIN);
	assert_int_equal(choose_ok(AUTH_SCRAM_SHA_256,
	    "SCRAM-SHA-256 SCRAM-SHA-256-PLUS", 1, 1), AUTH_SCRAM_SHA_256);
	choose_fails(AUTH_OAUTHBEARER, "PLAIN LOGIN", 1, 0,
	    "does not offer AUTH OAUTHBEARER");
	choose_fails(AUTH_PLAIN, "PLAIN", 0, 0, "refusing AUTH PLAIN");
	choose_fails(AUTH_SCRAM_SHA_256_PLUS, "SCRAM-SHA-256-PLUS", 1, 0,
	    "no TLS channel to bind to");
	/* The relay's list is escaped before it is quoted. */
	choose_fails(AUTH_CRAM_MD5, "PLAIN\033[2J", 1, 0,
	    "it offers: PLAIN\\x1b[2J");
}

static void
test_xoauth2(void **state)
{
	static const char expect[] =
	    "user=someone@example.com\001auth=Bearer ya29.vF9dft4qmTc2Nvb3RlckBhdHRhdmlzdGEuY29tCg\001\001";
	char	out[512], why[200];
	ssize_t	n;

	(void)state;
	n = auth_xoauth2_response("someone@example.com",
	    "ya29.vF9dft4qmTc2Nvb3RlckBhdHRhdmlzdGEuY29tCg", out, sizeof(out),
	    why, sizeof(why));
	assert_int_equal(n, sizeof(expect) - 1);
	assert_memory_equal(out, expect, sizeof(expect) - 1);
	/* Exactly too small, and hostile fields. */
	assert_int_equal(auth_xoauth2_response("u", "t", out, 22, why,
	    sizeof(why)), -1);
	assert_int_equal(auth_xoauth2_response("u", "t", out, 23, why,
	    sizeof(why)), 22);
	assert_int_equal(auth_xoauth2_response("u\001x", "t", out, sizeof(out),
	    why, sizeof(why)), -1);
	assert_int_equal(auth_xoauth2_response("u", "t\001auth=x", out,
	    sizeof(out), why, sizeof(why)), -1);
	assert_int_equal(auth_xoauth2_response("u", "a b", out, sizeof(out),
	    why, sizeof(why)), -1);
	assert_int_equal(auth_xoauth2_response("u", "", out, sizeof(out),
	    why, sizeof(why)), -1);
}

static void
test_oauthbearer(void **state)
{
	/* RFC 7628 section 4.1's example, port and all. */
	static const char expect[] =
	    "n,a=user@example.com,\001host=server.example.com\001port=143\001"
	    "auth=Bearer vF9dft4qmTc2Nvb3RlckBhbHRhdmlzdGEuY29tCg==\001\001";
	static const char escaped[] =
	    "n,a=a=2Cb=3Dc,\001host=h\001port=587\001auth=Bearer t\001\001";
	char	out[512], why[200];
	ssize_t	n;

	(void)state;
	n = auth_oauthbearer_response("user@example.com", "server.example.com",
	    143, "vF9dft4qmTc2Nvb3RlckBhbHRhdmlzdGEuY29tCg==", out,
	    sizeof(out), why, sizeof(why));
	assert_int_equal(n, sizeof(expect) - 1);
	assert_memory_equal(out, expect, sizeof(expect) - 1);
	n = auth_oauthbearer_response("a,b=c", "h", 587, "t", out, sizeof(out),
	    why, sizeof(why));
	assert_int_equal(n, sizeof(escaped) - 1);
	assert_memory_equal(out, escaped, sizeof(escaped) - 1);
	assert_int_equal(auth_oauthbearer_response("u", "h\001", 1, "t", out,
	    sizeof(out), why, sizeof(why)), -1);
	assert_int_equal(auth_oauthbearer_response("u", "h", 587, "t", out,
	    sizeof(escaped) - 20, why, sizeof(why)), -1);
	assert_string_equal(why, "the access token is too long");
}

/* A whole exchange of our client against GNU SASL's server; returns 1 if
 * the server accepted and the client saw the end (the server proved
 * itself), 0 if either side refused. */
static int
scram_exchange(enum auth_mech m, const char *client_pw, const char *cb_c,
    const char *cb_s, const char *type)
{
	struct auth_client	*c;
	struct auth_cb		 cb = { type, (const unsigned char *)cb_c,
				    strlen(cb_c) };
	Gsasl			*ctx;
	Gsasl_session		*srv;
	char			*cmsg = NULL, *smsg = NULL, why[300], *b64;
	int			 rc, round, ok = 0;

	assert_int_equal(gsasl_init(&ctx), GSASL_OK);
	assert_int_equal(gsasl_server_start(ctx, auth_mech_name(m), &srv),
	    GSASL_OK);
	gsasl_property_set(srv, GSASL_PASSWORD, "s3cret pass");
	assert_int_equal(gsasl_base64_to(cb_s, strlen(cb_s), &b64, NULL),
	    GSASL_OK);
	gsasl_property_set(srv, strcmp(type, "tls-exporter") == 0 ?
	    GSASL_CB_TLS_EXPORTER : GSASL_CB_TLS_UNIQUE, b64);
	free(b64);
	c = auth_client_new(m, "alice", client_pw, "h", 1, &cb, why,
	    sizeof(why));
	assert_non_null(c);
	assert_int_equal(auth_client_first(c, &cmsg, why, sizeof(why)), 0);
	assert_non_null(cmsg);
	for (round = 0; round < 4; round++) {
		rc = gsasl_step64(srv, cmsg, &smsg);
		free(cmsg);
		cmsg = NULL;
		if (rc != GSASL_OK && rc != GSASL_NEEDS_MORE)
			break;
		/* The server's last message rides on a 334 too. */
		if (auth_client_next(c, smsg, strlen(smsg), &cmsg, why,
		    sizeof(why)) == -1)
			break;
		free(smsg);
		smsg = NULL;
		if (rc == GSASL_OK) {
			ok = auth_client_done(c);
			break;
		}
	}
	free(cmsg);
	free(smsg);
	auth_client_free(c);
	gsasl_finish(srv);
	gsasl_done(ctx);
	return ok;
}

static void
test_scram(void **state)
{
	(void)state;
	assert_int_equal(scram_exchange(AUTH_SCRAM_SHA_256, "s3cret pass",
	    "x", "x", "tls-unique"), 1);
	assert_int_equal(scram_exchange(AUTH_SCRAM_SHA_256, "wrong", "x", "x",
	    "tls-unique"), 0);
	assert_int_equal(scram_exchange(AUTH_SCRAM_SHA_256_PLUS, "s3cret pass",
	    "binding-one", "binding-one", "tls-exporter"), 1);
	assert_int_equal(scram_exchange(AUTH_SCRAM_SHA_256_PLUS, "s3cret pass",
	    "binding-one", "binding-one", "tls-unique"), 1);
	/* Another channel on the server's side: a man in the middle. */
	assert_int_equal(scram_exchange(AUTH_SCRAM_SHA_256_PLUS, "s3cret pass",
	    "binding-one", "binding-two", "tls-exporter"), 0);
}

static void
test_plus_needs_binding(void **state)
{
	char	why[300];

	(void)state;
	assert_null(auth_client_new(AUTH_SCRAM_SHA_256_PLUS, "u", "p", "h", 1,
	    NULL, why, sizeof(why)));
	assert_non_null(strstr(why, "without channel binding data"));
}

static void
test_token_exchange(void **state)
{
	struct auth_client	*c;
	char			*b64 = NULL, why[300];

	(void)state;
	c = auth_client_new(AUTH_OAUTHBEARER, "u", "tok", "h", 25, NULL, why,
	    sizeof(why));
	assert_non_null(c);
	assert_int_equal(auth_client_first(c, &b64, why, sizeof(why)), 0);
	/* base64 of "n,a=u,^Ahost=h^Aport=25^Aauth=Bearer tok^A^A" */
	assert_string_equal(b64, "bixhPXUsAWhvc3Q9aAFwb3J0PTI1AWF1dGg9QmVhcmVy"
	    "IHRvawEB");
	free(b64);
	assert_int_equal(auth_client_done(c), 1);
	/* The relay's error report ({"status":"invalid_token"}) is kept,
	 * and answered with ^A. */
	assert_int_equal(auth_client_next(c, "eyJzdGF0dXMiOiJpbnZhbGlkX3Rva2VuIn0=",
	    36, &b64, why, sizeof(why)), 0);
	assert_string_equal(b64, "AQ==");
	free(b64);
	assert_string_equal(auth_client_server_error(c),
	    "{\"status\":\"invalid_token\"}");
	auth_client_free(c);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_offered),
		cmocka_unit_test(test_choose_auto),
		cmocka_unit_test(test_choose_named),
		cmocka_unit_test(test_xoauth2),
		cmocka_unit_test(test_oauthbearer),
		cmocka_unit_test(test_scram),
		cmocka_unit_test(test_plus_needs_binding),
		cmocka_unit_test(test_token_exchange),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
