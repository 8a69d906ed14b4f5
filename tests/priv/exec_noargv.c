/*
 * exec_noargv PROGRAM - run PROGRAM with an empty argument list (argc 0,
 * not even a program name), as a hostile caller can, for
 * tests/bats/45-hygiene.bats.  The environment is passed on.
 */
#include <stdio.h>
#include <unistd.h>

extern char **environ;

int
main(int argc, char **argv)
{
	char	*none[] = { NULL };

	if (argc != 2) {
		fprintf(stderr, "usage: exec_noargv PROGRAM\n");
		return 64;
	}
	execve(argv[1], none, environ);
	perror(argv[1]);
	return 127;
}
