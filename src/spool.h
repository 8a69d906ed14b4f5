/*
 * spool - the queue directory and every step that changes it.
 *
 *	<dir>/intake/		3770 relayq:relayqdrop: t.<id> being written,
 *				m.<id> committed by a submission once its
 *				writer's lock is gone, untrusted
 *	<dir>/intake/lock	runner lock (flock) holding the runner's pid;
 *				0640, group relayqdrop through the directory's
 *				setgid bit, so only sendmail can probe it and no
 *				ordinary user can hold it to stall delivery
 *	<dir>/queue/		0750 relayq:relayq: <id> messages the runner
 *				has checked, <id>.state their delivery state
 *	<dir>/failed/		permanent failures, kept for the admin
 *	<dir>/corrupt/		intake files that failed the checks
 *
 * Promises: intake_commit() returns 0 only once the message file and its
 * directory entry are on disk; a t.<id> file is either still locked by a
 * live writer or debris that spool_pickup() deletes; every file that
 * reaches queue/ passed envelope_read() and the ownership checks; a
 * state file is replaced atomically, never edited in place.
 */
#ifndef RELAYQ_SPOOL_H
#define RELAYQ_SPOOL_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "envelope.h"

struct intake {
	int	dirfd;
	int	fd;
	char	id[QUEUE_ID_LEN + 1];
	char	tmpname[QUEUE_ID_LEN + 3];
};

/* intake_create - open a new exclusive, locked t.<id> in <dir>/intake.
 * Returns 0, or -1 with errno and a reason. */
int	intake_create(struct intake *, const char *spooldir, char *why,
	    size_t whylen);
/* intake_commit - rename to m.<id> still locked, fsync the file and the
 * directory, close (which unlocks it).  A locked m.<id> is not yet
 * committed: the runner leaves it alone. */
int	intake_commit(struct intake *, char *why, size_t whylen);
/* intake_abort - remove the t.<id> file and close; never fails. */
void	intake_abort(struct intake *);

/* intake_request_flush - leave intake/flush for the runner: deferred
 * mail is due now (sendmail -q, from any user). */
int	intake_request_flush(const char *spooldir);

/* intake_wait_mark - ask the runner to report the fate of this message
 * (sendmail -odi): leaves intake/w.<id>; call before intake_commit. */
int	intake_wait_mark(struct intake *);
/* intake_wait_result - wait up to timeout_s for intake/r.<id>, the
 * runner's one-line report ("sent ...", "deferred ...", "bounced ...");
 * removes the mark.  0 with the line in out, -1 on timeout. */
int	intake_wait_result(const char *spooldir, const char *id,
	    int timeout_s, char *out, size_t outlen);

/* runner_active - does some process hold the runner lock of spooldir? */
int	runner_active(const char *spooldir);

struct spool {
	char	*dir;
	int	 rootfd, intakefd, queuefd, failedfd, corruptfd;
	int	 lockfd;
};

enum rcpt_status {
	RCPT_PENDING = 0,
	RCPT_DELIVERED = 'D',
	RCPT_FAILED = 'F',
};

#define STATE_ERROR_MAX	512

struct qstate {
	int	 attempts;
	int64_t	 next;		/* unix seconds; 0 = due now */
	char	 error[STATE_ERROR_MAX];	/* last error, printable */
	int	 warned;	/* a delay warning went to the sender */
	size_t	 nrcpts;
	unsigned char *status;	/* enum rcpt_status per recipient */
	char	**reply;	/* relay's reply for done recipients */
};

/* spool_open - open (creating if asked and allowed) the layout.  Without
 * create, only queue/ is required: the relayq group may list the queue
 * without access to the intake. */
int	spool_open(struct spool *, const char *dir, int create, char *why,
	    size_t whylen);
void	spool_close(struct spool *);
/* spool_lock - take the runner lock; 0 taken, 1 busy, -1 error. */
int	spool_lock(struct spool *);
void	spool_unlock(struct spool *);
/* spool_lock_holder - pid written by the current lock holder, or -1. */
pid_t	spool_lock_holder(struct spool *);

/* spool_pickup - move checked m.<id> files into queue/, quarantine bad
 * ones, delete abandoned t.<id>.  Returns how many it queued. */
int	spool_pickup(struct spool *);
/* spool_report_result - if a submitter waits on id (intake/w.<id>),
 * leave it the line as intake/r.<id>. */
void	spool_report_result(struct spool *, const char *id, const char *line);
/* spool_take_flush_request - remove intake/flush; 1 if it was there. */
int	spool_take_flush_request(struct spool *);
/* spool_intake_pending - is there an m.<id> waiting in intake/? */
int	spool_intake_pending(struct spool *);

/* spool_list - the ids in queue/, sorted (= by arrival). */
int	spool_list(struct spool *, char ***ids, size_t *n);
/* spool_list_states - the ids in queue/ that have a state file, sorted:
 * one directory scan instead of a failed open per stateless message. */
int	spool_list_states(struct spool *, char ***ids, size_t *n);
void	spool_list_free(char **ids, size_t n);

/* spool_list_intake - the ids of committed submissions not yet picked
 * up (intake/m.<id>), sorted. */
int	spool_list_intake(struct spool *, char ***ids, size_t *n);
/* spool_open_intake_message - open and parse intake/m.<id>, for listing. */
int	spool_open_intake_message(struct spool *, const char *id, int *fd,
	    struct envelope *, char *why, size_t whylen);

/* spool_open_message - open and parse queue/<id>. */
int	spool_open_message(struct spool *, const char *id, int *fd,
	    struct envelope *, char *why, size_t whylen);

int	state_read(struct spool *, const char *id, size_t nrcpts,
	    struct qstate *);
int	state_write(struct spool *, const char *id, const struct qstate *);
void	state_free(struct qstate *);

/*
 * A smart host that refused the credentials (a 5xx to AUTH): the runner
 * tries no AUTH to it before until, and lists and checks show it.  Kept
 * in queue/ as .auth-refused.<host>:<port>, so it outlives the runner.
 */
struct auth_refusal {
	int64_t	since, until;	/* unix seconds */
	int	count;		/* refusals in a row */
	char	user[256];
	char	reply[700];	/* the relay's reply and the mechanism */
};
/* spool_auth_refusal_read - 1 with ar when there is one, 0 when not,
 * -1 on error. */
int	spool_auth_refusal_read(struct spool *, const char *host, int port,
	    struct auth_refusal *ar);
int	spool_auth_refusal_write(struct spool *, const char *host, int port,
	    const struct auth_refusal *ar);
/* spool_auth_refusal_text - the one line that tells of it, everywhere:
 * "relay H:P refused the credentials of U: REPLY; relayq tries no AUTH
 * there before TIME (N refusals in a row)". */
void	spool_auth_refusal_text(const struct auth_refusal *ar,
	    const char *host, int port, char *out, size_t len);
/* spool_auth_refusal_clear - after a successful AUTH; 0 also when there
 * was none. */
int	spool_auth_refusal_clear(struct spool *, const char *host, int port);

/* spool_queue_new - a message the runner makes itself (a bounce): env's id
 * is chosen here; write_body writes the message to fd.  Committed into
 * queue/ as durably as a submission.  0, or -1 with why. */
int	spool_queue_new(struct spool *, struct envelope *env,
	    int (*write_body)(int fd, void *arg), void *arg, char *why,
	    size_t whylen);

/* spool_clean_debris - remove what a crash can leave in queue/: unfinished
 * notifications (<id>.new) and state temporaries (<id>.tmp) older than an
 * hour, and states whose message is gone. */
void	spool_clean_debris(struct spool *);

/* spool_finish - delivered to all: remove message and state. */
int	spool_finish(struct spool *, const char *id);
/* spool_fail - move message and state to failed/. */
int	spool_fail(struct spool *, const char *id);

#endif
