/*
 * runstate - the runner's record for relayq status; see runstate.h.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "runstate.h"
#include "util.h"

#define RUNSTATE_MAX	8192

static void
put_text(char *dst, size_t len, const char *src)
{
	escape_text(dst, len, src, strlen(src));
}

int
runstate_read(int rootfd, struct runstate *rs)
{
	char	 buf[RUNSTATE_MAX + 1], *line, *next, *val;
	ssize_t	 n;
	uint64_t v;
	int	 fd;

	memset(rs, 0, sizeof(*rs));
	fd = openat(rootfd, RUNSTATE_FILE, O_RDONLY | O_NOFOLLOW | O_CLOEXEC |
	    O_NONBLOCK);
	if (fd == -1)
		return -1;
	n = read(fd, buf, RUNSTATE_MAX);
	close(fd);
	if (n < 0)
		return -1;
	buf[n] = '\0';
	if (strncmp(buf, "relayq-status 1\n", 16) != 0) {
		errno = EINVAL;
		return -1;
	}
	for (line = buf; line && *line; line = next) {
		if ((next = strchr(line, '\n')) != NULL)
			*next++ = '\0';
		if ((val = strchr(line, ' ')) == NULL)
			continue;
		*val++ = '\0';
		if (strcmp(line, "mode") == 0)
			put_text(rs->mode, sizeof(rs->mode), val);
		else if (strcmp(line, "success_relay") == 0)
			put_text(rs->success_relay, sizeof(rs->success_relay),
			    val);
		else if (strcmp(line, "error_relay") == 0)
			put_text(rs->error_relay, sizeof(rs->error_relay), val);
		else if (strcmp(line, "error") == 0)
			put_text(rs->error, sizeof(rs->error), val);
		else if (parse_u64(val, INT64_MAX, &v) == -1)
			continue;
		else if (strcmp(line, "pid") == 0)
			rs->pid = v <= INT32_MAX ? (long)v : 0;
		else if (strcmp(line, "started") == 0)
			rs->started = (int64_t)v;
		else if (strcmp(line, "last_pass") == 0)
			rs->last_pass = (int64_t)v;
		else if (strcmp(line, "success_time") == 0)
			rs->success_time = (int64_t)v;
		else if (strcmp(line, "error_time") == 0)
			rs->error_time = (int64_t)v;
		else if (strcmp(line, "credentials") == 0)
			rs->credentials = v != 0;
		else if (strcmp(line, "error_last") == 0)
			rs->error_last = v != 0;
	}
	return 0;
}

int
runstate_write(int rootfd, const struct runstate *rs)
{
	char	buf[RUNSTATE_MAX];
	int	fd, n, saved;

	n = snprintf(buf, sizeof(buf), "relayq-status 1\npid %ld\nmode %s\n"
	    "started %" PRId64 "\nlast_pass %" PRId64 "\nsuccess_time %"
	    PRId64 "\nsuccess_relay %s\nerror_time %" PRId64 "\n"
	    "error_relay %s\nerror %s\ncredentials %d\nerror_last %d\n",
	    rs->pid, rs->mode, rs->started, rs->last_pass, rs->success_time,
	    rs->success_relay, rs->error_time, rs->error_relay, rs->error,
	    rs->credentials, rs->error_last);
	if (n < 0 || (size_t)n >= sizeof(buf)) {
		errno = EOVERFLOW;
		return -1;
	}
	/* Readable by the relayq group, as the queue is. */
	fd = openat(rootfd, RUNSTATE_FILE ".tmp", O_WRONLY | O_CREAT | O_TRUNC |
	    O_NOFOLLOW | O_CLOEXEC, 0640);
	if (fd == -1)
		return -1;
	if (write_all(fd, buf, (size_t)n) == -1) {
		saved = errno;
		close(fd);
		goto fail;
	}
	if (close(fd) == -1 || renameat(rootfd, RUNSTATE_FILE ".tmp", rootfd,
	    RUNSTATE_FILE) == -1) {
		saved = errno;
		goto fail;
	}
	return 0;
fail:
	(void)unlinkat(rootfd, RUNSTATE_FILE ".tmp", 0);
	errno = saved;
	return -1;
}
