/*
 * options - sendmail's command line; see options.h.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

#include "options.h"
#include "util.h"

/* upper - a copy in upper case, for keywords given in any case. */
/* -L: the tag goes into every syslog line, so it may not forge one. */
static int
tag_ok(const char *tag)
{
	size_t	len = strlen(tag);

	return len > 0 && len <= 32 && strspn(tag, "abcdefghijklmnopqrstuvwxyz"
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-") == len;
}

static char *
upper(const char *s)
{
	char	*u = xstrdup(s), *p;

	for (p = u; *p; p++)
		if (*p >= 'a' && *p <= 'z')
			*p = (char)(*p - 'a' + 'A');
	return u;
}

/* xtext - RFC 3461 encoding of an envelope id given on the command line;
 * NULL when the encoded id is longer than the 100 characters RFC 3461
 * 4.4 allows (each byte it must encode takes three). */
static char *
xtext(const char *s)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t	 len = strlen(s), o = 0;
	char	*x;

	if (len > 100)
		return NULL;
	x = xmalloc(len * 3 + 1);
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
	if (o > 100) {
		free(x);
		return NULL;
	}
	return x;
}

/* A later -B, -N, -R or -V replaces an earlier one. */
static void
replace(const char **slot, char *value)
{
	free((char *)*slot);
	*slot = value;
}

/* How an option letter is named in a message: the caller's byte may be
 * anything. */
static void
opt_name(char *out, size_t outlen, char opt)
{
	escape_text(out, outlen, &opt, 1);
}

int
options_parse(int argc, char **argv, struct options *o, char *why,
    size_t whylen)
{
	const char	*base;
	char		 name[8];
	int		 i;

	memset(o, 0, sizeof(*o));
	o->mode = MODE_DELIVER;
	o->tag = "relayq";
	o->progname = "sendmail";
	if (argc > 0 && argv[0] != NULL) {
		base = strrchr(argv[0], '/');
		base = base ? base + 1 : argv[0];
		/* argv[0] is the caller's: only these two names count. */
		if (strcmp(base, "mailq") == 0) {
			o->mode = MODE_LIST;
			o->progname = "mailq";
		} else if (strcmp(base, "newaliases") == 0) {
			o->mode = MODE_ALIASES;
			o->progname = "newaliases";
		}
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
			const char	*arg = NULL;
			char		 opt = *p;

			opt_name(name, sizeof(name), opt);
			/* Options that take an argument, glued ("-fme") or
			 * separate ("-f me"). */
			if (strchr("frFCoBNRVLOhX", opt) != NULL) {
				if (p[1] != '\0')
					arg = p + 1;
				else if (i + 1 < argc)
					arg = argv[++i];
				else {
					snprintf(why, whylen, "option -%s "
					    "requires an argument", name);
					return EX_USAGE;
				}
			}
			switch (opt) {
			case 't':
				o->s.extract = 1;
				continue;
			case 'i':
				o->s.ignore_dots = 1;
				continue;
			case 'v':
				o->verbose = 1;
				continue;
			case 'n':	/* no aliasing */
				o->s.no_aliases = 1;
				continue;
			case 'm':	/* me too: always, nothing to expand */
			case 'U':	/* initial user submission */
			case 'G':	/* gateway submission */
				continue;
			case 'f':
			case 'r':
				o->s.sender = arg;
				break;
			case 'F':
				o->s.fullname = arg;
				break;
			case 'C':
				o->config = arg;
				break;
			case 'o':
				if (strcmp(arg, "i") == 0)
					o->s.ignore_dots = 1;
				else if (strcmp(arg, "em") == 0)
					o->mail_errors = 1;
				else if (strcmp(arg, "ep") == 0 ||
				    strcmp(arg, "eq") == 0)
					o->mail_errors = 0;
				else if (strcmp(arg, "dq") == 0) {
					o->queue_only = 1;
					o->s.wait = 0;
				} else if (strcmp(arg, "di") == 0) {
					o->s.wait = 1;
					o->queue_only = 0;
				} else if (strcmp(arg, "db") == 0)
					o->queue_only = o->s.wait = 0;
				break;
			case 'B':	/* body type: 7BIT, 8BITMIME */
				replace(&o->s.body, upper(arg));
				break;
			case 'N':	/* DSN notify */
				replace(&o->s.notify, upper(arg));
				break;
			case 'R':	/* DSN return */
				replace(&o->s.ret, upper(arg));
				break;
			case 'V':	/* envelope id */
				replace(&o->s.envid, xtext(arg));
				if (o->s.envid == NULL) {
					snprintf(why, whylen, "envelope id "
					    "longer than 100 characters as "
					    "xtext");
					return EX_USAGE;
				}
				break;
			case 'L':	/* syslog tag */
				if (!tag_ok(arg)) {
					snprintf(why, whylen, "bad syslog tag");
					return EX_USAGE;
				}
				o->tag = arg;
				break;
			case 'O':	/* option=value */
			case 'h':	/* hop count */
			case 'X':	/* traffic log: never written */
				break;
			case 'A':	/* -Ac / -Am: which config, ignored */
			case 'e':	/* -em, -ep, -eq: old error modes */
				break;
			case 'b':
				arg = p + 1;
				if (strcmp(arg, "m") == 0)
					o->mode = MODE_DELIVER;
				else if (strcmp(arg, "p") == 0)
					o->mode = MODE_LIST;
				else if (strcmp(arg, "i") == 0)
					o->mode = MODE_ALIASES;
				else if (strcmp(arg, "s") == 0)
					o->mode = MODE_SMTP;
				else if (strcmp(arg, "v") == 0)
					o->mode = MODE_VERIFY;
				else {
					char mode[64];

					escape_text(mode, sizeof(mode), arg,
					    strlen(arg));
					snprintf(why, whylen, "mode -b%s is "
					    "not supported", mode);
					return EX_USAGE;
				}
				break;
			case 'q':
				/* -q, -q30m, -qf: flush now; intervals mean
				 * nothing to an on-demand runner. */
				o->mode = MODE_FLUSH;
				break;
			default:
				snprintf(why, whylen, "unknown option -%s",
				    name);
				return EX_USAGE;
			}
			break;
		}
	}
	o->s.rcpts = argv + i;
	o->s.nrcpts = argc - i;
	return EX_OK;
}

void
options_free(struct options *o)
{
	free((char *)o->s.body);
	free((char *)o->s.notify);
	free((char *)o->s.ret);
	free((char *)o->s.envid);
	o->s.body = o->s.notify = o->s.ret = o->s.envid = NULL;
}
