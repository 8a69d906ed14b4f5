/*
 * test_dsn.c - unit tests for src/dsn.c, delivery status notifications
 * (see dsn.h).
 *
 * Every bounce is written to a real file made with mkstemp in /tmp, from
 * an original that sits between other bytes in its file (as in a queue
 * file), and then read back twice: by a small MIME checker here, which
 * finds the boundary, the three parts and their bodies, compares the
 * returned bytes exactly, and checks line lengths, the 7-bit output and
 * every field name; and by Python's email package (/usr/bin/python3),
 * which must parse it without a defect and agree on the report.  Both
 * reduce the delivery-status part to the same "msg ..." and "rcpt ..."
 * lines, so each expectation is checked against both.  Without Python
 * only the C checker runs.  TZ is UTC so dates are exact.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <inttypes.h>
#include <fcntl.h>
#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "dsn.h"
#include "testlib.h"

#define PYTHON		"/usr/bin/python3"
#define TEST_ID		"0123456789ABCDEF0123"
#define ARRIVAL		1700000000	/* Tue, 14 Nov 2023 22:13:20 UTC */
#define ARRIVAL_DATE	"Tue, 14 Nov 2023 22:13:20 +0000"

/*
 * The Python half of the checker: the same summary lines as ds_summary()
 * below, plus what only a full parser can say (defects, parameters).
 */
static const char checker_py[] =
    "import re, sys, email, email.utils\n"
    "from email import policy\n"
    "sys.stdout.reconfigure(errors='backslashreplace')\n"
    "m = email.message_from_bytes(open(sys.argv[1], 'rb').read(),\n"
    "    policy=policy.compat32)\n"
    "def unfold(v):\n"
    "    return re.sub(r'\\r?\\n(?=[ \\t])', '', str(v))\n"
    "def fields(h):\n"
    "    return '|'.join('%s: %s' % (k, unfold(v)) for k, v in h.items())\n"
    "def epoch(v):\n"
    "    return int(email.utils.parsedate_to_datetime(v).timestamp())\n"
    "print('defects', sum(len(p.defects) for p in m.walk()))\n"
    "print('type', m.get_content_type())\n"
    "print('report-type', m.get_param('report-type'))\n"
    "print('keys', ','.join(m.keys()))\n"
    "for k, v in m.items():\n"
    "    print('hdr %s: %s' % (k, unfold(v)))\n"
    "print('date', epoch(m['Date']))\n"
    "parts = m.get_payload() if m.is_multipart() else []\n"
    "print('nparts', len(parts))\n"
    "for i, p in enumerate(parts):\n"
    "    print('part', i, p.get_content_type(), p.get_param('charset') or"
    " '-',\n"
    "        p.get('Content-Transfer-Encoding', '-'))\n"
    "    if p.get_content_type() == 'message/delivery-status':\n"
    "        for j, b in enumerate(p.get_payload()):\n"
    "            print('msg' if j == 0 else 'rcpt', fields(b))\n"
    "            if j == 0 and b['Arrival-Date']:\n"
    "                print('arrival', epoch(b['Arrival-Date']))\n"
    "    if p.get_content_type() == 'message/rfc822':\n"
    "        print('inner-subject', p.get_payload(0)['Subject'])\n";

static char	py_script[64];	/* "" when there is no Python */

struct orig {
	int		 fd;
	uint64_t	 off, len;
	const char	*data;
};

struct bounce {
	char	*buf;		/* the output, NUL-terminated */
	size_t	 len;
	char	 path[64];
	char	 boundary[80];
	size_t	 hdr[3];	/* each part's header section */
	size_t	 body[3];	/* each part's content: [body, end) */
	size_t	 end[3];
	char	*ds;		/* "\nmsg ...\nrcpt ...\n" from the C side */
	char	*py;		/* Python's summary, or NULL */
};

/* ---- helpers ---- */

static char *
repeat(const char *unit, size_t n)
{
	size_t	 ul = strlen(unit), i;
	char	*s = malloc(ul * n + 1);

	assert_non_null(s);
	for (i = 0; i < n; i++)
		memcpy(s + i * ul, unit, ul);
	s[ul * n] = '\0';
	return s;
}

/* The original between a fake queue-file head and trailer, so a read
 * outside [off, off + len) shows up in the returned bytes. */
static void
orig_make(struct orig *o, const char *data, size_t len)
{
	static const char before[] = "relayq 1\nI X\nF s@x\nT r@y\n\n";
	static const char after[] = "relayq-end 00000000000000000000\n";
	char	path[] = "/tmp/test_dsn.orig.XXXXXX";

	o->fd = tmp_unlinked(path);
	write_exact(o->fd, before, sizeof(before) - 1);
	write_exact(o->fd, data, len);
	write_exact(o->fd, after, sizeof(after) - 1);
	o->off = sizeof(before) - 1;
	o->len = len;
	o->data = data;
}

static void
info_init(struct dsn_info *di, const struct orig *o,
    const struct dsn_rcpt *rcpts, size_t n)
{
	memset(di, 0, sizeof(*di));
	di->reporting_mta = "mx.example.com";
	di->domain = "example.com";
	di->to = "sender@example.com";
	di->queue_id = TEST_ID;
	di->arrival = ARRIVAL;
	di->rcpts = rcpts;
	di->nrcpts = n;
	di->orig_fd = o->fd;
	di->orig_off = o->off;
	di->orig_len = o->len;
	di->max_return = 10 * 1024 * 1024;
}

static int
has_line(const char *hay, const char *line)
{
	size_t	 len = strlen(line);
	const char *p = hay;

	while ((p = strstr(p, line)) != NULL) {
		if ((p == hay || p[-1] == '\n') &&
		    (p[len] == '\n' || p[len] == '\0'))
			return 1;
		p++;
	}
	return 0;
}

/* Both checkers must have seen this "msg ..." or "rcpt ..." line. */
static void
expect(const struct bounce *b, const char *line)
{
	if (!has_line(b->ds, line))
		fail_msg("C checker: no line \"%s\" in:%s", line, b->ds);
	if (b->py != NULL && !has_line(b->py, line))
		fail_msg("Python: no line \"%s\" in:\n%s", line, b->py);
}

static void
expect_py(const struct bounce *b, const char *line)
{
	if (b->py != NULL && !has_line(b->py, line))
		fail_msg("Python: no line \"%s\" in:\n%s", line, b->py);
}

static size_t
count(const char *hay, size_t len, const char *needle)
{
	size_t	n = 0, nl = strlen(needle), i;

	for (i = 0; i + nl <= len; i++)
		if (memcmp(hay + i, needle, nl) == 0)
			n++;
	return n;
}

static int
name_in(const char *line, size_t len, const char *const *names)
{
	size_t	nl;

	for (; *names != NULL; names++) {
		nl = strlen(*names);
		if (len > nl && strncasecmp(line, *names, nl) == 0 &&
		    line[nl] == ':')
			return 1;
	}
	return 0;
}

/* Every line in [start, end) is a field with one of names, or continues
 * one; end is the empty line after them. */
static void
check_fields(const struct bounce *b, size_t start, size_t end,
    const char *const *names, const char *what)
{
	size_t	p = start, e;

	while (p < end) {
		e = (size_t)((char *)memchr(b->buf + p, '\n', end - p) -
		    b->buf);
		if (e == p)
			break;	/* a block ends */
		if (b->buf[p] != ' ' && b->buf[p] != '\t' &&
		    !name_in(b->buf + p, e - p, names))
			fail_msg("%s: unexpected line \"%.*s\"", what,
			    (int)(e - p > 80 ? 80 : e - p), b->buf + p);
		p = e + 1;
	}
}

static const char *const top_names[] = {
	"From", "To", "Subject", "Date", "Message-ID", "Auto-Submitted",
	"MIME-Version", "Content-Type", "Content-Transfer-Encoding", NULL
};
static const char *const part_names[] = {
	"Content-Description", "Content-Type", "Content-Transfer-Encoding",
	NULL
};
static const char *const ds_names[] = {
	"Original-Envelope-Id", "Reporting-MTA", "X-Relayq-Queue-ID",
	"Arrival-Date", "Final-Recipient", "Action", "Status", "Remote-MTA",
	"Diagnostic-Code", NULL
};

/* The delivery-status part as "msg f: v|f: v" and "rcpt ..." lines,
 * unfolded as RFC 5322 says: a line end before WSP goes. */
static char *
ds_summary(const struct bounce *b)
{
	const char	*p = b->buf + b->body[1], *end = b->buf + b->end[1];
	char		*out, *o;
	int		 bol = 1;

	/* Each "\n\n" becomes "\nrcpt ": at most 3 bytes for every 1. */
	out = malloc(3 * (b->end[1] - b->body[1]) + 64);
	o = out;

	assert_non_null(out);
	o += sprintf(o, "\nmsg ");
	for (; p < end; p++) {
		if (*p == '\n' && p + 1 < end && (p[1] == ' ' || p[1] == '\t'))
			continue;
		if (*p == '\n') {
			if (bol) {	/* empty line: a new block */
				o += sprintf(o, "\nrcpt ");
			} else if (p + 1 < end && p[1] != '\n')
				*o++ = '|';
			bol = 1;
			continue;
		}
		bol = 0;
		*o++ = *p;
	}
	*o++ = '\n';
	*o = '\0';
	return out;
}

static void
run_python(struct bounce *b)
{
	char	 cmd[256], *out;
	size_t	 len = 0, cap = 4096;
	size_t	 n;
	FILE	*fp;
	int	 status;

	b->py = NULL;
	if (py_script[0] == '\0')
		return;
	snprintf(cmd, sizeof(cmd), "%s %s %s 2>&1", PYTHON, py_script,
	    b->path);
	fp = popen(cmd, "r");
	assert_non_null(fp);
	out = malloc(cap);
	assert_non_null(out);
	out[len++] = '\n';
	while ((n = fread(out + len, 1, cap - len - 1, fp)) > 0) {
		len += n;
		if (cap - len < 1024) {
			cap *= 2;
			out = realloc(out, cap);
			assert_non_null(out);
		}
	}
	out[len] = '\0';
	status = pclose(fp);
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
		fail_msg("python failed on %s:\n%s", b->path, out);
	b->py = out;
}

/* Part i's header section has this line. */
static int
part_header_has(const struct bounce *b, int i, const char *line)
{
	char	*h;
	int	 rv;

	h = malloc(b->body[i] - b->hdr[i] + 1);
	assert_non_null(h);
	memcpy(h, b->buf + b->hdr[i], b->body[i] - b->hdr[i]);
	h[b->body[i] - b->hdr[i]] = '\0';
	rv = has_line(h, line);
	free(h);
	return rv;
}

/*
 * The MIME checker: one top-level header section naming a boundary that
 * occurs exactly five times (parameter, three delimiters, the close
 * delimiter ending the output), three parts with known fields, no line
 * over 998 octets, and outside the returned original only printable
 * ASCII and LF.
 */
static void
parse_bounce(struct bounce *b)
{
	char	 delim[96], close[96];
	char	*p, *q, *e;
	size_t	 i, dl, line = 0, start = 0;

	p = strstr(b->buf, "\n\n");
	assert_non_null(p);
	check_fields(b, 0, (size_t)(p - b->buf) + 1, top_names, "header");
	q = strstr(b->buf, "boundary=\"");
	assert_true(q != NULL && q < p);
	q += 10;
	e = strchr(q, '"');
	assert_true(e != NULL && e - q > 0 && e - q < 71);
	memcpy(b->boundary, q, (size_t)(e - q));
	b->boundary[e - q] = '\0';
	assert_int_equal(count(b->buf, b->len, b->boundary), 5);

	snprintf(delim, sizeof(delim), "\n--%s\n", b->boundary);
	snprintf(close, sizeof(close), "\n--%s--\n", b->boundary);
	dl = strlen(delim);
	q = b->buf;
	for (i = 0; i < 3; i++) {
		q = strstr(q, delim);
		assert_non_null(q);
		b->hdr[i] = (size_t)(q - b->buf) + dl;
		e = strstr(b->buf + b->hdr[i], "\n\n");
		assert_non_null(e);
		check_fields(b, b->hdr[i], (size_t)(e - b->buf) + 1,
		    part_names, "part header");
		b->body[i] = (size_t)(e - b->buf) + 2;
		if (i > 0)
			b->end[i - 1] = (size_t)(q - b->buf);
		q += dl;
	}
	/* The close delimiter ends the message; the original may contain
	 * anything, so search from the end. */
	assert_true(b->len >= strlen(close));
	assert_memory_equal(b->buf + b->len - strlen(close), close,
	    strlen(close));
	b->end[2] = b->len - strlen(close);
	assert_true(b->end[2] >= b->body[2]);

	for (i = 0; i <= b->len; i++) {
		if (i == b->len || b->buf[i] == '\n') {
			line = i - start;
			if (line > 0 && b->buf[i - 1] == '\r')
				line--;
			if (line > 998)
				fail_msg("line of %zu octets at %zu", line,
				    start);
			start = i + 1;
			continue;
		}
		if (i >= b->body[2] && i < b->end[2])
			continue;
		if ((unsigned char)b->buf[i] >= 0x7f ||
		    (unsigned char)b->buf[i] < 0x20)
			fail_msg("byte 0x%02x at %zu outside the original",
			    (unsigned char)b->buf[i], i);
	}
	assert_true(part_header_has(b, 0,
	    "Content-Type: text/plain; charset=us-ascii"));
	assert_true(part_header_has(b, 1,
	    "Content-Type: message/delivery-status"));
	check_fields(b, b->body[1], b->end[1], ds_names, "delivery-status");
	b->ds = ds_summary(b);
}

static void
bounce_make(const struct dsn_info *di, struct bounce *b)
{
	char		why[256];
	struct stat	st;
	int		fd;

	memset(b, 0, sizeof(*b));
	snprintf(b->path, sizeof(b->path), "/tmp/test_dsn.out.XXXXXX");
	fd = tmp_make(b->path);
	why[0] = '\0';
	if (dsn_write(fd, di, why, sizeof(why)) != 0)
		fail_msg("dsn_write: %s", why);
	assert_int_equal(fstat(fd, &st), 0);
	b->len = (size_t)st.st_size;
	b->buf = malloc(b->len + 1);
	assert_non_null(b->buf);
	assert_int_equal(pread(fd, b->buf, b->len, 0), (ssize_t)b->len);
	b->buf[b->len] = '\0';
	assert_int_equal(close(fd), 0);
	parse_bounce(b);
	run_python(b);
	if (b->py != NULL) {
		expect_py(b, "defects 0");
		expect_py(b, "type multipart/report");
		expect_py(b, "report-type delivery-status");
		expect_py(b, "nparts 3");
		expect_py(b, "part 0 text/plain us-ascii -");
	}
}

static void
bounce_free(struct bounce *b)
{
	unlink(b->path);
	free(b->buf);
	free(b->ds);
	free(b->py);
}

/* The third part is exactly the original, or its first hlen bytes. */
static void
expect_returned(const struct bounce *b, const struct orig *o, int full,
    size_t hlen)
{
	size_t	want = full ? o->len : hlen;

	assert_true(part_header_has(b, 2, full ?
	    "Content-Type: message/rfc822" :
	    "Content-Type: text/rfc822-headers"));
	assert_int_equal(b->end[2] - b->body[2], want);
	if (want > 0)
		assert_memory_equal(b->buf + b->body[2], o->data, want);
}

/* The part text between its header and the next delimiter. */
static char *
part_text(const struct bounce *b, int i)
{
	char	*s = malloc(b->end[i] - b->body[i] + 1);

	assert_non_null(s);
	memcpy(s, b->buf + b->body[i], b->end[i] - b->body[i]);
	s[b->end[i] - b->body[i]] = '\0';
	return s;
}

static const char simple_msg[] =
    "From: Sender <sender@example.com>\n"
    "To: rcpt@example.org\n"
    "Subject: hello there\n"
    "Message-ID: <abc@example.com>\n"
    "\n"
    "Body line one.\n"
    "\n"
    "Body after an empty line.\n";

/* ---- tests ---- */

static void
test_status(void **state)
{
	static const struct {
		enum dsn_action	 action;
		const char	*in;
		const char	*want;
	} t[] = {
		{ DSN_FAILED, NULL, "5.0.0" },
		{ DSN_DELAYED, NULL, "4.0.0" },
		{ DSN_FAILED, "5.1.1", "5.1.1" },
		{ DSN_FAILED, "5.7.1", "5.7.1" },
		{ DSN_FAILED, "5.123.456", "5.123.456" },
		{ DSN_FAILED, "5.01.0", "5.01.0" },
		{ DSN_DELAYED, "4.4.1", "4.4.1" },
		{ DSN_FAILED, "4.4.1", "5.0.0" },	/* class mismatch */
		{ DSN_DELAYED, "5.1.1", "4.0.0" },
		{ DSN_FAILED, "2.0.0", "5.0.0" },
		{ DSN_FAILED, "5.1", "5.0.0" },
		{ DSN_FAILED, "5.1.", "5.0.0" },
		{ DSN_FAILED, "5..1", "5.0.0" },
		{ DSN_FAILED, "5.1234.1", "5.0.0" },
		{ DSN_FAILED, "5.1.1234", "5.0.0" },
		{ DSN_FAILED, "5.1.1 ", "5.0.0" },
		{ DSN_FAILED, " 5.1.1", "5.0.0" },
		{ DSN_FAILED, "5.1.1\r\nBcc: x", "5.0.0" },
		{ DSN_FAILED, "5.a.1", "5.0.0" },
		{ DSN_FAILED, "", "5.0.0" },
		{ DSN_FAILED, "550", "5.0.0" },
	};
	struct dsn_rcpt	r;
	char		out[12];
	size_t		i;

	(void)state;
	for (i = 0; i < NELEM(t); i++) {
		memset(&r, 0, sizeof(r));
		r.addr = "a@b";
		r.action = t[i].action;
		r.status = t[i].in;
		dsn_status(&r, out);
		if (strcmp(out, t[i].want) != 0)
			fail_msg("status \"%s\": got %s, want %s",
			    t[i].in ? t[i].in : "(null)", out, t[i].want);
	}
}

static void
test_one_failed_full(void **state)
{
	const struct dsn_rcpt r[] = {
		{ "rcpt@example.org", DSN_FAILED, "5.1.1",
		  "550 5.1.1 <rcpt@example.org>: no such user",
		  "mail.example.org" },
	};
	struct dsn_info	di;
	struct orig	o;
	struct bounce	b;
	char		*text;
	const char	*head = "From: Mail Delivery System "
	    "<MAILER-DAEMON@example.com>\nTo: <sender@example.com>\n"
	    "Subject: Undelivered Mail Returned to Sender\nDate: ";

	(void)state;
	orig_make(&o, simple_msg, sizeof(simple_msg) - 1);
	info_init(&di, &o, r, NELEM(r));
	bounce_make(&di, &b);

	assert_true(strncmp(b.buf, head, strlen(head)) == 0);
	assert_true(has_line(b.buf, "Auto-Submitted: auto-replied"));
	assert_true(has_line(b.buf, "MIME-Version: 1.0"));
	assert_non_null(strstr(b.buf, "\nMessage-ID: <" TEST_ID ".dsn."));
	assert_non_null(strstr(b.buf, "@example.com>\n"));
	assert_null(strstr(b.buf, "Content-Transfer-Encoding"));
	expect_py(&b, "keys From,To,Subject,Date,Message-ID,Auto-Submitted,"
	    "MIME-Version,Content-Type");
	expect_py(&b, "part 1 message/delivery-status - -");
	expect_py(&b, "part 2 message/rfc822 - -");
	expect_py(&b, "inner-subject hello there");
	expect(&b, "msg Reporting-MTA: dns; mx.example.com|"
	    "X-Relayq-Queue-ID: " TEST_ID "|Arrival-Date: " ARRIVAL_DATE);
	expect(&b, "rcpt Final-Recipient: rfc822; rcpt@example.org|"
	    "Action: failed|Status: 5.1.1|Remote-MTA: dns; mail.example.org|"
	    "Diagnostic-Code: smtp; 550 5.1.1 <rcpt@example.org>: no such "
	    "user");
	expect_py(&b, "arrival 1700000000");
	expect_returned(&b, &o, 1, 0);

	text = part_text(&b, 0);
	assert_non_null(strstr(text, "mx.example.com"));
	assert_non_null(strstr(text, "\n<rcpt@example.org>\n    "
	    "mail.example.org said: 550 5.1.1 <rcpt@example.org>: no such "
	    "user\n"));
	assert_non_null(strstr(text, "Your message is attached below."));
	assert_null(strstr(text, "delayed"));
	free(text);
	bounce_free(&b);
	close(o.fd);
}

static void
test_three_rcpts(void **state)
{
	static const char crlf_msg[] =
	    "From: a@example.com\r\n"
	    "Subject: three\r\n"
	    "X-Long: folded\r\n"
	    "  continuation\r\n"
	    "\r\n"
	    "body\r\n";
	const struct dsn_rcpt r[] = {
		{ "one@example.org", DSN_FAILED, NULL,
		  "550 5.7.1 relaying denied", "smart.example.net" },
		{ "two@example.org", DSN_FAILED, "5.4.7",
		  "expired in queue after 5 days", NULL },
		{ "three@example.org", DSN_DELAYED, NULL,
		  "451 4.3.0 try again later", NULL },
	};
	struct dsn_info	di;
	struct orig	o;
	struct bounce	b;
	char		*text, *p1, *p2, *p3, *pd;

	(void)state;
	orig_make(&o, crlf_msg, sizeof(crlf_msg) - 1);
	info_init(&di, &o, r, NELEM(r));
	di.envid = "QQ314159";
	bounce_make(&di, &b);

	assert_true(has_line(b.buf,
	    "Subject: Undelivered Mail Returned to Sender"));
	expect(&b, "msg Original-Envelope-Id: QQ314159|"
	    "Reporting-MTA: dns; mx.example.com|"
	    "X-Relayq-Queue-ID: " TEST_ID "|Arrival-Date: " ARRIVAL_DATE);
	/* A status the relay's reply does not give is the class default. */
	expect(&b, "rcpt Final-Recipient: rfc822; one@example.org|"
	    "Action: failed|Status: 5.0.0|Remote-MTA: dns; smart.example.net|"
	    "Diagnostic-Code: smtp; 550 5.7.1 relaying denied");
	/* Our own words: no Diagnostic-Code claiming SMTP said them. */
	expect(&b, "rcpt Final-Recipient: rfc822; two@example.org|"
	    "Action: failed|Status: 5.4.7");
	expect(&b, "rcpt Final-Recipient: rfc822; three@example.org|"
	    "Action: delayed|Status: 4.0.0|"
	    "Diagnostic-Code: smtp; 451 4.3.0 try again later");
	assert_int_equal(count(b.ds, strlen(b.ds), "\nrcpt "), 3);
	expect_returned(&b, &o, 1, 0);
	expect_py(&b, "inner-subject three");

	text = part_text(&b, 0);
	p1 = strstr(text, "<one@example.org>\n    smart.example.net said: "
	    "550 5.7.1 relaying denied\n");
	p2 = strstr(text, "<two@example.org>\n    expired in queue after 5 "
	    "days\n");
	pd = strstr(text, "has been delayed");
	p3 = strstr(text, "<three@example.org>\n    the relay said: 451 "
	    "4.3.0 try again later\n");
	assert_true(p1 && p2 && pd && p3);
	assert_true(p1 < p2 && p2 < pd && pd < p3);
	free(text);
	bounce_free(&b);
	close(o.fd);
}

static void
test_headers_only(void **state)
{
	static const char crlf_msg[] =
	    "From: a@example.com\r\n"
	    "Subject: hdrs\r\n"
	    "\r\n"
	    "secret body\r\n";
	const struct dsn_rcpt r[] = {
		{ "x@example.org", DSN_FAILED, "5.1.1", "550 no", NULL },
	};
	struct dsn_info	di;
	struct orig	o;
	struct bounce	b;
	char		*text;

	(void)state;
	orig_make(&o, crlf_msg, sizeof(crlf_msg) - 1);
	info_init(&di, &o, r, NELEM(r));
	di.return_headers_only = 1;
	bounce_make(&di, &b);
	expect_returned(&b, &o, 0, strlen("From: a@example.com\r\n"
	    "Subject: hdrs\r\n"));
	assert_null(strstr(b.buf, "secret body"));
	expect_py(&b, "part 2 text/rfc822-headers - -");
	text = part_text(&b, 0);
	assert_non_null(strstr(text, "The header section of your message"));
	free(text);
	bounce_free(&b);
	close(o.fd);

	/* LF ends, and the end of the header section is a lone LF. */
	orig_make(&o, simple_msg, sizeof(simple_msg) - 1);
	info_init(&di, &o, r, NELEM(r));
	di.return_headers_only = 1;
	bounce_make(&di, &b);
	expect_returned(&b, &o, 0, (size_t)(strstr(simple_msg, "\n\n") -
	    simple_msg) + 1);
	bounce_free(&b);
	close(o.fd);
}

static void
test_oversize(void **state)
{
	const struct dsn_rcpt r[] = {
		{ "big@example.org", DSN_FAILED, "5.3.4",
		  "552 5.3.4 message too big", "mail.example.org" },
	};
	struct dsn_info	di;
	struct orig	o;
	struct bounce	b;
	char		*msg, *text, *p, want[128];
	size_t		 i, hlen;

	(void)state;
	/* 300 kB: several DSN_CHUNKs, so streaming and chunk edges count. */
	msg = malloc(600000);
	assert_non_null(msg);
	p = msg + sprintf(msg, "From: a@example.com\nSubject: big\n\n");
	hlen = strlen("From: a@example.com\nSubject: big\n");
	for (i = 0; i < 10000; i++)
		p += sprintf(p, "line %06zu of a large body, 30 bytes more\n",
		    i);
	orig_make(&o, msg, (size_t)(p - msg));
	assert_true(o.len > 4 * DSN_CHUNK);

	info_init(&di, &o, r, NELEM(r));
	di.max_return = o.len - 1;
	bounce_make(&di, &b);
	expect_returned(&b, &o, 0, hlen);
	expect_py(&b, "part 2 text/rfc822-headers - -");
	text = part_text(&b, 0);
	snprintf(want, sizeof(want), "Your message is larger than %" PRIu64
	    " bytes", o.len - 1);
	assert_non_null(strstr(text, want));
	free(text);
	bounce_free(&b);

	/* Exactly max_return: returned whole. */
	di.max_return = o.len;
	bounce_make(&di, &b);
	expect_returned(&b, &o, 1, 0);
	expect_py(&b, "inner-subject big");
	bounce_free(&b);
	free(msg);
	close(o.fd);
}

static void
test_delayed_only(void **state)
{
	const struct dsn_rcpt r[] = {
		{ "slow@example.org", DSN_DELAYED, "4.4.1",
		  "421 4.4.1 connection timed out", "mail.example.org" },
		{ "slower@example.org", DSN_DELAYED, "5.1.1",
		  "no answer from the relay for 4 hours", NULL },
	};
	struct dsn_info	di;
	struct orig	o;
	struct bounce	b;
	char		*text;

	(void)state;
	orig_make(&o, simple_msg, sizeof(simple_msg) - 1);
	info_init(&di, &o, r, NELEM(r));
	bounce_make(&di, &b);
	assert_true(has_line(b.buf,
	    "Subject: Delayed Mail (still being retried)"));
	expect_py(&b, "hdr Subject: Delayed Mail (still being retried)");
	expect(&b, "rcpt Final-Recipient: rfc822; slow@example.org|"
	    "Action: delayed|Status: 4.4.1|Remote-MTA: dns; mail.example.org|"
	    "Diagnostic-Code: smtp; 421 4.4.1 connection timed out");
	expect(&b, "rcpt Final-Recipient: rfc822; slower@example.org|"
	    "Action: delayed|Status: 4.0.0");
	assert_null(strstr(b.ds, "Action: failed"));
	text = part_text(&b, 0);
	assert_non_null(strstr(text, "still being retried"));
	assert_null(strstr(text, "could not be delivered"));
	free(text);
	expect_returned(&b, &o, 1, 0);
	bounce_free(&b);
	close(o.fd);
}

/* No generated line may start a field an attacker chose. */
static void
assert_no_injected(const struct bounce *b)
{
	size_t	i;

	for (i = 0; i < b->len; i++) {
		if (i >= b->body[2] && i < b->end[2])
			continue;
		if (i > 0 && b->buf[i - 1] != '\n')
			continue;
		if (strncasecmp(b->buf + i, "Bcc:", 4) == 0 ||
		    strncasecmp(b->buf + i, "X-Injected:", 11) == 0)
			fail_msg("injected field at %zu: %.40s", i,
			    b->buf + i);
	}
}

static void
test_hostile(void **state)
{
	const struct dsn_rcpt r[] = {
		{ "a@b\r\nBcc: evil2@x", DSN_FAILED, "5.1.1\r\nBcc: x",
		  "550 x\r\nBcc: evil", "evil\r\nX-Injected: 1" },
		{ "c@d", DSN_FAILED, NULL,
		  "550 caf\xc3\xa9 \\x41 \x01\x7f\tend\n\n\n", "h\x1b[2J" },
		{ "e@f", DSN_DELAYED, NULL,
		  "451-first line\r\n451-Bcc: evil\r\n451 last", NULL },
		{ "g@h", DSN_FAILED, NULL,
		  "our text\nX-Injected: 2\r\n\r\n--fake-boundary--", NULL },
	};
	struct dsn_info	di;
	struct orig	o;
	struct bounce	b;
	char		*text;

	(void)state;
	orig_make(&o, simple_msg, sizeof(simple_msg) - 1);
	info_init(&di, &o, r, NELEM(r));
	di.to = "s@x\nBcc: e@x";
	di.envid = "x+0D+0ABcc:+20evil+";	/* xtext for "x\r\nBcc: evil" */
	bounce_make(&di, &b);
	assert_no_injected(&b);
	expect_py(&b, "keys From,To,Subject,Date,Message-ID,Auto-Submitted,"
	    "MIME-Version,Content-Type");
	expect_py(&b, "hdr To: <s@x Bcc: e@x>");
	expect(&b, "msg Original-Envelope-Id: x Bcc: evil+|"
	    "Reporting-MTA: dns; mx.example.com|"
	    "X-Relayq-Queue-ID: " TEST_ID "|Arrival-Date: " ARRIVAL_DATE);
	expect(&b, "rcpt Final-Recipient: rfc822; a@b Bcc: evil2@x|"
	    "Action: failed|Status: 5.0.0|"
	    "Remote-MTA: dns; evil X-Injected: 1|"
	    "Diagnostic-Code: smtp; 550 x Bcc: evil");
	expect(&b, "rcpt Final-Recipient: rfc822; c@d|"
	    "Action: failed|Status: 5.0.0|Remote-MTA: dns; h\\x1b[2J|"
	    "Diagnostic-Code: smtp; 550 caf\\xc3\\xa9 \\x5cx41 \\x01\\x7f end");
	expect(&b, "rcpt Final-Recipient: rfc822; e@f|"
	    "Action: delayed|Status: 4.0.0|"
	    "Diagnostic-Code: smtp; 451-first line 451-Bcc: evil 451 last");
	expect(&b, "rcpt Final-Recipient: rfc822; g@h|"
	    "Action: failed|Status: 5.0.0");
	text = part_text(&b, 0);
	assert_non_null(strstr(text,
	    "\n    our text X-Injected: 2 --fake-boundary--\n"));
	free(text);
	expect_returned(&b, &o, 1, 0);
	bounce_free(&b);
	close(o.fd);
}

static void
test_long_values(void **state)
{
	char		*nospace, *words, *longaddr, *diag, *want, *cut;
	struct dsn_rcpt	 r[3];
	struct dsn_info	 di;
	struct orig	 o;
	struct bounce	 b;
	const char	*p, *e;
	size_t		 len;

	(void)state;
	nospace = repeat("A", 5000);
	cut = repeat(" word", 1000);
	words = malloc(strlen(cut) + 4);
	assert_non_null(words);
	sprintf(words, "550%s", cut);	/* a reply: "550 word word ..." */
	free(cut);
	longaddr = repeat("l", 3000);
	diag = malloc(6000);
	assert_non_null(diag);
	snprintf(diag, 6000, "550 %s", nospace);
	memset(r, 0, sizeof(r));
	r[0].addr = longaddr;
	r[0].action = DSN_FAILED;
	r[0].diagnostic = diag;
	r[0].remote_mta = nospace;
	r[1].addr = "w@example.org";
	r[1].action = DSN_FAILED;
	r[1].diagnostic = words;
	r[2].addr = "x@example.org";
	r[2].action = DSN_FAILED;
	r[2].diagnostic = diag + 1;	/* "50 AAA": not a reply, ours */

	orig_make(&o, simple_msg, sizeof(simple_msg) - 1);
	info_init(&di, &o, r, NELEM(r));
	di.to = longaddr;
	bounce_make(&di, &b);	/* checks every line <= 998 */

	/* Cut values are DSN_TEXT_MAX long, end in "...", and unfold to
	 * exactly that: no word had to be broken. */
	len = 8 * DSN_TEXT_MAX;
	want = malloc(len);
	cut = repeat("l", DSN_TEXT_MAX - 3);
	assert_non_null(want);
	snprintf(want, len, "hdr To: <%s...>", cut);
	expect_py(&b, want);
	snprintf(want, len, "rcpt Final-Recipient: rfc822; %s...|"
	    "Action: failed|Status: 5.0.0|Remote-MTA: dns; %.*s...|"
	    "Diagnostic-Code: smtp; 550 %.*s...", cut,
	    DSN_TEXT_MAX - 3, nospace, DSN_TEXT_MAX - 7, nospace);
	expect(&b, want);
	free(cut);

	/* Words fold at spaces into lines of at most 78 in fields, 76 in
	 * the text. */
	for (p = b.buf + b.body[1]; p < b.buf + b.end[1]; p = e + 1) {
		e = strchr(p, '\n');
		if (strncmp(p, " word", 5) == 0 ||
		    strncmp(p, "Diagnostic-Code: smtp; 550 word", 31) == 0)
			assert_true(e - p <= 78 && e[-1] != ' ');
	}
	for (p = b.buf + b.body[0]; p < b.buf + b.end[0]; p = e + 1) {
		e = strchr(p, '\n');
		if (strncmp(p, "    word", 8) == 0)
			assert_true(e - p <= 76 && e[-1] != ' ');
	}
	snprintf(want, len, "rcpt Final-Recipient: rfc822; w@example.org|"
	    "Action: failed|Status: 5.0.0|Diagnostic-Code: smtp; %.*s...",
	    DSN_TEXT_MAX - 3, words);
	expect(&b, want);
	/* Our own long text, in the text part only. */
	snprintf(want, len, "\n    50\n    %.*s...\n", DSN_TEXT_MAX - 6,
	    nospace);
	assert_non_null(strstr(b.buf + b.body[0], want));
	free(want);
	bounce_free(&b);
	close(o.fd);
	free(nospace);
	free(words);
	free(longaddr);
	free(diag);
}

static void
test_many_rcpts(void **state)
{
	enum { N = 400 };
	struct dsn_rcpt	*r;
	char		 (*addr)[32], line[256];
	struct dsn_info	 di;
	struct orig	 o;
	struct bounce	 b;
	size_t		 i;

	(void)state;
	r = calloc(N, sizeof(*r));
	addr = calloc(N, sizeof(*addr));
	assert_true(r != NULL && addr != NULL);
	for (i = 0; i < N; i++) {
		snprintf(addr[i], sizeof(addr[i]), "user%03zu@example.org", i);
		r[i].addr = addr[i];
		r[i].action = i % 3 == 0 ? DSN_DELAYED : DSN_FAILED;
		r[i].diagnostic = i % 3 == 0 ? "450 4.2.1 mailbox busy, "
		    "please try again in a little while" :
		    "550 5.1.1 the mailbox does not exist here at all";
		r[i].status = i % 3 == 0 ? "4.2.1" : "5.1.1";
		r[i].remote_mta = "mail.example.org";
	}
	orig_make(&o, simple_msg, sizeof(simple_msg) - 1);
	info_init(&di, &o, r, N);
	bounce_make(&di, &b);
	assert_true(b.len > 4 * 16384);
	assert_int_equal(count(b.ds, strlen(b.ds), "\nrcpt "), N);
	if (b.py != NULL)
		assert_int_equal(count(b.py, strlen(b.py), "\nrcpt "), N);
	for (i = 0; i < N; i += 37) {
		snprintf(line, sizeof(line), "rcpt Final-Recipient: rfc822; "
		    "%s|Action: %s|Status: %s|Remote-MTA: dns; "
		    "mail.example.org|Diagnostic-Code: smtp; %s", addr[i],
		    i % 3 == 0 ? "delayed" : "failed", r[i].status,
		    r[i].diagnostic);
		expect(&b, line);
	}
	expect_returned(&b, &o, 1, 0);
	bounce_free(&b);
	close(o.fd);
	free(r);
	free(addr);
}

static void
test_eightbit(void **state)
{
	static const char msg[] =
	    "From: a@example.com\n"
	    "Subject: caf\xc3\xa9\n"
	    "\n"
	    "na\xc3\xafve body\n";
	static const char body8[] =
	    "From: a@example.com\n"
	    "Subject: plain\n"
	    "\n"
	    "na\xc3\xafve body\n";
	const struct dsn_rcpt r[] = {
		{ "x@example.org", DSN_FAILED, NULL, "550 no", NULL },
	};
	struct dsn_info	di;
	struct orig	o;
	struct bounce	b;

	(void)state;
	orig_make(&o, msg, sizeof(msg) - 1);
	info_init(&di, &o, r, NELEM(r));
	bounce_make(&di, &b);
	expect_returned(&b, &o, 1, 0);
	assert_true(has_line(b.buf, "Content-Transfer-Encoding: 8bit"));
	assert_int_equal(count(b.buf, b.len,
	    "\nContent-Transfer-Encoding: 8bit\n"), 2);
	expect_py(&b, "part 2 message/rfc822 - 8bit");
	expect_py(&b, "hdr Content-Transfer-Encoding: 8bit");
	bounce_free(&b);

	/* Headers only: 8-bit bytes in the body alone do not count. */
	di.return_headers_only = 1;
	bounce_make(&di, &b);
	expect_py(&b, "part 2 text/rfc822-headers - 8bit");
	bounce_free(&b);
	close(o.fd);

	orig_make(&o, body8, sizeof(body8) - 1);
	info_init(&di, &o, r, NELEM(r));
	di.return_headers_only = 1;
	bounce_make(&di, &b);
	assert_null(strstr(b.buf, "Content-Transfer-Encoding"));
	expect_py(&b, "part 2 text/rfc822-headers - -");
	bounce_free(&b);
	close(o.fd);
}

/* An original that is itself a bounce from relayq, or pretends to be:
 * its boundaries and close delimiters must not end our parts. */
static void
test_boundary_lookalike(void **state)
{
	static const char msg[] =
	    "From: a@example.com\n"
	    "Subject: fwd\n"
	    "Content-Type: multipart/mixed; boundary=\"=_relayq-dsn_0\"\n"
	    "\n"
	    "--=_relayq-dsn_0\n"
	    "\n"
	    "--=_relayq-dsn_00000000000000000000000000000000\n"
	    "--=_relayq-dsn_ffffffffffffffffffffffffffffffff--\n"
	    "--=_relayq-dsn_0--\n";
	const struct dsn_rcpt r[] = {
		{ "x@example.org", DSN_FAILED, NULL, "550 no", NULL },
	};
	struct dsn_info	di;
	struct orig	o;
	struct bounce	b;
	char		first[80];
	int		i;

	(void)state;
	orig_make(&o, msg, sizeof(msg) - 1);
	info_init(&di, &o, r, NELEM(r));
	first[0] = '\0';
	for (i = 0; i < 5; i++) {
		bounce_make(&di, &b);	/* boundary counted: 5 times */
		expect_returned(&b, &o, 1, 0);
		expect_py(&b, "inner-subject fwd");
		assert_int_equal(strlen(b.boundary), 13 + 32);
		assert_true(strncmp(b.boundary, "=_relayq-dsn_", 13) == 0);
		/* Random each time. */
		assert_string_not_equal(first, b.boundary);
		snprintf(first, sizeof(first), "%s", b.boundary);
		bounce_free(&b);
	}
	close(o.fd);
}

static void
test_header_sections(void **state)
{
	static const struct {
		const char	*msg;
		size_t		 hlen;
	} t[] = {
		{ "Subject: no body\nFrom: a@b\n", 27 },	/* all */
		{ "Subject: no end", 15 },			/* all */
		{ "\nbody only\n", 0 },
		{ "\r\nbody only\r\n", 0 },
		{ "Subject: x\r\n\r\nbody\n", 12 },
		{ "Subject: x\n \n\nbody\n", 13 },	/* " " is no end */
		{ "Subject: x\n\r\rnot\n\nbody\n", 17 },
		{ "", 0 },
	};
	const struct dsn_rcpt r[] = {
		{ "x@example.org", DSN_FAILED, NULL, "550 no", NULL },
	};
	struct dsn_info	di;
	struct orig	o;
	struct bounce	b;
	size_t		i;

	(void)state;
	for (i = 0; i < NELEM(t); i++) {
		orig_make(&o, t[i].msg, strlen(t[i].msg));
		info_init(&di, &o, r, NELEM(r));
		di.return_headers_only = 1;
		bounce_make(&di, &b);
		if (b.end[2] - b.body[2] != t[i].hlen)
			fail_msg("case %zu: %zu header bytes, want %zu", i,
			    b.end[2] - b.body[2], t[i].hlen);
		expect_returned(&b, &o, 0, t[i].hlen);
		bounce_free(&b);

		/* And whole, byte for byte, line end or not. */
		di.return_headers_only = 0;
		bounce_make(&di, &b);
		expect_returned(&b, &o, 1, 0);
		bounce_free(&b);
		close(o.fd);
	}
}

static void
test_huge_header_section(void **state)
{
	const struct dsn_rcpt r[] = {
		{ "x@example.org", DSN_FAILED, NULL, "552 too big", NULL },
	};
	struct dsn_info	di;
	struct orig	o;
	struct bounce	b;
	char		*msg, *p;
	size_t		 i, got;

	(void)state;
	msg = malloc(DSN_HEADERS_MAX + 200000);
	assert_non_null(msg);
	p = msg;
	for (i = 0; (size_t)(p - msg) < DSN_HEADERS_MAX + 100000; i++)
		p += sprintf(p, "X-Fill-%07zu: %s\n", i,
		    "0123456789012345678901234567890123456789");
	p += sprintf(p, "\nbody\n");
	orig_make(&o, msg, (size_t)(p - msg));
	info_init(&di, &o, r, NELEM(r));
	di.max_return = 1000;
	bounce_make(&di, &b);
	got = b.end[2] - b.body[2];
	assert_true(got <= DSN_HEADERS_MAX && got > DSN_HEADERS_MAX - 100);
	assert_true(b.buf[b.body[2] + got - 1] == '\n');
	expect_returned(&b, &o, 0, got);
	bounce_free(&b);
	close(o.fd);
	free(msg);
}

static void
test_dates(void **state)
{
	const struct dsn_rcpt r[] = {
		{ "x@example.org", DSN_FAILED, NULL, "550 no", NULL },
	};
	struct dsn_info	di;
	struct orig	o;
	struct bounce	b;
	char		line[64];
	time_t		t0, t1;
	long		d;
	const char	*p;

	(void)state;
	orig_make(&o, simple_msg, sizeof(simple_msg) - 1);
	info_init(&di, &o, r, NELEM(r));

	/* An offset that is not whole hours, from a POSIX TZ string so no
	 * zone database is needed; a locale that names days differently
	 * if the machine has one. */
	setenv("TZ", "XST-5:30", 1);
	tzset();
	if (setlocale(LC_TIME, "de_DE.UTF-8") == NULL)
		(void)setlocale(LC_TIME, "fr_FR.UTF-8");
	t0 = time(NULL);
	bounce_make(&di, &b);
	t1 = time(NULL);
	setlocale(LC_TIME, "C");
	setenv("TZ", "UTC", 1);
	tzset();
	expect(&b, "msg Reporting-MTA: dns; mx.example.com|"
	    "X-Relayq-Queue-ID: " TEST_ID "|"
	    "Arrival-Date: Wed, 15 Nov 2023 03:43:20 +0530");
	expect_py(&b, "arrival 1700000000");
	if (b.py != NULL) {
		p = strstr(b.py, "\ndate ");
		assert_non_null(p);
		d = strtol(p + 6, NULL, 10);
		assert_true(d >= (long)t0 && d <= (long)t1);
	}
	p = strstr(b.buf, "\nDate: ");
	assert_non_null(p);
	assert_non_null(strstr(p, " +0530\n"));
	bounce_free(&b);

	/* No arrival time known: no Arrival-Date. */
	di.arrival = 0;
	bounce_make(&di, &b);
	expect(&b, "msg Reporting-MTA: dns; mx.example.com|"
	    "X-Relayq-Queue-ID: " TEST_ID);
	assert_null(strstr(b.buf, "Arrival-Date"));
	bounce_free(&b);

	di.arrival = 951782400;	/* a leap day */
	bounce_make(&di, &b);
	snprintf(line, sizeof(line), "Arrival-Date: %s",
	    "Tue, 29 Feb 2000 00:00:00 +0000");
	assert_true(has_line(b.buf, line));
	bounce_free(&b);
	close(o.fd);
}

static int
file_size(int fd)
{
	struct stat	st;

	assert_int_equal(fstat(fd, &st), 0);
	return (int)st.st_size;
}

static void
test_errors(void **state)
{
	const struct dsn_rcpt good[] = {
		{ "x@example.org", DSN_FAILED, NULL, "550 no", NULL },
	};
	const struct dsn_rcpt noaddr[] = {
		{ "x@example.org", DSN_FAILED, NULL, NULL, NULL },
		{ "", DSN_FAILED, NULL, NULL, NULL },
	};
	const struct dsn_rcpt nulladdr[] = {
		{ NULL, DSN_FAILED, NULL, NULL, NULL },
	};
	const struct dsn_rcpt badaction[] = {
		{ "x@example.org", (enum dsn_action)7, NULL, NULL, NULL },
	};
	static const char *const bad_names[] = {
		"", "a b", "a..b", ".a", "a.", "a\nb", "a@b", "a;b", "a\"b",
		"a(b)", "a<b>",
	};
	char		why[128], path[] = "/tmp/test_dsn.err.XXXXXX";
	struct dsn_info	di;
	struct orig	o;
	int		fd, rofd;
	size_t		i;
	char		*longname;

	(void)state;
	orig_make(&o, simple_msg, sizeof(simple_msg) - 1);
	fd = tmp_make(path);

#define REJECT(what) do {						\
	why[0] = '\0';							\
	if (dsn_write(fd, &di, why, sizeof(why)) != -1)			\
		fail_msg("accepted: %s", what);				\
	assert_true(why[0] != '\0');					\
	assert_int_equal(file_size(fd), 0);				\
} while (0)

	info_init(&di, &o, good, 1);
	di.to = "";
	REJECT("null sender");
	assert_non_null(strstr(why, "null sender"));
	di.to = NULL;
	REJECT("no sender");
	info_init(&di, &o, good, 0);
	REJECT("no recipients");
	info_init(&di, &o, NULL, 1);
	REJECT("NULL recipients");
	info_init(&di, &o, noaddr, 2);
	REJECT("empty address");
	info_init(&di, &o, nulladdr, 1);
	REJECT("NULL address");
	info_init(&di, &o, badaction, 1);
	REJECT("bad action");
	for (i = 0; i < NELEM(bad_names); i++) {
		info_init(&di, &o, good, 1);
		di.domain = bad_names[i];
		REJECT(bad_names[i]);
		info_init(&di, &o, good, 1);
		di.reporting_mta = bad_names[i];
		REJECT(bad_names[i]);
		info_init(&di, &o, good, 1);
		di.queue_id = bad_names[i];
		REJECT(bad_names[i]);
	}
	info_init(&di, &o, good, 1);
	di.domain = NULL;
	REJECT("NULL domain");
	longname = repeat("a", 254);
	info_init(&di, &o, good, 1);
	di.domain = longname;
	REJECT("domain of 254");
	free(longname);

	/* A short original fails before anything is written. */
	info_init(&di, &o, good, 1);
	di.orig_len = 100000;
	REJECT("original past the end");
	assert_non_null(strstr(why, "original"));
	di.return_headers_only = 1;
	REJECT("header section past the end");
	info_init(&di, &o, good, 1);
	di.orig_off = UINT64_MAX - 5;
	REJECT("offset out of range");
	info_init(&di, &o, good, 1);
	di.orig_fd = -1;
	REJECT("bad original fd");
#undef REJECT

	/* A failed write is reported. */
	info_init(&di, &o, good, 1);
	rofd = open(path, O_RDONLY);
	assert_true(rofd >= 0);
	why[0] = '\0';
	assert_int_equal(dsn_write(rofd, &di, why, sizeof(why)), -1);
	assert_non_null(strstr(why, "cannot write"));
	close(rofd);

	/* A tiny why is cut, not overrun. */
	di.to = "";
	memset(why, 'z', sizeof(why));
	assert_int_equal(dsn_write(fd, &di, why, 4), -1);
	assert_int_equal(strlen(why), 3);
	assert_int_equal(why[4], 'z');

	close(fd);
	unlink(path);
	close(o.fd);
}

static int
group_setup(void **state)
{
	char	path[] = "/tmp/test_dsn.py.XXXXXX";
	int	fd;

	(void)state;
	setenv("TZ", "UTC", 1);
	tzset();
	py_script[0] = '\0';
	if (access(PYTHON, X_OK) != 0) {
		fprintf(stderr, "# no %s: only the C checker runs\n", PYTHON);
		return 0;
	}
	if ((fd = mkstemp(path)) == -1)
		return -1;
	if (write(fd, checker_py, sizeof(checker_py) - 1) !=
	    (ssize_t)sizeof(checker_py) - 1) {
		close(fd);
		unlink(path);
		return -1;
	}
	close(fd);
	snprintf(py_script, sizeof(py_script), "%s", path);
	return 0;
}

static int
group_teardown(void **state)
{
	(void)state;
	if (py_script[0] != '\0')
		unlink(py_script);
	return 0;
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_status),
		cmocka_unit_test(test_one_failed_full),
		cmocka_unit_test(test_three_rcpts),
		cmocka_unit_test(test_headers_only),
		cmocka_unit_test(test_oversize),
		cmocka_unit_test(test_delayed_only),
		cmocka_unit_test(test_hostile),
		cmocka_unit_test(test_long_values),
		cmocka_unit_test(test_many_rcpts),
		cmocka_unit_test(test_eightbit),
		cmocka_unit_test(test_boundary_lookalike),
		cmocka_unit_test(test_header_sections),
		cmocka_unit_test(test_huge_header_section),
		cmocka_unit_test(test_dates),
		cmocka_unit_test(test_errors),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
