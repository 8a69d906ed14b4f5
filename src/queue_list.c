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

/* One message block; intake entries have no delivery state yet. */
static int
print_one(struct spool *sp, FILE *out, const char *id, int picked_up,
    time_t now, uint64_t *bytes)
{
	struct envelope	 env;
	struct qstate	 qs;
	struct tm	 tm;
	time_t		 arrival;
	char		 why[128], when[32], age[32], err[256];
	char		 text[ENVELOPE_VALUE_MAX + 1];
	size_t		 r;
	int		 fd, rc;

	rc = picked_up ? spool_open_message(sp, id, &fd, &env, why,
	    sizeof(why)) : spool_open_intake_message(sp, id, &fd, &env, why,
	    sizeof(why));
	if (rc == -1)
		return 0;	/* delivered or moved meanwhile */
	close(fd);
	if (picked_up)
		state_read(sp, env.id, env.nrcpts, &qs);
	else {
		memset(&qs, 0, sizeof(qs));
		qs.status = xcalloc(env.nrcpts, 1);
		qs.reply = xcalloc(env.nrcpts, sizeof(char *));
		qs.nrcpts = env.nrcpts;
	}
	arrival = (time_t)env.arrival;
	localtime_r(&arrival, &tm);
	strftime(when, sizeof(when), "%a %b %e %H:%M:%S", &tm);
	escape_text(text, sizeof(text), env.sender, strlen(env.sender));
	fprintf(out, "%-20s %8" PRIu64 " %-20s %s\n", env.id, env.msg_len,
	    when, text[0] ? text : "MAILER-DAEMON");
	if (qs.error[0]) {
		escape_text(err, sizeof(err), qs.error, strlen(qs.error));
		format_age(qs.next - (int64_t)now, age, sizeof(age));
		fprintf(out, "(%s; attempt %d, next in %s)\n", err,
		    qs.attempts, age);
	}
	for (r = 0; r < env.nrcpts; r++) {
		if (qs.status[r] == RCPT_DELIVERED)
			continue;
		escape_text(text, sizeof(text), env.rcpts[r],
		    strlen(env.rcpts[r]));
		fprintf(out, "%51s%s\n", "", text);
	}
	fputc('\n', out);
	*bytes += env.msg_len;
	state_free(&qs);
	envelope_free(&env);
	return 1;
}

int
queue_list_print(struct config *cf, FILE *out, char *why, size_t whylen)
{
	struct spool	 sp;
	char		**ids, **new_ids = NULL;
	size_t		 n, n_new = 0, i, shown = 0;
	uint64_t	 bytes = 0;
	time_t		 now = time(NULL);

	if (spool_open(&sp, cf->queue_dir, 0, why, whylen) == -1)
		return errno == EACCES ? EX_NOPERM : EX_TEMPFAIL;
	if (spool_list(&sp, &ids, &n) == -1) {
		snprintf(why, whylen, "cannot read %s/queue: %s", sp.dir,
		    strerror(errno));
		spool_close(&sp);
		return errno == EACCES ? EX_NOPERM : EX_TEMPFAIL;
	}
	/* Without access to the intake, the queue proper is still worth
	 * showing. */
	(void)spool_list_intake(&sp, &new_ids, &n_new);
	if (cf->nsmarthosts == 0)
		fprintf(out, "relayq: no smart host configured in %s: mail "
		    "is queued until one is\n", cf->path);
	if (n == 0 && n_new == 0) {
		fprintf(out, "Mail queue is empty\n");
		goto done;
	}
	/* Postfix's layout, which people and scripts already read. */
	fprintf(out, "%-20s %8s %-20s %s\n", "-Queue ID-", "--Size--",
	    "----Arrival Time----", "-Sender/Recipient-------");
	for (i = 0; i < n; i++)
		shown += print_one(&sp, out, ids[i], 1, now, &bytes);
	for (i = 0; i < n_new; i++)
		shown += print_one(&sp, out, new_ids[i], 0, now, &bytes);
	fprintf(out, "-- %" PRIu64 " Kbytes in %zu Request%s.\n",
	    (bytes + 1023) / 1024, shown, shown == 1 ? "" : "s");
done:
	spool_list_free(ids, n);
	spool_list_free(new_ids, n_new);
	spool_close(&sp);
	return EX_OK;
}
