/*
 * smtp_server - sendmail -bs; see smtp_server.h.
 *
 * One session, one process: input is read into a buffer and commands are
 * taken from it a line at a time, replies collect in an output buffer that
 * goes out whenever we are about to wait for input (RFC 2920), so a client
 * that pipelines gets its replies in one write and one that does not is
 * never left waiting.  DATA is never held in memory: submit pulls it
 * through data_fill(), which unstuffs it straight out of the input buffer.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sysexits.h>
#include <unistd.h>

#include "address.h"
#include "envelope.h"
#include "smtp_server.h"
#include "util.h"

/* RFC 5321 4.5.3.1.4: a command line, CRLF included. */
#define SMTP_LINE_MAX		512
/* RFC 5321 4.5.3.2.7 suggests 5 minutes for the server's wait. */
#define SMTP_IDLE_TIMEOUT_MS	(300 * 1000)
#define SMTP_INBUF		65536
#define SMTP_OUTBUF		4096
/* RFC 3461 4.4 and 4.2: longest ENVID and ORCPT values. */
#define DSN_ENVID_MAX		100
#define DSN_ORCPT_MAX		500

/* NOTIFY= (RFC 3461 4.1) as a set. */
#define NOTIFY_SUCCESS		0x1
#define NOTIFY_FAILURE		0x2
#define NOTIFY_DELAY		0x4
#define NOTIFY_NEVER		0x8

enum session_end {
	END_NONE = 0,
	END_QUIT,
	END_EOF,		/* end of input: the client is done */
	END_TIMEOUT,		/* no input for SMTP_IDLE_TIMEOUT_MS */
	END_READ,		/* read error */
	END_WRITE,		/* write error: nobody is listening */
};

/* Where the DATA parser stands: at the start of a line, inside one, just
 * after a dot that began a line, after ".\r", or past the final ".". */
enum data_state {
	DATA_BOL,
	DATA_MID,
	DATA_DOT,
	DATA_DOTCR,
	DATA_END,
};

struct session {
	struct config			*cf;
	const struct submission		*defaults;
	int				 in, out;
	enum session_end		 end;
	int				 queued;

	char				 inbuf[SMTP_INBUF];
	size_t				 inpos, inlen;
	char				 outbuf[SMTP_OUTBUF];
	size_t				 outlen;

	/* The transaction, from MAIL to the end of DATA or RSET. */
	int				 in_mail;
	int				 smtputf8;
	char				 sender[ADDRESS_MAX + 1];
	char				**rcpts;
	int				 nrcpts, rcptcap;
	int				 rcpt_tried;
	/* MAIL's BODY=, RET= and ENVID= ("" when not given), and the
	 * NOTIFY= set the recipients share: the queue file holds one for
	 * the whole message. */
	char				 body[sizeof("8BITMIME")];
	char				 ret[sizeof("HDRS")];
	char				 envid[DSN_ENVID_MAX + 1];
	int				 notify;
	int				 notify_mixed;

	/* DATA in progress. */
	enum data_state			 dstate;
	uint64_t			 dtotal;
	int				 too_big;
};

static int
output_flush(struct session *s)
{
	if (s->end == END_WRITE)
		return -1;
	if (s->outlen > 0 && write_all(s->out, s->outbuf, s->outlen) == -1) {
		s->end = END_WRITE;
		s->outlen = 0;
		return -1;
	}
	s->outlen = 0;
	return 0;
}

/* One reply line; CRLF is added.  Buffered: see input_fill(). */
static int __attribute__((format(printf, 2, 3)))
reply(struct session *s, const char *f, ...)
{
	char	line[SMTP_LINE_MAX];
	va_list	ap;
	int	n;

	if (s->end == END_WRITE)
		return -1;
	va_start(ap, f);
	n = vsnprintf(line, sizeof(line) - 2, f, ap);
	va_end(ap);
	if (n < 0)
		return -1;
	/* Our replies are short; a long one is cut rather than lost. */
	if ((size_t)n >= sizeof(line) - 2)
		n = (int)sizeof(line) - 3;
	line[n++] = '\r';
	line[n++] = '\n';
	if (s->outlen + (size_t)n > sizeof(s->outbuf) && output_flush(s) == -1)
		return -1;
	memcpy(s->outbuf + s->outlen, line, (size_t)n);
	s->outlen += (size_t)n;
	return 0;
}

/*
 * Refill the (used up) input buffer.  Buffered replies go out first: the
 * client may wait for them before it sends anything more.  Returns 1 with
 * new input, else 0 with s->end saying why the session is over.
 */
static int
input_fill(struct session *s)
{
	struct pollfd	pfd;
	int64_t		deadline, left;
	ssize_t		n;
	int		rc;

	s->inpos = s->inlen = 0;
	if (s->end != END_NONE || output_flush(s) == -1)
		return 0;
	deadline = now_ms() + SMTP_IDLE_TIMEOUT_MS;
	for (;;) {
		left = deadline - now_ms();
		if (left <= 0) {
			s->end = END_TIMEOUT;
			return 0;
		}
		pfd.fd = s->in;
		pfd.events = POLLIN;
		pfd.revents = 0;
		rc = poll(&pfd, 1, (int)left);
		if (rc == -1) {
			if (errno == EINTR)
				continue;
			s->end = END_READ;
			return 0;
		}
		if (rc == 0)
			continue;	/* the deadline check decides */
		n = read(s->in, s->inbuf, sizeof(s->inbuf));
		if (n == -1) {
			if (errno == EINTR || errno == EAGAIN)
				continue;
			s->end = END_READ;
			return 0;
		}
		if (n == 0) {
			s->end = END_EOF;
			return 0;
		}
		s->inlen = (size_t)n;
		return 1;
	}
}

/*
 * The next command line into line (SMTP_LINE_MAX + 1 bytes), its CRLF or
 * bare LF removed and NUL-terminated; *lenp is its length, which counts
 * any NUL byte inside.  Returns 1, 0 when the session is over (a partial
 * line at the end of input is dropped), or -1 for a line longer than
 * SMTP_LINE_MAX, which has then been read and discarded whole.
 */
static int
read_command(struct session *s, char *line, size_t *lenp)
{
	const char	*p, *nl;
	size_t		 len = 0, n;
	int		 toolong = 0;

	for (;;) {
		if (s->inpos == s->inlen && !input_fill(s))
			return 0;
		p = s->inbuf + s->inpos;
		nl = memchr(p, '\n', s->inlen - s->inpos);
		n = nl ? (size_t)(nl + 1 - p) : s->inlen - s->inpos;
		s->inpos += n;
		if (!toolong && len + n <= SMTP_LINE_MAX) {
			memcpy(line + len, p, n);
			len += n;
		} else
			toolong = 1;
		if (nl != NULL)
			break;
	}
	if (toolong)
		return -1;
	len--;				/* the LF */
	if (len > 0 && line[len - 1] == '\r')
		len--;
	line[len] = '\0';
	*lenp = len;
	return 1;
}

/*
 * Up to len bytes of the message, dot-unstuffed, straight from the input
 * buffer.  Returns the count, 0 once the line "." has been read (CRLF or
 * bare LF), or -1 with errno when the session ended first (s->end).
 * Returns what it has rather than wait for more input.
 */
static ssize_t
data_read(struct session *s, char *buf, size_t len)
{
	const char	*p, *nl;
	size_t		 o = 0, n;

	while (o < len && s->dstate != DATA_END) {
		if (s->inpos == s->inlen) {
			if (o > 0)
				break;
			if (!input_fill(s)) {
				errno = s->end == END_TIMEOUT ? ETIMEDOUT :
				    s->end == END_WRITE ? EPIPE : ECONNRESET;
				return -1;
			}
		}
		p = s->inbuf + s->inpos;
		n = s->inlen - s->inpos;
		switch (s->dstate) {
		case DATA_MID:
			if (n > len - o)
				n = len - o;
			if ((nl = memchr(p, '\n', n)) != NULL) {
				n = (size_t)(nl + 1 - p);
				s->dstate = DATA_BOL;
			}
			memcpy(buf + o, p, n);
			o += n;
			s->inpos += n;
			break;
		case DATA_BOL:
			if (*p == '.') {
				s->dstate = DATA_DOT;
				s->inpos++;
			} else
				s->dstate = DATA_MID;
			break;
		case DATA_DOT:
			if (*p == '\n') {
				s->dstate = DATA_END;
				s->inpos++;
			} else if (*p == '\r') {
				s->dstate = DATA_DOTCR;
				s->inpos++;
			} else {
				/* The dot was stuffing: drop it. */
				s->dstate = DATA_MID;
			}
			break;
		case DATA_DOTCR:
			if (*p == '\n') {
				s->dstate = DATA_END;
				s->inpos++;
			} else {
				/* ".\r" and more: the dot was stuffing, the
				 * CR is data. */
				buf[o++] = '\r';
				s->dstate = DATA_MID;
			}
			break;
		case DATA_END:
			break;
		}
	}
	return (ssize_t)o;
}

/* submit's fill callback.  Stops a message over max_message_size at once
 * rather than let it be written to the spool only to be refused. */
static ssize_t
data_fill(void *arg, char *buf, size_t len)
{
	struct session	*s = arg;
	uint64_t	 max = s->cf->max_message_size;
	ssize_t		 n;

	n = data_read(s, buf, len);
	if (n > 0) {
		s->dtotal += (uint64_t)n;
		if (max != 0 && s->dtotal > max && !s->too_big) {
			s->too_big = 1;
			errno = EFBIG;
			return -1;
		}
	}
	return n;
}

static void
transaction_reset(struct session *s)
{
	int	i;

	for (i = 0; i < s->nrcpts; i++)
		free(s->rcpts[i]);
	s->nrcpts = 0;
	s->rcpt_tried = 0;
	s->in_mail = 0;
	s->smtputf8 = 0;
	s->sender[0] = '\0';
	s->body[0] = s->ret[0] = s->envid[0] = '\0';
	s->notify = s->notify_mixed = 0;
}

/* An ASCII word in upper case; "" for NULL.  Values were checked. */
static void
upper_copy(char *out, size_t outlen, const char *in)
{
	size_t	i;

	for (i = 0; in != NULL && in[i] != '\0' && i + 1 < outlen; i++)
		out[i] = (in[i] >= 'a' && in[i] <= 'z') ? in[i] - 'a' + 'A' :
		    in[i];
	out[i] = '\0';
}

static int
has_8bit(const char *p)
{
	for (; *p; p++)
		if ((unsigned char)*p >= 0x80)
			return 1;
	return 0;
}

/* Printable for a reply: no control bytes, nothing beyond ASCII. */
static void
reply_safe(char *out, size_t outlen, const char *in)
{
	escape_text(out, outlen, in, strlen(in));
}

/*
 * The path at *pp: "<addr>", "<>", or (leniently, as some local clients
 * write it) a bare address up to the next space.  A source route
 * ("<@a,@b:u@d>") is dropped (RFC 5321 appendix C).  Quoted strings may
 * hold '>' and spaces.  The address is NUL-terminated in place into
 * *addr; *pp is left at the parameters.  Returns 0 or -1 with a reason.
 */
static int
parse_path(char **pp, char **addr, const char **why)
{
	char	*p = *pp, *start, *colon;
	int	 quoted = 0, bracket;

	bracket = *p == '<';
	if (bracket)
		p++;
	start = p;
	for (;; p++) {
		if (*p == '\0') {
			if (bracket) {
				*why = "unterminated <address>";
				return -1;
			}
			break;
		}
		if (quoted && *p == '\\') {
			if (p[1] == '\0') {
				*why = "unterminated quoted string";
				return -1;
			}
			p++;
			continue;
		}
		if (*p == '"')
			quoted = !quoted;
		else if (!quoted && bracket && *p == '>')
			break;
		else if (!quoted && !bracket && *p == ' ')
			break;
	}
	if (quoted) {
		*why = "unterminated quoted string";
		return -1;
	}
	if (!bracket && p == start) {
		*why = "missing address";
		return -1;
	}
	if (bracket) {
		*p++ = '\0';
		if (*p != '\0' && *p != ' ') {
			*why = "junk after <address>";
			return -1;
		}
	} else if (*p == ' ')
		*p++ = '\0';
	if (*start == '@') {
		if ((colon = strchr(start, ':')) == NULL) {
			*why = "bad source route";
			return -1;
		}
		start = colon + 1;
	}
	*addr = start;
	*pp = p;
	return 0;
}

/*
 * The next esmtp-param at *pp ("KEYWORD" or "KEYWORD=value", RFC 5321
 * 4.1.2; bytes past ASCII allowed in values, RFC 6531).  Returns 1 with
 * *kw and *val (NULL without '='), 0 at the end, -1 on bad syntax.
 */
static int
next_param(char **pp, char **kw, char **val)
{
	char		*p = *pp, *q;
	unsigned char	 c;

	while (*p == ' ')
		p++;
	if (*p == '\0')
		return 0;
	*kw = p;
	*val = NULL;
	for (q = p; *q != '\0' && *q != ' ' && *q != '='; q++)
		if (!((*q >= 'A' && *q <= 'Z') || (*q >= 'a' && *q <= 'z') ||
		    (*q >= '0' && *q <= '9') || (*q == '-' && q > p)))
			return -1;
	if (q == p)
		return -1;
	if (*q == '=') {
		*q++ = '\0';
		*val = q;
		for (; *q != '\0' && *q != ' '; q++) {
			c = (unsigned char)*q;
			if (c < 33 || c == '=' || c == 127)
				return -1;
		}
		if (q == *val)
			return -1;
	}
	if (*q == ' ')
		*q++ = '\0';
	*pp = q;
	return 1;
}

/* xtext (RFC 3461 4): printable ASCII but '+' and '=', and "+XX". */
static int
xtext_ok(const char *p, size_t max, int allow8bit)
{
	static const char	 hex[] = "0123456789ABCDEF";
	size_t			 n = 0;
	unsigned char		 c;

	for (; *p; p++, n++) {
		c = (unsigned char)*p;
		if (c == '+') {
			if (p[1] == '\0' || strchr(hex, p[1]) == NULL ||
			    p[2] == '\0' || strchr(hex, p[2]) == NULL)
				return 0;
			p += 2;
		} else if (c >= 0x80 ? !allow8bit : (c < 33 || c > 126 ||
		    c == '='))
			return 0;
	}
	return n > 0 && n <= max;
}

/* The words of NOTIFY= but NEVER; word i is the set bit 1 << i. */
static const char *notify_words[] = { "SUCCESS", "FAILURE", "DELAY" };

/* NOTIFY=NEVER or a list of SUCCESS, FAILURE, DELAY (RFC 3461 4.1):
 * its NOTIFY_* set, or -1. */
static int
notify_parse(const char *v)
{
	const char	*end;
	size_t		 i, n;
	int		 set = 0, found;

	if (strcasecmp(v, "NEVER") == 0)
		return NOTIFY_NEVER;
	for (;;) {
		end = strchr(v, ',');
		n = end ? (size_t)(end - v) : strlen(v);
		found = 0;
		for (i = 0; i < ARRAY_LEN(notify_words); i++)
			if (strlen(notify_words[i]) == n &&
			    strncasecmp(v, notify_words[i], n) == 0 &&
			    !(set & (1 << i))) {
				set |= 1 << i;
				found = 1;
			}
		if (!found)
			return -1;
		if (end == NULL)
			return set;
		v = end + 1;
	}
}

/* A NOTIFY_* set as the queue file takes it: upper case, in order. */
static void
notify_format(int set, char *out, size_t outlen)
{
	size_t	i, o = 0;

	snprintf(out, outlen, "%s", set & NOTIFY_NEVER ? "NEVER" : "");
	for (i = 0; i < ARRAY_LEN(notify_words); i++)
		if ((set & (1 << i)) && o < outlen)
			o += (size_t)snprintf(out + o, outlen - o, "%s%s",
			    o ? "," : "", notify_words[i]);
}

/* ORCPT=addr-type;xtext (RFC 3461 4.2). */
static int
orcpt_ok(const char *v, int smtputf8)
{
	const char	*p;

	if (strlen(v) > DSN_ORCPT_MAX)
		return 0;
	for (p = v; *p != ';'; p++)
		if (!((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') ||
		    (*p >= '0' && *p <= '9') || (*p == '-' && p > v)))
			return 0;
	return p > v && xtext_ok(p + 1, DSN_ORCPT_MAX, smtputf8);
}

/* Checked as submit will: the address, then with the domain added. */
static int
address_acceptable(struct session *s, const char *addr, char *why,
    size_t whylen)
{
	char	q[ADDRESS_MAX + 1];

	return address_check(addr, why, whylen) == -1 ||
	    address_qualify(addr, conf_domain(s->cf), q, sizeof(q), why,
	    whylen) == -1 || address_check(q, why, whylen) == -1 ? -1 : 0;
}

static void
cmd_ehlo(struct session *s, char *args, int extended)
{
	if (*args == '\0') {
		reply(s, "501 5.5.4 Syntax: %s hostname", extended ? "EHLO" :
		    "HELO");
		return;
	}
	transaction_reset(s);
	if (!extended) {
		reply(s, "250 %s", conf_domain(s->cf));
		return;
	}
	reply(s, "250-%s", conf_domain(s->cf));
	reply(s, "250-PIPELINING");
	reply(s, "250-8BITMIME");
	reply(s, "250-SIZE %llu",
	    (unsigned long long)s->cf->max_message_size);
	reply(s, "250-ENHANCEDSTATUSCODES");
	reply(s, "250-SMTPUTF8");
	reply(s, "250-DSN");
	reply(s, "250 HELP");
}

static void
cmd_mail(struct session *s, char *args)
{
	char		*p, *addr, *kw, *val, reason[200];
	char		*body = NULL, *ret = NULL, *envid = NULL;
	const char	*why;
	uint64_t	 size = 0;
	int		 rc, smtputf8 = 0, seen_size = 0;

	if (s->in_mail) {
		reply(s, "503 5.5.1 Error: nested MAIL command");
		return;
	}
	if (strncasecmp(args, "FROM:", 5) != 0) {
		reply(s, "501 5.5.4 Syntax: MAIL FROM:<address> [parameters]");
		return;
	}
	p = args + 5;
	while (*p == ' ')
		p++;
	if (parse_path(&p, &addr, &why) == -1) {
		reply(s, "501 5.1.7 Bad sender address syntax: %s", why);
		return;
	}
	while ((rc = next_param(&p, &kw, &val)) == 1) {
		if (strcasecmp(kw, "SIZE") == 0) {
			if (seen_size++ || val == NULL ||
			    parse_u64(val, UINT64_MAX, &size) == -1)
				goto bad;
		} else if (strcasecmp(kw, "BODY") == 0) {
			if (body != NULL || (body = val) == NULL ||
			    (strcasecmp(val, "7BIT") != 0 &&
			    strcasecmp(val, "8BITMIME") != 0))
				goto bad;
		} else if (strcasecmp(kw, "SMTPUTF8") == 0) {
			if (smtputf8++ || val != NULL)
				goto bad;
		} else if (strcasecmp(kw, "RET") == 0) {
			if (ret != NULL || (ret = val) == NULL ||
			    (strcasecmp(val, "FULL") != 0 &&
			    strcasecmp(val, "HDRS") != 0))
				goto bad;
		} else if (strcasecmp(kw, "ENVID") == 0) {
			if (envid != NULL || (envid = val) == NULL ||
			    !xtext_ok(val, DSN_ENVID_MAX, 0))
				goto bad;
		} else {
			reply_safe(reason, 40, kw);
			reply(s, "555 5.5.4 Unsupported parameter %s", reason);
			return;
		}
	}
	if (rc == -1)
		goto bad;
	if (*addr != '\0' && address_acceptable(s, addr, reason,
	    sizeof(reason)) == -1) {
		reply(s, "553 5.1.7 Bad sender address: %s", reason);
		return;
	}
	if (!smtputf8 && has_8bit(addr)) {
		reply(s, "553 5.6.7 Non-ASCII sender address needs SMTPUTF8");
		return;
	}
	if (seen_size && s->cf->max_message_size != 0 &&
	    size > s->cf->max_message_size) {
		reply(s, "552 5.3.4 Message size exceeds fixed limit of %llu "
		    "bytes", (unsigned long long)s->cf->max_message_size);
		return;
	}
	/* address_check bounds it by ADDRESS_MAX. */
	snprintf(s->sender, sizeof(s->sender), "%s", addr);
	s->smtputf8 = smtputf8;
	upper_copy(s->body, sizeof(s->body), body);
	upper_copy(s->ret, sizeof(s->ret), ret);
	/* xtext already, as the queue file keeps it */
	snprintf(s->envid, sizeof(s->envid), "%s", envid ? envid : "");
	s->in_mail = 1;
	reply(s, "250 2.1.0 Ok");
	return;
bad:
	reply(s, "501 5.5.4 Bad MAIL parameter syntax");
}

static void
cmd_rcpt(struct session *s, char *args)
{
	char		*p, *addr, *kw, *val, reason[200];
	const char	*why;
	int		 rc, notify = 0, seen_orcpt = 0;

	if (!s->in_mail) {
		reply(s, "503 5.5.1 Error: need MAIL command");
		return;
	}
	if (strncasecmp(args, "TO:", 3) != 0) {
		reply(s, "501 5.5.4 Syntax: RCPT TO:<address> [parameters]");
		return;
	}
	s->rcpt_tried++;
	p = args + 3;
	while (*p == ' ')
		p++;
	if (parse_path(&p, &addr, &why) == -1) {
		reply(s, "501 5.1.3 Bad recipient address syntax: %s", why);
		return;
	}
	while ((rc = next_param(&p, &kw, &val)) == 1) {
		if (strcasecmp(kw, "NOTIFY") == 0) {
			if (notify != 0 || val == NULL ||
			    (notify = notify_parse(val)) == -1)
				goto bad;
		} else if (strcasecmp(kw, "ORCPT") == 0) {
			if (seen_orcpt++ || val == NULL ||
			    !orcpt_ok(val, s->smtputf8))
				goto bad;
		} else {
			reply_safe(reason, 40, kw);
			reply(s, "555 5.5.4 Unsupported parameter %s", reason);
			return;
		}
	}
	if (rc == -1)
		goto bad;
	if (address_acceptable(s, addr, reason, sizeof(reason)) == -1) {
		reply(s, "553 5.1.3 Bad recipient address: %s", reason);
		return;
	}
	if (!s->smtputf8 && has_8bit(addr)) {
		reply(s, "553 5.6.7 Non-ASCII recipient address needs "
		    "SMTPUTF8");
		return;
	}
	if (s->nrcpts >= ENVELOPE_RCPT_MAX) {
		reply(s, "452 4.5.3 Too many recipients");
		return;
	}
	if (s->nrcpts == s->rcptcap) {
		s->rcptcap = s->rcptcap ? s->rcptcap * 2 : 16;
		s->rcpts = xrealloc(s->rcpts, (size_t)s->rcptcap *
		    sizeof(*s->rcpts));
	}
	s->rcpts[s->nrcpts++] = xstrdup(addr);
	if (s->nrcpts == 1)
		s->notify = notify;
	else if (notify != s->notify)
		s->notify_mixed = 1;
	reply(s, "250 2.1.5 Ok");
	return;
bad:
	reply(s, "501 5.5.4 Bad RCPT parameter syntax");
}

static void
cmd_data(struct session *s, char *args)
{
	struct submission	 sub;
	const struct submission	*d = s->defaults;
	char			 id[QUEUE_ID_LEN + 1], why[1024], safe[400];
	char			 notify[32];
	char			 scratch[4096];
	int			 code;

	if (*args != '\0') {
		reply(s, "501 5.5.4 Syntax: DATA");
		return;
	}
	if (!s->in_mail) {
		reply(s, "503 5.5.1 Error: need MAIL command");
		return;
	}
	if (s->nrcpts == 0) {
		if (s->rcpt_tried)
			reply(s, "554 5.5.1 Error: no valid recipients");
		else
			reply(s, "503 5.5.1 Error: need RCPT command");
		return;
	}
	reply(s, "354 End data with <CR><LF>.<CR><LF>");
	if (output_flush(s) == -1)
		return;

	memset(&sub, 0, sizeof(sub));
	sub.ignore_dots = 1;		/* data_read() finds the end */
	sub.sender = s->sender;		/* "" is the null sender */
	sub.rcpts = s->rcpts;
	sub.nrcpts = s->nrcpts;
	/* What the dialogue leaves open, the command line may give. */
	if (d != NULL) {
		sub.fullname = d->fullname;
		sub.body = d->body;
		sub.ret = d->ret;
		sub.envid = d->envid;
		sub.notify = d->notify;
	}
	if (s->body[0] != '\0')
		sub.body = s->body;
	if (s->ret[0] != '\0')
		sub.ret = s->ret;
	if (s->envid[0] != '\0')
		sub.envid = s->envid;
	/* One NOTIFY for the message: the recipients' if they agree, else
	 * none at all, so the relay's default applies to every one. */
	if (s->notify_mixed)
		sub.notify = NULL;
	else if (s->notify != 0) {
		notify_format(s->notify, notify, sizeof(notify));
		sub.notify = notify;
	}
	s->dstate = DATA_BOL;
	s->dtotal = 0;
	s->too_big = 0;
	why[0] = '\0';
	code = submit_message_from(s->cf, &sub, data_fill, s, id, why,
	    sizeof(why));
	transaction_reset(s);
	if (code == EX_OK) {
		s->queued++;
		reply(s, "250 2.0.0 Ok: queued as %s", id);
		return;
	}
	/* Whatever made submit stop early, the rest of the message is still
	 * coming: read it to the final dot so the next line is a command. */
	while (s->dstate != DATA_END)
		if (data_read(s, scratch, sizeof(scratch)) == -1)
			return;		/* the session is over */
	reply_safe(safe, sizeof(safe), why);
	/* submit words "message too large" also when its added header
	 * fields took a message just under the limit over it. */
	if (s->too_big || (code == EX_DATAERR &&
	    strcmp(why, "message too large") == 0))
		reply(s, "552 5.3.4 Message size exceeds fixed limit of %llu "
		    "bytes", (unsigned long long)s->cf->max_message_size);
	else if (code == EX_DATAERR)
		reply(s, "554 5.6.0 %s", safe);
	else
		reply(s, "451 4.3.0 %s", safe);
}

static void
cmd_help(struct session *s)
{
	reply(s, "214-2.0.0 relayq: a null client that queues mail for its "
	    "smart host");
	reply(s, "214-2.0.0 Commands: EHLO HELO MAIL RCPT DATA RSET NOOP "
	    "QUIT HELP VRFY");
	reply(s, "214 2.0.0 End of HELP");
}

/* A command line from the client: one verb, SP, arguments. */
static void
dispatch(struct session *s, char *line, size_t len)
{
	static const char *unimplemented[] = {
		"EXPN", "STARTTLS", "AUTH", "BDAT", "ETRN", "ATRN", "TURN",
		"SEND", "SOML", "SAML", "VERB",
	};
	char	*args;
	size_t	 i, vlen;

	if (memchr(line, '\0', len) != NULL) {
		reply(s, "500 5.5.2 Error: NUL byte in command");
		return;
	}
	/* Trailing blanks are a common slip that changes no meaning. */
	while (len > 0 && (line[len - 1] == ' ' || line[len - 1] == '\t'))
		line[--len] = '\0';
	vlen = strcspn(line, " ");
	args = line + vlen;
	if (*args == ' ')
		*args++ = '\0';
	for (i = 0; args[i] != '\0'; i++)
		if ((unsigned char)args[i] < 0x20 || args[i] == 0x7f) {
			reply(s, "501 5.5.4 Error: control character in "
			    "command");
			return;
		}

	if (strcasecmp(line, "EHLO") == 0)
		cmd_ehlo(s, args, 1);
	else if (strcasecmp(line, "HELO") == 0)
		cmd_ehlo(s, args, 0);
	else if (strcasecmp(line, "MAIL") == 0)
		cmd_mail(s, args);
	else if (strcasecmp(line, "RCPT") == 0)
		cmd_rcpt(s, args);
	else if (strcasecmp(line, "DATA") == 0)
		cmd_data(s, args);
	else if (strcasecmp(line, "RSET") == 0) {
		if (*args != '\0') {
			reply(s, "501 5.5.4 Syntax: RSET");
			return;
		}
		transaction_reset(s);
		reply(s, "250 2.0.0 Ok");
	} else if (strcasecmp(line, "NOOP") == 0)
		reply(s, "250 2.0.0 Ok");
	else if (strcasecmp(line, "QUIT") == 0) {
		if (*args != '\0') {
			reply(s, "501 5.5.4 Syntax: QUIT");
			return;
		}
		reply(s, "221 2.0.0 Bye");
		s->end = END_QUIT;
	} else if (strcasecmp(line, "HELP") == 0)
		cmd_help(s);
	else if (strcasecmp(line, "VRFY") == 0) {
		if (*args == '\0')
			reply(s, "501 5.5.4 Syntax: VRFY address");
		else
			reply(s, "252 2.5.2 Cannot VRFY user, but will accept "
			    "message and attempt delivery");
	} else {
		for (i = 0; i < ARRAY_LEN(unimplemented); i++)
			if (strcasecmp(line, unimplemented[i]) == 0) {
				reply(s, "502 5.5.1 Error: command not "
				    "implemented");
				return;
			}
		reply(s, "500 5.5.2 Error: command not recognized");
	}
}

int
smtp_server_run(struct config *cf, const struct submission *defaults,
    int in, int out, int *queued)
{
	struct session		*s;
	struct sigaction	 sa, oldsa;
	char			 line[SMTP_LINE_MAX + 1];
	size_t			 len;
	int			 rc, code;

	/* A client that goes away must end the session, not kill us half
	 * way through a queue file. */
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = SIG_IGN;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGPIPE, &sa, &oldsa);

	s = xcalloc(1, sizeof(*s));
	s->cf = cf;
	s->defaults = defaults;
	s->in = in;
	s->out = out;

	reply(s, "220 %s ESMTP relayq", conf_domain(cf));
	while (s->end == END_NONE) {
		rc = read_command(s, line, &len);
		if (rc == 0)
			break;
		if (rc == -1)
			reply(s, "500 5.5.6 Error: line too long");
		else
			dispatch(s, line, len);
	}
	if (s->end == END_TIMEOUT)
		reply(s, "421 4.4.2 %s Error: timeout exceeded",
		    conf_domain(cf));
	if (s->end != END_WRITE)
		(void)output_flush(s);

	switch (s->end) {
	case END_READ:
	case END_WRITE:
		code = EX_IOERR;
		break;
	case END_TIMEOUT:
		code = EX_TEMPFAIL;
		break;
	default:
		code = EX_OK;
		break;
	}
	*queued = s->queued;
	transaction_reset(s);
	free(s->rcpts);
	free(s);
	sigaction(SIGPIPE, &oldsa, NULL);
	return code;
}
