/*
 * runstate - the runner's short record of how delivery goes, read by
 * relayq status: <spool>/status.
 *
 * Written only by the runner that holds the spool lock, so there is one
 * writer at a time: at its start (pid, mode) and after every pass that
 * tried to deliver.  Each write is a new file renamed over the old one,
 * so a reader never sees half of it; it is not fsynced, because it is
 * information about mail, not mail, and a crash may at worst lose the
 * last pass's news.  One "key value" per line; readers ignore keys they
 * do not know, so the record can grow.  Text in it (replies, errors) is
 * printable: escaped before it is stored.
 */
#ifndef RELAYQ_RUNSTATE_H
#define RELAYQ_RUNSTATE_H

#include <stdint.h>

#define RUNSTATE_FILE	"status"
#define RUNSTATE_TEXT	512

struct runstate {
	long	 pid;			/* the runner that wrote it */
	char	 mode[16];		/* "daemon", "on-demand", "once" */
	int64_t	 started;		/* unix seconds; 0: never */
	int64_t	 last_pass;		/* end of the last pass that tried */
	int64_t	 success_time;		/* a relay last accepted mail */
	char	 success_relay[RUNSTATE_TEXT];
	int64_t	 error_time;		/* the last delivery problem */
	char	 error_relay[RUNSTATE_TEXT];
	char	 error[RUNSTATE_TEXT];
	int	 credentials;		/* it was refused credentials or an
					 * unreadable secret */
	int	 error_last;		/* the error came after the success */
};

/* runstate_read - the record under spool root rootfd; 0, or -1 with errno
 * (ENOENT: no runner wrote one yet).  Unset fields are zero. */
int	runstate_read(int rootfd, struct runstate *rs);

/* runstate_write - replace the record; 0, or -1 with errno. */
int	runstate_write(int rootfd, const struct runstate *rs);

#endif
