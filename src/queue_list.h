/*
 * queue_list - the queue as people read it: relayq queue, mailq, -bp.
 * Read-only; needs read access to the queue directory (root or the
 * relayq group).
 */
#ifndef RELAYQ_QUEUE_LIST_H
#define RELAYQ_QUEUE_LIST_H

#include <stdio.h>

#include "conf.h"

/* queue_list_print - one block per message; returns a sysexits code. */
int	queue_list_print(struct config *cf, FILE *out, char *why,
	    size_t whylen);

#endif
