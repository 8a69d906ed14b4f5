/*
 * tls - GnuTLS client sessions; see tls.h.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <arpa/inet.h>
#include <gnutls/abstract.h>
#include <gnutls/crypto.h>
#include <gnutls/gnutls.h>
#include <gnutls/x509.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tls.h"
#include "util.h"

/* Appended to every priority string, the configured one included: the
 * TLS 1.2 floor is not the administrator's to lower. */
#define TLS_FLOOR	":-VERS-SSL3.0:-VERS-TLS1.0:-VERS-TLS1.1"

struct tls_session {
	gnutls_session_t			 s;
	gnutls_certificate_credentials_t	 cred;
	/* What the verify callback checks, copied from tls_params. */
	char					*host;
	int					 verify;
	unsigned char				(*pins)[TLS_PIN_LEN];
	size_t					 npins;
	/* Why the callback refused the relay (the handshake error alone
	 * would only say "certificate error"). */
	char					 fail[400];
};

static int
is_ip_literal(const char *host)
{
	unsigned char	buf[16];

	return inet_pton(AF_INET, host, buf) == 1 ||
	    inet_pton(AF_INET6, host, buf) == 1;
}

/* The priority string tls_new uses; the caller frees it. */
static char *
effective_priorities(const char *prio)
{
	const char	*base = prio ? prio : TLS_DEFAULT_PRIORITIES;
	size_t		 len = strlen(base) + sizeof(TLS_FLOOR);
	char		*s = xmalloc(len);

	snprintf(s, len, "%s%s", base, TLS_FLOOR);
	return s;
}

int
tls_priorities_ok(const char *prio, char *why, size_t whylen)
{
	gnutls_priority_t	 p;
	const unsigned int	*list;
	const char		*errpos = NULL;
	char			*eff;
	size_t			 plen;
	int			 rc, n, i, modern = 0;

	if (prio == NULL)
		prio = TLS_DEFAULT_PRIORITIES;
	eff = effective_priorities(prio);
	plen = strlen(prio);
	rc = gnutls_priority_init(&p, eff, &errpos);
	if (rc == GNUTLS_E_INVALID_REQUEST && errpos != NULL &&
	    errpos >= eff && (size_t)(errpos - eff) < plen) {
		snprintf(why, whylen, "not a valid GnuTLS priority string: "
		    "error at '%.*s'", (int)(plen - (size_t)(errpos - eff)),
		    prio + (errpos - eff));
		free(eff);
		return -1;
	}
	free(eff);
	if (rc == GNUTLS_E_NO_PRIORITIES_WERE_SET) {
		snprintf(why, whylen, "leaves no protocol version of TLS 1.2 "
		    "or later enabled");
		return -1;
	}
	if (rc < 0) {
		snprintf(why, whylen, "not a valid GnuTLS priority string: %s",
		    gnutls_strerror(rc));
		return -1;
	}
	n = gnutls_priority_protocol_list(p, &list);
	for (i = 0; i < n; i++)
		if (list[i] == GNUTLS_TLS1_2 || list[i] == GNUTLS_TLS1_3)
			modern = 1;
	gnutls_priority_deinit(p);
	if (!modern) {
		snprintf(why, whylen, "leaves no protocol version of TLS 1.2 "
		    "or later enabled");
		return -1;
	}
	return 0;
}

static void
hex_pin(const unsigned char *d, char *out, size_t len)
{
	static const char	hex[] = "0123456789ABCDEF";
	size_t			i, o = 0;

	if (len < 3 * TLS_PIN_LEN + 1) {
		if (len > 0)
			out[0] = '\0';
		return;
	}
	for (i = 0; i < TLS_PIN_LEN; i++) {
		if (i > 0)
			out[o++] = ':';
		out[o++] = hex[d[i] >> 4];
		out[o++] = hex[d[i] & 15];
	}
	out[o] = '\0';
}

static int
pin_listed(const struct tls_session *t, const unsigned char *d)
{
	size_t	i;

	for (i = 0; i < t->npins; i++)
		if (memcmp(t->pins[i], d, TLS_PIN_LEN) == 0)
			return 1;
	return 0;
}

/* The relay's leaf against the pins: its certificate or its key. */
static int
check_pins(struct tls_session *t)
{
	const gnutls_datum_t	*certs;
	unsigned int		 ncerts = 0;
	gnutls_x509_crt_t	 crt = NULL;
	gnutls_pubkey_t		 pk = NULL;
	gnutls_datum_t		 spki = { NULL, 0 };
	unsigned char		 dcert[TLS_PIN_LEN], dkey[TLS_PIN_LEN];
	char			 hcert[3 * TLS_PIN_LEN + 1];
	char			 hkey[3 * TLS_PIN_LEN + 1];
	int			 rc, ok = -1;

	certs = gnutls_certificate_get_peers(t->s, &ncerts);
	if (certs == NULL || ncerts == 0) {
		snprintf(t->fail, sizeof(t->fail), "TLS fingerprint mismatch: "
		    "the relay sent no certificate");
		return -1;
	}
	if ((rc = gnutls_hash_fast(GNUTLS_DIG_SHA256, certs[0].data,
	    certs[0].size, dcert)) < 0)
		goto gnutls_fail;
	if (pin_listed(t, dcert))
		return 0;
	if ((rc = gnutls_x509_crt_init(&crt)) < 0 ||
	    (rc = gnutls_x509_crt_import(crt, &certs[0],
	    GNUTLS_X509_FMT_DER)) < 0 ||
	    (rc = gnutls_pubkey_init(&pk)) < 0 ||
	    (rc = gnutls_pubkey_import_x509(pk, crt, 0)) < 0 ||
	    (rc = gnutls_pubkey_export2(pk, GNUTLS_X509_FMT_DER, &spki)) < 0 ||
	    (rc = gnutls_hash_fast(GNUTLS_DIG_SHA256, spki.data, spki.size,
	    dkey)) < 0)
		goto gnutls_fail;
	if (pin_listed(t, dkey))
		ok = 0;
	else {
		hex_pin(dcert, hcert, sizeof(hcert));
		hex_pin(dkey, hkey, sizeof(hkey));
		snprintf(t->fail, sizeof(t->fail), "TLS fingerprint mismatch: "
		    "the relay's certificate is sha256:%s, its public key "
		    "sha256:%s; neither is in tls_fingerprint", hcert, hkey);
	}
	goto out;
gnutls_fail:
	snprintf(t->fail, sizeof(t->fail), "TLS fingerprint check failed: "
	    "%s", gnutls_strerror(rc));
out:
	gnutls_free(spki.data);
	if (pk)
		gnutls_pubkey_deinit(pk);
	if (crt)
		gnutls_x509_crt_deinit(crt);
	return ok;
}

/* Inside the handshake, once the relay's certificate is in: nothing but
 * the ClientHello has gone out yet.  Nonzero aborts the handshake. */
static int
verify_relay(gnutls_session_t s)
{
	struct tls_session	*t = gnutls_session_get_ptr(s);
	gnutls_typed_vdata_st	 vd[2];
	gnutls_datum_t		 out;
	unsigned int		 status = 0;
	size_t			 n;
	int			 rc;

	if (gnutls_certificate_type_get2(s, GNUTLS_CTYPE_SERVER) !=
	    GNUTLS_CRT_X509) {
		snprintf(t->fail, sizeof(t->fail), "TLS: the relay sent no "
		    "X.509 certificate");
		return -1;
	}
	if (t->verify) {
		memset(vd, 0, sizeof(vd));
		vd[0].type = GNUTLS_DT_DNS_HOSTNAME;
		vd[0].data = (unsigned char *)t->host;
		vd[1].type = GNUTLS_DT_KEY_PURPOSE_OID;
		vd[1].data = (unsigned char *)GNUTLS_KP_TLS_WWW_SERVER;
		rc = gnutls_certificate_verify_peers(s, vd, 2, &status);
		if (rc < 0) {
			snprintf(t->fail, sizeof(t->fail), "TLS certificate of "
			    "the relay does not verify: %s", gnutls_strerror(rc));
			return -1;
		}
		if (status != 0) {
			if (gnutls_certificate_verification_status_print(status,
			    GNUTLS_CRT_X509, &out, 0) == 0) {
				snprintf(t->fail, sizeof(t->fail), "TLS "
				    "certificate of the relay does not verify: "
				    "%s", (char *)out.data);
				gnutls_free(out.data);
				/* GnuTLS ends each sentence with a space. */
				n = strlen(t->fail);
				while (n > 0 && t->fail[n - 1] == ' ')
					t->fail[--n] = '\0';
			} else
				snprintf(t->fail, sizeof(t->fail), "TLS "
				    "certificate of the relay does not verify");
			return -1;
		}
	}
	if (t->npins > 0 && check_pins(t) == -1)
		return -1;
	return 0;
}

/* The client certificate: the file as it is, the key from memory. */
static int
load_client_cert(struct tls_session *t, const struct tls_params *p,
    char *why, size_t whylen)
{
	gnutls_datum_t	cert = { NULL, 0 }, key;
	int		rc;

	if ((rc = gnutls_load_file(p->cert_file, &cert)) < 0) {
		snprintf(why, whylen, "cannot read client certificate %s: %s",
		    p->cert_file, gnutls_strerror(rc));
		return -1;
	}
	key.data = (unsigned char *)p->key_pem;
	key.size = (unsigned int)p->key_len;
	rc = gnutls_certificate_set_x509_key_mem(t->cred, &cert, &key,
	    GNUTLS_X509_FMT_PEM);
	gnutls_free(cert.data);
	if (rc < 0) {
		snprintf(why, whylen, "cannot use client certificate %s with "
		    "its key: %s", p->cert_file, gnutls_strerror(rc));
		return -1;
	}
	return 0;
}

struct tls_session *
tls_new(int fd, const struct tls_params *p, char *why, size_t whylen)
{
	struct tls_session	*t;
	const char		*errpos;
	char			*prio = NULL;
	int			 rc;

	t = xcalloc(1, sizeof(*t));
	t->host = xstrdup(p->host);
	t->verify = p->verify;
	if (p->npins > 0) {
		t->pins = xcalloc(p->npins, sizeof(*t->pins));
		memcpy(t->pins, p->pins, p->npins * sizeof(*t->pins));
		t->npins = p->npins;
	}
	if ((rc = gnutls_certificate_allocate_credentials(&t->cred)) < 0)
		goto gnutls_fail;
	/* Without verification the trust store is never consulted, and a
	 * missing one must not stop a pinned relay. */
	if (p->verify && p->trust_file != NULL) {
		rc = gnutls_certificate_set_x509_trust_file(t->cred,
		    p->trust_file, GNUTLS_X509_FMT_PEM);
		if (rc <= 0) {
			snprintf(why, whylen, "cannot load trust file %s: %s",
			    p->trust_file, rc == 0 ? "no certificates in it" :
			    gnutls_strerror(rc));
			goto fail;
		}
	} else if (p->verify) {
		rc = gnutls_certificate_set_x509_system_trust(t->cred);
		if (rc <= 0) {
			snprintf(why, whylen, "no system trust store: %s",
			    rc == 0 ? "no certificates in it" :
			    gnutls_strerror(rc));
			goto fail;
		}
	}
	if (p->cert_file != NULL && load_client_cert(t, p, why, whylen) == -1)
		goto fail;
	if ((rc = gnutls_init(&t->s, GNUTLS_CLIENT | GNUTLS_NONBLOCK)) < 0)
		goto gnutls_fail;
	gnutls_session_set_ptr(t->s, t);
	prio = effective_priorities(p->priorities);
	rc = gnutls_priority_set_direct(t->s, prio, &errpos);
	free(prio);
	if (rc < 0) {
		snprintf(why, whylen, "TLS setup failed: tls_priorities: %s",
		    gnutls_strerror(rc));
		goto fail;
	}
	if ((rc = gnutls_credentials_set(t->s, GNUTLS_CRD_CERTIFICATE,
	    t->cred)) < 0)
		goto gnutls_fail;
	/* SNI carries names only (RFC 6066 section 3). */
	if (!is_ip_literal(p->host) && (rc = gnutls_server_name_set(t->s,
	    GNUTLS_NAME_DNS, p->host, strlen(p->host))) < 0)
		goto gnutls_fail;
	/* Chain, host name and pins are checked inside the handshake,
	 * which fails when any does not hold: nothing is sent before.
	 * One session callback does it all (gnutls_session_set_verify_cert
	 * would install its own and replace this one). */
	if (t->verify || t->npins > 0)
		gnutls_session_set_verify_function(t->s, verify_relay);
	gnutls_transport_set_int(t->s, fd);
	gnutls_handshake_set_timeout(t->s, 0);
	return t;
gnutls_fail:
	snprintf(why, whylen, "TLS setup failed: %s", gnutls_strerror(rc));
fail:
	tls_free(t);
	return NULL;
}

static int
want(struct tls_session *t)
{
	return gnutls_record_get_direction(t->s) ? TLS_WANT_WRITE :
	    TLS_WANT_READ;
}

int
tls_handshake_step(struct tls_session *t, char *why, size_t whylen)
{
	gnutls_protocol_t	v;
	int			rc;

	rc = gnutls_handshake(t->s);
	if (rc == GNUTLS_E_AGAIN || rc == GNUTLS_E_INTERRUPTED)
		return want(t);
	if (rc == GNUTLS_E_SUCCESS) {
		/* The floor, again, whatever the priority string let by. */
		v = gnutls_protocol_get_version(t->s);
		if (v == GNUTLS_TLS1_2 || v == GNUTLS_TLS1_3)
			return 0;
		snprintf(why, whylen, "TLS handshake negotiated %s; relayq "
		    "needs TLS 1.2 or later", gnutls_protocol_get_name(v) ?
		    gnutls_protocol_get_name(v) : "an unknown version");
		return -1;
	}
	if (t->fail[0] != '\0') {
		snprintf(why, whylen, "%s", t->fail);
		return -1;
	}
	snprintf(why, whylen, "TLS handshake failed: %s", gnutls_strerror(rc));
	return -1;
}

ssize_t
tls_recv(struct tls_session *t, void *buf, size_t len, char *why,
    size_t whylen)
{
	ssize_t	n;

	n = gnutls_record_recv(t->s, buf, len);
	if (n >= 0)
		return n;
	if (n == GNUTLS_E_AGAIN || n == GNUTLS_E_INTERRUPTED)
		return want(t);
	if (n == GNUTLS_E_PREMATURE_TERMINATION)
		return 0;
	snprintf(why, whylen, "TLS read failed: %s", gnutls_strerror((int)n));
	return -1;
}

ssize_t
tls_send(struct tls_session *t, const void *buf, size_t len, char *why,
    size_t whylen)
{
	ssize_t	n;

	n = gnutls_record_send(t->s, buf, len);
	if (n >= 0)
		return n;
	if (n == GNUTLS_E_AGAIN || n == GNUTLS_E_INTERRUPTED)
		return want(t);
	snprintf(why, whylen, "TLS write failed: %s", gnutls_strerror((int)n));
	return -1;
}

size_t
tls_pending(struct tls_session *t)
{
	return gnutls_record_check_pending(t->s);
}

void
tls_describe(struct tls_session *t, char *out, size_t len)
{
	char	*desc = gnutls_session_get_desc(t->s);

	snprintf(out, len, "%s", desc ? desc : "TLS");
	gnutls_free(desc);
}

int
tls_channel_binding(struct tls_session *t, const char **type,
    unsigned char *out, size_t len, char *why, size_t whylen)
{
	gnutls_channel_binding_t	 kind;
	gnutls_datum_t			 cb = { NULL, 0 };
	int				 rc;

	if (gnutls_protocol_get_version(t->s) == GNUTLS_TLS1_3) {
		kind = GNUTLS_CB_TLS_EXPORTER;
		*type = "tls-exporter";
	} else {
		kind = GNUTLS_CB_TLS_UNIQUE;
		*type = "tls-unique";
	}
	if ((rc = gnutls_session_channel_binding(t->s, kind, &cb)) < 0) {
		snprintf(why, whylen, "no %s channel binding: %s", *type,
		    gnutls_strerror(rc));
		return -1;
	}
	if (cb.size == 0 || cb.size > len) {
		snprintf(why, whylen, "%s channel binding of %u bytes", *type,
		    cb.size);
		gnutls_free(cb.data);
		return -1;
	}
	memcpy(out, cb.data, cb.size);
	gnutls_free(cb.data);
	return (int)cb.size;
}

void
tls_free(struct tls_session *t)
{
	if (t == NULL)
		return;
	if (t->s)
		gnutls_deinit(t->s);
	if (t->cred)
		gnutls_certificate_free_credentials(t->cred);
	free(t->host);
	free(t->pins);
	free(t);
}
