/*
 * admin - the administrator's commands on single messages; see admin.h.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <netdb.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sysexits.h>
#include <time.h>
#include <unistd.h>

#include "admin.h"
#include "envelope.h"
#include "log.h"
#include "net.h"
#include "queue_list.h"
#include "runner.h"
#include "smtp.h"
#include "spool.h"
#include "submit.h"
#include "util.h"

/* Where a message was found. */
enum where {
	W_NONE,
	W_QUEUE,
	W_HOLD,
	W_FAILED,
	W_INTAKE,
};

/* An operation's answer for one id besides a sysexits code: the message
 * moved between the look and the step (the runner is at work); look
 * again. */
#define AGAIN	(-1)

struct admin {
	struct config		*cf;
	const struct admin_opts	*o;
	FILE			*out;
	struct spool		 sp;
	int			 holdfd;
	int			 locked;
	int			 due;		/* flush: messages made due */
};

static int
exists_at(int dirfd, const char *name)
{
	struct stat	st;

	return dirfd != -1 && fstatat(dirfd, name, &st,
	    AT_SYMLINK_NOFOLLOW) == 0;
}

/* An id as the user typed it: the 20 hex digits, any case. */
static int
normalize_id(const char *arg, char id[QUEUE_ID_LEN + 1])
{
	size_t	i;

	if (strlen(arg) != QUEUE_ID_LEN)
		return -1;
	for (i = 0; i < QUEUE_ID_LEN; i++)
		id[i] = (arg[i] >= 'a' && arg[i] <= 'f') ? (char)(arg[i] -
		    'a' + 'A') : arg[i];
	id[QUEUE_ID_LEN] = '\0';
	return queue_id_ok(id) ? 0 : -1;
}

static enum where
locate(struct admin *a, const char *id)
{
	char	name[QUEUE_ID_LEN + 3];

	snprintf(name, sizeof(name), "m.%s", id);
	if (exists_at(a->sp.queuefd, id))
		return W_QUEUE;
	if (exists_at(a->holdfd, id))
		return W_HOLD;
	if (exists_at(a->sp.failedfd, id))
		return W_FAILED;
	if (exists_at(a->sp.intakefd, name))
		return W_INTAKE;
	return W_NONE;
}

static int
open_spool(struct admin *a, struct config *cf, const struct admin_opts *o,
    FILE *out, int lock)
{
	char	why[512];
	int	saved;

	memset(a, 0, sizeof(*a));
	a->cf = cf;
	a->o = o;
	a->out = out;
	a->holdfd = -1;
	if (spool_open(&a->sp, cf->queue_dir, 0, why, sizeof(why)) == -1) {
		saved = errno;
		complain("%s", why);
		return saved == EACCES ? EX_NOPERM : EX_TEMPFAIL;
	}
	if ((a->holdfd = queue_hold_open(&a->sp, 0)) == -1 &&
	    errno != ENOENT) {
		saved = errno;
		complain("cannot open %s/%s: %s", a->sp.dir, QUEUE_HOLD_DIR,
		    strerror(saved));
		spool_close(&a->sp);
		return saved == EACCES ? EX_NOPERM : EX_TEMPFAIL;
	}
	/* With no runner at work, edit under its lock, after picking up
	 * what was submitted, so new mail can be named too.  A runner that
	 * holds the queue for good (a daemon) is raced instead. */
	if (lock && a->sp.intakefd != -1 && spool_lock(&a->sp) == 0) {
		a->locked = 1;
		if (a->sp.failedfd != -1 && a->sp.corruptfd != -1)
			spool_pickup(&a->sp);
	}
	return EX_OK;
}

static void
close_spool(struct admin *a)
{
	int	pending = 0;

	if (a->holdfd != -1)
		close(a->holdfd);
	a->holdfd = -1;
	if (a->locked) {
		spool_unlock(&a->sp);
		/* A submitter that saw our lock started no runner. */
		pending = spool_intake_pending(&a->sp);
	}
	spool_close(&a->sp);
	if (pending && a->o && a->o->runner)
		submit_start_runner(a->cf->queue_dir, a->o->runner,
		    a->o->override);
}

static int
need_hold(struct admin *a)
{
	if (a->holdfd == -1 &&
	    (a->holdfd = queue_hold_open(&a->sp, 1)) == -1) {
		complain("cannot create %s/%s: %s", a->sp.dir, QUEUE_HOLD_DIR,
		    strerror(errno));
		return -1;
	}
	return 0;
}

static const char *
where_name(enum where w)
{
	switch (w) {
	case W_QUEUE:
		return "queue/";
	case W_HOLD:
		return "hold/";
	case W_FAILED:
		return "failed/";
	case W_INTAKE:
		return "intake/";
	default:
		return "nowhere";
	}
}

static int
where_fd(struct admin *a, enum where w)
{
	switch (w) {
	case W_QUEUE:
		return a->sp.queuefd;
	case W_HOLD:
		return a->holdfd;
	case W_FAILED:
		return a->sp.failedfd;
	case W_INTAKE:
		return a->sp.intakefd;
	default:
		return -1;
	}
}

static int
unknown(const char *id)
{
	complain("%s: no such message in the queue (queue/, hold/ or "
	    "failed/)", id);
	return EX_DATAERR;
}

static int
sync_dirs(int a, int b)
{
	if (fsync_dir(a) == -1)
		return -1;
	return fsync_dir(b);
}

/*
 * Into queue/ from hold/ or failed/: the state first (rewritten: due now;
 * with reset, the refused recipients pending again and no attempts), the
 * message after it, then the old state goes.
 */
static int
move_to_queue(struct admin *a, enum where from, const char *id, int reset)
{
	struct spool	 view;
	struct envelope	 env;
	struct qstate	 qs;
	char		 why[256], name[QUEUE_ID_LEN + 8];
	size_t		 i, retry = 0, done = 0;
	int		 fromfd = where_fd(a, from), fd, saved;

	queue_view(&view, &a->sp, fromfd);
	if (spool_open_message(&view, id, &fd, &env, why, sizeof(why)) ==
	    -1) {
		if (errno == ENOENT)
			return AGAIN;
		complain("%s: cannot read %s%s: %s", id, where_name(from), id,
		    why);
		return EX_DATAERR;
	}
	close(fd);
	if (state_read(&view, id, env.nrcpts, &qs) == -1) {
		complain("%s: cannot read its delivery state: %s", id,
		    strerror(errno));
		state_free(&qs);
		envelope_free(&env);
		return EX_IOERR;
	}
	qs.next = 0;
	if (reset) {
		qs.attempts = 0;
		qs.error[0] = '\0';
		for (i = 0; i < qs.nrcpts; i++) {
			if (qs.status[i] == RCPT_DELIVERED) {
				done++;
				continue;
			}
			qs.status[i] = RCPT_PENDING;
			free(qs.reply[i]);
			qs.reply[i] = NULL;
			retry++;
		}
	}
	snprintf(name, sizeof(name), "%s.state", id);
	if (state_write(&a->sp, id, &qs) == -1) {
		saved = errno;
		complain("%s: cannot write %s/queue/%s: %s", id, a->sp.dir,
		    name, strerror(saved));
		goto fail;
	}
	if (renameat(fromfd, id, a->sp.queuefd, id) == -1) {
		saved = errno;
		(void)unlinkat(a->sp.queuefd, name, 0);
		state_free(&qs);
		envelope_free(&env);
		if (saved == ENOENT)
			return AGAIN;
		complain("%s: cannot move it into %s/queue: %s", id,
		    a->sp.dir, strerror(saved));
		return EX_IOERR;
	}
	if (unlinkat(fromfd, name, 0) == -1 && errno != ENOENT)
		log_warn("%s: cannot remove %s%s: %s", id, where_name(from),
		    name, strerror(errno));
	if (sync_dirs(a->sp.queuefd, fromfd) == -1)
		log_warn("%s: cannot sync the queue directories: %s", id,
		    strerror(errno));
	if (reset)
		fprintf(a->out, "%s: requeued, due now: %zu recipient%s to "
		    "try again, %zu already delivered\n", id, retry,
		    retry == 1 ? "" : "s", done);
	else
		fprintf(a->out, "%s: released, due now\n", id);
	state_free(&qs);
	envelope_free(&env);
	return EX_OK;
fail:
	state_free(&qs);
	envelope_free(&env);
	return EX_IOERR;
}

static int
op_hold(struct admin *a, const char *id, enum where w)
{
	char	name[QUEUE_ID_LEN + 8];
	int	saved;

	switch (w) {
	case W_HOLD:
		fprintf(a->out, "%s: already held\n", id);
		return EX_OK;
	case W_FAILED:
		complain("%s: in failed/, so it is not sent anyway (relayq "
		    "requeue %s tries again)", id, id);
		return EX_DATAERR;
	case W_INTAKE:
		complain("%s: not yet picked up by the queue runner; try "
		    "again in a moment", id);
		return EX_TEMPFAIL;
	case W_NONE:
		return unknown(id);
	case W_QUEUE:
		break;
	}
	if (need_hold(a) == -1)
		return EX_CANTCREAT;
	/* The message first: the runner skips a name that went away, but
	 * would take a message without its state for a fresh one. */
	if (renameat(a->sp.queuefd, id, a->holdfd, id) == -1) {
		if (errno == ENOENT)
			return AGAIN;
		complain("%s: cannot move it to %s/%s: %s", id, a->sp.dir,
		    QUEUE_HOLD_DIR, strerror(errno));
		return EX_IOERR;
	}
	snprintf(name, sizeof(name), "%s.state", id);
	if (renameat(a->sp.queuefd, name, a->holdfd, name) == -1 &&
	    errno != ENOENT) {
		saved = errno;
		(void)renameat(a->holdfd, id, a->sp.queuefd, id);
		complain("%s: cannot move its state to %s/%s: %s", id,
		    a->sp.dir, QUEUE_HOLD_DIR, strerror(saved));
		return EX_IOERR;
	}
	if (sync_dirs(a->holdfd, a->sp.queuefd) == -1)
		log_warn("%s: cannot sync the queue directories: %s", id,
		    strerror(errno));
	fprintf(a->out, "%s: held\n", id);
	return EX_OK;
}

static int
op_release(struct admin *a, const char *id, enum where w)
{
	switch (w) {
	case W_QUEUE:
	case W_INTAKE:
		complain("%s: not held", id);
		return EX_DATAERR;
	case W_FAILED:
		complain("%s: not held but in failed/ (relayq requeue %s "
		    "tries again)", id, id);
		return EX_DATAERR;
	case W_NONE:
		return unknown(id);
	case W_HOLD:
		break;
	}
	return move_to_queue(a, W_HOLD, id, 0);
}

static int
op_requeue(struct admin *a, const char *id, enum where w)
{
	switch (w) {
	case W_QUEUE:
	case W_INTAKE:
		complain("%s: not in failed/ but still queued", id);
		return EX_DATAERR;
	case W_HOLD:
		complain("%s: not in failed/ but held (relayq release %s "
		    "sends it)", id, id);
		return EX_DATAERR;
	case W_NONE:
		return unknown(id);
	case W_FAILED:
		break;
	}
	return move_to_queue(a, W_FAILED, id, 1);
}

static int
op_delete(struct admin *a, const char *id, enum where w)
{
	char	name[QUEUE_ID_LEN + 8];
	int	dirfd = where_fd(a, w);

	if (w == W_NONE)
		return unknown(id);
	if (w == W_INTAKE) {
		snprintf(name, sizeof(name), "m.%s", id);
		if (unlinkat(dirfd, name, 0) == -1) {
			if (errno == ENOENT)
				return AGAIN;
			complain("%s: cannot remove %s/intake/%s: %s", id,
			    a->sp.dir, name, strerror(errno));
			return EX_IOERR;
		}
		fprintf(a->out, "%s: deleted from intake/\n", id);
		return EX_OK;
	}
	/* The message first: a state without its message is ignored by
	 * the runner, while a message without its state would be sent
	 * again to every recipient. */
	if (unlinkat(dirfd, id, 0) == -1) {
		if (errno == ENOENT)
			return AGAIN;
		complain("%s: cannot remove %s%s: %s", id, where_name(w), id,
		    strerror(errno));
		return EX_IOERR;
	}
	snprintf(name, sizeof(name), "%s.state", id);
	if (unlinkat(dirfd, name, 0) == -1 && errno != ENOENT)
		log_warn("%s: cannot remove %s%s: %s", id, where_name(w),
		    name, strerror(errno));
	fprintf(a->out, "%s: deleted from %s\n", id, where_name(w));
	return EX_OK;
}

static int
op_flush(struct admin *a, const char *id, enum where w)
{
	struct envelope	env;
	struct qstate	qs;
	char		why[256];
	int		fd;

	switch (w) {
	case W_HOLD:
		complain("%s: held (relayq release %s sends it)", id, id);
		return EX_DATAERR;
	case W_FAILED:
		complain("%s: in failed/ (relayq requeue %s tries again)", id,
		    id);
		return EX_DATAERR;
	case W_INTAKE:
		fprintf(a->out, "%s: new, due as soon as it is picked up\n",
		    id);
		a->due++;
		return EX_OK;
	case W_NONE:
		return unknown(id);
	case W_QUEUE:
		break;
	}
	if (spool_open_message(&a->sp, id, &fd, &env, why, sizeof(why)) ==
	    -1) {
		if (errno == ENOENT)
			return AGAIN;
		/* The runner moves it to failed/ when it sees it. */
		complain("%s: cannot read it: %s", id, why);
		return EX_DATAERR;
	}
	close(fd);
	if (state_read(&a->sp, id, env.nrcpts, &qs) == -1) {
		complain("%s: cannot read its delivery state: %s", id,
		    strerror(errno));
		state_free(&qs);
		envelope_free(&env);
		return EX_IOERR;
	}
	qs.next = 0;
	if (state_write(&a->sp, id, &qs) == -1) {
		complain("%s: cannot write its delivery state: %s", id,
		    strerror(errno));
		state_free(&qs);
		envelope_free(&env);
		return EX_IOERR;
	}
	/* Delivered meanwhile by a runner at work: our state file is a
	 * stray one now. */
	if (!exists_at(a->sp.queuefd, id)) {
		snprintf(why, sizeof(why), "%s.state", id);
		(void)unlinkat(a->sp.queuefd, why, 0);
		state_free(&qs);
		envelope_free(&env);
		return AGAIN;
	}
	fprintf(a->out, "%s: due now\n", id);
	a->due++;
	state_free(&qs);
	envelope_free(&env);
	return EX_OK;
}

static int
for_each_id(struct config *cf, char **ids, int n, const struct admin_opts *o,
    FILE *out, int (*op)(struct admin *, const char *, enum where),
    struct admin *a)
{
	char	id[QUEUE_ID_LEN + 1], esc[100];
	int	i, tries, rc, code = EX_OK;

	if ((rc = open_spool(a, cf, o, out, 1)) != EX_OK)
		return rc;
	for (i = 0; i < n; i++) {
		if (normalize_id(ids[i], id) == -1) {
			escape_text(esc, sizeof(esc), ids[i], strlen(ids[i]));
			complain("%s: not a queue id (20 hexadecimal digits)",
			    esc);
			rc = EX_DATAERR;
		} else {
			/* A runner at work may move it under our feet; the
			 * next look finds it where it went. */
			for (tries = 0; tries < 5; tries++)
				if ((rc = op(a, id, locate(a, id))) != AGAIN)
					break;
			if (rc == AGAIN) {
				complain("%s: keeps moving (a queue runner "
				    "is at work on it); try again", id);
				rc = EX_TEMPFAIL;
			}
		}
		if (rc != EX_OK && code == EX_OK)
			code = rc;
	}
	fflush(out);
	return code;
}

/* Make a runner that sleeps notice the queue: any new name in intake/
 * wakes it (inotify), and this one means nothing to it. */
static void
wake_runner(const char *spooldir)
{
	char	path[PATH_MAX];
	int	fd;

	if (fmt(path, sizeof(path), "%s/intake/wake.%ld", spooldir,
	    (long)getpid()) == -1)
		return;
	(void)unlink(path);
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
	    0600);
	if (fd == -1)
		return;
	close(fd);
	(void)unlink(path);
}

/* After release, requeue or flush ID: the queue run that sends what is
 * due, or a nudge to the runner that holds the queue. */
static int
run_queue(struct config *cf, const struct admin_opts *o)
{
	struct runner_opts	ro;
	int			rc;

	memset(&ro, 0, sizeof(ro));
	ro.mode = RUNNER_ONCE;
	ro.flush = 0;
	ro.verbose = o->verbose;
	rc = runner_run(cf, &ro);
	if (runner_active(cf->queue_dir))
		wake_runner(cf->queue_dir);
	return rc;
}

/* Apply op to every id; wake a working runner when the change makes
 * mail due. */
static int
apply(struct config *cf, char **ids, int n, const struct admin_opts *o,
    FILE *out, int (*op)(struct admin *, const char *, enum where),
    int wake)
{
	struct admin	a;
	int		code;

	code = for_each_id(cf, ids, n, o, out, op, &a);
	if (a.sp.dir != NULL)
		close_spool(&a);
	if (wake && runner_active(cf->queue_dir))
		wake_runner(cf->queue_dir);
	return code;
}

int
admin_delete(struct config *cf, char **ids, int n,
    const struct admin_opts *o, FILE *out)
{
	return apply(cf, ids, n, o, out, op_delete, 0);
}

int
admin_hold(struct config *cf, char **ids, int n,
    const struct admin_opts *o, FILE *out)
{
	return apply(cf, ids, n, o, out, op_hold, 0);
}

int
admin_release(struct config *cf, char **ids, int n,
    const struct admin_opts *o, FILE *out)
{
	/* Due now: a runner at work takes it on its next pass. */
	return apply(cf, ids, n, o, out, op_release, 1);
}

int
admin_requeue(struct config *cf, char **ids, int n,
    const struct admin_opts *o, FILE *out)
{
	return apply(cf, ids, n, o, out, op_requeue, 1);
}

int
admin_flush(struct config *cf, char **ids, int n,
    const struct admin_opts *o, FILE *out)
{
	struct admin	a;
	int		code, rc;

	code = for_each_id(cf, ids, n, o, out, op_flush, &a);
	if (a.sp.dir == NULL)
		return code;
	/* The runner's lock must be free before it runs in this process. */
	a.o = NULL;
	close_spool(&a);
	if (a.due == 0)
		return code;
	rc = run_queue(cf, o);
	return code != EX_OK ? code : rc;
}

/* ---- show ---------------------------------------------------------- */

/* A line of untrusted text for a terminal: printable ASCII and TAB as
 * they are, anything else as \xNN. */
static void
put_escaped(FILE *out, const char *s, size_t len)
{
	static const char	hex[] = "0123456789abcdef";
	unsigned char		c;
	size_t			i;

	for (i = 0; i < len; i++) {
		c = (unsigned char)s[i];
		if ((c >= 0x20 && c < 0x7f && c != '\\') || c == '\t')
			fputc(c, out);
		else
			fprintf(out, "\\x%c%c", hex[c >> 4], hex[c & 15]);
	}
}

static void
put_field(FILE *out, const char *label, const char *value)
{
	fprintf(out, "%-14s", label);
	put_escaped(out, value, strlen(value));
	fputc('\n', out);
}

static void
format_time(int64_t t, char *out, size_t len)
{
	struct tm	tm;
	time_t		tt = (time_t)t;

	if (localtime_r(&tt, &tm) == NULL ||
	    strftime(out, len, "%a %b %e %H:%M:%S %Y", &tm) == 0)
		snprintf(out, len, "?");
}

/* The header section: up to the first empty line, at most
 * SUBMIT_HEADER_MAX bytes of it. */
static int
show_header(FILE *out, int fd, const struct envelope *env)
{
	size_t	 len, pos = 0, end, stop;
	char	*buf, *nl;
	int	 found = 0;

	len = env->msg_len > SUBMIT_HEADER_MAX ? SUBMIT_HEADER_MAX :
	    (size_t)env->msg_len;
	buf = xmalloc(len + 1);
	if (pread_all(fd, buf, len, (off_t)env->msg_offset) == -1) {
		free(buf);
		return -1;
	}
	while (pos < len) {
		nl = memchr(buf + pos, '\n', len - pos);
		end = nl ? (size_t)(nl - buf) : len;
		stop = end > pos && buf[end - 1] == '\r' ? end - 1 : end;
		if (stop == pos && nl != NULL) {
			found = 1;	/* the empty line: the body follows */
			break;
		}
		put_escaped(out, buf + pos, stop - pos);
		fputc('\n', out);
		pos = nl ? end + 1 : len;
	}
	if (!found && len < env->msg_len)
		fprintf(out, "[header longer than %d bytes: cut here]\n",
		    SUBMIT_HEADER_MAX);
	free(buf);
	return 0;
}

int
admin_show(struct config *cf, const char *arg, FILE *out)
{
	struct admin	 a;
	struct spool	 view;
	struct envelope	 env;
	struct qstate	 qs;
	struct passwd	*pw;
	enum where	 w;
	time_t		 now = time(NULL);
	char		 id[QUEUE_ID_LEN + 1], why[256], when[64], line[200];
	const char	*state;
	size_t		 r;
	int		 fd = -1, rc, code = EX_OK, tries = 0;

	if (normalize_id(arg, id) == -1) {
		escape_text(why, sizeof(why), arg, strlen(arg));
		complain("%s: not a queue id (20 hexadecimal digits)", why);
		return EX_DATAERR;
	}
	if ((rc = open_spool(&a, cf, NULL, out, 0)) != EX_OK)
		return rc;
	for (;;) {
		if ((w = locate(&a, id)) == W_NONE) {
			close_spool(&a);
			return unknown(id);
		}
		queue_view(&view, &a.sp, where_fd(&a, w));
		rc = w == W_INTAKE ? spool_open_intake_message(&a.sp, id, &fd,
		    &env, why, sizeof(why)) : spool_open_message(&view, id,
		    &fd, &env, why, sizeof(why));
		if (rc == 0)
			break;
		if (errno != ENOENT || ++tries >= 5) {
			complain("%s: cannot read %s%s: %s", id, where_name(w),
			    id, why);
			close_spool(&a);
			return EX_DATAERR;
		}
		/* Moved meanwhile: look again. */
	}
	if (w == W_INTAKE) {
		memset(&qs, 0, sizeof(qs));
		qs.nrcpts = env.nrcpts;
		qs.status = xcalloc(env.nrcpts, 1);
		qs.reply = xcalloc(env.nrcpts, sizeof(char *));
	} else
		(void)state_read(&view, id, env.nrcpts, &qs);

	switch (w) {
	case W_QUEUE:
		state = qs.next > (int64_t)now ? "deferred" : "active";
		break;
	case W_HOLD:
		state = "held";
		break;
	case W_FAILED:
		state = "failed";
		break;
	default:
		state = "new";
		break;
	}
	put_field(out, "Queue ID:", env.id);
	snprintf(line, sizeof(line), "%s (in %s%s)", state, where_name(w),
	    w == W_HOLD ? "; relayq release sends it" : w == W_FAILED ?
	    "; relayq requeue tries again" : w == W_INTAKE ?
	    "; not yet picked up" : "");
	put_field(out, "State:", line);
	snprintf(line, sizeof(line), "%" PRIu64 " bytes", env.msg_len);
	put_field(out, "Size:", line);
	format_time(env.arrival, when, sizeof(when));
	snprintf(line, sizeof(line), "%s (%" PRId64 ")", when, env.arrival);
	put_field(out, "Arrival:", line);
	pw = getpwuid(env.uid);
	snprintf(line, sizeof(line), "uid %u%s%s%s", (unsigned)env.uid,
	    pw ? " (" : "", pw ? pw->pw_name : "", pw ? ")" : "");
	put_field(out, "Submitted by:", line);
	fprintf(out, "%-14s<", "Sender:");
	put_escaped(out, env.sender, strlen(env.sender));
	fputs(">\n", out);
	if (env.body || env.notify || env.ret || env.envid) {
		fprintf(out, "%-14s", "Parameters:");
		if (env.body)
			fprintf(out, " BODY=%s", env.body);
		if (env.notify)
			fprintf(out, " NOTIFY=%s", env.notify);
		if (env.ret)
			fprintf(out, " RET=%s", env.ret);
		if (env.envid) {
			fputs(" ENVID=", out);
			put_escaped(out, env.envid, strlen(env.envid));
		}
		fputc('\n', out);
	}
	snprintf(line, sizeof(line), "%d", qs.attempts);
	put_field(out, "Attempts:", line);
	if (w == W_QUEUE || w == W_INTAKE) {
		if (qs.next <= (int64_t)now)
			snprintf(line, sizeof(line), "due now");
		else {
			format_time(qs.next, when, sizeof(when));
			snprintf(line, sizeof(line), "%s (in %" PRId64 "s)",
			    when, qs.next - (int64_t)now);
		}
	} else
		snprintf(line, sizeof(line), "none (%s)", state);
	put_field(out, "Next attempt:", line);
	put_field(out, "Last error:", qs.error[0] ? qs.error : "none");
	fprintf(out, "Recipients:\n");
	for (r = 0; r < env.nrcpts; r++) {
		fprintf(out, "  %-10s ", qs.status[r] == RCPT_DELIVERED ?
		    "delivered" : qs.status[r] == RCPT_FAILED ? "failed" :
		    "pending");
		put_escaped(out, env.rcpts[r], strlen(env.rcpts[r]));
		if (qs.reply[r] && qs.reply[r][0]) {
			fputs(" (", out);
			put_escaped(out, qs.reply[r], strlen(qs.reply[r]));
			fputc(')', out);
		}
		fputc('\n', out);
	}
	fprintf(out, "\nHeader:\n");
	if (show_header(out, fd, &env) == -1) {
		complain("%s: cannot read the message: %s", id,
		    strerror(errno));
		code = EX_IOERR;
	}
	close(fd);
	state_free(&qs);
	envelope_free(&env);
	close_spool(&a);
	if (fflush(out) != 0)
		code = EX_IOERR;
	return code;
}

/* ---- check --------------------------------------------------------- */

static int
check_one(struct config *cf, struct spool *sp, const struct smarthost *sh,
    FILE *out)
{
	struct auth_refusal	 ar;
	struct smtp_session	*ss;
	struct conn		*c;
	const char		*helo = cf->helo_name ? cf->helo_name :
				    conf_domain(cf);
	struct sockaddr_storage	 ss_addr;
	socklen_t		 alen = sizeof(ss_addr);
	char			*secret = NULL, why[512], addr[NI_MAXHOST];
	char			 line[800];
	int			 ok = 0;

	fprintf(out, "smarthost %s port %d (tls = %s", sh->host, sh->port,
	    tls_mode_name(sh->tls));
	if (sh->user)
		fprintf(out, ", user %s", sh->user);
	fprintf(out, "):\n");
	if (sh->tls != TLS_MODE_NONE && !sh->tls_verify)
		fprintf(out, "  WARNING: tls_verify = false: the certificate "
		    "chain and host name are not checked; %s\n",
		    sh->ntls_pins ? "only the tls_fingerprint pin vouches for "
		    "the relay" : "with no tls_fingerprint either, anyone on "
		    "the path can pose as the relay and read the mail and "
		    "password");
	if (sh->tls != TLS_MODE_NONE && sh->tls_priorities)
		fprintf(out, "  TLS priorities: %s (TLS 1.2 at least)\n",
		    sh->tls_priorities);
	if (sh->tls != TLS_MODE_NONE && sh->tls_cert_file)
		fprintf(out, "  client certificate: %s, key %s\n",
		    sh->tls_cert_file, sh->tls_key_file);
	if (sh->user != NULL) {
		if (conf_read_secret(cf, sh, getegid(), &secret, why,
		    sizeof(why)) == -1) {
			fprintf(out, "  password: FAILED: %s\n", why);
			return -1;
		}
		fprintf(out, "  password: %s %s\n", sh->password_command ?
		    "from the output of" : "read from", sh->password ?
		    cf->path : sh->password_command ? "password_command" :
		    sh->password_file);
		fprintf(out, "  auth: %s\n", sh->auth == AUTH_AUTO ? "auto "
		    "(the strongest of SCRAM-SHA-256-PLUS, SCRAM-SHA-256, "
		    "CRAM-MD5, PLAIN, LOGIN the relay offers)" :
		    auth_mech_name(sh->auth));
		if (sp != NULL && spool_auth_refusal_read(sp, sh->host,
		    sh->port, &ar) == 1 && ar.until > (int64_t)time(NULL)) {
			spool_auth_refusal_text(&ar, sh->host, sh->port, line,
			    sizeof(line));
			fprintf(out, "  CREDENTIALS REFUSED before: %s\n", line);
		}
	}
	/* Name and address first, on their own, so a failure there is
	 * told apart from what the relay says. */
	c = xcalloc(1, sizeof(*c));
	if (conn_connect(c, sh->host, sh->port, sh->timeout) == -1) {
		fprintf(out, "  connect: FAILED: %s\n", c->err);
		free(c);
		goto out;
	}
	if (getpeername(c->fd, (struct sockaddr *)&ss_addr, &alen) == 0 &&
	    getnameinfo((struct sockaddr *)&ss_addr, alen, addr, sizeof(addr),
	    NULL, 0, NI_NUMERICHOST) == 0)
		fprintf(out, "  connect: ok, %s resolved and reached at %s\n",
		    c->peer, addr);
	else
		fprintf(out, "  connect: ok, %s reached\n", c->peer);
	conn_close(c);
	free(c);

	ss = xcalloc(1, sizeof(*ss));
	if (smtp_open(ss, sh, helo, secret, why, sizeof(why)) == 0)
		ok = 1;
	/* Set once TLS is up and the relay answered EHLO over it, so it
	 * is there even when AUTH then fails. */
	if (ss->tlsdesc[0] && sh->tls_verify)
		fprintf(out, "  TLS: ok, %s; certificate verified for %s "
		    "against %s%s\n", ss->tlsdesc, sh->host,
		    sh->tls_trust_file ? sh->tls_trust_file :
		    "the system trust store", sh->ntls_pins ?
		    "; tls_fingerprint matched" : "");
	else if (ss->tlsdesc[0] && sh->ntls_pins)
		fprintf(out, "  TLS: ok, %s; tls_fingerprint matched, chain and "
		    "host name NOT VERIFIED (tls_verify = false)\n",
		    ss->tlsdesc);
	else if (ss->tlsdesc[0])
		fprintf(out, "  TLS: ok, %s; NOT VERIFIED (tls_verify = false, "
		    "no tls_fingerprint)\n", ss->tlsdesc);
	else if (sh->tls == TLS_MODE_NONE)
		fprintf(out, "  TLS: none (tls = none: everything%s goes in "
		    "clear)\n", sh->user ? ", the password included," : "");
	if (ok) {
		if (sh->user) {
			fprintf(out, "  AUTH: accepted for %s with %s%s%s%s\n",
			    sh->user, auth_mech_name(ss->mech),
			    ss->cbtype[0] ? " (" : "", ss->cbtype,
			    ss->cbtype[0] ? " channel binding)" : "");
			/* The runner may use them again at once. */
			if (sp != NULL && spool_auth_refusal_read(sp, sh->host,
			    sh->port, &ar) == 1) {
				if (spool_auth_refusal_clear(sp, sh->host,
				    sh->port) == 0)
					fprintf(out, "  the runner's wait after "
					    "the refusal is lifted\n");
				else
					fprintf(out, "  cannot lift the "
					    "runner's wait after the refusal: "
					    "%s\n", strerror(errno));
			}
		} else
			fprintf(out, "  AUTH: none configured\n");
		fprintf(out, "  result: ok, ready to relay (no mail sent)\n");
		smtp_close(ss);
	} else
		fprintf(out, "  FAILED: %s\n", why);
	free(ss);
out:
	if (secret) {
		wipe(secret, strlen(secret));
		free(secret);
	}
	return ok ? 0 : -1;
}

int
admin_check(struct config *cf, FILE *out)
{
	struct spool	sp;
	size_t		h, failed = 0;
	char		why[512];
	int		have_spool;

	fprintf(out, "configuration %s: %s\n", cf->path, cf->file_found ?
	    "ok" : "not found, the built-in defaults apply");
	fprintf(out, "queue directory: %s\n", cf->queue_dir);
	if (cf->nsmarthosts == 0) {
		fprintf(out, "no smart host configured in %s: mail stays in "
		    "the queue until one is\n", cf->path);
		return EX_CONFIG;
	}
	/* Only to show and lift a refusal's wait: check works without. */
	have_spool = spool_open(&sp, cf->queue_dir, 0, why, sizeof(why)) == 0;
	for (h = 0; h < cf->nsmarthosts; h++) {
		fflush(out);
		if (check_one(cf, have_spool ? &sp : NULL, &cf->smarthosts[h],
		    out) == -1)
			failed++;
	}
	if (have_spool)
		spool_close(&sp);
	if (failed)
		fprintf(out, "%zu of %zu smart host%s failed\n", failed,
		    cf->nsmarthosts, cf->nsmarthosts == 1 ? "" : "s");
	else
		fprintf(out, "all %zu smart host%s passed\n", cf->nsmarthosts,
		    cf->nsmarthosts == 1 ? "" : "s");
	fflush(out);
	return failed ? EX_UNAVAILABLE : EX_OK;
}

/* ---- send-test ----------------------------------------------------- */

struct membuf {
	const char	*p;
	size_t		 left;
};

static ssize_t
fill_from_mem(void *arg, char *buf, size_t len)
{
	struct membuf	*m = arg;

	if (len > m->left)
		len = m->left;
	memcpy(buf, m->p, len);
	m->p += len;
	m->left -= len;
	return (ssize_t)len;
}

int
admin_send_test(struct config *cf, const char *address,
    const struct admin_opts *o, FILE *out)
{
	struct submission	 s;
	struct membuf		 m;
	struct tm		 tm;
	time_t			 now = time(NULL);
	char			 host[256], date[64], msg[4096], why[1024];
	char			 id[QUEUE_ID_LEN + 1], line[700], esc[700];
	char			 path[PATH_MAX];
	char			*rcpts[1];
	const char		*p;
	int			 n, code, rc;

	for (p = address; *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			break;
	if (*p != '\0' || *address == '\0' || strlen(address) > 1000) {
		escape_text(esc, sizeof(esc), address, strlen(address));
		complain("bad address \"%s\"", esc);
		return EX_USAGE;
	}
	if (cf->nsmarthosts == 0) {
		complain("no smart host configured in %s: nothing to test",
		    cf->path);
		return EX_CONFIG;
	}
	if (gethostname(host, sizeof(host)) == -1)
		snprintf(host, sizeof(host), "localhost");
	host[sizeof(host) - 1] = '\0';
	localtime_r(&now, &tm);
	if (strftime(date, sizeof(date), "%a, %d %b %Y %H:%M:%S %z",
	    &tm) == 0)
		snprintf(date, sizeof(date), "%lld", (long long)now);
	n = snprintf(msg, sizeof(msg),
	    "Subject: relayq test from %s\n"
	    "To: %s\n"
	    "\n"
	    "This is a test message from relayq on %s,\n"
	    "queued at %s by relayq send-test.\n"
	    "If you can read it, mail from %s reaches you.\n",
	    host, address, host, date, host);
	if (n < 0 || (size_t)n >= sizeof(msg)) {
		complain("test message too long");
		return EX_USAGE;
	}
	memset(&s, 0, sizeof(s));
	rcpts[0] = (char *)address;
	s.rcpts = rcpts;
	s.nrcpts = 1;
	s.ignore_dots = 1;
	s.wait = 1;		/* the runner reports the fate */
	m.p = msg;
	m.left = (size_t)n;
	code = submit_message_from(cf, &s, fill_from_mem, &m, id, why,
	    sizeof(why));
	if (code != EX_OK) {
		complain("cannot queue the test message: %s", why);
		return code;
	}
	escape_text(esc, sizeof(esc), address, strlen(address));
	fprintf(out, "queued as %s for %s\n", id, esc);
	fflush(out);

	(void)run_queue(cf, o);
	/* Our run reported already; a runner that held the queue gets a
	 * while to do it. */
	rc = intake_wait_result(cf->queue_dir, id, runner_active(cf->queue_dir) ?
	    30 : 2, line, sizeof(line));
	/* Read: nobody else waits for it. */
	if (rc == 0 && fmt(path, sizeof(path), "%s/intake/r.%s",
	    cf->queue_dir, id) != -1)
		(void)unlink(path);
	if (rc == -1) {
		fprintf(out, "%s: no report from the queue runner yet; "
		    "relayq show %s tells where it is\n", id, id);
		return EX_TEMPFAIL;
	}
	escape_text(esc, sizeof(esc), line, strlen(line));
	fprintf(out, "%s: %s\n", id, esc);
	if (strncmp(line, "sent", 4) == 0)
		return EX_OK;
	if (strncmp(line, "bounced", 7) == 0)
		return EX_UNAVAILABLE;
	return EX_TEMPFAIL;
}
