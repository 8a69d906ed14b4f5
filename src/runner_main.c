/*
 * relayq-runner - the queue runner program that sendmail starts in the
 * background, and that a service manager runs as "relayq-runner --daemon".
 *
 * Installed set-user-id and set-group-id to the relayq account, so that an
 * ordinary user's submission can start delivery without ever holding the
 * relay secret's group itself.  It therefore trusts nothing from its
 * caller: the environment is cleared, descriptors beyond 2 are closed and
 * 0-2 point at /dev/null, and arguments count only when the caller is root
 * or already the relayq account.  RELAYQ_CONFIG is honoured only by
 * dropping every privilege first.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sysexits.h>
#include <unistd.h>

#include "conf.h"
#include "log.h"
#include "pathnames.h"
#include "privilege.h"
#include "runner.h"
#include "util.h"

int
main(int argc, char **argv)
{
	struct runner_opts	 o;
	struct config		 cf;
	char			 why[1024], *override = NULL;
	const char		*env;
	int			 trusted_caller, code;

	sanitize_stdio();
	close_other_fds();
	limit_core();
	umask(027);
	trusted_caller = getuid() == 0 || getuid() == geteuid();
	if ((env = getenv("RELAYQ_CONFIG")) != NULL && *env != '\0')
		override = xstrdup(env);
	if (clearenv() != 0)
		_exit(EX_OSERR);
	raise_limits();

	log_init("relayq", 0);
	if (runner_take_identity(override != NULL, why, sizeof(why)) == -1) {
		log_err("%s", why);
		return EX_NOPERM;
	}
	limit_core();	/* the id change may have made us dumpable again */
	memset(&o, 0, sizeof(o));
	o.mode = RUNNER_ON_DEMAND;
	if (trusted_caller || override != NULL) {
		if (argc > 1 && strcmp(argv[1], "--daemon") == 0)
			o.mode = RUNNER_DAEMON;
		else if (argc > 1) {
			fprintf(stderr, "usage: relayq-runner [--daemon]\n");
			return EX_USAGE;
		}
	}
	if (o.mode == RUNNER_DAEMON && isatty(STDERR_FILENO))
		log_set_stderr(1);
	if (conf_load(override ? override : RELAYQ_CONFIG_PATH,
	    override != NULL, &cf, why, sizeof(why)) == -1) {
		log_err("%s", why);
		return EX_CONFIG;
	}
	code = runner_run(&cf, &o);
	conf_free(&cf);
	free(override);
	return code;
}
