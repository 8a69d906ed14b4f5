/*
 * tls - the only module that includes <gnutls/gnutls.h>.
 *
 * Fails closed: the handshake succeeds only when the relay's chain
 * verifies against the system trust store (or the configured trust file)
 * and the certificate names the host we asked for.  TLS 1.2 is the floor.
 * Works on a non-blocking socket: every call reports whether it must wait
 * for the socket to become readable or writable.
 */
#ifndef RELAYQ_TLS_H
#define RELAYQ_TLS_H

#include <stddef.h>
#include <sys/types.h>

struct tls_session;

#define TLS_WANT_READ	(-2)
#define TLS_WANT_WRITE	(-3)

/* tls_new - a client session on fd for host; NULL with why. */
struct tls_session *tls_new(int fd, const char *host, const char *trust_file,
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

#endif
