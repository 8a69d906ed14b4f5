/*
 * setup - relayq setup, the first run; see setup.h.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pwd.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <sysexits.h>
#include <time.h>
#include <unistd.h>

#include "admin.h"
#include "conf.h"
#include "pathnames.h"
#include "prompt.h"
#include "providers.h"
#include "runner.h"
#include "setup.h"
#include "util.h"

#define SECRET_FILE	"relayq.secret"
#define SECRET_MAX	4096
#define VALUE_MAX	1000

static const char *const auth_mechs[] = {
	"auto", "plain", "login", "cram-md5", "scram-sha-256",
	"scram-sha-256-plus", "xoauth2", "oauthbearer",
};

struct setup {
	const char	*provider, *host, *port, *tls, *user, *auth;
	const char	*region, *from, *password_command, *send_test;
	const char	*trust_file;
	int		 secret_stdin, no_check, force, list, help;
	/* worked out */
	const struct provider *p;
	char		 hostbuf[256];
	int		 portnum;
	enum tls_mode	 tlsmode;
	char		*ask_buf[8];	/* answers, freed at the end */
	int		 nask;
	char		*secret;
	char		*owned_user;	/* the token as user */
	char		 dir[PATH_MAX], conf_path[PATH_MAX];
	char		 secret_path[PATH_MAX];
	int		 interactive;
};

/* Printable ASCII or UTF-8, nothing that ends a line or steers a
 * terminal. */
static int
text_ok(const char *s, size_t max)
{
	size_t	len = strlen(s);

	if (len == 0 || len > max)
		return 0;
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return 0;
	return 1;
}

static int
charset_ok(const char *s, const char *extra, size_t max)
{
	size_t	len = strlen(s);

	if (len == 0 || len > max)
		return 0;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		    (*s >= '0' && *s <= '9') || strchr(extra, *s)))
			return 0;
	return 1;
}

/* ---- the terminal ------------------------------------------------- */

/* A question; the answer is kept until the end. */
static const char *
ask(struct setup *s, const char *question, const char *dflt)
{
	char	*a;

	if (s->nask == (int)ARRAY_LEN(s->ask_buf) ||
	    (a = prompt_ask(question, dflt)) == NULL)
		return NULL;
	return s->ask_buf[s->nask++] = a;
}

/* ---- options ------------------------------------------------------ */

static int
parse_args(struct setup *s, char **args, int nargs)
{
	static const struct {
		const char	*name;
		size_t		 off;
		int		 valued;	/* else a flag */
	} opts[] = {
		{ "--provider", offsetof(struct setup, provider), 1 },
		{ "--host", offsetof(struct setup, host), 1 },
		{ "--port", offsetof(struct setup, port), 1 },
		{ "--tls", offsetof(struct setup, tls), 1 },
		{ "--user", offsetof(struct setup, user), 1 },
		{ "--auth", offsetof(struct setup, auth), 1 },
		{ "--region", offsetof(struct setup, region), 1 },
		{ "--from", offsetof(struct setup, from), 1 },
		{ "--password-command", offsetof(struct setup,
		    password_command), 1 },
		{ "--send-test", offsetof(struct setup, send_test), 1 },
		{ "--tls-trust-file", offsetof(struct setup, trust_file), 1 },
		{ "--secret-stdin", offsetof(struct setup, secret_stdin), 0 },
		{ "--no-check", offsetof(struct setup, no_check), 0 },
		{ "--force", offsetof(struct setup, force), 0 },
		{ "--list-providers", offsetof(struct setup, list), 0 },
		{ "--help", offsetof(struct setup, help), 0 },
	};
	const char	*arg, *eq, *val;
	size_t		 k, namelen;
	int		 i;

	for (i = 0; i < nargs; i++) {
		arg = args[i];
		eq = strchr(arg, '=');
		namelen = eq ? (size_t)(eq - arg) : strlen(arg);
		if (strncmp(arg, "--password", namelen) == 0 &&
		    namelen == strlen("--password")) {
			complain("there is no --password option: a password "
			    "on the command line shows in the process list "
			    "and the shell history; use --secret-stdin or "
			    "answer the prompt");
			return -1;
		}
		for (k = 0; k < ARRAY_LEN(opts); k++)
			if (strlen(opts[k].name) == namelen &&
			    strncmp(arg, opts[k].name, namelen) == 0)
				break;
		if (k == ARRAY_LEN(opts)) {
			complain("unknown option %.100s (relayq setup --help "
			    "lists them)", arg);
			return -1;
		}
		if (!opts[k].valued) {
			if (eq) {
				complain("%s takes no value", opts[k].name);
				return -1;
			}
			*(int *)((char *)s + opts[k].off) = 1;
			continue;
		}
		if (eq)
			val = eq + 1;
		else if (i + 1 < nargs)
			val = args[++i];
		else {
			complain("%s needs a value", opts[k].name);
			return -1;
		}
		*(const char **)((char *)s + opts[k].off) = val;
	}
	return 0;
}

static void
help(FILE *out)
{
	fputs("usage: relayq [-C file] setup [--provider NAME | --host HOST] "
	    "[options]\n"
	    "       relayq setup --list-providers\n"
	    "\n"
	    "Writes relayq.conf and the secret file relayq.secret beside it,\n"
	    "then runs relayq check and offers relayq send-test.  What is not\n"
	    "given is asked for when stdin is a terminal.\n"
	    "\n"
	    "  --provider NAME        a preset (--list-providers shows them)\n"
	    "  --host HOST            the smart host (a provider's own by "
	    "default)\n"
	    "  --port N               default: the provider's, else 587\n"
	    "  --tls starttls|tls     default: the provider's; port 465: tls\n"
	    "  --user USER            the account on the relay\n"
	    "  --auth MECH            auto, plain, login, cram-md5, "
	    "scram-sha-256,\n"
	    "                         scram-sha-256-plus, xoauth2, oauthbearer\n"
	    "  --region R             ses (required), zoho (eu, in), mailgun "
	    "(eu)\n"
	    "  --from ADDR            the envelope sender of all mail\n"
	    "  --secret-stdin         read the secret from the first line of "
	    "stdin\n"
	    "  --password-command CMD a command that prints the secret (OAuth2 "
	    "token\n"
	    "                         helpers), instead of a secret file\n"
	    "  --tls-trust-file FILE  CA certificates for a relay with a "
	    "private CA\n"
	    "  --no-check             do not run relayq check afterwards\n"
	    "  --send-test ADDR       then send a test message to ADDR\n"
	    "  --force                replace an existing configuration\n"
	    "\n"
	    "There is deliberately no --password option: a password in the\n"
	    "arguments shows in the process list and the shell history.  Give "
	    "it\n"
	    "on stdin (--secret-stdin) or at the prompt, where it is not "
	    "shown.\n", out);
}

/* ---- working out the values --------------------------------------- */

static int
missing(const char *what)
{
	complain("%s is needed (stdin is not a terminal to ask on)", what);
	return -1;
}

static int
settle_relay(struct setup *s)
{
	char		 prompt[128], why[200];
	uint64_t	 v;

	if (s->provider == NULL && s->host == NULL) {
		if (!s->interactive)
			return missing("--provider or --host");
		provider_list(stderr);
		if ((s->provider = ask(s, "Provider", "generic")) == NULL)
			return -1;
	}
	if (s->provider == NULL)
		s->provider = "generic";
	if ((s->p = provider_find(s->provider)) == NULL) {
		complain("unknown provider '%.40s' (relayq setup "
		    "--list-providers shows them)", s->provider);
		return -1;
	}
	if (s->region && s->p->regions == NULL) {
		complain("--region: %s has no regions", s->p->name);
		return -1;
	}
	if (s->p->regions && strcmp(s->p->regions, "*") == 0 &&
	    s->region == NULL) {
		if (!s->interactive)
			return missing("--region (e.g. eu-west-1)");
		if ((s->region = ask(s, "Region (e.g. eu-west-1)", NULL)) ==
		    NULL)
			return -1;
	}
	if (s->host == NULL && s->p->host == NULL) {
		if (!s->interactive)
			return missing("--host");
		if ((s->host = ask(s, "SMTP host", NULL)) == NULL)
			return -1;
	}
	if (s->host)
		snprintf(s->hostbuf, sizeof(s->hostbuf), "%s", s->host);
	else if (s->region) {
		if (provider_host(s->p, s->region, s->hostbuf,
		    sizeof(s->hostbuf), why, sizeof(why)) == -1) {
			complain("--region: %s", why);
			return -1;
		}
	} else
		snprintf(s->hostbuf, sizeof(s->hostbuf), "%s", s->p->host);
	s->host = s->hostbuf;
	if (!charset_ok(s->host, ".-:", 253)) {
		complain("--host: '%.60s' is not a host name", s->host);
		return -1;
	}
	if (s->port == NULL && s->p->host == NULL && s->interactive &&
	    s->tls == NULL) {
		snprintf(prompt, sizeof(prompt), "Port (587: STARTTLS, 465: "
		    "TLS)");
		if ((s->port = ask(s, prompt, "587")) == NULL)
			return -1;
	}
	s->portnum = s->p->port;
	if (s->port) {
		if (parse_u64(s->port, 65535, &v) == -1 || v == 0) {
			complain("--port: '%.20s' is not a TCP port", s->port);
			return -1;
		}
		s->portnum = (int)v;
	}
	s->tlsmode = s->port && s->p->host == NULL ? (s->portnum == 465 ?
	    TLS_MODE_IMPLICIT : TLS_MODE_STARTTLS) : s->p->tls;
	if (s->tls) {
		if (strcmp(s->tls, "starttls") == 0)
			s->tlsmode = TLS_MODE_STARTTLS;
		else if (strcmp(s->tls, "tls") == 0)
			s->tlsmode = TLS_MODE_IMPLICIT;
		else {
			complain("--tls: '%.20s' is not starttls or tls",
			    s->tls);
			return -1;
		}
	}
	return 0;
}

static int
settle_account(struct setup *s)
{
	char	prompt[400];
	size_t	i;

	if (s->user == NULL && s->p->fixed_user)
		s->user = s->p->fixed_user;
	if (s->user == NULL && !s->p->user_is_secret) {
		if (s->interactive) {
			s->user = ask(s, strcmp(s->p->name, "generic") == 0 ?
			    "User (empty: no AUTH)" : "User (the account, "
			    "usually your address)", strcmp(s->p->name,
			    "generic") == 0 ? "" : NULL);
			if (s->user == NULL)
				return -1;
			if (*s->user == '\0')
				s->user = NULL;
		} else if (strcmp(s->p->name, "generic") != 0)
			return missing("--user");
	}
	if (s->user && !text_ok(s->user, 255)) {
		complain("--user: not a user name (empty, too long, or with "
		    "control characters)");
		return -1;
	}
	if (s->password_command && !text_ok(s->password_command, VALUE_MAX)) {
		complain("--password-command: empty, too long, or with control "
		    "characters");
		return -1;
	}
	if (s->password_command && s->user == NULL) {
		complain("--password-command needs --user");
		return -1;
	}
	if (s->password_command && s->secret_stdin) {
		complain("--password-command and --secret-stdin exclude each "
		    "other");
		return -1;
	}
	/* The secret: unless a command gives it, or there is no AUTH. */
	if (s->password_command == NULL && (s->user || s->p->user_is_secret)) {
		if (!s->secret_stdin && !s->interactive)
			return missing("the secret (--secret-stdin, or run on "
			    "a terminal to be asked; there is deliberately no "
			    "--password)");
		if (s->user == NULL)
			snprintf(prompt, sizeof(prompt), "Server API token");
		else
			snprintf(prompt, sizeof(prompt), "Password for %s at "
			    "%s", s->user, s->host);
		if ((s->secret = prompt_secret(prompt)) == NULL) {
			complain("no secret read%s%s", errno == EMSGSIZE ?
			    ": longer than 4096 bytes" : "", s->secret_stdin ?
			    " from stdin" : "");
			return -1;
		}
		if (!text_ok(s->secret, SECRET_MAX)) {
			complain("the secret holds control characters");
			return -1;
		}
		if (s->user == NULL)
			s->user = s->owned_user = xstrdup(s->secret);
	}
	if (s->from == NULL && s->p->from_is_user && s->user &&
	    strchr(s->user, '@'))
		s->from = s->user;
	if (s->from && !text_ok(s->from, 254)) {
		complain("--from: not an address");
		return -1;
	}
	if (s->auth) {
		for (i = 0; i < ARRAY_LEN(auth_mechs); i++)
			if (strcmp(s->auth, auth_mechs[i]) == 0)
				break;
		if (i == ARRAY_LEN(auth_mechs)) {
			complain("--auth: '%.30s' is not one of auto, plain, "
			    "login, cram-md5, scram-sha-256, scram-sha-256-plus, "
			    "xoauth2, oauthbearer", s->auth);
			return -1;
		}
		if (s->user == NULL) {
			complain("--auth needs --user");
			return -1;
		}
	}
	if (s->trust_file && (s->trust_file[0] != '/' ||
	    !text_ok(s->trust_file, PATH_MAX - 1))) {
		complain("--tls-trust-file: not an absolute path");
		return -1;
	}
	return 0;
}

/* ---- the files ---------------------------------------------------- */

/* A libconfuse double-quoted string: \ and " escaped, and $ too, which
 * would otherwise expand ${VARIABLE}. */
static void
put_quoted(FILE *f, const char *v)
{
	fputc('"', f);
	for (; *v; v++) {
		if (*v == '"' || *v == '\\' || *v == '$')
			fputc('\\', f);
		fputc(*v, f);
	}
	fputc('"', f);
}

/* The configuration text; with_auth = 0 leaves the auth key out, for the
 * read-back check of a relayq that may not know it. */
static char *
config_text(const struct setup *s, int with_auth, size_t *len)
{
	struct tm	 tm;
	time_t		 now = time(NULL);
	char		 date[32], *buf = NULL;
	FILE		*f;

	if ((f = open_memstream(&buf, len)) == NULL)
		return NULL;
	localtime_r(&now, &tm);
	strftime(date, sizeof(date), "%Y-%m-%d %H:%M", &tm);
	fprintf(f, "# relayq.conf, written by relayq setup on %s (provider "
	    "%s).\n# See relayq.conf(5); relayq setup --force writes it "
	    "anew.\n", date, s->p->name);
	if (s->from) {
		fputs("from = ", f);
		put_quoted(f, s->from);
		fputc('\n', f);
	}
	fputs("\nsmarthost ", f);
	put_quoted(f, s->host);
	fprintf(f, " {\n    port = %d\n    tls = %s\n", s->portnum,
	    tls_mode_name(s->tlsmode));
	if (s->trust_file) {
		fputs("    tls_trust_file = ", f);
		put_quoted(f, s->trust_file);
		fputc('\n', f);
	}
	if (s->user) {
		fputs("    user = ", f);
		put_quoted(f, s->user);
		fputc('\n', f);
		if (s->password_command) {
			fputs("    password_command = ", f);
			put_quoted(f, s->password_command);
		} else {
			fputs("    password_file = ", f);
			put_quoted(f, s->secret_path);
		}
		fputc('\n', f);
	}
	if (with_auth && s->auth)
		fprintf(f, "    auth = %s\n", s->auth);
	fputs("}\n", f);
	if (fclose(f) != 0) {
		free(buf);
		return NULL;
	}
	return buf;
}

static int
same(const char *a, const char *b)
{
	return (a == NULL && b == NULL) || (a && b && strcmp(a, b) == 0);
}

/* Read the text back as relayq will and compare: what we meant is what
 * it says.  fd is a scratch file in the target directory. */
static int
read_back(const struct setup *s, int fd, const char *path)
{
	struct config		 cf;
	const struct smarthost	*sh;
	size_t			 len;
	char			*text, why[1024];
	int			 ok;

	if ((text = config_text(s, 0, &len)) == NULL)
		return -1;
	if (ftruncate(fd, 0) == -1 || write_all(fd, text, len) == -1) {
		free(text);
		return -1;
	}
	free(text);
	if (conf_load(path, 1, &cf, why, sizeof(why)) == -1) {
		complain("the configuration would not load: %s", why);
		errno = EINVAL;
		return -1;
	}
	sh = cf.smarthosts;
	ok = cf.nsmarthosts == 1 && same(sh->host, s->host) &&
	    sh->port == s->portnum && sh->tls == s->tlsmode &&
	    same(sh->user, s->user) && same(cf.from, s->from) &&
	    same(sh->tls_trust_file, s->trust_file) &&
	    same(sh->password_command, s->password_command) &&
	    (s->user == NULL || s->password_command ||
	    same(sh->password_file, s->secret_path));
	conf_free(&cf);
	if (!ok) {
		complain("the configuration does not read back as written; "
		    "nothing was changed");
		errno = EINVAL;
		return -1;
	}
	return 0;
}

static int
open_temp(const struct setup *s, const char *base, char *path, size_t len)
{
	int	fd;

	if (fmt(path, len, "%s/.%s.XXXXXX", s->dir, base) == -1) {
		errno = ENAMETOOLONG;
		return -1;
	}
	if ((fd = mkstemp(path)) == -1)
		return -1;
	(void)fcntl(fd, F_SETFD, FD_CLOEXEC);
	return fd;
}

/* Who gets the secret: root and the relayq group when root sets up the
 * real configuration; otherwise the caller alone. */
static void
secret_owner(const struct setup *s, int override, uid_t *uid, gid_t *gid,
    mode_t *mode, char *note, size_t notelen)
{
	struct passwd	*pw;

	*uid = geteuid();
	*gid = getegid();
	*mode = 0600;
	note[0] = '\0';
	if (geteuid() != 0 || override) {
		snprintf(note, notelen, "%s: mode 0600, owned by you (%s, so "
		    "relayq keeps your identity and no relayq group is "
		    "involved)", s->secret_path, override ? "a -C or "
		    "RELAYQ_CONFIG configuration" : "not run as root");
		return;
	}
	if ((pw = getpwnam(RELAYQ_USER)) == NULL) {
		snprintf(note, notelen, "%s: mode 0600, root only: the account "
		    "%s does not exist yet; once it does: chgrp %s %s && "
		    "chmod 0640 %s", s->secret_path, RELAYQ_USER, RELAYQ_USER,
		    s->secret_path, s->secret_path);
		return;
	}
	*uid = 0;
	*gid = pw->pw_gid;
	*mode = 0640;
}

/* Into place: owner and mode, the content, fsync, rename, directory
 * fsync. */
static int
commit(const struct setup *s, int fd, const char *tmp, const char *final,
    const char *data, size_t len, uid_t uid, gid_t gid, mode_t mode)
{
	int	dirfd, rc = -1;

	if ((geteuid() == 0 && fchown(fd, uid, gid) == -1) ||
	    fchmod(fd, mode) == -1 || ftruncate(fd, 0) == -1 ||
	    lseek(fd, 0, SEEK_SET) == -1 || write_all(fd, data, len) == -1 ||
	    fsync(fd) == -1)
		return -1;
	if (rename(tmp, final) == -1)
		return -1;
	if ((dirfd = open(s->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) != -1) {
		rc = fsync_dir(dirfd);
		close(dirfd);
	}
	return rc;
}

static int
write_error(const char *what)
{
	int	saved = errno;

	complain("cannot write %s: %s", what, strerror(saved));
	return saved == EACCES || saved == EPERM ? EX_NOPERM : EX_CANTCREAT;
}

static int
write_files(struct setup *s, int override)
{
	char	 tmpc[PATH_MAX], tmps[PATH_MAX], note[3 * PATH_MAX + 512];
	char	*text = NULL;
	char	*line;
	size_t	 len;
	uid_t	 uid;
	gid_t	 gid;
	mode_t	 mode;
	int	 fdc, fds = -1, code = EX_OK;

	secret_owner(s, override, &uid, &gid, &mode, note, sizeof(note));
	if ((fdc = open_temp(s, "relayq.conf", tmpc, sizeof(tmpc))) == -1)
		return write_error(s->dir);
	if (read_back(s, fdc, tmpc) == -1) {
		code = errno == EINVAL ? EX_DATAERR : write_error(tmpc);
		goto out;
	}
	if (s->secret) {
		if ((fds = open_temp(s, SECRET_FILE, tmps, sizeof(tmps))) ==
		    -1) {
			code = write_error(s->dir);
			goto out;
		}
		len = strlen(s->secret);
		line = xmalloc(len + 2);
		memcpy(line, s->secret, len);
		memcpy(line + len, "\n", 2);
		if (commit(s, fds, tmps, s->secret_path, line, len + 1, uid,
		    gid, mode) == -1)
			code = write_error(s->secret_path);
		wipe(line, len + 1);
		free(line);
		if (code != EX_OK)
			goto out;
		printf("wrote %s (the secret", s->secret_path);
		if (uid == 0 && mode == 0640)
			printf(", root:%s 0640", RELAYQ_USER);
		printf(")\n");
		if (note[0])
			printf("note: %s\n", note);
	}
	if ((text = config_text(s, 1, &len)) == NULL) {
		code = write_error(s->conf_path);
		goto out;
	}
	/* The token is the user name too: the file is a secret then, as
	 * with an inline password (relayq.conf(5), Secrets). */
	if (commit(s, fdc, tmpc, s->conf_path, text, len, uid,
	    s->owned_user ? gid : getegid(), s->owned_user ? mode : 0644) ==
	    -1) {
		code = write_error(s->conf_path);
		goto out;
	}
	printf("wrote %s (smart host %s port %d, tls = %s%s%s)\n",
	    s->conf_path, s->host, s->portnum, tls_mode_name(s->tlsmode),
	    s->user && !s->owned_user ? ", user " : "",
	    s->user && !s->owned_user ? s->user : "");
	if (s->owned_user)
		printf("note: the token is the user name too, so %s holds it "
		    "and is readable by root and the relayq group only: the "
		    "sendmail of other users cannot read it (exit 78).  With "
		    "an SMTP token (--user ACCESS_KEY, the Secret Key as the "
		    "secret) it stays readable by all.\n", s->conf_path);
out:
	if (text) {
		wipe(text, strlen(text));
		free(text);
	}
	if (fds != -1) {
		close(fds);
		(void)unlink(tmps);
	}
	close(fdc);
	(void)unlink(tmpc);
	return code;
}

/* ---- check and test, as the relayq account ------------------------ */

struct child_job {
	const char		*address;	/* NULL: check */
	const struct admin_opts	*ao;
};

static int
as_runner(const char *config, int override, const struct child_job *job)
{
	struct config	cf;
	char		why[1024];
	pid_t		pid;
	int		status, code;

	fflush(stdout);
	fflush(stderr);
	if ((pid = fork()) == -1) {
		complain("cannot fork: %s", strerror(errno));
		return EX_OSERR;
	}
	if (pid == 0) {
		if (runner_take_identity(override, why, sizeof(why)) == -1) {
			fprintf(stderr, "relayq: %s\n", why);
			_exit(EX_NOPERM);
		}
		if (conf_load(config, 1, &cf, why, sizeof(why)) == -1) {
			fprintf(stderr, "relayq: %s\n", why);
			_exit(EX_CONFIG);
		}
		code = job->address ? admin_send_test(&cf, job->address,
		    job->ao, stdout) : admin_check(&cf, stdout);
		fflush(stdout);
		_exit(code);
	}
	while (waitpid(pid, &status, 0) == -1)
		if (errno != EINTR)
			return EX_OSERR;
	return WIFEXITED(status) ? WEXITSTATUS(status) : EX_SOFTWARE;
}

static int
yes(struct setup *s, const char *question)
{
	const char	*a = ask(s, question, "y/N");

	return a && (strcmp(a, "y") == 0 || strcmp(a, "Y") == 0 ||
	    strcmp(a, "yes") == 0);
}

static int
after_writing(struct setup *s, const char *config, int override,
    const struct admin_opts *ao)
{
	struct child_job	job;
	char			q[1200];
	const char		*to = s->send_test;
	int			code;

	memset(&job, 0, sizeof(job));
	job.ao = ao;
	if (s->no_check)
		return EX_OK;
	printf("\nrelayq check:\n");
	if ((code = as_runner(config, override, &job)) != EX_OK) {
		complain("the check failed (exit %d); the configuration is "
		    "written: correct what it says, then relayq check, or "
		    "relayq setup --force", code);
		return code;
	}
	if (to == NULL && s->interactive) {
		to = s->from ? s->from : s->user && strchr(s->user, '@') &&
		    !s->p->user_is_secret ? s->user : NULL;
		if (to) {
			snprintf(q, sizeof(q), "Send a test message to %s?",
			    to);
			if (!yes(s, q))
				to = NULL;
		} else if ((to = ask(s, "Address for a test message (empty: "
		    "none)", "")) != NULL && *to == '\0')
			to = NULL;
	}
	if (to == NULL)
		return EX_OK;
	printf("\nrelayq send-test %s:\n", to);
	job.address = to;
	return as_runner(config, override, &job);
}

/* The directory the files go to, made absolute, and their paths. */
static int
settle_paths(struct setup *s, const char *config)
{
	char	 copy[PATH_MAX], *slash;
	char	*real;

	if (fmt(copy, sizeof(copy), "%s", config) == -1) {
		complain("%s: path too long", config);
		return -1;
	}
	slash = strrchr(copy, '/');
	if (slash == copy)
		copy[1] = '\0';
	else if (slash)
		*slash = '\0';
	else
		snprintf(copy, sizeof(copy), ".");
	if ((real = realpath(copy, NULL)) == NULL) {
		complain("%s: %s", copy, strerror(errno));
		return -1;
	}
	snprintf(s->dir, sizeof(s->dir), "%s", real);
	free(real);
	slash = strrchr(config, '/');
	if (fmt(s->conf_path, sizeof(s->conf_path), "%s/%s",
	    strcmp(s->dir, "/") ? s->dir : "", slash ? slash + 1 : config) ==
	    -1 || fmt(s->secret_path, sizeof(s->secret_path), "%s/%s",
	    strcmp(s->dir, "/") ? s->dir : "", SECRET_FILE) == -1) {
		complain("%s: path too long", s->dir);
		return -1;
	}
	return 0;
}

int
setup_main(const char *config, int override, char **args, int nargs,
    const struct admin_opts *ao)
{
	struct setup	s;
	struct stat	st;
	int		code = EX_USAGE, i;

	memset(&s, 0, sizeof(s));
	if (parse_args(&s, args, nargs) == -1)
		return EX_USAGE;
	if (s.help) {
		help(stdout);
		return EX_OK;
	}
	if (s.list) {
		provider_list(stdout);
		return EX_OK;
	}
	if (settle_paths(&s, config) == -1)
		return EX_CANTCREAT;
	/* Before any question: no use asking and then refusing. */
	if (!s.force && lstat(s.conf_path, &st) == 0) {
		complain("%s exists; relayq setup --force replaces it",
		    s.conf_path);
		return EX_CANTCREAT;
	}
	s.interactive = isatty(STDIN_FILENO) && !s.secret_stdin;
	if (settle_relay(&s) == -1 || settle_account(&s) == -1)
		goto out;
	if ((code = write_files(&s, override)) != EX_OK)
		goto out;
	if (s.secret) {
		wipe(s.secret, strlen(s.secret));
		free(s.secret);
		s.secret = NULL;
	}
	code = after_writing(&s, s.conf_path, override, ao);
out:
	if (s.secret) {
		wipe(s.secret, strlen(s.secret));
		free(s.secret);
	}
	for (i = 0; i < s.nask; i++)
		free(s.ask_buf[i]);
	if (s.owned_user) {
		wipe(s.owned_user, strlen(s.owned_user));
		free(s.owned_user);
	}
	if (fflush(stdout) != 0 && code == EX_OK)
		code = EX_IOERR;
	return code;
}
