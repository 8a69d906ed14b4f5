/*
 * smtp - the SMTP client (RFC 5321) that talks to a smart host: greeting,
 * EHLO, STARTTLS (RFC 3207) or implicit TLS (RFC 8314), AUTH (RFC 4954,
 * mechanisms from auth.h), then any number of transactions with
 * PIPELINING (RFC 2920) when offered.
 *
 * Promises: with TLS required, no AUTH and no message byte is sent unless
 * the handshake verified the relay as its smarthost section asks (chain
 * and host name, and the tls_fingerprint pins when set; the pins alone
 * with tls_verify = false; nothing but encryption with tls_verify = false
 * and no pin, which is then logged as a warning); no AUTH without TLS
 * unless tls = none says so, and then only a mechanism that does not show
 * the secret (auth.h); the message leaves in canonical form (every
 * line end CRLF, bare CR and LF turned into line ends, lines over 998
 * octets broken, dot-stuffing applied last), so no content can end DATA
 * early.  Failures are classified where they are seen.
 *
 * Extensions the relay lacks: DSN parameters are left out (the relay's
 * own defaults apply); an 8-bit body goes out as it is (BODY= is sent only
 * when 8BITMIME is offered); an address that is not ASCII needs SMTPUTF8,
 * and without it every recipient fails permanently (553 5.6.7), since
 * RFC 6531 forbids sending it.
 */
#ifndef RELAYQ_SMTP_H
#define RELAYQ_SMTP_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "conf.h"
#include "net.h"

#define SMTP_LINE_MAX	998	/* RFC 5321 4.5.3.1.6, without CRLF */

struct smtp_caps {
	int		starttls, pipelining, eightbitmime, smtputf8, dsn;
	int		auth;
	char		auth_list[256];	/* the EHLO AUTH mechanisms */
	int		size;
	uint64_t	size_max;
};

struct smtp_session {
	struct conn		 c;
	struct smtp_caps	 caps;
	const struct smarthost	*sh;
	int			 tls_active;
	int			 dirty;		/* a transaction needs RSET */
	int			 broken;	/* out of step: no QUIT */
	char			 tlsdesc[128];
	/* After AUTH, successful or not: the mechanism and its channel
	 * binding ("" or "tls-exporter", "tls-unique"). */
	enum auth_mech		 mech;
	char			 cbtype[16];
	/* smtp_open failed because the relay refused the credentials (a
	 * 5xx to AUTH), as opposed to a temporary failure (4xx, I/O). */
	int			 auth_refused;
	char			 auth_reply[700];	/* reply, mechanism */
};

struct smtp_rcpt {
	const char	*addr;
	int		 code;		/* final: 0 = no answer */
	int		 local;		/* the reply is relayq's, not the relay's */
	char		 reply[300];	/* "CODE text", printable */
};

struct smtp_msg {
	const char		*sender;
	const char		*body;		/* BODY= wish, or NULL */
	const char		*notify;	/* DSN, used when offered */
	const char		*ret;
	const char		*envid;
	struct smtp_rcpt	*rcpts;
	size_t			 nrcpts;
	int			 fd;
	uint64_t		 off, len;
};

/* smtp_open - connect and make the session ready for transactions.
 * secret may be NULL when sh has no user.  0, or -1 with why (always a
 * temporary failure for the message: the relay, not the message, is at
 * fault; auth_refused says whether it refused the credentials). */
int	smtp_open(struct smtp_session *, const struct smarthost *sh,
	    const char *helo, const char *secret, char *why, size_t whylen);
/* smtp_send - one transaction.  Each recipient gets the code that decides
 * its fate: its RCPT reply if that was not 2xx, else the reply to the
 * message data.  0: the session can carry another message; -1: it broke
 * (why), and recipients without a code were not answered. */
int	smtp_send(struct smtp_session *, struct smtp_msg *, char *why,
	    size_t whylen);
/* smtp_close - QUIT (best effort) and close. */
void	smtp_close(struct smtp_session *);

/* smtp_canon - the DATA transform, exposed for tests: feed bytes, get
 * canonical, dot-stuffed output through emit. */
struct smtp_canon {
	int	 pending_cr;
	int	 in_header;
	size_t	 col;
	int	(*emit)(void *arg, const char *buf, size_t len);
	void	*arg;
	char	 out[8192];
	size_t	 outlen;
};
void	smtp_canon_init(struct smtp_canon *,
	    int (*emit)(void *, const char *, size_t), void *arg);
int	smtp_canon_feed(struct smtp_canon *, const char *buf, size_t len);
/* smtp_canon_finish - end the last line and add the final ".\r\n". */
int	smtp_canon_finish(struct smtp_canon *);

#endif
