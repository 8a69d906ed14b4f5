/*
 * test_address.c - unit tests for src/address.c
 *
 * Tables hold real-world header values and addresses; the fuzz tests at
 * the end throw seeded random bytes at every entry point so that a
 * sanitizer or valgrind run can catch out-of-bounds reads.
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

#include "address.h"
#include "testlib.h"

#define MAXOUT		8

/* ---- address_check ---- */

static const char *valid_addrs[] = {
	"user@example.org",
	"root",
	"first.last@sub.example.co.uk",
	"user+tag@example.org",
	"!#$%&'*+-/=?^_`{|}~@example.org",
	"a.b.c@x",
	"x@a",
	"u@localhost",
	"u@a-b.example",
	"u@123.example",
	"MiXeD@ExAmPlE.OrG",
	"\"quoted local\"@example.org",
	"\"a\\\"b\"@x.org",
	"\"tab\there\"@x.org",
	"\"@\"@x.org",
	"\"a,b<c>(d)\"@x.org",
	"\"-oQ/tmp\"@x.org",	/* starts with '"', not an option */
	"\"unqualified quoted\"",
	"\"\\\\\"@x.org",
	"j\xc3\xb6s\xc3\xa9@b\xc3\xbc" "cher.example",	/* jösé@bücher */
	/* 用户@例子.广告 */
	"\xe7\x94\xa8\xe6\x88\xb7@\xe4\xbe\x8b\xe5\xad\x90.\xe5\xb9\xbf"
	    "\xe5\x91\x8a",
	"\xf0\x9f\x98\x80@emoji.example",		/* U+1F600 */
	"\"j\xc3\xb6s\xc3\xa9 q\"@x.org",
	"u@[192.0.2.1]",
	"u@[0.0.0.0]",
	"u@[255.255.255.255]",
	"u@[IPv6:2001:db8::1]",
	"u@[ipv6:::1]",
	"u@[IPv6:::]",
	"u@[IPv6:1::]",
	"u@[IPv6:::ffff:192.0.2.1]",
	"u@[IPv6:1:2:3:4:5:6:7:8]",
	"u@[IPv6:1:2:3:4:5:6:192.0.2.1]",
	"u@[IPv6:fe80::abcd:EF01]",
};

static void
test_check_valid(void **state)
{
	char	why[128];
	size_t	i;

	(void)state;
	for (i = 0; i < NELEM(valid_addrs); i++) {
		why[0] = '\0';
		if (address_check(valid_addrs[i], why, sizeof(why)) != 0)
			fail_msg("row %zu <%s> refused: %s", i,
			    esc(valid_addrs[i], strlen(valid_addrs[i])), why);
	}
}

struct bad {
	const char	*addr;
	const char	*why;	/* expected substring of the reason */
};

static const struct bad invalid_addrs[] = {
	{ "", "empty address" },
	{ "-oQ/tmp@x.org", "begins with '-'" },
	{ "-f", "begins with '-'" },
	{ "-", "begins with '-'" },
	{ "a b@x.org", "control character or space 0x20" },
	{ "a\tb@x.org", "control character or space 0x09" },
	{ "a\rb@x.org", "control character or space 0x0d" },
	{ "a\nb@x.org", "control character or space 0x0a" },
	{ "a@x.org\r\nRCPT TO:<evil@x.org>", "control character" },
	{ "a\x7f@x.org", "control character or space 0x7f" },
	{ "a\x01@x.org", "control character or space 0x01" },
	{ "\"ok\"@x y", "control character or space" },
	{ "a@b@c.org", "more than one '@'" },
	{ "\"a\"@b@c.org", "more than one '@'" },
	{ "@x.org", "empty local part" },
	{ "@", "empty local part" },
	{ "a@", "empty domain" },
	{ ".a@x.org", "dot" },
	{ "a.@x.org", "dot" },
	{ "a..b@x.org", "dot" },
	{ "a.", "dot" },
	{ "a,b@x.org", "invalid character ',' in local part" },
	{ "a(b)@x.org", "invalid character '(' in local part" },
	{ "<a@x.org>", "invalid character '<' in local part" },
	{ "a\"b\"@x.org", "invalid character '\"' in local part" },
	{ "a\\b@x.org", "invalid character '\\' in local part" },
	{ "a@-x.org", "begins with '-'" },
	{ "a@x-.org", "ends with '-'" },
	{ "a@x.org-", "ends with '-'" },
	{ "a@x..org", "empty domain label" },
	{ "a@.x.org", "empty domain label" },
	{ "a@x.org.", "empty domain label" },
	{ "a@x_y.org", "invalid character '_' in domain" },
	{ "a@x!.org", "invalid character '!' in domain" },
	{ "a@x[1].org", "invalid character '[' in domain" },
	{ "a@[1.2.3.4", "unterminated domain literal" },
	{ "a@[1.2.3.4]x", "text after domain literal" },
	{ "a@[1.2.3.4].org", "text after domain literal" },
	{ "a@[]", "invalid address literal" },
	{ "a@[1.2.3]", "invalid address literal" },
	{ "a@[1.2.3.4.5]", "invalid address literal" },
	{ "a@[256.1.1.1]", "invalid address literal" },
	{ "a@[01.2.3.4]", "invalid address literal" },
	{ "a@[1.2.3.]", "invalid address literal" },
	{ "a@[1..2.3]", "invalid address literal" },
	{ "a@[1234.1.1.1]", "invalid address literal" },
	{ "a@[example.org]", "invalid address literal" },
	{ "a@[Other:stuff]", "invalid address literal" },
	{ "a@[IPv6:]", "invalid address literal" },
	{ "a@[IPv6:1::2::3]", "invalid IPv6" },
	{ "a@[IPv6:12345::]", "invalid IPv6" },
	{ "a@[IPv6:1:2:3:4:5:6:7]", "invalid IPv6" },
	{ "a@[IPv6:1:2:3:4:5:6:7:8:9]", "invalid IPv6" },
	{ "a@[IPv6:1:2:3:4:5:6:7::8]", "invalid IPv6" },
	{ "a@[IPv6::1]", "invalid IPv6" },
	{ "a@[IPv6:1:]", "invalid IPv6" },
	{ "a@[IPv6:1.2.3.4]", "invalid IPv6" },
	{ "a@[IPv6:::1.2.3]", "invalid IPv6" },
	{ "a@[IPv6:::1.2.3.4:5]", "invalid IPv6" },
	{ "a@[IPv6:g::1]", "invalid IPv6" },
	{ "a@[IPv6:::1 ]", "control character or space" },
	{ "\"unterminated@x.org", "unterminated quoted local part" },
	{ "\"a\\", "unterminated quoted local part" },
	{ "\"a\"b@x.org", "text after quoted local part" },
	{ "\"\"@x.org", "empty quoted local part" },
	{ "\"a\r\nb\"@x.org", "control character 0x0d in quoted" },
	{ "\"a\nb\"@x.org", "control character 0x0a in quoted" },
	{ "\"a\\\nb\"@x.org", "control character 0x0a in quoted" },
	{ "\"a\x1b[2J\"@x.org", "control character 0x1b in quoted" },
	{ "\"a\x7f\"@x.org", "control character 0x7f in quoted" },
	/* the NUL ends the C string, leaving the quote open */
	{ "\"a\0b\"@x.org", "unterminated quoted local part" },
	/* invalid UTF-8 */
	{ "\xc0\xaf" "a@x.org", "invalid UTF-8 in local part" },
	{ "a\xe0\x80\x80@x.org", "invalid UTF-8 in local part" },
	{ "a\xed\xa0\x80@x.org", "invalid UTF-8 in local part" },
	{ "a\xf4\x90\x80\x80@x.org", "invalid UTF-8 in local part" },
	{ "a\xf5\x80\x80\x80@x.org", "invalid UTF-8 in local part" },
	{ "a\xff@x.org", "invalid UTF-8 in local part" },
	{ "a\xc3@x.org", "invalid UTF-8 in local part" },
	{ "a\xc3", "invalid UTF-8 in local part" },
	{ "\x80" "a@x.org", "invalid UTF-8 in local part" },
	{ "\"\xff\"@x.org", "invalid UTF-8 in local part" },
	{ "\"\\\xc3\"@x.org", "invalid UTF-8 in local part" },
	{ "a@b\xfc" "cher.example", "invalid UTF-8 in domain" },
	{ "a@x.\xe2\x82", "invalid UTF-8 in domain" },
	{ "a@\xe2\x82.x", "invalid UTF-8 in domain" },
	{ "a@x\xf0\x9f\x98", "invalid UTF-8 in domain" },
};

static void
test_check_invalid(void **state)
{
	char	why[128];
	size_t	i;

	(void)state;
	for (i = 0; i < NELEM(invalid_addrs); i++) {
		const struct bad *b = &invalid_addrs[i];

		strcpy(why, "(unset)");
		if (address_check(b->addr, why, sizeof(why)) != -1)
			fail_msg("row %zu <%s> accepted", i,
			    esc(b->addr, strlen(b->addr)));
		if (strstr(why, b->why) == NULL)
			fail_msg("row %zu <%s>: reason \"%s\", want \"%s\"", i,
			    esc(b->addr, strlen(b->addr)), why, b->why);
	}
}

/* Fill BUF with N copies of C, NUL-terminated; returns BUF + N. */
static char *
fill(char *buf, int c, size_t n)
{
	memset(buf, c, n);
	buf[n] = '\0';
	return buf + n;
}

static void
test_check_lengths(void **state)
{
	char	a[512], why[128], *p;

	(void)state;
	/* 64 + 1 + (63 + 1 + 63 + 1 + 61) = 254 */
	p = fill(a, 'l', 64);
	*p++ = '@';
	p = fill(p, 'a', 63);
	*p++ = '.';
	p = fill(p, 'b', 63);
	*p++ = '.';
	(void)fill(p, 'c', 61);
	assert_int_equal(strlen(a), ADDRESS_MAX);
	assert_int_equal(address_check(a, why, sizeof(why)), 0);
	/* 255 bytes */
	strcat(a, "c");
	assert_int_equal(strlen(a), ADDRESS_MAX + 1);
	assert_int_equal(address_check(a, why, sizeof(why)), -1);
	assert_non_null(strstr(why, "longer than 254"));
	/* far longer: must not be scanned to the end to find out */
	fill(a, 'x', sizeof(a) - 1);
	assert_int_equal(address_check(a, why, sizeof(why)), -1);
	assert_non_null(strstr(why, "longer than 254"));

	/* local part 64 / 65, qualified and not */
	p = fill(a, 'l', 64);
	assert_int_equal(address_check(a, why, sizeof(why)), 0);
	strcpy(p, "@x.org");
	assert_int_equal(address_check(a, why, sizeof(why)), 0);
	p = fill(a, 'l', 65);
	assert_int_equal(address_check(a, why, sizeof(why)), -1);
	assert_non_null(strstr(why, "local part longer than 64"));
	strcpy(p, "@x.org");
	assert_int_equal(address_check(a, why, sizeof(why)), -1);
	assert_non_null(strstr(why, "local part longer than 64"));
	/* quoted local part: the quotes count, as they go on the wire */
	a[0] = '"';
	p = fill(a + 1, 'q', 62);
	strcpy(p, "\"@x.org");
	assert_int_equal(address_check(a, why, sizeof(why)), 0);
	p = fill(a + 1, 'q', 63);
	strcpy(p, "\"@x.org");
	assert_int_equal(address_check(a, why, sizeof(why)), -1);
	assert_non_null(strstr(why, "local part longer than 64"));

	/* domain label 63 / 64, counted in bytes also for UTF-8 */
	strcpy(a, "u@");
	p = fill(a + 2, 'd', 63);
	strcpy(p, ".org");
	assert_int_equal(address_check(a, why, sizeof(why)), 0);
	p = fill(a + 2, 'd', 64);
	strcpy(p, ".org");
	assert_int_equal(address_check(a, why, sizeof(why)), -1);
	assert_non_null(strstr(why, "label longer than 63"));
	strcpy(a, "u@");
	p = a + 2;
	for (int i = 0; i < 32; i++) {		/* 32 x "ü" = 64 bytes */
		*p++ = '\xc3';
		*p++ = '\xbc';
	}
	strcpy(p, ".org");
	assert_int_equal(address_check(a, why, sizeof(why)), -1);
	assert_non_null(strstr(why, "label longer than 63"));
}

static void
test_check_why_buffer(void **state)
{
	char	why[8];

	(void)state;
	/* NULL or zero-sized reason buffers are fine */
	assert_int_equal(address_check("a b", NULL, 0), -1);
	assert_int_equal(address_check("a b", why, 0), -1);
	assert_int_equal(address_check("ok@x.org", NULL, 0), 0);
	assert_int_equal(address_check(NULL, NULL, 0), -1);
	/* a short buffer gets a cut, NUL-terminated reason */
	memset(why, 'Z', sizeof(why));
	assert_int_equal(address_check("", why, sizeof(why)), -1);
	assert_string_equal(why, "empty a");
	/* raw control bytes never reach the reason */
	{
		char big[128];

		assert_int_equal(address_check("a@\x1b[31m.org", big,
		    sizeof(big)), -1);
		assert_null(strchr(big, '\x1b'));
		assert_int_equal(address_check("a\x1b@x.org", big,
		    sizeof(big)), -1);
		assert_null(strchr(big, '\x1b'));
		assert_int_equal(address_check("a\xff@x.org", big,
		    sizeof(big)), -1);
		assert_null(strchr(big, '\xff'));
	}
}

/* ---- address_is_qualified / address_qualify ---- */

struct qual {
	const char	*addr;
	int		 qualified;
};

static const struct qual qual_rows[] = {
	{ "a@b", 1 },
	{ "root", 0 },
	{ "", 0 },
	{ "@", 1 },
	{ "\"a@b\"", 0 },
	{ "\"a@b\"@c", 1 },
	{ "\"a\\\"@b\"", 0 },		/* escaped quote keeps it open */
	{ "\"a\\\\\"@b", 1 },		/* escaped backslash does not */
	{ "\"a@b", 0 },			/* unterminated quote */
	{ "\"a\\", 0 },
	{ "a\"@\"", 1 },		/* quotes only count at the start */
};

static void
test_is_qualified(void **state)
{
	size_t	i;

	(void)state;
	assert_int_equal(address_is_qualified(NULL), 0);
	for (i = 0; i < NELEM(qual_rows); i++)
		if (address_is_qualified(qual_rows[i].addr) !=
		    qual_rows[i].qualified)
			fail_msg("row %zu <%s>: want %d", i, qual_rows[i].addr,
			    qual_rows[i].qualified);
}

struct qfy {
	const char	*addr;
	const char	*domain;
	size_t		 outlen;
	int		 ret;
	const char	*out;	/* expected output, or reason substring */
};

static const struct qfy qfy_rows[] = {
	{ "root", "example.org", 64, 0, "root@example.org" },
	{ "a@b.c", "example.org", 64, 0, "a@b.c" },
	{ "a@b.c", NULL, 64, 0, "a@b.c" },
	{ "\"a@b\"", "x.org", 64, 0, "\"a@b\"@x.org" },
	{ "\"a b\"", "x.org", 64, 0, "\"a b\"@x.org" },
	{ "root", NULL, 64, -1, "no domain" },
	{ "root", "", 64, -1, "no domain" },
	{ "", "x.org", 64, -1, "empty address" },
	/* "root@x.org" is 10 bytes: needs 11 */
	{ "root", "x.org", 11, 0, "root@x.org" },
	{ "root", "x.org", 10, -1, "too small" },
	{ "root", "x.org", 1, -1, "too small" },
	{ "a@b.c", NULL, 6, 0, "a@b.c" },
	{ "a@b.c", NULL, 5, -1, "too small" },
};

static void
test_qualify(void **state)
{
	char	out[300], why[128];
	size_t	i;

	(void)state;
	for (i = 0; i < NELEM(qfy_rows); i++) {
		const struct qfy *q = &qfy_rows[i];
		int r;

		memset(out, 'Z', sizeof(out));
		why[0] = '\0';
		r = address_qualify(q->addr, q->domain, out, q->outlen, why,
		    sizeof(why));
		if (r != q->ret)
			fail_msg("row %zu: ret %d want %d (%s)", i, r, q->ret,
			    why);
		if (r == 0 && strcmp(out, q->out) != 0)
			fail_msg("row %zu: out \"%s\" want \"%s\"", i, out,
			    q->out);
		if (r == -1 && (out[0] != '\0' || strstr(why, q->out) == NULL))
			fail_msg("row %zu: out \"%.10s\" reason \"%s\" want "
			    "\"%s\"", i, out, why, q->out);
		/* nothing written past OUTLEN */
		if (out[q->outlen] != 'Z')
			fail_msg("row %zu: wrote past outlen", i);
	}
	/* bad arguments */
	assert_int_equal(address_qualify(NULL, "x", out, sizeof(out), NULL,
	    0), -1);
	assert_int_equal(address_qualify("a", "x", NULL, 10, NULL, 0), -1);
	assert_int_equal(address_qualify("a", "x", out, 0, NULL, 0), -1);
}

static void
test_qualify_limits(void **state)
{
	char	addr[300], dom[300], out[600], why[128];

	(void)state;
	/* 200 + 1 + 53 = 254 fits; 200 + 1 + 54 = 255 does not */
	fill(addr, 'a', 200);
	fill(dom, 'd', 53);
	assert_int_equal(address_qualify(addr, dom, out, sizeof(out), why,
	    sizeof(why)), 0);
	assert_int_equal(strlen(out), ADDRESS_MAX);
	fill(dom, 'd', 54);
	assert_int_equal(address_qualify(addr, dom, out, sizeof(out), why,
	    sizeof(why)), -1);
	assert_non_null(strstr(why, "longer than 254"));
	assert_string_equal(out, "");
	/* over-long input address, qualified or not */
	fill(addr, 'a', 255);
	assert_int_equal(address_qualify(addr, "x", out, sizeof(out), why,
	    sizeof(why)), -1);
	addr[10] = '@';
	assert_int_equal(address_qualify(addr, "x", out, sizeof(out), why,
	    sizeof(why)), -1);
	/* in place: OUT may be ADDR */
	strcpy(addr, "postmaster");
	assert_int_equal(address_qualify(addr, "example.org", addr,
	    sizeof(addr), why, sizeof(why)), 0);
	assert_string_equal(addr, "postmaster@example.org");
	assert_int_equal(address_qualify(addr, "other.org", addr,
	    sizeof(addr), why, sizeof(why)), 0);
	assert_string_equal(addr, "postmaster@example.org");
}

/* ---- address_list_parse ---- */

struct collect {
	char	addrs[MAXOUT][ADDRESS_MAX + 1];
	int	n;
	int	calls;
	int	stop_at;	/* return STOP_RET on this call (1-based) */
	int	stop_ret;
};

static int
collect_cb(const char *addr, void *arg)
{
	struct collect	*c = arg;
	size_t		 n = strlen(addr);

	c->calls++;
	assert_true(n <= ADDRESS_MAX);
	assert_null(strchr(addr, '\r'));
	assert_null(strchr(addr, '\n'));
	if (c->n < MAXOUT)
		memcpy(c->addrs[c->n++], addr, n + 1);
	if (c->stop_at != 0 && c->calls == c->stop_at)
		return c->stop_ret;
	return 0;
}

struct lp {
	const char	*value;
	size_t		 len;		/* 0: strlen(value) */
	const char	*out[MAXOUT];	/* NULL-terminated */
};

static const struct lp list_rows[] = {
	/* plain and empty */
	{ "", 0, { NULL } },
	{ "   \t ", 0, { NULL } },
	{ "(only a comment)", 0, { NULL } },
	{ "john@example.org", 0, { "john@example.org" } },
	{ "root", 0, { "root" } },
	{ "Root <root>", 0, { "root" } },
	{ "a@b.c, d@e.f", 0, { "a@b.c", "d@e.f" } },
	/* display names */
	{ "\"Doe, John\" <john@example.org>", 0, { "john@example.org" } },
	{ "John Doe <john@example.org>", 0, { "john@example.org" } },
	{ "Joe Q. Public <john.q.public@example.com>", 0,
	    { "john.q.public@example.com" } },
	{ "\"a <x@y.z>, b\" <real@z.org>", 0, { "real@z.org" } },
	{ "\"He said \\\"hi\\\"\" <h@x.org>", 0, { "h@x.org" } },
	{ "\"\" <e@x.org>", 0, { "e@x.org" } },
	{ "j@x.org <k@y.org>", 0, { "k@y.org" } },
	{ "=?UTF-8?B?w7xiZXI=?= <a@b.c>", 0, { "a@b.c" } },
	{ "=?ISO-8859-1?Q?Andr=E9?= Pirard <PIRARD@vm1.ulg.ac.be>", 0,
	    { "PIRARD@vm1.ulg.ac.be" } },
	{ "J\xc3\xb6rg M\xc3\xbcller <joerg@example.de>", 0,
	    { "joerg@example.de" } },
	/* unquoted comma: RFC 5322 makes that two elements */
	{ "Doe, John <john@x.org>", 0, { "Doe", "john@x.org" } },
	/* comments */
	{ "john@example.org (John Doe)", 0, { "john@example.org" } },
	{ "(a (b) c) u@v.w", 0, { "u@v.w" } },
	{ "(a, b) u@v.w (c, d), (e) x@y.z", 0, { "u@v.w", "x@y.z" } },
	{ "u(c)@(d)v(e).(f)w", 0, { "u@v.w" } },
	{ "Pete(A nice \\) chap) <pete(his account)@silly.test(his host)>",
	    0, { "pete@silly.test" } },
	{ "(\\( not nested) u@v.w", 0, { "u@v.w" } },
	{ "(\"a\" \\\\) u@v.w", 0, { "u@v.w" } },
	/* groups */
	{ "Team: a@x.org, \"B, b\" <b@y.org>;, c@z.org", 0,
	    { "a@x.org", "b@y.org", "c@z.org" } },
	{ "undisclosed-recipients:;", 0, { NULL } },
	{ "Undisclosed recipients:;", 0, { NULL } },
	{ "undisclosed-recipients:", 0, { NULL } },
	{ "G: ;, a@b.c", 0, { "a@b.c" } },
	{ "G:,,;", 0, { NULL } },
	{ "A Group:Ed Jones <c@a.test>,joe@where.test,John <jdoe@one.test>;",
	    0, { "c@a.test", "joe@where.test", "jdoe@one.test" } },
	{ "A Group(Some people)\r\n     :Chris Jones <c@(Chris's host.)"
	    "public.example>,\r\n         joe@example.org,\r\n  John "
	    "<jdoe@one.test> (my dear friend); (the end of the group)", 0,
	    { "c@public.example", "joe@example.org", "jdoe@one.test" } },
	{ "G1: a@b.c;, G2: d@e.f;", 0, { "a@b.c", "d@e.f" } },
	{ "G: a@b.c", 0, { "a@b.c" } },
	/* folding */
	{ "a@x.org,\r\n\tb@y.org", 0, { "a@x.org", "b@y.org" } },
	{ "a@x.org,\n b@y.org", 0, { "a@x.org", "b@y.org" } },
	{ "\"Doe,\r\n John\" <j@x.org>", 0, { "j@x.org" } },
	{ "\"fold\r\n\tme\"@x.org", 0, { "\"fold\tme\"@x.org" } },
	{ "Mary Smith\r\n  \r\n <mary@example.net>", 0,
	    { "mary@example.net" } },
	{ "a@x.org\r\n", 0, { "a@x.org" } },
	/* obsolete syntax */
	{ "<@a.net,@b.net:u@c.net>", 0, { "u@c.net" } },
	{ "<@a.net, ,@b.net:u@c.net>", 0, { "u@c.net" } },
	{ "<@[192.0.2.1]:u@c.net>", 0, { "u@c.net" } },
	{ "Mary Smith <@node.test:mary@example.net>, , jdoe@test  . example",
	    0, { "mary@example.net", "jdoe@test.example" } },
	{ "John Doe <jdoe@machine(comment).  example>", 0,
	    { "jdoe@machine.example" } },
	{ "john . doe @ example . org", 0, { "john.doe@example.org" } },
	{ "a@b.c,,d@e.f", 0, { "a@b.c", "d@e.f" } },
	{ ", a@b.c ,", 0, { "a@b.c" } },
	{ ",,,", 0, { NULL } },
	/* null address */
	{ "<>", 0, { NULL } },
	{ "Nobody <>, a@b.c", 0, { "a@b.c" } },
	{ "< (c) >", 0, { NULL } },
	/* local parts kept as written */
	{ "\"quoted local\"@example.org", 0,
	    { "\"quoted local\"@example.org" } },
	{ "\"a\\\"b\"@x.org", 0, { "\"a\\\"b\"@x.org" } },
	{ "<\"a,b\"@x.org>", 0, { "\"a,b\"@x.org" } },
	{ "\"unqualified quoted\"", 0, { "\"unqualified quoted\"" } },
	{ "\"a\".b@x.org", 0, { "\"a\".b@x.org" } },
	{ "CaSe@ExAmPlE.oRg", 0, { "CaSe@ExAmPlE.oRg" } },
	/* domain literals */
	{ "u@[192.0.2.1]", 0, { "u@[192.0.2.1]" } },
	{ "<u@[IPv6:2001:db8::1]>", 0, { "u@[IPv6:2001:db8::1]" } },
	{ "u@[ 192.0.2.1 ]", 0, { "u@[192.0.2.1]" } },
	/* UTF-8 passes through, validity is address_check's job */
	{ "j\xc3\xb6s\xc3\xa9@b\xc3\xbc" "cher.example", 0,
	    { "j\xc3\xb6s\xc3\xa9@b\xc3\xbc" "cher.example" } },
	{ "a\xff@x.org", 0, { "a\xff@x.org" } },
	/* RFC 5322 A.1.2 */
	{ "Mary Smith <mary@x.test>, jdoe@example.org, Who? <one@y.test>", 0,
	    { "mary@x.test", "jdoe@example.org", "one@y.test" } },
	{ "<boss@nil.test>, \"Giant; \\\"Big\\\" Box\" <sysservices@example"
	    ".net>", 0, { "boss@nil.test", "sysservices@example.net" } },
	/* lenient: parsed, left for address_check to refuse */
	{ "a..b@x.org", 0, { "a..b@x.org" } },
	{ "-oQ/tmp@x.org", 0, { "-oQ/tmp@x.org" } },
};

static void
test_list_parse(void **state)
{
	struct collect	c;
	char		why[160];
	size_t		i, len;
	int		j, r;

	(void)state;
	for (i = 0; i < NELEM(list_rows); i++) {
		const struct lp *l = &list_rows[i];

		memset(&c, 0, sizeof(c));
		strcpy(why, "(unset)");
		len = l->len != 0 ? l->len : strlen(l->value);
		r = address_list_parse(l->value, len, collect_cb, &c, why,
		    sizeof(why));
		if (r != 0)
			fail_msg("row %zu [%s]: ret %d: %s", i,
			    esc(l->value, len), r, why);
		for (j = 0; j < MAXOUT && l->out[j] != NULL; j++) {
			if (j >= c.n)
				fail_msg("row %zu [%s]: only %d addresses", i,
				    esc(l->value, len), c.n);
			if (strcmp(c.addrs[j], l->out[j]) != 0)
				fail_msg("row %zu [%s]: #%d is <%s> want <%s>",
				    i, esc(l->value, len), j, c.addrs[j],
				    l->out[j]);
		}
		if (j != c.n)
			fail_msg("row %zu [%s]: %d addresses, want %d", i,
			    esc(l->value, len), c.n, j);
	}
}

struct lperr {
	const char	*value;
	size_t		 len;		/* 0: strlen(value) */
	const char	*why;		/* expected substring */
};

static const struct lperr list_errs[] = {
	{ "\"unterminated", 0, "unterminated quoted string at offset 0" },
	{ "a@b.c, \"Doe <d@e.f>", 0, "unterminated quoted string at offset 7" },
	{ "\"a\\", 0, "unterminated quoted string" },
	{ "(unterminated a@b.c", 0, "unterminated comment at offset 0" },
	{ "a@b.c (x (y) z", 0, "unterminated comment at offset 6" },
	{ "a@b.c (x \\", 0, "unterminated comment" },
	{ "<a@b.c", 0, "unterminated '<' at offset 0" },
	{ "John <a@b.c, d@e.f", 0, "inside <...>" },
	{ "John <", 0, "unterminated '<'" },
	{ "a@[1.2", 0, "unterminated domain literal" },
	{ "a@[1.[2]", 0, "'[' inside domain literal" },
	{ "a b c", 0, "display name without <address> at offset 2" },
	{ "a@b.c d", 0, "display name without <address>" },
	{ "\"a\" \"b\"@c.d", 0, "display name without <address>" },
	{ "<a@b.c d>", 0, "unexpected word in <...>" },
	{ "<a b@c.d>", 0, "unexpected word in <...>" },
	{ "<a@b.c> d", 0, "unexpected text after address" },
	{ "<a@b.c> <d@e.f>", 0, "unexpected '<' after address" },
	{ "<a@b.c> : x", 0, "unexpected ':' after address" },
	{ "a@b.c>", 0, "'>' without '<'" },
	{ "a@b.c)", 0, "unexpected ')'" },
	{ "a@b.c]", 0, "unexpected ']'" },
	{ "a\\b@c.d", 0, "unexpected '\\'" },
	{ "a@b.c;", 0, "';' outside a group" },
	{ ";", 0, "';' outside a group" },
	{ "G: a@b.c; d@e.f", 0, "expected ',' after group" },
	{ "G: H: a@b.c;;", 0, "nested group" },
	{ ": a@b.c;", 0, "bad group name" },
	{ "a@b: c@d.e;", 0, "bad group name" },
	{ "@a.net:u@c.net", 0, "bad group name" },
	{ "a@b@c.d", 0, "more than one '@'" },
	{ "a@", 0, "missing domain after '@'" },
	{ "<a@>", 0, "missing domain after '@'" },
	{ "@b.c", 0, "missing local part" },
	{ "x <@b.c>", 0, "bad route" },
	{ "<@a.net u@c.net>", 0, "bad route" },
	{ "<@:u@c.net>", 0, "bad route" },
	{ "<@a b:u@c.net>", 0, "bad route" },
	{ "<@[1.2.3.4].x:u@c.net>", 0, "bad route" },
	{ "<@a.net", 0, "unterminated route" },
	{ "<@a.net:>", 0, "empty address after route" },
	{ "[1.2.3.4]@x.org", 0, "domain literal in local part" },
	{ "a@x.[1.2.3.4]", 0, "domain literal must be the whole domain" },
	{ "a@[1.2.3.4].org", 0, "text after domain literal" },
	{ "a@[1.2.3.4]org", 0, "display name without" },
	{ "a@\"b\".org", 0, "quoted string in domain" },
	{ "\"a\r\nb\"@x.org", 0, "line break in quoted string" },
	{ "\"a\rb\"@x.org", 0, "line break in quoted string" },
	{ "\"a\nb\"@x.org", 0, "line break in quoted string" },
	{ "\"a\\\r\n b\"@x.org", 0, "quoted line break" },
	{ "a@[1.2\r\n.3.4]", 0, "line break in domain literal" },
	{ "a\x01@b.c", 0, "control character 0x01 at offset 1" },
	{ "a@b.c\x7f", 0, "control character 0x7f" },
	{ "a\0b@c.d", 4, "NUL byte at offset 1" },
	{ "\"a\0b\"@c.d", 9, "NUL byte at offset 2" },
	{ "(a\0b) c@d.e", 11, "NUL byte at offset 2" },
	{ "(a\\\0b) c@d.e", 12, "NUL byte at offset 3" },
	{ "a@[1\0]", 6, "NUL byte at offset 4" },
	/* garbage after a good address: the good one must not be passed */
	{ "good@x.org, a b c", 0, "display name without" },
};

static void
test_list_errors(void **state)
{
	struct collect	c;
	char		why[160];
	size_t		i, len;
	int		r;

	(void)state;
	for (i = 0; i < NELEM(list_errs); i++) {
		const struct lperr *e = &list_errs[i];

		memset(&c, 0, sizeof(c));
		strcpy(why, "(unset)");
		len = e->len != 0 ? e->len : strlen(e->value);
		r = address_list_parse(e->value, len, collect_cb, &c, why,
		    sizeof(why));
		if (r != -1)
			fail_msg("row %zu [%s]: ret %d, %d addresses", i,
			    esc(e->value, len), r, c.n);
		if (strstr(why, e->why) == NULL)
			fail_msg("row %zu [%s]: reason \"%s\", want \"%s\"", i,
			    esc(e->value, len), why, e->why);
		/* a list with an error names no recipient at all */
		if (c.calls != 0)
			fail_msg("row %zu [%s]: callback called %d times", i,
			    esc(e->value, len), c.calls);
	}
}

static void
test_list_early_stop(void **state)
{
	static const char	v[] = "a@x.org, b@x.org, c@x.org";
	struct collect		c;

	(void)state;
	memset(&c, 0, sizeof(c));
	c.stop_at = 2;
	c.stop_ret = 7;
	assert_int_equal(address_list_parse(v, strlen(v), collect_cb, &c,
	    NULL, 0), 7);
	assert_int_equal(c.calls, 2);
	assert_string_equal(c.addrs[1], "b@x.org");

	/* a negative callback value comes back unchanged too */
	memset(&c, 0, sizeof(c));
	c.stop_at = 1;
	c.stop_ret = -5;
	assert_int_equal(address_list_parse(v, strlen(v), collect_cb, &c,
	    NULL, 0), -5);
	assert_int_equal(c.calls, 1);

	/* no callback: a syntax check only */
	assert_int_equal(address_list_parse(v, strlen(v), NULL, NULL, NULL,
	    0), 0);
	assert_int_equal(address_list_parse("a b", 3, NULL, NULL, NULL, 0),
	    -1);
	/* NULL value */
	assert_int_equal(address_list_parse(NULL, 0, collect_cb, &c, NULL,
	    0), 0);
	assert_int_equal(address_list_parse(NULL, 5, collect_cb, &c, NULL,
	    0), -1);
}

static void
test_list_len_bound(void **state)
{
	/* the parser must stop at LEN even with more text after it */
	static const char	v[] = "a@x.org, b@y.org";
	struct collect		c;

	(void)state;
	memset(&c, 0, sizeof(c));
	assert_int_equal(address_list_parse(v, 7, collect_cb, &c, NULL, 0),
	    0);
	assert_int_equal(c.n, 1);
	assert_string_equal(c.addrs[0], "a@x.org");
	memset(&c, 0, sizeof(c));
	assert_int_equal(address_list_parse(v, 3, collect_cb, &c, NULL, 0),
	    0);
	assert_string_equal(c.addrs[0], "a@x");
	/* cut inside a quoted string or comment is unterminated */
	assert_int_equal(address_list_parse("\"ab\"@x", 3, NULL, NULL, NULL,
	    0), -1);
	assert_int_equal(address_list_parse("(c) a@x", 2, NULL, NULL, NULL,
	    0), -1);
}

static void
test_list_long(void **state)
{
	char		v[2048], why[160], *p;
	struct collect	c;

	(void)state;
	/* addr-spec of exactly 254 bytes, in angle brackets */
	v[0] = '<';
	p = fill(v + 1, 'l', 64);
	*p++ = '@';
	p = fill(p, 'd', 189);
	strcpy(p, ">");
	memset(&c, 0, sizeof(c));
	assert_int_equal(address_list_parse(v, strlen(v), collect_cb, &c, why,
	    sizeof(why)), 0);
	assert_int_equal(c.n, 1);
	assert_int_equal(strlen(c.addrs[0]), ADDRESS_MAX);
	/* 255 bytes */
	p = fill(v + 1, 'l', 65);
	*p++ = '@';
	p = fill(p, 'd', 189);
	strcpy(p, ">");
	memset(&c, 0, sizeof(c));
	assert_int_equal(address_list_parse(v, strlen(v), collect_cb, &c, why,
	    sizeof(why)), -1);
	assert_non_null(strstr(why, "longer than 254"));
	assert_int_equal(c.calls, 0);
	/* same, bare, made of many tokens */
	p = v;
	for (int i = 0; i < 128; i++) {
		memcpy(p, "a .", 3);
		p += 3;
	}
	strcpy(p, "a@x");
	assert_int_equal(address_list_parse(v, strlen(v), NULL, NULL, why,
	    sizeof(why)), -1);
	assert_non_null(strstr(why, "longer than 254"));
	/* a display name longer than 254 is fine: it is not kept */
	p = fill(v, 'n', 1000);
	strcpy(p, " <a@b.c>");
	memset(&c, 0, sizeof(c));
	assert_int_equal(address_list_parse(v, strlen(v), collect_cb, &c, why,
	    sizeof(why)), 0);
	assert_string_equal(c.addrs[0], "a@b.c");
	/* so is a long comment or a long route */
	v[0] = '(';
	p = fill(v + 1, 'c', 1500);
	strcpy(p, ") a@b.c");
	assert_int_equal(address_list_parse(v, strlen(v), NULL, NULL, why,
	    sizeof(why)), 0);
	strcpy(v, "<@");
	p = fill(v + 2, 'r', 1500);
	strcpy(p, ":a@b.c>");
	memset(&c, 0, sizeof(c));
	assert_int_equal(address_list_parse(v, strlen(v), collect_cb, &c, why,
	    sizeof(why)), 0);
	assert_string_equal(c.addrs[0], "a@b.c");
}

static void
test_list_comment_depth(void **state)
{
	char	v[256], why[160];
	size_t	n;
	int	i;

	(void)state;
	/* ADDRESS_COMMENT_DEPTH levels are followed */
	n = 0;
	for (i = 0; i < ADDRESS_COMMENT_DEPTH; i++)
		v[n++] = '(';
	for (i = 0; i < ADDRESS_COMMENT_DEPTH; i++)
		v[n++] = ')';
	memcpy(v + n, " a@b.c", 6);
	n += 6;
	assert_int_equal(address_list_parse(v, n, NULL, NULL, why,
	    sizeof(why)), 0);
	/* one more is refused rather than tracked */
	n = 0;
	for (i = 0; i <= ADDRESS_COMMENT_DEPTH; i++)
		v[n++] = '(';
	for (i = 0; i <= ADDRESS_COMMENT_DEPTH; i++)
		v[n++] = ')';
	assert_int_equal(address_list_parse(v, n, NULL, NULL, why,
	    sizeof(why)), -1);
	assert_non_null(strstr(why, "nested deeper than 32"));
	/* escaped parentheses do not count */
	n = 0;
	v[n++] = '(';
	for (i = 0; i < 100; i++) {
		v[n++] = '\\';
		v[n++] = '(';
	}
	v[n++] = ')';
	assert_int_equal(address_list_parse(v, n, NULL, NULL, why,
	    sizeof(why)), 0);
}

/* ---- address_list_parse_spans ---- */

#define SPANMAX		512	/* more than a 300-byte fuzz value can hold */

/* What address_list_parse_spans reported for one value. */
struct spanlog {
	const char		*value;
	size_t			 len;
	int			 n;
	int			 calls;
	int			 stop_at;
	int			 stop_ret;
	char			 addrs[SPANMAX][ADDRESS_MAX + 1];
	struct address_span	 spans[SPANMAX];
};

/* only one spanlog is live at a time, and it is too big for the stack */
static struct spanlog	span_log;

/*
 * Parse BUF/LEN from an exact-size heap copy, so that a sanitizer sees a
 * read past the substring, and return how many mailboxes it held (-1 on
 * a syntax error); the first goes into FIRST.
 */
static int
reparse(const char *buf, size_t len, char *first)
{
	struct collect	c;
	char		*h;
	int		r;

	h = dup_exact(buf, len);
	memset(&c, 0, sizeof(c));
	r = address_list_parse(h, len, collect_cb, &c, NULL, 0);
	free(h);
	if (r != 0)
		return -1;
	if (c.n > 0)
		memcpy(first, c.addrs[0], strlen(c.addrs[0]) + 1);
	return c.calls;
}

static int
is_wsp(unsigned char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/*
 * The per-call promises of address_span: in bounds, in order, not
 * overlapping, spec inside mailbox, no whitespace at the ends, and each
 * substring parsed alone gives back the same single address.
 */
static int
span_cb(const char *addr, const struct address_span *sp, void *arg)
{
	struct spanlog		*l = arg;
	const char		*v = l->value;
	size_t			 mend, send, prev;
	char			 again[ADDRESS_MAX + 1];
	int			 k;

	assert_non_null(sp);
	assert_true(strlen(addr) <= ADDRESS_MAX);
	mend = sp->mailbox_start + sp->mailbox_len;
	send = sp->spec_start + sp->spec_len;
	if (sp->mailbox_len == 0 || sp->spec_len == 0 || mend > l->len ||
	    mend < sp->mailbox_start || sp->spec_start < sp->mailbox_start ||
	    send > mend || (sp->angle != 0 && sp->angle != 1))
		fail_msg("[%s] <%s>: bad span m %zu+%zu s %zu+%zu a %d",
		    esc(v, l->len), addr, sp->mailbox_start, sp->mailbox_len,
		    sp->spec_start, sp->spec_len, sp->angle);
	prev = l->n == 0 ? 0 : l->spans[l->n - 1].mailbox_start +
	    l->spans[l->n - 1].mailbox_len;
	if (l->n > 0 && sp->mailbox_start <= prev)
		fail_msg("[%s] <%s>: mailbox at %zu overlaps or touches the "
		    "one ending at %zu", esc(v, l->len), addr,
		    sp->mailbox_start, prev);
	if (is_wsp((unsigned char)v[sp->mailbox_start]) ||
	    is_wsp((unsigned char)v[mend - 1]) ||
	    is_wsp((unsigned char)v[sp->spec_start]) ||
	    is_wsp((unsigned char)v[send - 1]))
		fail_msg("[%s] <%s>: span starts or ends with whitespace",
		    esc(v, l->len), addr);
	k = reparse(v + sp->spec_start, sp->spec_len, again);
	if (k != 1 || strcmp(again, addr) != 0)
		fail_msg("[%s] <%s>: spec [%s] parses to %d <%s>",
		    esc(v, l->len), addr, esc(v + sp->spec_start,
		    sp->spec_len), k, k > 0 ? again : "");
	k = reparse(v + sp->mailbox_start, sp->mailbox_len, again);
	if (k != 1 || strcmp(again, addr) != 0)
		fail_msg("[%s] <%s>: mailbox [%s] parses to %d <%s>",
		    esc(v, l->len), addr, esc(v + sp->mailbox_start,
		    sp->mailbox_len), k, k > 0 ? again : "");
	l->calls++;
	assert_true(l->n < SPANMAX);
	memcpy(l->addrs[l->n], addr, strlen(addr) + 1);
	l->spans[l->n++] = *sp;
	if (l->stop_at != 0 && l->calls == l->stop_at)
		return l->stop_ret;
	return 0;
}

/*
 * Splice: copy V/LEN into OUT, replacing the spec (or, with REPL NULL,
 * the whole mailbox: dropped) of every logged span by REPL(i).  Returns
 * the new length.
 */
static size_t
splice(const struct spanlog *l, const char *(*repl)(const struct spanlog *,
    int), char *out, size_t outlen)
{
	size_t		 at = 0, o = 0, s, n, k;
	const char	*r;
	int		 i;

	for (i = 0; i < l->n; i++) {
		if (repl != NULL) {
			s = l->spans[i].spec_start;
			n = l->spans[i].spec_len;
			r = repl(l, i);
		} else {
			s = l->spans[i].mailbox_start;
			n = l->spans[i].mailbox_len;
			r = "";
		}
		k = strlen(r);
		assert_true(o + (s - at) + k < outlen);
		memcpy(out + o, l->value + at, s - at);
		o += s - at;
		memcpy(out + o, r, k);
		o += k;
		at = s + n;
	}
	assert_true(o + (l->len - at) < outlen);
	memcpy(out + o, l->value + at, l->len - at);
	o += l->len - at;
	out[o] = '\0';
	return o;
}

static const char *
repl_canon(const struct spanlog *l, int i)
{
	return l->addrs[i];
}

static const char *
repl_new(const struct spanlog *l, int i)
{
	static char	buf[32];

	(void)l;
	snprintf(buf, sizeof(buf), "n%d@new.example", i);
	return buf;
}

/*
 * Everything address_list_parse_spans promises about VALUE/LEN, checked
 * against address_list_parse: same return value, reason and mailboxes;
 * spans that hold up (span_cb); dropping every mailbox span leaves a list
 * with no mailbox; putting the canonical address, or a new one, in place
 * of every spec gives back exactly those addresses.  Returns the number
 * of mailboxes, or -1 when VALUE does not parse.
 */
static int
check_spans(const char *value, size_t len)
{
	static struct {
		char	buf[SPANMAX * 24 + 2048];
		char	a[SPANMAX][ADDRESS_MAX + 1];
	} w;
	struct spanlog	*l = &span_log;
	struct collect	 c;
	char		 why1[160], why2[160];
	size_t		 n;
	int		 r1, r2, cnt, i, k;

	strcpy(why1, "(unset)");
	strcpy(why2, "(unset)");
	memset(&c, 0, sizeof(c));
	r1 = address_list_parse(value, len, collect_cb, &c, why1,
	    sizeof(why1));
	cnt = c.calls;
	memset(l, 0, sizeof(*l));
	l->value = value;
	l->len = len;
	r2 = address_list_parse_spans(value, len, span_cb, l, why2,
	    sizeof(why2));
	if (r1 != r2 || strcmp(why1, why2) != 0)
		fail_msg("[%s]: plain %d \"%s\", spans %d \"%s\"",
		    esc(value, len), r1, why1, r2, why2);
	assert_int_equal(address_list_parse_spans(value, len, NULL, NULL,
	    NULL, 0), r1);
	if (r2 != 0) {
		if (l->calls != 0)
			fail_msg("[%s]: error, yet %d calls", esc(value, len),
			    l->calls);
		return -1;
	}
	if (l->n != cnt)
		fail_msg("[%s]: %d spans, %d addresses", esc(value, len),
		    l->n, cnt);

	/* what lies outside the mailbox spans names no recipient */
	n = splice(l, NULL, w.buf, sizeof(w.buf));
	k = reparse(w.buf, n, w.a[0]);
	if (k != 0)
		fail_msg("[%s]: without its mailboxes [%s] gives %d",
		    esc(value, len), esc(w.buf, n), k);

	/* the canonical form can stand in for what was written */
	for (i = 0; i < l->n; i++)
		memcpy(w.a[i], l->addrs[i], strlen(l->addrs[i]) + 1);
	n = splice(l, repl_canon, w.buf, sizeof(w.buf));
	memset(l, 0, sizeof(*l));
	l->value = w.buf;
	l->len = n;
	if (address_list_parse_spans(w.buf, n, span_cb, l, why2,
	    sizeof(why2)) != 0 || l->n != cnt)
		fail_msg("[%s]: canonical [%s]: %s, %d of %d",
		    esc(value, len), esc(w.buf, n), why2, l->n, cnt);
	for (i = 0; i < cnt; i++)
		if (strcmp(l->addrs[i], w.a[i]) != 0)
			fail_msg("[%s]: canonical #%d <%s> want <%s>",
			    esc(value, len), i, l->addrs[i], w.a[i]);

	/* and so can a different address; spans from the original */
	memset(l, 0, sizeof(*l));
	l->value = value;
	l->len = len;
	assert_int_equal(address_list_parse_spans(value, len, span_cb, l,
	    NULL, 0), 0);
	n = splice(l, repl_new, w.buf, sizeof(w.buf));
	{
		struct spanlog	*l2 = malloc(sizeof(*l2));

		assert_non_null(l2);
		memset(l2, 0, sizeof(*l2));
		l2->value = w.buf;
		l2->len = n;
		if (address_list_parse_spans(w.buf, n, span_cb, l2, why2,
		    sizeof(why2)) != 0 || l2->n != cnt)
			fail_msg("[%s]: rewritten [%s]: %s, %d of %d",
			    esc(value, len), esc(w.buf, n), why2, l2->n,
			    cnt);
		for (i = 0; i < cnt; i++) {
			if (strcmp(l2->addrs[i], repl_new(l, i)) != 0)
				fail_msg("[%s]: rewritten #%d <%s>",
				    esc(value, len), i, l2->addrs[i]);
			/* the angle brackets stay where they were */
			assert_int_equal(l2->spans[i].angle,
			    l->spans[i].angle);
		}
		free(l2);
	}
	return cnt;
}

/* Every sample of the address_list_parse table, through the spans. */
static void
test_spans_table(void **state)
{
	size_t	i, len;
	int	j, n;

	(void)state;
	for (i = 0; i < NELEM(list_rows); i++) {
		const struct lp *l = &list_rows[i];

		len = l->len != 0 ? l->len : strlen(l->value);
		n = check_spans(l->value, len);
		for (j = 0; j < MAXOUT && l->out[j] != NULL; j++)
			if (j >= n || strcmp(span_log.addrs[j], l->out[j]) != 0)
				fail_msg("row %zu [%s]: #%d want <%s>", i,
				    esc(l->value, len), j, l->out[j]);
		if (j != n)
			fail_msg("row %zu [%s]: %d addresses, want %d", i,
			    esc(l->value, len), n, j);
	}
	/* and the error table: same reason, no call */
	for (i = 0; i < NELEM(list_errs); i++) {
		const struct lperr *e = &list_errs[i];

		len = e->len != 0 ? e->len : strlen(e->value);
		if (check_spans(e->value, len) != -1)
			fail_msg("err row %zu [%s] parsed", i,
			    esc(e->value, len));
	}
}

struct spexp {
	size_t		 mstart;
	const char	*mbox;
	size_t		 sstart;
	const char	*spec;
	int		 angle;
	const char	*addr;
};

struct sprow {
	const char	*value;
	struct spexp	 e[4];		/* up to the first with mbox NULL */
};

static const struct sprow span_rows[] = {
	{ "root", { { 0, "root", 0, "root", 0, "root" } } },
	{ "Root <root>", { { 0, "Root <root>", 6, "root", 1, "root" } } },
	{ "\"Doe, John\" <john@x.org> (work), ann@y.org", {
	    { 0, "\"Doe, John\" <john@x.org> (work)", 13, "john@x.org", 1,
	      "john@x.org" },
	    { 33, "ann@y.org", 33, "ann@y.org", 0, "ann@y.org" } } },
	/* group name, ':', ';' and the ',' after it are in no span */
	{ "Team: a@x, \"B\" <b@y>;, c@z", {
	    { 6, "a@x", 6, "a@x", 0, "a@x" },
	    { 11, "\"B\" <b@y>", 16, "b@y", 1, "b@y" },
	    { 23, "c@z", 23, "c@z", 0, "c@z" } } },
	/* the value of a folded "To: a@x,\r\n\tb@y" */
	{ " a@x,\r\n\tb@y", {
	    { 1, "a@x", 1, "a@x", 0, "a@x" },
	    { 8, "b@y", 8, "b@y", 0, "b@y" } } },
	/* the whole line, given by mistake: "To" is then a group name */
	{ "To: a@x,\r\n\tb@y", {
	    { 4, "a@x", 4, "a@x", 0, "a@x" },
	    { 11, "b@y", 11, "b@y", 0, "b@y" } } },
	/* comments around belong to the mailbox; inside, to the spec */
	{ "(lead) u(c)@(d)v(e).(f)w (trail), (x) <(y) p@q (z)> (w)", {
	    { 0, "(lead) u(c)@(d)v(e).(f)w (trail)", 7,
	      "u(c)@(d)v(e).(f)w", 0, "u@v.w" },
	    { 34, "(x) <(y) p@q (z)> (w)", 43, "p@q", 1, "p@q" } } },
	{ "Pete(A nice \\) chap) <pete(his account)@silly.test(his host)>", {
	    { 0, "Pete(A nice \\) chap) <pete(his account)@silly.test"
	      "(his host)>", 22, "pete(his account)@silly.test", 1,
	      "pete@silly.test" } } },
	/* the route is not part of the spec */
	{ "<@route:u@v>", { { 0, "<@route:u@v>", 8, "u@v", 1, "u@v" } } },
	{ "Mary Smith <@node.test,@b.test:mary@example.net>, , "
	  "jdoe@test  . example\r\n", {
	    { 0, "Mary Smith <@node.test,@b.test:mary@example.net>", 31,
	      "mary@example.net", 1, "mary@example.net" },
	    { 52, "jdoe@test  . example", 52, "jdoe@test  . example", 0,
	      "jdoe@test.example" } } },
	/* RFC 5322 A.1.3 */
	{ "A Group(Some people)\r\n     :Chris Jones <c@(Chris's host.)"
	  "public.example>,\r\n         joe@example.org,\r\n  John "
	  "<jdoe@one.test> (my dear friend); (the end of the group)", {
	    { 28, "Chris Jones <c@(Chris's host.)public.example>", 41,
	      "c@(Chris's host.)public.example", 1, "c@public.example" },
	    { 85, "joe@example.org", 85, "joe@example.org", 0,
	      "joe@example.org" },
	    { 105, "John <jdoe@one.test> (my dear friend)", 111,
	      "jdoe@one.test", 1, "jdoe@one.test" } } },
	/* "<>" names no one and gets no span */
	{ "Nobody <>, a@b.c", { { 11, "a@b.c", 11, "a@b.c", 0, "a@b.c" } } },
	/* folding inside the mailbox, and inside the spec */
	{ "Mary Smith\r\n  \r\n <mary@example.net>", {
	    { 0, "Mary Smith\r\n  \r\n <mary@example.net>", 18,
	      "mary@example.net", 1, "mary@example.net" } } },
	{ "\"fold\r\n\tme\"@x.org", {
	    { 0, "\"fold\r\n\tme\"@x.org", 0, "\"fold\r\n\tme\"@x.org", 0,
	      "\"fold\tme\"@x.org" } } },
	{ "u@[ 192.0.2.1 ] (lit)", {
	    { 0, "u@[ 192.0.2.1 ] (lit)", 0, "u@[ 192.0.2.1 ]", 0,
	      "u@[192.0.2.1]" } } },
	{ "undisclosed-recipients:;", { { 0, NULL, 0, NULL, 0, NULL } } },
	{ "G: ;, <>, (c),", { { 0, NULL, 0, NULL, 0, NULL } } },
};

static void
test_spans_explicit(void **state)
{
	size_t	i, len;
	int	j, n;

	(void)state;
	for (i = 0; i < NELEM(span_rows); i++) {
		const struct sprow *row = &span_rows[i];

		len = strlen(row->value);
		n = check_spans(row->value, len);
		for (j = 0; j < 4 && row->e[j].mbox != NULL; j++) {
			const struct spexp		*e = &row->e[j];
			const struct address_span	*sp;

			if (j >= n)
				fail_msg("row %zu [%s]: only %d mailboxes", i,
				    esc(row->value, len), n);
			sp = &span_log.spans[j];
			if (sp->mailbox_start != e->mstart ||
			    sp->mailbox_len != strlen(e->mbox) ||
			    memcmp(row->value + sp->mailbox_start, e->mbox,
			    sp->mailbox_len) != 0)
				fail_msg("row %zu #%d: mailbox %zu+%zu [%s]", i,
				    j, sp->mailbox_start, sp->mailbox_len,
				    esc(row->value + sp->mailbox_start,
				    sp->mailbox_len));
			if (sp->spec_start != e->sstart ||
			    sp->spec_len != strlen(e->spec) ||
			    memcmp(row->value + sp->spec_start, e->spec,
			    sp->spec_len) != 0)
				fail_msg("row %zu #%d: spec %zu+%zu [%s]", i, j,
				    sp->spec_start, sp->spec_len,
				    esc(row->value + sp->spec_start,
				    sp->spec_len));
			if (sp->angle != e->angle)
				fail_msg("row %zu #%d: angle %d", i, j,
				    sp->angle);
			if (strcmp(span_log.addrs[j], e->addr) != 0)
				fail_msg("row %zu #%d: <%s> want <%s>", i, j,
				    span_log.addrs[j], e->addr);
		}
		if (j != n)
			fail_msg("row %zu [%s]: %d mailboxes, want %d", i,
			    esc(row->value, len), n, j);
	}
}

/* What the API is for: rewrite addresses, leave every other byte. */
struct rewrite {
	const char	*value;
	char		 out[512];
	size_t		 o, at;
	const char	*domain;
};

static int
qualify_cb(const char *addr, const struct address_span *sp, void *arg)
{
	struct rewrite	*rw = arg;
	char		 q[ADDRESS_MAX + 1];
	size_t		 k;

	assert_int_equal(address_qualify(addr, rw->domain, q, sizeof(q),
	    NULL, 0), 0);
	k = sp->spec_start - rw->at;
	memcpy(rw->out + rw->o, rw->value + rw->at, k);
	rw->o += k;
	k = strlen(q);
	memcpy(rw->out + rw->o, q, k);
	rw->o += k;
	rw->at = sp->spec_start + sp->spec_len;
	return 0;
}

static void
test_spans_rewrite(void **state)
{
	static const struct {
		const char	*in, *out;
	} rows[] = {
		{ "Root <root>, (c) admin (the admin),\r\n\t\"Doe, J.\" "
		  "<@relay:jd (x) > (work)",
		  "Root <root@example.org>, (c) admin@example.org (the admin),"
		  "\r\n\t\"Doe, J.\" <@relay:jd@example.org (x) > (work)" },
		{ "Team: a@x.org, (b)b;, \"c\"", "Team: a@x.org, "
		  "(b)b@example.org;, \"c\"@example.org" },
		{ "u(c)@(d)v(e).(f)w, x", "u@v.w, x@example.org" },
		{ "undisclosed-recipients:;", "undisclosed-recipients:;" },
	};
	struct rewrite	rw;
	size_t		i, len;

	(void)state;
	for (i = 0; i < NELEM(rows); i++) {
		memset(&rw, 0, sizeof(rw));
		rw.value = rows[i].in;
		rw.domain = "example.org";
		len = strlen(rows[i].in);
		assert_int_equal(address_list_parse_spans(rw.value, len,
		    qualify_cb, &rw, NULL, 0), 0);
		memcpy(rw.out + rw.o, rw.value + rw.at, len - rw.at);
		rw.o += len - rw.at;
		rw.out[rw.o] = '\0';
		assert_string_equal(rw.out, rows[i].out);
	}
}

static void
test_spans_early_stop(void **state)
{
	static const char	v[] = "a@x.org, B <b@x.org>, c@x.org";
	struct spanlog		*l = &span_log;

	(void)state;
	memset(l, 0, sizeof(*l));
	l->value = v;
	l->len = strlen(v);
	l->stop_at = 2;
	l->stop_ret = 7;
	assert_int_equal(address_list_parse_spans(v, strlen(v), span_cb, l,
	    NULL, 0), 7);
	assert_int_equal(l->calls, 2);
	assert_string_equal(l->addrs[1], "b@x.org");
	assert_int_equal(l->spans[1].mailbox_start, 9);
	assert_int_equal(l->spans[1].spec_start, 12);
	memset(l, 0, sizeof(*l));
	l->value = v;
	l->len = strlen(v);
	l->stop_at = 1;
	l->stop_ret = -5;
	assert_int_equal(address_list_parse_spans(v, strlen(v), span_cb, l,
	    NULL, 0), -5);
	assert_int_equal(l->calls, 1);
	/* no callback, NULL value */
	assert_int_equal(address_list_parse_spans(v, strlen(v), NULL, NULL,
	    NULL, 0), 0);
	assert_int_equal(address_list_parse_spans("a b", 3, NULL, NULL, NULL,
	    0), -1);
	assert_int_equal(address_list_parse_spans(NULL, 0, span_cb, l, NULL,
	    0), 0);
	assert_int_equal(address_list_parse_spans(NULL, 5, span_cb, l, NULL,
	    0), -1);
	assert_int_equal(l->calls, 1);
	/* LEN bounds the spans too */
	memset(l, 0, sizeof(*l));
	l->value = v;
	l->len = 7;
	assert_int_equal(address_list_parse_spans(v, 7, span_cb, l, NULL, 0),
	    0);
	assert_int_equal(l->n, 1);
	assert_int_equal(l->spans[0].mailbox_len, 7);
}

/* ---- round trips and fuzzing ---- */

/* The high half of testlib's rng(); the tests set rng_state themselves. */
static uint32_t
rng32(void)
{
	return (uint32_t)(rng() >> 32);
}

static int
count_cb(const char *addr, void *arg)
{
	size_t	n = strlen(addr);

	(*(int *)arg)++;
	assert_true(n <= ADDRESS_MAX);
	assert_null(strchr(addr, '\r'));
	assert_null(strchr(addr, '\n'));
	return 0;
}

/*
 * Any address address_check accepts must come out of the list parser
 * unchanged, bare and in angle brackets, or the two halves of relayq
 * would disagree on what a recipient is.
 */
static void
roundtrip(const char *addr)
{
	struct collect	c;
	char		v[ADDRESS_MAX + 16], why[160];
	int		r;

	memset(&c, 0, sizeof(c));
	r = address_list_parse(addr, strlen(addr), collect_cb, &c, why,
	    sizeof(why));
	if (r != 0 || c.n != 1 || strcmp(c.addrs[0], addr) != 0)
		fail_msg("bare <%s>: ret %d n %d <%s> %s",
		    esc(addr, strlen(addr)), r, c.n, c.addrs[0], why);
	snprintf(v, sizeof(v), "Name <%s>", addr);
	memset(&c, 0, sizeof(c));
	r = address_list_parse(v, strlen(v), collect_cb, &c, why,
	    sizeof(why));
	if (r != 0 || c.n != 1 || strcmp(c.addrs[0], addr) != 0)
		fail_msg("angle <%s>: ret %d n %d <%s> %s",
		    esc(addr, strlen(addr)), r, c.n, c.addrs[0], why);
}

static void
test_roundtrip_table(void **state)
{
	size_t	i;

	(void)state;
	for (i = 0; i < NELEM(valid_addrs); i++)
		roundtrip(valid_addrs[i]);
}

static const char *const pieces[] = {
	"a", "Z", "0", "9", "-", "+", "_", "=", "?", "!", "~", "'", ".", "..",
	"@", "@", "\"", "\\", "\\\"", " ", "\t", "(", ")", "<", ">", ",", ";",
	":", "[", "]", "\r\n ", "\n", "\r", "x.org", "example", "IPv6:",
	"::1", "192.0.2.1", "\xc3\xa9", "\xe2\x82\xac", "\xf0\x9f\x98\x80",
	"\xc3", "\x80", "\xff", "\xed\xa0\x80", "\x01", "\x7f", "=?UTF-8?Q?",
	"?=", "\"a b\"", "(c)", "<>", "G:", ";,",
};

/* Random mix of the PIECES above, up to MAX bytes, NUL-terminated. */
static size_t
gen_structured(char *buf, size_t max)
{
	size_t	n = 0, k, want = rng32() % (max + 1);
	const char *s;

	while (n < want) {
		s = pieces[rng32() % NELEM(pieces)];
		k = strlen(s);
		if (n + k > max)
			break;
		memcpy(buf + n, s, k);
		n += k;
	}
	buf[n] = '\0';
	return n;
}

static void
gen_random(char *buf, size_t n)
{
	size_t	i;

	for (i = 0; i < n; i++)
		buf[i] = (char)(rng32() & 0xff);
}

/* Call every entry point on BUF/LEN; only crashes and bad returns fail. */
static int
poke(const char *buf, size_t len)
{
	char	str[512], out[600], why[64];
	int	r, n = 0, ok;

	r = address_list_parse(buf, len, count_cb, &n, why, sizeof(why));
	assert_true(r == 0 || r == -1);
	assert_true(r == 0 || n == 0);
	r = address_list_parse(buf, len, NULL, NULL, NULL, 0);
	assert_true(r == 0 || r == -1);
	/* spans: same verdict, and every promise about them */
	(void)check_spans(buf, len);

	memcpy(str, buf, len);
	str[len] = '\0';
	ok = address_check(str, why, sizeof(why));
	assert_true(ok == 0 || ok == -1);
	r = address_is_qualified(str);
	assert_true(r == 0 || r == 1);
	r = address_qualify(str, "example.org", out, sizeof(out), why,
	    sizeof(why));
	assert_true(r == 0 || r == -1);
	if (r == 0)
		assert_true(strlen(out) <= ADDRESS_MAX);
	r = address_qualify(str, "example.org", out, 7, why, 3);
	assert_true(r == 0 || r == -1);
	if (ok == 0) {
		/* what passes must be safe on an SMTP command line */
		assert_true(strlen(str) <= ADDRESS_MAX && str[0] != '-');
		assert_null(strpbrk(str, "\r\n"));
		roundtrip(str);
		if (!address_is_qualified(str) && address_qualify(str,
		    "example.org", out, sizeof(out), NULL, 0) == 0)
			assert_int_equal(address_check(out, NULL, 0), 0);
	}
	return ok == 0;
}

static void
test_fuzz_random(void **state)
{
	char	buf[301];
	size_t	len;
	int	i;

	(void)state;
	rng_state = 0x5eed1234abcdULL;
	for (i = 0; i < 20000; i++) {
		len = rng32() % 301;
		gen_random(buf, len);
		/* exact-size heap copy so a sanitizer sees any overrun */
		{
			char *h = dup_exact(buf, len);

			(void)poke(h, len);
			free(h);
		}
	}
}

static void
test_fuzz_structured(void **state)
{
	char	buf[301];
	size_t	len;
	int	i, accepted = 0;

	(void)state;
	rng_state = 0xfeedfacecafeULL;
	for (i = 0; i < 20000; i++) {
		len = gen_structured(buf, 300);
		{
			char *h = dup_exact(buf, len);

			accepted += poke(h, len);
			free(h);
		}
	}
	(void)accepted;
}

/* Mostly-valid addresses, so the round-trip property gets exercised. */
static void
test_fuzz_addresses(void **state)
{
	static const char atext[] = "abcXYZ019!#$%&'*+-/=?^_`{|}~";
	static const char qtext[] = "ab @,;:<>()[]\t.\xc3\xa9";
	char	buf[400];
	size_t	n, k, i;
	int	iter, accepted = 0;

	(void)state;
	rng_state = 0x0ddba11ULL;
	for (iter = 0; iter < 20000; iter++) {
		n = 0;
		if (rng32() % 4 == 0) {
			buf[n++] = '"';
			k = rng32() % 12;
			for (i = 0; i < k; i++) {
				if (rng32() % 8 == 0) {
					buf[n++] = '\\';
					buf[n++] = "\"\\a"[rng32() % 3];
				} else
					buf[n++] = qtext[rng32() %
					    (sizeof(qtext) - 1)];
			}
			buf[n++] = '"';
		} else {
			k = 1 + rng32() % 12;
			for (i = 0; i < k; i++) {
				if (i > 0 && rng32() % 5 == 0)
					buf[n++] = '.';
				buf[n++] = atext[rng32() % (sizeof(atext) - 1)];
			}
		}
		switch (rng32() % 4) {
		case 0:
			break;		/* unqualified */
		case 1:
			n += (size_t)sprintf(buf + n, "@[%u.%u.%u.%u]",
			    rng32() % 300, rng32() % 256, rng32() % 256,
			    rng32() % 256);
			break;
		default:
			buf[n++] = '@';
			k = 1 + rng32() % 4;
			for (i = 0; i < k; i++) {
				size_t l = 1 + rng32() % 8, j;

				if (i > 0)
					buf[n++] = '.';
				for (j = 0; j < l; j++)
					buf[n++] = "abz09-\xc3\xa9"[rng32() % 8];
			}
			break;
		}
		buf[n] = '\0';
		accepted += poke(buf, n);
	}
	/* enough of them pass for the round trip to mean something */
	assert_true(accepted > 5000);
}

/*
 * Random address-lists built from known parts, so the spans they must
 * give are known too: mailboxes with and without display names, routes,
 * comments and folds around and inside, groups, "<>" and empty elements.
 */
struct genlist {
	char			 v[4096];
	size_t			 n;
	int			 nmb;
	struct address_span	 want[32];
	const char		*addr[32];
};

static void
gl_put(struct genlist *g, const char *s)
{
	size_t	k = strlen(s);

	assert_true(g->n + k < sizeof(g->v));
	memcpy(g->v + g->n, s, k);
	g->n += k;
	g->v[g->n] = '\0';
}

static const char *
gl_pick(const char *const *a, size_t n)
{
	return a[rng32() % n];
}

static void
gl_ws(struct genlist *g)
{
	static const char *const ws[] = {
		"", "", " ", "  ", "\t", "\r\n ", "\r\n\t", "\n ",
	};

	gl_put(g, gl_pick(ws, NELEM(ws)));
}

static void
gl_cfws(struct genlist *g)
{
	static const char *const cm[] = {
		"(c)", "(a, b; <c>)", "(x (nested) \\) y)", "(\"q\")",
		"(fold\r\n here)",
	};

	gl_ws(g);
	if (rng32() % 3 == 0) {
		gl_put(g, gl_pick(cm, NELEM(cm)));
		gl_ws(g);
	}
}

/* An addr-spec as written and its canonical form. */
static void
gl_spec(struct genlist *g, int mb)
{
	static const struct {
		const char	*as, *canon;
	} specs[] = {
		{ "a@x.org", "a@x.org" },
		{ "root", "root" },
		{ "u(c)@(d)v.w", "u@v.w" },
		{ "\"q, s;<>\"@x", "\"q, s;<>\"@x" },
		{ "a . b @ c", "a.b@c" },
		{ "u@[ 192.0.2.1 ]", "u@[192.0.2.1]" },
		{ "\"fold\r\n me\"@x", "\"fold me\"@x" },
		{ "j\xc3\xb6@b\xc3\xbc.example", "j\xc3\xb6@b\xc3\xbc.example" },
		{ "x@y\r\n .z", "x@y.z" },
	};
	size_t	i = rng32() % NELEM(specs);

	g->want[mb].spec_start = g->n;
	gl_put(g, specs[i].as);
	g->want[mb].spec_len = g->n - g->want[mb].spec_start;
	g->addr[mb] = specs[i].canon;
}

/* One list element, and the span it must give if it holds a mailbox. */
static void
gl_elem(struct genlist *g)
{
	static const char *const names[] = {
		"", "Name", "\"Doe, J.\"", "A B. C", "=?UTF-8?Q?x?=",
		"\"\"", "J\xc3\xb6rg",
	};
	static const char *const routes[] = {
		"", "", "@r.x:", "@a,@b.c:", "@[192.0.2.1]:",
	};
	size_t	start = g->n, end;
	int	kind = (int)(rng32() % 8), mb = g->nmb;

	if (kind == 0) {			/* empty, maybe a comment */
		gl_cfws(g);
		return;
	}
	if (kind == 1) {			/* names no one */
		gl_cfws(g);
		gl_put(g, rng32() % 2 ? "<>" : "Nobody <>");
		gl_cfws(g);
		return;
	}
	assert_true(mb < (int)NELEM(g->want));
	gl_cfws(g);
	if (kind < 5) {				/* bare */
		gl_spec(g, mb);
		g->want[mb].angle = 0;
	} else {
		gl_put(g, gl_pick(names, NELEM(names)));
		gl_cfws(g);
		gl_put(g, "<");
		gl_cfws(g);
		gl_put(g, gl_pick(routes, NELEM(routes)));
		gl_cfws(g);
		gl_spec(g, mb);
		gl_cfws(g);
		gl_put(g, ">");
		g->want[mb].angle = 1;
	}
	gl_cfws(g);
	/* the mailbox is the element, whitespace at both ends trimmed */
	end = g->n;
	while (start < end && is_wsp((unsigned char)g->v[start]))
		start++;
	while (end > start && is_wsp((unsigned char)g->v[end - 1]))
		end--;
	g->want[mb].mailbox_start = start;
	g->want[mb].mailbox_len = end - start;
	g->nmb++;
}

static void
gen_list(struct genlist *g)
{
	int	i, j, nel = (int)(rng32() % 6), nmem;

	g->n = 0;
	g->nmb = 0;
	g->v[0] = '\0';
	for (i = 0; i < nel; i++) {
		if (i > 0)
			gl_put(g, ",");
		if (rng32() % 4 == 0) {
			gl_cfws(g);
			gl_put(g, rng32() % 2 ? "Team" : "A Group");
			gl_cfws(g);
			gl_put(g, ":");
			nmem = (int)(rng32() % 4);
			for (j = 0; j < nmem; j++) {
				if (j > 0)
					gl_put(g, ",");
				gl_elem(g);
			}
			/* a last group may stay open */
			if (i + 1 < nel || rng32() % 2) {
				gl_put(g, ";");
				gl_cfws(g);
			}
		} else
			gl_elem(g);
	}
}

static void
test_fuzz_lists(void **state)
{
	struct genlist	*g;
	int		 iter, i, n, multi = 0;

	(void)state;
	g = malloc(sizeof(*g));
	assert_non_null(g);
	rng_state = 0x11575a11ULL;
	for (iter = 0; iter < 5000; iter++) {
		gen_list(g);
		n = check_spans(g->v, g->n);
		if (n != g->nmb)
			fail_msg("[%s]: %d mailboxes, want %d", esc(g->v, g->n),
			    n, g->nmb);
		for (i = 0; i < n; i++) {
			const struct address_span *sp = &span_log.spans[i];
			const struct address_span *w = &g->want[i];

			if (sp->mailbox_start != w->mailbox_start ||
			    sp->mailbox_len != w->mailbox_len ||
			    sp->spec_start != w->spec_start ||
			    sp->spec_len != w->spec_len ||
			    sp->angle != w->angle)
				fail_msg("[%s] #%d: m %zu+%zu s %zu+%zu a %d, "
				    "want m %zu+%zu s %zu+%zu a %d",
				    esc(g->v, g->n), i, sp->mailbox_start,
				    sp->mailbox_len, sp->spec_start,
				    sp->spec_len, sp->angle, w->mailbox_start,
				    w->mailbox_len, w->spec_start, w->spec_len,
				    w->angle);
			if (strcmp(span_log.addrs[i], g->addr[i]) != 0)
				fail_msg("[%s] #%d: <%s> want <%s>",
				    esc(g->v, g->n), i, span_log.addrs[i],
				    g->addr[i]);
		}
		multi += n > 1;
	}
	free(g);
	/* enough lists of several mailboxes for order to mean something */
	assert_true(multi > 1000);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_check_valid),
		cmocka_unit_test(test_check_invalid),
		cmocka_unit_test(test_check_lengths),
		cmocka_unit_test(test_check_why_buffer),
		cmocka_unit_test(test_is_qualified),
		cmocka_unit_test(test_qualify),
		cmocka_unit_test(test_qualify_limits),
		cmocka_unit_test(test_list_parse),
		cmocka_unit_test(test_list_errors),
		cmocka_unit_test(test_list_early_stop),
		cmocka_unit_test(test_list_len_bound),
		cmocka_unit_test(test_list_long),
		cmocka_unit_test(test_list_comment_depth),
		cmocka_unit_test(test_spans_table),
		cmocka_unit_test(test_spans_explicit),
		cmocka_unit_test(test_spans_rewrite),
		cmocka_unit_test(test_spans_early_stop),
		cmocka_unit_test(test_roundtrip_table),
		cmocka_unit_test(test_fuzz_random),
		cmocka_unit_test(test_fuzz_structured),
		cmocka_unit_test(test_fuzz_addresses),
		cmocka_unit_test(test_fuzz_lists),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
