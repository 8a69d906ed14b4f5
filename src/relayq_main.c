/*
 * relayq - the administrator's command: look at the queue and run it.
 *
 *	relayq [-C file] [-v] queue
 *	relayq [-C file] [-v] run [--daemon]
 *	relayq [-C file] [-v] flush
 *
 * Not set-id.  Run by root, "run" and "flush" become the relayq account
 * before touching the queue; -C (or RELAYQ_CONFIG) is for tests and
 * private queues, and keeps the caller's own rights.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>

#include "conf.h"
#include "log.h"
#include "pathnames.h"
#include "queue_list.h"
#include "runner.h"

static void __attribute__((noreturn))
usage(void)
{
	fprintf(stderr,
	    "usage: relayq [-C file] [-v] queue\n"
	    "       relayq [-C file] [-v] run [--daemon]\n"
	    "       relayq [-C file] [-v] flush\n"
	    "       relayq --version\n");
	exit(EX_USAGE);
}

int
main(int argc, char **argv)
{
	struct runner_opts	 o;
	struct config		 cf;
	const char		*config = NULL, *cmd;
	char			 why[1024];
	int			 i, verbose = 0, code;

	for (i = 1; i < argc && argv[i][0] == '-'; i++) {
		if (strcmp(argv[i], "-C") == 0 && i + 1 < argc)
			config = argv[++i];
		else if (strcmp(argv[i], "-v") == 0)
			verbose = 1;
		else if (strcmp(argv[i], "--version") == 0) {
			printf("relayq %s\n", PACKAGE_VERSION);
			return EX_OK;
		} else
			usage();
	}
	if (i >= argc)
		usage();
	cmd = argv[i++];
	if (config == NULL && getenv("RELAYQ_CONFIG") &&
	    *getenv("RELAYQ_CONFIG"))
		config = getenv("RELAYQ_CONFIG");

	log_init("relayq", 1);
	log_set_stderr(verbose || isatty(STDERR_FILENO));
	log_set_debug(verbose);

	memset(&o, 0, sizeof(o));
	if (strcmp(cmd, "queue") == 0 || strcmp(cmd, "list") == 0) {
		if (i != argc)
			usage();
	} else if (strcmp(cmd, "run") == 0) {
		o.mode = RUNNER_ONCE;
		if (i < argc && strcmp(argv[i], "--daemon") == 0) {
			o.mode = RUNNER_DAEMON;
			i++;
		}
		if (i != argc)
			usage();
	} else if (strcmp(cmd, "flush") == 0) {
		o.mode = RUNNER_ONCE;
		o.flush = 1;
		if (i != argc)
			usage();
	} else
		usage();

	if (strcmp(cmd, "queue") != 0 && strcmp(cmd, "list") != 0 &&
	    runner_take_identity(config != NULL, why, sizeof(why)) == -1) {
		fprintf(stderr, "relayq: %s\n", why);
		return EX_NOPERM;
	}
	if (conf_load(config ? config : RELAYQ_CONFIG_PATH, config != NULL,
	    &cf, why, sizeof(why)) == -1) {
		fprintf(stderr, "relayq: %s\n", why);
		return EX_CONFIG;
	}
	if (strcmp(cmd, "queue") == 0 || strcmp(cmd, "list") == 0) {
		code = queue_list_print(&cf, stdout, why, sizeof(why));
		if (code != EX_OK)
			fprintf(stderr, "relayq: %s\n", why);
	} else
		code = runner_run(&cf, &o);
	conf_free(&cf);
	return code;
}
