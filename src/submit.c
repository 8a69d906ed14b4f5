/*
 * submit - from stdin to a durable queue file; see submit.h.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pwd.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sysexits.h>
#include <time.h>
#include <unistd.h>

#include "address.h"
#include "envelope.h"
#include "header.h"
#include "log.h"
#include "rewrite.h"
#include "spool.h"
#include "submit.h"
#include "util.h"

#define IO_BUFSIZE	65536

struct reader {
	submit_fill_fn	 fill;
	void		*arg;
	char		 buf[IO_BUFSIZE];
	size_t		 start, end;
	int		 eof;
	int		 midline;	/* the last piece had no LF */
	unsigned long	 lineno;
};

struct writer {
	int		fd;
	char		buf[IO_BUFSIZE];
	size_t		len;
	uint64_t	total;		/* message bytes written */
	uint64_t	max;
};

struct rcpt_ctx {
	struct envelope	*env;
	const struct rewriter *rw;
	const char	*domain;
	char		*why;
	size_t		 whylen;
	int		 code;
};

/*
 * The next line, through its LF; a line longer than the buffer comes
 * back in buffer-sized pieces (the caller tracks that with the missing
 * LF).  0 at end of input, -1 on a read error.
 */
static ssize_t
reader_line(struct reader *r, const char **line)
{
	char	*nl;
	ssize_t	 n;
	size_t	 len;

	for (;;) {
		nl = memchr(r->buf + r->start, '\n', r->end - r->start);
		if (nl != NULL || (r->eof && r->end > r->start) ||
		    (r->start == 0 && r->end == sizeof(r->buf))) {
			*line = r->buf + r->start;
			len = nl ? (size_t)(nl + 1 - *line) : r->end - r->start;
			r->start += len;
			return (ssize_t)len;
		}
		if (r->eof)
			return 0;
		if (r->start > 0) {
			memmove(r->buf, r->buf + r->start, r->end - r->start);
			r->end -= r->start;
			r->start = 0;
		}
		n = r->fill(r->arg, r->buf + r->end, sizeof(r->buf) - r->end);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		if (n == 0)
			r->eof = 1;
		r->end += (size_t)n;
	}
}

static int
writer_flush(struct writer *w)
{
	if (w->len > 0 && write_all(w->fd, w->buf, w->len) == -1)
		return -1;
	w->len = 0;
	return 0;
}

/* Message bytes; the envelope head is written before, uncounted. */
static int
writer_put(struct writer *w, const void *p, size_t len)
{
	w->total += len;
	if (w->max && w->total > w->max) {
		errno = EFBIG;
		return -1;
	}
	if (w->len + len > sizeof(w->buf)) {
		if (writer_flush(w) == -1)
			return -1;
		if (len > sizeof(w->buf))
			return write_all(w->fd, p, len);
	}
	memcpy(w->buf + w->len, p, len);
	w->len += len;
	return 0;
}

static int
io_failure(char *why, size_t whylen, const char *what, int err)
{
	if (err == EFBIG) {
		snprintf(why, whylen, "message too large");
		return EX_DATAERR;
	}
	snprintf(why, whylen, "%s: %s", what, strerror(err));
	return EX_TEMPFAIL;
}

static ssize_t
fill_from_fd(void *arg, char *buf, size_t len)
{
	return read(*(int *)arg, buf, len);
}

ssize_t
submit_fill_memory(void *arg, char *buf, size_t len)
{
	struct submit_memory *m = arg;

	if (len > m->len - m->off)
		len = m->len - m->off;
	memcpy(buf, m->text + m->off, len);
	m->off += len;
	return (ssize_t)len;
}

static int
is_lone_dot(const char *line, size_t len)
{
	return (len == 2 && memcmp(line, ".\n", 2) == 0) ||
	    (len == 3 && memcmp(line, ".\r\n", 3) == 0) ||
	    (len == 1 && line[0] == '.');
}

static int
is_blank(const char *line, size_t len)
{
	return (len == 1 && line[0] == '\n') ||
	    (len == 2 && line[0] == '\r' && line[1] == '\n');
}

/* A final, qualified recipient: into the envelope once. */
/*
 * The next line of the message for either loop of submit_message_from:
 * 1 with it in *line (*continued when it is the rest of a line longer
 * than the buffer), 0 at the end of the message (end of input, or the
 * lone dot without -i), or -1 with *code and why.
 */
static int
message_line(struct reader *r, int ignore_dots, const char **line,
    size_t *len, int *continued, int *code, char *why, size_t whylen)
{
	ssize_t	n;

	n = reader_line(r, line);
	if (n < 0) {
		*code = io_failure(why, whylen, "cannot read input", errno);
		return -1;
	}
	if (n == 0)
		return 0;
	*len = (size_t)n;
	*continued = r->midline;
	r->midline = (*line)[n - 1] != '\n';
	if (!*continued)
		r->lineno++;
	if (memchr(*line, '\0', *len) != NULL) {
		snprintf(why, whylen, "message contains a NUL byte (line %lu)",
		    r->lineno);
		*code = EX_DATAERR;
		return -1;
	}
	if (!*continued && !ignore_dots && is_lone_dot(*line, *len))
		return 0;
	return 1;
}

static int
add_final_cb(const char *addr, void *arg)
{
	struct rcpt_ctx	*c = arg;

	if (envelope_has_rcpt(c->env, addr))
		return 0;
	/* RFC 5322 lets a quoted local part hold a TAB, RFC 5321 does not,
	 * nor does the queue file: the runner would quarantine it. */
	if (!envelope_value_ok(addr)) {
		char esc[300];

		escape_text(esc, sizeof(esc), addr, strlen(addr));
		snprintf(c->why, c->whylen, "recipient \"%s\": control "
		    "character in address", esc);
		c->code = EX_DATAERR;
		return -1;
	}
	if (envelope_add_rcpt(c->env, addr) == -1) {
		snprintf(c->why, c->whylen, "too many recipients (limit %d)",
		    ENVELOPE_RCPT_MAX);
		c->code = EX_DATAERR;
		return -1;
	}
	return 0;
}

static int
add_rcpt_cb(const char *addr, void *arg)
{
	struct rcpt_ctx	*c = arg;
	char		 reason[300], esc[300];

	if (address_check(addr, reason, sizeof(reason)) == -1) {
		escape_text(esc, sizeof(esc), addr, strlen(addr));
		snprintf(c->why, c->whylen, "bad recipient address \"%s\": %s",
		    esc, reason);
		c->code = EX_DATAERR;
		return -1;
	}
	reason[0] = '\0';
	if (rewrite_recipient(c->rw, addr, add_final_cb, c, reason,
	    sizeof(reason)) != 0) {
		if (c->code == 0) {
			escape_text(esc, sizeof(esc), addr, strlen(addr));
			snprintf(c->why, c->whylen, "recipient \"%s\": %s", esc,
			    reason);
			c->code = EX_DATAERR;
		}
		return -1;
	}
	return 0;
}

/* what: "To header" and the like, or NULL for a command-line argument,
 * which must be one line: no control bytes, no folding. */
static int
add_rcpt_list(struct rcpt_ctx *c, const char *what, const char *value,
    size_t len)
{
	char	reason[200], esc[300];
	size_t	i;

	if (what == NULL)
		for (i = 0; i < len; i++)
			if ((unsigned char)value[i] < 0x20 ||
			    value[i] == 0x7f) {
				snprintf(reason, sizeof(reason), "control "
				    "character in address");
				goto bad;
			}
	if (address_list_parse(value, len, add_rcpt_cb, c, reason,
	    sizeof(reason)) == 0)
		return 0;
	if (c->code != 0)
		return -1;	/* the callback said why */
bad:
	if (what == NULL) {
		escape_text(esc, sizeof(esc), value, len);
		snprintf(c->why, c->whylen, "bad recipient address \"%s\": %s",
		    esc, reason);
	} else
		snprintf(c->why, c->whylen, "cannot parse %s: %s", what,
		    reason);
	c->code = EX_DATAERR;
	return -1;
}

static int
make_sender(struct config *cf, const struct submission *s,
    const struct passwd *pw, char *out, size_t outlen, char *why,
    size_t whylen)
{
	const char	*domain = conf_domain(cf);
	char		 addr[ADDRESS_MAX + 1], reason[200], esc[300];
	size_t		 len;

	if (cf->from != NULL) {
		/* Relays that accept only the authenticated address: the
		 * configured sender wins over -f. */
		if (fmt(out, outlen, "%s", cf->from) == -1) {
			snprintf(why, whylen, "sender address too long");
			return -1;
		}
		return 0;
	}
	if (s->sender == NULL) {
		if (fmt(out, outlen, "%s@%s", pw ? pw->pw_name : "nobody",
		    domain) == -1) {
			snprintf(why, whylen, "sender address too long");
			return -1;
		}
		return 0;
	}
	len = strlen(s->sender);
	if (len >= 2 && s->sender[0] == '<' && s->sender[len - 1] == '>') {
		len -= 2;
		if (len > ADDRESS_MAX)
			len = ADDRESS_MAX + 1;	/* fails the check below */
		snprintf(addr, sizeof(addr), "%.*s", (int)len, s->sender + 1);
	} else if (fmt(addr, sizeof(addr), "%s", s->sender) == -1)
		snprintf(addr, sizeof(addr), "%.*s", ADDRESS_MAX, s->sender);
	if (addr[0] == '\0') {
		out[0] = '\0';		/* null sender, as for bounces */
		return 0;
	}
	reason[0] = '\0';
	if (strlen(s->sender) > ADDRESS_MAX + 2)
		snprintf(reason, sizeof(reason), "longer than %d bytes",
		    ADDRESS_MAX);
	else if (!envelope_value_ok(addr))
		/* A TAB quoted in the local part passes address_check but
		 * not RFC 5321 or the queue file (see add_final_cb). */
		snprintf(reason, sizeof(reason), "control character in "
		    "address");
	if (reason[0] != '\0' ||
	    address_check(addr, reason, sizeof(reason)) == -1 ||
	    address_qualify(addr, domain, out, outlen, reason,
	    sizeof(reason)) == -1) {
		escape_text(esc, sizeof(esc), s->sender, strlen(s->sender));
		snprintf(why, whylen, "bad sender address \"%s\": %s", esc,
		    reason);
		return -1;
	}
	return 0;
}

/* A display name as a quoted string, or an encoded word when it is not
 * ASCII (RFC 2047). */
static void
format_display_name(const char *name, char *out, size_t outlen)
{
	char		 b64[400];
	const char	*p;
	size_t		 o = 0;
	int		 ascii = 1;

	for (p = name; *p; p++)
		if ((unsigned char)*p >= 0x80 || (unsigned char)*p < 0x20)
			ascii = 0;
	if (!ascii) {
		if (strlen(name) > 200 ||
		    base64_encode(name, strlen(name), b64, sizeof(b64)) == -1)
			b64[0] = '\0';
		snprintf(out, outlen, "=?UTF-8?B?%s?=", b64);
		return;
	}
	if (outlen < 3) {
		out[0] = '\0';
		return;
	}
	out[o++] = '"';
	for (p = name; *p && o + 3 < outlen; p++) {
		if (*p == '"' || *p == '\\')
			out[o++] = '\\';
		out[o++] = *p;
	}
	out[o++] = '"';
	out[o] = '\0';
}

static int
write_added_headers(struct writer *w, struct config *cf,
    const struct submission *s, const struct passwd *pw, const char *id,
    const char *sender, int has_date, int has_msgid, int has_from)
{
	char		 line[1200], name[600], gecos[256];
	struct tm	 tm;
	time_t		 now;
	int		 n;

	if (!has_date) {
		now = time(NULL);
		localtime_r(&now, &tm);
		n = (int)strftime(line, sizeof(line),
		    "Date: %a, %d %b %Y %H:%M:%S %z\n", &tm);
		if (n == 0 || writer_put(w, line, (size_t)n) == -1)
			return -1;
	}
	if (!has_msgid) {
		n = snprintf(line, sizeof(line), "Message-ID: <%s@%s>\n", id,
		    conf_domain(cf));
		if (n < 0 || (size_t)n >= sizeof(line) ||
		    writer_put(w, line, (size_t)n) == -1)
			return -1;
	}
	if (!has_from) {
		const char *full = s->fullname;
		char user[ADDRESS_MAX + 1];

		if (full == NULL && pw && pw->pw_gecos) {
			snprintf(gecos, sizeof(gecos), "%s", pw->pw_gecos);
			gecos[strcspn(gecos, ",")] = '\0';
			full = gecos;
		}
		if (sender[0] == '\0') {
			snprintf(user, sizeof(user), "%s@%s",
			    pw ? pw->pw_name : "nobody", conf_domain(cf));
			sender = user;
		}
		if (full && *full) {
			format_display_name(full, name, sizeof(name));
			n = snprintf(line, sizeof(line), "From: %s <%s>\n",
			    name, sender);
		} else
			n = snprintf(line, sizeof(line), "From: %s\n", sender);
		if (n < 0 || (size_t)n >= sizeof(line) ||
		    writer_put(w, line, (size_t)n) == -1)
			return -1;
	}
	return 0;
}

int
submit_message(struct config *cf, const struct submission *s, int fd,
    char *idout, char *why, size_t whylen)
{
	return submit_message_from(cf, s, fill_from_fd, &fd, idout, why,
	    whylen);
}

int
submit_message_from(struct config *cf, const struct submission *s,
    submit_fill_fn fill, void *arg, char *idout, char *why, size_t whylen)
{
	struct reader	*r;
	struct writer	*w;
	struct envelope	 env;
	struct intake	 in;
	struct rcpt_ctx	 rc;
	struct passwd	*pw;
	struct header_field f;
	const char	*line, *pending = NULL;
	char		*hdr = NULL, *head, sender[ADDRESS_MAX + 1];
	char		 from_addr[ADDRESS_MAX + 300];
	struct rewriter	 rwr;
	char		 trailer[ENVELOPE_TRAILER_LEN + 1];
	size_t		 hdrlen = 0, hdrcap = 0, pendlen = 0, pos, headlen;
	size_t		 len;
	int		 was_mid, blank = 0, done = 0, code, rc_line;
	int		 has_date = 0, has_msgid = 0, has_from = 0, i;
	int		 resent = 0;
	size_t		 resent_start, resent_end, nseen;
	struct header_field seen[16];

	memset(&env, 0, sizeof(env));
	in.fd = in.dirfd = -1;
	/* Not calloc: zeroing the two 64 KB buffers would touch every page
	 * of them for every message, however short. */
	r = xmalloc(sizeof(*r));
	w = xmalloc(sizeof(*w));
	r->fill = fill;
	r->arg = arg;
	r->start = r->end = 0;
	r->eof = r->midline = 0;
	r->lineno = 0;
	w->fd = -1;
	w->len = 0;
	w->total = w->max = 0;
	pw = getpwuid(getuid());
	if (rewrite_open(&rwr, cf, !s->no_aliases, why, whylen) == -1) {
		code = EX_CONFIG;
		goto out_early;
	}
	rc.env = &env;
	rc.rw = &rwr;
	rc.domain = conf_domain(cf);
	rc.why = why;
	rc.whylen = whylen;
	rc.code = 0;

	if (make_sender(cf, s, pw, sender, sizeof(sender), why, whylen)) {
		code = EX_DATAERR;
		goto out;
	}
	/* What a local From: becomes: the sender, or for a null sender the
	 * caller's own address. */
	if (sender[0] != '\0')
		snprintf(from_addr, sizeof(from_addr), "%s", sender);
	else
		snprintf(from_addr, sizeof(from_addr), "%s@%s",
		    pw ? pw->pw_name : "nobody", conf_domain(cf));
	for (i = 0; i < s->nrcpts; i++)
		if (add_rcpt_list(&rc, NULL, s->rcpts[i],
		    strlen(s->rcpts[i])) == -1) {
			code = rc.code;
			goto out;
		}

	/* The header section is read whole: -t and header completion need
	 * all of it before the first byte is stored. */
	for (;;) {
		rc_line = message_line(r, s->ignore_dots, &line, &len, &was_mid,
		    &code, why, whylen);
		if (rc_line == -1)
			goto out;
		if (rc_line == 0) {
			done = 1;
			break;
		}
		if (!was_mid) {
			if (is_blank(line, len)) {
				blank = 1;
				pending = line;
				pendlen = len;
				break;
			}
			if (!header_is_field_start(line, len) &&
			    !(hdrlen > 0 && header_is_continuation(line,
			    len))) {
				/* No empty line: the body starts here. */
				pending = line;
				pendlen = len;
				break;
			}
		}
		if (hdrlen + len > SUBMIT_HEADER_MAX) {
			snprintf(why, whylen, "header section longer than "
			    "%d bytes", SUBMIT_HEADER_MAX);
			code = EX_DATAERR;
			goto out;
		}
		if (hdrlen + len + 1 > hdrcap) {
			hdrcap = hdrcap ? hdrcap * 2 : 8192;
			while (hdrcap < hdrlen + len + 1)
				hdrcap *= 2;
			hdr = xrealloc(hdr, hdrcap);
		}
		memcpy(hdr + hdrlen, line, len);
		hdrlen += len;
	}
	/* A header whose last line has no LF still needs one before ours. */
	if (hdrlen > 0 && hdr[hdrlen - 1] != '\n') {
		if (hdrlen + 2 > hdrcap)
			hdr = xrealloc(hdr, hdrcap = hdrlen + 2);
		hdr[hdrlen++] = '\n';
	}

	/* A resent message (RFC 5322 3.6.6) goes to the recipients of its
	 * latest Resent- block: the first run of Resent- fields, ended by a
	 * field that is not Resent- or by one the block already has. */
	resent_start = resent_end = 0;
	for (pos = 0, nseen = 0; header_next(hdr, hdrlen, &pos, &f);) {
		int	is_resent = f.namelen > 7 &&
		    strncasecmp(f.name, "Resent-", 7) == 0;
		size_t	k;

		if (resent && !is_resent)
			break;
		if (!is_resent)
			continue;
		for (k = 0; k < nseen; k++)
			if (seen[k].namelen == f.namelen &&
			    strncasecmp(seen[k].name, f.name, f.namelen) == 0)
				break;
		if (k < nseen)
			break;
		if (!resent) {
			resent = 1;
			resent_start = (size_t)(f.start - hdr);
		}
		if (nseen < ARRAY_LEN(seen))
			seen[nseen++] = f;
		resent_end = (size_t)(f.start - hdr) + f.len;
	}
	/* A block with no Resent- recipient field gives -t nothing to go
	 * by: then the ordinary fields count. */
	if (resent) {
		int has_rcpt = 0;

		for (pos = resent_start; pos < resent_end &&
		    header_next(hdr, resent_end, &pos, &f);)
			if (header_name_is(&f, "Resent-To") ||
			    header_name_is(&f, "Resent-Cc") ||
			    header_name_is(&f, "Resent-Bcc"))
				has_rcpt = 1;
		resent = has_rcpt;
	}
	for (pos = 0; header_next(hdr, hdrlen, &pos, &f);) {
		if (header_name_is(&f, "Date"))
			has_date = 1;
		else if (header_name_is(&f, "Message-ID"))
			has_msgid = 1;
		else if (header_name_is(&f, "From"))
			has_from = 1;
		else if (s->extract && (resent ? ((size_t)(f.start - hdr) >=
		    resent_start && (size_t)(f.start - hdr) < resent_end &&
		    (header_name_is(&f, "Resent-To") ||
		    header_name_is(&f, "Resent-Cc") ||
		    header_name_is(&f, "Resent-Bcc"))) :
		    (header_name_is(&f, "To") || header_name_is(&f, "Cc") ||
		    header_name_is(&f, "Bcc")))) {
			char what[64];

			snprintf(what, sizeof(what), "%.*s header",
			    (int)f.namelen, f.name);
			if (add_rcpt_list(&rc, what, f.value, f.valuelen)) {
				code = rc.code;
				goto out;
			}
		}
	}
	env.body = s->body ? xstrdup(s->body) : NULL;
	env.notify = s->notify ? xstrdup(s->notify) : NULL;
	env.ret = s->ret ? xstrdup(s->ret) : NULL;
	env.envid = s->envid ? xstrdup(s->envid) : NULL;
	{
		const char *which;

		if (!envelope_dsn_ok(&env, &which)) {
			snprintf(why, whylen, "bad %s", which);
			code = EX_USAGE;
			goto out;
		}
	}
	if (env.nrcpts == 0) {
		snprintf(why, whylen, s->extract ? "no recipients: none given "
		    "and no To, Cc or Bcc header" : "no recipients given");
		code = EX_USAGE;
		goto out;
	}

	if (intake_create(&in, cf->queue_dir, why, whylen) == -1) {
		code = (errno == EACCES || errno == ENOENT || errno == EPERM) ?
		    EX_CANTCREAT : EX_TEMPFAIL;
		goto out;
	}
	if (s->wait && intake_wait_mark(&in) == -1) {
		code = io_failure(why, whylen, "cannot ask for a delivery "
		    "report", errno);
		goto out;
	}
	memcpy(env.id, in.id, sizeof(env.id));
	env.uid = getuid();
	env.arrival = (int64_t)time(NULL);
	env.sender = xstrdup(sender);
	head = envelope_format(&env, &headlen);
	w->fd = in.fd;
	if (write_all(in.fd, head, headlen) == -1) {
		free(head);
		code = io_failure(why, whylen, "cannot write queue file",
		    errno);
		goto out;
	}
	free(head);
	w->max = cf->max_message_size;

	/* Header: the caller's fields byte for byte, less Bcc, except
	 * local addresses in From, To and Cc (rewrite.h). */
	for (pos = 0; header_next(hdr, hdrlen, &pos, &f);) {
		char	*field;
		size_t	 fieldlen;
		int	 rw_rc;

		if (header_name_is(&f, "Bcc") ||
		    header_name_is(&f, "Resent-Bcc"))
			continue;
		rw_rc = rewrite_field(&rwr, &f, from_addr, &field, &fieldlen,
		    why, whylen);
		if (rw_rc == 1) {
			rw_rc = writer_put(w, field, fieldlen);
			free(field);
		} else
			rw_rc = writer_put(w, f.start, f.len);
		if (rw_rc == -1)
			goto write_error;
	}
	if (write_added_headers(w, cf, s, pw, in.id, sender, has_date,
	    has_msgid, has_from) == -1)
		goto write_error;
	if (!blank && writer_put(w, "\n", 1) == -1)
		goto write_error;
	if (pending && writer_put(w, pending, pendlen) == -1)
		goto write_error;

	while (!done) {
		rc_line = message_line(r, s->ignore_dots, &line, &len, &was_mid,
		    &code, why, whylen);
		if (rc_line == -1)
			goto out;
		if (rc_line == 0)
			break;
		if (writer_put(w, line, len) == -1)
			goto write_error;
	}
	envelope_trailer(w->total, trailer);
	w->max = 0;
	if (writer_put(w, trailer, ENVELOPE_TRAILER_LEN) == -1 ||
	    writer_flush(w) == -1)
		goto write_error;
	if (intake_commit(&in, why, whylen) == -1) {
		code = EX_TEMPFAIL;
		goto out;
	}
	snprintf(idout, QUEUE_ID_LEN + 1, "%s", env.id);
	{
		char esc[ENVELOPE_VALUE_MAX * 4 + 1];

		escape_text(esc, sizeof(esc), env.sender, strlen(env.sender));
		log_info("%s: uid=%u from=<%s> size=%" PRIu64 " nrcpt=%zu "
		    "(queued)", env.id, (unsigned)env.uid, esc,
		    w->total - ENVELOPE_TRAILER_LEN,
		    env.nrcpts);
	}
	code = EX_OK;
	goto out;

write_error:
	code = io_failure(why, whylen, "cannot write queue file", errno);
out:
	rewrite_close(&rwr);
out_early:
	if (code != EX_OK && in.fd != -1)
		intake_abort(&in);
	envelope_free(&env);
	free(hdr);
	free(r);
	free(w);
	return code;
}

int
submit_verify(struct config *cf, const struct submission *s, FILE *out)
{
	struct envelope	 env;
	struct rewriter	 rwr;
	struct rcpt_ctx	 rc;
	char		 why[1024], esc[300];
	size_t		 j;
	int		 i, code = EX_OK;

	if (rewrite_open(&rwr, cf, !s->no_aliases, why, sizeof(why)) == -1) {
		fprintf(out, "%s\n", why);
		return EX_CONFIG;
	}
	for (i = 0; i < s->nrcpts; i++) {
		memset(&env, 0, sizeof(env));
		rc.env = &env;
		rc.rw = &rwr;
		rc.domain = conf_domain(cf);
		rc.why = why;
		rc.whylen = sizeof(why);
		rc.code = 0;
		escape_text(esc, sizeof(esc), s->rcpts[i], strlen(s->rcpts[i]));
		if (add_rcpt_list(&rc, NULL, s->rcpts[i],
		    strlen(s->rcpts[i])) == -1) {
			fprintf(out, "%s... undeliverable: %s\n", esc, why);
			code = EX_DATAERR;
		}
		for (j = 0; j < env.nrcpts; j++)
			fprintf(out, "%s... deliverable: relayed to <%s>\n", esc,
			    env.rcpts[j]);
		envelope_free(&env);
	}
	rewrite_close(&rwr);
	return code;
}

void
submit_start_runner(const char *spooldir, const char *runner,
    const char *config_override)
{
	posix_spawn_file_actions_t	 fa;
	posix_spawnattr_t		 attr;
	sigset_t			 none, all;
	char				 envbuf[4200];
	char				*argv[] = { "relayq-runner", NULL };
	char				*envp[2] = { NULL, NULL };
	pid_t				 pid;

	if (runner_active(spooldir))
		return;
	if (config_override) {
		if (fmt(envbuf, sizeof(envbuf), "RELAYQ_CONFIG=%s",
		    config_override) == -1)
			return;
		envp[0] = envbuf;
	}
	sigemptyset(&none);
	sigfillset(&all);
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
	posix_spawn_file_actions_adddup2(&fa, 1, 2);
#ifdef HAVE_POSIX_SPAWN_FILE_ACTIONS_ADDCLOSEFROM_NP
	/* The caller may hold pipes open to read our output to the end:
	 * the runner must keep none of them. */
	posix_spawn_file_actions_addclosefrom_np(&fa, 3);
#endif
	posix_spawnattr_init(&attr);
	posix_spawnattr_setsigmask(&attr, &none);
	posix_spawnattr_setsigdefault(&attr, &all);
	posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSID |
	    POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
	/* A failure here only delays delivery to the next runner start. */
	(void)posix_spawn(&pid, runner, &fa, &attr, argv, envp);
	posix_spawn_file_actions_destroy(&fa);
	posix_spawnattr_destroy(&attr);
}
