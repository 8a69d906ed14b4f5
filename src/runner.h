/*
 * runner - the queue runner: picks up submissions, delivers what is due
 * through the smart hosts in order, records per-recipient results and
 * schedules retries.  Only one runner works a queue at a time (the spool
 * lock); the others leave at once, a flush request becoming SIGUSR1 to the
 * holder.
 *
 * Delivery is at least once: a recipient is marked done only after the
 * relay's reply, and the mark is on disk before the next attempt; a crash
 * in between can send a duplicate, never lose a message.
 */
#ifndef RELAYQ_RUNNER_H
#define RELAYQ_RUNNER_H

#include <stdio.h>

#include "conf.h"

enum runner_mode {
	RUNNER_ONCE,		/* relayq run: what is due, then exit */
	RUNNER_ON_DEMAND,	/* started by sendmail: until the queue is empty */
	RUNNER_DAEMON,		/* a service: forever */
};

struct runner_opts {
	enum runner_mode	mode;
	int			flush;		/* deferred mail is due now */
	int			verbose;
	FILE			*progress;	/* a terminal: flush shows
						 * how it goes there */
};

/* runner_run - returns a sysexits code. */
int	runner_run(struct config *cf, const struct runner_opts *o);

/* runner_take_identity - the first thing a runner program does.
 * override: a -C/RELAYQ_CONFIG configuration is in force, so every
 * privilege goes.  Root becomes the relayq account; a set-id run becomes
 * its effective ids for good.  Returns 0, or -1 with why. */
int	runner_take_identity(int override, char *why, size_t whylen);

#endif
