/*
 * tls - the only module that includes <gnutls/gnutls.h>.
 *
 * Fails closed.  What the handshake demands of the relay is a struct
 * tls_params, taken from the smarthost section:
 *
 *   verify	the chain verifies against the trust file (or the system
 *		store) and the certificate names the host we asked for, with
 *		the TLS server purpose.  Off only when tls_verify = false says
 *		so; then the trust store is not even loaded.
 *   pins	when there are any, the SHA-256 of the relay's leaf
 *		certificate (DER) or of its SubjectPublicKeyInfo (DER) must
 *		equal one of them, in addition to verify when that is on, or
 *		as the only check when it is off (a self-signed relay).
 *
 * Both checks run inside the handshake, so a relay that fails them has
 * been sent nothing but a ClientHello.  TLS 1.2 is the floor: the
 * priority string is the default one or the configured one with every
 * older version taken out, and the negotiated version is checked again
 * after the handshake.  Works on a non-blocking socket: every call
 * reports whether it must wait for the socket to become readable or
 * writable.
 */
#ifndef RELAYQ_TLS_H
#define RELAYQ_TLS_H

#include <stddef.h>
#include <sys/types.h>

struct tls_session;

#define TLS_WANT_READ	(-2)
#define TLS_WANT_WRITE	(-3)

#define TLS_PIN_LEN	32	/* SHA-256 */
#define TLS_DEFAULT_PRIORITIES	"NORMAL:-VERS-ALL:+VERS-TLS1.3:+VERS-TLS1.2"

struct tls_params {
	const char		*host;		/* SNI and the name verified */
	const char		*trust_file;	/* NULL: the system store */
	int			 verify;	/* chain and host name */
	const unsigned char	(*pins)[TLS_PIN_LEN];
	size_t			 npins;
	const char		*priorities;	/* NULL: the default */
	/* A client certificate: both or neither.  The key is in memory,
	 * read by the caller after a permission check; tls_new copies it. */
	const char		*cert_file;
	const char		*key_pem;
	size_t			 key_len;
};

/* tls_new - a client session on fd; NULL with why. */
struct tls_session *tls_new(int fd, const struct tls_params *,
	    char *why, size_t whylen);
/* tls_handshake_step - 0 done, TLS_WANT_*, -1 failed (why says how). */
int	tls_handshake_step(struct tls_session *, char *why, size_t whylen);
/* tls_recv / tls_send - bytes moved, 0 at EOF (recv), TLS_WANT_*, or -1. */
ssize_t	tls_recv(struct tls_session *, void *, size_t, char *, size_t);
ssize_t	tls_send(struct tls_session *, const void *, size_t, char *, size_t);
/* tls_pending - decrypted bytes waiting inside the library. */
size_t	tls_pending(struct tls_session *);
/* tls_describe - "TLSv1.3 (ECDHE-...)" for the log. */
void	tls_describe(struct tls_session *, char *out, size_t len);
void	tls_free(struct tls_session *);

/* tls_channel_binding - the data that ties SASL to this TLS channel:
 * "tls-exporter" (RFC 9266) on TLS 1.3, "tls-unique" (RFC 5929) on TLS
 * 1.2, named in *type.  Its length (at most len), or -1 with why. */
int	tls_channel_binding(struct tls_session *, const char **type,
	    unsigned char *out, size_t len, char *why, size_t whylen);

/* tls_priorities_ok - 0 if GnuTLS accepts prio (as tls_new will use it,
 * with the versions under TLS 1.2 removed) and it leaves some protocol
 * version enabled; -1 with why.  conf.c calls it at load time. */
int	tls_priorities_ok(const char *prio, char *why, size_t whylen);

#endif
