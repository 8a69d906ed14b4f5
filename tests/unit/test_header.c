/*
 * test_header.c - unit tests for src/header.c, the RFC 5322 header
 * section scanner (see header.h).
 *
 * Every input is copied into an exactly sized heap buffer before the call
 * so valgrind reports a read one byte past the end.  The fuzz test checks
 * the invariants of header_next on seeded random bytes; RELAYQ_TEST_SEED
 * overrides the seed.
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
#include <strings.h>

#include <cmocka.h>

#include "header.h"
#include "testlib.h"

#define MAXF		8

/* ---- header_is_field_start ---- */

struct line_case {
	const char	*in;
	size_t		 len;	/* 0: strlen(in) */
	int		 want;
};

static const struct line_case field_starts[] = {
	{ "Subject: hello", 0, 1 },
	{ "Subject: hello\n", 0, 1 },
	{ "Subject: hello\r\n", 0, 1 },
	{ "Subject:", 0, 1 },
	{ "Subject:\n", 0, 1 },
	{ "X-Mailer:x", 0, 1 },
	{ "a:", 0, 1 },
	{ "!:", 0, 1 },
	{ "~:", 0, 1 },
	{ "Message-ID: <a@b>", 0, 1 },
	{ "DKIM-Signature: v=1; a=rsa-sha256;", 0, 1 },
	{ "X-!#$%&'*+-/=?^_`{|}~: odd but legal", 0, 1 },
	/* obsolete whitespace before the colon (RFC 5322 4.5) */
	{ "Subject : hello", 0, 1 },
	{ "Subject\t: hello", 0, 1 },
	{ "Subject \t :", 0, 1 },
	/* not field starts */
	{ "", 0, 0 },
	{ "\n", 0, 0 },
	{ "\r\n", 0, 0 },
	{ ":", 0, 0 },
	{ ": value", 0, 0 },
	{ " Subject: x", 0, 0 },
	{ "\tSubject: x", 0, 0 },
	{ "Subject", 0, 0 },
	{ "Subject\n", 0, 0 },
	{ "Subject hello", 0, 0 },
	{ "Subject   ", 0, 0 },
	{ "Sub ject: x", 0, 0 },
	{ "Sub\tject: x", 0, 0 },
	{ "From alice@example.org Mon Jan  1 00:00:00 2024", 0, 0 },
	{ "Subject\n: x", 0, 0 },
	{ "Subject\r: x", 0, 0 },
	{ "S\xc3\xbc" "bject: x", 0, 0 },
	{ "Subject\x7f: x", 0, 0 },
	{ "Sub\x01ject: x", 0, 0 },
	{ "Sub\0ject: x", 11, 0 },
	{ "Subject\0: x", 11, 0 },
	{ "body text", 0, 0 },
	{ ".", 0, 0 },
	/* len bounds the scan: the colon lies beyond it */
	{ "Subject: x", 7, 0 },
	{ "Subject : x", 8, 0 },
	{ "Subject: x", 8, 1 },
};

static void
test_is_field_start(void **state)
{
	const struct line_case	*c;
	char			*p;
	size_t			 i, len;
	int			 got;

	(void)state;
	for (i = 0; i < NELEM(field_starts); i++) {
		c = &field_starts[i];
		len = c->len ? c->len : strlen(c->in);
		p = dup_exact(c->in, len);
		got = header_is_field_start(p, len);
		free(p);
		if (got != c->want)
			fail_msg("header_is_field_start(\"%s\", %zu) = %d, "
			    "want %d", esc(c->in, len), len, got, c->want);
	}
}

/* ---- header_is_continuation ---- */

static const struct line_case continuations[] = {
	{ " folded", 0, 1 },
	{ "\tfolded", 0, 1 },
	{ " ", 0, 1 },
	{ "\t", 0, 1 },
	{ " \r\n", 0, 1 },
	{ "  Subject: x", 0, 1 },
	{ "folded", 0, 0 },
	{ "Subject: x", 0, 0 },
	{ "\n", 0, 0 },
	{ "\r\n", 0, 0 },
	{ "\r folded", 0, 0 },
	{ "\v folded", 0, 0 },
	{ "\f folded", 0, 0 },
	{ "\xa0 nbsp", 0, 0 },
};

static void
test_is_continuation(void **state)
{
	const struct line_case	*c;
	char			*p;
	size_t			 i, len;
	int			 got;

	(void)state;
	for (i = 0; i < NELEM(continuations); i++) {
		c = &continuations[i];
		len = c->len ? c->len : strlen(c->in);
		p = dup_exact(c->in, len);
		got = header_is_continuation(p, len);
		free(p);
		if (got != c->want)
			fail_msg("header_is_continuation(\"%s\") = %d, want "
			    "%d", esc(c->in, len), got, c->want);
	}
	/* a zero length is never a continuation, whatever the byte */
	assert_int_equal(header_is_continuation(" x", 0), 0);
}

/* ---- header_next ---- */

struct want_field {
	const char	*name;		/* NULL: a nameless line */
	const char	*value;
	size_t		 len;		/* bytes consumed, line ends included */
};

struct next_case {
	const char		*name;
	const char		*in;
	struct want_field	 f[MAXF];
	size_t			 nf;
};

static const struct next_case next_cases[] = {
	{ "one LF", "Subject: hello\n",
	    { { "Subject", " hello", 15 } }, 1 },
	{ "one CRLF", "Subject: hello\r\n",
	    { { "Subject", " hello", 16 } }, 1 },
	{ "no final line end", "Subject: hello",
	    { { "Subject", " hello", 14 } }, 1 },
	{ "two fields", "From: a@b\nTo: c@d\n",
	    { { "From", " a@b", 10 }, { "To", " c@d", 8 } }, 2 },
	{ "two fields CRLF", "From: a@b\r\nTo: c@d\r\n",
	    { { "From", " a@b", 11 }, { "To", " c@d", 9 } }, 2 },
	{ "mixed line ends", "From: a@b\r\nTo: c@d\nCc: e@f",
	    { { "From", " a@b", 11 }, { "To", " c@d", 8 },
	      { "Cc", " e@f", 7 } }, 3 },
	{ "folded LF", "Subject: a\n b\n\tc\nTo: x\n",
	    { { "Subject", " a\n b\n\tc", 17 }, { "To", " x", 6 } }, 2 },
	{ "folded CRLF", "Subject: a\r\n b\r\nTo: x\r\n",
	    { { "Subject", " a\r\n b", 16 }, { "To", " x", 7 } }, 2 },
	{ "folded at end", "To: a,\n b\n",
	    { { "To", " a,\n b", 10 } }, 1 },
	{ "folded, unterminated", "To: a,\n b",
	    { { "To", " a,\n b", 9 } }, 1 },
	{ "fold line of spaces only", "X: a\n \nY: b\n",
	    { { "X", " a\n ", 7 }, { "Y", " b", 5 } }, 2 },
	{ "colon in value", "Date: Mon, 1 Jan 2024 12:34:56 +0000\n",
	    { { "Date", " Mon, 1 Jan 2024 12:34:56 +0000", 37 } }, 1 },
	{ "colon only in fold", "Subject: a\n b:c\n",
	    { { "Subject", " a\n b:c", 16 } }, 1 },
	{ "empty value", "X:\n",
	    { { "X", "", 3 } }, 1 },
	{ "empty value CRLF", "X:\r\n",
	    { { "X", "", 4 } }, 1 },
	{ "empty value unterminated", "X:",
	    { { "X", "", 2 } }, 1 },
	{ "no space after colon", "X:y\n",
	    { { "X", "y", 4 } }, 1 },
	{ "obsolete space before colon", "Subject \t: hi\n",
	    { { "Subject", " hi", 14 } }, 1 },
	{ "value keeps trailing space", "X: a  \n",
	    { { "X", " a  ", 7 } }, 1 },
	{ "value keeps inner CR", "X: a\rb\n",
	    { { "X", " a\rb", 7 } }, 1 },
	{ "nameless line", "no colon here\nTo: x\n",
	    { { NULL, "no colon here", 14 }, { "To", " x", 6 } }, 2 },
	{ "nameless, colon on next line", "no colon\nA: b\n",
	    { { NULL, "no colon", 9 }, { "A", " b", 5 } }, 2 },
	{ "empty line LF", "\n",
	    { { NULL, "", 1 } }, 1 },
	{ "empty line CRLF", "\r\n",
	    { { NULL, "", 2 } }, 1 },
	{ "fields then empty line", "A: b\n\n",
	    { { "A", " b", 5 }, { NULL, "", 1 } }, 2 },
	{ "case kept", "sUbJeCt: Hi\n",
	    { { "sUbJeCt", " Hi", 12 } }, 1 },
	{ "empty buffer", "", { { NULL, NULL, 0 } }, 0 },
};

static void
check_field(const struct next_case *c, size_t k, const char *buf,
    size_t off, const struct header_field *f)
{
	const struct want_field	*w = &c->f[k];

	if (f->start != buf + off)
		fail_msg("%s: field %zu: start %td, want %zu", c->name, k,
		    f->start - buf, off);
	if (f->len != w->len)
		fail_msg("%s: field %zu: len %zu, want %zu", c->name, k,
		    f->len, w->len);
	if (w->name == NULL) {
		if (f->namelen != 0)
			fail_msg("%s: field %zu: named \"%s\", want none",
			    c->name, k, esc(f->name, f->namelen));
	} else {
		if (f->name != f->start || f->namelen != strlen(w->name) ||
		    memcmp(f->name, w->name, f->namelen) != 0)
			fail_msg("%s: field %zu: name \"%s\", want \"%s\"",
			    c->name, k, esc(f->name, f->namelen), w->name);
	}
	if (f->valuelen != strlen(w->value) ||
	    memcmp(f->value, w->value, f->valuelen) != 0)
		fail_msg("%s: field %zu: value \"%s\", want \"%s\"", c->name,
		    k, esc(f->value, f->valuelen),
		    esc(w->value, strlen(w->value)));
	/* name and value lie inside the field */
	assert_true(f->value >= f->start);
	assert_true(f->value + f->valuelen <= f->start + f->len);
}

static void
test_next_table(void **state)
{
	const struct next_case	*c;
	struct header_field	 f;
	char			*buf;
	size_t			 i, k, len, pos, prev;

	(void)state;
	for (i = 0; i < NELEM(next_cases); i++) {
		c = &next_cases[i];
		len = strlen(c->in);
		buf = dup_exact(c->in, len);
		pos = 0;
		for (k = 0; ; k++) {
			prev = pos;
			memset(&f, 0, sizeof(f));
			if (!header_next(buf, len, &pos, &f))
				break;
			if (k >= c->nf)
				fail_msg("%s: more than %zu fields", c->name,
				    c->nf);
			check_field(c, k, buf, prev, &f);
			assert_int_equal(pos, prev + f.len);
		}
		if (k != c->nf)
			fail_msg("%s: %zu fields, want %zu", c->name, k, c->nf);
		assert_int_equal(pos, len);
		/* at the end it stays at the end */
		assert_int_equal(header_next(buf, len, &pos, &f), 0);
		assert_int_equal(pos, len);
		free(buf);
	}
}

/* Starting part way in, and a len shorter than the data. */
static void
test_next_bounds(void **state)
{
	static const char in[] = "A: 1\nB: 2\n folded\nC: 3\n";
	struct header_field	 f;
	char			*buf;
	size_t			 pos;

	(void)state;
	buf = dup_exact(in, sizeof(in) - 1);
	pos = 5;
	assert_int_equal(header_next(buf, sizeof(in) - 1, &pos, &f), 1);
	assert_true(header_name_is(&f, "B"));
	assert_int_equal(f.valuelen, strlen(" 2\n folded"));
	assert_int_equal(pos, 18);

	/* len cuts the fold off: the field ends at len */
	pos = 5;
	assert_int_equal(header_next(buf, 10, &pos, &f), 1);
	assert_true(header_name_is(&f, "B"));
	assert_int_equal(f.len, 5);
	assert_int_equal(f.valuelen, 2);
	assert_int_equal(pos, 10);
	assert_int_equal(header_next(buf, 10, &pos, &f), 0);

	/* len ends in the middle of a name: no colon, a nameless line */
	pos = 0;
	assert_int_equal(header_next(buf, 1, &pos, &f), 1);
	assert_int_equal(f.namelen, 0);
	assert_int_equal(f.len, 1);
	assert_int_equal(pos, 1);

	/* len zero */
	pos = 0;
	assert_int_equal(header_next(buf, 0, &pos, &f), 0);
	assert_int_equal(pos, 0);
	free(buf);
}

/* The fields of a real header cover it exactly, in order. */
static void
test_next_real_header(void **state)
{
	static const char in[] =
	    "Received: from mx.example.org (mx.example.org [192.0.2.1])\r\n"
	    "\tby relay.example.net with ESMTPS id 4Tx1;\r\n"
	    "\tMon, 1 Jan 2024 00:00:00 +0000\r\n"
	    "From: \"Alice, A.\" <alice@example.org>\r\n"
	    "To: bob@example.org,\r\n"
	    "  carol@example.net\r\n"
	    "Bcc: secret@example.org\r\n"
	    "Subject: =?UTF-8?Q?caf=C3=A9?=\r\n"
	    "Resent-Bcc: other@example.org\r\n";
	static const char *names[] = { "Received", "From", "To", "Bcc",
	    "Subject", "Resent-Bcc" };
	struct header_field	 f;
	char			*buf, *rebuilt;
	size_t			 pos = 0, k = 0, rlen = 0;

	(void)state;
	buf = dup_exact(in, sizeof(in) - 1);
	rebuilt = malloc(sizeof(in));
	assert_non_null(rebuilt);
	while (header_next(buf, sizeof(in) - 1, &pos, &f)) {
		assert_true(k < NELEM(names));
		if (!header_name_is(&f, names[k]))
			fail_msg("field %zu is \"%s\", want %s", k,
			    esc(f.name, f.namelen), names[k]);
		assert_true(header_is_field_start(f.start, f.len));
		memcpy(rebuilt + rlen, f.start, f.len);
		rlen += f.len;
		k++;
	}
	assert_int_equal(k, NELEM(names));
	assert_int_equal(rlen, sizeof(in) - 1);
	assert_memory_equal(rebuilt, in, rlen);
	free(rebuilt);
	free(buf);
}

/* ---- header_name_is ---- */

static void
test_name_is(void **state)
{
	static const struct {
		const char	*field;
		const char	*name;
		int		 want;
	} t[] = {
		{ "Subject: x\n", "Subject", 1 },
		{ "Subject: x\n", "subject", 1 },
		{ "Subject: x\n", "SUBJECT", 1 },
		{ "sUbJeCt: x\n", "Subject", 1 },
		{ "Subject : x\n", "Subject", 1 },
		{ "Subject: x\n", "Subjec", 0 },
		{ "Subject: x\n", "Subjects", 0 },
		{ "Subject: x\n", "Sub", 0 },
		{ "Subject: x\n", "", 0 },
		{ "Bcc: x\n", "Bcc", 1 },
		{ "Bcc: x\n", "Resent-Bcc", 0 },
		{ "Resent-Bcc: x\n", "Bcc", 0 },
		{ "Resent-Bcc: x\n", "resent-bcc", 1 },
		{ "X-Bcc: x\n", "Bcc", 0 },
		{ "Bccx: x\n", "Bcc", 0 },
		{ "To: x\n", "To", 1 },
		{ "To: x\n", "Tp", 0 },
		{ "no colon\n", "no colon", 0 },
	};
	struct header_field	 f;
	char			*buf;
	size_t			 i, pos, len;

	(void)state;
	for (i = 0; i < NELEM(t); i++) {
		len = strlen(t[i].field);
		buf = dup_exact(t[i].field, len);
		pos = 0;
		assert_int_equal(header_next(buf, len, &pos, &f), 1);
		if (header_name_is(&f, t[i].name) != t[i].want)
			fail_msg("header_name_is(\"%s\", \"%s\") != %d",
			    esc(t[i].field, len), t[i].name, t[i].want);
		free(buf);
	}
}

/* ---- fuzz ---- */

static void
test_fuzz(void **state)
{
	static const char alpha[] = "ab:: \t\r\n\n\r\nX-Y";
	struct header_field	 f;
	char			*buf;
	size_t			 len, i, pos, prev, nl, total;
	int			 iter, r;

	(void)state;
	rng_seed(0x5eed0004);
	for (iter = 0; iter < 10000; iter++) {
		len = rng() % 200;
		buf = alloc_exact(len);
		for (i = 0; i < len; i++)
			buf[i] = iter % 2 ? (char)rng() :
			    alpha[rng() % (sizeof(alpha) - 1)];

		/* line predicates on every line */
		for (i = 0; i < len; i = nl) {
			for (nl = i; nl < len && buf[nl] != '\n'; nl++)
				;
			if (nl < len)
				nl++;
			r = header_is_field_start(buf + i, nl - i);
			assert_true(r == 0 || r == 1);
			if (r) {
				assert_non_null(memchr(buf + i, ':', nl - i));
				assert_true(buf[i] != ' ' && buf[i] != '\t');
			}
			r = header_is_continuation(buf + i, nl - i);
			assert_true(r == (buf[i] == ' ' || buf[i] == '\t'));
		}

		/* header_next walks the buffer in whole fields */
		pos = 0;
		total = 0;
		for (;;) {
			prev = pos;
			r = header_next(buf, len, &pos, &f);
			if (r == 0) {
				assert_int_equal(pos, prev);
				break;
			}
			assert_int_equal(r, 1);
			assert_true(f.start == buf + prev);
			assert_true(f.len > 0);
			assert_int_equal(pos, prev + f.len);
			assert_true(pos <= len);
			assert_true(f.name == f.start);
			assert_true(f.namelen < f.len);
			assert_true(f.value >= f.start);
			assert_true(f.value + f.valuelen <= f.start + f.len);
			if (f.namelen > 0) {
				/* the name is on the first line, before a
				 * colon, without trailing blanks */
				assert_null(memchr(f.name, '\n', f.namelen));
				assert_null(memchr(f.name, ':', f.namelen));
				assert_true(f.name[f.namelen - 1] != ' ' &&
				    f.name[f.namelen - 1] != '\t');
				assert_int_equal(f.value[-1], ':');
			}
			/* a field continues only over SP/TAB lines */
			for (i = 0; i + 1 < f.len; i++)
				if (f.start[i] == '\n')
					assert_true(f.start[i + 1] == ' ' ||
					    f.start[i + 1] == '\t');
			if (pos < len)
				assert_int_equal(buf[pos - 1], '\n');
			total += f.len;
			if (pos == len)
				assert_int_equal(header_next(buf, len, &pos,
				    &f), 0);
		}
		assert_int_equal(total, len);
		free(buf);
	}
}

/*
 * Found by fuzz/fuzz_smtp_server (fuzz/regress/smtp_server/empty-message):
 * a message with no header at all reaches header_next as NULL, 0.  That
 * is the end, with no pointer arithmetic on NULL (UBSan).
 */
static void
test_next_null_empty(void **state)
{
	struct header_field	f;
	size_t			pos = 0;

	(void)state;
	memset(&f, 0x5a, sizeof(f));
	assert_int_equal(header_next(NULL, 0, &pos, &f), 0);
	assert_int_equal(pos, 0);
	/* a position at or past the end is the end too */
	pos = 7;
	assert_int_equal(header_next("To: a\n", 6, &pos, &f), 0);
	assert_int_equal(pos, 7);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_is_field_start),
		cmocka_unit_test(test_is_continuation),
		cmocka_unit_test(test_next_table),
		cmocka_unit_test(test_next_bounds),
		cmocka_unit_test(test_next_real_header),
		cmocka_unit_test(test_name_is),
		cmocka_unit_test(test_next_null_empty),
		cmocka_unit_test(test_fuzz),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
