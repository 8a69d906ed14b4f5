/*
 * timeit - run a command N times, stdin from a file each time, and print
 * the wall time of each run in microseconds, one per line.  Used by the
 * benchmarks instead of a shell loop, whose own fork and exec would be
 * counted.
 *
 *	timeit N INPUT COMMAND [ARG...]
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

int
main(int argc, char **argv)
{
	struct timespec	a, b;
	int		n, i, fd, status;
	pid_t		pid;

	if (argc < 4) {
		fprintf(stderr, "usage: timeit N INPUT COMMAND [ARG...]\n");
		return 64;
	}
	n = atoi(argv[1]);
	for (i = 0; i < n; i++) {
		if ((fd = open(argv[2], O_RDONLY)) == -1) {
			perror(argv[2]);
			return 66;
		}
		clock_gettime(CLOCK_MONOTONIC, &a);
		pid = fork();
		if (pid == 0) {
			dup2(fd, 0);
			close(fd);
			execvp(argv[3], argv + 3);
			_exit(127);
		}
		close(fd);
		if (pid == -1 || waitpid(pid, &status, 0) == -1) {
			perror("fork");
			return 71;
		}
		clock_gettime(CLOCK_MONOTONIC, &b);
		if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
			fprintf(stderr, "run %d: command failed (status %d)\n",
			    i, status);
			return 1;
		}
		printf("%ld\n", (b.tv_sec - a.tv_sec) * 1000000L +
		    (b.tv_nsec - a.tv_nsec) / 1000);
	}
	return 0;
}
