/*
 * test_reply.c - unit tests for src/reply.c, the SMTP reply parser (see
 * reply.h).
 *
 * Each line is passed in an exactly sized heap buffer without a NUL, as
 * the network code might, so valgrind sees any read past its end; the
 * struct reply sits in front of a canary so a write past text[] shows.
 * The fuzz test feeds seeded random and half-structured lines;
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

#include "reply.h"
#include "testlib.h"

#define MAXL		8
#define CANARY		0xa5

/* A reply with a canary behind it. */
struct guarded {
	struct reply	r;
	unsigned char	canary[64];
};

static void
g_init(struct guarded *g)
{
	memset(g, CANARY, sizeof(*g));
	reply_init(&g->r);
}

static void
g_check(const struct guarded *g)
{
	size_t	i;

	for (i = 0; i < sizeof(g->canary); i++)
		if (g->canary[i] != CANARY)
			fail_msg("write past struct reply at canary byte %zu",
			    i);
	assert_true(g->r.textlen < sizeof(g->r.text));
	assert_int_equal(g->r.text[g->r.textlen], '\0');
	assert_true(memchr(g->r.enhanced, '\0', sizeof(g->r.enhanced)) !=
	    NULL);
}

/* Feed LINE/LEN from an exact heap copy. */
static int
feed(struct guarded *g, const char *line, size_t len, char *why,
    size_t whylen)
{
	char	*p = dup_exact(line, len);
	int	 rc;

	rc = reply_feed_line(&g->r, p, len, why, whylen);
	free(p);
	g_check(g);
	return rc;
}

static int
feed_str(struct guarded *g, const char *line)
{
	char	why[256];
	int	rc;

	why[0] = '\0';
	rc = feed(g, line, strlen(line), why, sizeof(why));
	if (rc == -1 && why[0] == '\0')
		fail_msg("\"%s\" refused without a reason",
		    esc(line, strlen(line)));
	return rc;
}

static char *
line_of(const char *prefix, char fill, size_t total)
{
	char	*s = malloc(total + 1);
	size_t	 pl = strlen(prefix);

	assert_non_null(s);
	assert_true(total >= pl);
	memcpy(s, prefix, pl);
	memset(s + pl, fill, total - pl);
	s[total] = '\0';
	return s;
}

/* ---- well-formed replies ---- */

struct ok_case {
	const char	*name;
	const char	*lines[MAXL];
	int		 code;
	const char	*enhanced;
	const char	*text;
};

static const struct ok_case ok_cases[] = {
	{ "single", { "250 OK" }, 250, "", "OK" },
	{ "greeting", { "220 mx.example.org ESMTP Postfix (Debian)" }, 220,
	    "", "mx.example.org ESMTP Postfix (Debian)" },
	{ "bare code", { "250" }, 250, "", "" },
	{ "code and space", { "250 " }, 250, "", "" },
	{ "text keeps spaces", { "250  two  spaces " }, 250, "",
	    " two  spaces " },
	{ "lowest", { "200 x" }, 200, "", "x" },
	{ "highest", { "559 x" }, 559, "", "x" },
	{ "354", { "354 End data with <CR><LF>.<CR><LF>" }, 354, "",
	    "End data with <CR><LF>.<CR><LF>" },
	{ "ehlo", { "250-mx.example.org", "250-PIPELINING",
	    "250-SIZE 10240000", "250-STARTTLS", "250 8BITMIME" }, 250, "",
	    "mx.example.org\nPIPELINING\nSIZE 10240000\nSTARTTLS\n8BITMIME" },
	{ "two lines", { "550-first", "550 second" }, 550, "",
	    "first\nsecond" },
	{ "bare last line", { "250-a", "250" }, 250, "", "a\n" },
	{ "empty middle line", { "250-a", "250-", "250 b" }, 250, "",
	    "a\n\nb" },
	/* RFC 3463 enhanced codes, class matching the reply */
	{ "enhanced 5.1.1", { "550 5.1.1 <x@y>: Recipient address rejected" },
	    550, "5.1.1", "5.1.1 <x@y>: Recipient address rejected" },
	{ "enhanced 2.0.0 alone", { "250 2.0.0" }, 250, "2.0.0", "2.0.0" },
	{ "enhanced 2.0.0 queued", { "250 2.0.0 Ok: queued as 4Tx1" }, 250,
	    "2.0.0", "2.0.0 Ok: queued as 4Tx1" },
	{ "enhanced 4.7.0", { "451 4.7.0 Try again later" }, 451, "4.7.0",
	    "4.7.0 Try again later" },
	{ "enhanced 3 digits", { "250 2.123.456 x" }, 250, "2.123.456",
	    "2.123.456 x" },
	{ "enhanced multi-line", { "250-2.1.5 first", "250 2.1.5 second" },
	    250, "2.1.5", "2.1.5 first\n2.1.5 second" },
	{ "enhanced wrong class 4 in 5xx", { "550 4.1.1 x" }, 550, "",
	    "4.1.1 x" },
	{ "enhanced wrong class 5 in 2xx", { "250 5.0.0 x" }, 250, "",
	    "5.0.0 x" },
	{ "enhanced wrong class 2 in 4xx", { "450 2.0.0 x" }, 450, "",
	    "2.0.0 x" },
	{ "enhanced class 3", { "354 3.0.0 go" }, 354, "", "3.0.0 go" },
	{ "enhanced class 3 in 2xx", { "250 3.0.0 x" }, 250, "", "3.0.0 x" },
	{ "enhanced two parts", { "250 2.0 x" }, 250, "", "2.0 x" },
	{ "enhanced four parts", { "250 2.0.0.0 x" }, 250, "", "2.0.0.0 x" },
	{ "enhanced glued", { "250 2.0.0x" }, 250, "", "2.0.0x" },
	{ "enhanced 4-digit subject", { "250 2.1234.0 x" }, 250, "",
	    "2.1234.0 x" },
	{ "enhanced 4-digit detail", { "250 2.0.1234 x" }, 250, "",
	    "2.0.1234 x" },
	{ "enhanced empty part", { "250 2..0 x" }, 250, "", "2..0 x" },
	{ "enhanced trailing dot", { "250 2.0. x" }, 250, "", "2.0. x" },
	{ "enhanced leading dot", { "250 .2.0.0 x" }, 250, "", ".2.0.0 x" },
	{ "enhanced two-digit class", { "250 20.0.0 x" }, 250, "",
	    "20.0.0 x" },
	{ "enhanced after two spaces", { "250  2.0.0 x" }, 250, "",
	    " 2.0.0 x" },
	{ "enhanced letters", { "250 2.a.0 x" }, 250, "", "2.a.0 x" },
};

static void
test_ok_table(void **state)
{
	const struct ok_case	*c;
	struct guarded		 g;
	size_t			 i, k, n;
	int			 rc;

	(void)state;
	for (i = 0; i < NELEM(ok_cases); i++) {
		c = &ok_cases[i];
		for (n = 0; n < MAXL && c->lines[n] != NULL; n++)
			;
		g_init(&g);
		for (k = 0; k < n; k++) {
			rc = feed_str(&g, c->lines[k]);
			if (rc != (k == n - 1 ? 1 : 0))
				fail_msg("%s: line %zu \"%s\" returned %d",
				    c->name, k, c->lines[k], rc);
			assert_int_equal(g.r.complete, k == n - 1);
			assert_int_equal(g.r.nlines, k + 1);
		}
		if (g.r.code != c->code)
			fail_msg("%s: code %d, want %d", c->name, g.r.code,
			    c->code);
		if (strcmp(g.r.enhanced, c->enhanced) != 0)
			fail_msg("%s: enhanced \"%s\", want \"%s\"", c->name,
			    g.r.enhanced, c->enhanced);
		if (g.r.textlen != strlen(c->text) ||
		    memcmp(g.r.text, c->text, g.r.textlen) != 0)
			fail_msg("%s: text \"%s\", want \"%s\"", c->name,
			    esc(g.r.text, g.r.textlen), c->text);
	}
}

/* ---- malformed replies ---- */

struct bad_case {
	const char	*name;
	const char	*lines[MAXL];	/* all but the last must be taken */
};

static const struct bad_case bad_cases[] = {
	{ "empty", { "" } },
	{ "one digit", { "2" } },
	{ "two digits", { "25" } },
	{ "letters", { "abc" } },
	{ "letters with text", { "OK. fine" } },
	{ "non-digit first", { "x50 ok" } },
	{ "non-digit second", { "2x0 ok" } },
	{ "non-digit third", { "25x ok" } },
	{ "leading space", { " 250 ok" } },
	{ "plus sign", { "+250 ok" } },
	{ "minus sign", { "-250 ok" } },
	{ "four digits", { "2500 ok" } },
	{ "bad separator", { "250x" } },
	{ "underscore separator", { "250_ok" } },
	{ "tab separator", { "250\tok" } },
	{ "CR separator", { "250\rok" } },
	{ "1xx", { "150 Opening" } },
	{ "1xx bare", { "199" } },
	{ "0xx", { "050 x" } },
	{ "6xx", { "600 x" } },
	{ "6xx bare", { "650" } },
	{ "9xx", { "999 x" } },
	{ "second digit 6", { "260 x" } },
	{ "second digit 9", { "590 x" } },
	{ "code change", { "250-a", "251 b" } },
	{ "code change class", { "250-a", "550 b" } },
	{ "code change third line", { "250-a", "250-b", "450 c" } },
	{ "code change continuing", { "250-a", "250-b", "251-c" } },
	{ "malformed continuation", { "250-a", "25" } },
	{ "malformed continuation text", { "250-a", "PIPELINING" } },
	{ "after completion", { "250 done", "250 again" } },
	{ "after bare completion", { "250", "250 again" } },
	{ "continuation after completion", { "250 done", "250-more" } },
};

static void
test_bad_table(void **state)
{
	const struct bad_case	*c;
	struct guarded		 g;
	size_t			 k, n, i;
	int			 rc;

	(void)state;
	for (i = 0; i < NELEM(bad_cases); i++) {
		c = &bad_cases[i];
		for (n = 0; n < MAXL && c->lines[n] != NULL; n++)
			;
		g_init(&g);
		for (k = 0; k < n; k++) {
			rc = feed_str(&g, c->lines[k]);
			if (k < n - 1 && rc == -1)
				fail_msg("%s: line %zu \"%s\" refused",
				    c->name, k, c->lines[k]);
			if (k == n - 1 && rc != -1)
				fail_msg("%s: line \"%s\" taken (%d)", c->name,
				    esc(c->lines[k], strlen(c->lines[k])), rc);
		}
	}
}

/* Bytes a string literal cannot hold: NUL in the code. */
static void
test_bad_nul(void **state)
{
	static const struct {
		const char	*in;
		size_t		 len;
	} t[] = {
		{ "\0" "50 x", 5 },
		{ "2\0" "0 x", 5 },
		{ "25\0 x", 5 },
		{ "250\0x", 5 },
		{ "\0\0\0", 3 },
	};
	struct guarded	g;
	char		why[128];
	size_t		i;

	(void)state;
	for (i = 0; i < NELEM(t); i++) {
		g_init(&g);
		if (feed(&g, t[i].in, t[i].len, why, sizeof(why)) != -1)
			fail_msg("\"%s\" taken", esc(t[i].in, t[i].len));
	}
}

/* ---- limits ---- */

static void
test_line_max(void **state)
{
	struct guarded	 g;
	char		*s, why[128];

	(void)state;
	/* exactly REPLY_LINE_MAX is taken */
	s = line_of("250 ", 'x', REPLY_LINE_MAX);
	g_init(&g);
	assert_int_equal(feed(&g, s, REPLY_LINE_MAX, why, sizeof(why)), 1);
	assert_int_equal(g.r.textlen, REPLY_LINE_MAX - 4);
	free(s);

	/* one more is refused, on a first line and on a later one */
	s = line_of("250 ", 'x', REPLY_LINE_MAX + 1);
	g_init(&g);
	why[0] = '\0';
	assert_int_equal(feed(&g, s, REPLY_LINE_MAX + 1, why, sizeof(why)),
	    -1);
	assert_true(why[0] != '\0');
	g_init(&g);
	assert_int_equal(feed_str(&g, "250-first"), 0);
	assert_int_equal(feed(&g, s, REPLY_LINE_MAX + 1, why, sizeof(why)),
	    -1);
	free(s);

	/* far too long, continuation and malformed alike */
	s = line_of("250-", 'y', 100000);
	g_init(&g);
	assert_int_equal(feed(&g, s, 100000, why, sizeof(why)), -1);
	free(s);
	s = line_of("", 'z', 5000);
	g_init(&g);
	assert_int_equal(feed(&g, s, 5000, why, sizeof(why)), -1);
	free(s);
}

static void
test_lines_max(void **state)
{
	struct guarded	g;
	char		line[32];
	int		i;

	(void)state;
	/* REPLY_LINES_MAX lines make a complete reply */
	g_init(&g);
	for (i = 1; i < REPLY_LINES_MAX; i++) {
		snprintf(line, sizeof(line), "250-line %d", i);
		assert_int_equal(feed_str(&g, line), 0);
	}
	assert_int_equal(feed_str(&g, "250 last"), 1);
	assert_int_equal(g.r.nlines, REPLY_LINES_MAX);

	/* one more is an error, whether it ends the reply or not */
	g_init(&g);
	for (i = 0; i < REPLY_LINES_MAX; i++)
		assert_int_equal(feed_str(&g, "250-x"), 0);
	assert_int_equal(feed_str(&g, "250 last"), -1);
	assert_int_equal(g.r.complete, 0);

	g_init(&g);
	for (i = 0; i < REPLY_LINES_MAX; i++)
		assert_int_equal(feed_str(&g, "250-x"), 0);
	assert_int_equal(feed_str(&g, "250-more"), -1);
}

/* Lines' texts joined by '\n', truncated to what fits, never overrun. */
static void
check_truncation(size_t nlines, const size_t *tlens)
{
	struct guarded	 g;
	char		*full, *line, why[128];
	size_t		 i, j, flen = 0, cap = 0;

	for (i = 0; i < nlines; i++)
		cap += tlens[i] + 1;
	full = malloc(cap + 1);
	line = malloc(REPLY_LINE_MAX + 1);
	assert_non_null(full);
	assert_non_null(line);
	g_init(&g);
	for (i = 0; i < nlines; i++) {
		memcpy(line, i == nlines - 1 ? "250 " : "250-", 4);
		for (j = 0; j < tlens[i]; j++)
			line[4 + j] = (char)('a' + (i + j) % 26);
		if (i > 0)
			full[flen++] = '\n';
		memcpy(full + flen, line + 4, tlens[i]);
		flen += tlens[i];
		assert_int_equal(feed(&g, line, 4 + tlens[i], why, sizeof(why)),
		    i == nlines - 1 ? 1 : 0);
	}
	if (flen > REPLY_TEXT_MAX - 1)
		flen = REPLY_TEXT_MAX - 1;
	assert_int_equal(g.r.textlen, flen);
	assert_memory_equal(g.r.text, full, flen);
	assert_int_equal(strlen(g.r.text), g.r.textlen);
	free(line);
	free(full);
}

static void
test_text_max(void **state)
{
	size_t	t[REPLY_LINES_MAX];
	size_t	i, n;

	(void)state;
	/* three 2040-byte texts: the third is cut */
	t[0] = t[1] = t[2] = 2040;
	check_truncation(3, t);

	/* boundaries: two full lines (2044 + 1 + 2044), then a third that
	 * fills the text exactly, falls short or runs over, and a fourth
	 * whose '\n' may land on the last byte */
	for (i = 0; i < 9; i++) {
		for (n = 0; n < 3; n++) {
			t[0] = REPLY_LINE_MAX - 4;
			t[1] = REPLY_LINE_MAX - 4;
			t[2] = i;
			t[3] = n == 0 ? 0 : n == 1 ? 1 : 5;
			t[4] = 3;
			check_truncation(5, t);
		}
	}

	/* the most a reply may carry */
	for (i = 0; i < REPLY_LINES_MAX; i++)
		t[i] = REPLY_LINE_MAX - 4;
	check_truncation(REPLY_LINES_MAX, t);

	/* random lengths */
	rng_seed(0x5eed0005);
	for (i = 0; i < 200; i++) {
		size_t k;

		n = 1 + rng() % 12;
		for (k = 0; k < n; k++)
			t[k] = rng() % 3 ? rng() % (REPLY_LINE_MAX - 3) :
			    rng() % 20;
		if (t[0] == 0)
			t[0] = 1;
		check_truncation(n, t);
	}
}

/* ---- reply_summary ---- */

static void
summarise(const char *const *lines, size_t n, char *out, size_t outlen)
{
	struct guarded	g;
	size_t		k;

	g_init(&g);
	for (k = 0; k < n; k++)
		assert_true(feed_str(&g, lines[k]) >= 0);
	reply_summary(&g.r, out, outlen);
}

static int
printable(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || (unsigned char)*s > 0x7e)
			return 0;
	return 1;
}

static void
test_summary(void **state)
{
	static const struct {
		const char	*lines[MAXL];
		const char	*want;
	} t[] = {
		{ { "250 OK" }, "250 OK" },
		{ { "550 5.1.1 <x@y>: no such user" },
		    "550 5.1.1 <x@y>: no such user" },
		{ { "250-first", "250-second", "250 third" }, "250 first" },
		{ { "550 bad\x1b[31mred" }, "550 bad\\x1b[31mred" },
		{ { "550 a\tb" }, "550 a\\x09b" },
		{ { "550 a\rb" }, "550 a\\x0db" },
		{ { "550 a\x7f" }, "550 a\\x7f" },
		{ { "550 \x01\x02" }, "550 \\x01\\x02" },
		{ { "550-\x1b]0;owned\x07", "550 x" },
		    "550 \\x1b]0;owned\\x07" },
	};
	char	out[512];
	size_t	i, n;

	(void)state;
	for (i = 0; i < NELEM(t); i++) {
		for (n = 0; n < MAXL && t[i].lines[n] != NULL; n++)
			;
		summarise(t[i].lines, n, out, sizeof(out));
		if (strcmp(out, t[i].want) != 0)
			fail_msg("summary \"%s\", want \"%s\"",
			    esc(out, strlen(out)), t[i].want);
	}
}

/* Bare code, high bytes: one printable line whatever the bytes. */
static void
test_summary_printable(void **state)
{
	static const char *lines[] = {
		"250",
		"250 ",
		"550 caf\xc3\xa9",
		"550 \xff\xfe\x80",
		"550 back\\slash \\x41",
		"550 \x1b[2J\x1b[H\r\n\v\f\b",
	};
	char	out[512];
	size_t	i;

	(void)state;
	for (i = 0; i < NELEM(lines); i++) {
		summarise(&lines[i], 1, out, sizeof(out));
		if (!printable(out))
			fail_msg("summary of \"%s\" not printable: \"%s\"",
			    esc(lines[i], strlen(lines[i])),
			    esc(out, strlen(out)));
		assert_memory_equal(out, lines[i], 3);
		assert_true(out[3] == '\0' || out[3] == ' ');
	}
}

static void
test_summary_outlen(void **state)
{
	static const char *lines[] = { "250 abcdefghij" };
	static const char *ctl[] = { "550 \x1b\x1b\x1b\x1b\x1b\x1b" };
	char	 out[64], *big;
	size_t	 outlen;
	struct guarded g;

	(void)state;
	for (outlen = 1; outlen < 20; outlen++) {
		memset(out, 'Z', sizeof(out));
		summarise(lines, 1, out, outlen);
		assert_int_equal(strlen(out), outlen - 1 < 14 ? outlen - 1 :
		    14);
		assert_memory_equal(out, "250 abcdefghij", strlen(out));
		assert_int_equal(out[outlen], 'Z');

		memset(out, 'Z', sizeof(out));
		summarise(ctl, 1, out, outlen);
		assert_true(strlen(out) < outlen);
		assert_true(printable(out));
		assert_int_equal(out[outlen], 'Z');
	}

	/* the longest first line, control bytes throughout */
	big = line_of("550 ", '\x1b', REPLY_LINE_MAX);
	g_init(&g);
	assert_int_equal(feed_str(&g, big), 1);
	for (outlen = 1; outlen <= 4096; outlen = outlen * 2 + 1) {
		char *o = malloc(outlen);

		assert_non_null(o);
		reply_summary(&g.r, o, outlen);
		assert_true(strlen(o) < outlen);
		assert_true(printable(o));
		free(o);
	}
	free(big);
}

/*
 * A NUL is a control byte too: the summary must show it escaped (or the
 * parser may refuse the line outright), not end the text there and so
 * hide whatever a hostile relay put after it from the log.
 */
static void
test_summary_nul(void **state)
{
	static const char line[] = "550 a\0b rest of the reason";
	struct guarded	g;
	char		out[256], why[128];
	int		rc;

	(void)state;
	g_init(&g);
	rc = feed(&g, line, sizeof(line) - 1, why, sizeof(why));
	if (rc == -1)
		return;		/* refusing the line is fine too */
	assert_int_equal(rc, 1);
	reply_summary(&g.r, out, sizeof(out));
	if (strcmp(out, "550 a\\x00b rest of the reason") != 0)
		fail_msg("summary \"%s\", want \"550 a\\x00b rest of the "
		    "reason\"", esc(out, strlen(out)));
}

/*
 * The replies of tests/smarthost/hostile.py (82-hostile.bats), line by
 * line as conn_getline hands them over: the verdict, and for a reply that
 * is taken, a summary that is one printable line showing every byte.
 */
static void
test_hostile_lines(void **state)
{
	static const struct {
		const char	*in[3];
		size_t		 len[3];
		int		 rc;	/* of the last line */
		const char	*want;
	} t[] = {
		/* controls: CR, ESC (CSI, OSC), BEL; the bare LF ends the
		 * reply, and what follows it is the next "reply" */
		{ { "451-4.3.0 first\rINJECTED-CR \x1b[2J\x1b]0;title\x07 "
		    "\x1b[31mred\x1b[0m", "451 4.3.0 second" }, { 0 }, 1,
		    "451 4.3.0 first\\x0dINJECTED-CR \\x1b[2J\\x1b]0;title"
		    "\\x07 \\x1b[31mred\\x1b[0m" },
		{ { "INJECTED-LF relayq: fake line" }, { 0 }, -1, NULL },
		/* binary: NUL, DEL, bytes above 0x7f, a C1 CSI (0x9b) */
		{ { "450 4.2.0 nul\0byte del\x7f high\xff\xfe utf8 \xc3\xa9 "
		    "\x9b" "31m" }, { 43 }, 1,
		    "450 4.2.0 nul\\x00byte del\\x7f high\\xff\\xfe utf8 "
		    "\\xc3\\xa9 \\x9b31m" },
		/* badcode and mixedcodes */
		{ { "2200 hostile ESMTP" }, { 0 }, -1, NULL },
		{ { "250-2.1.5 fine", "550-5.1.1 not fine" }, { 0 }, -1,
		    NULL },
		/* data250 is a well-formed reply: smtp.c must judge it */
		{ { "250 2.0.0 thanks, no need to send it" }, { 0 }, 1,
		    "250 2.0.0 thanks, no need to send it" },
	};
	struct guarded	g;
	char		why[128], out[512];
	size_t		i, k, n, len;
	int		rc = 0;

	(void)state;
	for (i = 0; i < NELEM(t); i++) {
		for (n = 0; n < 3 && t[i].in[n] != NULL; n++)
			;
		g_init(&g);
		for (k = 0; k < n; k++) {
			len = t[i].len[k] ? t[i].len[k] : strlen(t[i].in[k]);
			rc = feed(&g, t[i].in[k], len, why, sizeof(why));
			if (k < n - 1 && rc != 0)
				fail_msg("case %zu: line %zu returned %d", i, k,
				    rc);
		}
		if (rc != t[i].rc)
			fail_msg("case %zu: returned %d, want %d", i, rc,
			    t[i].rc);
		if (t[i].want == NULL)
			continue;
		reply_summary(&g.r, out, sizeof(out));
		assert_true(printable(out));
		if (strcmp(out, t[i].want) != 0)
			fail_msg("case %zu: summary \"%s\", want \"%s\"", i,
			    out, t[i].want);
	}
}

/* ---- fuzz ---- */

static size_t
make_line(char *buf, int *last)
{
	static const char seps[] = "  --x\t";
	size_t	len, i, tl;

	*last = 0;
	if (rng() % 4 == 0) {
		/* raw random bytes, sometimes over the limit */
		len = rng() % 8 == 0 ? REPLY_LINE_MAX - 2 + rng() % 5 :
		    rng() % 40;
		for (i = 0; i < len; i++)
			buf[i] = (char)rng();
		return len;
	}
	/* code, separator, text */
	buf[0] = (char)(rng() % 8 ? '2' + rng() % 4 : rng());
	buf[1] = (char)(rng() % 8 ? '0' + rng() % 6 : '0' + rng() % 10);
	buf[2] = (char)(rng() % 16 ? '0' + rng() % 10 : rng());
	if (rng() % 10 == 0)
		return 3;
	buf[3] = seps[rng() % (sizeof(seps) - 1)];
	len = 4;
	if (rng() % 3 == 0) {
		/* an enhanced code, often of the right shape */
		len += (size_t)snprintf(buf + 4, 32, "%c.%d.%d",
		    "2453"[rng() % 4], (int)(rng() % 1200),
		    (int)(rng() % 1200));
		if (rng() % 2)
			buf[len++] = ' ';
	}
	tl = rng() % 8 == 0 ? rng() % (REPLY_LINE_MAX - len + 1) : rng() % 30;
	for (i = 0; i < tl; i++)
		buf[len + i] = rng() % 4 ? (char)(0x20 + rng() % 95) :
		    (char)rng();
	len += tl;
	*last = buf[3] == ' ';
	return len;
}

static void
test_fuzz(void **state)
{
	struct guarded	 g;
	char		*buf, *line, why[64], sum[300];
	size_t		 len, nmax, k, el;
	int		 iter, rc, last, code0 = 0, complete, taken = 0;
	int		 done = 0;

	(void)state;
	rng_seed(0x5eed0006);
	buf = malloc(REPLY_LINE_MAX + 64);
	assert_non_null(buf);
	for (iter = 0; iter < 10000; iter++) {
		g_init(&g);
		nmax = rng() % 16 == 0 ? 110 : 1 + rng() % 6;
		complete = 0;
		for (k = 0; k < nmax; k++) {
			len = make_line(buf, &last);
			/* usually keep the code of the reply */
			if (k > 0 && len >= 3 && rng() % 8) {
				buf[0] = (char)('0' + code0 / 100);
				buf[1] = (char)('0' + code0 / 10 % 10);
				buf[2] = (char)('0' + code0 % 10);
			}
			if (k + 1 < nmax && len > 3 && buf[3] == ' ' &&
			    rng() % 2)
				buf[3] = '-';
			last = len == 3 || (len > 3 && buf[3] == ' ');
			line = dup_exact(buf, len);
			why[0] = '\0';
			rc = reply_feed_line(&g.r, line, len, why,
			    sizeof(why));
			g_check(&g);
			if (rc != -1 && rc != 0 && rc != 1)
				fail_msg("iteration %d: returned %d", iter, rc);
			if (rc == -1) {
				assert_true(why[0] != '\0');
				assert_true(strlen(why) < sizeof(why));
				free(line);
				break;
			}
			taken++;
			/* taken: the line had the shape RFC 5321 asks */
			assert_true(complete == 0);
			assert_true(len >= 3 && len <= REPLY_LINE_MAX);
			assert_true(line[0] >= '2' && line[0] <= '5');
			assert_true(line[1] >= '0' && line[1] <= '5');
			assert_true(line[2] >= '0' && line[2] <= '9');
			assert_true(len == 3 || line[3] == ' ' ||
			    line[3] == '-');
			assert_int_equal(rc, last);
			assert_int_equal(g.r.complete, rc);
			assert_true(g.r.code >= 200 && g.r.code <= 559);
			assert_int_equal(g.r.code, (line[0] - '0') * 100 +
			    (line[1] - '0') * 10 + (line[2] - '0'));
			if (k == 0)
				code0 = g.r.code;
			assert_int_equal(g.r.code, code0);
			assert_int_equal(g.r.nlines, k + 1);
			assert_true(g.r.nlines <= REPLY_LINES_MAX);
			el = strlen(g.r.enhanced);
			if (el > 0) {
				assert_true(el >= 5 && el <= 9);
				assert_int_equal(g.r.enhanced[0],
				    '0' + g.r.code / 100);
				assert_int_equal(g.r.enhanced[1], '.');
				assert_int_equal(strspn(g.r.enhanced,
				    "0123456789."), el);
				assert_memory_equal(g.r.text, g.r.enhanced, el);
			}
			complete = rc;
			free(line);
			if (rc == 1) {
				done++;
				/* nothing more is taken */
				assert_int_equal(reply_feed_line(&g.r, "250 x",
				    5, why, sizeof(why)), -1);
				g_check(&g);
				break;
			}
		}
		if (g.r.nlines > 0) {
			size_t outlen = 1 + rng() % sizeof(sum);

			memset(sum, 'Z', sizeof(sum));
			reply_summary(&g.r, sum, outlen);
			assert_true(strlen(sum) < outlen);
			assert_true(printable(sum));
			if (outlen > 3 && g.r.code >= 200)
				assert_true(sum[0] >= '2' && sum[0] <= '5');
			if (outlen < sizeof(sum))
				assert_int_equal(sum[outlen], 'Z');
		}
	}
	free(buf);
	/* the structured lines exercise more than the error paths */
	assert_true(taken > 5000);
	assert_true(done > 1000);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ok_table),
		cmocka_unit_test(test_bad_table),
		cmocka_unit_test(test_bad_nul),
		cmocka_unit_test(test_line_max),
		cmocka_unit_test(test_lines_max),
		cmocka_unit_test(test_text_max),
		cmocka_unit_test(test_summary),
		cmocka_unit_test(test_summary_printable),
		cmocka_unit_test(test_summary_outlen),
		cmocka_unit_test(test_summary_nul),
		cmocka_unit_test(test_hostile_lines),
		cmocka_unit_test(test_fuzz),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
