/*
 * admin - the administrator's commands that act on single messages or
 * try the setup: relayq show, flush ID, delete, hold, release, requeue,
 * check and send-test.
 *
 * Messages are found by id in queue/, hold/ and failed/ (and intake/ for
 * show and delete).  hold/ is this module's: the runner reads only
 * queue/, so a held message is never sent.  Moves follow the runner's
 * rule that a message in queue/ is never without its state: into queue/
 * the state goes first and the message after it, out of queue/ the
 * message goes first.  When no runner holds the queue, the edits are made
 * under the runner lock; when one does (a daemon), they race it, and a
 * message it is delivering at that moment may still be sent once more or
 * leave a stray state file behind, which the runner ignores.
 *
 * Each function prints what it did on out and what went wrong on stderr,
 * one line per id, goes on with the other ids, and returns a sysexits
 * code: the first failure's, else EX_OK.
 */
#ifndef RELAYQ_ADMIN_H
#define RELAYQ_ADMIN_H

#include <stdio.h>

#include "conf.h"

struct admin_opts {
	int		 verbose;
	const char	*runner;	/* relayq-runner, started if mail
					 * arrived while we held the lock */
	const char	*override;	/* -C / RELAYQ_CONFIG, passed on */
};

/* admin_show - envelope, delivery state and header section of one
 * message in queue/, hold/, failed/ or intake/. */
int	admin_show(struct config *cf, const char *id, FILE *out);

/* admin_flush - make the messages due now (state next = 0), then one
 * ordinary queue run: what else is due goes too, nothing else is
 * hurried.  A runner already at work is woken to do it. */
int	admin_flush(struct config *cf, char **ids, int n,
	    const struct admin_opts *o, FILE *out);
/* admin_delete - remove message and state from queue/, hold/, failed/ or
 * a submission from intake/. */
int	admin_delete(struct config *cf, char **ids, int n,
	    const struct admin_opts *o, FILE *out);
/* admin_hold - move message and state from queue/ to hold/. */
int	admin_hold(struct config *cf, char **ids, int n,
	    const struct admin_opts *o, FILE *out);
/* admin_release - move them back from hold/ to queue/, due now. */
int	admin_release(struct config *cf, char **ids, int n,
	    const struct admin_opts *o, FILE *out);
/* admin_requeue - move a message from failed/ back to queue/: refused
 * recipients pending again, delivered ones kept, attempts 0, due now. */
int	admin_requeue(struct config *cf, char **ids, int n,
	    const struct admin_opts *o, FILE *out);

/* admin_check - connect to every smart host as the runner would (TLS,
 * certificate, AUTH) and say how each step went; no mail is sent.
 * EX_OK, EX_UNAVAILABLE if one failed, EX_CONFIG without a smart host. */
int	admin_check(struct config *cf, FILE *out);

/* admin_send_test - queue a short test message to address through the
 * normal submission path, run the queue once, report its fate.
 * EX_OK once sent, EX_TEMPFAIL deferred, EX_UNAVAILABLE refused. */
int	admin_send_test(struct config *cf, const char *address,
	    const struct admin_opts *o, FILE *out);

#endif
