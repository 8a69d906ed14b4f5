/*
 * queue_list - print the queue; see queue_list.h.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sysexits.h>
#include <time.h>
#include <unistd.h>

#include "envelope.h"
#include "queue_list.h"
#include "spool.h"
#include "util.h"

/* Where a message lies, which decides how it is read and what it is. */
enum where {
	IN_QUEUE,	/* queue/: active or deferred */
	IN_INTAKE,	/* intake/m.<id>: not yet picked up, no state */
	IN_HOLD,	/* hold/: never sent until released */
	IN_FAILED,	/* failed/: kept for the administrator */
};

int
queue_hold_open(struct spool *sp, int create)
{
	struct stat	st;
	int		fd, saved;

	fd = openat(sp->rootfd, QUEUE_HOLD_DIR, O_RDONLY | O_DIRECTORY |
	    O_CLOEXEC | O_NOFOLLOW);
	if (fd == -1 && errno == ENOENT && create) {
		if (mkdirat(sp->rootfd, QUEUE_HOLD_DIR, 0750) == -1 &&
		    errno != EEXIST)
			return -1;
		fd = openat(sp->rootfd, QUEUE_HOLD_DIR, O_RDONLY |
		    O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
		/* Whatever the umask: like queue/ and failed/. */
		if (fd != -1)
			(void)fchmod(fd, 0750);
	}
	if (fd == -1)
		return -1;
	if (fstat(fd, &st) == -1 || (st.st_mode & S_IWOTH)) {
		saved = errno;
		close(fd);
		errno = (st.st_mode & S_IWOTH) ? EPERM : saved;
		return -1;
	}
	return fd;
}

void
queue_view(struct spool *view, const struct spool *sp, int dirfd)
{
	*view = *sp;
	view->queuefd = dirfd;
	view->lockfd = -1;
}

/* The state files of a directory, read in one scan; has_state() is asked
 * about ids in ascending order, so one cursor walks both sorted lists. */
struct states {
	char	**ids;
	size_t	  n, next;
};

static void
states_load(struct spool *view, enum where w, struct states *st)
{
	st->ids = NULL;
	st->n = st->next = 0;
	if (w != IN_INTAKE)
		(void)spool_list_states(view, &st->ids, &st->n);
}

static int
has_state(struct states *st, const char *id)
{
	while (st->next < st->n && strcmp(st->ids[st->next], id) < 0)
		st->next++;
	return st->next < st->n && strcmp(st->ids[st->next], id) == 0;
}

static void
states_free(struct states *st)
{
	spool_list_free(st->ids, st->n);
	st->ids = NULL;
	st->n = st->next = 0;
}

/* The envelope and delivery state of one message; -1 if it went away
 * (delivered or moved meanwhile) or cannot be read. */
static int
load_one(struct spool *sp, int dirfd, enum where w, const char *id,
    struct states *states, struct envelope *env, struct qstate *qs)
{
	struct spool	view;
	char		why[128];
	int		fd, rc;

	queue_view(&view, sp, dirfd);
	rc = w == IN_INTAKE ? spool_open_intake_message(sp, id, &fd, env,
	    why, sizeof(why)) : spool_open_message(&view, id, &fd, env, why,
	    sizeof(why));
	if (rc == -1)
		return -1;
	close(fd);
	if (!has_state(states, id)) {
		memset(qs, 0, sizeof(*qs));
		qs->status = xcalloc(env->nrcpts, 1);
		qs->reply = xcalloc(env->nrcpts, sizeof(char *));
		qs->nrcpts = env->nrcpts;
	} else
		(void)state_read(&view, env->id, env->nrcpts, qs);
	return 0;
}

void
queue_format_age(int64_t secs, char *out, size_t len)
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

/* One message block; intake entries have no delivery state yet, held
 * ones carry a '!' after the id, as in Postfix. */
static int
print_one(struct spool *sp, int dirfd, enum where w, struct states *states,
    FILE *out, const char *id, time_t now, uint64_t *bytes)
{
	struct envelope	 env;
	struct qstate	 qs;
	struct tm	 tm;
	time_t		 arrival;
	char		 when[32], age[32], err[256];
	char		 text[ENVELOPE_VALUE_MAX + 1];
	size_t		 r;

	if (load_one(sp, dirfd, w, id, states, &env, &qs) == -1)
		return 0;
	arrival = (time_t)env.arrival;
	localtime_r(&arrival, &tm);
	strftime(when, sizeof(when), "%a %b %e %H:%M:%S", &tm);
	escape_text(text, sizeof(text), env.sender, strlen(env.sender));
	fprintf(out, "%-20s%c%8" PRIu64 " %-20s %s\n", env.id,
	    w == IN_HOLD ? '!' : ' ', env.msg_len, when,
	    text[0] ? text : "MAILER-DAEMON");
	if (w == IN_HOLD) {
		fprintf(out, "(held: relayq release %s sends it)\n", env.id);
	} else if (qs.error[0]) {
		/* Stored already escaped by the runner: escaping it again
		 * would show a relay's ESC as \x5cx1b. */
		escape_controls(err, sizeof(err), qs.error);
		queue_format_age(qs.next - (int64_t)now, age, sizeof(age));
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

/* Smart hosts that refused the credentials and are waited out: the
 * reason mail for them does not move. */
static void
print_auth_refusals(struct config *cf, struct spool *sp, FILE *out,
    time_t now)
{
	struct auth_refusal	 ar;
	char			 line[800];
	size_t			 h;

	for (h = 0; h < cf->nsmarthosts; h++) {
		const struct smarthost *sh = &cf->smarthosts[h];

		if (sh->user == NULL || spool_auth_refusal_read(sp, sh->host,
		    sh->port, &ar) != 1 || ar.until <= (int64_t)now)
			continue;
		spool_auth_refusal_text(&ar, sh->host, sh->port, line,
		    sizeof(line));
		fprintf(out, "relayq: CREDENTIALS REFUSED: %s\n", line);
	}
}

int
queue_list_print(struct config *cf, FILE *out, char *why, size_t whylen)
{
	struct spool	 sp, hold;
	struct states	 states = { NULL, 0, 0 };
	char		**ids, **new_ids = NULL, **held = NULL;
	size_t		 n, n_new = 0, n_held = 0, i, shown = 0;
	uint64_t	 bytes = 0;
	time_t		 now = time(NULL);
	int		 holdfd;

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
	if ((holdfd = queue_hold_open(&sp, 0)) != -1) {
		queue_view(&hold, &sp, holdfd);
		(void)spool_list(&hold, &held, &n_held);
	}
	if (cf->nsmarthosts == 0)
		fprintf(out, "relayq: no smart host configured in %s: mail "
		    "is queued until one is\n", cf->path);
	print_auth_refusals(cf, &sp, out, now);
	if (n == 0 && n_new == 0 && n_held == 0) {
		fprintf(out, "Mail queue is empty\n");
		goto done;
	}
	/* Postfix's layout, which people and scripts already read. */
	fprintf(out, "%-20s %8s %-20s %s\n", "-Queue ID-", "--Size--",
	    "----Arrival Time----", "-Sender/Recipient-------");
	states_load(&sp, IN_QUEUE, &states);
	for (i = 0; i < n; i++)
		shown += print_one(&sp, sp.queuefd, IN_QUEUE, &states, out,
		    ids[i], now, &bytes);
	states_free(&states);
	for (i = 0; i < n_new; i++)
		shown += print_one(&sp, -1, IN_INTAKE, &states, out,
		    new_ids[i], now, &bytes);
	if (holdfd != -1)
		states_load(&hold, IN_HOLD, &states);
	for (i = 0; i < n_held; i++)
		shown += print_one(&sp, holdfd, IN_HOLD, &states, out,
		    held[i], now, &bytes);
	states_free(&states);
	fprintf(out, "-- %" PRIu64 " Kbytes in %zu Request%s.\n",
	    (bytes + 1023) / 1024, shown, shown == 1 ? "" : "s");
done:
	spool_list_free(ids, n);
	spool_list_free(new_ids, n_new);
	spool_list_free(held, n_held);
	if (holdfd != -1)
		close(holdfd);
	spool_close(&sp);
	return EX_OK;
}

/* Length of the valid UTF-8 sequence at s (RFC 3629: no overlong forms,
 * no surrogates, nothing past U+10FFFF), or 0 if there is none. */
static size_t
utf8_len(const unsigned char *s, size_t len)
{
	unsigned char	lo = 0x80, hi = 0xbf;
	size_t		need, i;

	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		need = 1;
	else if (s[0] >= 0xe0 && s[0] <= 0xef) {
		need = 2;
		if (s[0] == 0xe0)
			lo = 0xa0;
		else if (s[0] == 0xed)
			hi = 0x9f;
	} else if (s[0] >= 0xf0 && s[0] <= 0xf4) {
		need = 3;
		if (s[0] == 0xf0)
			lo = 0x90;
		else if (s[0] == 0xf4)
			hi = 0x8f;
	} else
		return 0;
	if (len < need + 1)
		return 0;
	for (i = 1; i <= need; i++) {
		if (s[i] < lo || s[i] > hi)
			return 0;
		lo = 0x80;
		hi = 0xbf;
	}
	return need + 1;
}

void
json_put_string(FILE *out, const char *s, size_t len)
{
	const unsigned char	*p = (const unsigned char *)s;
	size_t			 i = 0, n;

	fputc('"', out);
	while (i < len) {
		if (p[i] == '"' || p[i] == '\\') {
			fputc('\\', out);
			fputc(p[i], out);
			i++;
		} else if (p[i] < 0x20 || p[i] == 0x7f) {
			fprintf(out, "\\u%04x", p[i]);
			i++;
		} else if ((n = utf8_len(p + i, len - i)) == 0) {
			fputs("\\ufffd", out);
			i++;
		} else {
			fwrite(p + i, 1, n, out);
			i += n;
		}
	}
	fputc('"', out);
}

static void
json_put_str_or_null(FILE *out, const char *s)
{
	if (s == NULL || *s == '\0')
		fputs("null", out);
	else
		json_put_string(out, s, strlen(s));
}

static int
json_one(struct spool *sp, int dirfd, enum where w, struct states *states,
    FILE *out, const char *id, time_t now, int first)
{
	static const char *const state_names[] = {
		[IN_QUEUE] = "active", [IN_INTAKE] = "new",
		[IN_HOLD] = "held", [IN_FAILED] = "failed",
	};
	struct envelope	 env;
	struct qstate	 qs;
	const char	*state = state_names[w], *status;
	size_t		 r;

	if (load_one(sp, dirfd, w, id, states, &env, &qs) == -1)
		return 0;
	if (w == IN_QUEUE && qs.next > (int64_t)now)
		state = "deferred";
	fprintf(out, "%s{\"id\": \"%s\", \"state\": \"%s\", \"size\": %"
	    PRIu64 ", \"arrival\": %" PRId64 ", \"sender\": ",
	    first ? "\n" : ",\n", env.id, state, env.msg_len, env.arrival);
	json_put_string(out, env.sender, strlen(env.sender));
	fputs(", \"recipients\": [", out);
	for (r = 0; r < env.nrcpts; r++) {
		status = qs.status[r] == RCPT_DELIVERED ? "delivered" :
		    qs.status[r] == RCPT_FAILED ? "failed" : "pending";
		fprintf(out, "%s{\"address\": ", r ? ", " : "");
		json_put_string(out, env.rcpts[r], strlen(env.rcpts[r]));
		fprintf(out, ", \"status\": \"%s\", \"reply\": ", status);
		json_put_str_or_null(out, qs.reply[r]);
		fputc('}', out);
	}
	fprintf(out, "], \"attempts\": %d, \"next_attempt\": ", qs.attempts);
	if (w == IN_HOLD || w == IN_FAILED)
		fputs("null", out);
	else
		fprintf(out, "%" PRId64, qs.next);
	fputs(", \"last_error\": ", out);
	json_put_str_or_null(out, qs.error);
	fputc('}', out);
	state_free(&qs);
	envelope_free(&env);
	return 1;
}

int
queue_list_json(struct config *cf, FILE *out, char *why, size_t whylen)
{
	struct spool	  sp, view;
	struct states	  states;
	char		**ids;
	size_t		  n, i;
	time_t		  now = time(NULL);
	int		  holdfd, shown = 0, k;
	struct {
		enum where	w;
		int		fd;
	} dirs[4];

	if (spool_open(&sp, cf->queue_dir, 0, why, whylen) == -1)
		return errno == EACCES ? EX_NOPERM : EX_TEMPFAIL;
	holdfd = queue_hold_open(&sp, 0);
	dirs[0].w = IN_QUEUE;
	dirs[0].fd = sp.queuefd;
	dirs[1].w = IN_INTAKE;
	dirs[1].fd = sp.intakefd;
	dirs[2].w = IN_HOLD;
	dirs[2].fd = holdfd;
	dirs[3].w = IN_FAILED;
	dirs[3].fd = sp.failedfd;
	/* Only queue/ must be readable; the others add what they can. */
	queue_view(&view, &sp, sp.queuefd);
	if (spool_list(&view, &ids, &n) == -1) {
		snprintf(why, whylen, "cannot read %s/queue: %s", sp.dir,
		    strerror(errno));
		if (holdfd != -1)
			close(holdfd);
		spool_close(&sp);
		return errno == EACCES ? EX_NOPERM : EX_TEMPFAIL;
	}
	fputs("[", out);
	for (k = 0; k < 4; k++) {
		if (k > 0) {
			if (dirs[k].fd == -1)
				continue;
			queue_view(&view, &sp, dirs[k].fd);
			if ((dirs[k].w == IN_INTAKE ? spool_list_intake(&sp,
			    &ids, &n) : spool_list(&view, &ids, &n)) == -1)
				continue;
		}
		states_load(&view, dirs[k].w, &states);
		for (i = 0; i < n; i++)
			shown += json_one(&sp, dirs[k].fd, dirs[k].w, &states,
			    out, ids[i], now, shown == 0);
		states_free(&states);
		spool_list_free(ids, n);
	}
	fputs(shown ? "\n]\n" : "]\n", out);
	if (holdfd != -1)
		close(holdfd);
	spool_close(&sp);
	if (fflush(out) != 0 || ferror(out)) {
		snprintf(why, whylen, "cannot write the listing: %s",
		    strerror(errno));
		return EX_IOERR;
	}
	return EX_OK;
}
