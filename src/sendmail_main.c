/*
 * sendmail - the drop-in /usr/sbin/sendmail front end (also mailq and
 * newaliases by name).
 *
 * Installed setgid to the submission group; priv_init() lowers that group
 * before anything else, so options, environment and the message are all
 * handled with the caller's own rights.  The group comes back only inside
 * intake_create/commit/abort.  -C and RELAYQ_CONFIG drop it for good.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <errno.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sysexits.h>
#include <unistd.h>

#include "aliases.h"
#include "conf.h"
#include "envelope.h"
#include "log.h"
#include "options.h"
#include "pathnames.h"
#include "privilege.h"
#include "queue_list.h"
#include "smtp_server.h"
#include "spool.h"
#include "submit.h"

static const char *progname = "sendmail";

static void __attribute__((noreturn, format(printf, 2, 3)))
fail(int code, const char *f, ...)
{
	va_list	ap;

	fprintf(stderr, "%s: ", progname);
	va_start(ap, f);
	vfprintf(stderr, f, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(code);
}

/* Reachable until exit, so no leak checker mistakes them for leaks. */
static char	*kept_config, *kept_runner;

/* The caller's environment is not ours: keep copies of what we read and
 * clear the rest, so nothing we call (resolver, locale, a library) acts
 * on it.  TZ stays for the Date field; glibc ignores a TZ file path
 * outside its zone directory in a set-id program. */
static void
take_environment(const char **config, const char **runner)
{
	const char	*v;
	char		*tz = NULL;

	if ((v = getenv("RELAYQ_CONFIG")) != NULL && *v != '\0')
		kept_config = strdup(v);
	if ((v = getenv("RELAYQ_RUNNER")) != NULL && *v != '\0')
		kept_runner = strdup(v);
	*config = kept_config;
	*runner = kept_runner;
	if ((v = getenv("TZ")) != NULL)
		tz = strdup(v);
	if (clearenv() != 0 || (tz != NULL && setenv("TZ", tz, 1) != 0))
		fail(EX_OSERR, "cannot clear the environment");
	free(tz);
}

/* -oem: the message was refused; tell its sender by mail, as sendmail
 * does for callers such as cron that never read our stderr. */
static int
mail_back_error(struct config *cf, const struct submission *orig,
    const char *error)
{
	struct submission	 s;
	struct submit_memory	 m;
	char			 text[2048], id[QUEUE_ID_LEN + 1], why[512];
	char			*to[1];
	int			 n;

	n = snprintf(text, sizeof(text),
	    "Subject: Returned mail: message not accepted\n"
	    "Auto-Submitted: auto-replied\n"
	    "\n"
	    "Your message was not accepted for delivery by relayq's "
	    "sendmail:\n\n    %s\n\nNothing of it was queued.\n", error);
	if (n < 0 || (size_t)n >= sizeof(text))
		return -1;
	memset(&s, 0, sizeof(s));
	s.ignore_dots = 1;
	s.sender = "";		/* a notice is never answered by another */
	/* Back to -f's address when it was good, else to the caller. */
	to[0] = (char *)(orig->sender && *orig->sender &&
	    strstr(error, "sender") == NULL ? orig->sender : "");
	if (to[0][0] == '\0') {
		struct passwd *pw = getpwuid(getuid());

		to[0] = pw ? pw->pw_name : "root";
	}
	s.rcpts = to;
	s.nrcpts = 1;
	m.text = text;
	m.len = (size_t)n;
	m.off = 0;
	return submit_message_from(cf, &s, submit_fill_memory, &m, id, why,
	    sizeof(why)) == EX_OK ? 0 : -1;
}

/* -odi: the message is queued already; tell the caller what became of
 * it.  Temporary failures leave it queued, which is success here. */
static int
wait_for_fate(struct config *cf, const char *id)
{
	char	line[800];
	int	timeout = 60;
	size_t	i;

	for (i = 0; i < cf->nsmarthosts; i++)
		timeout += 4 * cf->smarthosts[i].timeout;
	if (intake_wait_result(cf->queue_dir, id, timeout, line,
	    sizeof(line)) == -1) {
		fprintf(stderr, "%s: %s: queued, delivery still under way\n",
		    progname, id);
		return EX_OK;
	}
	fprintf(stderr, "%s: %s: %s\n", progname, id, line);
	return strncmp(line, "bounced", 7) == 0 ? EX_UNAVAILABLE : EX_OK;
}

static void
print_problem(void *arg, const char *msg)
{
	(void)arg;
	fprintf(stderr, "%s: %s\n", progname, msg);
}

/* newaliases: there is no database to rebuild, the file is read at each
 * submission, so check it and say what is wrong. */
static int
check_aliases(struct config *cf)
{
	struct aliases	*al;
	int		 problems = 0;

	if (cf->aliases == NULL) {
		printf("%s: no aliases file configured\n", progname);
		return EX_OK;
	}
	if ((al = aliases_load(cf->aliases, print_problem, NULL,
	    &problems)) == NULL) {
		if (errno == ENOENT) {
			printf("%s: %s does not exist: no aliases\n", progname,
			    cf->aliases);
			return EX_OK;
		}
		fail(EX_NOINPUT, "cannot read %s: %s", cf->aliases,
		    strerror(errno));
	}
	printf("%s: %s: %zu aliases, %d problem%s\n", progname, cf->aliases,
	    aliases_count(al), problems, problems == 1 ? "" : "s");
	aliases_free(al);
	return problems ? EX_DATAERR : EX_OK;
}

/* The default mode: queue the message from stdin, start delivery. */
static int
deliver(struct config *cf, struct submission *s, const char *runner,
    const char *override, int queue_only, int mail_errors, int verbose)
{
	char	why[1024], id[QUEUE_ID_LEN + 1];
	int	code;

	code = submit_message(cf, s, STDIN_FILENO, id, why, sizeof(why));
	if (code != EX_OK) {
		if (mail_errors && code != EX_TEMPFAIL && code != EX_CANTCREAT &&
		    mail_back_error(cf, s, why) == 0) {
			submit_start_runner(cf->queue_dir, runner, override);
			fprintf(stderr, "%s: %s (mailed back to the sender)\n",
			    progname, why);
			return code;
		}
		fail(code, "%s", why);
	}
	if (verbose)
		fprintf(stderr, "%s: queued as %s\n", progname, id);
	if (!queue_only)
		submit_start_runner(cf->queue_dir, runner, override);
	if (s->wait && !queue_only)
		code = wait_for_fate(cf, id);
	return code;
}

int
main(int argc, char **argv)
{
	struct options		 o;
	struct submission	*s = &o.s;
	struct config		 cf;
	const char		*config_path = RELAYQ_CONFIG_PATH, *override;
	const char		*runner = RELAYQ_RUNNER_PATH;
	char			 why[1024];
	const char		*env_runner;
	int			 code;

	priv_init();
	sanitize_stdio();
	close_other_fds();
	limit_core();
	umask(077);
	raise_limits();
	/* An empty argument list would make argv + 1 the environment. */
	if (argc < 1 || argv[0] == NULL)
		fail(EX_USAGE, "started without a program name");
	take_environment(&override, &env_runner);

	code = options_parse(argc, argv, &o, why, sizeof(why));
	progname = o.progname;
	if (code != EX_OK)
		fail(code, "%s", why);
	/* -C wins over the environment. */
	if (o.config != NULL && *o.config != '\0')
		override = o.config;

	log_init(o.tag, 0);
	if (override != NULL) {
		/* Someone else's configuration gets no group of ours. */
		priv_drop();
		config_path = override;
		if (env_runner != NULL)
			runner = env_runner;
	}
	if (conf_load(config_path, override != NULL, &cf, why,
	    sizeof(why)) == -1)
		fail(EX_CONFIG, "%s", why);

	switch (o.mode) {
	case MODE_LIST:
		code = queue_list_print(&cf, stdout, why, sizeof(why));
		if (code != EX_OK)
			fail(code, "%s", why);
		break;
	case MODE_ALIASES:
		code = check_aliases(&cf);
		break;
	case MODE_FLUSH:
		/* Any user may ask: the runner decides what is due. */
		if (intake_request_flush(cf.queue_dir) == -1)
			fail(EX_TEMPFAIL, "cannot request a queue run in %s: %s",
			    cf.queue_dir, strerror(errno));
		submit_start_runner(cf.queue_dir, runner, override);
		code = EX_OK;
		break;
	case MODE_SMTP: {
		int queued = 0;

		code = smtp_server_run(&cf, s, STDIN_FILENO, STDOUT_FILENO,
		    &queued);
		if (queued > 0 && !o.queue_only)
			submit_start_runner(cf.queue_dir, runner, override);
		break;
	}
	case MODE_VERIFY:
		if (s->nrcpts == 0)
			fail(EX_USAGE, "no recipients given");
		code = submit_verify(&cf, s, stdout);
		break;
	case MODE_DELIVER:
		code = deliver(&cf, s, runner, override, o.queue_only,
		    o.mail_errors, o.verbose);
		break;
	}
	conf_free(&cf);
	options_free(&o);
	return code;
}
