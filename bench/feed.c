/*
 * feed - run a command once for each file of a directory, with that file
 * as its stdin, for bench/run's B3 queueing (not timed): no shell, no
 * pipeline, so the time goes to the contender.
 *
 *	feed [-P N] DIR COMMAND [ARG...]
 *
 * Files are taken in name order, at most N commands at a time (default 1).
 * Exits 0 if every command exited 0, else 1 after all have run, naming
 * the files whose command failed.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

struct slot {
	pid_t	 pid;
	char	*name;
};

static int
reap(struct slot *slots, int nslots)
{
	int	status, i, bad = 0;
	pid_t	pid;

	if ((pid = wait(&status)) == -1)
		return -1;
	for (i = 0; i < nslots; i++) {
		if (slots[i].pid != pid)
			continue;
		if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
			fprintf(stderr, "feed: %s: status %d\n", slots[i].name,
			    status);
			bad = 1;
		}
		free(slots[i].name);
		slots[i].pid = 0;
		slots[i].name = NULL;
	}
	return bad;
}

int
main(int argc, char **argv)
{
	struct dirent	**list;
	struct slot	 *slots;
	int		  c, par = 1, n, i, j, running = 0, failed = 0, r;

	while ((c = getopt(argc, argv, "+P:")) != -1) {
		if (c != 'P' || (par = atoi(optarg)) < 1) {
			fprintf(stderr, "usage: feed [-P N] DIR COMMAND [ARG...]\n");
			return 64;
		}
	}
	if (argc - optind < 2) {
		fprintf(stderr, "usage: feed [-P N] DIR COMMAND [ARG...]\n");
		return 64;
	}
	if ((n = scandir(argv[optind], &list, NULL, alphasort)) == -1) {
		perror(argv[optind]);
		return 66;
	}
	if ((slots = calloc(par, sizeof(*slots))) == NULL)
		return 71;
	for (i = 0; i < n; i++) {
		char	*path;
		int	 fd;
		pid_t	 pid;

		if (list[i]->d_name[0] == '.')
			continue;
		if (asprintf(&path, "%s/%s", argv[optind], list[i]->d_name) == -1)
			return 71;
		if ((fd = open(path, O_RDONLY)) == -1) {
			perror(path);
			return 66;
		}
		while (running >= par) {
			if ((r = reap(slots, par)) == -1)
				return 71;
			failed |= r;
			running--;
		}
		if ((pid = fork()) == -1) {
			perror("fork");
			return 71;
		}
		if (pid == 0) {
			dup2(fd, 0);
			close(fd);
			execvp(argv[optind + 1], argv + optind + 1);
			_exit(127);
		}
		close(fd);
		for (j = 0; j < par && slots[j].pid != 0; j++)
			;
		slots[j].pid = pid;
		slots[j].name = path;
		running++;
	}
	while (running > 0) {
		if ((r = reap(slots, par)) == -1)
			return 71;
		failed |= r;
		running--;
	}
	return failed ? 1 : 0;
}
