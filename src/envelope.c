/*
 * envelope - serialise and strictly parse the queue file format;
 * see envelope.h for the layout.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <unistd.h>

#include "envelope.h"
#include "util.h"

int
envelope_value_ok(const char *s)
{
	size_t	n = 0;

	for (; *s; s++, n++) {
		unsigned char c = (unsigned char)*s;

		if (c < 0x20 || c == 0x7f)
			return 0;
	}
	return n <= ENVELOPE_VALUE_MAX;
}

int
envelope_has_rcpt(const struct envelope *env, const char *rcpt)
{
	size_t	i;

	for (i = 0; i < env->nrcpts; i++)
		if (strcmp(env->rcpts[i], rcpt) == 0)
			return 1;
	return 0;
}

int
envelope_add_rcpt(struct envelope *env, const char *rcpt)
{
	if (env->nrcpts >= ENVELOPE_RCPT_MAX)
		return -1;
	if ((env->nrcpts & (env->nrcpts - 1)) == 0)
		env->rcpts = xrealloc(env->rcpts,
		    (env->nrcpts ? env->nrcpts * 2 : 1) * sizeof(char *));
	env->rcpts[env->nrcpts++] = xstrdup(rcpt);
	return 0;
}

static int
notify_ok(const char *v)
{
	char	 buf[64], *tok, *save = NULL;
	int	 n = 0;

	if (strcmp(v, "NEVER") == 0)
		return 1;
	if (strlen(v) >= sizeof(buf))
		return 0;
	strcpy(buf, v);
	for (tok = strtok_r(buf, ",", &save); tok;
	    tok = strtok_r(NULL, ",", &save), n++)
		if (strcmp(tok, "SUCCESS") != 0 && strcmp(tok, "FAILURE") != 0 &&
		    strcmp(tok, "DELAY") != 0)
			return 0;
	return n > 0 && v[strlen(v) - 1] != ',';
}

static int
is_upper_hex(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'F');
}

/* xtext (RFC 3461 4): printable ASCII but '+' and '=', or "+XX". */
static int
xtext_ok(const char *v)
{
	size_t	len = strlen(v), i;

	if (len == 0 || len > 100)
		return 0;
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)v[i];

		if (c == '+') {
			if (i + 2 >= len || !is_upper_hex(v[i + 1]) ||
			    !is_upper_hex(v[i + 2]))
				return 0;
			i += 2;
		} else if (c < 33 || c > 126 || c == '=')
			return 0;
	}
	return 1;
}

int
envelope_dsn_ok(const struct envelope *env, const char **which)
{
	if (env->body && strcmp(env->body, "7BIT") != 0 &&
	    strcmp(env->body, "8BITMIME") != 0) {
		*which = "body type";
		return 0;
	}
	if (env->notify && !notify_ok(env->notify)) {
		*which = "DSN notify";
		return 0;
	}
	if (env->ret && strcmp(env->ret, "FULL") != 0 &&
	    strcmp(env->ret, "HDRS") != 0) {
		*which = "DSN return";
		return 0;
	}
	if (env->envid && !xtext_ok(env->envid)) {
		*which = "envelope id";
		return 0;
	}
	return 1;
}

char *
envelope_format(const struct envelope *env, size_t *lenp)
{
	size_t	 i, cap, len;
	char	*buf;
	int	 n;

	cap = 512 + strlen(env->sender);
	for (i = 0; i < env->nrcpts; i++)
		cap += strlen(env->rcpts[i]) + 3;
	buf = xmalloc(cap);
	n = snprintf(buf, cap, "%s\nI %s\nU %u\nA %" PRId64 "\nF %s\n",
	    ENVELOPE_MAGIC, env->id, (unsigned)env->uid, env->arrival,
	    env->sender);
	len = (size_t)n;
	for (i = 0; i < env->nrcpts; i++) {
		n = snprintf(buf + len, cap - len, "T %s\n", env->rcpts[i]);
		len += (size_t)n;
	}
	if (env->body)
		len += (size_t)snprintf(buf + len, cap - len, "B %.100s\n",
		    env->body);
	if (env->notify)
		len += (size_t)snprintf(buf + len, cap - len, "N %.100s\n",
		    env->notify);
	if (env->ret)
		len += (size_t)snprintf(buf + len, cap - len, "R %.100s\n",
		    env->ret);
	if (env->envid)
		len += (size_t)snprintf(buf + len, cap - len, "V %.100s\n",
		    env->envid);
	buf[len++] = '\n';
	*lenp = len;
	return buf;
}

void
envelope_trailer(uint64_t msglen, char out[ENVELOPE_TRAILER_LEN + 1])
{
	snprintf(out, ENVELOPE_TRAILER_LEN + 1, "relayq-end %020" PRIu64 "\n",
	    msglen);
}

void
envelope_free(struct envelope *env)
{
	size_t	i;

	for (i = 0; i < env->nrcpts; i++)
		free(env->rcpts[i]);
	free(env->rcpts);
	free(env->sender);
	free(env->body);
	free(env->notify);
	free(env->ret);
	free(env->envid);
	memset(env, 0, sizeof(*env));
}

int
envelope_parse_head(const char *buf, size_t len, struct envelope *env,
    size_t *headlen, char *why, size_t whylen)
{
	const char	*p = buf, *end = buf + len, *nl;
	char		 val[ENVELOPE_VALUE_MAX + 1];
	int		 seen_i = 0, seen_u = 0, seen_a = 0, seen_f = 0;
	uint64_t	 v;
	size_t		 vlen;

	memset(env, 0, sizeof(*env));
	nl = memchr(p, '\n', (size_t)(end - p));
	if (nl == NULL || (size_t)(nl - p) != strlen(ENVELOPE_MAGIC) ||
	    memcmp(p, ENVELOPE_MAGIC, strlen(ENVELOPE_MAGIC)) != 0) {
		snprintf(why, whylen, "not a relayq version 1 queue file");
		return -1;
	}
	p = nl + 1;
	for (;;) {
		if (p >= end) {
			snprintf(why, whylen, "envelope not terminated");
			goto bad;
		}
		if (*p == '\n') {
			p++;
			break;
		}
		nl = memchr(p, '\n', (size_t)(end - p));
		if (nl == NULL) {
			snprintf(why, whylen, "envelope not terminated");
			goto bad;
		}
		if (nl - p < 2 || p[1] != ' ' ||
		    (vlen = (size_t)(nl - p - 2)) > ENVELOPE_VALUE_MAX) {
			snprintf(why, whylen, "malformed envelope record");
			goto bad;
		}
		memcpy(val, p + 2, vlen);
		val[vlen] = '\0';
		if (strlen(val) != vlen || !envelope_value_ok(val)) {
			snprintf(why, whylen, "control byte in envelope record");
			goto bad;
		}
		switch (p[0]) {
		case 'I':
			if (seen_i++ || !queue_id_ok(val))
				goto badrec;
			memcpy(env->id, val, QUEUE_ID_LEN + 1);
			break;
		case 'U':
			if (seen_u++ || parse_u64(val, UINT32_MAX - 1, &v))
				goto badrec;
			env->uid = (uid_t)v;
			break;
		case 'A':
			if (seen_a++ || parse_u64(val, INT64_MAX, &v))
				goto badrec;
			env->arrival = (int64_t)v;
			break;
		case 'F':
			if (seen_f++)
				goto badrec;
			env->sender = xstrdup(val);
			break;
		case 'T':
			if (vlen == 0 || envelope_add_rcpt(env, val) == -1)
				goto badrec;
			break;
		case 'B':
			if (env->body)
				goto badrec;
			env->body = xstrdup(val);
			break;
		case 'N':
			if (env->notify)
				goto badrec;
			env->notify = xstrdup(val);
			break;
		case 'R':
			if (env->ret)
				goto badrec;
			env->ret = xstrdup(val);
			break;
		case 'V':
			if (env->envid)
				goto badrec;
			env->envid = xstrdup(val);
			break;
		default:
			goto badrec;
		}
		p = nl + 1;
	}
	if (!seen_i || !seen_u || !seen_a || !seen_f || env->nrcpts == 0) {
		snprintf(why, whylen, "envelope lacks a required record");
		goto bad;
	}
	{
		const char *which;

		if (!envelope_dsn_ok(env, &which)) {
			snprintf(why, whylen, "bad %s record", which);
			goto bad;
		}
	}
	*headlen = (size_t)(p - buf);
	return 0;
badrec:
	snprintf(why, whylen, "bad or repeated envelope record '%c'", p[0]);
bad:
	envelope_free(env);
	return -1;
}

int
envelope_read(int fd, uint64_t filesize, struct envelope *env, char *why,
    size_t whylen)
{
	char		 trailer[ENVELOPE_TRAILER_LEN + 1], *buf = NULL;
	size_t		 cap = 8192, len = 0, headlen;
	ssize_t		 n;
	uint64_t	 msglen;

	memset(env, 0, sizeof(*env));
	if (filesize < ENVELOPE_TRAILER_LEN + strlen(ENVELOPE_MAGIC) + 2) {
		snprintf(why, whylen, "queue file too short");
		return -1;
	}
	/* A small file is read whole, trailer and all, in one call: listing
	 * a large queue costs a system call less per message. */
	if (filesize <= cap) {
		buf = xmalloc(cap);
		if (pread_all(fd, buf, (size_t)filesize, 0) == -1) {
			snprintf(why, whylen, "read: %s", strerror(errno));
			free(buf);
			return -1;
		}
		len = (size_t)filesize;
		memcpy(trailer, buf + len - ENVELOPE_TRAILER_LEN,
		    ENVELOPE_TRAILER_LEN);
	} else if (pread_all(fd, trailer, ENVELOPE_TRAILER_LEN,
	    (off_t)(filesize - ENVELOPE_TRAILER_LEN)) == -1) {
		snprintf(why, whylen, "cannot read trailer: %s",
		    strerror(errno));
		return -1;
	}
	trailer[ENVELOPE_TRAILER_LEN] = '\0';
	if (memcmp(trailer, "relayq-end ", 11) != 0 ||
	    trailer[ENVELOPE_TRAILER_LEN - 1] != '\n') {
		snprintf(why, whylen, "queue file truncated (no trailer)");
		free(buf);
		return -1;
	}
	trailer[ENVELOPE_TRAILER_LEN - 1] = '\0';
	if (parse_u64(trailer + 11, filesize, &msglen) == -1) {
		snprintf(why, whylen, "bad trailer");
		free(buf);
		return -1;
	}
	/* Else read the head in growing pieces. */
	while (buf == NULL || (len < filesize && len <= ENVELOPE_HEAD_MAX &&
	    memmem(buf, len, "\n\n", 2) == NULL)) {
		buf = xrealloc(buf, cap);
		n = pread(fd, buf + len, cap - len, (off_t)len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			snprintf(why, whylen, "read: %s", strerror(errno));
			free(buf);
			return -1;
		}
		len += (size_t)n;
		if (n == 0)
			break;
		if (len == cap)
			cap *= 2;
	}
	if (envelope_parse_head(buf, len, env, &headlen, why, whylen) == -1) {
		free(buf);
		return -1;
	}
	free(buf);
	if ((uint64_t)headlen + msglen + ENVELOPE_TRAILER_LEN != filesize) {
		snprintf(why, whylen, "message length does not match the file");
		envelope_free(env);
		return -1;
	}
	env->msg_offset = headlen;
	env->msg_len = msglen;
	return 0;
}

int
queue_id_new(char out[QUEUE_ID_LEN + 1])
{
	struct timeval	tv;
	uint32_t	r;
	uint64_t	us;

	if (random_bytes(&r, sizeof(r)) == -1)
		return -1;
	gettimeofday(&tv, NULL);
	us = (uint64_t)tv.tv_sec * 1000000 + (uint64_t)tv.tv_usec;
	snprintf(out, QUEUE_ID_LEN + 1, "%013" PRIX64 "%07" PRIX32,
	    (uint64_t)(us & 0xFFFFFFFFFFFFFULL), (uint32_t)(r & 0xFFFFFFF));
	return 0;
}

int
queue_id_ok(const char *s)
{
	size_t	i;

	for (i = 0; i < QUEUE_ID_LEN; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'A' && s[i] <= 'F')))
			return 0;
	return s[QUEUE_ID_LEN] == '\0';
}
