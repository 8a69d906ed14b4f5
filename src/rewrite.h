/*
 * rewrite - addressing for system mail, applied at submission: which
 * addresses are local, what the aliases file and the admin catch-all make
 * of them, and the From:, To: and Cc: fields a relay will accept.
 *
 * Local means unqualified ("root"), or at localhost, this host's name, or
 * a domain listed in local_domains.  A local recipient goes through the
 * aliases file; what is left local goes to admin when it is set, else it
 * is qualified with the domain.  A target a null client cannot honour
 * (|command, /file) makes rewrite_recipient fail: never a silent drop.
 */
#ifndef RELAYQ_REWRITE_H
#define RELAYQ_REWRITE_H

#include <stddef.h>

#include "conf.h"
#include "header.h"

struct aliases;

struct rewriter {
	struct config	*cf;
	struct aliases	*aliases;
	char		 host[256];
	char		 shorthost[256];
};

/* rewrite_open - load the aliases file if use_aliases and there is one.
 * Returns 0, or -1 with why when it exists but cannot be read. */
int	rewrite_open(struct rewriter *, struct config *, int use_aliases,
	    char *why, size_t whylen);
void	rewrite_close(struct rewriter *);

int	rewrite_is_local(const struct rewriter *, const char *addr);

/* rewrite_recipient - the final recipients for addr, each passed to cb
 * (qualified).  -1 with why when an alias cannot be honoured, or cb's
 * own non-zero return. */
int	rewrite_recipient(const struct rewriter *, const char *addr,
	    int (*cb)(const char *addr, void *arg), void *arg, char *why,
	    size_t whylen);

/* rewrite_field - a rewritten copy of a From, To or Cc field (the others
 * come back untouched as 0), malloc'd in *out, ending like the original.
 * sender is the address a local From: becomes.  Returns 1 when *out was
 * made, 0 when the field stays as it is (also when an alias in it cannot
 * be honoured: the recipients decide whether that is an error). */
int	rewrite_field(const struct rewriter *, const struct header_field *f,
	    const char *sender, char **out, size_t *outlen, char *why,
	    size_t whylen);

#endif
