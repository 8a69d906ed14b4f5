/*
 * relayq - the administrator's command: look at the queue, run it, act
 * on single messages and try the smart hosts.
 *
 *	relayq [-C file] [-v] queue [--json]
 *	relayq [-C file] [-v] show ID
 *	relayq [-C file] [-v] run [--daemon]
 *	relayq [-C file] [-v] flush [ID ...]
 *	relayq [-C file] [-v] hold ID ...
 *	relayq [-C file] [-v] release ID ...
 *	relayq [-C file] [-v] requeue ID ...
 *	relayq [-C file] [-v] delete ID ...
 *	relayq [-C file] [-v] check
 *	relayq [-C file] [-v] send-test ADDRESS
 *	relayq [-C file] [-v] setup [options]
 *	relayq [-C file] status [--json | --monitoring [thresholds]]
 *
 * Not set-id.  Run by root, every command but queue, show, status and
 * setup becomes the
 * relayq account before touching the queue (setup does so in a child
 * for its check); -C (or RELAYQ_CONFIG) is for
 * tests and private queues, and keeps the caller's own rights.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>

#include "admin.h"
#include "conf.h"
#include "log.h"
#include "pathnames.h"
#include "queue_list.h"
#include "runner.h"
#include "setup.h"
#include "status.h"

#define USAGE \
	"usage: relayq [-C file] [-v] queue [--json]\n" \
	"       relayq [-C file] [-v] show ID\n" \
	"       relayq [-C file] [-v] run [--daemon]\n" \
	"       relayq [-C file] [-v] flush [ID ...]\n" \
	"       relayq [-C file] [-v] hold ID ...\n" \
	"       relayq [-C file] [-v] release ID ...\n" \
	"       relayq [-C file] [-v] requeue ID ...\n" \
	"       relayq [-C file] [-v] delete ID ...\n" \
	"       relayq [-C file] [-v] check\n" \
	"       relayq [-C file] [-v] send-test ADDRESS\n" \
	"       relayq [-C file] [-v] setup [--provider NAME | --host HOST] ...\n" \
	"       relayq [-C file] status [--json | --monitoring [-w N] [-c N]\n" \
	"              [--age-warning DUR] [--age-critical DUR]]\n" \
	"       relayq --version | --help\n"

static void __attribute__((noreturn))
usage(void)
{
	fputs(USAGE, stderr);
	exit(EX_USAGE);
}

static void __attribute__((noreturn))
help(void)
{
	fputs(USAGE
	    "\n"
	    "Options:\n"
	    "  -C file    use this configuration; keep the caller's own rights\n"
	    "             (also RELAYQ_CONFIG)\n"
	    "  -v         log to standard error, with debugging lines\n"
	    "\n"
	    "Commands:\n"
	    "  queue      list the queue (mailq layout; held messages marked '!');\n"
	    "             --json: every message, held, failed and new ones\n"
	    "             included, as one JSON array\n"
	    "  show ID    envelope, delivery state and header section of a\n"
	    "             message in the queue, hold/, failed/ or intake/\n"
	    "  run        deliver what is due, then exit; --daemon: keep running\n"
	    "  flush      deliver all deferred mail now; with IDs: make just\n"
	    "             those due now, then run the queue once\n"
	    "  hold       move messages to hold/, where they are never sent\n"
	    "  release    move held messages back into the queue, due now\n"
	    "  requeue    move messages from failed/ back into the queue: the\n"
	    "             refused recipients are tried again, delivered ones not\n"
	    "  delete     remove messages (queue, hold/, failed/ or intake/)\n"
	    "  check      connect to every smart host (TLS, certificate, AUTH)\n"
	    "             without sending mail; exit 69 if one fails\n"
	    "  send-test  queue a test message to ADDRESS, run the queue once\n"
	    "             and report what became of it\n"
	    "  setup      write relayq.conf and the secret file for a provider\n"
	    "             or host, then check; relayq setup --help for the\n"
	    "             options (the secret comes from stdin or the prompt,\n"
	    "             never from the command line)\n"
	    "  status     relays, runner, counts, oldest message, last success\n"
	    "             and error; --json; --monitoring: one line and exit\n"
	    "             0-3 for Nagios, Icinga and the like\n"
	    "\n"
	    "Queue ids are the 20 hexadecimal digits relayq queue shows.  A\n"
	    "message that a running queue runner is sending at that moment may\n"
	    "still be sent by it once after hold or delete.\n", stdout);
	exit(EX_OK);
}

enum cmd {
	CMD_QUEUE, CMD_SHOW, CMD_RUN, CMD_FLUSH, CMD_HOLD, CMD_RELEASE,
	CMD_REQUEUE, CMD_DELETE, CMD_CHECK, CMD_SEND_TEST, CMD_SETUP,
	CMD_STATUS,
};

static const struct {
	const char	*name;
	enum cmd	 cmd;
	int		 min_args, max_args;	/* -1: any number */
} commands[] = {
	{ "queue",	CMD_QUEUE,	0, 1 },
	{ "list",	CMD_QUEUE,	0, 1 },
	{ "show",	CMD_SHOW,	1, 1 },
	{ "run",	CMD_RUN,	0, 1 },
	{ "flush",	CMD_FLUSH,	0, -1 },
	{ "hold",	CMD_HOLD,	1, -1 },
	{ "release",	CMD_RELEASE,	1, -1 },
	{ "requeue",	CMD_REQUEUE,	1, -1 },
	{ "delete",	CMD_DELETE,	1, -1 },
	{ "check",	CMD_CHECK,	0, 0 },
	{ "send-test",	CMD_SEND_TEST,	1, 1 },
	{ "setup",	CMD_SETUP,	0, -1 },
	{ "status",	CMD_STATUS,	0, -1 },
};

int
main(int argc, char **argv)
{
	struct runner_opts	 o;
	struct admin_opts	 ao;
	struct config		 cf;
	const char		*config = NULL, *runner = RELAYQ_RUNNER_PATH;
	char			 why[1024], **args;
	enum cmd		 cmd = CMD_QUEUE;
	size_t			 c;
	int			 i, nargs, verbose = 0, json = 0, code;

	for (i = 1; i < argc && argv[i][0] == '-'; i++) {
		if (strcmp(argv[i], "-C") == 0 && i + 1 < argc)
			config = argv[++i];
		else if (strcmp(argv[i], "-v") == 0)
			verbose = 1;
		else if (strcmp(argv[i], "--version") == 0) {
			printf("relayq %s\n", PACKAGE_VERSION);
			return EX_OK;
		} else if (strcmp(argv[i], "--help") == 0 ||
		    strcmp(argv[i], "-h") == 0)
			help();
		else
			usage();
	}
	if (i >= argc)
		usage();
	for (c = 0; c < sizeof(commands) / sizeof(commands[0]); c++)
		if (strcmp(argv[i], commands[c].name) == 0)
			break;
	if (c == sizeof(commands) / sizeof(commands[0]))
		usage();
	cmd = commands[c].cmd;
	args = argv + i + 1;
	nargs = argc - i - 1;
	if (nargs < commands[c].min_args || (commands[c].max_args != -1 &&
	    nargs > commands[c].max_args))
		usage();
	if (config == NULL && getenv("RELAYQ_CONFIG") &&
	    *getenv("RELAYQ_CONFIG"))
		config = getenv("RELAYQ_CONFIG");
	/* As sendmail does: another runner only for a test configuration. */
	if (config != NULL && getenv("RELAYQ_RUNNER") &&
	    *getenv("RELAYQ_RUNNER"))
		runner = getenv("RELAYQ_RUNNER");
	memset(&ao, 0, sizeof(ao));
	ao.verbose = verbose;
	ao.runner = runner;
	ao.override = config;
	log_init("relayq", 1);
	log_set_stderr(verbose || isatty(STDERR_FILENO));
	log_set_debug(verbose);

	/* Their own options, their own configuration handling. */
	if (cmd == CMD_STATUS)
		return status_main(config ? config : RELAYQ_CONFIG_PATH,
		    config != NULL, args, nargs, stdout);
	if (cmd == CMD_SETUP)
		return setup_main(config ? config : RELAYQ_CONFIG_PATH,
		    config != NULL, args, nargs, &ao);

	memset(&o, 0, sizeof(o));
	o.verbose = verbose;
	switch (cmd) {
	case CMD_QUEUE:
		if (nargs == 1 && strcmp(args[0], "--json") != 0)
			usage();
		json = nargs == 1;
		break;
	case CMD_RUN:
		o.mode = RUNNER_ONCE;
		if (nargs == 1 && strcmp(args[0], "--daemon") != 0)
			usage();
		if (nargs == 1)
			o.mode = RUNNER_DAEMON;
		break;
	case CMD_FLUSH:
		o.mode = RUNNER_ONCE;
		o.flush = 1;
		/* On a terminal, how it goes; quiet for scripts and cron. */
		if (isatty(STDOUT_FILENO))
			o.progress = stdout;
		break;
	default:
		break;
	}
	/* Ids and addresses are arguments, never options. */
	for (i = 0; i < nargs && cmd != CMD_QUEUE && cmd != CMD_RUN; i++)
		if (args[i][0] == '-')
			usage();

	/* Listing and looking keep the caller's identity: the relayq group
	 * may read the queue.  Everything else is the runner's work. */
	if (cmd != CMD_QUEUE && cmd != CMD_SHOW &&
	    runner_take_identity(config != NULL, why, sizeof(why)) == -1) {
		fprintf(stderr, "relayq: %s\n", why);
		return EX_NOPERM;
	}
	if (conf_load(config ? config : RELAYQ_CONFIG_PATH, config != NULL,
	    &cf, why, sizeof(why)) == -1) {
		fprintf(stderr, "relayq: %s\n", why);
		return EX_CONFIG;
	}
	switch (cmd) {
	case CMD_QUEUE:
		code = json ? queue_list_json(&cf, stdout, why, sizeof(why)) :
		    queue_list_print(&cf, stdout, why, sizeof(why));
		if (code != EX_OK)
			fprintf(stderr, "relayq: %s\n", why);
		break;
	case CMD_SHOW:
		code = admin_show(&cf, args[0], stdout);
		break;
	case CMD_FLUSH:
		code = nargs > 0 ? admin_flush(&cf, args, nargs, &ao, stdout) :
		    runner_run(&cf, &o);
		break;
	case CMD_HOLD:
		code = admin_hold(&cf, args, nargs, &ao, stdout);
		break;
	case CMD_RELEASE:
		code = admin_release(&cf, args, nargs, &ao, stdout);
		break;
	case CMD_REQUEUE:
		code = admin_requeue(&cf, args, nargs, &ao, stdout);
		break;
	case CMD_DELETE:
		code = admin_delete(&cf, args, nargs, &ao, stdout);
		break;
	case CMD_CHECK:
		code = admin_check(&cf, stdout);
		break;
	case CMD_SEND_TEST:
		code = admin_send_test(&cf, args[0], &ao, stdout);
		break;
	case CMD_RUN:
	default:
		code = runner_run(&cf, &o);
		break;
	}
	conf_free(&cf);
	if (fflush(stdout) != 0 && code == EX_OK)
		code = EX_IOERR;
	return code;
}
