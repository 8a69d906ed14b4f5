/*
 * spool - queue directory layout and its atomic steps; see spool.h.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "privilege.h"
#include "spool.h"
#include "util.h"

/* A t.<id> file nobody holds locked and untouched this long is debris.
 * The margin covers the instant between its creation and its flock. */
#define ABANDONED_SECONDS	5
#define STATE_FILE_MAX		(1024 * 1024 * 8)

/* Give up on the intake file: why says what failed, the file goes. */
static int
intake_fail(struct intake *in, const char *what, int saved, char *why,
    size_t whylen)
{
	snprintf(why, whylen, "%s: %s", what, strerror(saved));
	intake_abort(in);
	errno = saved;
	return -1;
}

int
intake_create(struct intake *in, const char *spooldir, char *why,
    size_t whylen)
{
	char	path[PATH_MAX];
	int	tries, saved;

	in->fd = in->dirfd = -1;
	if (fmt(path, sizeof(path), "%s/intake", spooldir) == -1) {
		snprintf(why, whylen, "queue directory name too long");
		return -1;
	}
	priv_raise();
	in->dirfd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
	if (in->dirfd == -1) {
		saved = errno;
		priv_lower();
		snprintf(why, whylen, "cannot open queue directory %s: %s",
		    path, strerror(saved));
		errno = saved;
		return -1;
	}
	for (tries = 0; tries < 16; tries++) {
		if (queue_id_new(in->id) == -1)
			break;
		snprintf(in->tmpname, sizeof(in->tmpname), "t.%s", in->id);
		in->fd = openat(in->dirfd, in->tmpname, O_WRONLY | O_CREAT |
		    O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
		if (in->fd != -1 || errno != EEXIST)
			break;
	}
	saved = errno;
	priv_lower();
	if (in->fd == -1) {
		snprintf(why, whylen, "cannot create queue file in %s: %s",
		    path, strerror(saved));
		close(in->dirfd);
		in->dirfd = -1;
		errno = saved;
		return -1;
	}
	/* The runner must be able to read what we write, whatever the
	 * caller's umask; only the runner can reach this directory. */
	if (fchmod(in->fd, 0644) == -1 || flock(in->fd, LOCK_EX) == -1)
		return intake_fail(in, "cannot prepare queue file", errno, why,
		    whylen);
	return 0;
}

int
intake_commit(struct intake *in, char *why, size_t whylen)
{
	char	name[QUEUE_ID_LEN + 3];
	int	saved, rc;

	snprintf(name, sizeof(name), "m.%s", in->id);
	/* Renamed before the syncs, still locked: the runner takes no
	 * locked m.<id>, and the file's sync then commits the new name in
	 * the same journal transaction, which leaves the directory's sync
	 * next to nothing to write (one device flush fewer per message). */
	priv_raise();
	rc = renameat(in->dirfd, in->tmpname, in->dirfd, name);
	saved = errno;
	priv_lower();
	if (rc == -1)
		return intake_fail(in, "cannot commit queue file", saved, why,
		    whylen);
	memcpy(in->tmpname, name, sizeof(name));
	/* Not durable, so not claimed: on failure take it back while we
	 * still hold the lock that keeps the runner off it. */
	if (fsync(in->fd) == -1)
		return intake_fail(in, "cannot write queue file", errno, why,
		    whylen);
	if (fsync_dir(in->dirfd) == -1) {
		saved = errno;
		/* The name may not be durable; the file is complete, so the
		 * runner will still deliver it if it survives.  We must not
		 * claim success, and must not remove what may be delivered. */
		snprintf(why, whylen, "cannot sync queue directory: %s",
		    strerror(saved));
		close(in->fd);
		close(in->dirfd);
		in->fd = in->dirfd = -1;
		errno = saved;
		return -1;
	}
	/* Closing releases the lock: only now may the runner take it. */
	rc = close(in->fd);
	in->fd = -1;
	close(in->dirfd);
	in->dirfd = -1;
	if (rc == -1) {
		snprintf(why, whylen, "cannot close queue file: %s",
		    strerror(errno));
		return -1;
	}
	return 0;
}

void
intake_abort(struct intake *in)
{
	int	saved = errno;

	if (in->dirfd != -1) {
		priv_raise();
		(void)unlinkat(in->dirfd, in->tmpname, 0);
		priv_lower();
		close(in->dirfd);
	}
	if (in->fd != -1)
		close(in->fd);
	in->fd = in->dirfd = -1;
	errno = saved;
}

int
intake_wait_mark(struct intake *in)
{
	char	name[QUEUE_ID_LEN + 3];
	int	fd;

	snprintf(name, sizeof(name), "w.%s", in->id);
	priv_raise();
	fd = openat(in->dirfd, name, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC |
	    O_NOFOLLOW, 0644);
	priv_lower();
	if (fd == -1)
		return -1;
	close(fd);
	return 0;
}

int
intake_wait_result(const char *spooldir, const char *id, int timeout_s,
    char *out, size_t outlen)
{
	char		path[PATH_MAX], mark[PATH_MAX];
	struct timespec	ts = { 0, 50 * 1000000L };
	ssize_t		n;
	int64_t		deadline = now_ms() + (int64_t)timeout_s * 1000;
	int		fd = -1;

	if (fmt(path, sizeof(path), "%s/intake/r.%s", spooldir, id) == -1 ||
	    fmt(mark, sizeof(mark), "%s/intake/w.%s", spooldir, id) == -1)
		return -1;
	/* The runner writes the report whole and renames it in: once it
	 * opens, it is complete. */
	while (now_ms() < deadline) {
		priv_raise();
		fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
		priv_lower();
		if (fd != -1)
			break;
		nanosleep(&ts, NULL);
	}
	priv_raise();
	(void)unlink(mark);
	priv_lower();
	if (fd == -1)
		return -1;
	n = read(fd, out, outlen - 1);
	close(fd);
	if (n <= 0)
		return -1;
	out[n] = '\0';
	out[strcspn(out, "\n")] = '\0';
	return 0;
}

int
intake_request_flush(const char *spooldir)
{
	char	path[PATH_MAX];
	int	fd;

	if (fmt(path, sizeof(path), "%s/intake/flush", spooldir) == -1)
		return -1;
	priv_raise();
	fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC | O_NOFOLLOW |
	    O_NONBLOCK, 0644);
	priv_lower();
	if (fd == -1)
		return -1;
	close(fd);
	return 0;
}

void
spool_report_result(struct spool *sp, const char *id, const char *line)
{
	char	mark[QUEUE_ID_LEN + 3], tmp[QUEUE_ID_LEN + 4];
	char	name[QUEUE_ID_LEN + 3];
	int	fd;

	snprintf(mark, sizeof(mark), "w.%s", id);
	if (sp->intakefd == -1 || faccessat(sp->intakefd, mark, F_OK,
	    AT_SYMLINK_NOFOLLOW) == -1)
		return;
	snprintf(tmp, sizeof(tmp), "rt.%s", id);
	snprintf(name, sizeof(name), "r.%s", id);
	fd = openat(sp->intakefd, tmp, O_WRONLY | O_CREAT | O_TRUNC |
	    O_CLOEXEC | O_NOFOLLOW, 0640);
	if (fd == -1)
		return;
	if (write_all(fd, line, strlen(line)) == -1 ||
	    write_all(fd, "\n", 1) == -1 || close(fd) == -1 ||
	    renameat(sp->intakefd, tmp, sp->intakefd, name) == -1)
		(void)unlinkat(sp->intakefd, tmp, 0);
}

/* Reports nobody waits for any more, and marks of submitters long gone. */
static void
remove_stale_report(struct spool *sp, const char *name, time_t now)
{
	struct stat	st;
	char		mark[QUEUE_ID_LEN + 3];

	if (fstatat(sp->intakefd, name, &st, AT_SYMLINK_NOFOLLOW) == -1)
		return;
	if (name[0] == 'r') {
		snprintf(mark, sizeof(mark), "w.%s", name + 2);
		if (faccessat(sp->intakefd, mark, F_OK,
		    AT_SYMLINK_NOFOLLOW) == 0 && now - st.st_mtime < 3600)
			return;
	} else if (now - st.st_mtime < 3600)
		return;
	(void)unlinkat(sp->intakefd, name, 0);
}

int
spool_take_flush_request(struct spool *sp)
{
	return sp->intakefd != -1 &&
	    unlinkat(sp->intakefd, "flush", 0) == 0;
}

int
runner_active(const char *spooldir)
{
	char	path[PATH_MAX];
	int	fd, busy = 0;

	if (fmt(path, sizeof(path), "%s/intake/lock", spooldir) == -1)
		return 0;
	priv_raise();
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
	priv_lower();
	if (fd == -1)
		return 0;
	/* A shared probe never blocks another probe; only a runner's
	 * exclusive lock makes it fail. */
	if (flock(fd, LOCK_SH | LOCK_NB) == -1)
		busy = errno == EWOULDBLOCK;
	close(fd);
	return busy;
}

static int
open_subdir(struct spool *sp, const char *name, mode_t mode, int create,
    char *why, size_t whylen)
{
	struct stat	st;
	int		fd;

	fd = openat(sp->rootfd, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC |
	    O_NOFOLLOW);
	if (fd == -1 && errno == ENOENT && create) {
		if (mkdirat(sp->rootfd, name, mode) == -1 && errno != EEXIST) {
			snprintf(why, whylen, "cannot create %s/%s: %s",
			    sp->dir, name, strerror(errno));
			return -1;
		}
		fd = openat(sp->rootfd, name, O_RDONLY | O_DIRECTORY |
		    O_CLOEXEC | O_NOFOLLOW);
		if (fd != -1)
			(void)fchmod(fd, mode);
	}
	if (fd == -1) {
		snprintf(why, whylen, "cannot open %s/%s: %s", sp->dir, name,
		    strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) == -1 || (st.st_mode & S_IWOTH)) {
		snprintf(why, whylen, "%s/%s: refusing a world-writable "
		    "queue directory", sp->dir, name);
		close(fd);
		return -1;
	}
	return fd;
}

int
spool_open(struct spool *sp, const char *dir, int create, char *why,
    size_t whylen)
{
	memset(sp, 0, sizeof(*sp));
	sp->rootfd = sp->intakefd = sp->queuefd = sp->failedfd =
	    sp->corruptfd = sp->lockfd = -1;
	sp->dir = xstrdup(dir);
	/* O_PATH: the subdirectories are reached through it, and their own
	 * modes decide who may do what. */
	sp->rootfd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (sp->rootfd == -1 && errno == ENOENT && create) {
		if (mkdir(dir, 0751) == -1 && errno != EEXIST) {
			snprintf(why, whylen, "cannot create %s: %s", dir,
			    strerror(errno));
			goto fail;
		}
		sp->rootfd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
	}
	if (sp->rootfd == -1) {
		snprintf(why, whylen, "cannot open queue directory %s: %s",
		    dir, strerror(errno));
		goto fail;
	}
	if ((sp->queuefd = open_subdir(sp, "queue", 0750, create, why,
	    whylen)) == -1)
		goto fail;
	sp->intakefd = open_subdir(sp, "intake", 03770, create, why, whylen);
	sp->failedfd = open_subdir(sp, "failed", 0750, create, why, whylen);
	sp->corruptfd = open_subdir(sp, "corrupt", 0750, create, why, whylen);
	if (create && (sp->intakefd == -1 || sp->failedfd == -1 ||
	    sp->corruptfd == -1))
		goto fail;
	return 0;
fail:
	spool_close(sp);
	return -1;
}

void
spool_close(struct spool *sp)
{
	int	*fds[] = { &sp->rootfd, &sp->intakefd, &sp->queuefd,
	    &sp->failedfd, &sp->corruptfd, &sp->lockfd };
	size_t	 i;

	for (i = 0; i < ARRAY_LEN(fds); i++) {
		if (*fds[i] != -1)
			close(*fds[i]);
		*fds[i] = -1;
	}
	free(sp->dir);
	sp->dir = NULL;
}

int
spool_lock(struct spool *sp)
{
	char	pid[32];
	int	n;

	if (sp->lockfd == -1) {
		sp->lockfd = openat(sp->intakefd, "lock", O_RDWR | O_CREAT |
		    O_CLOEXEC | O_NOFOLLOW, 0640);
		if (sp->lockfd == -1)
			return -1;
		(void)fchmod(sp->lockfd, 0640);
	}
	if (flock(sp->lockfd, LOCK_EX | LOCK_NB) == -1)
		return errno == EWOULDBLOCK ? 1 : -1;
	n = snprintf(pid, sizeof(pid), "%ld\n", (long)getpid());
	/* The pid is a courtesy for status and admins; the lock is what
	 * counts, so a failed write changes nothing. */
	if (ftruncate(sp->lockfd, 0) == 0 &&
	    pwrite(sp->lockfd, pid, (size_t)n, 0) != n)
		log_warn("cannot record the runner's pid: %s", strerror(errno));
	return 0;
}

void
spool_unlock(struct spool *sp)
{
	if (sp->lockfd != -1)
		(void)flock(sp->lockfd, LOCK_UN);
}

pid_t
spool_lock_holder(struct spool *sp)
{
	char		buf[32];
	ssize_t		n;
	uint64_t	v;
	int		fd;

	if (sp->intakefd == -1)
		return -1;
	fd = openat(sp->intakefd, "lock", O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd == -1)
		return -1;
	n = pread(fd, buf, sizeof(buf) - 1, 0);
	close(fd);
	if (n <= 0)
		return -1;
	buf[n] = '\0';
	buf[strcspn(buf, "\n")] = '\0';
	if (parse_u64(buf, INT32_MAX, &v) == -1 || v < 2)
		return -1;
	return (pid_t)v;
}

static void
quarantine(struct spool *sp, const char *name, const char *reason)
{
	char	esc[256];

	escape_text(esc, sizeof(esc), name, strlen(name));
	if (renameat(sp->intakefd, name, sp->corruptfd, name) == -1) {
		log_err("intake file %s: %s; cannot quarantine it: %s", esc,
		    reason, strerror(errno));
		(void)unlinkat(sp->intakefd, name, 0);
		return;
	}
	log_err("intake file %s: %s; moved to %s/corrupt", esc, reason,
	    sp->dir);
}

/* sendmail holds its lock on m.<id> until the file and the name are
 * synced (intake_commit); its close wakes the runner again. */
static int
still_being_committed(int fd)
{
	return flock(fd, LOCK_SH | LOCK_NB) == -1 && errno == EWOULDBLOCK;
}

/* Check one committed intake file as hostile input; queue it if sound. */
static int
pickup_one(struct spool *sp, const char *name)
{
	struct envelope	env;
	struct stat	st;
	char		why[256];
	int		fd, rc = 0;

	fd = openat(sp->intakefd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK |
	    O_CLOEXEC);
	if (fd == -1) {
		if (errno == ENOENT)
			return 0;
		quarantine(sp, name, strerror(errno));
		return 0;
	}
	if (still_being_committed(fd))
		goto out;
	if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode)) {
		quarantine(sp, name, "not a regular file");
		goto out;
	}
	if (st.st_nlink != 1) {
		quarantine(sp, name, "has more than one link");
		goto out;
	}
	if (envelope_read(fd, (uint64_t)st.st_size, &env, why,
	    sizeof(why)) == -1) {
		quarantine(sp, name, why);
		goto out;
	}
	if (strcmp(env.id, name + 2) != 0) {
		quarantine(sp, name, "queue id does not match its name");
	} else if (env.uid != st.st_uid) {
		/* The file's owner is whoever ran sendmail: a forged uid
		 * record shows up here. */
		quarantine(sp, name, "submitter uid does not match the owner");
	} else if (renameat(sp->intakefd, name, sp->queuefd, env.id) == -1) {
		log_err("%s: cannot move into queue: %s", env.id,
		    strerror(errno));
	} else
		rc = 1;
	envelope_free(&env);
out:
	close(fd);
	return rc;
}

static void
remove_if_abandoned(struct spool *sp, const char *name, time_t now)
{
	struct stat	st;
	int		fd;

	fd = openat(sp->intakefd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK |
	    O_CLOEXEC);
	if (fd == -1)
		return;
	if (fstat(fd, &st) == 0 && now - st.st_mtime >= ABANDONED_SECONDS &&
	    flock(fd, LOCK_EX | LOCK_NB) == 0) {
		if (unlinkat(sp->intakefd, name, 0) == 0)
			log_info("removed abandoned intake file %s", name);
	}
	close(fd);
}

static int
intake_name_ok(const char *name, char kind)
{
	return name[0] == kind && name[1] == '.' && queue_id_ok(name + 2);
}

int
spool_pickup(struct spool *sp)
{
	DIR		*d;
	struct dirent	*de;
	time_t		 now = time(NULL);
	int		 fd, queued = 0;

	if ((fd = dup(sp->intakefd)) == -1 || (d = fdopendir(fd)) == NULL) {
		log_err("cannot read %s/intake: %s", sp->dir, strerror(errno));
		if (fd != -1)
			close(fd);
		return 0;
	}
	rewinddir(d);
	while ((de = readdir(d)) != NULL) {
		if (intake_name_ok(de->d_name, 'm'))
			queued += pickup_one(sp, de->d_name);
		else if (intake_name_ok(de->d_name, 't'))
			remove_if_abandoned(sp, de->d_name, now);
		else if (intake_name_ok(de->d_name, 'r') ||
		    intake_name_ok(de->d_name, 'w'))
			remove_stale_report(sp, de->d_name, now);
	}
	closedir(d);
	/* No directory sync here: the message is already durable under its
	 * intake name, and the journal makes the rename atomic, so a crash
	 * leaves it in intake/ or in queue/, never in neither.  If the move
	 * is lost, the next pickup makes it again; the first state write
	 * (after any attempt that leaves the message queued) syncs queue/.
	 * Two flushes per message would otherwise stall the submitter's own
	 * fsync behind ours on every message of a steady stream. */
	return queued;
}

int
spool_intake_pending(struct spool *sp)
{
	DIR		*d;
	struct dirent	*de;
	int		 fd, found = 0;

	if (sp->intakefd == -1)
		return 0;
	if ((fd = dup(sp->intakefd)) == -1 || (d = fdopendir(fd)) == NULL) {
		if (fd != -1)
			close(fd);
		return 0;
	}
	rewinddir(d);
	while (!found && (de = readdir(d)) != NULL) {
		if (!intake_name_ok(de->d_name, 'm'))
			continue;
		/* One still being committed is not work yet: counting it
		 * would spin a runner until its writer closes. */
		fd = openat(sp->intakefd, de->d_name, O_RDONLY | O_NOFOLLOW |
		    O_NONBLOCK | O_CLOEXEC);
		if (fd == -1) {
			found = errno != ENOENT;
			continue;
		}
		found = !still_being_committed(fd);
		close(fd);
	}
	closedir(d);
	return found;
}

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The ids named in dirfd as "<prefix><id><suffix>", sorted. */
static int
list_ids(int dirfd, const char *prefix, const char *suffix, char ***idsp,
    size_t *np)
{
	DIR		*d;
	struct dirent	*de;
	char		**ids = NULL, id[QUEUE_ID_LEN + 1];
	size_t		 n = 0, cap = 0, plen = strlen(prefix);
	size_t		 slen = strlen(suffix);
	int		 fd;

	*idsp = NULL;
	*np = 0;
	if (dirfd == -1 || (fd = dup(dirfd)) == -1)
		return -1;
	if ((d = fdopendir(fd)) == NULL) {
		close(fd);
		return -1;
	}
	rewinddir(d);
	while ((de = readdir(d)) != NULL) {
		if (strlen(de->d_name) != plen + QUEUE_ID_LEN + slen ||
		    strncmp(de->d_name, prefix, plen) != 0 ||
		    strcmp(de->d_name + plen + QUEUE_ID_LEN, suffix) != 0)
			continue;
		memcpy(id, de->d_name + plen, QUEUE_ID_LEN);
		id[QUEUE_ID_LEN] = '\0';
		if (!queue_id_ok(id))
			continue;
		if (n == cap) {
			cap = cap ? cap * 2 : 64;
			ids = xrealloc(ids, cap * sizeof(*ids));
		}
		ids[n++] = xstrdup(id);
	}
	closedir(d);
	if (n > 1)
		qsort(ids, n, sizeof(*ids), cmp_str);
	*idsp = ids;
	*np = n;
	return 0;
}

int
spool_list(struct spool *sp, char ***idsp, size_t *np)
{
	return list_ids(sp->queuefd, "", "", idsp, np);
}

int
spool_list_states(struct spool *sp, char ***idsp, size_t *np)
{
	return list_ids(sp->queuefd, "", ".state", idsp, np);
}

int
spool_list_intake(struct spool *sp, char ***idsp, size_t *np)
{
	return list_ids(sp->intakefd, "m.", "", idsp, np);
}

void
spool_list_free(char **ids, size_t n)
{
	size_t	i;

	for (i = 0; i < n; i++)
		free(ids[i]);
	free(ids);
}

static int
open_message_at(int dirfd, const char *name, int *fdp, struct envelope *env,
    char *why, size_t whylen)
{
	struct stat	st;
	int		fd;

	*fdp = -1;
	fd = openat(dirfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd == -1) {
		snprintf(why, whylen, "%s", strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode)) {
		snprintf(why, whylen, "not a regular file");
		close(fd);
		return -1;
	}
	if (envelope_read(fd, (uint64_t)st.st_size, env, why, whylen) == -1) {
		close(fd);
		return -1;
	}
	*fdp = fd;
	return 0;
}

int
spool_open_message(struct spool *sp, const char *id, int *fdp,
    struct envelope *env, char *why, size_t whylen)
{
	return open_message_at(sp->queuefd, id, fdp, env, why, whylen);
}

int
spool_open_intake_message(struct spool *sp, const char *id, int *fdp,
    struct envelope *env, char *why, size_t whylen)
{
	char	name[QUEUE_ID_LEN + 3];

	snprintf(name, sizeof(name), "m.%s", id);
	return open_message_at(sp->intakefd, name, fdp, env, why, whylen);
}

void
state_free(struct qstate *qs)
{
	size_t	i;

	if (qs->reply)
		for (i = 0; i < qs->nrcpts; i++)
			free(qs->reply[i]);
	free(qs->reply);
	free(qs->status);
	memset(qs, 0, sizeof(*qs));
}

/*
 * State file, rewritten whole after every attempt:
 *	relayq-state 1
 *	attempts N
 *	next UNIXTIME
 *	error TEXT
 *	R INDEX D|F TEXT	one per recipient no longer pending
 */
int
state_read(struct spool *sp, const char *id, size_t nrcpts,
    struct qstate *qs)
{
	char		 name[QUEUE_ID_LEN + 8], *buf, *line, *next, *sp1;
	struct stat	 st;
	uint64_t	 v;
	int		 fd;

	memset(qs, 0, sizeof(*qs));
	qs->nrcpts = nrcpts;
	qs->status = xcalloc(nrcpts, 1);
	qs->reply = xcalloc(nrcpts, sizeof(char *));
	snprintf(name, sizeof(name), "%s.state", id);
	fd = openat(sp->queuefd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd == -1)
		return errno == ENOENT ? 0 : -1;
	if (fstat(fd, &st) == -1 || st.st_size > STATE_FILE_MAX) {
		close(fd);
		return -1;
	}
	buf = xmalloc((size_t)st.st_size + 1);
	if (pread_all(fd, buf, (size_t)st.st_size, 0) == -1) {
		free(buf);
		close(fd);
		return -1;
	}
	close(fd);
	buf[st.st_size] = '\0';
	for (line = buf; line && *line; line = next) {
		if ((next = strchr(line, '\n')) != NULL)
			*next++ = '\0';
		if ((sp1 = strchr(line, ' ')) == NULL)
			continue;
		*sp1++ = '\0';
		if (strcmp(line, "attempts") == 0 &&
		    parse_u64(sp1, INT32_MAX, &v) == 0)
			qs->attempts = (int)v;
		else if (strcmp(line, "next") == 0 &&
		    parse_u64(sp1, INT64_MAX, &v) == 0)
			qs->next = (int64_t)v;
		else if (strcmp(line, "warned") == 0)
			qs->warned = strcmp(sp1, "1") == 0;
		else if (strcmp(line, "error") == 0)
			snprintf(qs->error, sizeof(qs->error), "%s", sp1);
		else if (strcmp(line, "R") == 0) {
			char *idx = sp1, *st2, *text;

			if ((st2 = strchr(idx, ' ')) == NULL)
				continue;
			*st2++ = '\0';
			if (parse_u64(idx, nrcpts ? nrcpts - 1 : 0, &v) == -1 ||
			    nrcpts == 0 || (st2[0] != 'D' && st2[0] != 'F'))
				continue;
			qs->status[v] = (unsigned char)st2[0];
			text = st2[1] == ' ' ? st2 + 2 : "";
			free(qs->reply[v]);
			qs->reply[v] = xstrdup(text);
		}
	}
	free(buf);
	return 0;
}

/* Write buf to tmp in dirfd, durably, and rename it over name. */
static int
replace_at(int dirfd, const char *tmp, const char *name, const char *buf,
    size_t len)
{
	int	fd;

	fd = openat(dirfd, tmp, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW |
	    O_CLOEXEC, 0640);
	if (fd == -1)
		return -1;
	if (write_all(fd, buf, len) == -1 || fsync(fd) == -1) {
		close(fd);
		(void)unlinkat(dirfd, tmp, 0);
		return -1;
	}
	if (close(fd) == -1 || renameat(dirfd, tmp, dirfd, name) == -1) {
		(void)unlinkat(dirfd, tmp, 0);
		return -1;
	}
	return fsync_dir(dirfd);
}

int
state_write(struct spool *sp, const char *id, const struct qstate *qs)
{
	char	 tmp[QUEUE_ID_LEN + 8], name[QUEUE_ID_LEN + 8], *buf;
	size_t	 i, len = 0, cap = 256 + STATE_ERROR_MAX;
	int	 n;

	for (i = 0; i < qs->nrcpts; i++)
		if (qs->status[i])
			cap += 32 + (qs->reply[i] ? strlen(qs->reply[i]) : 0);
	buf = xmalloc(cap);
	n = snprintf(buf, cap, "relayq-state 1\nattempts %d\nnext %" PRId64
	    "\nwarned %d\nerror %s\n", qs->attempts, qs->next, qs->warned,
	    qs->error);
	len = (size_t)n;
	for (i = 0; i < qs->nrcpts; i++) {
		if (!qs->status[i])
			continue;
		n = snprintf(buf + len, cap - len, "R %zu %c %s\n", i,
		    qs->status[i], qs->reply[i] ? qs->reply[i] : "");
		len += (size_t)n;
	}
	snprintf(tmp, sizeof(tmp), "%s.tmp", id);
	snprintf(name, sizeof(name), "%s.state", id);
	n = replace_at(sp->queuefd, tmp, name, buf, len);
	free(buf);
	return n;
}

/* The auth refusal file of a smart host, in queue/ (a dot name is no
 * queue id, so listings and the debris sweep pass it by). */
static int
refusal_name(char *name, size_t len, const char *host, int port)
{
	return fmt(name, len, ".auth-refused.%s:%d", host, port);
}

int
spool_auth_refusal_read(struct spool *sp, const char *host, int port,
    struct auth_refusal *ar)
{
	char		 name[300], buf[2048], *line, *next, *val;
	ssize_t		 n;
	uint64_t	 v;
	int		 fd;

	memset(ar, 0, sizeof(*ar));
	if (refusal_name(name, sizeof(name), host, port) == -1)
		return -1;
	fd = openat(sp->queuefd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd == -1)
		return errno == ENOENT ? 0 : -1;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return n == 0 ? 0 : -1;
	buf[n] = '\0';
	for (line = buf; line && *line; line = next) {
		if ((next = strchr(line, '\n')) != NULL)
			*next++ = '\0';
		if ((val = strchr(line, ' ')) == NULL)
			continue;
		*val++ = '\0';
		if (strcmp(line, "since") == 0 &&
		    parse_u64(val, INT64_MAX, &v) == 0)
			ar->since = (int64_t)v;
		else if (strcmp(line, "until") == 0 &&
		    parse_u64(val, INT64_MAX, &v) == 0)
			ar->until = (int64_t)v;
		else if (strcmp(line, "count") == 0 &&
		    parse_u64(val, INT32_MAX, &v) == 0)
			ar->count = (int)v;
		else if (strcmp(line, "user") == 0)
			escape_text(ar->user, sizeof(ar->user), val,
			    strlen(val));
		else if (strcmp(line, "reply") == 0)
			escape_text(ar->reply, sizeof(ar->reply), val,
			    strlen(val));
	}
	return ar->count > 0 ? 1 : 0;
}

int
spool_auth_refusal_write(struct spool *sp, const char *host, int port,
    const struct auth_refusal *ar)
{
	char	name[300], tmp[310], buf[1200], user[256], reply[700];
	int	n;

	if (refusal_name(name, sizeof(name), host, port) == -1 ||
	    fmt(tmp, sizeof(tmp), "%s.tmp", name) == -1)
		return -1;
	/* One line each, whatever the relay put in its reply. */
	escape_text(user, sizeof(user), ar->user, strlen(ar->user));
	escape_text(reply, sizeof(reply), ar->reply, strlen(ar->reply));
	n = snprintf(buf, sizeof(buf), "relayq-auth-refused 1\nsince %"
	    PRId64 "\nuntil %" PRId64 "\ncount %d\nuser %s\nreply %s\n",
	    ar->since, ar->until, ar->count, user, reply);
	if (n < 0 || (size_t)n >= sizeof(buf))
		return -1;
	return replace_at(sp->queuefd, tmp, name, buf, (size_t)n);
}

void
spool_auth_refusal_text(const struct auth_refusal *ar, const char *host,
    int port, char *out, size_t len)
{
	struct tm	tm;
	time_t		until = (time_t)ar->until;
	char		when[40];

	localtime_r(&until, &tm);
	strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S", &tm);
	snprintf(out, len, "relay %s:%d refused the credentials of %s: %s; "
	    "relayq tries no AUTH there before %s (%d refusal%s in a row)",
	    host, port, ar->user, ar->reply, when, ar->count,
	    ar->count == 1 ? "" : "s");
}

int
spool_auth_refusal_clear(struct spool *sp, const char *host, int port)
{
	char	name[300];

	if (refusal_name(name, sizeof(name), host, port) == -1)
		return -1;
	if (unlinkat(sp->queuefd, name, 0) == -1)
		return errno == ENOENT ? 0 : -1;
	return fsync_dir(sp->queuefd);
}

int
spool_queue_new(struct spool *sp, struct envelope *env,
    int (*write_body)(int fd, void *arg), void *arg, char *why,
    size_t whylen)
{
	char		 tmp[QUEUE_ID_LEN + 8], trailer[ENVELOPE_TRAILER_LEN + 1];
	char		*head;
	size_t		 headlen;
	struct stat	 st;
	int		 fd = -1, tries;

	for (tries = 0; tries < 16; tries++) {
		if (queue_id_new(env->id) == -1)
			break;
		snprintf(tmp, sizeof(tmp), "%s.new", env->id);
		fd = openat(sp->queuefd, tmp, O_WRONLY | O_CREAT | O_EXCL |
		    O_NOFOLLOW | O_CLOEXEC, 0640);
		if (fd != -1 || errno != EEXIST)
			break;
	}
	if (fd == -1) {
		snprintf(why, whylen, "cannot create in %s/queue: %s", sp->dir,
		    strerror(errno));
		return -1;
	}
	head = envelope_format(env, &headlen);
	if (write_all(fd, head, headlen) == -1 || write_body(fd, arg) == -1 ||
	    fstat(fd, &st) == -1) {
		free(head);
		goto fail;
	}
	free(head);
	envelope_trailer((uint64_t)st.st_size - headlen, trailer);
	if (write_all(fd, trailer, ENVELOPE_TRAILER_LEN) == -1 ||
	    fsync(fd) == -1 || close(fd) == -1) {
		fd = -1;
		goto fail;
	}
	fd = -1;
	/* The ".new" name is invisible to listings until this rename. */
	if (renameat(sp->queuefd, tmp, sp->queuefd, env->id) == -1 ||
	    fsync_dir(sp->queuefd) == -1)
		goto fail;
	return 0;
fail:
	snprintf(why, whylen, "cannot write %s/queue/%s: %s", sp->dir, tmp,
	    strerror(errno));
	if (fd != -1)
		close(fd);
	(void)unlinkat(sp->queuefd, tmp, 0);
	return -1;
}

void
spool_clean_debris(struct spool *sp)
{
	DIR		*d;
	struct dirent	*de;
	struct stat	 st;
	char		 id[QUEUE_ID_LEN + 1];
	const char	*dot;
	time_t		 now = time(NULL);
	int		 fd;

	if ((fd = dup(sp->queuefd)) == -1 || (d = fdopendir(fd)) == NULL) {
		if (fd != -1)
			close(fd);
		return;
	}
	rewinddir(d);
	while ((de = readdir(d)) != NULL) {
		dot = strchr(de->d_name, '.');
		if (dot == NULL || (size_t)(dot - de->d_name) != QUEUE_ID_LEN)
			continue;
		memcpy(id, de->d_name, QUEUE_ID_LEN);
		id[QUEUE_ID_LEN] = '\0';
		if (!queue_id_ok(id) || fstatat(sp->queuefd, de->d_name, &st,
		    AT_SYMLINK_NOFOLLOW) == -1)
			continue;
		if (strcmp(dot, ".state") == 0) {
			if (faccessat(sp->queuefd, id, F_OK,
			    AT_SYMLINK_NOFOLLOW) == -1 && errno == ENOENT &&
			    now - st.st_mtime >= 3600)
				(void)unlinkat(sp->queuefd, de->d_name, 0);
		} else if ((strcmp(dot, ".new") == 0 ||
		    strcmp(dot, ".tmp") == 0) && now - st.st_mtime >= 3600)
			(void)unlinkat(sp->queuefd, de->d_name, 0);
	}
	closedir(d);
}

int
spool_finish(struct spool *sp, const char *id)
{
	char	name[QUEUE_ID_LEN + 8];

	/* No fsync: if the removal is lost in a crash the message is sent
	 * again, and a duplicate is the accepted price, not a loss. */
	snprintf(name, sizeof(name), "%s.state", id);
	if (unlinkat(sp->queuefd, name, 0) == -1 && errno != ENOENT)
		return -1;
	if (unlinkat(sp->queuefd, id, 0) == -1 && errno != ENOENT)
		return -1;
	return 0;
}

int
spool_fail(struct spool *sp, const char *id)
{
	char	name[QUEUE_ID_LEN + 8];

	snprintf(name, sizeof(name), "%s.state", id);
	if (renameat(sp->queuefd, name, sp->failedfd, name) == -1 &&
	    errno != ENOENT)
		return -1;
	if (renameat(sp->queuefd, id, sp->failedfd, id) == -1)
		return -1;
	if (fsync_dir(sp->failedfd) == -1)
		return -1;
	return fsync_dir(sp->queuefd);
}
