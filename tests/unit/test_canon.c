/*
 * test_canon.c - unit tests for the DATA canonicaliser in src/smtp.c
 * (smtp_canon_init, smtp_canon_feed, smtp_canon_finish; see smtp.h).
 *
 * Promised: every line end leaves as CRLF (CRLF, LF and a lone CR each
 * make one, also when CR and LF arrive in different feed calls), lines
 * over SMTP_LINE_MAX octets are broken (in the header section the rest
 * becomes a folded line starting with a space, in the body a plain line),
 * dot-stuffing is applied last at every line start, and the end adds a
 * CRLF to an unterminated last line and then ".\r\n".  Above all no input
 * can produce "\r\n.\r\n" before the final terminator (SMTP smuggling).
 *
 * Every input is fed whole, byte by byte, split at every position and in
 * random chunks, and all outputs must be identical.  Random inputs are
 * also checked against a small independent model of the transform.
 * RELAYQ_TEST_SEED overrides the seed.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "smtp.h"
#include "testlib.h"

#define LMAX		SMTP_LINE_MAX

/* ---- a growable byte string, also the emit target ---- */

struct sink {
	char	*buf;
	size_t	 len, cap;
	size_t	 calls;
	long	 fail_after;	/* emit fails from this call on; -1 never */
};

static void
sink_init(struct sink *s)
{
	memset(s, 0, sizeof(*s));
	s->fail_after = -1;
}

static void
sink_put(struct sink *s, const char *p, size_t n)
{
	if (n == 0)
		return;
	if (s->len + n > s->cap) {
		while (s->len + n > s->cap)
			s->cap = s->cap ? s->cap * 2 : 256;
		s->buf = realloc(s->buf, s->cap);
		assert_non_null(s->buf);
	}
	memcpy(s->buf + s->len, p, n);
	s->len += n;
}

static void
sink_puts(struct sink *s, const char *p)
{
	sink_put(s, p, strlen(p));
}

static void
sink_rep(struct sink *s, char c, size_t n)
{
	while (n-- > 0)
		sink_put(s, &c, 1);
}

static int
sink_emit(void *arg, const char *p, size_t n)
{
	struct sink	*s = arg;

	if (s->fail_after >= 0 && s->calls >= (size_t)s->fail_after) {
		s->calls++;
		return -1;
	}
	s->calls++;
	sink_put(s, p, n);
	return 0;
}

/* ---- running the canonicaliser ---- */

enum split { WHOLE, BYTES, RANDOM, FIXED, AT };

/* Feed IN/LEN split as asked; each chunk from an exactly sized heap copy
 * so valgrind sees a read past its end. */
static void
canon_run(const char *in, size_t len, enum split how, size_t arg,
    struct sink *out)
{
	struct smtp_canon	 k;
	char			*whole, *chunk;
	size_t			 off = 0, n;

	sink_init(out);
	smtp_canon_init(&k, sink_emit, out);
	whole = dup_exact(in, len);
	while (off < len) {
		switch (how) {
		case WHOLE:
			n = len;
			break;
		case BYTES:
			n = 1;
			break;
		case RANDOM:
			n = 1 + rng() % (rng() % 2 ? 8 : 3000);
			break;
		case FIXED:
			n = arg;
			break;
		default:	/* AT: two pieces, split at arg */
			n = off == 0 && arg > 0 ? arg : len - off;
			break;
		}
		if (n > len - off)
			n = len - off;
		if (how == BYTES) {
			/* pointers into one exact copy: cheaper under
			 * valgrind than a copy per byte */
			assert_int_equal(smtp_canon_feed(&k, whole + off, n),
			    0);
		} else {
			chunk = dup_exact(in + off, n);
			assert_int_equal(smtp_canon_feed(&k, chunk, n), 0);
			free(chunk);
		}
		off += n;
	}
	/* an empty feed changes nothing */
	assert_int_equal(smtp_canon_feed(&k, whole, 0), 0);
	assert_int_equal(smtp_canon_finish(&k), 0);
	free(whole);
}

/* ---- the properties every output must have ---- */

static void
check_output(const char *what, const char *o, size_t n)
{
	size_t	i, ls;

	if (n < 3 || memcmp(o + n - 3, ".\r\n", 3) != 0)
		fail_msg("%s: output does not end with .CRLF: \"%s\"", what,
		    esc(o, n));
	/* DATA's own CRLF precedes the output: "\r\n" + o may hold
	 * "\r\n.\r\n" only as its very end */
	if (n > 3 && memcmp(o, ".\r\n", 3) == 0)
		fail_msg("%s: output starts with the terminator", what);
	for (i = 0; i + 5 <= n; i++)
		if (memcmp(o + i, "\r\n.\r\n", 5) == 0 && i + 5 != n)
			fail_msg("%s: early \\r\\n.\\r\\n at %zu of %zu: \"%s\"",
			    what, i, n, esc(o + (i > 40 ? i - 40 : 0), 80));
	if (n > 3 && (n < 5 || memcmp(o + n - 5, "\r\n.\r\n", 5) != 0))
		fail_msg("%s: last line not ended before the terminator",
		    what);
	/* CR and LF only as CRLF; line lengths; stuffing */
	for (i = 0, ls = 0; i < n; i++) {
		if (o[i] == '\r' && (i + 1 >= n || o[i + 1] != '\n'))
			fail_msg("%s: bare CR at %zu", what, i);
		if (o[i] == '\n' && (i == 0 || o[i - 1] != '\r'))
			fail_msg("%s: bare LF at %zu", what, i);
		if (o[i] != '\n')
			continue;
		/* line o[ls .. i-2] */
		{
			size_t	ll = i - 1 - ls;
			int	dot = ll > 0 && o[ls] == '.';

			if (ll - (size_t)dot > LMAX)
				fail_msg("%s: line of %zu octets at %zu", what,
				    ll, ls);
			if (dot && i + 1 != n && (ll < 2 || o[ls + 1] != '.'))
				fail_msg("%s: unstuffed dot line at %zu: "
				    "\"%s\"", what, ls, esc(o + ls, ll));
		}
		ls = i + 1;
	}
}

/* Feed IN in many splits; all outputs must match WANT (or each other if
 * WANT is NULL) and pass check_output.  Returns the output (caller frees). */
static char *
run_all(const char *name, const char *in, size_t len, const char *want,
    size_t wantlen, size_t *outlen)
{
	static const size_t fixed[] = { 2, 3, 7, 997, 998, 999, 1000, 4096,
	    8191, 8192, 8193 };
	struct sink	 first, s;
	size_t		 i;
	char		 what[128];
	int		 r;

	canon_run(in, len, WHOLE, 0, &first);
	snprintf(what, sizeof(what), "%s (whole)", name);
	check_output(what, first.buf, first.len);
	if (want != NULL && (first.len != wantlen ||
	    memcmp(first.buf, want, wantlen) != 0)) {
		char got[ESC_BUFSIZE];

		snprintf(got, sizeof(got), "%s", esc(first.buf, first.len));
		fail_msg("%s:\n  got  \"%s\"\n  want \"%s\"", name, got,
		    esc(want, wantlen));
	}

#define SAME(label) do {						\
	snprintf(what, sizeof(what), "%s (%s)", name, label);		\
	if (s.len != first.len || memcmp(s.buf, first.buf, s.len) != 0)	\
		fail_msg("%s: output differs from a whole feed", what);	\
	free(s.buf);							\
} while (0)

	canon_run(in, len, BYTES, 0, &s);
	SAME("byte by byte");
	for (i = 0; i < NELEM(fixed); i++)
		if (fixed[i] < len) {
			canon_run(in, len, FIXED, fixed[i], &s);
			SAME("fixed chunks");
		}
	for (r = 0; r < 4; r++) {
		canon_run(in, len, RANDOM, 0, &s);
		SAME("random chunks");
	}
	if (len <= 64)
		for (i = 1; i < len; i++) {
			canon_run(in, len, AT, i, &s);
			SAME("split in two");
		}
	else
		for (r = 0; r < 8; r++) {
			canon_run(in, len, AT, 1 + rng() % (len - 1), &s);
			SAME("split in two");
		}
#undef SAME
	*outlen = first.len;
	return first.buf;
}

static void
expect(const char *name, const char *in, size_t len, const char *want,
    size_t wantlen)
{
	size_t	 n;

	free(run_all(name, in, len, want, wantlen, &n));
}

/* ---- an independent model ---- */

static void
model_put_segment(struct sink *o, const char *p, size_t n, int stuff)
{
	if (stuff && n > 0 && p[0] == '.')
		sink_put(o, ".", 1);
	sink_put(o, p, n);
	sink_put(o, "\r\n", 2);
}

/* Split into lines at CRLF, CR and LF; an empty line ends the header;
 * each line is cut into LMAX-octet pieces (in the header a piece after
 * the first is a SP and LMAX-1 octets); stuff dots; end with ".\r\n". */
static void
model(const char *in, size_t len, struct sink *o)
{
	size_t	i = 0, start, ll, off, n;
	int	header = 1;

	sink_init(o);
	while (i < len) {
		start = i;
		while (i < len && in[i] != '\r' && in[i] != '\n')
			i++;
		ll = i - start;
		if (i < len)
			i += in[i] == '\r' && i + 1 < len && in[i + 1] == '\n' ?
			    2 : 1;
		if (ll == 0) {
			header = 0;
			sink_put(o, "\r\n", 2);
			continue;
		}
		n = ll < LMAX ? ll : LMAX;
		model_put_segment(o, in + start, n, 1);
		for (off = n; off < ll; off += n) {
			if (header) {
				n = ll - off < LMAX - 1 ? ll - off : LMAX - 1;
				sink_put(o, " ", 1);
				model_put_segment(o, in + start + off, n, 0);
			} else {
				n = ll - off < LMAX ? ll - off : LMAX;
				model_put_segment(o, in + start + off, n, 1);
			}
		}
	}
	sink_put(o, ".\r\n", 3);
}

/* ---- tables ---- */

struct canon_case {
	const char	*name;
	const char	*in;
	const char	*want;
};

#define T "Subject: t\r\n\r\n"	/* a header, so what follows is body */

static const struct canon_case cases[] = {
	/* line ends */
	{ "empty", "", ".\r\n" },
	{ "CRLF", "a\r\nb\r\n", "a\r\nb\r\n.\r\n" },
	{ "LF", "a\nb\n", "a\r\nb\r\n.\r\n" },
	{ "CR", "a\rb\r", "a\r\nb\r\n.\r\n" },
	{ "mixed", "a\r\nb\nc\rd", "a\r\nb\r\nc\r\nd\r\n.\r\n" },
	{ "unterminated", "abc", "abc\r\n.\r\n" },
	{ "unterminated after lines", "a\nbc", "a\r\nbc\r\n.\r\n" },
	{ "trailing CR", "a\r", "a\r\n.\r\n" },
	{ "only CRLF", "\r\n", "\r\n.\r\n" },
	{ "only LF", "\n", "\r\n.\r\n" },
	{ "only CR", "\r", "\r\n.\r\n" },
	{ "CR CR LF", "a\r\r\nb", "a\r\n\r\nb\r\n.\r\n" },
	{ "LF CR", "a\n\rb", "a\r\n\r\nb\r\n.\r\n" },
	{ "LF LF", "a\n\nb", "a\r\n\r\nb\r\n.\r\n" },
	{ "CR CR", "a\r\rb", "a\r\n\r\nb\r\n.\r\n" },
	{ "CRLF CRLF", "a\r\n\r\nb", "a\r\n\r\nb\r\n.\r\n" },
	{ "LF CR LF", "a\n\r\nb", "a\r\n\r\nb\r\n.\r\n" },
	{ "CR LF LF", "a\r\n\nb", "a\r\n\r\nb\r\n.\r\n" },
	{ "many empty", "\n\r\r\n\n", "\r\n\r\n\r\n\r\n.\r\n" },
	/* dot-stuffing */
	{ "dot line", ".\n", "..\r\n.\r\n" },
	{ "dot text", ".hidden\n", "..hidden\r\n.\r\n" },
	{ "two dots", "..\n", "...\r\n.\r\n" },
	{ "dot unterminated", ".", "..\r\n.\r\n" },
	{ "dot after CR", "x\r.", "x\r\n..\r\n.\r\n" },
	{ "dot mid-line", "a.b\n", "a.b\r\n.\r\n" },
	{ "dot space", " .\n", " .\r\n.\r\n" },
	{ "dots after every end", "x\r.a\n.b\r\n.c",
	    "x\r\n..a\r\n..b\r\n..c\r\n.\r\n" },
	{ "dot body", T ".\r\n", T "..\r\n.\r\n" },
	/* header and body */
	{ "header body", "Subject: x\n\nbody\n",
	    "Subject: x\r\n\r\nbody\r\n.\r\n" },
	{ "header body CR", "Subject: x\r\rbody",
	    "Subject: x\r\n\r\nbody\r\n.\r\n" },
	/* SMTP smuggling: the end-of-data look-alikes */
	{ "LF . CRLF", "a\n.\r\nMAIL FROM:<x@evil>\r\n",
	    "a\r\n..\r\nMAIL FROM:<x@evil>\r\n.\r\n" },
	{ "CRLF . LF", "a\r\n.\nMAIL FROM:<x@evil>\r\n",
	    "a\r\n..\r\nMAIL FROM:<x@evil>\r\n.\r\n" },
	{ "CR . CR", "a\r.\rMAIL FROM:<x@evil>\r\n",
	    "a\r\n..\r\nMAIL FROM:<x@evil>\r\n.\r\n" },
	{ "LF . LF", "a\n.\nMAIL FROM:<x@evil>\r\n",
	    "a\r\n..\r\nMAIL FROM:<x@evil>\r\n.\r\n" },
	{ "CRLF . CRLF", "a\r\n.\r\nRSET\r\n", "a\r\n..\r\nRSET\r\n.\r\n" },
	{ "CR . LF", "a\r.\nb", "a\r\n..\r\nb\r\n.\r\n" },
	{ "LF . CR", "a\n.\rb", "a\r\n..\r\nb\r\n.\r\n" },
	{ "CR . CRLF", "a\r.\r\nb", "a\r\n..\r\nb\r\n.\r\n" },
	{ "CRLF . CR", "a\r\n.\rb", "a\r\n..\r\nb\r\n.\r\n" },
	{ ". CRLF at start", ".\r\nQUIT\r\n", "..\r\nQUIT\r\n.\r\n" },
	{ ". LF at start", ".\nQUIT\r\n", "..\r\nQUIT\r\n.\r\n" },
	{ ". CR at start", ".\rQUIT\r\n", "..\r\nQUIT\r\n.\r\n" },
	{ "CRLF . CRLF at start", "\r\n.\r\n", "\r\n..\r\n.\r\n" },
	{ ". CRLF at end", "a\r\n.\r\n", "a\r\n..\r\n.\r\n" },
	{ ". CR at end", "a\r\n.\r", "a\r\n..\r\n.\r\n" },
	{ ". LF at end", "a\n.\n", "a\r\n..\r\n.\r\n" },
	{ "CR CR . CR CR", "a\r\r.\r\rb", "a\r\n\r\n..\r\n\r\nb\r\n.\r\n" },
	{ "body LF . CRLF", T "a\n.\r\nb", T "a\r\n..\r\nb\r\n.\r\n" },
	{ "body CR . CR", T "a\r.\rb", T "a\r\n..\r\nb\r\n.\r\n" },
};

static void
test_table(void **state)
{
	size_t	i;

	(void)state;
	rng_seed(0x5eed0007);
	for (i = 0; i < NELEM(cases); i++)
		expect(cases[i].name, cases[i].in, strlen(cases[i].in),
		    cases[i].want, strlen(cases[i].want));
	/* NUL is just another byte; its length is spelled out */
	expect("NUL kept", "a\0b", 3, "a\0b\r\n.\r\n", 8);
}

/* ---- long lines ---- */

static void
test_long_body(void **state)
{
	struct sink	in, want;
	size_t		n;

	(void)state;
	rng_seed(0x5eed0008);

	/* exactly LMAX: no break */
	for (n = LMAX - 1; n <= LMAX; n++) {
		sink_init(&in);
		sink_init(&want);
		sink_puts(&in, T);
		sink_rep(&in, 'a', n);
		sink_puts(&in, "\r\n");
		sink_puts(&want, T);
		sink_rep(&want, 'a', n);
		sink_puts(&want, "\r\n.\r\n");
		expect("body line <= LMAX", in.buf, in.len, want.buf,
		    want.len);
		free(in.buf);
		free(want.buf);
	}

	/* LMAX + 1, with each kind of line end and none */
	{
		static const char *ends[] = { "\r\n", "\n", "\r", "" };
		size_t e;

		for (e = 0; e < NELEM(ends); e++) {
			sink_init(&in);
			sink_init(&want);
			sink_puts(&in, T);
			sink_rep(&in, 'a', LMAX + 1);
			sink_puts(&in, ends[e]);
			sink_puts(&want, T);
			sink_rep(&want, 'a', LMAX);
			sink_puts(&want, "\r\na\r\n.\r\n");
			expect("body line LMAX + 1", in.buf, in.len, want.buf,
			    want.len);
			free(in.buf);
			free(want.buf);
		}
	}

	/* three full pieces and a bit */
	sink_init(&in);
	sink_init(&want);
	sink_puts(&in, T);
	sink_rep(&in, 'b', 3 * LMAX + 6);
	sink_puts(&in, "\n");
	sink_puts(&want, T);
	for (n = 0; n < 3; n++) {
		sink_rep(&want, 'b', LMAX);
		sink_puts(&want, "\r\n");
	}
	sink_rep(&want, 'b', 6);
	sink_puts(&want, "\r\n.\r\n");
	expect("body line 3 * LMAX + 6", in.buf, in.len, want.buf, want.len);
	free(in.buf);
	free(want.buf);

	/* a forced break followed by a dot: stuffed */
	sink_init(&in);
	sink_init(&want);
	sink_puts(&in, T);
	sink_rep(&in, 'c', LMAX);
	sink_puts(&in, ".\r\n");
	sink_puts(&want, T);
	sink_rep(&want, 'c', LMAX);
	sink_puts(&want, "\r\n..\r\n.\r\n");
	expect("break then lone dot", in.buf, in.len, want.buf, want.len);
	free(in.buf);
	free(want.buf);

	sink_init(&in);
	sink_init(&want);
	sink_puts(&in, T);
	sink_rep(&in, 'c', LMAX);
	sink_puts(&in, ".x");
	sink_rep(&in, 'd', LMAX - 2);
	sink_puts(&in, ".y\n");
	sink_puts(&want, T);
	sink_rep(&want, 'c', LMAX);
	sink_puts(&want, "\r\n..x");
	sink_rep(&want, 'd', LMAX - 2);
	sink_puts(&want, "\r\n..y\r\n.\r\n");
	expect("breaks then dots", in.buf, in.len, want.buf, want.len);
	free(in.buf);
	free(want.buf);

	/* a dot-led line of LMAX octets: the stuffed dot does not count
	 * (RFC 5321 4.5.3.1.6), so it is not broken */
	sink_init(&in);
	sink_init(&want);
	sink_puts(&in, T ".");
	sink_rep(&in, 'e', LMAX - 1);
	sink_puts(&in, "\n");
	sink_puts(&want, T "..");
	sink_rep(&want, 'e', LMAX - 1);
	sink_puts(&want, "\r\n.\r\n");
	expect("dot line of LMAX", in.buf, in.len, want.buf, want.len);
	free(in.buf);
	free(want.buf);

	/* a message starting with an empty line has no header */
	sink_init(&in);
	sink_init(&want);
	sink_puts(&in, "\n");
	sink_rep(&in, 'f', LMAX + 2);
	sink_puts(&want, "\r\n");
	sink_rep(&want, 'f', LMAX);
	sink_puts(&want, "\r\nff\r\n.\r\n");
	expect("no header", in.buf, in.len, want.buf, want.len);
	free(in.buf);
	free(want.buf);
}

static void
test_long_header(void **state)
{
	struct sink	in, want;
	size_t		n;

	(void)state;
	rng_seed(0x5eed0009);

	/* exactly LMAX: no break */
	sink_init(&in);
	sink_init(&want);
	sink_puts(&in, "X: ");
	sink_rep(&in, 'h', LMAX - 3);
	sink_puts(&in, "\n\nbody\n");
	sink_puts(&want, "X: ");
	sink_rep(&want, 'h', LMAX - 3);
	sink_puts(&want, "\r\n\r\nbody\r\n.\r\n");
	expect("header line of LMAX", in.buf, in.len, want.buf, want.len);
	free(in.buf);
	free(want.buf);

	/* LMAX + 1: folded, the continuation starts with a space */
	sink_init(&in);
	sink_init(&want);
	sink_puts(&in, "X: ");
	sink_rep(&in, 'h', LMAX - 2);
	sink_puts(&in, "\r\n\r\nbody\r\n");
	sink_puts(&want, "X: ");
	sink_rep(&want, 'h', LMAX - 3);
	sink_puts(&want, "\r\n h\r\n\r\nbody\r\n.\r\n");
	expect("header line of LMAX + 1", in.buf, in.len, want.buf, want.len);
	free(in.buf);
	free(want.buf);

	/* 2 * LMAX: three lines, each continuation SP + up to LMAX - 1 */
	sink_init(&in);
	sink_init(&want);
	sink_rep(&in, 'i', 2 * LMAX);
	sink_rep(&want, 'i', LMAX);
	sink_puts(&want, "\r\n ");
	sink_rep(&want, 'i', LMAX - 1);
	sink_puts(&want, "\r\n i\r\n.\r\n");
	expect("header line of 2 * LMAX", in.buf, in.len, want.buf,
	    want.len);
	free(in.buf);
	free(want.buf);

	/* a dot after a header break is not at a line start: the SP is */
	sink_init(&in);
	sink_init(&want);
	sink_rep(&in, 'j', LMAX);
	sink_puts(&in, ".x\n");
	sink_rep(&want, 'j', LMAX);
	sink_puts(&want, "\r\n .x\r\n.\r\n");
	expect("header break then dot", in.buf, in.len, want.buf, want.len);
	free(in.buf);
	free(want.buf);

	/* long header line and long body line in one message */
	for (n = 0; n < 2; n++) {
		sink_init(&in);
		sink_init(&want);
		sink_puts(&in, "Subject: ");
		sink_rep(&in, 'k', 1200);
		sink_puts(&in, n ? "\r\r" : "\n\n");
		sink_rep(&in, 'l', 1200);
		sink_puts(&want, "Subject: ");
		sink_rep(&want, 'k', LMAX - 9);
		sink_puts(&want, "\r\n ");
		sink_rep(&want, 'k', 1200 - (LMAX - 9));
		sink_puts(&want, "\r\n\r\n");
		sink_rep(&want, 'l', LMAX);
		sink_puts(&want, "\r\n");
		sink_rep(&want, 'l', 1200 - LMAX);
		sink_puts(&want, "\r\n.\r\n");
		expect("header and body", in.buf, in.len, want.buf, want.len);
		free(in.buf);
		free(want.buf);
	}
}

/* ---- smuggling in context ---- */

static void
test_smuggling(void **state)
{
	static const char *evil[] = {
		"\n.\r\n", "\r\n.\n", "\r.\r", "\n.\n", "\r\n.\r\n",
		"\r.\n", "\n.\r", "\r.\r\n", "\r\n.\r",
		"\r\n.\r\nMAIL FROM:<a@evil>\r\nRCPT TO:<b@victim>\r\nDATA\r\n",
		"\n.\nQUIT\n", ".\r\n", ".\n", ".\r", "\r\r\n.\r\r\n",
		"\n\n.\n\n", "\r\n..\r\n", "\r\n. \r\n",
	};
	static const char *before[] = { "", "Subject: x\r\n\r\n", "a",
	    "Subject: x\n", "body\r\n", "\r" };
	struct sink	in;
	char		*out, name[64];
	size_t		 e, b, pad, olen;

	(void)state;
	rng_seed(0x5eed000a);
	for (e = 0; e < NELEM(evil); e++)
		for (b = 0; b < NELEM(before); b++)
			for (pad = 0; pad < 4; pad++) {
				sink_init(&in);
				sink_puts(&in, before[b]);
				/* put the sequence near a forced break */
				if (pad > 0)
					sink_rep(&in, 'p', pad == 1 ? LMAX - 1 :
					    pad == 2 ? LMAX : LMAX + 1);
				sink_puts(&in, evil[e]);
				if (pad == 3)
					sink_puts(&in, evil[e]);
				snprintf(name, sizeof(name), "evil %zu/%zu/%zu",
				    e, b, pad);
				out = run_all(name, in.buf, in.len, NULL, 0,
				    &olen);
				{
					struct sink m;

					model(in.buf, in.len, &m);
					if (m.len != olen ||
					    memcmp(m.buf, out, olen) != 0)
						fail_msg("%s: differs from the "
						    "model", name);
					free(m.buf);
				}
				free(out);
				free(in.buf);
			}
}

/* ---- random inputs against the model ---- */

static void
test_random_model(void **state)
{
	static const char alpha[] = "aaaa....  ::\r\r\n\n\r\nX\t";
	struct sink	 in, m;
	char		*out, name[48];
	size_t		 len, i, olen, run;
	int		 iter;

	(void)state;
	rng_seed(0x5eed000b);
	for (iter = 0; iter < 300; iter++) {
		sink_init(&in);
		len = rng() % (iter % 10 == 0 ? 6000 : 300);
		for (i = 0; i < len; ) {
			if (rng() % 40 == 0) {
				/* a run that lands around the line limit */
				run = LMAX - 3 + rng() % 7 +
				    (rng() % 3 == 0 ? LMAX : 0);
				sink_rep(&in, (char)(rng() % 2 ? 'x' : '.'),
				    run);
				i += run;
			} else {
				char c = rng() % 16 ? alpha[rng() %
				    (sizeof(alpha) - 1)] : (char)rng();

				sink_put(&in, &c, 1);
				i++;
			}
		}
		snprintf(name, sizeof(name), "random %d", iter);
		out = run_all(name, in.buf ? in.buf : "", in.len, NULL, 0,
		    &olen);
		model(in.buf ? in.buf : "", in.len, &m);
		if (m.len != olen || memcmp(m.buf, out, olen) != 0) {
			for (i = 0; i < olen && i < m.len && out[i] == m.buf[i];
			    i++)
				;
			fail_msg("%s: differs from the model at byte %zu "
			    "(in %zu, out %zu, model %zu)", name, i, in.len,
			    olen, m.len);
		}
		free(m.buf);
		free(out);
		free(in.buf);
	}
}

/* ---- big input, emit failures ---- */

static void
test_big(void **state)
{
	struct sink	 in, m;
	char		*out;
	size_t		 olen, i;

	(void)state;
	rng_seed(0x5eed000c);
	/* more than the internal buffer many times over */
	sink_init(&in);
	sink_puts(&in, "Subject: big\n\n");
	for (i = 0; i < 2000; i++) {
		sink_rep(&in, (char)('a' + i % 26), 1 + (i * 7919) % 1500);
		sink_puts(&in, i % 3 ? "\n" : i % 2 ? "\r" : "\r\n");
		if (i % 50 == 0)
			sink_puts(&in, ".\r\n");
	}
	out = run_all("big", in.buf, in.len, NULL, 0, &olen);
	model(in.buf, in.len, &m);
	assert_int_equal(m.len, olen);
	assert_memory_equal(m.buf, out, olen);
	free(m.buf);
	free(out);
	free(in.buf);
}

static void
test_emit_failure(void **state)
{
	struct smtp_canon	 k;
	struct sink		 s;
	char			*big;
	size_t			 n = 100000, i;
	int			 rc = 0;

	(void)state;
	big = malloc(n);
	assert_non_null(big);
	for (i = 0; i < n; i++)
		big[i] = i % 80 == 79 ? '\n' : 'z';

	/* the first emit fails: feed reports it */
	sink_init(&s);
	s.fail_after = 0;
	smtp_canon_init(&k, sink_emit, &s);
	assert_int_equal(smtp_canon_feed(&k, big, n), -1);
	assert_true(s.calls >= 1);
	free(s.buf);

	/* a later emit fails: a feed reports it */
	sink_init(&s);
	s.fail_after = 2;
	smtp_canon_init(&k, sink_emit, &s);
	for (i = 0; i < n && rc == 0; i += 1000)
		rc = smtp_canon_feed(&k, big + i, 1000);
	assert_int_equal(rc, -1);
	free(s.buf);

	/* the emit at the end fails: finish reports it */
	sink_init(&s);
	s.fail_after = 0;
	smtp_canon_init(&k, sink_emit, &s);
	assert_int_equal(smtp_canon_feed(&k, "short\n", 6), 0);
	assert_int_equal(smtp_canon_finish(&k), -1);
	assert_int_equal(s.len, 0);
	free(s.buf);
	free(big);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_table),
		cmocka_unit_test(test_long_body),
		cmocka_unit_test(test_long_header),
		cmocka_unit_test(test_smuggling),
		cmocka_unit_test(test_random_model),
		cmocka_unit_test(test_big),
		cmocka_unit_test(test_emit_failure),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
