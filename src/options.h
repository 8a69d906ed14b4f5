/*
 * options - sendmail's command line, parsed without side effects so the
 * same code serves the program and the fuzz harness (fuzz/).
 *
 * argv is hostile: nothing here exits, opens, or reads the environment.
 * Strings in the result point into argv except body, notify, ret and
 * envid, which are made here and freed by options_free().
 */
#ifndef RELAYQ_OPTIONS_H
#define RELAYQ_OPTIONS_H

#include <stddef.h>

#include "submit.h"

enum sendmail_mode {
	MODE_DELIVER,		/* -bm, the default */
	MODE_LIST,		/* -bp, mailq */
	MODE_ALIASES,		/* -bi, newaliases */
	MODE_FLUSH,		/* -q */
	MODE_SMTP,		/* -bs */
	MODE_VERIFY,		/* -bv */
};

struct options {
	const char		*progname;	/* by argv[0]: mailq, ... */
	enum sendmail_mode	 mode;
	struct submission	 s;	/* rcpts/nrcpts: argv after the options */
	const char		*config;	/* -C, or NULL */
	const char		*tag;		/* -L, default "relayq" */
	int			 verbose;	/* -v */
	int			 queue_only;	/* -odq */
	int			 mail_errors;	/* -oem */
};

/* options_parse - argv[0] (mailq, newaliases) and the options.  Returns
 * EX_OK, or a sysexits code (EX_USAGE) with one line in why; either way
 * options_free() releases what was made. */
int	options_parse(int argc, char **argv, struct options *o, char *why,
	    size_t whylen);
void	options_free(struct options *o);

#endif
