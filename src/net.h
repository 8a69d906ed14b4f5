/*
 * net - a connection to a relay: TCP with a deadline on every step, and
 * TLS (through tls.h) slid under the same read and write calls.
 *
 * Reads are buffered and line-oriented for SMTP; writes are buffered and
 * go out on conn_flush().  Every function returns -1 with a reason in
 * c->err on failure, after which the connection is only fit for
 * conn_close().  No file system access happens here.
 */
#ifndef RELAYQ_NET_H
#define RELAYQ_NET_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct tls_params;
struct tls_session;

struct conn {
	int			 fd;
	struct tls_session	*tls;
	int			 timeout_ms;
	char			 rbuf[16384];
	size_t			 rstart, rend;
	char			 wbuf[65536];
	size_t			 wlen;
	char			 err[512];
	char			 peer[300];	/* host:port */
};

/* conn_connect - try every address of host in turn, each within the
 * timeout; 0 with c ready, -1 with c->err. */
int	conn_connect(struct conn *c, const char *host, int port,
	    int timeout_s);
/* conn_starttls - TLS handshake over the open connection, checking the
 * relay as p asks: chain and host name, pins (see tls.h). */
int	conn_starttls(struct conn *c, const struct tls_params *p);
/* conn_getline - the next line without its line end into out; a line
 * longer than max - 1 is an error (hostile relay), and so is a line not
 * complete by deadline (now_ms() time), which the caller sets once for a
 * whole reply so that a relay dripping lines cannot stretch it. */
int	conn_getline(struct conn *c, char *out, size_t max, size_t *len,
	    int64_t deadline);
int	conn_write(struct conn *c, const void *buf, size_t len);
int	conn_flush(struct conn *c);
/* conn_pending_input - bytes already received but not yet consumed. */
size_t	conn_pending_input(const struct conn *c);
/* conn_describe_tls - protocol and cipher, or "" without TLS. */
void	conn_describe_tls(struct conn *c, char *out, size_t len);
void	conn_close(struct conn *c);

#endif
