/*
 * queue_list - print the queue; see queue_list.h.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sysexits.h>
#include <time.h>
#include <unistd.h>

#include "envelope.h"
#include "queue_list.h"
#include "spool.h"
#include "util.h"

static void
format_age(int64_t secs, char *out, size_t len)
{
	if (secs < 0)
		secs = 0;
	if (secs < 120)
		snprintf(out, len, "%" PRId64 "s", secs);
	else if (secs < 7200)
		snprintf(out, len, "%" PRId64 "m", secs / 60);
	else if (secs < 172800)
		snprintf(out, len, "%" PRId64 "h", secs / 3600);
	else
		snprintf(out, len, "%" PRId64 "d", secs / 86400);
}

int
queue_list_print(struct config *cf, FILE *out, char *why, size_t whylen)
{
	struct spool	 sp;
	struct envelope	 env;
	struct qstate	 qs;
	char		**ids, age[32], err[256], rcpt[ENVELOPE_VALUE_MAX + 1];
	size_t		 n, i, r, shown = 0;
	uint64_t	 bytes = 0;
	time_t		 now = time(NULL);
	int		 fd;

	if (spool_open(&sp, cf->queue_dir, 0, why, whylen) == -1)
		return errno == EACCES ? EX_NOPERM : EX_TEMPFAIL;
	if (spool_list(&sp, &ids, &n) == -1) {
		snprintf(why, whylen, "cannot read %s/queue: %s", sp.dir,
		    strerror(errno));
		spool_close(&sp);
		return errno == EACCES ? EX_NOPERM : EX_TEMPFAIL;
	}
	if (cf->nsmarthosts == 0)
		fprintf(out, "relayq: no smart host configured in %s: mail "
		    "is queued until one is\n", cf->path);
	if (n == 0 && !spool_intake_pending(&sp)) {
		fprintf(out, "Mail queue is empty\n");
		goto done;
	}
	fprintf(out, "%-20s %10s %5s  %s\n", "Queue ID", "Size", "Age",
	    "Sender / Recipients");
	for (i = 0; i < n; i++) {
		char ewhy[128];

		if (spool_open_message(&sp, ids[i], &fd, &env, ewhy,
		    sizeof(ewhy)) == -1)
			continue;	/* delivered or moved meanwhile */
		close(fd);
		state_read(&sp, env.id, env.nrcpts, &qs);
		format_age(now - env.arrival, age, sizeof(age));
		escape_text(rcpt, sizeof(rcpt), env.sender, strlen(env.sender));
		fprintf(out, "%-20s %10" PRIu64 " %5s  %s\n", env.id,
		    env.msg_len, age, rcpt[0] ? rcpt : "<>");
		if (qs.error[0]) {
			escape_text(err, sizeof(err), qs.error,
			    strlen(qs.error));
			fprintf(out, "%39s(%s; attempt %d, next in %" PRId64
			    "s)\n", "", err, qs.attempts,
			    qs.next > now ? qs.next - (int64_t)now : 0);
		}
		for (r = 0; r < env.nrcpts; r++) {
			if (qs.status[r] == RCPT_DELIVERED)
				continue;
			escape_text(rcpt, sizeof(rcpt), env.rcpts[r],
			    strlen(env.rcpts[r]));
			fprintf(out, "%39s%s\n", "", rcpt);
		}
		fputc('\n', out);
		bytes += env.msg_len;
		shown++;
		state_free(&qs);
		envelope_free(&env);
	}
	if (spool_intake_pending(&sp))
		fprintf(out, "(more mail is waiting for the runner to pick "
		    "it up)\n");
	fprintf(out, "-- %" PRIu64 " Kbytes in %zu Request%s.\n",
	    (bytes + 1023) / 1024, shown, shown == 1 ? "" : "s");
done:
	spool_list_free(ids, n);
	spool_close(&sp);
	return EX_OK;
}
