/*
 * reply - parsing SMTP replies (RFC 5321 4.2) from a relay we do not
 * trust.  Pure: fed one line at a time, bounded in line length, line count
 * and stored text, and strict about the code on every line, so a hostile
 * multi-line reply can neither overrun memory nor be mistaken for another.
 */
#ifndef RELAYQ_REPLY_H
#define RELAYQ_REPLY_H

#include <stddef.h>

#define REPLY_LINE_MAX	2048	/* RFC 5321 says 512; relays exceed it */
#define REPLY_LINES_MAX	100
#define REPLY_TEXT_MAX	4096

struct reply {
	int	code;			/* 200..599 */
	char	enhanced[16];		/* "5.1.1" or "" (RFC 3463) */
	char	text[REPLY_TEXT_MAX];	/* lines' texts joined by '\n' */
	size_t	textlen;
	int	nlines;
	int	complete;
};

void	reply_init(struct reply *);
/* reply_feed_line - one line without its CRLF.  1: the reply is complete,
 * 0: more lines follow, -1: malformed (reason in why). */
int	reply_feed_line(struct reply *, const char *line, size_t len,
	    char *why, size_t whylen);
/* reply_summary - "CODE text" on one printable line, for logs and the
 * queue; control bytes escaped, at most outlen - 1 bytes. */
void	reply_summary(const struct reply *, char *out, size_t outlen);

#endif
