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

#include "conf.h"

#define SUBMIT_HEADER_MAX	(1024 * 1024)

struct submission {
	int		  extract;	/* -t */
	int		  ignore_dots;	/* -i, -oi */
	const char	 *sender;	/* -f / -r; NULL: the caller */
	const char	 *fullname;	/* -F */
	char		**rcpts;	/* from argv */
	int		  nrcpts;
};

/* submit_message - queue the message read from fd.  Returns 0 (EX_OK)
 * once it is durable, else a sysexits code with one line in why.
 * The queue id goes to idout. */
int	submit_message(struct config *cf, const struct submission *s, int fd,
	    char *idout, char *why, size_t whylen);

/* submit_start_runner - start the queue runner in the background unless
 * one holds the queue; the runner inherits nothing of ours.  runner is
 * its path; config is passed on only when an override is in force. */
void	submit_start_runner(const char *spooldir, const char *runner,
	    const char *config_override);

#endif
