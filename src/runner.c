/*
 * runner - queue runner; see runner.h.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <errno.h>
#include <grp.h>
#include <inttypes.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <sysexits.h>
#include <time.h>
#include <unistd.h>

#include "dsn.h"
#include "envelope.h"
#include "log.h"
#include "pathnames.h"
#include "rewrite.h"
#include "runner.h"
#include "runstate.h"
#include "smtp.h"
#include "spool.h"
#include "util.h"

/* An on-demand runner lingers this long on an empty queue, so a burst of
 * submissions is served by one runner and one connection. */
#define LINGER_SECONDS		5
/* Even with inotify, look at the directories this often. */
#define RESCAN_SECONDS		300
/* After new mail wakes us, let a burst gather this long, so that it is
 * picked up and sent in one pass instead of one pass per message. */
#define GATHER_MS		50
/* An idle connection is kept this long for the next pass (relays allow
 * five minutes, RFC 5321 4.5.3.2.7). */
#define KEEP_IDLE_SECONDS	10

static volatile sig_atomic_t	got_flush, got_stop;

/* What a delivery thread last saw of the relays, for relayq status: the
 * latest success and the latest problem, ordered across threads by seq. */
struct events {
	uint64_t	ok_seq, err_seq;
	int64_t		ok_time, err_time;
	char		ok_relay[RUNSTATE_TEXT];
	char		err_relay[RUNSTATE_TEXT];
	char		err[RUNSTATE_TEXT];
	int		credentials;
};

static uint64_t	event_seq;

/* Between two messages: has a stop signal arrived (they stay blocked
 * while we work, so a delivery step is never cut in half)? */
static int
stop_pending(void)
{
	sigset_t	set;

	if (got_stop)
		return 1;
	if (sigpending(&set) == 0 && (sigismember(&set, SIGTERM) == 1 ||
	    sigismember(&set, SIGINT) == 1 || sigismember(&set, SIGHUP) == 1))
		got_stop = 1;
	return got_stop;
}

static void
on_signal(int sig)
{
	if (sig == SIGUSR1)
		got_flush = 1;
	else
		got_stop = 1;
}

struct delivery {
	struct config		*cf;
	struct spool		*sp;
	struct smtp_session	 ss;
	int			 open;
	int			 down;		/* every relay failed this pass */
	size_t			 relay;		/* index of the open one */
	int			 on_conn;	/* messages on this connection */
	char			 down_why[512];
	int64_t			 auth_wait;	/* a relay refused us until */
	int			 delivered, deferred, failed;
	int			 made;		/* notifications queued */
	struct events		 ev;
};

static void
note_success(struct delivery *d, const char *relay)
{
	d->ev.ok_seq = __atomic_add_fetch(&event_seq, 1, __ATOMIC_RELAXED);
	d->ev.ok_time = (int64_t)time(NULL);
	escape_text(d->ev.ok_relay, sizeof(d->ev.ok_relay), relay,
	    strlen(relay));
}

static void
note_error(struct delivery *d, const char *relay, const char *text,
    int credentials)
{
	d->ev.err_seq = __atomic_add_fetch(&event_seq, 1, __ATOMIC_RELAXED);
	d->ev.err_time = (int64_t)time(NULL);
	escape_text(d->ev.err_relay, sizeof(d->ev.err_relay), relay,
	    strlen(relay));
	escape_text(d->ev.err, sizeof(d->ev.err), text, strlen(text));
	d->ev.credentials = credentials;
}

/* Keep the later of each kind. */
static void
merge_events(struct events *into, const struct events *from)
{
	if (from->ok_seq > into->ok_seq) {
		into->ok_seq = from->ok_seq;
		into->ok_time = from->ok_time;
		memcpy(into->ok_relay, from->ok_relay, sizeof(into->ok_relay));
	}
	if (from->err_seq > into->err_seq) {
		into->err_seq = from->err_seq;
		into->err_time = from->err_time;
		memcpy(into->err_relay, from->err_relay,
		    sizeof(into->err_relay));
		memcpy(into->err, from->err, sizeof(into->err));
		into->credentials = from->credentials;
	}
}

static int64_t
backoff(const struct config *cf, int attempts)
{
	int64_t		delay = cf->retry_min;
	uint32_t	r = 0;
	int		i;

	for (i = 1; i < attempts && delay < cf->retry_max; i++)
		delay *= 2;
	if (delay > cf->retry_max)
		delay = cf->retry_max;
	/* Up to 10% jitter, so a backlog does not retry in lockstep. */
	if (delay >= 10 && random_bytes(&r, sizeof(r)) == 0)
		delay += (int64_t)(r % (uint32_t)(delay / 10));
	return delay;
}

/* A relay that refused the credentials gets no AUTH from us before the
 * back-off ends: retry_min, doubling with each refusal in a row, up to
 * retry_max.  Returns 1 (with why) while it lasts. */
static int
auth_waiting(struct delivery *d, const struct smarthost *sh, time_t now,
    char *why, size_t whylen)
{
	struct auth_refusal	ar;

	if (sh->user == NULL || spool_auth_refusal_read(d->sp, sh->host,
	    sh->port, &ar) != 1 || ar.until <= (int64_t)now)
		return 0;
	spool_auth_refusal_text(&ar, sh->host, sh->port, why, whylen);
	if (ar.until > d->auth_wait)
		d->auth_wait = ar.until;
	return 1;
}

static void
record_refusal(struct delivery *d, const struct smarthost *sh, time_t now,
    char *why, size_t whylen)
{
	struct auth_refusal	ar;
	int64_t			delay = d->cf->retry_min;
	int			i;

	if (spool_auth_refusal_read(d->sp, sh->host, sh->port, &ar) != 1)
		memset(&ar, 0, sizeof(ar));
	ar.count++;
	for (i = 1; i < ar.count && delay < d->cf->retry_max; i++)
		delay *= 2;
	if (delay > d->cf->retry_max)
		delay = d->cf->retry_max;
	ar.since = (int64_t)now;
	ar.until = (int64_t)now + delay;
	snprintf(ar.user, sizeof(ar.user), "%s", sh->user);
	snprintf(ar.reply, sizeof(ar.reply), "%s", d->ss.auth_reply);
	if (spool_auth_refusal_write(d->sp, sh->host, sh->port, &ar) == -1)
		log_err("cannot record the refusal of %s:%d in %s/queue: %s",
		    sh->host, sh->port, d->sp->dir, strerror(errno));
	if (ar.until > d->auth_wait)
		d->auth_wait = ar.until;
	spool_auth_refusal_text(&ar, sh->host, sh->port, why, whylen);
	log_err("CREDENTIALS REFUSED: %s; fix the secret, then relayq check "
	    "(lifts the wait when AUTH passes)", why);
}

static int
open_session(struct delivery *d)
{
	size_t	 h;
	time_t	 now = time(NULL);
	char	*secret = NULL, why[512];

	for (h = 0; h < d->cf->nsmarthosts; h++) {
		const struct smarthost *sh = &d->cf->smarthosts[h];
		const char *helo = d->cf->helo_name ? d->cf->helo_name :
		    conf_domain(d->cf);
		char relay[300];

		snprintf(relay, sizeof(relay), "%s:%d", sh->host, sh->port);
		if (auth_waiting(d, sh, now, why, sizeof(why))) {
			log_warn("%s", why);
			snprintf(d->down_why, sizeof(d->down_why), "%s", why);
			note_error(d, relay, why, 1);
			continue;
		}
		if (sh->user != NULL && conf_read_secret(d->cf, sh, getegid(),
		    &secret, why, sizeof(why)) == -1) {
			log_err("smarthost %s: %s", sh->host, why);
			snprintf(d->down_why, sizeof(d->down_why), "%s", why);
			note_error(d, relay, why, 1);
			continue;
		}
		if (smtp_open(&d->ss, sh, helo, secret, why, sizeof(why)) == 0) {
			if (secret) {
				wipe(secret, strlen(secret));
				free(secret);
			}
			d->open = 1;
			d->relay = h;
			d->on_conn = 0;
			if (sh->user != NULL && spool_auth_refusal_clear(d->sp,
			    sh->host, sh->port) == -1)
				log_err("cannot clear the refusal of %s:%d: %s",
				    sh->host, sh->port, strerror(errno));
			log_debug("connected to %s:%d%s%s%s%s%s%s", sh->host,
			    sh->port, d->ss.tlsdesc[0] ? " with " : "",
			    d->ss.tlsdesc, sh->user ? ", AUTH " : "",
			    sh->user ? auth_mech_name(d->ss.mech) : "",
			    d->ss.cbtype[0] ? " bound to " : "", d->ss.cbtype);
			return 0;
		}
		if (secret) {
			wipe(secret, strlen(secret));
			free(secret);
			secret = NULL;
		}
		if (d->ss.auth_refused)
			record_refusal(d, sh, now, why, sizeof(why));
		else
			log_warn("%s", why);
		snprintf(d->down_why, sizeof(d->down_why), "%s", why);
		note_error(d, relay, why, d->ss.auth_refused);
	}
	d->down = 1;
	return -1;
}

static void
close_session(struct delivery *d)
{
	if (d->open)
		smtp_close(&d->ss);
	d->open = 0;
}

static const char *
relay_name(struct delivery *d, char *buf, size_t len)
{
	if (!d->open && d->cf->nsmarthosts == 0)
		return "none";
	snprintf(buf, len, "%s:%d%s", d->cf->smarthosts[d->relay].host,
	    d->cf->smarthosts[d->relay].port,
	    conf_tls_warning(&d->cf->smarthosts[d->relay]));
	return buf;
}

struct bounce_body {
	const struct dsn_info	*info;
	char			*why;
	size_t			 whylen;
};

static int
write_bounce_body(int fd, void *arg)
{
	struct bounce_body *b = arg;

	return dsn_write(fd, b->info, b->why, b->whylen);
}

/* Bounces a runner may send in an hour, so a flood of failures cannot
 * turn into a flood of mail (nullmailer's bounce storms). */
static int
bounce_allowed(struct delivery *d, time_t now)
{
	static pthread_mutex_t	lock = PTHREAD_MUTEX_INITIALIZER;
	static time_t		window;
	static int		count;
	int			ok;

	pthread_mutex_lock(&lock);
	if (now - window >= 3600) {
		window = now;
		count = 0;
	}
	ok = count < d->cf->bounce_limit;
	if (ok)
		count++;
	pthread_mutex_unlock(&lock);
	return ok;
}

/* Where a bounce goes: the sender, or for a local sender what its local
 * part resolves to (aliases, admin). */
static int
add_bounce_rcpt(const char *addr, void *arg)
{
	return envelope_has_rcpt(arg, addr) ? 0 :
	    envelope_add_rcpt(arg, addr);
}

/*
 * An RFC 3464 report to the sender for the recipients in idx that failed
 * now.  Never for a bounce (null sender) nor against NOTIFY; a bounce
 * that cannot be made is logged, and the message still leaves the queue
 * through failed/.
 */
static void
bounce(struct delivery *d, const struct envelope *env, int fd,
    const struct smtp_rcpt *rc, const size_t *idx, size_t n,
    const char *expired, enum dsn_action action, time_t now)
{
	struct dsn_rcpt		*dr;
	struct dsn_info		 info;
	struct envelope		 b;
	struct bounce_body	 body;
	struct rewriter		 rw;
	char			 why[512], host[256], *codes;
	size_t			 i;

	if (n == 0 || env->sender[0] == '\0')
		return;
	if (env->notify && strstr(env->notify, action == DSN_FAILED ?
	    "FAILURE" : "DELAY") == NULL) {
		log_info("%s: no notification: NOTIFY=%s", env->id,
		    env->notify);
		return;
	}
	if (!bounce_allowed(d, now)) {
		log_warn("%s: no bounce: more than %d bounces this hour",
		    env->id, d->cf->bounce_limit);
		return;
	}
	dr = xcalloc(n, sizeof(*dr));
	codes = xcalloc(n, 16);
	for (i = 0; i < n; i++) {
		dr[i].addr = env->rcpts[idx[i]];
		dr[i].action = action;
		if (expired) {
			dr[i].status = action == DSN_FAILED ? "5.4.7" : NULL;
			dr[i].diagnostic = expired;
		} else {
			/* "550 5.1.1 text": the enhanced code is the status;
			 * dsn_write checks its syntax. */
			if (sscanf(rc[i].reply, "%*d %15[0-9.]", codes + i * 16)
			    == 1)
				dr[i].status = codes + i * 16;
			if (rc[i].local) {
				/* relayq's own verdict: no relay said it, so
				 * no Remote-MTA and no smtp Diagnostic-Code. */
				dr[i].diagnostic = rc[i].reply + 4;
			} else {
				dr[i].diagnostic = rc[i].reply;
				dr[i].remote_mta =
				    d->cf->smarthosts[d->relay].host;
			}
		}
	}
	if (gethostname(host, sizeof(host) - 1) == -1)
		snprintf(host, sizeof(host), "localhost");
	host[sizeof(host) - 1] = '\0';
	memset(&info, 0, sizeof(info));
	info.reporting_mta = host;
	info.domain = conf_domain(d->cf);
	info.to = env->sender;
	info.queue_id = env->id;
	info.envid = env->envid;
	info.arrival = env->arrival;
	info.return_headers_only = env->ret && strcmp(env->ret, "HDRS") == 0;
	info.rcpts = dr;
	info.nrcpts = n;
	info.orig_fd = fd;
	info.orig_off = env->msg_offset;
	info.orig_len = env->msg_len;
	info.max_return = 100 * 1024;

	memset(&b, 0, sizeof(b));
	b.uid = geteuid();
	b.arrival = (int64_t)now;
	b.sender = xstrdup("");
	if (rewrite_open(&rw, d->cf, 1, why, sizeof(why)) == -1 ||
	    rewrite_recipient(&rw, env->sender, add_bounce_rcpt, &b, why,
	    sizeof(why)) != 0 || b.nrcpts == 0) {
		if (b.nrcpts == 0)
			add_bounce_rcpt(env->sender, &b);
	}
	rewrite_close(&rw);
	body.info = &info;
	body.why = why;
	body.whylen = sizeof(why);
	if (spool_queue_new(d->sp, &b, write_bounce_body, &body, why,
	    sizeof(why)) == -1)
		log_err("%s: cannot make a bounce: %s", env->id, why);
	else {
		log_info("%s: sender non-delivery notification: %s", env->id,
		    b.id);
		d->made++;
	}
	envelope_free(&b);
	free(codes);
	free(dr);
}

/* For a submitter that waits (sendmail -odi): one line on the outcome. */
static void
report_fate(struct spool *sp, const char *id, const struct envelope *env,
    const struct qstate *qs, size_t pending, size_t failed)
{
	char		 line[700];
	const char	*text = "";
	size_t		 i;

	for (i = 0; i < env->nrcpts; i++)
		if (failed && qs->status[i] == RCPT_FAILED && qs->reply[i]) {
			text = qs->reply[i];
			break;
		}
	if (failed)
		snprintf(line, sizeof(line), "bounced (%s)", text);
	else if (pending)
		snprintf(line, sizeof(line), "deferred (%s)", qs->error);
	else {
		for (i = 0; i < env->nrcpts; i++)
			if (qs->reply[i]) {
				text = qs->reply[i];
				break;
			}
		snprintf(line, sizeof(line), "sent (%s)", text);
	}
	spool_report_result(sp, id, line);
}

/* Did the relay answer none of these recipients? */
static int
unanswered(const struct smtp_rcpt *rc, size_t n)
{
	size_t	i;

	for (i = 0; i < n; i++)
		if (rc[i].code != 0)
			return 0;
	return 1;
}

/*
 * Deliver one message if it is due (or flush says so) and record its
 * recipients' fates.  Returns when it falls due next, -1 if it left the
 * queue.
 */
static int64_t
deliver_one(struct delivery *d, const char *id, time_t now, int flush)
{
	struct envelope		 env;
	struct qstate		 qs;
	struct smtp_rcpt	*rc;
	struct smtp_msg		 m;
	size_t			*map, i, n = 0, pending = 0, failed = 0;
	size_t			*failed_now = NULL, nfailed_now = 0;
	struct smtp_rcpt	*failed_rc = NULL;
	char			 why[512], relay[340], esc[300];
	int64_t			 next = -1;
	int			 fd, broken = 0, reused;

	if (spool_open_message(d->sp, id, &fd, &env, why, sizeof(why)) == -1) {
		if (errno != ENOENT) {
			log_err("%s: unreadable queue file: %s; moving it to "
			    "failed", id, why);
			(void)spool_fail(d->sp, id);
		}
		return -1;
	}
	state_read(d->sp, id, env.nrcpts, &qs);
	if (!flush && qs.next > (int64_t)now) {
		next = qs.next;
		close(fd);
		state_free(&qs);
		envelope_free(&env);
		return next;
	}
	rc = xcalloc(env.nrcpts, sizeof(*rc));
	map = xcalloc(env.nrcpts, sizeof(*map));
	for (i = 0; i < env.nrcpts; i++)
		if (qs.status[i] == RCPT_PENDING) {
			rc[n].addr = env.rcpts[i];
			map[n++] = i;
		}

	if (n > 0 && !d->open && !d->down)
		open_session(d);
	if (n > 0 && d->open) {
		m.sender = env.sender;
		m.body = env.body;
		m.notify = env.notify;
		m.ret = env.ret;
		m.envid = env.envid;
		m.rcpts = rc;
		m.nrcpts = n;
		m.fd = fd;
		m.off = env.msg_offset;
		m.len = env.msg_len;
		reused = d->on_conn > 0;
		broken = smtp_send(&d->ss, &m, why, sizeof(why)) == -1;
		if (broken && reused && unanswered(rc, n)) {
			/* A kept connection the relay closed while idle:
			 * not this message's fault, so try a fresh one. */
			log_debug("%s: kept connection gone (%s); reconnecting",
			    id, why);
			close_session(d);
			if (open_session(d) == 0)
				broken = smtp_send(&d->ss, &m, why,
				    sizeof(why)) == -1;
			else
				snprintf(why, sizeof(why), "%s", d->down_why);
		}
		if (broken)
			log_warn("%s: %s", id, why);
		relay_name(d, relay, sizeof(relay));
		if (broken)
			close_session(d);
		else if (++d->on_conn >= d->cf->messages_per_connection)
			close_session(d);
	} else {
		snprintf(why, sizeof(why), "%s", d->down_why);
		snprintf(relay, sizeof(relay), "none");
	}
	qs.attempts++;
	failed_now = xcalloc(n ? n : 1, sizeof(*failed_now));
	failed_rc = xcalloc(n ? n : 1, sizeof(*failed_rc));
	for (i = 0; i < n; i++) {
		size_t		 idx = map[i];
		const char	*text = rc[i].code ? rc[i].reply : why;
		const char	*status;

		if (rc[i].code / 100 == 2) {
			qs.status[idx] = RCPT_DELIVERED;
			status = "sent";
			note_success(d, relay);
		} else if (rc[i].code / 100 == 5) {
			qs.status[idx] = RCPT_FAILED;
			status = "bounced";
			failed_rc[nfailed_now] = rc[i];
			failed_now[nfailed_now++] = idx;
		} else
			status = "deferred";
		/* A session that never opened was noted by open_session. */
		if (qs.status[idx] != RCPT_DELIVERED && strcmp(relay, "none"))
			note_error(d, relay, text, 0);
		if (qs.status[idx] != RCPT_PENDING) {
			free(qs.reply[idx]);
			qs.reply[idx] = xstrdup(text);
		}
		escape_text(esc, sizeof(esc), env.rcpts[idx],
		    strlen(env.rcpts[idx]));
		log_info("%s: to=<%s>, relay=%s, delay=%" PRId64 "s, "
		    "attempt=%d, status=%s (%s)", id, esc, relay,
		    (int64_t)now - env.arrival, qs.attempts, status, text);
		if (qs.status[idx] == RCPT_PENDING)
			snprintf(qs.error, sizeof(qs.error), "%s", text);
	}
	for (i = 0; i < env.nrcpts; i++) {
		if (qs.status[i] == RCPT_PENDING)
			pending++;
		else if (qs.status[i] == RCPT_FAILED)
			failed++;
	}
	bounce(d, &env, fd, failed_rc, failed_now, nfailed_now, NULL,
	    DSN_FAILED, now);
	if (pending > 0 && (int64_t)now - env.arrival > d->cf->lifetime) {
		char expired[STATE_ERROR_MAX + 64];

		snprintf(expired, sizeof(expired), "expired after %" PRId64
		    "s in the queue; last error: %s",
		    (int64_t)now - env.arrival, qs.error);
		nfailed_now = 0;
		for (i = 0; i < env.nrcpts; i++)
			if (qs.status[i] == RCPT_PENDING) {
				qs.status[i] = RCPT_FAILED;
				free(qs.reply[i]);
				qs.reply[i] = xstrdup("expired in queue");
				failed_now[nfailed_now++] = i;
				failed++;
			}
		log_err("%s: %s", id, expired);
		bounce(d, &env, fd, NULL, failed_now, nfailed_now, expired,
		    DSN_FAILED, now);
		pending = 0;
	} else if (pending > 0 && d->cf->delay_warning > 0 && !qs.warned &&
	    (int64_t)now - env.arrival >= d->cf->delay_warning) {
		char delayed[STATE_ERROR_MAX + 64];

		/* One warning per message, off unless delay_warning is set. */
		snprintf(delayed, sizeof(delayed), "not delivered for %" PRId64
		    "s, still trying; last error: %s",
		    (int64_t)now - env.arrival, qs.error);
		nfailed_now = 0;
		for (i = 0; i < env.nrcpts; i++)
			if (qs.status[i] == RCPT_PENDING)
				failed_now[nfailed_now++] = i;
		bounce(d, &env, fd, NULL, failed_now, nfailed_now, delayed,
		    DSN_DELAYED, now);
		qs.warned = 1;
	}
	report_fate(d->sp, id, &env, &qs, pending, failed);
	if (pending == 0) {
		if (failed == 0) {
			if (spool_finish(d->sp, id) == -1)
				log_err("%s: cannot remove delivered message: "
				    "%s", id, strerror(errno));
			d->delivered++;
		} else {
			snprintf(qs.error, sizeof(qs.error), "permanent "
			    "failure for %zu recipient%s", failed,
			    failed == 1 ? "" : "s");
			qs.next = 0;
			if (state_write(d->sp, id, &qs) == -1 ||
			    spool_fail(d->sp, id) == -1)
				log_err("%s: cannot move to failed: %s", id,
				    strerror(errno));
			log_warn("%s: moved to failed (%zu recipient%s "
			    "refused)", id, failed, failed == 1 ? "" : "s");
			d->failed++;
		}
	} else {
		qs.next = (int64_t)now + backoff(d->cf, qs.attempts);
		/* No sooner than a refusing relay will be tried again. */
		if (d->down && d->auth_wait > qs.next)
			qs.next = d->auth_wait;
		next = qs.next;
		if (state_write(d->sp, id, &qs) == -1)
			log_err("%s: cannot record delivery state: %s", id,
			    strerror(errno));
		d->deferred++;
	}
	close(fd);
	free(failed_now);
	free(failed_rc);
	free(map);
	free(rc);
	state_free(&qs);
	envelope_free(&env);
	return next;
}

/* Messages a pass gives each connection before it opens another. */
#define MESSAGES_PER_WORKER	50

/* A flush on a terminal: one status line, redrawn in place. */
struct progress {
	FILE	*out;
	int	 delivered, deferred, failed;	/* in the passes before */
	size_t	 width;				/* of the line on screen */
	char	 via[340];			/* the relay last used */
	char	 error[RUNSTATE_TEXT];		/* the last problem */
};

/* What a run learns over its passes: for the status record and the
 * flush summary. */
struct news {
	struct events	 ev;
	int		 tried;		/* messages attempted */
	struct progress	*prog;
};

static struct progress	*progress_on_screen;

struct pass {
	pthread_mutex_t	  lock;
	char		**ids;
	size_t		  n, next, done;
	int		  flush;
	int64_t		  earliest;
	int		  delivered, deferred, failed, made;
	struct events	  ev;
	struct progress	 *prog;
};

/* The log hook: a log line on the terminal first wipes the status line,
 * which the next message's redraw brings back. */
static void
progress_clear(void)
{
	struct progress	*pr = progress_on_screen;

	if (pr == NULL || pr->width == 0)
		return;
	flockfile(pr->out);
	fprintf(pr->out, "\r%*s\r", (int)pr->width, "");
	fflush(pr->out);
	pr->width = 0;
	funlockfile(pr->out);
}

/* Called with the pass lock held. */
static void
progress_draw(struct pass *p, struct delivery *d)
{
	struct progress	*pr = p->prog;
	int		 n;

	if (d != NULL && d->open)
		relay_name(d, pr->via, sizeof(pr->via));
	flockfile(pr->out);
	n = fprintf(pr->out, "\rflush: %d delivered, %d deferred, %d failed, "
	    "%zu to go%s%s%s", pr->delivered + p->delivered, pr->deferred +
	    p->deferred, pr->failed + p->failed, p->n - p->done,
	    pr->via[0] ? " (via " : "", pr->via, pr->via[0] ? ")" : "");
	if (n > 1 && (size_t)(n - 1) < pr->width)
		fprintf(pr->out, "%*s", (int)(pr->width - (size_t)(n - 1)), "");
	if (n > 1)
		pr->width = (size_t)(n - 1);
	fflush(pr->out);
	funlockfile(pr->out);
}

struct worker {
	struct pass	*p;
	struct delivery	 own;
	struct delivery	*d;	/* own, or the runner's kept session */
	int		 kept;
	pthread_t	 thread;
};

/* One connection's share of a pass: take the next message until none is
 * left.  Messages are independent files, so workers share nothing else. */
static void *
work(void *arg)
{
	struct worker	*w = arg;
	struct pass	*p = w->p;
	int64_t		 next;
	size_t		 i;
	int		 delivered, deferred, failed;

	for (;;) {
		pthread_mutex_lock(&p->lock);
		if (p->next >= p->n || stop_pending()) {
			pthread_mutex_unlock(&p->lock);
			break;
		}
		i = p->next++;
		pthread_mutex_unlock(&p->lock);
		delivered = w->d->delivered;
		deferred = w->d->deferred;
		failed = w->d->failed;
		next = deliver_one(w->d, p->ids[i], time(NULL), p->flush);
		pthread_mutex_lock(&p->lock);
		p->done++;
		p->delivered += w->d->delivered - delivered;
		p->deferred += w->d->deferred - deferred;
		p->failed += w->d->failed - failed;
		if (next > 0 && (p->earliest == -1 || next < p->earliest))
			p->earliest = next;
		if (p->prog)
			progress_draw(p, w->d);
		pthread_mutex_unlock(&p->lock);
	}
	/* The runner's own session may serve the next pass too. */
	if (!w->kept)
		close_session(w->d);
	pthread_mutex_lock(&p->lock);
	p->made += w->d->made;
	merge_events(&p->ev, &w->d->ev);
	pthread_mutex_unlock(&p->lock);
	return NULL;
}

/* How many connections this pass deserves: one per MESSAGES_PER_WORKER
 * messages that are certainly due (new, or all of them on a flush), up
 * to max_connections. */
static int
workers_for(struct config *cf, struct spool *sp, char **ids, size_t n,
    int flush)
{
	char	name[QUEUE_ID_LEN + 8];
	size_t	i, due = 0;
	int	want;

	for (i = 0; i < n; i++) {
		snprintf(name, sizeof(name), "%s.state", ids[i]);
		if (flush || faccessat(sp->queuefd, name, F_OK,
		    AT_SYMLINK_NOFOLLOW) == -1)
			due++;
	}
	want = (int)((due + MESSAGES_PER_WORKER - 1) / MESSAGES_PER_WORKER);
	if (want < 1)
		want = 1;
	return want < cf->max_connections ? want : cf->max_connections;
}

/*
 * One pass over the queue.  Returns -1 when nothing is left to deliver,
 * else the earliest time a deferred message falls due.
 */
static int64_t
deliver_pass(struct config *cf, struct spool *sp, int flush,
    struct delivery *keep, struct news *news)
{
	static int		 warned_unconfigured;
	struct worker		*w;
	struct pass		 p;
	char			**ids;
	size_t			 n;
	int			 nw, i, started;

	spool_pickup(sp);
	if (spool_list(sp, &ids, &n) == -1) {
		log_err("cannot list %s/queue: %s", sp->dir, strerror(errno));
		return -1;
	}
	if (n > 0 && cf->nsmarthosts == 0) {
		if (!warned_unconfigured++)
			log_warn("no smart host configured in %s: %zu "
			    "message%s in the queue", cf->path, n,
			    n == 1 ? " waits" : "s wait");
		spool_list_free(ids, n);
		return -1;
	}
	memset(&p, 0, sizeof(p));
	pthread_mutex_init(&p.lock, NULL);
	p.ids = ids;
	p.n = n;
	p.flush = flush;
	p.earliest = -1;
	p.prog = news->prog;
	if (p.prog && n > 0)
		progress_draw(&p, NULL);
	(void)conf_domain(cf);	/* computed once, before any thread reads it */
	nw = n > 0 ? workers_for(cf, sp, ids, n, flush) : 1;
	w = xcalloc((size_t)nw, sizeof(*w));
	/* The kept session starts each pass afresh but for its connection. */
	keep->cf = cf;
	keep->sp = sp;
	keep->down = 0;
	keep->auth_wait = 0;
	keep->delivered = keep->deferred = keep->failed = keep->made = 0;
	for (i = 0, started = 0; i < nw; i++) {
		w[i].p = &p;
		w[i].own.cf = cf;
		w[i].own.sp = sp;
		w[i].d = i == 0 ? keep : &w[i].own;
		w[i].kept = i == 0;
		/* The first share is ours; the others get a thread each. */
		if (i > 0 && pthread_create(&w[i].thread, NULL, work,
		    &w[i]) == 0)
			started = i;
	}
	work(&w[0]);
	for (i = 1; i <= started; i++)
		pthread_join(w[i].thread, NULL);
	if (p.delivered + p.deferred + p.failed > 0)
		log_info("queue run: %d delivered, %d deferred, %d failed",
		    p.delivered, p.deferred, p.failed);
	news->tried += p.delivered + p.deferred + p.failed;
	merge_events(&news->ev, &p.ev);
	if (p.prog) {
		p.prog->delivered += p.delivered;
		p.prog->deferred += p.deferred;
		p.prog->failed += p.failed;
	}
	free(w);
	pthread_mutex_destroy(&p.lock);
	spool_list_free(ids, n);
	/* Notifications made in this pass are due now, not next time. */
	if (p.made > 0)
		return 0;
	return p.earliest;
}

static int
watch_intake(struct spool *sp)
{
	char	path[PATH_MAX];
	int	fd;

	fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	if (fd == -1)
		return -1;
	if (fmt(path, sizeof(path), "%s/intake", sp->dir) == -1 ||
	    inotify_add_watch(fd, path, IN_MOVED_TO | IN_CLOSE_WRITE) == -1) {
		close(fd);
		return -1;
	}
	return fd;
}

/* Sleep until new mail, a signal, or the deadline (unix seconds); 1 when
 * new mail woke us. */
static int
wait_for_work(int inofd, int64_t until, const sigset_t *allow)
{
	struct pollfd	pfd;
	struct timespec	ts;
	char		buf[4096];
	int64_t		left = until - (int64_t)time(NULL);

	if (left <= 0)
		return 0;
	ts.tv_sec = left;
	ts.tv_nsec = 0;
	pfd.fd = inofd;
	pfd.events = POLLIN;
	pfd.revents = 0;
	if (ppoll(&pfd, inofd == -1 ? 0 : 1, &ts, allow) > 0) {
		ts.tv_sec = 0;
		ts.tv_nsec = GATHER_MS * 1000000L;
		(void)ppoll(NULL, 0, &ts, allow);
		while (read(inofd, buf, sizeof(buf)) > 0)
			;
		return 1;
	}
	return 0;
}

static const char *
mode_name(enum runner_mode m)
{
	switch (m) {
	case RUNNER_DAEMON:
		return "daemon";
	case RUNNER_ON_DEMAND:
		return "on-demand";
	default:
		return "once";
	}
}

/* The status record after a pass that tried something; the write is a
 * small file and a rename, no fsync. */
static void
record_news(struct spool *sp, struct runstate *rs, const struct news *nw)
{
	const struct events	*ev = &nw->ev;

	rs->last_pass = (int64_t)time(NULL);
	if (ev->ok_seq) {
		rs->success_time = ev->ok_time;
		memcpy(rs->success_relay, ev->ok_relay,
		    sizeof(rs->success_relay));
	}
	if (ev->err_seq) {
		rs->error_time = ev->err_time;
		memcpy(rs->error_relay, ev->err_relay,
		    sizeof(rs->error_relay));
		memcpy(rs->error, ev->err, sizeof(rs->error));
		rs->credentials = ev->credentials;
	}
	if (ev->ok_seq || ev->err_seq)
		rs->error_last = ev->err_seq > ev->ok_seq;
	if (runstate_write(sp->rootfd, rs) == -1)
		log_debug("cannot write %s/%s: %s", sp->dir, RUNSTATE_FILE,
		    strerror(errno));
}

/* The last line of a flush on a terminal. */
static void
progress_end(struct progress *pr, const struct news *nw)
{
	progress_clear();
	fprintf(pr->out, "flush: %d delivered, %d deferred, %d failed",
	    pr->delivered, pr->deferred, pr->failed);
	if (pr->deferred + pr->failed > 0 && nw->ev.err_seq)
		fprintf(pr->out, "; last error: %s", nw->ev.err);
	else if (pr->delivered > 0 && nw->ev.ok_seq)
		fprintf(pr->out, " (via %s)", nw->ev.ok_relay);
	fputc('\n', pr->out);
	fflush(pr->out);
	progress_on_screen = NULL;
	log_set_stderr_hook(NULL, 0);
}

/* Which version of the configuration file this runner has read: a
 * runner that lingers or runs as a service must not go on with settings
 * the administrator has since changed (relayq setup, then relayq flush). */
static void
config_seen(const char *path, struct stat *seen)
{
	if (stat(path, seen) == -1)
		memset(seen, 0, sizeof(*seen));
}

static int
config_changed(const char *path, const struct stat *seen)
{
	struct stat	now;

	config_seen(path, &now);
	return now.st_dev != seen->st_dev || now.st_ino != seen->st_ino ||
	    now.st_size != seen->st_size ||
	    now.st_mtim.tv_sec != seen->st_mtim.tv_sec ||
	    now.st_mtim.tv_nsec != seen->st_mtim.tv_nsec;
}

/* Read the configuration again; 0 to go on (with the new one, or with
 * the old one if the new one is broken), -1 if this runner must stop
 * because the queue moved. */
static int
reload_config(struct config *cf, struct delivery *keep)
{
	struct config	fresh;
	char		why[512];

	if (conf_load(cf->path, cf->file_found, &fresh, why,
	    sizeof(why)) == -1) {
		log_err("%s; going on with the configuration read before",
		    why);
		return 0;
	}
	if (strcmp(fresh.queue_dir, cf->queue_dir) != 0) {
		log_warn("%s: queue_dir changed; this runner stops, the next "
		    "one works the new queue", cf->path);
		conf_free(&fresh);
		return -1;
	}
	close_session(keep);
	conf_free(cf);
	*cf = fresh;
	log_info("%s changed: configuration read again", cf->path);
	return 0;
}

int
runner_run(struct config *cf, const struct runner_opts *o)
{
	struct spool		 sp;
	struct delivery		 keep;
	struct runstate		 rs;
	struct news		 news;
	struct progress		 prog;
	struct sigaction	 sa;
	sigset_t		 block, allow;
	char			 why[512];
	int64_t			 next, until;
	int			 inofd = -1, rc, flush = o->flush, tried;
	struct stat		 conf_stat;

	if (spool_open(&sp, cf->queue_dir, 1, why, sizeof(why)) == -1) {
		log_err("%s", why);
		return EX_CANTCREAT;
	}
	if ((rc = spool_lock(&sp)) != 0) {
		pid_t holder;

		if (rc == -1) {
			log_err("cannot lock %s: %s", sp.dir, strerror(errno));
			spool_close(&sp);
			return EX_TEMPFAIL;
		}
		holder = spool_lock_holder(&sp);
		if (flush && holder > 0 && kill(holder, SIGUSR1) == 0) {
			log_info("asked the running queue runner (pid %ld) to "
			    "flush the queue", (long)holder);
			if (o->progress)
				fprintf(o->progress, "flush: handed to the "
				    "queue runner at work (pid %ld); relayq "
				    "status shows how it goes\n", (long)holder);
		}
		else if (o->mode != RUNNER_ON_DEMAND)
			log_info("another queue runner is at work%s",
			    holder > 0 ? "" : " (no pid)");
		spool_close(&sp);
		return EX_OK;
	}

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGUSR1, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	/* Signals only interrupt the sleep, never a delivery step. */
	sigemptyset(&block);
	sigaddset(&block, SIGUSR1);
	sigaddset(&block, SIGTERM);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGHUP);
	sigprocmask(SIG_BLOCK, &block, &allow);
	sigdelset(&allow, SIGUSR1);
	sigdelset(&allow, SIGTERM);
	sigdelset(&allow, SIGINT);
	sigdelset(&allow, SIGHUP);
	if (o->mode != RUNNER_ONCE)
		inofd = watch_intake(&sp);
	spool_clean_debris(&sp);
	memset(&keep, 0, sizeof(keep));
	memset(&news, 0, sizeof(news));
	if (o->progress) {
		memset(&prog, 0, sizeof(prog));
		prog.out = o->progress;
		news.prog = &prog;
		progress_on_screen = &prog;
		/* One line per recipient would bury it; -v keeps them. */
		log_set_stderr_hook(progress_clear, !o->verbose);
	}
	/* The history goes on from the last runner's record. */
	(void)runstate_read(sp.rootfd, &rs);
	rs.pid = (long)getpid();
	snprintf(rs.mode, sizeof(rs.mode), "%s", mode_name(o->mode));
	rs.started = (int64_t)time(NULL);
	if (runstate_write(sp.rootfd, &rs) == -1)
		log_debug("cannot write %s/%s: %s", sp.dir, RUNSTATE_FILE,
		    strerror(errno));

	config_seen(cf->path, &conf_stat);
	for (;;) {
		got_flush = 0;
		if (config_changed(cf->path, &conf_stat)) {
			config_seen(cf->path, &conf_stat);
			if (reload_config(cf, &keep) == -1)
				break;
		}
		if (spool_take_flush_request(&sp))
			flush = 1;
		tried = news.tried;
		next = deliver_pass(cf, &sp, flush, &keep, &news);
		if (news.tried > tried)
			record_news(&sp, &rs, &news);
		flush = 0;
		if (got_stop)
			break;
		if (got_flush) {
			flush = 1;
			continue;
		}
		/* 0: notifications were queued during the pass; send them
		 * before leaving or sleeping. */
		if (next == 0)
			continue;
		if (o->mode == RUNNER_ONCE) {
			if (spool_intake_pending(&sp))
				continue;
			/* A sendmail that found us still holding the lock
			 * started no runner: its message is seen here. */
			spool_unlock(&sp);
			if (spool_intake_pending(&sp) && spool_lock(&sp) == 0)
				continue;
			break;
		}
		if (next == -1 && o->mode == RUNNER_ON_DEMAND) {
			/* Linger for more mail, then leave; new mail that
			 * raced our unlock is caught by the recheck. */
			wait_for_work(inofd, (int64_t)time(NULL) +
			    LINGER_SECONDS, &allow);
			if (got_stop)
				break;
			if (spool_intake_pending(&sp) || got_flush ||
			    spool_take_flush_request(&sp)) {
				flush = 1;
				continue;
			}
			spool_unlock(&sp);
			if (spool_intake_pending(&sp) && spool_lock(&sp) == 0)
				continue;
			break;
		}
		until = (int64_t)time(NULL) + RESCAN_SECONDS;
		if (next != -1 && next < until)
			until = next;
		/* Keep the connection for mail that comes soon after; past
		 * that, free the relay's slot before a long sleep. */
		if (keep.open) {
			int64_t soon = (int64_t)time(NULL) + KEEP_IDLE_SECONDS;

			if (wait_for_work(inofd, soon < until ? soon : until,
			    &allow) || got_stop || got_flush ||
			    (int64_t)time(NULL) >= until) {
				if (got_stop)
					break;
				if (got_flush)
					flush = 1;
				continue;
			}
			close_session(&keep);
		}
		wait_for_work(inofd, until, &allow);
		if (got_stop)
			break;
		if (got_flush)
			flush = 1;
	}
	close_session(&keep);
	if (inofd != -1)
		close(inofd);
	if (news.prog)
		progress_end(news.prog, &news);
	spool_close(&sp);
	return EX_OK;
}

int
runner_take_identity(int override, char *why, size_t whylen)
{
	struct passwd	*pw;
	uid_t		 ruid = getuid(), euid = geteuid();
	gid_t		 rgid = getgid(), egid = getegid();

	if (override) {
		/* A configuration of the caller's choosing gets nothing but
		 * the caller's own rights. */
		if (setresgid(rgid, rgid, rgid) == -1 ||
		    setresuid(ruid, ruid, ruid) == -1) {
			snprintf(why, whylen, "cannot drop privileges: %s",
			    strerror(errno));
			return -1;
		}
		return 0;
	}
	if (euid == 0) {
		if ((pw = getpwnam(RELAYQ_USER)) == NULL) {
			snprintf(why, whylen, "the account %s does not exist "
			    "(create it, or run with -C as a test)",
			    RELAYQ_USER);
			return -1;
		}
		if (setgroups(0, NULL) == -1 ||
		    setresgid(pw->pw_gid, pw->pw_gid, pw->pw_gid) == -1 ||
		    setresuid(pw->pw_uid, pw->pw_uid, pw->pw_uid) == -1) {
			snprintf(why, whylen, "cannot become %s: %s",
			    RELAYQ_USER, strerror(errno));
			return -1;
		}
		return 0;
	}
	/* Set-id run started by an ordinary user: become the runner
	 * account for good, so the caller can neither signal nor trace us. */
	if (setresgid(egid, egid, egid) == -1 ||
	    setresuid(euid, euid, euid) == -1) {
		snprintf(why, whylen, "cannot settle identity: %s",
		    strerror(errno));
		return -1;
	}
	return 0;
}
