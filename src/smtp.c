/*
 * smtp - SMTP client for the smart host; see smtp.h.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "auth.h"
#include "log.h"
#include "reply.h"
#include "smtp.h"
#include "tls.h"
#include "util.h"

_Static_assert(CONF_PIN_LEN == TLS_PIN_LEN, "pin sizes differ");

/* Commands in flight before we stop to read replies, so neither side's
 * socket buffer can fill up and deadlock us (RFC 2920 section 3.1). */
#define PIPELINE_WINDOW	100

static int
session_fail(struct smtp_session *ss, char *why, size_t whylen)
{
	/* After a timeout or a malformed reply nothing the relay says can
	 * be matched to a command: smtp_close must not wait for a QUIT
	 * reply, which would double the time a hostile relay holds us. */
	ss->broken = 1;
	snprintf(why, whylen, "%s", ss->c.err);
	return -1;
}

static int
vsend_line(struct smtp_session *ss, const char *f, va_list ap)
{
	char	line[1100];
	int	n;

	n = vsnprintf(line, sizeof(line) - 2, f, ap);
	if (n < 0 || (size_t)n >= sizeof(line) - 2) {
		snprintf(ss->c.err, sizeof(ss->c.err), "command too long");
		return -1;
	}
	line[n++] = '\r';
	line[n++] = '\n';
	n = conn_write(&ss->c, line, (size_t)n);
	wipe(line, sizeof(line));
	return n;
}

static int __attribute__((format(printf, 2, 3)))
send_line(struct smtp_session *ss, const char *f, ...)
{
	va_list	ap;
	int	rc;

	va_start(ap, f);
	rc = vsend_line(ss, f, ap);
	va_end(ap);
	return rc;
}

static int
read_reply(struct smtp_session *ss, struct reply *r)
{
	char	line[REPLY_LINE_MAX + 2], why[128];
	size_t	len;
	int64_t	deadline = now_ms() + ss->c.timeout_ms;
	int	rc;

	/* One deadline for the whole reply, not one per line: up to
	 * REPLY_LINES_MAX lines each just in time would hold us that many
	 * timeouts. */
	reply_init(r);
	for (;;) {
		if (conn_getline(&ss->c, line, sizeof(line), &len,
		    deadline) == -1)
			return -1;
		rc = reply_feed_line(r, line, len, why, sizeof(why));
		if (rc == -1) {
			snprintf(ss->c.err, sizeof(ss->c.err), "relay %s: %s",
			    ss->c.peer, why);
			return -1;
		}
		if (rc == 1)
			return 0;
	}
}

static int __attribute__((format(printf, 3, 4)))
command(struct smtp_session *ss, struct reply *r, const char *f, ...)
{
	va_list	ap;
	int	rc;

	va_start(ap, f);
	rc = vsend_line(ss, f, ap);
	va_end(ap);
	if (rc == -1 || conn_flush(&ss->c) == -1)
		return -1;
	return read_reply(ss, r);
}

static void
parse_caps(struct smtp_caps *caps, const char *text)
{
	const char	*line, *next;
	char		 kw[512], *sp;
	size_t		 len;

	memset(caps, 0, sizeof(*caps));
	/* The first line is the relay's name and greeting. */
	line = strchr(text, '\n');
	for (line = line ? line + 1 : NULL; line && *line; line = next) {
		next = strchr(line, '\n');
		len = next ? (size_t)(next - line) : strlen(line);
		if (next)
			next++;
		if (len >= sizeof(kw))
			len = sizeof(kw) - 1;
		memcpy(kw, line, len);
		kw[len] = '\0';
		sp = strchr(kw, ' ');
		if (strcasecmp(kw, "STARTTLS") == 0)
			caps->starttls = 1;
		else if (strcasecmp(kw, "PIPELINING") == 0)
			caps->pipelining = 1;
		else if (strcasecmp(kw, "8BITMIME") == 0)
			caps->eightbitmime = 1;
		else if (strcasecmp(kw, "SMTPUTF8") == 0)
			caps->smtputf8 = 1;
		else if (strcasecmp(kw, "DSN") == 0)
			caps->dsn = 1;
		else if (strncasecmp(kw, "SIZE", 4) == 0 &&
		    (kw[4] == '\0' || kw[4] == ' ')) {
			caps->size = 1;
			caps->size_max = sp ? strtoull(sp + 1, NULL, 10) : 0;
		} else if (strncasecmp(kw, "AUTH", 4) == 0 &&
		    (kw[4] == ' ' || kw[4] == '=')) {
			size_t used = strlen(caps->auth_list);

			/* "AUTH=" is the pre-RFC form some relays repeat. */
			caps->auth = 1;
			snprintf(caps->auth_list + used,
			    sizeof(caps->auth_list) - used, "%s%s",
			    used ? " " : "", kw + 5);
		}
	}
}

static int
greet(struct smtp_session *ss, const char *helo, char *why, size_t whylen)
{
	struct reply	r;
	char		sum[300];

	if (command(ss, &r, "EHLO %s", helo) == -1)
		return session_fail(ss, why, whylen);
	if (r.code == 250) {
		parse_caps(&ss->caps, r.text);
		return 0;
	}
	reply_summary(&r, sum, sizeof(sum));
	/* Without EHLO there is no STARTTLS and no AUTH: HELO only serves
	 * a relay that needs neither. */
	if (ss->sh->tls == TLS_MODE_STARTTLS || ss->sh->user != NULL) {
		snprintf(why, whylen, "relay %s refused EHLO: %s", ss->c.peer,
		    sum);
		return -1;
	}
	if (command(ss, &r, "HELO %s", helo) == -1)
		return session_fail(ss, why, whylen);
	if (r.code != 250) {
		reply_summary(&r, sum, sizeof(sum));
		snprintf(why, whylen, "relay %s refused HELO: %s", ss->c.peer,
		    sum);
		return -1;
	}
	memset(&ss->caps, 0, sizeof(ss->caps));
	return 0;
}

/* A SASL response line: base64 can be longer than a command may be. */
static int
send_b64(struct smtp_session *ss, const char *b64)
{
	if (conn_write(&ss->c, b64, strlen(b64)) == -1 ||
	    conn_write(&ss->c, "\r\n", 2) == -1 || conn_flush(&ss->c) == -1)
		return -1;
	return 0;
}

static void
forget_b64(char **b64)
{
	if (*b64 != NULL) {
		wipe(*b64, strlen(*b64));
		free(*b64);
	}
	*b64 = NULL;
}

/* RFC 4954 4: an initial response on the AUTH line while the line stays
 * within SMTP's 512 octets; otherwise after the relay's empty 334. */
#define AUTH_LINE_MAX	500
/* Challenges one exchange may take: SCRAM needs two. */
#define AUTH_ROUNDS_MAX	8

static int
authenticate(struct smtp_session *ss, const char *secret, char *why,
    size_t whylen)
{
	const struct smarthost	*sh = ss->sh;
	struct auth_client	*ac = NULL;
	struct auth_cb		 cb = { NULL, NULL, 0 };
	struct reply		 r;
	unsigned char		 cbdata[64];
	char			 sub[400], sum[300], *ir = NULL, *resp = NULL;
	const char		*name;
	int			 n, rounds, rc = -1;

	if (!ss->caps.auth) {
		snprintf(why, whylen, "relay %s does not offer AUTH, but a "
		    "user is configured", ss->c.peer);
		return -1;
	}
	if (ss->c.tls != NULL && (n = tls_channel_binding(ss->c.tls, &cb.type,
	    cbdata, sizeof(cbdata), sub, sizeof(sub))) > 0) {
		cb.data = cbdata;
		cb.len = (size_t)n;
	}
	if (auth_choose(sh->auth, ss->caps.auth_list, ss->tls_active,
	    cb.len > 0, &ss->mech, sub, sizeof(sub)) == -1) {
		snprintf(why, whylen, "relay %s %s", ss->c.peer, sub);
		return -1;
	}
	name = auth_mech_name(ss->mech);
	if (ss->mech == AUTH_SCRAM_SHA_256_PLUS)
		snprintf(ss->cbtype, sizeof(ss->cbtype), "%s", cb.type);
	if ((ac = auth_client_new(ss->mech, sh->user, secret, sh->host,
	    sh->port, &cb, sub, sizeof(sub))) == NULL ||
	    auth_client_first(ac, &ir, sub, sizeof(sub)) == -1) {
		snprintf(why, whylen, "AUTH %s for %s: %s", name, sh->user,
		    sub);
		goto out;
	}
	if (ir != NULL && strlen(ir) + strlen(name) + 6 <= AUTH_LINE_MAX) {
		n = send_line(ss, "AUTH %s %s", name, ir[0] ? ir : "=");
		forget_b64(&ir);
	} else
		n = send_line(ss, "AUTH %s", name);
	if (n == -1 || conn_flush(&ss->c) == -1 || read_reply(ss, &r) == -1)
		goto io;
	for (rounds = 0; r.code == 334; rounds++) {
		if (rounds == AUTH_ROUNDS_MAX) {
			snprintf(why, whylen, "relay %s: AUTH %s goes on for "
			    "more than %d rounds", ss->c.peer, name, rounds);
			goto out;
		}
		if (ir != NULL) {
			/* The relay's empty challenge: now the response. */
			n = send_b64(ss, ir);
			forget_b64(&ir);
		} else if (auth_client_next(ac, r.text, r.textlen, &resp, sub,
		    sizeof(sub)) == 0) {
			n = send_b64(ss, resp);
			forget_b64(&resp);
		} else {
			/* RFC 4954 4: "*" cancels; the relay answers 501. */
			if (send_b64(ss, "*") == -1 || read_reply(ss, &r) == -1)
				goto io;
			/* The relay failed our check: it did not refuse
			 * us, so this is no refusal, whatever it answers. */
			snprintf(why, whylen, "relay %s: AUTH %s for %s: %s",
			    ss->c.peer, name, sh->user, sub);
			goto out;
		}
		if (n == -1 || read_reply(ss, &r) == -1)
			goto io;
	}
	reply_summary(&r, sum, sizeof(sum));
	if (r.code == 235 && !auth_client_done(ac)) {
		snprintf(why, whylen, "relay %s accepted AUTH %s before the "
		    "exchange ended (it never proved it knows the password): "
		    "%s", ss->c.peer, name, sum);
		goto out;
	}
	if (r.code == 235) {
		rc = 0;
		goto out;
	}
	if (auth_client_server_error(ac)[0])
		snprintf(sub, sizeof(sub), "; the relay says %s",
		    auth_client_server_error(ac));
	else
		sub[0] = '\0';
	snprintf(ss->auth_reply, sizeof(ss->auth_reply), "%s (AUTH %s%s)", sum,
	    name, sub);
	if (r.code / 100 == 5) {
		ss->auth_refused = 1;
		snprintf(why, whylen, "relay %s refused the credentials of %s: "
		    "%s", ss->c.peer, sh->user, ss->auth_reply);
	} else
		snprintf(why, whylen, "relay %s could not check the "
		    "credentials of %s now: %s", ss->c.peer, sh->user,
		    ss->auth_reply);
	goto out;
io:
	session_fail(ss, why, whylen);
out:
	forget_b64(&ir);
	forget_b64(&resp);
	auth_client_free(ac);
	wipe(cbdata, sizeof(cbdata));
	wipe(ss->c.wbuf, sizeof(ss->c.wbuf));
	return rc;
}

/* The TLS policy of sh for tls_new; a client key is read into *key. */
static int
tls_params_of(const struct smarthost *sh, struct tls_params *p, char **key,
    char *why, size_t whylen)
{
	memset(p, 0, sizeof(*p));
	*key = NULL;
	p->host = sh->host;
	p->trust_file = sh->tls_trust_file;
	p->verify = sh->tls_verify;
	p->pins = (const unsigned char (*)[TLS_PIN_LEN])sh->tls_pins;
	p->npins = sh->ntls_pins;
	p->priorities = sh->tls_priorities;
	if (sh->tls_cert_file != NULL && sh->tls != TLS_MODE_NONE) {
		/* Read as the runner, checked like a password file. */
		if (conf_read_tls_key(sh, getegid(), key, &p->key_len, why,
		    whylen) == -1)
			return -1;
		p->cert_file = sh->tls_cert_file;
		p->key_pem = *key;
	}
	return 0;
}

static void
forget_key(struct tls_params *p, char **key)
{
	if (*key != NULL) {
		wipe(*key, p->key_len);
		free(*key);
	}
	*key = NULL;
	p->key_pem = NULL;
	p->key_len = 0;
}

int
smtp_open(struct smtp_session *ss, const struct smarthost *sh,
    const char *helo, const char *secret, char *why, size_t whylen)
{
	struct tls_params	 tp;
	struct reply		 r;
	char			 sum[300], *key = NULL;

	memset(ss, 0, sizeof(*ss));
	ss->sh = sh;
	/* A client key that cannot be used stops us before any I/O. */
	if (tls_params_of(sh, &tp, &key, why, whylen) == -1)
		return -1;
	if (conn_connect(&ss->c, sh->host, sh->port, sh->timeout) == -1) {
		forget_key(&tp, &key);
		return session_fail(ss, why, whylen);
	}
	if (sh->tls == TLS_MODE_IMPLICIT) {
		if (conn_starttls(&ss->c, &tp) == -1)
			goto fail;
		forget_key(&tp, &key);
		ss->tls_active = 1;
	}
	if (read_reply(ss, &r) == -1)
		goto fail;
	if (r.code != 220) {
		reply_summary(&r, sum, sizeof(sum));
		snprintf(why, whylen, "relay %s greeted with %s", ss->c.peer,
		    sum);
		goto fail_why;
	}
	if (greet(ss, helo, why, whylen) == -1)
		goto fail_why;
	if (sh->tls == TLS_MODE_STARTTLS) {
		if (!ss->caps.starttls) {
			snprintf(why, whylen, "relay %s does not offer STARTTLS; "
			    "nothing is sent in clear (tls = starttls)",
			    ss->c.peer);
			goto fail_why;
		}
		if (command(ss, &r, "STARTTLS") == -1)
			goto fail;
		if (r.code != 220) {
			reply_summary(&r, sum, sizeof(sum));
			snprintf(why, whylen, "relay %s refused STARTTLS: %s",
			    ss->c.peer, sum);
			goto fail_why;
		}
		if (conn_starttls(&ss->c, &tp) == -1)
			goto fail;
		forget_key(&tp, &key);
		ss->tls_active = 1;
		/* RFC 3207 4.2: forget everything learnt before TLS. */
		if (greet(ss, helo, why, whylen) == -1)
			goto fail_why;
	}
	if (ss->tls_active) {
		conn_describe_tls(&ss->c, ss->tlsdesc, sizeof(ss->tlsdesc));
		if (!sh->tls_verify)
			log_warn("relay %s%s: tls_verify = false: %s",
			    ss->c.peer, conf_tls_warning(sh), sh->ntls_pins ?
			    "only the tls_fingerprint pin vouches for it" :
			    "encrypted, but anyone on the path could be the "
			    "relay");
	}
	if (sh->user != NULL) {
		if (!ss->tls_active && sh->tls != TLS_MODE_NONE) {
			snprintf(why, whylen, "refusing AUTH without TLS");
			goto fail_why;
		}
		if (authenticate(ss, secret, why, whylen) == -1)
			goto fail_why;
	}
	return 0;
fail:
	session_fail(ss, why, whylen);
fail_why:
	forget_key(&tp, &key);
	conn_close(&ss->c);
	return -1;
}

void
smtp_canon_init(struct smtp_canon *k, int (*emit)(void *, const char *,
    size_t), void *arg)
{
	memset(k, 0, sizeof(*k));
	k->in_header = 1;
	k->emit = emit;
	k->arg = arg;
}

static int
canon_put(struct smtp_canon *k, const char *p, size_t len)
{
	if (k->outlen + len > sizeof(k->out)) {
		if (k->emit(k->arg, k->out, k->outlen) == -1)
			return -1;
		k->outlen = 0;
	}
	memcpy(k->out + k->outlen, p, len);
	k->outlen += len;
	return 0;
}

static int
canon_end_line(struct smtp_canon *k)
{
	if (k->col == 0 && k->in_header)
		k->in_header = 0;	/* the empty line ends the header */
	k->col = 0;
	return canon_put(k, "\r\n", 2);
}

int
smtp_canon_feed(struct smtp_canon *k, const char *buf, size_t len)
{
	size_t	i, run;

	for (i = 0; i < len; ) {
		char c = buf[i];

		if (k->pending_cr) {
			/* CR LF is one line end; a CR alone is one too. */
			k->pending_cr = 0;
			if (canon_end_line(k) == -1)
				return -1;
			if (c == '\n') {
				i++;
				continue;
			}
		}
		if (c == '\r') {
			k->pending_cr = 1;
			i++;
			continue;
		}
		if (c == '\n') {
			if (canon_end_line(k) == -1)
				return -1;
			i++;
			continue;
		}
		if (k->col >= SMTP_LINE_MAX) {
			/* Too long for SMTP: break it.  In the header the
			 * rest becomes a folded continuation line. */
			if (canon_put(k, "\r\n", 2) == -1)
				return -1;
			k->col = 0;
			if (k->in_header) {
				if (canon_put(k, " ", 1) == -1)
					return -1;
				k->col = 1;
			}
		}
		if (k->col == 0 && c == '.') {
			if (canon_put(k, ".", 1) == -1)
				return -1;
		}
		/* Copy the run of ordinary bytes up to the next line end or
		 * the length limit in one go. */
		for (run = 0; i + run < len && run < SMTP_LINE_MAX - k->col &&
		    buf[i + run] != '\r' && buf[i + run] != '\n'; run++)
			;
		if (run == 0)
			run = 1;
		if (canon_put(k, buf + i, run) == -1)
			return -1;
		k->col += run;
		i += run;
	}
	return 0;
}

int
smtp_canon_finish(struct smtp_canon *k)
{
	if (k->pending_cr) {
		k->pending_cr = 0;
		if (canon_end_line(k) == -1)
			return -1;
	}
	if (k->col > 0 && canon_end_line(k) == -1)
		return -1;
	if (canon_put(k, ".\r\n", 3) == -1)
		return -1;
	if (k->outlen > 0 && k->emit(k->arg, k->out, k->outlen) == -1)
		return -1;
	k->outlen = 0;
	return 0;
}

static int
emit_to_conn(void *arg, const char *buf, size_t len)
{
	return conn_write(arg, buf, len);
}

static int
send_body(struct smtp_session *ss, struct smtp_msg *m)
{
	struct smtp_canon	 k;
	char			*buf;
	uint64_t		 done = 0;
	size_t			 chunk;
	int			 rc = -1;

	buf = xmalloc(65536);
	smtp_canon_init(&k, emit_to_conn, &ss->c);
	while (done < m->len) {
		chunk = m->len - done > 65536 ? 65536 : (size_t)(m->len - done);
		if (pread_all(m->fd, buf, chunk, (off_t)(m->off + done)) == -1) {
			snprintf(ss->c.err, sizeof(ss->c.err), "cannot read "
			    "queue file: %s", strerror(errno));
			goto out;
		}
		if (smtp_canon_feed(&k, buf, chunk) == -1)
			goto out;
		done += chunk;
	}
	if (smtp_canon_finish(&k) == -1 || conn_flush(&ss->c) == -1)
		goto out;
	rc = 0;
out:
	free(buf);
	return rc;
}

static int
is_ascii(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s >= 0x80)
			return 0;
	return 1;
}

static void
set_rcpt(struct smtp_rcpt *rc, const struct reply *r)
{
	rc->code = r->code;
	reply_summary(r, rc->reply, sizeof(rc->reply));
}

/* " NAME=value" (or " NAME") onto a parameter string, if it fits. */
static void
append_param(char *buf, size_t len, const char *name, const char *value)
{
	size_t	used = strlen(buf);

	snprintf(buf + used, len - used, value ? " %s=%s" : " %s", name,
	    value ? value : "");
}

int
smtp_send(struct smtp_session *ss, struct smtp_msg *m, char *why,
    size_t whylen)
{
	struct reply	 r;
	char		 params[300], rparams[64];
	unsigned char	*accepted;
	size_t		 ncmd = m->nrcpts + 2, k, nread = 0, naccepted = 0, i;
	size_t		 window = ss->caps.pipelining ? PIPELINE_WINDOW : 1;
	char		 sum[200];
	int		 mail_failed = 0, data_ok, data_code = 0, rc = -1;
	int		 utf8;

	for (i = 0; i < m->nrcpts; i++) {
		m->rcpts[i].code = 0;
		m->rcpts[i].local = 0;
		m->rcpts[i].reply[0] = '\0';
	}
	if (ss->dirty) {
		if (command(ss, &r, "RSET") == -1)
			return session_fail(ss, why, whylen);
		ss->dirty = 0;
	}
	ss->dirty = 1;
	utf8 = !is_ascii(m->sender);
	for (i = 0; i < m->nrcpts; i++)
		utf8 |= !is_ascii(m->rcpts[i].addr);
	if (utf8 && !ss->caps.smtputf8) {
		for (i = 0; i < m->nrcpts; i++) {
			m->rcpts[i].code = 553;
			m->rcpts[i].local = 1;
			snprintf(m->rcpts[i].reply, sizeof(m->rcpts[i].reply),
			    "553 5.6.7 relay %.200s does not offer SMTPUTF8, "
			    "needed for a non-ASCII address", ss->c.peer);
		}
		ss->dirty = 0;
		return 0;
	}
	if (ss->caps.size && ss->caps.size_max > 0 &&
	    m->len > ss->caps.size_max) {
		/* RFC 1870: it will never fit, so fail now rather than be
		 * refused again for days. */
		for (i = 0; i < m->nrcpts; i++) {
			m->rcpts[i].code = 552;
			m->rcpts[i].local = 1;
			snprintf(m->rcpts[i].reply, sizeof(m->rcpts[i].reply),
			    "552 5.3.4 message of %llu bytes exceeds the "
			    "relay's limit of %llu", (unsigned long long)m->len,
			    (unsigned long long)ss->caps.size_max);
		}
		ss->dirty = 0;
		return 0;
	}
	params[0] = '\0';
	if (ss->caps.size)
		snprintf(params, sizeof(params), " SIZE=%llu",
		    (unsigned long long)m->len);
	if (ss->caps.eightbitmime)
		append_param(params, sizeof(params), "BODY",
		    m->body ? m->body : "8BITMIME");
	if (utf8)
		append_param(params, sizeof(params), "SMTPUTF8", NULL);
	if (ss->caps.dsn && m->ret)
		append_param(params, sizeof(params), "RET", m->ret);
	if (ss->caps.dsn && m->envid)
		append_param(params, sizeof(params), "ENVID", m->envid);
	rparams[0] = '\0';
	if (ss->caps.dsn && m->notify)
		append_param(rparams, sizeof(rparams), "NOTIFY", m->notify);
	accepted = xcalloc(m->nrcpts ? m->nrcpts : 1, 1);

	/* Commands go out in windows; without PIPELINING the window is one
	 * command, and a failed MAIL or no accepted recipient stops us. */
	for (k = 0; k < ncmd; k++) {
		if (window == 1 && k > 0 &&
		    (mail_failed || (k == ncmd - 1 && naccepted == 0)))
			break;
		if (k == 0) {
			if (send_line(ss, "MAIL FROM:<%s>%s", m->sender,
			    params) == -1)
				goto broken;
		} else if (k < ncmd - 1) {
			if (send_line(ss, "RCPT TO:<%s>%s",
			    m->rcpts[k - 1].addr, rparams) == -1)
				goto broken;
		} else if (send_line(ss, "DATA") == -1)
			goto broken;
		if ((k + 1) % window != 0 && k != ncmd - 1)
			continue;
		if (conn_flush(&ss->c) == -1)
			goto broken;
		for (; nread <= k; nread++) {
			if (read_reply(ss, &r) == -1)
				goto broken;
			if (nread == 0) {
				if (r.code / 100 != 2) {
					mail_failed = 1;
					for (i = 0; i < m->nrcpts; i++)
						set_rcpt(&m->rcpts[i], &r);
				}
			} else if (nread < ncmd - 1) {
				i = nread - 1;
				if (mail_failed)
					continue;
				if (r.code / 100 == 2) {
					accepted[i] = 1;
					naccepted++;
				} else
					set_rcpt(&m->rcpts[i], &r);
			} else
				data_code = r.code;
		}
	}
	data_ok = data_code == 354;
	if (data_code / 100 == 2 || (data_code / 100 == 3 && !data_ok)) {
		/* Only 354 invites the message; taking a 250 here for the
		 * verdict would mark mail delivered that never left. */
		reply_summary(&r, sum, sizeof(sum));
		snprintf(ss->c.err, sizeof(ss->c.err), "relay %.250s "
		    "answered DATA with %s", ss->c.peer, sum);
		goto broken;
	}
	if (data_ok && (mail_failed || naccepted == 0)) {
		/* The relay took DATA though nobody is left to receive it:
		 * give it an empty message end and ignore the verdict. */
		if (send_line(ss, ".") == -1 || conn_flush(&ss->c) == -1 ||
		    read_reply(ss, &r) == -1)
			goto broken;
	} else if (data_ok) {
		if (send_body(ss, m) == -1 || read_reply(ss, &r) == -1)
			goto broken;
		for (i = 0; i < m->nrcpts; i++)
			if (accepted[i])
				set_rcpt(&m->rcpts[i], &r);
		ss->dirty = 0;
	} else if (!mail_failed && naccepted > 0) {
		/* DATA itself refused: that is every accepted one's fate. */
		for (i = 0; i < m->nrcpts; i++)
			if (accepted[i])
				set_rcpt(&m->rcpts[i], &r);
	}
	rc = 0;
	goto out;
broken:
	session_fail(ss, why, whylen);
out:
	free(accepted);
	return rc;
}

void
smtp_close(struct smtp_session *ss)
{
	struct reply	r;

	if (ss->c.fd != -1 && !ss->broken) {
		ss->c.timeout_ms = ss->c.timeout_ms > 5000 ? 5000 :
		    ss->c.timeout_ms;
		if (send_line(ss, "QUIT") == 0 && conn_flush(&ss->c) == 0)
			(void)read_reply(ss, &r);
	}
	conn_close(&ss->c);
}
