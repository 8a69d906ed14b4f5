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
#include "pathnames.h"
#include "privilege.h"
#include "queue_list.h"
#include "smtp_server.h"
#include "spool.h"
#include "submit.h"

enum mode {
	MODE_DELIVER,		/* -bm, the default */
	MODE_LIST,		/* -bp, mailq */
	MODE_ALIASES,		/* -bi, newaliases */
	MODE_FLUSH,		/* -q */
	MODE_SMTP,		/* -bs */
	MODE_VERIFY,		/* -bv */
};

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

/* upper - a copy in upper case, for keywords given in any case. */
static char *
upper(const char *s)
{
	char	*u = strdup(s), *p;

	if (u == NULL)
		fail(EX_OSERR, "out of memory");
	for (p = u; *p; p++)
		if (*p >= 'a' && *p <= 'z')
			*p = (char)(*p - 'a' + 'A');
	return u;
}

/* xtext - RFC 3461 encoding of an envelope id given on the command line. */
static char *
xtext(const char *s)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t	 len = strlen(s), o = 0;
	char	*x;

	if (len > 100)
		fail(EX_USAGE, "envelope id longer than 100 characters");
	if ((x = malloc(len * 3 + 1)) == NULL)
		fail(EX_OSERR, "out of memory");
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c < 33 || c > 126 || c == '+' || c == '=') {
			x[o++] = '+';
			x[o++] = hex[c >> 4];
			x[o++] = hex[c & 15];
		} else
			x[o++] = (char)c;
	}
	x[o] = '\0';
	return x;
}

/* The caller's environment is not ours: keep copies of what we read and
 * clear the rest, so nothing we call (resolver, locale, a library) acts
 * on it.  TZ stays for the Date field; glibc ignores a TZ file path
 * outside its zone directory in a set-id program. */
static void
take_environment(const char **config, const char **runner)
{
	const char	*v;
	char		*tz = NULL;

	*config = *runner = NULL;
	if ((v = getenv("RELAYQ_CONFIG")) != NULL && *v != '\0')
		*config = strdup(v);
	if ((v = getenv("RELAYQ_RUNNER")) != NULL && *v != '\0')
		*runner = strdup(v);
	if ((v = getenv("TZ")) != NULL)
		tz = strdup(v);
	if (clearenv() != 0 || (tz != NULL && setenv("TZ", tz, 1) != 0))
		fail(EX_OSERR, "cannot clear the environment");
	free(tz);
}

/* -L: the tag goes into every syslog line, so it may not forge one. */
static int
tag_ok(const char *tag)
{
	size_t	len = strlen(tag);

	return len > 0 && len <= 32 && strspn(tag, "abcdefghijklmnopqrstuvwxyz"
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-") == len;
}

/* Options that take an argument, glued ("-fme") or separate ("-f me"). */
static const char *
option_argument(char **argv, int *ip, const char *rest, char opt)
{
	if (*rest)
		return rest;
	if (argv[*ip + 1] == NULL)
		fail(EX_USAGE, "option -%c requires an argument", opt);
	return argv[++*ip];
}

struct memory_fill {
	const char	*text;
	size_t		 len, off;
};

static ssize_t
fill_from_memory(void *arg, char *buf, size_t len)
{
	struct memory_fill *m = arg;

	if (len > m->len - m->off)
		len = m->len - m->off;
	memcpy(buf, m->text + m->off, len);
	m->off += len;
	return (ssize_t)len;
}

/* -oem: the message was refused; tell its sender by mail, as sendmail
 * does for callers such as cron that never read our stderr. */
static int
mail_back_error(struct config *cf, const struct submission *orig,
    const char *error)
{
	struct submission	 s;
	struct memory_fill	 m;
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
	return submit_message_from(cf, &s, fill_from_memory, &m, id, why,
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
	struct submission	 s;
	struct config		 cf;
	enum mode		 mode = MODE_DELIVER;
	const char		*config_path = RELAYQ_CONFIG_PATH, *override;
	const char		*runner = RELAYQ_RUNNER_PATH, *base;
	char			 why[1024];
	const char		*tag = "relayq", *env_runner;
	int			 i, code, verbose = 0, queue_only = 0;
	int			 mail_errors = 0;

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

	memset(&s, 0, sizeof(s));
	base = strrchr(argv[0], '/');
	base = base ? base + 1 : argv[0];
	/* argv[0] is the caller's: only these two names count. */
	if (strcmp(base, "mailq") == 0) {
		mode = MODE_LIST;
		progname = "mailq";
	} else if (strcmp(base, "newaliases") == 0) {
		mode = MODE_ALIASES;
		progname = "newaliases";
	}

	for (i = 1; i < argc && argv[i][0] == '-' && argv[i][1] != '\0'; i++) {
		const char *p = argv[i] + 1;

		if (strcmp(argv[i], "--") == 0) {
			i++;
			break;
		}
		/* Flags cluster ("-ti"); an option with an argument ends
		 * the cluster. */
		for (; *p; p++) {
			const char	*arg;
			char		 opt = *p;

			switch (opt) {
			case 't':
				s.extract = 1;
				continue;
			case 'i':
				s.ignore_dots = 1;
				continue;
			case 'v':
				verbose = 1;
				continue;
			case 'n':	/* no aliasing */
				s.no_aliases = 1;
				continue;
			case 'm':	/* me too: always, nothing to expand */
			case 'U':	/* initial user submission */
			case 'G':	/* gateway submission */
				continue;
			case 'f':
			case 'r':
				s.sender = option_argument(argv, &i, p + 1,
				    opt);
				break;
			case 'F':
				s.fullname = option_argument(argv, &i, p + 1,
				    opt);
				break;
			case 'C':
				override = option_argument(argv, &i, p + 1,
				    opt);
				break;
			case 'o':
				arg = option_argument(argv, &i, p + 1, opt);
				if (strcmp(arg, "i") == 0)
					s.ignore_dots = 1;
				else if (strcmp(arg, "em") == 0)
					mail_errors = 1;
				else if (strcmp(arg, "ep") == 0 ||
				    strcmp(arg, "eq") == 0)
					mail_errors = 0;
				else if (strcmp(arg, "dq") == 0) {
					queue_only = 1;
					s.wait = 0;
				} else if (strcmp(arg, "di") == 0) {
					s.wait = 1;
					queue_only = 0;
				} else if (strcmp(arg, "db") == 0)
					queue_only = s.wait = 0;
				break;
			case 'B':	/* body type: 7BIT, 8BITMIME */
				s.body = upper(option_argument(argv, &i, p + 1,
				    opt));
				break;
			case 'N':	/* DSN notify */
				s.notify = upper(option_argument(argv, &i,
				    p + 1, opt));
				break;
			case 'R':	/* DSN return */
				s.ret = upper(option_argument(argv, &i, p + 1,
				    opt));
				break;
			case 'V':	/* envelope id */
				s.envid = xtext(option_argument(argv, &i, p + 1,
				    opt));
				break;
			case 'L':	/* syslog tag */
				tag = option_argument(argv, &i, p + 1, opt);
				if (!tag_ok(tag))
					fail(EX_USAGE, "bad syslog tag");
				break;
			case 'O':	/* option=value */
			case 'h':	/* hop count */
			case 'X':	/* traffic log: never written */
				(void)option_argument(argv, &i, p + 1, opt);
				break;
			case 'A':	/* -Ac / -Am: which config, ignored */
			case 'e':	/* -em, -ep, -eq: old error modes */
				break;
			case 'b':
				arg = p + 1;
				if (strcmp(arg, "m") == 0)
					mode = MODE_DELIVER;
				else if (strcmp(arg, "p") == 0)
					mode = MODE_LIST;
				else if (strcmp(arg, "i") == 0)
					mode = MODE_ALIASES;
				else if (strcmp(arg, "s") == 0)
					mode = MODE_SMTP;
				else if (strcmp(arg, "v") == 0)
					mode = MODE_VERIFY;
				else
					fail(EX_USAGE, "mode -b%s is not "
					    "supported", arg);
				break;
			case 'q':
				/* -q, -q30m, -qf: flush now; intervals mean
				 * nothing to an on-demand runner. */
				mode = MODE_FLUSH;
				break;
			default:
				fail(EX_USAGE, "unknown option -%c", opt);
			}
			break;
		}
	}

	log_init(tag, 0);
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

	s.rcpts = argv + i;
	s.nrcpts = argc - i;
	switch (mode) {
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

		code = smtp_server_run(&cf, &s, STDIN_FILENO, STDOUT_FILENO,
		    &queued);
		if (queued > 0 && !queue_only)
			submit_start_runner(cf.queue_dir, runner, override);
		break;
	}
	case MODE_VERIFY:
		if (s.nrcpts == 0)
			fail(EX_USAGE, "no recipients given");
		code = submit_verify(&cf, &s, stdout);
		break;
	case MODE_DELIVER:
		code = deliver(&cf, &s, runner, override, queue_only,
		    mail_errors, verbose);
		break;
	}
	conf_free(&cf);
	free((char *)s.body);
	free((char *)s.notify);
	free((char *)s.ret);
	free((char *)s.envid);
	return code;
}
