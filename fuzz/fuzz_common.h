/*
 * fuzz_common - what the libFuzzer harnesses share: one scratch directory
 * per process (removed at exit), files written into it, and a config that
 * points only there.  Harnesses never write anywhere else and never call
 * log_init(), so nothing reaches syslog.
 *
 * The scratch directory is under $FUZZ_TMPDIR, else /dev/shm (fsync is
 * free on tmpfs, and the spool harnesses fsync every message), else
 * $TMPDIR or /tmp.
 */
#ifndef RELAYQ_FUZZ_COMMON_H
#define RELAYQ_FUZZ_COMMON_H

#include <dirent.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "conf.h"
#include "util.h"

static char fuzz_dir[256];

/* Remove what a harness left in dir (one level of subdirectories). */
static inline void
fuzz_rm_tree(const char *dir, int depth)
{
	DIR		*d;
	struct dirent	*e;
	char		 path[512];
	struct stat	 st;

	if ((d = opendir(dir)) == NULL)
		return;
	while ((e = readdir(d)) != NULL) {
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		if (lstat(path, &st) == 0 && S_ISDIR(st.st_mode)) {
			if (depth < 2)
				fuzz_rm_tree(path, depth + 1);
			rmdir(path);
		} else
			unlink(path);
	}
	closedir(d);
}

static inline void
fuzz_cleanup(void)
{
	if (fuzz_dir[0] != '\0') {
		fuzz_rm_tree(fuzz_dir, 0);
		rmdir(fuzz_dir);
	}
}

/* The scratch directory of this process, made on first use. */
static inline const char *
fuzz_tmpdir(void)
{
	const char	*base = getenv("FUZZ_TMPDIR");

	if (fuzz_dir[0] != '\0')
		return fuzz_dir;
	if (base == NULL || *base == '\0')
		base = access("/dev/shm", W_OK) == 0 ? "/dev/shm" :
		    getenv("TMPDIR");
	if (base == NULL || *base == '\0')
		base = "/tmp";
	snprintf(fuzz_dir, sizeof(fuzz_dir), "%s/relayq-fuzz.XXXXXX", base);
	if (mkdtemp(fuzz_dir) == NULL) {
		perror("fuzz: mkdtemp");
		abort();
	}
	atexit(fuzz_cleanup);
	return fuzz_dir;
}

/* fuzz_path - name inside the scratch directory (a static buffer each
 * call: copy it when two are needed at once). */
static inline const char *
fuzz_path(const char *name)
{
	static char	path[512];

	snprintf(path, sizeof(path), "%s/%s", fuzz_tmpdir(), name);
	return path;
}

static inline void
fuzz_write_file(const char *path, const void *data, size_t len)
{
	int	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);

	if (fd == -1 || (len > 0 && write_all(fd, data, len) == -1)) {
		perror(path);
		abort();
	}
	close(fd);
}

/* A NUL-terminated copy of the input, for parsers that take strings. */
static inline char *
fuzz_strndup(const uint8_t *data, size_t size)
{
	char	*s = xmalloc(size + 1);

	memcpy(s, data, size);
	s[size] = '\0';
	return s;
}

/* A config as conf_load would make it, without a file: the spool, if
 * any, in the scratch directory; a fixed domain so nothing depends on
 * the host. */
static inline void
fuzz_config(struct config *cf)
{
	static char	*local_domains[] = { "local.test", NULL };

	memset(cf, 0, sizeof(*cf));
	cf->queue_dir = (char *)fuzz_path("spool");
	cf->queue_dir = xstrdup(cf->queue_dir);
	cf->domain = xstrdup("example.org");
	cf->max_message_size = 1024 * 1024;
	cf->rewrite_from_header = REWRITE_FROM_LOCAL;
	cf->rewrite_to_header = 1;
	cf->nlocal_domains = 1;
	cf->local_domains = local_domains;
	cf->messages_per_connection = 1;
	cf->max_connections = 1;
}

/* Everything fuzz_config made; its local_domains are static. */
static inline void
fuzz_config_free(struct config *cf)
{
	free(cf->queue_dir);
	free(cf->domain);
	free(cf->aliases);
	free(cf->admin);
	memset(cf, 0, sizeof(*cf));
}

/* A spool with its intake directory, as submit needs it. */
static inline void
fuzz_spool(const struct config *cf)
{
	char	path[600];

	mkdir(cf->queue_dir, 0700);
	snprintf(path, sizeof(path), "%s/intake", cf->queue_dir);
	mkdir(path, 0700);
}

/* Forget the messages a run queued, so the next run starts alike. */
static inline void
fuzz_spool_empty(const struct config *cf)
{
	char	path[600];

	snprintf(path, sizeof(path), "%s/intake", cf->queue_dir);
	fuzz_rm_tree(path, 2);
}

#endif
