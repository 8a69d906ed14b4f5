/*
 * net - relay connections with deadlines; see net.h.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "net.h"
#include "tls.h"
#include "util.h"

/* Wait until fd is ready for events or the deadline passes. */
static int
wait_fd(struct conn *c, short events, int64_t deadline, const char *what)
{
	struct pollfd	pfd;
	int64_t		left;
	int		rc;

	for (;;) {
		left = deadline - now_ms();
		if (left <= 0) {
			snprintf(c->err, sizeof(c->err), "%s %s: timed out "
			    "after %ds", what, c->peer, c->timeout_ms / 1000);
			return -1;
		}
		pfd.fd = c->fd;
		pfd.events = events;
		pfd.revents = 0;
		rc = poll(&pfd, 1, left > 60000 ? 60000 : (int)left);
		if (rc < 0 && errno == EINTR)
			continue;
		if (rc < 0) {
			snprintf(c->err, sizeof(c->err), "poll: %s",
			    strerror(errno));
			return -1;
		}
		if (rc > 0)
			return 0;
	}
}

static int
connect_one(struct conn *c, const struct addrinfo *ai)
{
	int64_t		deadline = now_ms() + c->timeout_ms;
	socklen_t	len = sizeof(int);
	int		fd, soerr = 0, one = 1;

	fd = socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK |
	    SOCK_CLOEXEC, ai->ai_protocol);
	if (fd == -1)
		return -1;
	if (connect(fd, ai->ai_addr, ai->ai_addrlen) == -1 &&
	    errno != EINPROGRESS) {
		soerr = errno;
		close(fd);
		errno = soerr;
		return -1;
	}
	c->fd = fd;
	if (wait_fd(c, POLLOUT, deadline, "connect to") == -1) {
		close(fd);
		c->fd = -1;
		errno = ETIMEDOUT;
		return -1;
	}
	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &len) == -1 ||
	    soerr != 0) {
		close(fd);
		c->fd = -1;
		errno = soerr ? soerr : errno;
		return -1;
	}
	/* Pipelined commands should leave at once, not wait for Nagle. */
	(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	return 0;
}

int
conn_connect(struct conn *c, const char *host, int port, int timeout_s)
{
	struct addrinfo	 hints, *res = NULL, *ai;
	char		 portstr[16];
	int		 rc, err = 0;

	memset(c, 0, sizeof(*c));
	c->fd = -1;
	c->timeout_ms = timeout_s * 1000;
	snprintf(c->peer, sizeof(c->peer), "%s:%d", host, port);
	snprintf(portstr, sizeof(portstr), "%d", port);
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_ADDRCONFIG;
	if ((rc = getaddrinfo(host, portstr, &hints, &res)) != 0) {
		snprintf(c->err, sizeof(c->err), "cannot resolve %s: %s", host,
		    gai_strerror(rc));
		return -1;
	}
	for (ai = res; ai != NULL; ai = ai->ai_next) {
		if (connect_one(c, ai) == 0) {
			freeaddrinfo(res);
			return 0;
		}
		err = errno;
	}
	freeaddrinfo(res);
	snprintf(c->err, sizeof(c->err), "connect to %s: %s", c->peer,
	    strerror(err ? err : ECONNREFUSED));
	return -1;
}

int
conn_starttls(struct conn *c, const struct tls_params *p)
{
	int64_t	deadline = now_ms() + c->timeout_ms;
	int	rc;

	if (c->rend > c->rstart) {
		/* Bytes that arrived before the handshake would be read as
		 * if they came under TLS: the STARTTLS injection attack. */
		snprintf(c->err, sizeof(c->err), "relay %s sent data after "
		    "its STARTTLS reply", c->peer);
		return -1;
	}
	c->tls = tls_new(c->fd, p, c->err, sizeof(c->err));
	if (c->tls == NULL)
		return -1;
	for (;;) {
		rc = tls_handshake_step(c->tls, c->err, sizeof(c->err));
		if (rc == 0)
			return 0;
		if (rc == -1)
			return -1;
		if (wait_fd(c, rc == TLS_WANT_WRITE ? POLLOUT : POLLIN,
		    deadline, "TLS handshake with") == -1)
			return -1;
	}
}

static ssize_t
conn_fill(struct conn *c, int64_t deadline)
{
	ssize_t	n;

	if (c->rstart > 0) {
		memmove(c->rbuf, c->rbuf + c->rstart, c->rend - c->rstart);
		c->rend -= c->rstart;
		c->rstart = 0;
	}
	for (;;) {
		if (c->tls != NULL) {
			n = tls_recv(c->tls, c->rbuf + c->rend,
			    sizeof(c->rbuf) - c->rend, c->err, sizeof(c->err));
			if (n == TLS_WANT_READ || n == TLS_WANT_WRITE) {
				if (wait_fd(c, n == TLS_WANT_WRITE ? POLLOUT :
				    POLLIN, deadline, "read from") == -1)
					return -1;
				continue;
			}
		} else {
			n = read(c->fd, c->rbuf + c->rend,
			    sizeof(c->rbuf) - c->rend);
			if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
				if (wait_fd(c, POLLIN, deadline,
				    "read from") == -1)
					return -1;
				continue;
			}
			if (n < 0)
				snprintf(c->err, sizeof(c->err), "read from "
				    "%s: %s", c->peer, strerror(errno));
		}
		if (n == 0)
			snprintf(c->err, sizeof(c->err), "relay %s closed the "
			    "connection", c->peer);
		if (n <= 0)
			return -1;
		c->rend += (size_t)n;
		return n;
	}
}

int
conn_getline(struct conn *c, char *out, size_t max, size_t *lenp,
    int64_t deadline)
{
	char	*nl;
	size_t	 len;

	for (;;) {
		nl = memchr(c->rbuf + c->rstart, '\n', c->rend - c->rstart);
		if (nl != NULL)
			break;
		if (c->rend - c->rstart >= max ||
		    (c->rstart == 0 && c->rend == sizeof(c->rbuf))) {
			snprintf(c->err, sizeof(c->err), "relay %s sent a line "
			    "longer than %zu bytes", c->peer, max - 1);
			return -1;
		}
		if (conn_fill(c, deadline) == -1)
			return -1;
	}
	len = (size_t)(nl - (c->rbuf + c->rstart));
	if (len > 0 && nl[-1] == '\r')
		len--;
	if (len >= max) {
		snprintf(c->err, sizeof(c->err), "relay %s sent a line longer "
		    "than %zu bytes", c->peer, max - 1);
		return -1;
	}
	memcpy(out, c->rbuf + c->rstart, len);
	out[len] = '\0';
	*lenp = len;
	c->rstart = (size_t)(nl + 1 - c->rbuf);
	return 0;
}

int
conn_flush(struct conn *c)
{
	int64_t		deadline = now_ms() + c->timeout_ms;
	size_t		off = 0;
	ssize_t		n;

	while (off < c->wlen) {
		if (c->tls != NULL) {
			n = tls_send(c->tls, c->wbuf + off, c->wlen - off,
			    c->err, sizeof(c->err));
			if (n == TLS_WANT_READ || n == TLS_WANT_WRITE) {
				if (wait_fd(c, n == TLS_WANT_WRITE ? POLLOUT :
				    POLLIN, deadline, "write to") == -1)
					return -1;
				continue;
			}
		} else {
			n = send(c->fd, c->wbuf + off, c->wlen - off,
			    MSG_NOSIGNAL);
			if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
				if (wait_fd(c, POLLOUT, deadline,
				    "write to") == -1)
					return -1;
				continue;
			}
			if (n < 0)
				snprintf(c->err, sizeof(c->err), "write to %s: "
				    "%s", c->peer, strerror(errno));
		}
		if (n < 0)
			return -1;
		off += (size_t)n;
		/* Progress restarts the clock: the deadline bounds a stall,
		 * not the size of a message. */
		deadline = now_ms() + c->timeout_ms;
	}
	c->wlen = 0;
	return 0;
}

int
conn_write(struct conn *c, const void *buf, size_t len)
{
	const char	*p = buf;
	size_t		 chunk;

	while (len > 0) {
		if (c->wlen == sizeof(c->wbuf) && conn_flush(c) == -1)
			return -1;
		chunk = sizeof(c->wbuf) - c->wlen;
		if (chunk > len)
			chunk = len;
		memcpy(c->wbuf + c->wlen, p, chunk);
		c->wlen += chunk;
		p += chunk;
		len -= chunk;
	}
	return 0;
}

size_t
conn_pending_input(const struct conn *c)
{
	return c->rend - c->rstart;
}

void
conn_close(struct conn *c)
{
	if (c->tls != NULL)
		tls_free(c->tls);
	c->tls = NULL;
	if (c->fd != -1)
		close(c->fd);
	c->fd = -1;
	c->wlen = 0;
	c->rstart = c->rend = 0;
}

void
conn_describe_tls(struct conn *c, char *out, size_t len)
{
	if (c->tls == NULL) {
		if (len > 0)
			out[0] = '\0';
		return;
	}
	tls_describe(c->tls, out, len);
}
