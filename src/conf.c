/*
 * conf - relayq.conf through libconfuse; see conf.h.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <confuse.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "address.h"
#include "conf.h"
#include "pathnames.h"
#include "util.h"

#define SECRET_MAX	4096
/* A token helper (OAuth2 refresh) may need the network, not forever. */
#define PASSWORD_COMMAND_SECONDS	30
#define TLS_KEY_MAX	65536

/*
 * tls_priorities is checked with GnuTLS at load time, but this module is
 * also in sendmail, which has no TLS in it by construction (Makefile.am).
 * So the check is a weak reference to tls.c's function: resolved in the
 * programs that deliver (relayq, relayq-runner), which link tls.o, and
 * null in sendmail, which never uses the string.  A bad string is then a
 * config error FILE:LINE like any other, and conf_load's callers exit 78.
 */
extern int tls_priorities_ok(const char *, char *, size_t)
    __attribute__((weak));

/* libconfuse reports through a callback; the first error wins. */
static char	*conf_why;
static size_t	 conf_whylen;
static const char *conf_file;
static int	 conf_failed;

/*
 * The line of the first quote in path that its own line does not close,
 * or 0.  No value relayq reads holds a newline, so such a quote is a
 * missing one, and libconfuse reports it later and as something else
 * ("no such option" for the next line's word, "premature end of file").
 */
static int
unclosed_quote_line(const char *path)
{
	FILE	*f;
	int	 c, quote = 0, line = 1, opened = 0, found = 0;
	long	 n = 0;

	if ((f = fopen(path, "re")) == NULL)
		return 0;
	while (!found && n++ < 1024L * 1024 && (c = getc(f)) != EOF) {
		if (quote != 0) {
			if (c == '\\') {
				if ((c = getc(f)) == EOF)
					break;
			} else if (c == quote)
				quote = 0;
			if (c == '\n')
				found = opened;
		} else if (c == '"' || c == '\'') {
			quote = c;
			opened = line;
		} else if (c == '#') {
			while ((c = getc(f)) != EOF && c != '\n')
				;
		}
		if (c == '\n')
			line++;
	}
	fclose(f);
	return found;
}

static void
conf_error_cb(cfg_t *cfg, const char *f, va_list ap)
{
	char	msg[512], esc[512], hint[96] = "";
	int	quote_line;

	if (conf_failed++)
		return;
	vsnprintf(msg, sizeof(msg), f, ap);
	/* A value quoted across lines brings its newline into the message;
	 * an error is one line. */
	escape_controls(esc, sizeof(esc), msg);
	if ((quote_line = unclosed_quote_line(conf_file)) > 0)
		snprintf(hint, sizeof(hint), " (the quote opened on line %d "
		    "is not closed on that line)", quote_line);
	snprintf(conf_why, conf_whylen, "%s:%d: %s%s", conf_file,
	    cfg != NULL ? cfg->line : 0, esc, hint);
}

int
conf_parse_duration(const char *value, int64_t *seconds)
{
	char		 num[32];
	size_t		 len = strlen(value);
	uint64_t	 v, mult = 1;

	if (len == 0 || len >= sizeof(num))
		return -1;
	memcpy(num, value, len + 1);
	switch (num[len - 1]) {
	case 's': mult = 1; num[len - 1] = '\0'; break;
	case 'm': mult = 60; num[len - 1] = '\0'; break;
	case 'h': mult = 3600; num[len - 1] = '\0'; break;
	case 'd': mult = 86400; num[len - 1] = '\0'; break;
	}
	if (parse_u64(num, 100ULL * 365 * 86400, &v) == -1 ||
	    v * mult > 100ULL * 365 * 86400)
		return -1;
	*seconds = (int64_t)(v * mult);
	return 0;
}

static int
parse_duration(cfg_t *cfg, cfg_opt_t *opt, const char *value, void *result)
{
	int64_t	secs;

	if (conf_parse_duration(value, &secs) == -1) {
		cfg_error(cfg, "%s: bad duration '%s' (use e.g. 30s, 5m, 1h, 5d)",
		    opt->name, value);
		return -1;
	}
	*(long *)result = (long)secs;
	return 0;
}

/* "1048576", "512k", "100M", "1G" */
static int
parse_size(cfg_t *cfg, cfg_opt_t *opt, const char *value, void *result)
{
	char		 num[32];
	size_t		 len = strlen(value);
	uint64_t	 v, mult = 1;

	if (len == 0 || len >= sizeof(num)) {
		cfg_error(cfg, "%s: bad size '%s'", opt->name, value);
		return -1;
	}
	memcpy(num, value, len + 1);
	switch (num[len - 1]) {
	case 'k': case 'K': mult = 1024; num[len - 1] = '\0'; break;
	case 'M': mult = 1024 * 1024; num[len - 1] = '\0'; break;
	case 'G': mult = 1024 * 1024 * 1024; num[len - 1] = '\0'; break;
	}
	if (parse_u64(num, 1ULL << 40, &v) == -1 || v * mult > (1ULL << 40)) {
		cfg_error(cfg, "%s: bad size '%s' (use e.g. 10M)", opt->name,
		    value);
		return -1;
	}
	*(long *)result = (long)(v * mult);
	return 0;
}

static int
parse_tls(cfg_t *cfg, cfg_opt_t *opt, const char *value, void *result)
{
	if (strcmp(value, "starttls") == 0)
		*(long *)result = TLS_MODE_STARTTLS;
	else if (strcmp(value, "tls") == 0)
		*(long *)result = TLS_MODE_IMPLICIT;
	else if (strcmp(value, "none") == 0)
		*(long *)result = TLS_MODE_NONE;
	else {
		cfg_error(cfg, "%s: '%s' is not one of starttls, tls, none",
		    opt->name, value);
		return -1;
	}
	return 0;
}

static const char *const auth_names[AUTH_NMECHS] = {
	[AUTH_AUTO] = "auto",
	[AUTH_PLAIN] = "PLAIN",
	[AUTH_LOGIN] = "LOGIN",
	[AUTH_CRAM_MD5] = "CRAM-MD5",
	[AUTH_SCRAM_SHA_256] = "SCRAM-SHA-256",
	[AUTH_SCRAM_SHA_256_PLUS] = "SCRAM-SHA-256-PLUS",
	[AUTH_XOAUTH2] = "XOAUTH2",
	[AUTH_OAUTHBEARER] = "OAUTHBEARER",
};

static int
parse_auth(cfg_t *cfg, cfg_opt_t *opt, const char *value, void *result)
{
	int	m;

	for (m = 0; m < AUTH_NMECHS; m++)
		if (strcasecmp(value, auth_names[m]) == 0) {
			*(long *)result = m;
			return 0;
		}
	cfg_error(cfg, "%s: '%s' is not one of auto, plain, login, cram-md5, "
	    "scram-sha-256, scram-sha-256-plus, xoauth2, oauthbearer",
	    opt->name, value);
	return -1;
}

static int
parse_rewrite_from(cfg_t *cfg, cfg_opt_t *opt, const char *value,
    void *result)
{
	if (strcmp(value, "never") == 0)
		*(long *)result = REWRITE_FROM_NEVER;
	else if (strcmp(value, "local") == 0)
		*(long *)result = REWRITE_FROM_LOCAL;
	else if (strcmp(value, "always") == 0)
		*(long *)result = REWRITE_FROM_ALWAYS;
	else {
		cfg_error(cfg, "%s: '%s' is not one of never, local, always",
		    opt->name, value);
		return -1;
	}
	return 0;
}

static int
validate_address(cfg_t *cfg, cfg_opt_t *opt)
{
	const char	*p = cfg_opt_getnstr(opt, 0);
	char		 reason[200];

	if (p == NULL || address_check(p, reason, sizeof(reason)) == -1 ||
	    !address_is_qualified(p)) {
		cfg_error(cfg, "%s: '%s' is not a full address (%s)", opt->name,
		    p ? p : "", p && address_is_qualified(p) ? reason :
		    "user@domain needed");
		return -1;
	}
	return 0;
}

static int
validate_optional_path(cfg_t *cfg, cfg_opt_t *opt)
{
	const char *p = cfg_opt_getnstr(opt, 0);

	if (p != NULL && *p != '\0' && p[0] != '/') {
		cfg_error(cfg, "%s: '%s' is not an absolute path", opt->name, p);
		return -1;
	}
	return 0;
}

static int
validate_port(cfg_t *cfg, cfg_opt_t *opt)
{
	long	port = cfg_opt_getnint(opt, 0);

	if (port < 1 || port > 65535) {
		cfg_error(cfg, "port: %ld is not a TCP port", port);
		return -1;
	}
	return 0;
}

static int
validate_timeout(cfg_t *cfg, cfg_opt_t *opt)
{
	long	t = cfg_opt_getnint(opt, 0);

	if (t < 1 || t > 3600) {
		cfg_error(cfg, "timeout: must be between 1s and 1h");
		return -1;
	}
	return 0;
}

static int
hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* "sha256:AB:CD:..." or "ABCD..." (either case, prefix optional): 32
 * bytes into out.  With colons, every byte is two digits between them. */
static int
parse_pin(const char *s, unsigned char out[CONF_PIN_LEN], char *why,
    size_t whylen)
{
	const char	*colon = strchr(s, ':');
	size_t		 n = 0;
	int		 hi, lo, sep;

	/* A leading "word:" that is not a hex byte names the digest. */
	if (colon != NULL && (colon - s != 2 || hexval(s[0]) < 0 ||
	    hexval(s[1]) < 0)) {
		if (colon - s != 6 || strncasecmp(s, "sha256", 6) != 0) {
			snprintf(why, whylen, "only SHA-256 fingerprints are "
			    "supported (\"sha256:AB:CD:...\")");
			return -1;
		}
		s = colon + 1;
	}
	sep = strchr(s, ':') != NULL;
	while (*s != '\0') {
		if (n == CONF_PIN_LEN)
			goto bad;
		if (n > 0 && sep && *s++ != ':')
			goto bad;
		if ((hi = hexval(s[0])) < 0 || (lo = hexval(s[1])) < 0)
			goto bad;
		out[n++] = (unsigned char)(hi << 4 | lo);
		s += 2;
	}
	if (n == CONF_PIN_LEN)
		return 0;
bad:
	snprintf(why, whylen, "not a SHA-256 fingerprint (64 hex digits, "
	    "optionally as sha256:AB:CD:...)");
	return -1;
}

/* Both are parse callbacks, run as each value is read, so the error
 * names its own line (a validate callback runs a token later). */
static int
parse_fingerprint(cfg_t *cfg, cfg_opt_t *opt, const char *value,
    void *result)
{
	unsigned char	 pin[CONF_PIN_LEN];
	char		 why[200];

	if (parse_pin(value, pin, why, sizeof(why)) == -1) {
		cfg_error(cfg, "%s: '%s' is %s", opt->name, value, why);
		return -1;
	}
	*(const char **)result = value;
	return 0;
}

static int
parse_priorities(cfg_t *cfg, cfg_opt_t *opt, const char *value,
    void *result)
{
	char	why[300];

	if (*value == '\0') {
		cfg_error(cfg, "%s: empty", opt->name);
		return -1;
	}
	if (tls_priorities_ok != NULL &&
	    tls_priorities_ok(value, why, sizeof(why)) == -1) {
		cfg_error(cfg, "%s: '%s': %s", opt->name, value, why);
		return -1;
	}
	*(const char **)result = value;
	return 0;
}

static int
validate_smarthost(cfg_t *cfg, cfg_opt_t *opt)
{
	cfg_t	*sec = cfg_opt_getnsec(opt, cfg_opt_size(opt) - 1);
	const char *title = cfg_title(sec);
	enum auth_mech auth;
	int	 nsecrets;

	if (title == NULL || *title == '\0' || strpbrk(title, " \t\r\n/") ||
	    strlen(title) > 253) {
		cfg_error(cfg, "smarthost: '%s' is not a host name",
		    title ? title : "");
		return -1;
	}
	nsecrets = (cfg_getstr(sec, "password") != NULL) +
	    (cfg_getstr(sec, "password_file") != NULL) +
	    (cfg_getstr(sec, "password_command") != NULL);
	if (nsecrets > 1) {
		cfg_error(cfg, "smarthost %s: password, password_file and "
		    "password_command are mutually exclusive", title);
		return -1;
	}
	if (nsecrets && cfg_getstr(sec, "user") == NULL) {
		cfg_error(cfg, "smarthost %s: a password needs a user", title);
		return -1;
	}
	if (cfg_getstr(sec, "user") && nsecrets == 0) {
		cfg_error(cfg, "smarthost %s: user needs password_file, "
		    "password_command or password", title);
		return -1;
	}
	if (!cfg_getstr(sec, "tls_cert_file") != !cfg_getstr(sec,
	    "tls_key_file")) {
		cfg_error(cfg, "smarthost %s: tls_cert_file and tls_key_file "
		    "go together", title);
		return -1;
	}
	auth = (enum auth_mech)cfg_getint(sec, "auth");
	if (auth != AUTH_AUTO && cfg_getstr(sec, "user") == NULL) {
		cfg_error(cfg, "smarthost %s: auth needs a user", title);
		return -1;
	}
	/* Without TLS only a mechanism that never shows the relay the
	 * secret itself will do (auto then picks among those). */
	if (cfg_getint(sec, "tls") == TLS_MODE_NONE &&
	    (auth_mech_cleartext(auth) || auth == AUTH_SCRAM_SHA_256_PLUS)) {
		cfg_error(cfg, "smarthost %s: auth = %s needs tls = starttls or "
		    "tls (%s)", title, auth_mech_name(auth),
		    auth == AUTH_SCRAM_SHA_256_PLUS ? "it binds to the TLS "
		    "channel" : "it would show the secret to anyone on the "
		    "path");
		return -1;
	}
	if (cfg_getint(sec, "tls") == TLS_MODE_NONE &&
	    (cfg_size(sec, "tls_fingerprint") > 0 ||
	    cfg_getstr(sec, "tls_priorities") ||
	    cfg_getstr(sec, "tls_cert_file"))) {
		cfg_error(cfg, "smarthost %s: tls_fingerprint, tls_priorities "
		    "and tls_cert_file need tls = starttls or tls", title);
		return -1;
	}
	return 0;
}

static int
validate_path(cfg_t *cfg, cfg_opt_t *opt)
{
	const char *p = cfg_opt_getnstr(opt, cfg_opt_size(opt) - 1);

	if (p == NULL || p[0] != '/') {
		cfg_error(cfg, "%s: '%s' is not an absolute path", opt->name,
		    p ? p : "");
		return -1;
	}
	return 0;
}

static int
validate_name(cfg_t *cfg, cfg_opt_t *opt)
{
	const char *p = cfg_opt_getnstr(opt, 0);
	const char *s;

	if (p == NULL || *p == '\0' || strlen(p) > 253)
		goto bad;
	for (s = p; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		    (*s >= '0' && *s <= '9') || *s == '-' || *s == '.'))
			goto bad;
	return 0;
bad:
	cfg_error(cfg, "%s: '%s' is not a domain name", opt->name, p ? p : "");
	return -1;
}

int
conf_load(const char *path, int must_exist, struct config *cf, char *why,
    size_t whylen)
{
	cfg_opt_t smarthost_opts[] = {
		CFG_INT("port", 0, CFGF_NONE),
		CFG_INT_CB("tls", TLS_MODE_STARTTLS, CFGF_NONE, parse_tls),
		CFG_STR("tls_trust_file", NULL, CFGF_NODEFAULT),
		CFG_BOOL("tls_verify", cfg_true, CFGF_NONE),
		CFG_STR_LIST_CB("tls_fingerprint", NULL, CFGF_NODEFAULT,
		    parse_fingerprint),
		CFG_STR_CB("tls_priorities", NULL, CFGF_NODEFAULT,
		    parse_priorities),
		CFG_STR("tls_cert_file", NULL, CFGF_NODEFAULT),
		CFG_STR("tls_key_file", NULL, CFGF_NODEFAULT),
		CFG_STR("user", NULL, CFGF_NODEFAULT),
		CFG_STR("password", NULL, CFGF_NODEFAULT),
		CFG_STR("password_file", NULL, CFGF_NODEFAULT),
		CFG_STR("password_command", NULL, CFGF_NODEFAULT),
		CFG_INT_CB("auth", AUTH_AUTO, CFGF_NONE, parse_auth),
		CFG_INT_CB("timeout", 60, CFGF_NONE, parse_duration),
		CFG_END()
	};
	cfg_opt_t opts[] = {
		CFG_STR("queue_dir", RELAYQ_SPOOL_DIR, CFGF_NONE),
		CFG_STR("domain", NULL, CFGF_NODEFAULT),
		CFG_STR("helo_name", NULL, CFGF_NODEFAULT),
		CFG_INT_CB("max_message_size", 128L * 1024 * 1024, CFGF_NONE,
		    parse_size),
		CFG_INT_CB("retry_min", 300, CFGF_NONE, parse_duration),
		CFG_INT_CB("retry_max", 3600, CFGF_NONE, parse_duration),
		CFG_INT_CB("lifetime", 5 * 86400, CFGF_NONE, parse_duration),
		CFG_INT("messages_per_connection", 100, CFGF_NONE),
		CFG_INT("max_connections", 2, CFGF_NONE),
		CFG_INT("bounce_limit", 100, CFGF_NONE),
		CFG_INT_CB("delay_warning", 0, CFGF_NONE, parse_duration),
		CFG_STR("aliases", "/etc/aliases", CFGF_NONE),
		CFG_STR("admin", NULL, CFGF_NODEFAULT),
		CFG_STR("from", NULL, CFGF_NODEFAULT),
		CFG_INT_CB("rewrite_from_header", REWRITE_FROM_LOCAL, CFGF_NONE,
		    parse_rewrite_from),
		CFG_BOOL("rewrite_to_header", cfg_true, CFGF_NONE),
		CFG_STR_LIST("local_domains", "{}", CFGF_NONE),
		CFG_SEC("smarthost", smarthost_opts,
		    CFGF_MULTI | CFGF_TITLE | CFGF_NO_TITLE_DUPES),
		CFG_END()
	};
	cfg_t		*cfg;
	struct stat	 st;
	unsigned int	 i, j;
	int		 rc;

	memset(cf, 0, sizeof(*cf));
	cf->path = xstrdup(path);
	conf_why = why;
	conf_whylen = whylen;
	conf_file = path;
	conf_failed = 0;

	if (stat(path, &st) == -1) {
		if (errno == ENOENT && !must_exist) {
			/* Run on defaults: queue everything, relay nothing. */
			path = "/dev/null";
		} else {
			snprintf(why, whylen, "%s: %s", path, strerror(errno));
			conf_free(cf);
			return -1;
		}
	} else
		cf->file_found = 1;

	cfg = cfg_init(opts, CFGF_NONE);
	cfg_set_error_function(cfg, conf_error_cb);
	cfg_set_validate_func(cfg, "smarthost", validate_smarthost);
	cfg_set_validate_func(cfg, "smarthost|port", validate_port);
	cfg_set_validate_func(cfg, "smarthost|timeout", validate_timeout);
	cfg_set_validate_func(cfg, "smarthost|tls_trust_file", validate_path);
	cfg_set_validate_func(cfg, "smarthost|password_file", validate_path);
	cfg_set_validate_func(cfg, "smarthost|tls_cert_file", validate_path);
	cfg_set_validate_func(cfg, "smarthost|tls_key_file", validate_path);
	cfg_set_validate_func(cfg, "queue_dir", validate_path);
	cfg_set_validate_func(cfg, "aliases", validate_optional_path);
	cfg_set_validate_func(cfg, "admin", validate_address);
	cfg_set_validate_func(cfg, "from", validate_address);
	cfg_set_validate_func(cfg, "domain", validate_name);
	cfg_set_validate_func(cfg, "helo_name", validate_name);

	rc = cfg_parse(cfg, path);
	if (rc == CFG_FILE_ERROR) {
		snprintf(why, whylen, "%s: %s", conf_file, strerror(errno));
		cfg_free(cfg);
		conf_free(cf);
		return -1;
	}
	if (rc != CFG_SUCCESS || conf_failed) {
		if (!conf_failed)
			snprintf(why, whylen, "%s: cannot parse", conf_file);
		cfg_free(cfg);
		conf_free(cf);
		return -1;
	}

	cf->queue_dir = xstrdup(cfg_getstr(cfg, "queue_dir"));
	if (cfg_getstr(cfg, "domain"))
		cf->domain = xstrdup(cfg_getstr(cfg, "domain"));
	if (cfg_getstr(cfg, "helo_name"))
		cf->helo_name = xstrdup(cfg_getstr(cfg, "helo_name"));
	cf->max_message_size = (uint64_t)cfg_getint(cfg, "max_message_size");
	cf->retry_min = cfg_getint(cfg, "retry_min");
	cf->retry_max = cfg_getint(cfg, "retry_max");
	cf->lifetime = cfg_getint(cfg, "lifetime");
	cf->messages_per_connection = (int)cfg_getint(cfg,
	    "messages_per_connection");
	if (cfg_getstr(cfg, "aliases") && *cfg_getstr(cfg, "aliases"))
		cf->aliases = xstrdup(cfg_getstr(cfg, "aliases"));
	if (cfg_getstr(cfg, "admin"))
		cf->admin = xstrdup(cfg_getstr(cfg, "admin"));
	if (cfg_getstr(cfg, "from"))
		cf->from = xstrdup(cfg_getstr(cfg, "from"));
	cf->rewrite_from_header = (enum rewrite_from)cfg_getint(cfg,
	    "rewrite_from_header");
	cf->rewrite_to_header = cfg_getbool(cfg, "rewrite_to_header");
	cf->nlocal_domains = cfg_size(cfg, "local_domains");
	cf->local_domains = xcalloc(cf->nlocal_domains + 1, sizeof(char *));
	for (i = 0; i < cf->nlocal_domains; i++)
		cf->local_domains[i] = xstrdup(cfg_getnstr(cfg,
		    "local_domains", i));
	if (cf->retry_min < 1)
		cf->retry_min = 1;
	if (cf->retry_max < cf->retry_min)
		cf->retry_max = cf->retry_min;
	if (cf->messages_per_connection < 1)
		cf->messages_per_connection = 1;
	cf->bounce_limit = (int)cfg_getint(cfg, "bounce_limit");
	cf->delay_warning = cfg_getint(cfg, "delay_warning");
	if (cf->bounce_limit < 0)
		cf->bounce_limit = 0;
	cf->max_connections = (int)cfg_getint(cfg, "max_connections");
	if (cf->max_connections < 1)
		cf->max_connections = 1;
	if (cf->max_connections > 32)
		cf->max_connections = 32;

	cf->nsmarthosts = cfg_size(cfg, "smarthost");
	cf->smarthosts = xcalloc(cf->nsmarthosts ? cf->nsmarthosts : 1,
	    sizeof(*cf->smarthosts));
	for (i = 0; i < cf->nsmarthosts; i++) {
		cfg_t *sec = cfg_getnsec(cfg, "smarthost", i);
		struct smarthost *sh = &cf->smarthosts[i];
		const char *s;

		sh->host = xstrdup(cfg_title(sec));
		sh->tls = (enum tls_mode)cfg_getint(sec, "tls");
		/* The port follows the TLS mode unless it is set. */
		sh->port = (int)cfg_getint(sec, "port");
		if (sh->port == 0)
			sh->port = sh->tls == TLS_MODE_IMPLICIT ? 465 : 587;
		sh->timeout = (int)cfg_getint(sec, "timeout");
		if ((s = cfg_getstr(sec, "tls_trust_file")))
			sh->tls_trust_file = xstrdup(s);
		sh->tls_verify = cfg_getbool(sec, "tls_verify") ? 1 : 0;
		sh->ntls_pins = cfg_size(sec, "tls_fingerprint");
		sh->tls_pins = xcalloc(sh->ntls_pins ? sh->ntls_pins : 1,
		    sizeof(*sh->tls_pins));
		for (j = 0; j < sh->ntls_pins; j++) {
			char why_pin[200];

			/* Validated above: cannot fail here. */
			if (parse_pin(cfg_getnstr(sec, "tls_fingerprint", j),
			    sh->tls_pins[j], why_pin, sizeof(why_pin)) == -1) {
				snprintf(why, whylen, "%s: tls_fingerprint: %s",
				    conf_file, why_pin);
				cfg_free(cfg);
				conf_free(cf);
				return -1;
			}
		}
		if ((s = cfg_getstr(sec, "tls_priorities")))
			sh->tls_priorities = xstrdup(s);
		if ((s = cfg_getstr(sec, "tls_cert_file")))
			sh->tls_cert_file = xstrdup(s);
		if ((s = cfg_getstr(sec, "tls_key_file")))
			sh->tls_key_file = xstrdup(s);
		if ((s = cfg_getstr(sec, "user")))
			sh->user = xstrdup(s);
		if ((s = cfg_getstr(sec, "password")))
			sh->password = xstrdup(s);
		if ((s = cfg_getstr(sec, "password_file")))
			sh->password_file = xstrdup(s);
		if ((s = cfg_getstr(sec, "password_command")))
			sh->password_command = xstrdup(s);
		sh->auth = (enum auth_mech)cfg_getint(sec, "auth");
	}
	/* The config's own copy of an inline password goes with cfg_free;
	 * ours is wiped in conf_free. */
	cfg_free(cfg);
	return 0;
}

void
conf_free(struct config *cf)
{
	size_t	i;

	for (i = 0; i < cf->nsmarthosts; i++) {
		struct smarthost *sh = &cf->smarthosts[i];

		free(sh->host);
		free(sh->tls_trust_file);
		free(sh->tls_pins);
		free(sh->tls_priorities);
		free(sh->tls_cert_file);
		free(sh->tls_key_file);
		free(sh->user);
		if (sh->password) {
			wipe(sh->password, strlen(sh->password));
			free(sh->password);
		}
		free(sh->password_file);
		free(sh->password_command);
	}
	free(cf->smarthosts);
	for (i = 0; i < cf->nlocal_domains; i++)
		free(cf->local_domains[i]);
	free(cf->local_domains);
	free(cf->aliases);
	free(cf->admin);
	free(cf->from);
	free(cf->path);
	free(cf->queue_dir);
	free(cf->domain);
	free(cf->helo_name);
	memset(cf, 0, sizeof(*cf));
}

/* Who may read the file behind fd: root and runner_gid only. */
static int
secret_mode_ok(int fd, const char *what, gid_t runner_gid, char *why,
    size_t whylen)
{
	struct stat	st;

	if (fstat(fd, &st) == -1) {
		snprintf(why, whylen, "%s: %s", what, strerror(errno));
		return -1;
	}
	if (!S_ISREG(st.st_mode)) {
		snprintf(why, whylen, "%s: not a regular file", what);
		return -1;
	}
	if (st.st_uid != 0 && st.st_uid != geteuid()) {
		snprintf(why, whylen, "%s: refusing a secret owned by uid %u "
		    "(must be root or the runner's own account)", what,
		    (unsigned)st.st_uid);
		return -1;
	}
	if ((st.st_mode & S_IRWXO) || (st.st_mode & S_IWGRP) ||
	    ((st.st_mode & S_IRGRP) && st.st_gid != runner_gid &&
	    st.st_gid != 0)) {
		snprintf(why, whylen, "%s: refusing a secret that others can "
		    "read or change (mode %04o, group %u): chmod 0640 and "
		    "chgrp it to the relayq group", what,
		    (unsigned)(st.st_mode & 07777), (unsigned)st.st_gid);
		return -1;
	}
	return 0;
}

/*
 * password_command: /bin/sh -c COMMAND with a minimal environment, no
 * input, stderr discarded (its output must never reach a log), within
 * PASSWORD_COMMAND_SECONDS; the first line it prints is the secret.  The
 * command is trusted as the configuration is: only root can write it,
 * and an override config drops every privilege before we get here.
 */
static int
run_password_command(const struct smarthost *sh, char **secret, char *why,
    size_t whylen)
{
	char		 buf[SECRET_MAX + 1];
	char		*envp[] = { "PATH=/usr/local/bin:/usr/bin:/bin",
			    "LC_ALL=C", NULL };
	struct pollfd	 pfd;
	int64_t		 deadline = now_ms() + PASSWORD_COMMAND_SECONDS * 1000;
	size_t		 len = 0;
	ssize_t		 n;
	pid_t		 pid;
	int		 p[2], status, devnull, timed_out = 0;

	if (pipe2(p, O_CLOEXEC) == -1) {
		snprintf(why, whylen, "password_command: %s", strerror(errno));
		return -1;
	}
	if ((pid = fork()) == -1) {
		snprintf(why, whylen, "password_command: %s", strerror(errno));
		close(p[0]);
		close(p[1]);
		return -1;
	}
	if (pid == 0) {
		devnull = open("/dev/null", O_RDWR);
		if (devnull == -1 || dup2(devnull, 0) == -1 ||
		    dup2(p[1], 1) == -1 || dup2(devnull, 2) == -1)
			_exit(127);
		execle("/bin/sh", "sh", "-c", sh->password_command,
		    (char *)NULL, envp);
		_exit(127);
	}
	close(p[1]);
	while (len < sizeof(buf) - 1) {
		int64_t left = deadline - now_ms();

		if (left <= 0) {
			timed_out = 1;
			break;
		}
		pfd.fd = p[0];
		pfd.events = POLLIN;
		if (poll(&pfd, 1, (int)left) <= 0) {
			if (errno == EINTR)
				continue;
			timed_out = 1;
			break;
		}
		n = read(p[0], buf + len, sizeof(buf) - 1 - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		len += (size_t)n;
	}
	close(p[0]);
	if (timed_out)
		kill(pid, SIGKILL);
	while (waitpid(pid, &status, 0) == -1 && errno == EINTR)
		;
	buf[len] = '\0';
	buf[strcspn(buf, "\r\n")] = '\0';
	if (timed_out)
		snprintf(why, whylen, "password_command for %s took longer "
		    "than %ds", sh->host, PASSWORD_COMMAND_SECONDS);
	else if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
		snprintf(why, whylen, "password_command for %s failed (exit "
		    "status %d)", sh->host, WIFEXITED(status) ?
		    WEXITSTATUS(status) : 128 + WTERMSIG(status));
	else if (buf[0] == '\0')
		snprintf(why, whylen, "password_command for %s printed no "
		    "password", sh->host);
	else {
		*secret = xstrdup(buf);
		wipe(buf, sizeof(buf));
		return 0;
	}
	wipe(buf, sizeof(buf));
	return -1;
}

int
conf_read_secret(const struct config *cf, const struct smarthost *sh,
    gid_t runner_gid, char **secret, char *why, size_t whylen)
{
	char	 buf[SECRET_MAX + 1];
	ssize_t	 n;
	size_t	 len = 0;
	int	 fd;

	*secret = NULL;
	if (sh->password) {
		if ((fd = open(cf->path, O_RDONLY | O_CLOEXEC)) == -1) {
			snprintf(why, whylen, "%s: %s", cf->path,
			    strerror(errno));
			return -1;
		}
		if (secret_mode_ok(fd, cf->path, runner_gid, why, whylen)) {
			close(fd);
			return -1;
		}
		close(fd);
		*secret = xstrdup(sh->password);
		return 0;
	}
	if (sh->password_command)
		return run_password_command(sh, secret, why, whylen);
	if (sh->password_file == NULL) {
		snprintf(why, whylen, "smarthost %s: no password configured",
		    sh->host);
		return -1;
	}
	fd = open(sh->password_file, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd == -1) {
		snprintf(why, whylen, "%s: %s", sh->password_file,
		    strerror(errno));
		return -1;
	}
	if (secret_mode_ok(fd, sh->password_file, runner_gid, why, whylen)) {
		close(fd);
		return -1;
	}
	while (len < sizeof(buf) - 1) {
		n = read(fd, buf + len, sizeof(buf) - 1 - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			snprintf(why, whylen, "%s: %s", sh->password_file,
			    strerror(errno));
			close(fd);
			wipe(buf, sizeof(buf));
			return -1;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	close(fd);
	buf[len] = '\0';
	/* The first line is the secret; a trailing newline is not part of it. */
	buf[strcspn(buf, "\r\n")] = '\0';
	if (buf[0] == '\0') {
		snprintf(why, whylen, "%s: empty password", sh->password_file);
		return -1;
	}
	*secret = xstrdup(buf);
	wipe(buf, sizeof(buf));
	return 0;
}

int
conf_read_tls_key(const struct smarthost *sh, gid_t runner_gid, char **pem,
    size_t *lenp, char *why, size_t whylen)
{
	char	*buf;
	ssize_t	 n;
	size_t	 len = 0;
	int	 fd;

	*pem = NULL;
	*lenp = 0;
	if (sh->tls_key_file == NULL) {
		snprintf(why, whylen, "smarthost %s: no tls_key_file", sh->host);
		return -1;
	}
	fd = open(sh->tls_key_file, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd == -1) {
		snprintf(why, whylen, "%s: %s", sh->tls_key_file,
		    strerror(errno));
		return -1;
	}
	if (secret_mode_ok(fd, sh->tls_key_file, runner_gid, why, whylen)) {
		close(fd);
		return -1;
	}
	buf = xmalloc(TLS_KEY_MAX + 1);
	while (len < TLS_KEY_MAX) {
		n = read(fd, buf + len, TLS_KEY_MAX - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			snprintf(why, whylen, "%s: %s", sh->tls_key_file,
			    strerror(errno));
			goto fail;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	if (len == TLS_KEY_MAX) {
		snprintf(why, whylen, "%s: larger than %d bytes, not a key",
		    sh->tls_key_file, TLS_KEY_MAX);
		goto fail;
	}
	if (len == 0) {
		snprintf(why, whylen, "%s: empty", sh->tls_key_file);
		goto fail;
	}
	close(fd);
	buf[len] = '\0';
	*pem = buf;
	*lenp = len;
	return 0;
fail:
	close(fd);
	wipe(buf, TLS_KEY_MAX + 1);
	free(buf);
	return -1;
}

const char *
conf_tls_warning(const struct smarthost *sh)
{
	if (sh->tls == TLS_MODE_NONE || sh->tls_verify)
		return "";
	return sh->ntls_pins > 0 ? " (TLS chain NOT VERIFIED, fingerprint "
	    "pinned)" : " (TLS NOT VERIFIED)";
}

const char *
conf_domain(struct config *cf)
{
	char	 buf[256];
	FILE	*fp;

	if (cf->domain)
		return cf->domain;
	if ((fp = fopen("/etc/mailname", "re")) != NULL) {
		if (fgets(buf, sizeof(buf), fp)) {
			buf[strcspn(buf, " \t\r\n")] = '\0';
			if (buf[0])
				cf->domain = xstrdup(buf);
		}
		fclose(fp);
	}
	if (cf->domain == NULL) {
		if (gethostname(buf, sizeof(buf) - 1) == -1 || buf[0] == '\0')
			strcpy(buf, "localhost");
		buf[sizeof(buf) - 1] = '\0';
		cf->domain = xstrdup(buf);
	}
	return cf->domain;
}

const char *
tls_mode_name(enum tls_mode m)
{
	switch (m) {
	case TLS_MODE_STARTTLS: return "starttls";
	case TLS_MODE_IMPLICIT: return "tls";
	case TLS_MODE_NONE: return "none";
	}
	return "?";
}

const char *
auth_mech_name(enum auth_mech m)
{
	return (unsigned)m < AUTH_NMECHS ? auth_names[m] : "?";
}

int
auth_mech_cleartext(enum auth_mech m)
{
	return m == AUTH_PLAIN || m == AUTH_LOGIN || m == AUTH_XOAUTH2 ||
	    m == AUTH_OAUTHBEARER;
}
