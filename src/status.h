/*
 * status - relayq status: the whole picture on one screen, for people
 * (text), scripts (--json) and monitoring systems (--monitoring, in the
 * conventions of the monitoring plugins: one line, exit 0 OK, 1 WARNING,
 * 2 CRITICAL, 3 UNKNOWN).
 *
 * Read-only and unprivileged: it keeps the caller's identity, as relayq
 * queue does, and shows what that identity may read (the intake and the
 * runner lock only for root and the relayq account).  The relays come from
 * the configuration; the runner's state from its lock and pid; counts and
 * the oldest message from the spool; the last success and the last error
 * from the record the runner keeps (runstate.h).
 */
#ifndef RELAYQ_STATUS_H
#define RELAYQ_STATUS_H

#include <stdio.h>

/* status_main - args are what follows "status"; config is the file to
 * read, must_exist says it was named (-C, RELAYQ_CONFIG).  Loads it
 * itself, so that in monitoring mode a broken one is UNKNOWN.  Returns
 * the exit status. */
int	status_main(const char *config, int must_exist, char **args,
	    int nargs, FILE *out);

#endif
