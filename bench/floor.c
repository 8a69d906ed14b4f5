/*
 * floor - the least any front end can do and still keep the promise of
 * exit status 0 (the message and its name are on disk): read stdin into
 * a new file in DIR, rename it, fsync the file and the directory.  No
 * configuration, no parsing, no headers, no user lookup, no log line.
 * bench/run times it like a contender, so that B1 shows what of relayq's
 * time is the machine's (process start, two device flushes) and what is
 * relayq's own work.
 *
 *	floor DIR < message
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>

int
main(int argc, char **argv)
{
	static char	buf[65536];
	char		tmp[64], name[64];
	ssize_t		n;
	int		dirfd, fd;

	if (argc != 2) {
		fprintf(stderr, "usage: floor DIR < message\n");
		return 64;
	}
	snprintf(tmp, sizeof(tmp), "t.%ld", (long)getpid());
	snprintf(name, sizeof(name), "m.%ld", (long)getpid());
	if ((dirfd = open(argv[1], O_RDONLY | O_DIRECTORY)) == -1 ||
	    (fd = openat(dirfd, tmp, O_WRONLY | O_CREAT | O_EXCL, 0644)) == -1) {
		perror(argv[1]);
		return 73;
	}
	while ((n = read(0, buf, sizeof(buf))) > 0)
		if (write(fd, buf, (size_t)n) != n) {
			perror("write");
			return 74;
		}
	if (n == -1 || renameat(dirfd, tmp, dirfd, name) == -1 ||
	    fsync(fd) == -1 || fsync(dirfd) == -1 || close(fd) == -1) {
		perror("floor");
		return 74;
	}
	return 0;
}
