/*
 * clock - run one command and record when it started and how long it took,
 * for bench/run.  Unlike timeit, the command's output can be sent away
 * (mailq prints a long listing), and the start is recorded as wall-clock
 * time, so that it can be compared with the modification times of the
 * files the test relay writes.
 *
 *	clock [-i INPUT] [-o OUTPUT] [-p PIDFILE] RESULT COMMAND [ARG...]
 *
 * INPUT and OUTPUT (default: inherited) become the command's stdin and
 * stdout.  PIDFILE gets the command's pid as soon as it runs, so that it
 * can be ended from outside.  RESULT gets one line:
 *
 *	START_REALTIME_NS ELAPSED_US STATUS
 *
 * STATUS is the exit code, or 128 + the signal that ended the command.
 * clock exits 0 once RESULT is written, whatever the command did.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static void
usage(void)
{
	fprintf(stderr, "usage: clock [-i INPUT] [-o OUTPUT] [-p PIDFILE] "
	    "RESULT COMMAND [ARG...]\n");
	exit(64);
}

int
main(int argc, char **argv)
{
	struct timespec	 real, a, b;
	const char	*in = NULL, *out = NULL, *pidfile = NULL;
	FILE		*f;
	pid_t		 pid;
	int		 c, status, code;

	while ((c = getopt(argc, argv, "+i:o:p:")) != -1) {
		switch (c) {
		case 'i': in = optarg; break;
		case 'o': out = optarg; break;
		case 'p': pidfile = optarg; break;
		default: usage();
		}
	}
	if (argc - optind < 2)
		usage();
	clock_gettime(CLOCK_REALTIME, &real);
	clock_gettime(CLOCK_MONOTONIC, &a);
	pid = fork();
	if (pid == -1) {
		perror("fork");
		return 71;
	}
	if (pid == 0) {
		int fd;

		if (in && ((fd = open(in, O_RDONLY)) == -1 || dup2(fd, 0) == -1)) {
			perror(in);
			_exit(66);
		}
		if (out && ((fd = open(out, O_WRONLY | O_CREAT | O_TRUNC, 0644))
		    == -1 || dup2(fd, 1) == -1)) {
			perror(out);
			_exit(73);
		}
		execvp(argv[optind + 1], argv + optind + 1);
		perror(argv[optind + 1]);
		_exit(127);
	}
	if (pidfile && (f = fopen(pidfile, "w")) != NULL) {
		fprintf(f, "%ld\n", (long)pid);
		fclose(f);
	}
	if (waitpid(pid, &status, 0) == -1) {
		perror("waitpid");
		return 71;
	}
	clock_gettime(CLOCK_MONOTONIC, &b);
	code = WIFEXITED(status) ? WEXITSTATUS(status) :
	    128 + WTERMSIG(status);
	if ((f = fopen(argv[optind], "w")) == NULL) {
		perror(argv[optind]);
		return 73;
	}
	fprintf(f, "%lld %ld %d\n",
	    (long long)real.tv_sec * 1000000000LL + real.tv_nsec,
	    (b.tv_sec - a.tv_sec) * 1000000L + (b.tv_nsec - a.tv_nsec) / 1000,
	    code);
	return fclose(f) == 0 ? 0 : 73;
}
