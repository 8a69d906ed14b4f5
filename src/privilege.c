/*
 * privilege - the submission group and process hygiene; see privilege.h.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sysexits.h>
#include <unistd.h>

#include "privilege.h"

static gid_t	real_gid, priv_gid;
static int	setgid_run;

void
priv_init(void)
{
	real_gid = getgid();
	priv_gid = getegid();
	setgid_run = real_gid != priv_gid || getuid() != geteuid();
	if (real_gid != priv_gid && setegid(real_gid) == -1) {
		fprintf(stderr, "relayq: cannot lower group privilege: %s\n",
		    strerror(errno));
		_exit(EX_OSERR);
	}
}

int
priv_is_setid(void)
{
	return setgid_run;
}

int
priv_raise(void)
{
	int	rc;

	if (real_gid == priv_gid)
		return 0;
	rc = setegid(priv_gid);
	(void)prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
	return rc;
}

int
priv_lower(void)
{
	if (real_gid == priv_gid)
		return 0;
	if (setegid(real_gid) == -1) {
		/* Continuing with the group would break the promise in the
		 * header; there is no safe way on. */
		_exit(EX_OSERR);
	}
	(void)prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
	return 0;
}

void
priv_drop(void)
{
	if (setresgid(real_gid, real_gid, real_gid) == -1 ||
	    setresuid(getuid(), getuid(), getuid()) == -1) {
		fprintf(stderr, "relayq: cannot drop privileges: %s\n",
		    strerror(errno));
		_exit(EX_OSERR);
	}
	priv_gid = real_gid;
}

void
sanitize_stdio(void)
{
	int	fd;

	for (;;) {
		fd = open("/dev/null", O_RDWR);
		if (fd == -1)
			_exit(EX_OSERR);
		if (fd > 2) {
			close(fd);
			break;
		}
	}
}

void
limit_core(void)
{
	struct rlimit	rl = { 0, 0 };

	setrlimit(RLIMIT_CORE, &rl);
	prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
}

void
close_other_fds(void)
{
#ifdef HAVE_CLOSEFROM
	closefrom(3);
#else
	int	fd;

	for (fd = 3; fd < 1024; fd++)
		close(fd);
#endif
}

void
raise_limits(void)
{
	static const int	 which[] = { RLIMIT_CPU, RLIMIT_FSIZE,
	    RLIMIT_DATA, RLIMIT_AS, RLIMIT_NOFILE };
	struct rlimit		 rl;
	size_t			 i;

	for (i = 0; i < sizeof(which) / sizeof(which[0]); i++)
		if (getrlimit(which[i], &rl) == 0 && rl.rlim_cur != rl.rlim_max) {
			rl.rlim_cur = rl.rlim_max;
			(void)setrlimit(which[i], &rl);
		}
	signal(SIGXFSZ, SIG_IGN);
}
