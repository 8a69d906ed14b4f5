/*
 * rewrite - local addresses, aliases and header rewriting; see rewrite.h.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "address.h"
#include "aliases.h"
#include "log.h"
#include "rewrite.h"
#include "util.h"

static void
report_problem(void *arg, const char *msg)
{
	(void)arg;
	log_warn("%s", msg);
}

int
rewrite_open(struct rewriter *rw, struct config *cf, int use_aliases,
    char *why, size_t whylen)
{
	char	*dot;

	memset(rw, 0, sizeof(*rw));
	rw->cf = cf;
	if (gethostname(rw->host, sizeof(rw->host) - 1) == -1)
		rw->host[0] = '\0';
	snprintf(rw->shorthost, sizeof(rw->shorthost), "%s", rw->host);
	if ((dot = strchr(rw->shorthost, '.')) != NULL)
		*dot = '\0';
	if (cf->aliases == NULL || !use_aliases)
		return 0;
	rw->aliases = aliases_load(cf->aliases, report_problem, NULL, NULL);
	if (rw->aliases == NULL && errno != ENOENT) {
		snprintf(why, whylen, "cannot read %s: %s", cf->aliases,
		    strerror(errno));
		return -1;
	}
	return 0;
}

void
rewrite_close(struct rewriter *rw)
{
	aliases_free(rw->aliases);
	rw->aliases = NULL;
}

/* The domain of an addr-spec: after the last '@' (a quoted local part
 * may hold one, a domain never does). */
static const char *
domain_of(const char *addr)
{
	const char *at;

	if (!address_is_qualified(addr))
		return NULL;
	at = strrchr(addr, '@');
	return at ? at + 1 : NULL;
}

int
rewrite_is_local(const struct rewriter *rw, const char *addr)
{
	const char	*d = domain_of(addr);
	size_t		 i;

	if (d == NULL)
		return 1;
	if (strcasecmp(d, "localhost") == 0 ||
	    strcasecmp(d, "localhost.localdomain") == 0 ||
	    (rw->host[0] && strcasecmp(d, rw->host) == 0) ||
	    (rw->shorthost[0] && strcasecmp(d, rw->shorthost) == 0))
		return 1;
	for (i = 0; i < rw->cf->nlocal_domains; i++)
		if (strcasecmp(d, rw->cf->local_domains[i]) == 0)
			return 1;
	return 0;
}

/* The local part alone, into out. */
static void
local_part(const char *addr, char *out, size_t outlen)
{
	const char	*d = domain_of(addr);
	size_t		 len = d ? (size_t)(d - 1 - addr) : strlen(addr);

	if (len >= outlen)
		len = outlen - 1;
	memcpy(out, addr, len);
	out[len] = '\0';
}

struct expansion {
	char	**addrs;
	size_t	  n;
};

static int
collect(const char *addr, void *arg)
{
	struct expansion *e = arg;

	e->addrs = xrealloc(e->addrs, (e->n + 1) * sizeof(char *));
	e->addrs[e->n++] = xstrdup(addr);
	return 0;
}

/* A name with nothing more to expand: admin, or name@domain. */
static int
final_local(const struct rewriter *rw, const char *name,
    int (*cb)(const char *, void *), void *arg, char *why, size_t whylen)
{
	char	q[ADDRESS_MAX + 1];

	if (rw->cf->admin)
		return cb(rw->cf->admin, arg);
	if (address_qualify(name, conf_domain(rw->cf), q, sizeof(q), why,
	    whylen) == -1)
		return -1;
	return cb(q, arg);
}

int
rewrite_recipient(const struct rewriter *rw, const char *addr,
    int (*cb)(const char *, void *), void *arg, char *why, size_t whylen)
{
	struct expansion	 e = { NULL, 0 };
	char			 name[ADDRESS_MAX + 1], sub[ADDRESS_MAX + 1];
	size_t			 i;
	int			 rc = 0;

	if (!rewrite_is_local(rw, addr))
		return cb(addr, arg);
	local_part(addr, name, sizeof(name));
	if (rw->aliases == NULL)
		return final_local(rw, name, cb, arg, why, whylen);
	rc = aliases_expand(rw->aliases, name, collect, &e, why, whylen);
	if (rc == 0)
		return final_local(rw, name, cb, arg, why, whylen);
	for (i = 0; rc == 1 && i < e.n; i++) {
		if (rewrite_is_local(rw, e.addrs[i])) {
			local_part(e.addrs[i], sub, sizeof(sub));
			if (final_local(rw, sub, cb, arg, why, whylen) != 0)
				rc = -1;
		} else if (cb(e.addrs[i], arg) != 0)
			rc = -1;
	}
	for (i = 0; i < e.n; i++)
		free(e.addrs[i]);
	free(e.addrs);
	return rc == 1 ? 0 : -1;
}

struct splice {
	const struct rewriter	*rw;
	const struct header_field *f;
	const char		*sender;	/* NULL: To/Cc */
	int			 always;
	char			*out;
	size_t			 len, cap;
	size_t			 copied;	/* value bytes already out */
	int			 changed;
	char			*why;
	size_t			 whylen;
};

static void
put(struct splice *s, const char *p, size_t len)
{
	if (s->len + len + 1 > s->cap) {
		s->cap = (s->len + len + 1) * 2;
		s->out = xrealloc(s->out, s->cap);
	}
	memcpy(s->out + s->len, p, len);
	s->len += len;
	s->out[s->len] = '\0';
}

static int
splice_cb(const char *addr, const struct address_span *span, void *arg)
{
	struct splice		*s = arg;
	struct expansion	 e = { NULL, 0 };
	size_t			 i;
	int			 rc = 0;

	if (s->sender != NULL) {
		if (!s->always && !rewrite_is_local(s->rw, addr))
			return 0;
		put(s, s->f->value + s->copied, span->spec_start - s->copied);
		put(s, s->sender, strlen(s->sender));
		s->copied = span->spec_start + span->spec_len;
		s->changed = 1;
		return 0;
	}
	if (!rewrite_is_local(s->rw, addr))
		return 0;
	if (rewrite_recipient(s->rw, addr, collect, &e, s->why,
	    s->whylen) != 0) {
		rc = -1;
		goto out;
	}
	if (e.n == 1) {
		/* One address: only the addr-spec changes, the display
		 * name stays. */
		put(s, s->f->value + s->copied, span->spec_start - s->copied);
		put(s, e.addrs[0], strlen(e.addrs[0]));
		s->copied = span->spec_start + span->spec_len;
	} else {
		put(s, s->f->value + s->copied,
		    span->mailbox_start - s->copied);
		for (i = 0; i < e.n; i++) {
			if (i > 0)
				put(s, ", ", 2);
			put(s, e.addrs[i], strlen(e.addrs[i]));
		}
		s->copied = span->mailbox_start + span->mailbox_len;
	}
	s->changed = 1;
out:
	for (i = 0; i < e.n; i++)
		free(e.addrs[i]);
	free(e.addrs);
	return rc;
}

int
rewrite_field(const struct rewriter *rw, const struct header_field *f,
    const char *sender, char **out, size_t *outlen, char *why, size_t whylen)
{
	struct splice	s;
	char		reason[200];
	size_t		prefix;

	memset(&s, 0, sizeof(s));
	s.rw = rw;
	s.f = f;
	s.why = why;
	s.whylen = whylen;
	if (header_name_is(f, "From")) {
		if (rw->cf->rewrite_from_header == REWRITE_FROM_NEVER ||
		    sender == NULL || *sender == '\0')
			return 0;
		s.sender = sender;
		s.always = rw->cf->rewrite_from_header == REWRITE_FROM_ALWAYS;
	} else if (header_name_is(f, "To") || header_name_is(f, "Cc")) {
		if (!rw->cf->rewrite_to_header)
			return 0;
	} else
		return 0;
	/* Everything up to the value, as it was. */
	prefix = (size_t)(f->value - f->start);
	put(&s, f->start, prefix);
	if (address_list_parse_spans(f->value, f->valuelen, splice_cb, &s,
	    reason, sizeof(reason)) != 0) {
		free(s.out);
		/* A field we cannot parse or resolve is left as it is; its
		 * recipients were refused already if -t took them from it. */
		return 0;
	}
	if (!s.changed) {
		free(s.out);
		return 0;
	}
	put(&s, f->value + s.copied, f->len - prefix - s.copied);
	*out = s.out;
	*outlen = s.len;
	return 1;
}
