/*
 * envelope - the on-disk format of a queued message, version 1.
 *
 *	relayq 1\n			magic and version
 *	I <queue id>\n
 *	U <submitting uid>\n
 *	A <arrival, unix seconds>\n
 *	F <envelope sender>\n		empty value = null sender <>
 *	T <recipient>\n			one or more
 *	B <7BIT|8BITMIME>\n		optional: body type (-B)
 *	N <NEVER|SUCCESS,FAILURE,DELAY>\n	optional: DSN notify (-N)
 *	R <FULL|HDRS>\n			optional: DSN return (-R)
 *	V <envelope id>\n		optional: DSN envelope id (-V), xtext
 *	\n
 *	<message, exactly as submitted after header completion>
 *	relayq-end <20-digit message length>\n	fixed 32-byte trailer
 *
 * The trailer makes a truncated file detectable and lets the writer
 * stream a message of unknown length.  Values are at most ENVELOPE_VALUE_MAX
 * bytes and hold no byte below 0x20 and no 0x7f; an unknown record type,
 * a missing record or a length mismatch makes the whole file corrupt.
 * Any change to this layout bumps the version.
 */
#ifndef RELAYQ_ENVELOPE_H
#define RELAYQ_ENVELOPE_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define ENVELOPE_MAGIC		"relayq 1"
#define ENVELOPE_TRAILER_LEN	32
#define ENVELOPE_VALUE_MAX	1000
#define ENVELOPE_RCPT_MAX	10000
#define ENVELOPE_HEAD_MAX	(ENVELOPE_RCPT_MAX * (ENVELOPE_VALUE_MAX + 3) + 4096)
#define QUEUE_ID_LEN		20

struct envelope {
	char		  id[QUEUE_ID_LEN + 1];
	uid_t		  uid;
	int64_t		  arrival;
	char		 *sender;
	size_t		  nrcpts;
	char		**rcpts;
	char		 *body;		/* NULL or "7BIT", "8BITMIME" */
	char		 *notify;	/* NULL or the NOTIFY= value */
	char		 *ret;		/* NULL or "FULL", "HDRS" */
	char		 *envid;	/* NULL or the ENVID= value */
	uint64_t	  msg_offset;	/* where the message starts */
	uint64_t	  msg_len;
};

/* envelope_add_rcpt - append a copy; -1 past ENVELOPE_RCPT_MAX. */
int	envelope_add_rcpt(struct envelope *, const char *);
/* envelope_has_rcpt - exact duplicate check, so -t plus argv is a set. */
int	envelope_has_rcpt(const struct envelope *, const char *);
/* envelope_value_ok - may this string be stored as a record value? */
int	envelope_value_ok(const char *);
/* envelope_dsn_ok - are body, notify, ret and envid each NULL or valid
 * (RFC 1652, RFC 3461 syntax)?  which gets the name of a bad one. */
int	envelope_dsn_ok(const struct envelope *, const char **which);
/* envelope_format - the head (magic .. empty line), malloc'd. */
char	*envelope_format(const struct envelope *, size_t *len);
/* envelope_trailer - the 32-byte trailer for a message of msglen bytes. */
void	envelope_trailer(uint64_t msglen, char out[ENVELOPE_TRAILER_LEN + 1]);
/* envelope_read - strict parse of a whole file of filesize bytes. */
int	envelope_read(int fd, uint64_t filesize, struct envelope *,
	    char *why, size_t whylen);
/* envelope_parse_head - strict parse of the head in buf (for tests and
 * envelope_read); *headlen gets the offset of the message. */
int	envelope_parse_head(const char *buf, size_t len, struct envelope *,
	    size_t *headlen, char *why, size_t whylen);
void	envelope_free(struct envelope *);

/* queue_id_new - a fresh id: 13 hex digits of microseconds since the
 * epoch and 7 random hex digits, so ids sort by arrival. */
int	queue_id_new(char out[QUEUE_ID_LEN + 1]);
/* queue_id_ok - is s exactly an id, nothing else (safe as a file name)? */
int	queue_id_ok(const char *s);

#endif
