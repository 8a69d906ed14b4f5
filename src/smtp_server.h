/*
 * smtp_server - "sendmail -bs": an RFC 5321 server on stdin/stdout for
 * callers that speak SMTP to a local program (Symfony Mailer, Laravel,
 * Alpine).  Every accepted message goes through submit_message_from() and
 * is durable before its 250 reply.  Runs with the caller's rights, like
 * the rest of the front end.
 */
#ifndef RELAYQ_SMTP_SERVER_H
#define RELAYQ_SMTP_SERVER_H

#include "conf.h"
#include "submit.h"

/* smtp_server_run - serve one session on in/out until QUIT or end of
 * input (a transaction then unfinished is dropped).  defaults carries what
 * the command line set: -F, and -B, -N, -R, -V for what a transaction's
 * BODY=, NOTIFY=, RET= and ENVID= leave unsaid; -t, -i and -f mean nothing
 * here, the dialogue says it all.  *queued counts the messages accepted.
 * Returns a sysexits code: EX_OK after QUIT or at the end of input,
 * EX_TEMPFAIL after 300 s without input (421 sent), EX_IOERR when reading
 * failed or nobody reads the replies any more.  Nothing goes to stderr. */
int	smtp_server_run(struct config *cf, const struct submission *defaults,
	    int in, int out, int *queued);

#endif
