/*
 * dsn - delivery status notifications; see dsn.h.
 *
 * Everything but the original is built in a small buffer that is flushed
 * as it fills, so a bounce for thousands of recipients costs no more
 * memory than one for a single recipient.  The original is read twice:
 * once to choose the boundary, find the header section and see whether
 * it is 8-bit, before anything is written; once to copy it.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "dsn.h"
#include "util.h"

#define OUT_BUF		16384
#define FOLD_WIDTH	78	/* RFC 5322 2.1.1: SHOULD */
#define TEXT_WIDTH	76
#define BOUNDARY_PREFIX	"=_relayq-dsn_"	/* "=_" never occurs in QP */
#define BOUNDARY_RANDOM	16
#define BOUNDARY_LEN	(sizeof(BOUNDARY_PREFIX) - 1 + 2 * BOUNDARY_RANDOM)
#define BOUNDARY_TRIES	4
#define OURS_MAX	253	/* a domain name; also bounds a queue id */

/* The longest prefix of a cleaned value is "Final-Recipient: rfc822; ". */
_Static_assert(DSN_TEXT_MAX + 32 < DSN_LINE_MAX, "values must fit a line");

struct out {
	int	 fd;
	char	*buf;
	size_t	 len;
	int	 err;		/* errno of the first failure, or 0 */
};

/* What the first pass over the original found. */
struct orig_scan {
	uint64_t len;		/* bytes to return from orig_off */
	int	 eightbit;
	int	 collides;	/* the boundary occurs in those bytes */
};

static void
out_flush(struct out *o)
{
	/* After a failure the rest is dropped: the caller discards fd. */
	if (o->err == 0 && o->len > 0 &&
	    write_all(o->fd, o->buf, o->len) == -1)
		o->err = errno ? errno : EIO;
	o->len = 0;
}

static void
out_put(struct out *o, const char *p, size_t len)
{
	size_t	n;

	while (len > 0) {
		if (o->len == OUT_BUF)
			out_flush(o);
		n = OUT_BUF - o->len;
		if (n > len)
			n = len;
		memcpy(o->buf + o->len, p, n);
		o->len += n;
		p += n;
		len -= n;
	}
}

static void
out_str(struct out *o, const char *s)
{
	out_put(o, s, strlen(s));
}

static void out_fmt(struct out *, const char *, ...)
    __attribute__((format(printf, 2, 3)));

/* Short lines of our own only; outside text goes through put_folded. */
static void
out_fmt(struct out *o, const char *f, ...)
{
	char	 line[DSN_LINE_MAX + 2];
	va_list	 ap;
	int	 n;

	va_start(ap, f);
	n = vsnprintf(line, sizeof(line), f, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(line)) {
		/* A bug here, not bad input: fail rather than cut. */
		if (o->err == 0)
			o->err = EOVERFLOW;
		return;
	}
	out_put(o, line, (size_t)n);
}

/*
 * clean - s made safe to print: runs of CR, LF and TAB become one space
 * (a multi-line reply reads as one line and can start no new field),
 * leading and trailing spaces go, and escape_text turns every other
 * control byte, backslash and non-ASCII byte into \xNN.  At most
 * DSN_TEXT_MAX bytes, ending in "..." if cut.  malloc'd.
 */
static char *
clean(const char *s)
{
	size_t	 in = 0, n = 0, len;
	char	*tmp, *out, *bs;

	/* Every input byte gives at least one output byte, so more than
	 * DSN_TEXT_MAX + 1 input bytes cannot matter. */
	tmp = xmalloc(DSN_TEXT_MAX + 2);
	for (; s[in] != '\0' && n < DSN_TEXT_MAX + 1; in++) {
		if (s[in] == '\r' || s[in] == '\n' || s[in] == '\t' ||
		    s[in] == ' ') {
			if (n > 0 && tmp[n - 1] != ' ')
				tmp[n++] = ' ';
		} else
			tmp[n++] = s[in];
	}
	while (n > 0 && tmp[n - 1] == ' ')
		n--;
	out = xmalloc(4 * n + 1);
	escape_text(out, 4 * n + 1, tmp, n);
	free(tmp);
	len = strlen(out);
	while (s[in] == '\r' || s[in] == '\n' || s[in] == '\t' || s[in] == ' ')
		in++;
	if (len > DSN_TEXT_MAX || s[in] != '\0') {
		if (len > DSN_TEXT_MAX - 3)
			len = DSN_TEXT_MAX - 3;
		/* Backslash only starts escapes: do not split one. */
		out[len] = '\0';
		if ((bs = strrchr(out, '\\')) != NULL &&
		    (size_t)(bs - out) + 4 > len)
			len = (size_t)(bs - out);
		memcpy(out + len, "...", 4);
	}
	return out;
}

/* bracketed - "<" clean(s) ">", malloc'd. */
static char *
bracketed(const char *s)
{
	char	*c = clean(s), *out;
	size_t	 len = strlen(c) + 3;

	out = xmalloc(len);
	snprintf(out, len, "<%s>", c);
	free(c);
	return out;
}

/*
 * put_folded - first, then text broken at its spaces into lines of at
 * most width octets where the words allow, continuation lines starting
 * with indent.  With indent " " this is RFC 5322 folding: unfolding
 * restores each space that a line break replaced.  A word too long for
 * DSN_LINE_MAX is split where it must be; with values cut to DSN_TEXT_MAX
 * that cannot happen, but the line limit should not rest on a constant.
 */
static void
put_folded(struct out *o, const char *first, const char *indent,
    const char *text, size_t width)
{
	const char	*w, *end;
	size_t		 col, wl, room, ilen = strlen(indent);
	int		 words = 0;

	out_str(o, first);
	col = strlen(first);
	for (w = text; *w != '\0'; w = end) {
		while (*w == ' ')
			w++;
		if (*w == '\0')
			break;
		end = strchr(w, ' ');
		if (end == NULL)
			end = w + strlen(w);
		wl = (size_t)(end - w);
		if (words > 0 && col + 1 + wl > width) {
			out_put(o, "\n", 1);
			out_str(o, indent);
			col = ilen;
			words = 0;
		} else if (words > 0) {
			out_put(o, " ", 1);
			col++;
		}
		while (col + wl > DSN_LINE_MAX) {
			room = DSN_LINE_MAX - col;
			out_put(o, w, room);
			out_put(o, "\n", 1);
			out_str(o, indent);
			col = ilen;
			w += room;
			wl -= room;
		}
		out_put(o, w, wl);
		col += wl;
		words++;
	}
	out_put(o, "\n", 1);
}

static int
is_atext(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9') ||
	    (c != '\0' && strchr("!#$%&'*+-/=?^_`{|}~", c) != NULL);
}

/* dot-atom-text (RFC 5322 3.2.3) of at most max bytes. */
static int
dot_atom_ok(const char *s, size_t max)
{
	size_t	i;

	if (s == NULL || s[0] == '\0' || s[0] == '.')
		return 0;
	for (i = 0; s[i] != '\0'; i++) {
		if (i >= max)
			return 0;
		if (s[i] == '.') {
			if (s[i + 1] == '.' || s[i + 1] == '\0')
				return 0;
		} else if (!is_atext(s[i]))
			return 0;
	}
	return 1;
}

static int
is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* RFC 3463: class "." 1*3digit "." 1*3digit, class given. */
static int
status_ok(const char *s, char cls)
{
	int	part, digits;

	if (s[0] != cls || s[1] != '.')
		return 0;
	s += 2;
	for (part = 0; part < 2; part++) {
		for (digits = 0; is_digit(*s) && digits < 3; s++, digits++)
			;
		if (digits == 0)
			return 0;
		if (part == 0 && *s++ != '.')
			return 0;
	}
	return *s == '\0';
}

void
dsn_status(const struct dsn_rcpt *r, char out[12])
{
	char	cls = r->action == DSN_DELAYED ? '4' : '5';

	if (r->status != NULL && status_ok(r->status, cls))
		snprintf(out, 12, "%s", r->status);
	else
		snprintf(out, 12, "%c.0.0", cls);
}

/* "NNN" then space, '-' or the end: a reply from the relay, not ours. */
static int
is_smtp_reply(const char *s)
{
	return s[0] >= '2' && s[0] <= '5' && is_digit(s[1]) &&
	    is_digit(s[2]) && (s[3] == ' ' || s[3] == '-' || s[3] == '\0');
}

/* RFC 5322 3.3 date-time with English names, whatever LC_TIME says. */
static int
format_date(int64_t when, char *out, size_t len)
{
	static const char days[7][4] = {
		"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"
	};
	static const char months[12][4] = {
		"Jan", "Feb", "Mar", "Apr", "May", "Jun",
		"Jul", "Aug", "Sep", "Oct", "Nov", "Dec"
	};
	struct tm	tm;
	time_t		t = (time_t)when;
	char		zone[8];

	if ((int64_t)t != when || localtime_r(&t, &tm) == NULL)
		return -1;
	/* %z is digits and a sign in every locale. */
	if (strftime(zone, sizeof(zone), "%z", &tm) != 5 ||
	    tm.tm_wday < 0 || tm.tm_wday > 6 || tm.tm_mon < 0 ||
	    tm.tm_mon > 11 || tm.tm_year < 0)
		return -1;
	return fmt(out, len, "%s, %d %s %d %02d:%02d:%02d %s",
	    days[tm.tm_wday], tm.tm_mday, months[tm.tm_mon],
	    tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec, zone);
}

static int
hex_value(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* RFC 3461 4: the DSN carries the envelope id decoded from xtext; a '+'
 * without two hex digits is kept as it is.  malloc'd, still unsafe. */
static char *
xtext_decode(const char *s)
{
	char	*out = xmalloc(strlen(s) + 1), *o = out;
	int	 hi, lo;

	for (; *s != '\0'; s++) {
		if (*s == '+' && (hi = hex_value(s[1])) >= 0 &&
		    (lo = hex_value(s[2])) >= 0) {
			*o++ = (char)(hi << 4 | lo);
			s += 2;
		} else
			*o++ = *s;
	}
	*o = '\0';
	return out;
}

static int
random_hex(char *out, size_t nbytes)
{
	static const char hex[] = "0123456789abcdef";
	unsigned char	 r[32];
	size_t		 i;

	if (nbytes > sizeof(r) || random_bytes(r, nbytes) == -1)
		return -1;
	for (i = 0; i < nbytes; i++) {
		out[2 * i] = hex[r[i] >> 4];
		out[2 * i + 1] = hex[r[i] & 15];
	}
	out[2 * nbytes] = '\0';
	return 0;
}

static int
make_boundary(char out[BOUNDARY_LEN + 1])
{
	memcpy(out, BOUNDARY_PREFIX, sizeof(BOUNDARY_PREFIX) - 1);
	return random_hex(out + sizeof(BOUNDARY_PREFIX) - 1, BOUNDARY_RANDOM);
}

static int
contains(const char *hay, size_t len, const char *needle, size_t nlen)
{
	const char	*p;
	size_t		 i;

	for (i = 0; i + nlen <= len; i = (size_t)(p - hay) + 1) {
		if ((p = memchr(hay + i, needle[0], len - nlen - i + 1)) ==
		    NULL)
			return 0;
		if (memcmp(p, needle, nlen) == 0)
			return 1;
	}
	return 0;
}

/*
 * scan_original - the first pass: how many bytes to return (all, or the
 * header section: everything before the first empty line, LF or CRLF,
 * cut at a line end to DSN_HEADERS_MAX), whether they hold 8-bit bytes,
 * and whether boundary occurs in them.  Reading the whole range here
 * also means a short file fails before any output.
 */
static int
scan_original(const struct dsn_info *di, int headers_only,
    const char *boundary, struct orig_scan *sc, char *buf,
    char *why, size_t whylen)
{
	const size_t	 blen = strlen(boundary);
	uint64_t	 limit, pos = 0, line_start = 0;
	size_t		 carry = 0, n, i, used;
	unsigned	 linelen = 0;
	int		 first_cr = 0, done = 0;

	memset(sc, 0, sizeof(*sc));
	limit = di->orig_len;
	if (headers_only && limit > DSN_HEADERS_MAX)
		limit = DSN_HEADERS_MAX;
	sc->len = limit;
	while (pos < limit && !done) {
		n = limit - pos > DSN_CHUNK ? DSN_CHUNK : (size_t)(limit - pos);
		if (pread_all(di->orig_fd, buf + carry, n,
		    (off_t)(di->orig_off + pos)) == -1) {
			snprintf(why, whylen, "cannot read the original "
			    "message: %s", strerror(errno));
			return -1;
		}
		used = n;
		for (i = 0; i < n; i++) {
			unsigned char c = (unsigned char)buf[carry + i];

			if (c & 0x80)
				sc->eightbit = 1;
			if (!headers_only)
				continue;
			if (c == '\n') {
				if (linelen == 0 ||
				    (linelen == 1 && first_cr)) {
					sc->len = line_start;
					used = i;
					done = 1;
					break;
				}
				line_start = pos + i + 1;
				linelen = 0;
			} else {
				if (linelen == 0)
					first_cr = c == '\r';
				if (linelen < 2)
					linelen++;
			}
		}
		if (contains(buf, carry + used, boundary, blen))
			sc->collides = 1;
		pos += n;
		/* Keep the tail that could start a boundary split by the
		 * chunk edge. */
		if (carry + n >= blen - 1) {
			memmove(buf, buf + carry + n - (blen - 1), blen - 1);
			carry = blen - 1;
		} else
			carry += n;
	}
	/* A header section cut by DSN_HEADERS_MAX ends at its last line
	 * end, if it has one; bytes scanned past it only make the 8-bit and
	 * boundary verdicts err on the safe side. */
	if (headers_only && !done && limit < di->orig_len && line_start > 0)
		sc->len = line_start;
	return 0;
}

static int
copy_original(struct out *o, const struct dsn_info *di, uint64_t len,
    char *buf, char *why, size_t whylen)
{
	uint64_t	pos;
	size_t		n;

	out_flush(o);
	for (pos = 0; pos < len && o->err == 0; pos += n) {
		n = len - pos > DSN_CHUNK ? DSN_CHUNK : (size_t)(len - pos);
		if (pread_all(di->orig_fd, buf, n,
		    (off_t)(di->orig_off + pos)) == -1) {
			snprintf(why, whylen, "cannot read the original "
			    "message: %s", strerror(errno));
			return -1;
		}
		if (write_all(o->fd, buf, n) == -1)
			o->err = errno ? errno : EIO;
	}
	return 0;
}

static int
check_info(const struct dsn_info *di, char *why, size_t whylen)
{
	size_t	i;

	if (!dot_atom_ok(di->reporting_mta, OURS_MAX)) {
		snprintf(why, whylen, "bad reporting host name");
		return -1;
	}
	if (!dot_atom_ok(di->domain, OURS_MAX)) {
		snprintf(why, whylen, "bad domain");
		return -1;
	}
	if (!dot_atom_ok(di->queue_id, OURS_MAX)) {
		snprintf(why, whylen, "bad queue id");
		return -1;
	}
	if (di->to == NULL || di->to[0] == '\0') {
		snprintf(why, whylen, "no bounce to the null sender");
		return -1;
	}
	if (di->nrcpts == 0 || di->rcpts == NULL) {
		snprintf(why, whylen, "no recipients to report");
		return -1;
	}
	for (i = 0; i < di->nrcpts; i++) {
		if (di->rcpts[i].addr == NULL || di->rcpts[i].addr[0] == '\0') {
			snprintf(why, whylen, "recipient %zu has no address",
			    i + 1);
			return -1;
		}
		if (di->rcpts[i].action != DSN_FAILED &&
		    di->rcpts[i].action != DSN_DELAYED) {
			snprintf(why, whylen, "recipient %zu has no action",
			    i + 1);
			return -1;
		}
	}
	/* off_t is 64 bits (AC_SYS_LARGEFILE). */
	if (di->orig_off > (uint64_t)INT64_MAX ||
	    di->orig_len > (uint64_t)INT64_MAX - di->orig_off) {
		snprintf(why, whylen, "original message out of range");
		return -1;
	}
	return 0;
}

static void
put_headers(struct out *o, const struct dsn_info *di, int all_delayed,
    const char *boundary, int eightbit, const char *msgid_random)
{
	char	 date[64], *to;

	out_fmt(o, "From: Mail Delivery System <MAILER-DAEMON@%s>\n",
	    di->domain);
	to = bracketed(di->to);
	put_folded(o, "To: ", " ", to, FOLD_WIDTH);
	free(to);
	out_fmt(o, "Subject: %s\n", all_delayed ?
	    "Delayed Mail (still being retried)" :
	    "Undelivered Mail Returned to Sender");
	if (format_date(time(NULL), date, sizeof(date)) != -1)
		out_fmt(o, "Date: %s\n", date);
	out_fmt(o, "Message-ID: <%s.dsn.%s@%s>\n", di->queue_id,
	    msgid_random, di->domain);
	out_str(o, "Auto-Submitted: auto-replied\n"
	    "MIME-Version: 1.0\n"
	    "Content-Type: multipart/report; report-type=delivery-status;\n");
	out_fmt(o, " boundary=\"%s\"\n", boundary);
	if (eightbit)
		out_str(o, "Content-Transfer-Encoding: 8bit\n");
	out_str(o, "\nThis is a MIME-encapsulated message.\n");
}

/* One recipient for people: its address, then why, indented. */
static void
put_text_rcpt(struct out *o, const struct dsn_rcpt *r)
{
	char	*addr, *diag, *host = NULL, *line;
	size_t	 len;

	addr = bracketed(r->addr);
	put_folded(o, "", "    ", addr, TEXT_WIDTH);
	free(addr);
	if (r->diagnostic == NULL || r->diagnostic[0] == '\0') {
		out_str(o, "    (no further information)\n");
		return;
	}
	diag = clean(r->diagnostic);
	if (is_smtp_reply(r->diagnostic)) {
		if (r->remote_mta != NULL && r->remote_mta[0] != '\0')
			host = clean(r->remote_mta);
		len = strlen(diag) + (host ? strlen(host) : 9) + 8;
		line = xmalloc(len);
		snprintf(line, len, "%s said: %s", host ? host : "the relay",
		    diag);
		put_folded(o, "    ", "    ", line, TEXT_WIDTH);
		free(line);
		free(host);
	} else
		put_folded(o, "    ", "    ", diag, TEXT_WIDTH);
	free(diag);
}

static void
put_text_part(struct out *o, const struct dsn_info *di, size_t nfailed,
    size_t ndelayed, int full)
{
	size_t	i;

	out_str(o, "Content-Description: Notification\n"
	    "Content-Type: text/plain; charset=us-ascii\n\n");
	out_fmt(o, "This is the mail delivery system at %s.\n\n",
	    di->reporting_mta);
	if (nfailed > 0) {
		out_str(o, "Your message could not be delivered to the "
		    "recipients below.\nDelivery will not be retried.\n\n");
		for (i = 0; i < di->nrcpts; i++)
			if (di->rcpts[i].action == DSN_FAILED) {
				put_text_rcpt(o, &di->rcpts[i]);
				out_put(o, "\n", 1);
			}
	}
	if (ndelayed > 0) {
		out_str(o, "Delivery of your message to the recipients below "
		    "has been delayed.\nIt is still being retried; you do "
		    "not need to send it again.\n\n");
		for (i = 0; i < di->nrcpts; i++)
			if (di->rcpts[i].action == DSN_DELAYED) {
				put_text_rcpt(o, &di->rcpts[i]);
				out_put(o, "\n", 1);
			}
	}
	out_fmt(o, "Queue ID: %s\n", di->queue_id);
	if (full)
		out_str(o, "Your message is attached below.\n");
	else if (di->return_headers_only)
		out_str(o, "The header section of your message is attached "
		    "below.\n");
	else
		out_fmt(o, "Your message is larger than %" PRIu64 " bytes, so "
		    "only its header section\nis attached below.\n",
		    di->max_return);
}

static void
put_status_part(struct out *o, const struct dsn_info *di)
{
	const struct dsn_rcpt *r;
	char	 date[64], status[12], *s, *v;
	size_t	 i;

	out_str(o, "Content-Description: Delivery report\n"
	    "Content-Type: message/delivery-status\n\n");
	if (di->envid != NULL && di->envid[0] != '\0') {
		v = xtext_decode(di->envid);
		s = clean(v);
		put_folded(o, "Original-Envelope-Id: ", " ", s, FOLD_WIDTH);
		free(s);
		free(v);
	}
	out_fmt(o, "Reporting-MTA: dns; %s\n", di->reporting_mta);
	out_fmt(o, "X-Relayq-Queue-ID: %s\n", di->queue_id);
	if (di->arrival > 0 &&
	    format_date(di->arrival, date, sizeof(date)) != -1)
		out_fmt(o, "Arrival-Date: %s\n", date);
	for (i = 0; i < di->nrcpts; i++) {
		r = &di->rcpts[i];
		out_put(o, "\n", 1);
		s = clean(r->addr);
		put_folded(o, "Final-Recipient: rfc822; ", " ", s, FOLD_WIDTH);
		free(s);
		out_fmt(o, "Action: %s\n",
		    r->action == DSN_DELAYED ? "delayed" : "failed");
		dsn_status(r, status);
		out_fmt(o, "Status: %s\n", status);
		if (r->remote_mta != NULL && r->remote_mta[0] != '\0') {
			s = clean(r->remote_mta);
			put_folded(o, "Remote-MTA: dns; ", " ", s, FOLD_WIDTH);
			free(s);
		}
		/* Our own words are in the text part: "smtp" would claim
		 * that a server said them. */
		if (r->diagnostic != NULL && is_smtp_reply(r->diagnostic)) {
			s = clean(r->diagnostic);
			put_folded(o, "Diagnostic-Code: smtp; ", " ", s,
			    FOLD_WIDTH);
			free(s);
		}
	}
}

int
dsn_write(int fd, const struct dsn_info *di, char *why, size_t whylen)
{
	struct out	 o;
	struct orig_scan sc;
	char		 boundary[BOUNDARY_LEN + 1], msgid_random[17];
	char		*buf;
	size_t		 i, nfailed = 0, ndelayed = 0;
	int		 full, tries, rv = -1;

	if (check_info(di, why, whylen) == -1)
		return -1;
	for (i = 0; i < di->nrcpts; i++) {
		if (di->rcpts[i].action == DSN_DELAYED)
			ndelayed++;
		else
			nfailed++;
	}
	full = !di->return_headers_only && di->orig_len <= di->max_return;

	buf = xmalloc(DSN_CHUNK + BOUNDARY_LEN);
	o.fd = fd;
	o.buf = xmalloc(OUT_BUF);
	o.len = 0;
	o.err = 0;

	/* 128 random bits cannot have been guessed by whoever wrote the
	 * original, but checking costs one read and makes it certain. */
	for (tries = 0; ; tries++) {
		if (tries == BOUNDARY_TRIES) {
			snprintf(why, whylen, "no usable MIME boundary");
			goto done;
		}
		if (make_boundary(boundary) == -1) {
			snprintf(why, whylen, "no random bytes: %s",
			    strerror(errno));
			goto done;
		}
		if (scan_original(di, !full, boundary, &sc, buf, why,
		    whylen) == -1)
			goto done;
		if (!sc.collides)
			break;
	}
	if (random_hex(msgid_random, 8) == -1) {
		snprintf(why, whylen, "no random bytes: %s", strerror(errno));
		goto done;
	}

	put_headers(&o, di, ndelayed == di->nrcpts, boundary, sc.eightbit,
	    msgid_random);
	out_fmt(&o, "\n--%s\n", boundary);
	put_text_part(&o, di, nfailed, ndelayed, full);
	out_fmt(&o, "\n--%s\n", boundary);
	put_status_part(&o, di);
	out_fmt(&o, "\n--%s\n", boundary);
	if (full)
		out_str(&o, "Content-Description: Undelivered message\n"
		    "Content-Type: message/rfc822\n");
	else
		out_str(&o, "Content-Description: Undelivered message "
		    "headers\nContent-Type: text/rfc822-headers\n");
	if (sc.eightbit)
		out_str(&o, "Content-Transfer-Encoding: 8bit\n");
	out_put(&o, "\n", 1);
	if (copy_original(&o, di, sc.len, buf, why, whylen) == -1)
		goto done;
	/* The line end before a delimiter belongs to it (RFC 2046 5.1.1),
	 * so the original keeps its own last line end, or lack of one. */
	out_fmt(&o, "\n--%s--\n", boundary);
	out_flush(&o);
	if (o.err != 0) {
		snprintf(why, whylen, "cannot write the report: %s",
		    strerror(o.err));
		goto done;
	}
	rv = 0;
done:
	free(o.buf);
	free(buf);
	return rv;
}
