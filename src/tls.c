/*
 * tls - GnuTLS client sessions; see tls.h.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <arpa/inet.h>
#include <gnutls/gnutls.h>
#include <gnutls/x509.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tls.h"
#include "util.h"

/* TLS 1.2 and 1.3 only, with GnuTLS's own choice of ciphers within them. */
#define TLS_PRIORITIES	"NORMAL:-VERS-ALL:+VERS-TLS1.3:+VERS-TLS1.2"

struct tls_session {
	gnutls_session_t			 s;
	gnutls_certificate_credentials_t	 cred;
};

static int
is_ip_literal(const char *host)
{
	unsigned char	buf[16];

	return inet_pton(AF_INET, host, buf) == 1 ||
	    inet_pton(AF_INET6, host, buf) == 1;
}

struct tls_session *
tls_new(int fd, const char *host, const char *trust_file, char *why,
    size_t whylen)
{
	struct tls_session	*t;
	const char		*errpos;
	int			 rc;

	t = xcalloc(1, sizeof(*t));
	if ((rc = gnutls_certificate_allocate_credentials(&t->cred)) < 0)
		goto gnutls_fail;
	if (trust_file != NULL) {
		rc = gnutls_certificate_set_x509_trust_file(t->cred, trust_file,
		    GNUTLS_X509_FMT_PEM);
		if (rc <= 0) {
			snprintf(why, whylen, "cannot load trust file %s: %s",
			    trust_file, rc == 0 ? "no certificates in it" :
			    gnutls_strerror(rc));
			goto fail;
		}
	} else {
		rc = gnutls_certificate_set_x509_system_trust(t->cred);
		if (rc <= 0) {
			snprintf(why, whylen, "no system trust store: %s",
			    rc == 0 ? "no certificates in it" :
			    gnutls_strerror(rc));
			goto fail;
		}
	}
	if ((rc = gnutls_init(&t->s, GNUTLS_CLIENT | GNUTLS_NONBLOCK)) < 0)
		goto gnutls_fail;
	if ((rc = gnutls_priority_set_direct(t->s, TLS_PRIORITIES,
	    &errpos)) < 0)
		goto gnutls_fail;
	if ((rc = gnutls_credentials_set(t->s, GNUTLS_CRD_CERTIFICATE,
	    t->cred)) < 0)
		goto gnutls_fail;
	/* SNI carries names only (RFC 6066 section 3). */
	if (!is_ip_literal(host) && (rc = gnutls_server_name_set(t->s,
	    GNUTLS_NAME_DNS, host, strlen(host))) < 0)
		goto gnutls_fail;
	/* Chain and host name are checked inside the handshake, which
	 * fails when either does not verify: nothing is sent before. */
	gnutls_session_set_verify_cert(t->s, host, 0);
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
	gnutls_datum_t	out;
	unsigned int	status;
	int		rc;

	rc = gnutls_handshake(t->s);
	if (rc == GNUTLS_E_SUCCESS)
		return 0;
	if (rc == GNUTLS_E_AGAIN || rc == GNUTLS_E_INTERRUPTED)
		return want(t);
	if (rc == GNUTLS_E_CERTIFICATE_VERIFICATION_ERROR) {
		status = gnutls_session_get_verify_cert_status(t->s);
		if (gnutls_certificate_verification_status_print(status,
		    GNUTLS_CRT_X509, &out, 0) == 0) {
			snprintf(why, whylen, "TLS certificate of the relay "
			    "does not verify: %s", (char *)out.data);
			gnutls_free(out.data);
			return -1;
		}
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

void
tls_free(struct tls_session *t)
{
	if (t == NULL)
		return;
	if (t->s)
		gnutls_deinit(t->s);
	if (t->cred)
		gnutls_certificate_free_credentials(t->cred);
	free(t);
}
