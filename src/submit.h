/*
 * submit - the front end's work between argv and the spool: read the
 * message from stdin without privilege, find the recipients (-t), complete
 * the header (Date, Message-ID, From; Bcc removed), and stream it into a
 * durable queue file.  Memory stays flat whatever the message size: only
 * the header section is held, up to SUBMIT_HEADER_MAX.
 *
 * Links no TLS code: the runner is started as a separate program.
 */
#ifndef RELAYQ_SUBMIT_H
#define RELAYQ_SUBMIT_H

#include <stddef.h>
#include <stdio.h>
#include <sys/types.h>

#include "conf.h"

#define SUBMIT_HEADER_MAX	(1024 * 1024)

struct submission {
	int		  extract;	/* -t */
	int		  ignore_dots;	/* -i, -oi */
	const char	 *sender;	/* -f / -r; NULL: the caller */
	const char	 *fullname;	/* -F */
	char		**rcpts;	/* from argv */
	int		  nrcpts;
	const char	 *body;		/* -B: "7BIT", "8BITMIME" or NULL */
	const char	 *notify;	/* -N: NOTIFY= value or NULL */
	const char	 *ret;		/* -R: "FULL", "HDRS" or NULL */
	const char	 *envid;	/* -V: xtext or NULL */
	int		  wait;		/* -odi: the runner reports back */
	int		  no_aliases;	/* -n */
};

/* submit_message - queue the message read from fd.  Returns 0 (EX_OK)
 * once it is durable, else a sysexits code with one line in why.
 * The queue id goes to idout. */
int	submit_message(struct config *cf, const struct submission *s, int fd,
	    char *idout, char *why, size_t whylen);

/* submit_fill_fn - where message bytes come from: like read(2), 0 at the
 * end of the message, -1 with errno on failure. */
typedef ssize_t (*submit_fill_fn)(void *arg, char *buf, size_t len);

/* submit_message_from - the same, reading through fill (the -bs server
 * hands over DATA already unstuffed, its end reported as 0). */
int	submit_message_from(struct config *cf, const struct submission *s,
	    submit_fill_fn fill, void *arg, char *idout, char *why,
	    size_t whylen);

/* submit_memory - a message already in memory (-oem notices, tests),
 * read with submit_fill_memory: off starts at 0. */
struct submit_memory {
	const char	*text;
	size_t		 len, off;
};
ssize_t	submit_fill_memory(void *arg, char *buf, size_t len);

/* submit_verify - -bv: what each recipient in s->rcpts becomes (aliases,
 * catch-all, qualification), one line each on out; nothing is queued.
 * Returns EX_OK, or EX_DATAERR if any recipient cannot be delivered. */
int	submit_verify(struct config *cf, const struct submission *s,
	    FILE *out);

/* submit_start_runner - start the queue runner in the background unless
 * one holds the queue; the runner inherits nothing of ours.  runner is
 * its path; config is passed on only when an override is in force. */
void	submit_start_runner(const char *spooldir, const char *runner,
	    const char *config_override);

#endif
