/*
 * dsn - delivery status notifications (bounces): RFC 3464 reports in an
 * RFC 6522 multipart/report, written as one complete RFC 5322 message.
 *
 *	text/plain			what happened, for people
 *	message/delivery-status		the same, for programs
 *	message/rfc822			the original, exactly as queued, or
 *	text/rfc822-headers		only its header section (RET=HDRS,
 *					or larger than max_return)
 *
 * Promises:
 *  - Everything dsn_write() generates is 7-bit ASCII with LF line ends
 *    (the SMTP client makes them CRLF), no other control byte and no line
 *    longer than DSN_LINE_MAX octets.  Text from outside (addresses,
 *    diagnostics, the envelope id, the remote host) is sanitised: runs of
 *    CR, LF and TAB become one space, other control bytes, backslash and
 *    non-ASCII bytes become \xNN, and the result is cut to DSN_TEXT_MAX
 *    (ending in "...") and folded at its spaces, so it can neither add a
 *    header field nor a MIME part.  DSN_TEXT_MAX leaves room for the
 *    longest field name, so folding never has to break a word.
 *  - The returned original is copied byte for byte, streamed in
 *    DSN_CHUNK pieces with pread; it is never held in memory whole.  If
 *    it has 8-bit bytes its part and the report say
 *    Content-Transfer-Encoding: 8bit; lines are left as they are.  The
 *    header section is everything before the first empty line (LF or
 *    CRLF), cut at a line end to at most DSN_HEADERS_MAX bytes.
 *  - The MIME boundary has 128 random bits and is checked against the
 *    returned bytes before anything is written, so it occurs in the
 *    output only as a boundary.
 *  - The returned range is read completely before the first write: a
 *    short or unreadable original fails without output.  Any failure may
 *    leave a partial message in fd, which the caller must discard.
 *  - No bounce for the null sender (RFC 5321 6.1): to must be non-empty.
 *  - Status is the caller's if it is X.Y.Z (RFC 3463) with X 5 for a
 *    failed and 4 for a delayed recipient, else 5.0.0 or 4.0.0.
 *  - A diagnostic that starts like an SMTP reply ("550 ", "451-") is
 *    also given as Diagnostic-Code: smtp; any other is our own text and
 *    appears only in the text part.
 *  - Dates are RFC 5322 with English names whatever the locale.
 *
 * reporting_mta, domain and queue_id are ours (configuration, host name,
 * queue): they must be dot-atom text (RFC 5322 3.2.3), else dsn_write()
 * fails rather than put something unparsable into From or Message-ID.
 */
#ifndef RELAYQ_DSN_H
#define RELAYQ_DSN_H

#include <stddef.h>
#include <stdint.h>

#define DSN_LINE_MAX	998		/* RFC 5322 2.1.1, without CRLF */
#define DSN_TEXT_MAX	900		/* one sanitised value, at most */
#define DSN_HEADERS_MAX	(1024 * 1024)	/* returned header section, at most */
#define DSN_CHUNK	65536

enum dsn_action {
	DSN_FAILED,
	DSN_DELAYED
};

struct dsn_rcpt {
	const char	*addr;		/* final recipient, addr-spec */
	enum dsn_action	 action;
	const char	*status;	/* "5.1.1" (struct reply's enhanced),
					 * or NULL: 5.0.0 / 4.0.0 */
	const char	*diagnostic;	/* the relay's reply ("550 5.1.1 no
					 * such user") or our own text
					 * ("expired in queue after 5 days"),
					 * or NULL */
	const char	*remote_mta;	/* "mail.example.org" or NULL */
};

struct dsn_info {
	const char	*reporting_mta;	/* our host name */
	const char	*domain;	/* MAILER-DAEMON@domain, Message-ID */
	const char	*to;		/* the original's envelope sender */
	const char	*queue_id;	/* the original's queue id */
	const char	*envid;		/* ENVID (xtext, RFC 3461) or NULL */
	int64_t		 arrival;	/* unix time; <= 0: no Arrival-Date */
	int		 return_headers_only;	/* RET=HDRS */
	const struct dsn_rcpt *rcpts;
	size_t		 nrcpts;	/* at least one */
	int		 orig_fd;	/* the original: bytes [orig_off, */
	uint64_t	 orig_off;	/* orig_off + orig_len) of orig_fd, */
	uint64_t	 orig_len;	/* LF or CRLF line ends */
	uint64_t	 max_return;	/* whole original only up to this */
};

/* dsn_status - the Status value dsn_write() uses for r: out gets "X.Y.Z"
 * (at most 11 bytes and the NUL). */
void	dsn_status(const struct dsn_rcpt *r, char out[12]);

/* dsn_write - the whole bounce to fd; 0, or -1 with a reason in why. */
int	dsn_write(int fd, const struct dsn_info *, char *why, size_t whylen);

#endif
