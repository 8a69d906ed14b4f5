/*
 * status - relayq status; see status.h.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <time.h>
#include <unistd.h>

#include "conf.h"
#include "envelope.h"
#include "queue_list.h"
#include "runstate.h"
#include "spool.h"
#include "status.h"
#include "util.h"

/* Monitoring defaults: more queued messages than this, or an oldest
 * message older than this, is a WARNING or CRITICAL. */
#define DEFAULT_QUEUED_WARNING		50
#define DEFAULT_QUEUED_CRITICAL		200
#define DEFAULT_AGE_WARNING		3600
#define DEFAULT_AGE_CRITICAL		(8 * 3600)

/* Monitoring plugin exit codes. */
enum mon_state { MON_OK, MON_WARNING, MON_CRITICAL, MON_UNKNOWN };

enum runner_state {
	RS_UNKNOWN,		/* the lock cannot be read by this caller */
	RS_STOPPED,
	RS_SERVICE,		/* relayq-runner --daemon, relayq run --daemon */
	RS_ON_DEMAND,		/* started by sendmail */
	RS_ONCE,		/* relayq run, flush, send-test */
	RS_RUNNING,		/* a lock holder whose mode is not on record */
};

struct snapshot {
	enum runner_state	 runner;
	long			 pid;
	long			 intake;	/* -1: not readable */
	long			 queued, deferred, held, failed, corrupt;
	char			 oldest_id[QUEUE_ID_LEN + 1];
	int64_t			 oldest;	/* arrival; 0: none */
	int			 have_record;
	struct runstate		 rs;
	int64_t			 now;
};

struct status_opts {
	int	json, monitoring;
	long	qwarn, qcrit;
	int64_t	awarn, acrit;
};

static long
count_entries(int dirfd)
{
	struct dirent	*de;
	DIR		*d;
	long		 n = 0;
	int		 fd;

	if (dirfd == -1 || (fd = dup(dirfd)) == -1)
		return 0;
	if ((d = fdopendir(fd)) == NULL) {
		close(fd);
		return 0;
	}
	rewinddir(d);
	while ((de = readdir(d)) != NULL)
		if (de->d_name[0] != '.')
			n++;
	closedir(d);
	return n;
}

/* The ids in a view's queue directory; -1 if it cannot be read. */
static long
count_ids(struct spool *view)
{
	char	**ids;
	size_t	  n;

	if (view->queuefd == -1 || spool_list(view, &ids, &n) == -1)
		return 0;
	spool_list_free(ids, n);
	return (long)n;
}

/* A message's arrival from its envelope, which no touch can change. */
static void
consider_oldest(struct snapshot *s, struct spool *sp, const char *id,
    int intake)
{
	struct envelope	env;
	char		why[128];
	int		fd;

	if ((intake ? spool_open_intake_message(sp, id, &fd, &env, why,
	    sizeof(why)) : spool_open_message(sp, id, &fd, &env, why,
	    sizeof(why))) == -1)
		return;
	close(fd);
	if (s->oldest == 0 || env.arrival < s->oldest) {
		s->oldest = env.arrival;
		memcpy(s->oldest_id, env.id, sizeof(s->oldest_id));
	}
	envelope_free(&env);
}

static void
probe_runner(struct snapshot *s, struct spool *sp)
{
	pid_t	holder;

	if (sp->intakefd == -1) {
		/* No access to the lock: every runner records its pid as it
		 * starts, so the record's pid, alive or not, tells. */
		if (!s->have_record || s->rs.pid < 2) {
			s->runner = RS_UNKNOWN;
			return;
		}
		if (kill((pid_t)s->rs.pid, 0) == -1 && errno != EPERM) {
			s->runner = RS_STOPPED;
			return;
		}
		s->pid = s->rs.pid;
		holder = (pid_t)s->pid;
	} else {
		if (!runner_active(sp->dir)) {
			s->runner = RS_STOPPED;
			return;
		}
		holder = spool_lock_holder(sp);
		s->pid = holder > 0 ? (long)holder : 0;
	}
	s->runner = RS_RUNNING;
	if (s->have_record && s->rs.pid == (long)holder) {
		if (strcmp(s->rs.mode, "daemon") == 0)
			s->runner = RS_SERVICE;
		else if (strcmp(s->rs.mode, "on-demand") == 0)
			s->runner = RS_ON_DEMAND;
		else if (strcmp(s->rs.mode, "once") == 0)
			s->runner = RS_ONCE;
	}
}

static int
take_snapshot(struct config *cf, struct snapshot *s, char *why,
    size_t whylen)
{
	struct spool	  sp, view;
	struct qstate	  qs;
	char		**ids;
	size_t		  n, i;
	int		  holdfd, saved;

	memset(s, 0, sizeof(*s));
	s->now = (int64_t)time(NULL);
	if (spool_open(&sp, cf->queue_dir, 0, why, whylen) == -1)
		return errno == EACCES ? EX_NOPERM : EX_TEMPFAIL;
	if (spool_list(&sp, &ids, &n) == -1) {
		saved = errno;
		snprintf(why, whylen, "cannot read %s/queue: %s", sp.dir,
		    strerror(saved));
		spool_close(&sp);
		return saved == EACCES ? EX_NOPERM : EX_TEMPFAIL;
	}
	s->queued = (long)n;
	for (i = 0; i < n; i++) {
		/* Only the retry time matters here: no recipients needed. */
		if (state_read(&sp, ids[i], 0, &qs) == 0 &&
		    qs.next > s->now)
			s->deferred++;
		state_free(&qs);
	}
	/* Sorted by arrival: the first is the oldest. */
	if (n > 0)
		consider_oldest(s, &sp, ids[0], 0);
	spool_list_free(ids, n);
	s->intake = -1;
	if (sp.intakefd != -1 && spool_list_intake(&sp, &ids, &n) == 0) {
		s->intake = (long)n;
		if (n > 0)
			consider_oldest(s, &sp, ids[0], 1);
		spool_list_free(ids, n);
	}
	if ((holdfd = queue_hold_open(&sp, 0)) != -1) {
		queue_view(&view, &sp, holdfd);
		s->held = count_ids(&view);
		close(holdfd);
	}
	queue_view(&view, &sp, sp.failedfd);
	s->failed = count_ids(&view);
	s->corrupt = count_entries(sp.corruptfd);
	s->have_record = runstate_read(sp.rootfd, &s->rs) == 0;
	probe_runner(s, &sp);
	spool_close(&sp);
	return EX_OK;
}

/* Is the last thing the runner heard a refusal of our credentials? */
static int
credentials_refused(const struct snapshot *s)
{
	return s->have_record && s->rs.credentials && s->rs.error_time &&
	    (s->rs.error_time > s->rs.success_time ||
	    (s->rs.error_time == s->rs.success_time && s->rs.error_last));
}

static const char *
runner_key(enum runner_state r)
{
	switch (r) {
	case RS_STOPPED:	return "not-running";
	case RS_SERVICE:	return "service";
	case RS_ON_DEMAND:	return "on-demand";
	case RS_ONCE:		return "queue-run";
	case RS_RUNNING:	return "running";
	default:		return "unknown";
	}
}

static const char *
runner_words(enum runner_state r)
{
	switch (r) {
	case RS_STOPPED:	return "not running";
	case RS_SERVICE:	return "running as a service";
	case RS_ON_DEMAND:	return "running on demand";
	case RS_ONCE:		return "running a queue run";
	case RS_RUNNING:	return "running";
	default:		return "unknown (the runner lock is not "
				    "readable for this user)";
	}
}

static void
format_when(int64_t t, int64_t now, char *out, size_t len)
{
	struct tm	tm;
	time_t		tt = (time_t)t;
	char		date[32], age[32];

	if (localtime_r(&tt, &tm) == NULL ||
	    strftime(date, sizeof(date), "%Y-%m-%d %H:%M:%S", &tm) == 0)
		snprintf(date, sizeof(date), "%" PRId64, t);
	queue_format_age(now - t, age, sizeof(age));
	snprintf(out, len, "%s (%s ago)", date, age);
}

static void
print_text(struct config *cf, const struct snapshot *s, FILE *out)
{
	char	when[96], age[32];
	size_t	h;

	fprintf(out, "configuration: %s%s\n", cf->path, cf->file_found ? "" :
	    " (not found: the built-in defaults apply)");
	if (cf->nsmarthosts == 0)
		fprintf(out, "smart host:    none configured: mail is queued "
		    "until one is\n");
	for (h = 0; h < cf->nsmarthosts; h++) {
		const struct smarthost *sh = &cf->smarthosts[h];

		fprintf(out, "%-15s%s:%d, tls = %s%s, %s%s\n", h == 0 ?
		    "smart host:" : "", sh->host, sh->port,
		    tls_mode_name(sh->tls), conf_tls_warning(sh),
		    sh->user ? "user " : "no AUTH", sh->user ? sh->user : "");
	}
	fprintf(out, "runner:        %s", runner_words(s->runner));
	if (s->pid > 0)
		fprintf(out, " (pid %ld)", s->pid);
	fputc('\n', out);
	fprintf(out, "queue:         %ld queued (%ld deferred), ", s->queued,
	    s->deferred);
	if (s->intake >= 0)
		fprintf(out, "%ld new, ", s->intake);
	fprintf(out, "%ld held, %ld failed, %ld corrupt\n", s->held,
	    s->failed, s->corrupt);
	if (s->oldest) {
		queue_format_age(s->now - s->oldest, age, sizeof(age));
		fprintf(out, "oldest:        %s (%s)\n", age, s->oldest_id);
	}
	if (s->have_record && s->rs.success_time) {
		format_when(s->rs.success_time, s->now, when, sizeof(when));
		fprintf(out, "last success:  %s via %s\n", when,
		    s->rs.success_relay);
	} else
		fprintf(out, "last success:  none on record\n");
	if (s->have_record && s->rs.error_time) {
		format_when(s->rs.error_time, s->now, when, sizeof(when));
		fprintf(out, "last error:    %s via %s: %s\n", when,
		    s->rs.error_relay, s->rs.error);
	} else
		fprintf(out, "last error:    none on record\n");
	if (credentials_refused(s))
		fprintf(out, "WARNING: the last attempt failed on the "
		    "credentials: fix the user or the secret, then relayq "
		    "check\n");
	if (s->failed > 0)
		fprintf(out, "WARNING: %ld message%s in failed/ (relayq queue "
		    "--json lists them; relayq requeue or delete)\n",
		    s->failed, s->failed == 1 ? "" : "s");
}

static void
json_str(FILE *out, const char *s)
{
	if (s == NULL)
		fputs("null", out);
	else
		json_put_string(out, s, strlen(s));
}

/* ",\n "key": " and null, or the start of an object the caller ends. */
static int
json_event(FILE *out, const char *key, int64_t when, const char *relay)
{
	fprintf(out, ",\n \"%s\": ", key);
	if (when == 0) {
		fputs("null", out);
		return 0;
	}
	fprintf(out, "{\"time\": %" PRId64 ", \"relay\": ", when);
	json_str(out, relay);
	return 1;
}

static void
print_json(struct config *cf, const struct snapshot *s, FILE *out)
{
	size_t	h;

	fputs("{\"config\": ", out);
	json_str(out, cf->path);
	fprintf(out, ", \"config_found\": %s, \"queue_dir\": ",
	    cf->file_found ? "true" : "false");
	json_str(out, cf->queue_dir);
	fputs(",\n \"relays\": [", out);
	for (h = 0; h < cf->nsmarthosts; h++) {
		const struct smarthost *sh = &cf->smarthosts[h];

		fprintf(out, "%s{\"host\": ", h ? ", " : "");
		json_str(out, sh->host);
		fprintf(out, ", \"port\": %d, \"tls\": \"%s\", "
		    "\"tls_verify\": %s, \"user\": ", sh->port,
		    tls_mode_name(sh->tls), sh->tls == TLS_MODE_NONE ||
		    sh->tls_verify ? "true" : "false");
		json_str(out, sh->user);
		fputc('}', out);
	}
	fprintf(out, "],\n \"runner\": {\"state\": \"%s\", \"pid\": ",
	    runner_key(s->runner));
	if (s->pid > 0)
		fprintf(out, "%ld}", s->pid);
	else
		fputs("null}", out);
	fputs(",\n \"counts\": {\"intake\": ", out);
	if (s->intake >= 0)
		fprintf(out, "%ld", s->intake);
	else
		fputs("null", out);
	fprintf(out, ", \"queued\": %ld, \"deferred\": %ld, \"held\": %ld, "
	    "\"failed\": %ld, \"corrupt\": %ld},\n \"oldest\": ", s->queued,
	    s->deferred, s->held, s->failed, s->corrupt);
	if (s->oldest)
		fprintf(out, "{\"id\": \"%s\", \"arrival\": %" PRId64
		    ", \"age\": %" PRId64 "}", s->oldest_id, s->oldest,
		    s->now - s->oldest);
	else
		fputs("null", out);
	if (json_event(out, "last_success", s->rs.success_time,
	    s->rs.success_relay))
		fputc('}', out);
	if (json_event(out, "last_error", s->rs.error_time,
	    s->rs.error_relay)) {
		fputs(", \"error\": ", out);
		json_str(out, s->rs.error);
		fprintf(out, ", \"credentials_refused\": %s}",
		    credentials_refused(s) ? "true" : "false");
	}
	fputs(",\n \"last_pass\": ", out);
	if (s->have_record && s->rs.last_pass)
		fprintf(out, "%" PRId64, s->rs.last_pass);
	else
		fputs("null", out);
	fprintf(out, ", \"time\": %" PRId64 "}\n", s->now);
}

static const char *const mon_names[] = {
	"OK", "WARNING", "CRITICAL", "UNKNOWN",
};

static void
raise_to(enum mon_state *st, enum mon_state to)
{
	if (to > *st)
		*st = to;
}

static int
monitor(struct config *cf, const struct snapshot *s,
    const struct status_opts *o, FILE *out)
{
	enum mon_state	 st = MON_OK;
	char		 text[512], age[32], lim[32];
	int64_t		 oldest = s->oldest ? s->now - s->oldest : 0;
	long		 queued = s->queued + (s->intake > 0 ? s->intake : 0);
	size_t		 len;

	if (oldest < 0)
		oldest = 0;
	/* New mail counts: it waits to be sent as much as the rest. */
	len = (size_t)snprintf(text, sizeof(text), "%ld queued", queued);
	if (queued > o->qcrit || queued > o->qwarn) {
		raise_to(&st, queued > o->qcrit ? MON_CRITICAL : MON_WARNING);
		len += (size_t)snprintf(text + len, sizeof(text) - len,
		    " (more than %ld)", queued > o->qcrit ? o->qcrit :
		    o->qwarn);
	}
	if (s->oldest) {
		queue_format_age(oldest, age, sizeof(age));
		len += (size_t)snprintf(text + len, sizeof(text) - len,
		    ", oldest %s", age);
		if (oldest > o->acrit || oldest > o->awarn) {
			raise_to(&st, oldest > o->acrit ? MON_CRITICAL :
			    MON_WARNING);
			queue_format_age(oldest > o->acrit ? o->acrit :
			    o->awarn, lim, sizeof(lim));
			len += (size_t)snprintf(text + len, sizeof(text) - len,
			    " (older than %s)", lim);
		}
	}
	if (s->failed > 0) {
		raise_to(&st, MON_WARNING);
		len += (size_t)snprintf(text + len, sizeof(text) - len,
		    ", %ld failed", s->failed);
	}
	if (s->corrupt > 0) {
		raise_to(&st, MON_WARNING);
		len += (size_t)snprintf(text + len, sizeof(text) - len,
		    ", %ld corrupt", s->corrupt);
	}
	if (credentials_refused(s)) {
		raise_to(&st, MON_WARNING);
		len += (size_t)snprintf(text + len, sizeof(text) - len,
		    ", credentials refused by %s", s->rs.error_relay);
	}
	if (cf->nsmarthosts == 0) {
		raise_to(&st, MON_WARNING);
		(void)snprintf(text + len, sizeof(text) - len,
		    ", no smart host configured");
	}
	fprintf(out, "RELAYQ %s - %s | queued=%ld;%ld;%ld;0 held=%ld "
	    "failed=%ld oldest=%" PRId64 "s;%" PRId64 ";%" PRId64 ";0\n",
	    mon_names[st], text, queued, o->qwarn, o->qcrit, s->held,
	    s->failed, oldest, o->awarn, o->acrit);
	return (int)st;
}

/* A usage error or a broken setup, as the monitoring system reads it. */
static int
unknown(FILE *out, const char *what)
{
	char	esc[600];

	escape_text(esc, sizeof(esc), what, strlen(what));
	fprintf(out, "RELAYQ UNKNOWN - %s\n", esc);
	return MON_UNKNOWN;
}

static int
parse_opts(char **args, int nargs, struct status_opts *o, char *why,
    size_t whylen)
{
	uint64_t	v;
	int		i, thresholds = 0;
	const char	*opt, *val;

	memset(o, 0, sizeof(*o));
	o->qwarn = DEFAULT_QUEUED_WARNING;
	o->qcrit = DEFAULT_QUEUED_CRITICAL;
	o->awarn = DEFAULT_AGE_WARNING;
	o->acrit = DEFAULT_AGE_CRITICAL;
	for (i = 0; i < nargs; i++) {
		opt = args[i];
		if (strcmp(opt, "--json") == 0) {
			o->json = 1;
			continue;
		}
		if (strcmp(opt, "--monitoring") == 0) {
			o->monitoring = 1;
			continue;
		}
		if (strcmp(opt, "-w") != 0 && strcmp(opt, "-c") != 0 &&
		    strcmp(opt, "--age-warning") != 0 &&
		    strcmp(opt, "--age-critical") != 0) {
			snprintf(why, whylen, "unknown option %.100s", opt);
			return -1;
		}
		if (i + 1 >= nargs) {
			snprintf(why, whylen, "%s needs a value", opt);
			return -1;
		}
		val = args[++i];
		thresholds = 1;
		if (opt[1] == 'w' || opt[1] == 'c') {
			if (parse_u64(val, 100000000, &v) == -1) {
				snprintf(why, whylen, "%s: '%.100s' is not a "
				    "number of messages", opt, val);
				return -1;
			}
			*(opt[1] == 'w' ? &o->qwarn : &o->qcrit) = (long)v;
		} else if (conf_parse_duration(val, strcmp(opt,
		    "--age-warning") == 0 ? &o->awarn : &o->acrit) == -1) {
			snprintf(why, whylen, "%s: '%.100s' is not a duration "
			    "(e.g. 30m, 2h, 1d)", opt, val);
			return -1;
		}
	}
	if (o->json && o->monitoring) {
		snprintf(why, whylen, "--json and --monitoring exclude each "
		    "other");
		return -1;
	}
	if (thresholds && !o->monitoring) {
		snprintf(why, whylen, "thresholds need --monitoring");
		return -1;
	}
	if (o->qwarn > o->qcrit || o->awarn > o->acrit) {
		snprintf(why, whylen, "a warning threshold above its critical "
		    "one");
		return -1;
	}
	return 0;
}

int
status_main(const char *config, int must_exist, char **args, int nargs,
    FILE *out)
{
	struct status_opts	o;
	struct snapshot		s;
	struct config		cf;
	char			why[1024];
	int			code;

	if (parse_opts(args, nargs, &o, why, sizeof(why)) == -1) {
		/* The monitoring system shows stdout: say it there. */
		for (code = 0; code < nargs; code++)
			if (strcmp(args[code], "--monitoring") == 0)
				return unknown(out, why);
		fprintf(stderr, "relayq status: %s\n", why);
		return EX_USAGE;
	}
	if (conf_load(config, must_exist, &cf, why, sizeof(why)) == -1) {
		if (o.monitoring)
			return unknown(out, why);
		fprintf(stderr, "relayq: %s\n", why);
		return EX_CONFIG;
	}
	if ((code = take_snapshot(&cf, &s, why, sizeof(why))) != EX_OK) {
		if (o.monitoring)
			code = unknown(out, why);
		else
			fprintf(stderr, "relayq: %s\n", why);
		conf_free(&cf);
		return code;
	}
	if (o.monitoring)
		code = monitor(&cf, &s, &o, out);
	else if (o.json)
		print_json(&cf, &s, out);
	else
		print_text(&cf, &s, out);
	conf_free(&cf);
	if (fflush(out) != 0 && code == EX_OK)
		code = EX_IOERR;
	return code;
}
