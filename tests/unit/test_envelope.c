/*
 * test_envelope.c - unit tests for src/envelope.c, the on-disk queue file
 * format (see envelope.h).
 *
 * Round trips go through envelope_format and envelope_parse_head; every
 * rejection the header promises has a table row; envelope_read is run on
 * real files made with mkstemp in /tmp.  The fuzz tests feed seeded random
 * and mutated heads in exactly sized heap buffers so valgrind sees any
 * read past the end.  RELAYQ_TEST_SEED overrides the fuzz seed.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "envelope.h"
#include "testlib.h"

#define TEST_ID		"0123456789ABCDEF0123"

/* ---- helpers ---- */

static char *
repeat(char c, size_t n)
{
	char	*s = malloc(n + 1);

	assert_non_null(s);
	memset(s, c, n);
	s[n] = '\0';
	return s;
}

/* An envelope owning copies of its strings, as envelope_free expects. */
static void
env_make(struct envelope *e, const char *id, uid_t uid, int64_t arrival,
    const char *sender)
{
	memset(e, 0, sizeof(*e));
	snprintf(e->id, sizeof(e->id), "%s", id);
	e->uid = uid;
	e->arrival = arrival;
	e->sender = strdup(sender);
	assert_non_null(e->sender);
}

/* Parse BUF/LEN from an exactly sized heap copy (valgrind sees overreads). */
static int
parse_copy(const char *buf, size_t len, struct envelope *e, size_t *headlen,
    char *why, size_t whylen)
{
	char	*copy = dup_exact(buf, len);
	int	 rc;

	rc = envelope_parse_head(copy, len, e, headlen, why, whylen);
	free(copy);
	return rc;
}

static void
assert_env_equal(const struct envelope *a, const struct envelope *b)
{
	size_t	i;

	assert_string_equal(a->id, b->id);
	assert_int_equal(a->uid, b->uid);
	assert_true(a->arrival == b->arrival);
	assert_non_null(a->sender);
	assert_non_null(b->sender);
	assert_string_equal(a->sender, b->sender);
	assert_int_equal(a->nrcpts, b->nrcpts);
	for (i = 0; i < a->nrcpts; i++)
		assert_string_equal(a->rcpts[i], b->rcpts[i]);
}

/* format -> parse -> compare, also with message bytes after the head. */
static void
roundtrip(const struct envelope *e)
{
	struct envelope	 got;
	char		*head, *withmsg, why[256];
	size_t		 len, headlen = 0;
	static const char msg[] = "Subject: x\n\nT not-a-record\n";

	head = envelope_format(e, &len);
	assert_non_null(head);
	assert_true(len >= 2);
	assert_int_equal(head[len - 1], '\n');
	assert_int_equal(head[len - 2], '\n');

	why[0] = '\0';
	if (parse_copy(head, len, &got, &headlen, why, sizeof(why)) != 0)
		fail_msg("round trip parse failed: %s", why);
	assert_int_equal(headlen, len);
	assert_env_equal(e, &got);
	envelope_free(&got);

	withmsg = malloc(len + sizeof(msg) - 1);
	assert_non_null(withmsg);
	memcpy(withmsg, head, len);
	memcpy(withmsg + len, msg, sizeof(msg) - 1);
	if (parse_copy(withmsg, len + sizeof(msg) - 1, &got, &headlen, why,
	    sizeof(why)) != 0)
		fail_msg("round trip parse with message failed: %s", why);
	assert_int_equal(headlen, len);
	assert_env_equal(e, &got);
	envelope_free(&got);
	free(withmsg);
	free(head);
}

/* ---- envelope_value_ok ---- */

static void
test_value_ok(void **state)
{
	static const struct {
		const char	*in;
		int		 ok;
	} t[] = {
		{ "", 1 },
		{ "a", 1 },
		{ " ", 1 },
		{ "~", 1 },
		{ "user@example.org", 1 },
		{ "\"a b\"@example.org", 1 },
		{ "j\xc3\xb6rg@example.org", 1 },
		{ "\x80\xff", 1 },
		{ "\x7f", 0 },
		{ "a\x7f", 0 },
		{ "\x1f", 0 },
		{ "\x01", 0 },
		{ "\t", 0 },
		{ "a\tb", 0 },
		{ "\n", 0 },
		{ "a\nT evil@example.org", 0 },
		{ "\r", 0 },
		{ "a\r", 0 },
		{ "\x1b[31m", 0 },
	};
	char	*s;
	size_t	 i;

	(void)state;
	for (i = 0; i < NELEM(t); i++)
		if (envelope_value_ok(t[i].in) != t[i].ok)
			fail_msg("envelope_value_ok(\"%s\") != %d",
			    esc(t[i].in, strlen(t[i].in)), t[i].ok);

	s = repeat('x', ENVELOPE_VALUE_MAX);
	assert_int_equal(envelope_value_ok(s), 1);
	free(s);
	s = repeat('x', ENVELOPE_VALUE_MAX + 1);
	assert_int_equal(envelope_value_ok(s), 0);
	free(s);
}

/* ---- envelope_add_rcpt / envelope_has_rcpt ---- */

static void
test_rcpts(void **state)
{
	struct envelope	 e;
	char		 buf[64];

	(void)state;
	memset(&e, 0, sizeof(e));
	assert_int_equal(envelope_has_rcpt(&e, "a@example.org"), 0);

	snprintf(buf, sizeof(buf), "%s", "a@example.org");
	assert_int_equal(envelope_add_rcpt(&e, buf), 0);
	/* a copy is stored, not the caller's pointer */
	snprintf(buf, sizeof(buf), "%s", "zzzzzzzzzzzzz");
	assert_int_equal(envelope_add_rcpt(&e, "b@example.org"), 0);
	assert_int_equal(envelope_add_rcpt(&e, "c@example.org"), 0);
	assert_int_equal(e.nrcpts, 3);
	assert_string_equal(e.rcpts[0], "a@example.org");
	assert_string_equal(e.rcpts[1], "b@example.org");
	assert_string_equal(e.rcpts[2], "c@example.org");

	assert_int_equal(envelope_has_rcpt(&e, "a@example.org"), 1);
	assert_int_equal(envelope_has_rcpt(&e, "c@example.org"), 1);
	assert_int_equal(envelope_has_rcpt(&e, "A@example.org"), 0);
	assert_int_equal(envelope_has_rcpt(&e, "a@example.or"), 0);
	assert_int_equal(envelope_has_rcpt(&e, "a@example.org "), 0);
	assert_int_equal(envelope_has_rcpt(&e, ""), 0);
	assert_int_equal(envelope_has_rcpt(&e, "zzzzzzzzzzzzz"), 0);
	envelope_free(&e);
	assert_int_equal(e.nrcpts, 0);
	assert_null(e.rcpts);
	assert_null(e.sender);
}

static void
test_rcpt_max(void **state)
{
	struct envelope	 e;
	char		 buf[32];
	size_t		 i;

	(void)state;
	memset(&e, 0, sizeof(e));
	for (i = 0; i < ENVELOPE_RCPT_MAX; i++) {
		snprintf(buf, sizeof(buf), "r%zu@example.org", i);
		if (envelope_add_rcpt(&e, buf) != 0)
			fail_msg("envelope_add_rcpt failed at %zu", i);
	}
	assert_int_equal(e.nrcpts, ENVELOPE_RCPT_MAX);
	assert_int_equal(envelope_add_rcpt(&e, "one@too.many"), -1);
	assert_int_equal(e.nrcpts, ENVELOPE_RCPT_MAX);
	assert_int_equal(envelope_has_rcpt(&e, "one@too.many"), 0);
	assert_int_equal(envelope_has_rcpt(&e, "r0@example.org"), 1);
	assert_int_equal(envelope_has_rcpt(&e, "r9999@example.org"), 1);
	for (i = 0; i < ENVELOPE_RCPT_MAX; i += 997) {
		snprintf(buf, sizeof(buf), "r%zu@example.org", i);
		assert_string_equal(e.rcpts[i], buf);
	}
	envelope_free(&e);
}

/* ---- envelope_format / envelope_trailer ---- */

static void
test_format_exact(void **state)
{
	static const char want[] =
	    "relayq 1\n"
	    "I " TEST_ID "\n"
	    "U 1000\n"
	    "A 1700000000\n"
	    "F alice@example.org\n"
	    "T bob@example.org\n"
	    "T carol@example.net\n"
	    "\n";
	struct envelope	 e;
	char		*head;
	size_t		 len;

	(void)state;
	env_make(&e, TEST_ID, 1000, 1700000000, "alice@example.org");
	assert_int_equal(envelope_add_rcpt(&e, "bob@example.org"), 0);
	assert_int_equal(envelope_add_rcpt(&e, "carol@example.net"), 0);
	head = envelope_format(&e, &len);
	assert_int_equal(len, sizeof(want) - 1);
	assert_memory_equal(head, want, len);
	free(head);

	/* the null sender is an empty F value */
	free(e.sender);
	e.sender = strdup("");
	head = envelope_format(&e, &len);
	/* the head is not NUL-terminated */
	assert_non_null(memmem(head, len, "\nF \nT bob@example.org\n", 22));
	free(head);
	envelope_free(&e);
}

static void
test_trailer(void **state)
{
	static const struct {
		uint64_t	 len;
		const char	*want;
	} t[] = {
		{ 0, "relayq-end 00000000000000000000\n" },
		{ 1, "relayq-end 00000000000000000001\n" },
		{ 12345, "relayq-end 00000000000000012345\n" },
		{ UINT64_MAX, "relayq-end 18446744073709551615\n" },
	};
	char	out[ENVELOPE_TRAILER_LEN + 1];
	size_t	i;

	(void)state;
	for (i = 0; i < NELEM(t); i++) {
		memset(out, 'Z', sizeof(out));
		envelope_trailer(t[i].len, out);
		assert_int_equal(strlen(out), ENVELOPE_TRAILER_LEN);
		assert_string_equal(out, t[i].want);
	}
}

/* ---- round trips ---- */

static void
test_roundtrip_basic(void **state)
{
	struct envelope	 e;

	(void)state;
	env_make(&e, TEST_ID, 1000, 1700000000, "alice@example.org");
	assert_int_equal(envelope_add_rcpt(&e, "bob@example.org"), 0);
	assert_int_equal(envelope_add_rcpt(&e, "carol@example.net"), 0);
	roundtrip(&e);
	envelope_free(&e);

	/* null sender, one recipient */
	env_make(&e, "FFFFFFFFFFFFFFFFFFFF", 0, 0, "");
	assert_int_equal(envelope_add_rcpt(&e, "postmaster"), 0);
	roundtrip(&e);
	envelope_free(&e);

	/* duplicate recipients are the caller's business: kept as given */
	env_make(&e, "00000000000000000000", 1, 1, "a@b");
	assert_int_equal(envelope_add_rcpt(&e, "x@y"), 0);
	assert_int_equal(envelope_add_rcpt(&e, "x@y"), 0);
	roundtrip(&e);
	envelope_free(&e);
}

static void
test_roundtrip_extremes(void **state)
{
	struct envelope	 e;
	char		*big, all[256];
	size_t		 n = 0;
	int		 c;

	(void)state;
	/* largest uid (uid_t -1 is "no uid" and not storable) and arrival */
	env_make(&e, TEST_ID, (uid_t)4294967294U, INT64_MAX, "s@x");
	assert_int_equal(envelope_add_rcpt(&e, "r@x"), 0);
	roundtrip(&e);
	envelope_free(&e);

	/* values of exactly ENVELOPE_VALUE_MAX bytes */
	big = repeat('v', ENVELOPE_VALUE_MAX);
	env_make(&e, TEST_ID, 42, 1, big);
	assert_int_equal(envelope_add_rcpt(&e, big), 0);
	assert_int_equal(envelope_add_rcpt(&e, "short@x"), 0);
	roundtrip(&e);
	envelope_free(&e);
	free(big);

	/* every allowed byte: 0x20..0x7e and 0x80..0xff */
	for (c = 0x20; c <= 0xff; c++)
		if (c != 0x7f)
			all[n++] = (char)c;
	all[n] = '\0';
	assert_int_equal(envelope_value_ok(all), 1);
	env_make(&e, TEST_ID, 7, 7, all);
	assert_int_equal(envelope_add_rcpt(&e, all), 0);
	assert_int_equal(envelope_add_rcpt(&e, "T x"), 0);
	roundtrip(&e);
	envelope_free(&e);
}

static void
test_roundtrip_max_rcpts(void **state)
{
	struct envelope	 e;
	char		 buf[32];
	size_t		 i;

	(void)state;
	env_make(&e, TEST_ID, 1000, 1700000000, "a@b");
	for (i = 0; i < ENVELOPE_RCPT_MAX; i++) {
		snprintf(buf, sizeof(buf), "rcpt%zu@example.org", i);
		assert_int_equal(envelope_add_rcpt(&e, buf), 0);
	}
	roundtrip(&e);
	envelope_free(&e);
}

static void
test_roundtrip_random(void **state)
{
	struct envelope	 e;
	char		 val[ENVELOPE_VALUE_MAX + 1], id[QUEUE_ID_LEN + 1];
	size_t		 n, j, k, nr;
	int		 iter;

	(void)state;
	rng_seed(0x5eed0001);
	for (iter = 0; iter < 300; iter++) {
		for (j = 0; j < QUEUE_ID_LEN; j++)
			id[j] = "0123456789ABCDEF"[rng() % 16];
		id[QUEUE_ID_LEN] = '\0';
		n = rng() % 3 == 0 ? ENVELOPE_VALUE_MAX - rng() % 3 :
		    rng() % 60;
		for (j = 0; j < n; j++) {
			do
				val[j] = (char)(0x20 + rng() % 0xe0);
			while (val[j] == 0x7f);
		}
		val[n] = '\0';
		env_make(&e, id, (uid_t)(rng() % 4294967295U),
		    (int64_t)(rng() >> 1), val);
		nr = 1 + rng() % 20;
		for (k = 0; k < nr; k++) {
			n = 1 + rng() % 80;
			for (j = 0; j < n; j++) {
				do
					val[j] = (char)(0x20 + rng() % 0xe0);
				while (val[j] == 0x7f);
			}
			val[n] = '\0';
			assert_int_equal(envelope_add_rcpt(&e, val), 0);
		}
		roundtrip(&e);
		envelope_free(&e);
	}
}

/* ---- envelope_parse_head rejections ---- */

#define H_MAGIC	"relayq 1\n"
#define H_I	"I " TEST_ID "\n"
#define H_U	"U 1000\n"
#define H_A	"A 1700000000\n"
#define H_F	"F a@example.org\n"
#define H_T	"T b@example.org\n"
#define H_GOOD	H_MAGIC H_I H_U H_A H_F H_T "\n"

struct parse_case {
	const char	*name;
	const char	*in;
	size_t		 len;	/* 0: strlen(in) */
};

static const struct parse_case bad_heads[] = {
	/* magic */
	{ "empty", "", 0 },
	{ "no magic", H_I H_U H_A H_F H_T "\n", 0 },
	{ "magic only", H_MAGIC, 0 },
	{ "magic no newline", "relayq 1", 0 },
	{ "magic version 2", "relayq 2\n" H_I H_U H_A H_F H_T "\n", 0 },
	{ "magic version 10", "relayq 10\n" H_I H_U H_A H_F H_T "\n", 0 },
	{ "magic CRLF", "relayq 1\r\n" H_I H_U H_A H_F H_T "\n", 0 },
	{ "magic case", "RELAYQ 1\n" H_I H_U H_A H_F H_T "\n", 0 },
	{ "magic leading space", " relayq 1\n" H_I H_U H_A H_F H_T "\n", 0 },
	{ "magic trailing space", "relayq 1 \n" H_I H_U H_A H_F H_T "\n", 0 },
	{ "magic NUL", "relayq\0" "1\n" H_I H_U H_A H_F H_T "\n",
	    sizeof("relayq\0" "1\n" H_I H_U H_A H_F H_T "\n") - 1 },
	/* unknown or malformed records */
	{ "unknown X", H_MAGIC H_I H_U H_A H_F H_T "X y\n\n", 0 },
	{ "unknown lowercase t", H_MAGIC H_I H_U H_A H_F "t b@x\n\n", 0 },
	{ "unknown lowercase i", H_MAGIC "i " TEST_ID "\n" H_U H_A H_F H_T
	    "\n", 0 },
	{ "record no space", H_MAGIC H_I H_U H_A H_F "Tb@x\n\n", 0 },
	{ "record tab", H_MAGIC H_I H_U H_A H_F "T\tb@x\n\n", 0 },
	{ "record letter only", H_MAGIC H_I H_U H_A H_F H_T "T\n\n", 0 },
	{ "record leading space", H_MAGIC H_I H_U H_A H_F " T b@x\n\n", 0 },
	{ "CRLF record", H_MAGIC H_I H_U H_A H_F "T b@x\r\n\n", 0 },
	{ "CRLF end", H_MAGIC H_I H_U H_A H_F H_T "\r\n", 0 },
	{ "message line as record", H_MAGIC H_I H_U H_A H_F H_T
	    "Subject: x\n\n", 0 },
	/* repeated records */
	{ "repeated I", H_MAGIC H_I H_I H_U H_A H_F H_T "\n", 0 },
	{ "repeated I later", H_MAGIC H_I H_U H_A H_F H_T H_I "\n", 0 },
	{ "repeated U", H_MAGIC H_I H_U H_U H_A H_F H_T "\n", 0 },
	{ "repeated U other", H_MAGIC H_I H_U H_A "U 0\n" H_F H_T "\n", 0 },
	{ "repeated A", H_MAGIC H_I H_U H_A H_A H_F H_T "\n", 0 },
	{ "repeated F", H_MAGIC H_I H_U H_A H_F H_F H_T "\n", 0 },
	{ "repeated F null", H_MAGIC H_I H_U H_A "F \n" H_F H_T "\n", 0 },
	{ "repeated F after T", H_MAGIC H_I H_U H_A H_F H_T H_F "\n", 0 },
	/* missing records */
	{ "missing I", H_MAGIC H_U H_A H_F H_T "\n", 0 },
	{ "missing U", H_MAGIC H_I H_A H_F H_T "\n", 0 },
	{ "missing A", H_MAGIC H_I H_U H_F H_T "\n", 0 },
	{ "missing F", H_MAGIC H_I H_U H_A H_T "\n", 0 },
	{ "no T", H_MAGIC H_I H_U H_A H_F "\n", 0 },
	{ "no records", H_MAGIC "\n", 0 },
	{ "empty T", H_MAGIC H_I H_U H_A H_F "T \n\n", 0 },
	{ "empty T after good", H_MAGIC H_I H_U H_A H_F H_T "T \n\n", 0 },
	/* bad values */
	{ "I short", H_MAGIC "I 0123456789ABCDEF012\n" H_U H_A H_F H_T "\n",
	    0 },
	{ "I long", H_MAGIC "I 0123456789ABCDEF01234\n" H_U H_A H_F H_T "\n",
	    0 },
	{ "I lowercase", H_MAGIC "I 0123456789abcdef0123\n" H_U H_A H_F H_T
	    "\n", 0 },
	{ "I path", H_MAGIC "I ../../../etc/passwd\n" H_U H_A H_F H_T "\n",
	    0 },
	{ "I empty", H_MAGIC "I \n" H_U H_A H_F H_T "\n", 0 },
	{ "U empty", H_MAGIC H_I "U \n" H_A H_F H_T "\n", 0 },
	{ "U negative", H_MAGIC H_I "U -1\n" H_A H_F H_T "\n", 0 },
	{ "U plus", H_MAGIC H_I "U +1\n" H_A H_F H_T "\n", 0 },
	{ "U space", H_MAGIC H_I "U 1 \n" H_A H_F H_T "\n", 0 },
	{ "U hex", H_MAGIC H_I "U 0x10\n" H_A H_F H_T "\n", 0 },
	{ "U -1 as u32", H_MAGIC H_I "U 4294967295\n" H_A H_F H_T "\n", 0 },
	{ "U over u32", H_MAGIC H_I "U 4294967296\n" H_A H_F H_T "\n", 0 },
	{ "U huge", H_MAGIC H_I "U 99999999999999999999999\n" H_A H_F H_T
	    "\n", 0 },
	{ "A empty", H_MAGIC H_I H_U "A \n" H_F H_T "\n", 0 },
	{ "A negative", H_MAGIC H_I H_U "A -5\n" H_F H_T "\n", 0 },
	{ "A over int64", H_MAGIC H_I H_U "A 9223372036854775808\n" H_F H_T
	    "\n", 0 },
	{ "A letters", H_MAGIC H_I H_U "A 17000000x0\n" H_F H_T "\n", 0 },
	/* control bytes and NUL in values */
	{ "tab in F", H_MAGIC H_I H_U H_A "F a\tb@x\n" H_T "\n", 0 },
	{ "CR in T", H_MAGIC H_I H_U H_A H_F "T b@x\r\n" "\n", 0 },
	{ "ESC in T", H_MAGIC H_I H_U H_A H_F "T \x1b[2Jb@x\n\n", 0 },
	{ "DEL in T", H_MAGIC H_I H_U H_A H_F "T b\x7f@x\n\n", 0 },
	{ "0x01 in F", H_MAGIC H_I H_U H_A "F \x01\n" H_T "\n", 0 },
	{ "NUL in T", H_MAGIC H_I H_U H_A H_F "T b\0@x\n\n",
	    sizeof(H_MAGIC H_I H_U H_A H_F "T b\0@x\n\n") - 1 },
	{ "NUL in F", H_MAGIC H_I H_U H_A "F \0\n" H_T "\n",
	    sizeof(H_MAGIC H_I H_U H_A "F \0\n" H_T "\n") - 1 },
	{ "NUL hides CR", H_MAGIC H_I H_U H_A H_F "T b@x\0\r\n\n",
	    sizeof(H_MAGIC H_I H_U H_A H_F "T b@x\0\r\n\n") - 1 },
	{ "NUL record letter", H_MAGIC H_I H_U H_A H_F H_T "\0 x\n\n",
	    sizeof(H_MAGIC H_I H_U H_A H_F H_T "\0 x\n\n") - 1 },
	/* unterminated */
	{ "no empty line", H_MAGIC H_I H_U H_A H_F H_T, 0 },
	{ "last record unterminated", H_MAGIC H_I H_U H_A H_F "T b@x", 0 },
	{ "cut in magic", "relay", 0 },
	{ "cut in I", H_MAGIC "I 0123", 0 },
};

static void
check_rejected(const char *name, const char *in, size_t len)
{
	struct envelope	 e;
	char		 why[256];
	size_t		 headlen = 12345;
	int		 rc;

	memset(&e, 0xa5, sizeof(e));
	why[0] = '\0';
	rc = parse_copy(in, len, &e, &headlen, why, sizeof(why));
	if (rc != -1) {
		envelope_free(&e);
		fail_msg("%s: accepted \"%s\"", name, esc(in, len));
	}
	if (why[0] == '\0')
		fail_msg("%s: rejected without a reason", name);
	/* nothing is left for the caller to free (valgrind checks leaks) */
	assert_null(e.sender);
	assert_null(e.rcpts);
	assert_int_equal(e.nrcpts, 0);
}

static void
test_parse_rejects(void **state)
{
	const struct parse_case	*c;
	size_t			 i;

	(void)state;
	for (i = 0; i < NELEM(bad_heads); i++) {
		c = &bad_heads[i];
		check_rejected(c->name, c->in, c->len ? c->len : strlen(c->in));
	}
}

/* The good head parses; every proper prefix of it is rejected. */
static void
test_parse_prefixes(void **state)
{
	static const char good[] = H_GOOD;
	struct envelope	 e;
	char		 why[256], name[64];
	size_t		 headlen, n;

	(void)state;
	assert_int_equal(parse_copy(good, sizeof(good) - 1, &e, &headlen, why,
	    sizeof(why)), 0);
	assert_int_equal(headlen, sizeof(good) - 1);
	assert_string_equal(e.id, TEST_ID);
	assert_int_equal(e.uid, 1000);
	assert_true(e.arrival == 1700000000);
	assert_string_equal(e.sender, "a@example.org");
	assert_int_equal(e.nrcpts, 1);
	assert_string_equal(e.rcpts[0], "b@example.org");
	envelope_free(&e);

	for (n = 0; n < sizeof(good) - 1; n++) {
		snprintf(name, sizeof(name), "prefix of %zu bytes", n);
		check_rejected(name, good, n);
	}
}

/* Records other than the magic may come in any order. */
static void
test_parse_order(void **state)
{
	static const char in[] = H_MAGIC "T r1@x\n" H_F "T r2@x\n" H_A H_U H_I
	    "T r3@x\n\nbody";
	struct envelope	 e;
	char		 why[256];
	size_t		 headlen;

	(void)state;
	assert_int_equal(parse_copy(in, sizeof(in) - 1, &e, &headlen, why,
	    sizeof(why)), 0);
	assert_int_equal(headlen, sizeof(in) - 1 - 4);
	assert_int_equal(e.nrcpts, 3);
	assert_string_equal(e.rcpts[0], "r1@x");
	assert_string_equal(e.rcpts[1], "r2@x");
	assert_string_equal(e.rcpts[2], "r3@x");
	assert_string_equal(e.id, TEST_ID);
	envelope_free(&e);
}

static void
test_parse_value_max(void **state)
{
	struct envelope	 e;
	char		*buf, *v, why[256];
	size_t		 len, headlen;
	int		 over, which;

	(void)state;
	buf = malloc(4 * ENVELOPE_VALUE_MAX);
	assert_non_null(buf);
	for (which = 0; which < 2; which++) {
		for (over = 0; over <= 1; over++) {
			v = repeat('v', ENVELOPE_VALUE_MAX + (size_t)over);
			if (which == 0)
				len = (size_t)snprintf(buf, 4 *
				    ENVELOPE_VALUE_MAX, "%s%s%s%sF %s\n%s\n",
				    H_MAGIC, H_I, H_U, H_A, v, H_T);
			else
				len = (size_t)snprintf(buf, 4 *
				    ENVELOPE_VALUE_MAX, "%s%s%s%s%sT %s\n\n",
				    H_MAGIC, H_I, H_U, H_A, H_F, v);
			if (over)
				check_rejected(which ? "T over max" :
				    "F over max", buf, len);
			else {
				assert_int_equal(parse_copy(buf, len, &e,
				    &headlen, why, sizeof(why)), 0);
				assert_int_equal(headlen, len);
				envelope_free(&e);
			}
			free(v);
		}
	}
	/* a long value of an unknown record is rejected too */
	v = repeat('v', 3 * ENVELOPE_VALUE_MAX);
	len = (size_t)snprintf(buf, 4 * ENVELOPE_VALUE_MAX, "%s%s%s%s%s%sX %s"
	    "\n\n", H_MAGIC, H_I, H_U, H_A, H_F, H_T, v);
	check_rejected("long unknown record", buf, len);
	free(v);
	free(buf);
}

static void
test_parse_rcpt_max(void **state)
{
	struct envelope	 e;
	char		*buf, why[256];
	size_t		 cap, len, i, headlen;
	int		 extra;

	(void)state;
	cap = (ENVELOPE_RCPT_MAX + 1) * 32 + 256;
	buf = malloc(cap);
	assert_non_null(buf);
	for (extra = 0; extra <= 1; extra++) {
		len = (size_t)snprintf(buf, cap, "%s%s%s%s%s", H_MAGIC, H_I, H_U,
		    H_A, H_F);
		for (i = 0; i < ENVELOPE_RCPT_MAX + (size_t)extra; i++)
			len += (size_t)snprintf(buf + len, cap - len,
			    "T r%zu@x\n", i);
		buf[len++] = '\n';
		if (extra)
			check_rejected("too many T", buf, len);
		else {
			assert_int_equal(parse_copy(buf, len, &e, &headlen,
			    why, sizeof(why)), 0);
			assert_int_equal(e.nrcpts, ENVELOPE_RCPT_MAX);
			envelope_free(&e);
		}
	}
	free(buf);
}

/* A short why buffer is still NUL-terminated and not overrun. */
static void
test_parse_why_small(void **state)
{
	struct envelope	 e;
	char		 why[8];
	size_t		 headlen;

	(void)state;
	memset(why, 'Z', sizeof(why));
	assert_int_equal(envelope_parse_head("bogus\n", 6, &e, &headlen, why,
	    4), -1);
	assert_int_equal(why[3], '\0');
	assert_int_equal(why[4], 'Z');
	assert_int_equal(why[7], 'Z');
}

/* ---- envelope_read on real files ---- */

/* A file holding DATA (unlinked at once: the fd keeps it alive). */
static int
tmpfile_with(const void *data, size_t len, uint64_t *size)
{
	char		 path[] = "/tmp/relayq-test-envelope.XXXXXX";
	struct stat	 st;
	int		 fd;

	fd = tmp_unlinked(path);
	write_exact(fd, data, len);
	assert_int_equal(fstat(fd, &st), 0);
	assert_int_equal((size_t)st.st_size, len);
	*size = (uint64_t)st.st_size;
	return fd;
}

struct qfile {
	char	*buf;
	size_t	 len;
	size_t	 headlen;
	size_t	 msglen;
};

static void
qfile_build(struct qfile *q, const struct envelope *e, const char *msg,
    size_t msglen)
{
	char	*head, trailer[ENVELOPE_TRAILER_LEN + 1];
	size_t	 hl;

	head = envelope_format(e, &hl);
	envelope_trailer(msglen, trailer);
	q->len = hl + msglen + ENVELOPE_TRAILER_LEN;
	q->buf = malloc(q->len);
	assert_non_null(q->buf);
	memcpy(q->buf, head, hl);
	memcpy(q->buf + hl, msg, msglen);
	memcpy(q->buf + hl + msglen, trailer, ENVELOPE_TRAILER_LEN);
	q->headlen = hl;
	q->msglen = msglen;
	free(head);
}

static void
read_ok(const char *buf, size_t len, const struct envelope *want,
    size_t headlen, size_t msglen)
{
	struct envelope	 got;
	char		 why[256], *m;
	uint64_t	 size;
	int		 fd;

	fd = tmpfile_with(buf, len, &size);
	why[0] = '\0';
	if (envelope_read(fd, size, &got, why, sizeof(why)) != 0)
		fail_msg("envelope_read failed: %s", why);
	if (want != NULL)
		assert_env_equal(want, &got);
	assert_int_equal(got.msg_offset, headlen);
	assert_int_equal(got.msg_len, msglen);
	m = malloc(msglen + 1);
	assert_non_null(m);
	assert_int_equal(pread(fd, m, msglen, (off_t)got.msg_offset),
	    (ssize_t)msglen);
	assert_memory_equal(m, buf + headlen, msglen);
	free(m);
	envelope_free(&got);
	close(fd);
}

static void
read_bad(const char *name, const char *buf, size_t len, uint64_t sizearg)
{
	struct envelope	 got;
	char		 why[256];
	uint64_t	 size;
	int		 fd;

	fd = tmpfile_with(buf, len, &size);
	if (sizearg != UINT64_MAX)
		size = sizearg;
	why[0] = '\0';
	memset(&got, 0xa5, sizeof(got));
	if (envelope_read(fd, size, &got, why, sizeof(why)) != -1) {
		envelope_free(&got);
		fail_msg("%s: envelope_read accepted the file", name);
	}
	if (why[0] == '\0')
		fail_msg("%s: rejected without a reason", name);
	assert_null(got.sender);
	assert_null(got.rcpts);
	assert_int_equal(got.nrcpts, 0);
	close(fd);
}

static void
std_env(struct envelope *e)
{
	env_make(e, TEST_ID, 1000, 1700000000, "alice@example.org");
	assert_int_equal(envelope_add_rcpt(e, "bob@example.org"), 0);
	assert_int_equal(envelope_add_rcpt(e, "carol@example.net"), 0);
}

static const char std_msg[] =
    "From: alice@example.org\n"
    "Subject: test\n"
    "\n"
    "body with an empty line\n\nand relayq-end 00000000000000000000\n"
    "relayq 1\nI " TEST_ID "\n";

static void
test_read_ok(void **state)
{
	struct envelope	 e;
	struct qfile	 q;

	(void)state;
	std_env(&e);
	qfile_build(&q, &e, std_msg, sizeof(std_msg) - 1);
	read_ok(q.buf, q.len, &e, q.headlen, q.msglen);
	free(q.buf);

	/* an empty message */
	qfile_build(&q, &e, "", 0);
	read_ok(q.buf, q.len, &e, q.headlen, 0);
	free(q.buf);

	/* a message holding NUL and every other byte */
	{
		char	all[512];
		size_t	i;

		for (i = 0; i < sizeof(all); i++)
			all[i] = (char)(i & 0xff);
		qfile_build(&q, &e, all, sizeof(all));
		read_ok(q.buf, q.len, &e, q.headlen, sizeof(all));
		free(q.buf);
	}
	envelope_free(&e);
}

/* Whole files around the size read in one call (8192 bytes), good and
 * with the trailer cut short. */
static void
test_read_file_sizes(void **state)
{
	struct envelope	 e;
	struct qfile	 q;
	char		*msg;
	size_t		 base, want;

	(void)state;
	std_env(&e);
	qfile_build(&q, &e, "", 0);
	base = q.len;
	free(q.buf);
	for (want = 8190; want <= 8194; want++) {
		msg = malloc(want - base);
		assert_non_null(msg);
		memset(msg, 'x', want - base);
		qfile_build(&q, &e, msg, want - base);
		assert_int_equal(q.len, want);
		read_ok(q.buf, q.len, &e, q.headlen, q.msglen);
		read_bad("cut trailer", q.buf, q.len - 1, UINT64_MAX);
		q.buf[q.len - 2] = 'x';
		read_bad("bad trailer", q.buf, q.len, UINT64_MAX);
		free(q.buf);
		free(msg);
	}
	envelope_free(&e);
}

/* Heads around the reader's buffer sizes, and a big one. */
static void
test_read_head_sizes(void **state)
{
	struct envelope	 e;
	struct qfile	 q;
	char		*s, buf[32];
	size_t		 base, target, i;
	static const size_t targets[] = { 8190, 8191, 8192, 8193, 8194,
	    16383, 16384, 16385 };

	(void)state;
	env_make(&e, TEST_ID, 1000, 1700000000, "");
	assert_int_equal(envelope_add_rcpt(&e, "r@x"), 0);
	qfile_build(&q, &e, "", 0);
	base = q.headlen;
	free(q.buf);
	envelope_free(&e);

	for (i = 0; i < NELEM(targets); i++) {
		/* head ends exactly at target; add some message too */
		for (target = targets[i] - 1; target <= targets[i] + 1;
		    target++) {
			size_t	extra = target - base, slen, rest, part;

			/* the sender takes up to ENVELOPE_VALUE_MAX of the
			 * padding, extra recipients ("T v\n": 4..1003
			 * bytes each) the rest */
			slen = extra > ENVELOPE_VALUE_MAX ?
			    ENVELOPE_VALUE_MAX : extra;
			rest = extra - slen;
			if (rest > 0 && rest < 4) {
				slen -= 4;
				rest += 4;
			}
			env_make(&e, TEST_ID, 1000, 1700000000, "");
			free(e.sender);
			e.sender = repeat('s', slen);
			while (rest > 0) {
				part = rest > ENVELOPE_VALUE_MAX + 3 ?
				    ENVELOPE_VALUE_MAX + 3 : rest;
				if (rest - part > 0 && rest - part < 4)
					part -= 4;
				s = repeat('t', part - 3);
				assert_int_equal(envelope_add_rcpt(&e, s), 0);
				free(s);
				rest -= part;
			}
			assert_int_equal(envelope_add_rcpt(&e, "r@x"), 0);
			qfile_build(&q, &e, std_msg, sizeof(std_msg) - 1);
			assert_int_equal(q.headlen, target);
			read_ok(q.buf, q.len, &e, q.headlen, q.msglen);
			free(q.buf);
			envelope_free(&e);
		}
	}

	/* the largest recipient count, well past the first read */
	env_make(&e, TEST_ID, 1000, 1700000000, "a@b");
	for (i = 0; i < ENVELOPE_RCPT_MAX; i++) {
		snprintf(buf, sizeof(buf), "rcpt%zu@example.org", i);
		assert_int_equal(envelope_add_rcpt(&e, buf), 0);
	}
	qfile_build(&q, &e, std_msg, sizeof(std_msg) - 1);
	read_ok(q.buf, q.len, &e, q.headlen, q.msglen);
	free(q.buf);
	envelope_free(&e);
}

static void
test_read_rejects(void **state)
{
	struct envelope	 e;
	struct qfile	 q;
	char		*b, trailer[ENVELOPE_TRAILER_LEN + 1];
	size_t		 tpos, i;
	/* whole trailers with a wrong length field */
	static const char *bad_trailers[] = {
		"relayq-end 99999999999999999999\n",
		"relayq-end 18446744073709551615\n",
		"relayq-end 18446744073709551616\n",
	};
	/* one byte changed in the right trailer */
	static const struct {
		size_t	pos;
		char	c;
	} edits[] = {
		{ 31, ' ' }, { 31, '\r' }, { 31, '\0' }, { 31, '0' },
		{ 30, 'x' }, { 30, ' ' }, { 30, '\n' }, { 20, ' ' },
		{ 11, ' ' }, { 11, '-' }, { 11, '+' }, { 10, '\t' },
		{ 10, '0' }, { 9, 'D' }, { 6, '_' }, { 0, 'R' },
		{ 0, '\n' },
	};

	(void)state;
	std_env(&e);
	qfile_build(&q, &e, std_msg, sizeof(std_msg) - 1);
	tpos = q.len - ENVELOPE_TRAILER_LEN;
	b = malloc(q.len + 64);
	assert_non_null(b);

	/* file too short, including empty */
	read_bad("empty file", "", 0, UINT64_MAX);
	read_bad("41 bytes", q.buf + q.len - 41, 41, UINT64_MAX);
	read_bad("trailer only", q.buf + tpos, ENVELOPE_TRAILER_LEN,
	    UINT64_MAX);

	/* trailer missing: head and message only */
	read_bad("no trailer", q.buf, tpos, UINT64_MAX);

	/* truncated anywhere: the trailer no longer lines up */
	for (i = 1; i <= ENVELOPE_TRAILER_LEN + 3; i++)
		read_bad("truncated end", q.buf, q.len - i, UINT64_MAX);

	/* garbled trailers */
	for (i = 0; i < NELEM(bad_trailers); i++) {
		memcpy(b, q.buf, tpos);
		assert_int_equal(strlen(bad_trailers[i]), ENVELOPE_TRAILER_LEN);
		memcpy(b + tpos, bad_trailers[i], ENVELOPE_TRAILER_LEN);
		read_bad(bad_trailers[i], b, q.len, UINT64_MAX);
	}
	for (i = 0; i < NELEM(edits); i++) {
		char name[64];

		memcpy(b, q.buf, q.len);
		b[tpos + edits[i].pos] = edits[i].c;
		snprintf(name, sizeof(name), "trailer byte %zu = 0x%02x",
		    edits[i].pos, (unsigned char)edits[i].c);
		read_bad(name, b, q.len, UINT64_MAX);
	}

	/* length mismatch: one more, one less, zero */
	for (i = 0; i < 3; i++) {
		uint64_t l = i == 0 ? q.msglen + 1 : i == 1 ? q.msglen - 1 : 0;

		memcpy(b, q.buf, q.len);
		envelope_trailer(l, trailer);
		memcpy(b + tpos, trailer, ENVELOPE_TRAILER_LEN);
		read_bad("length mismatch", b, q.len, UINT64_MAX);
	}

	/* a byte dropped from the message, trailer intact */
	memcpy(b, q.buf, q.headlen + 10);
	memcpy(b + q.headlen + 10, q.buf + q.headlen + 11,
	    q.len - q.headlen - 11);
	read_bad("message byte dropped", b, q.len - 1, UINT64_MAX);

	/* a byte added to the message, trailer intact */
	memcpy(b, q.buf, q.headlen + 10);
	b[q.headlen + 10] = 'X';
	memcpy(b + q.headlen + 11, q.buf + q.headlen + 10,
	    q.len - q.headlen - 10);
	read_bad("message byte added", b, q.len + 1, UINT64_MAX);

	/* bytes after the trailer */
	memcpy(b, q.buf, q.len);
	memcpy(b + q.len, "x\n", 2);
	read_bad("garbage after trailer", b, q.len + 2, UINT64_MAX);

	/* two trailers */
	memcpy(b, q.buf, q.len);
	memcpy(b + q.len, q.buf + tpos, ENVELOPE_TRAILER_LEN);
	read_bad("two trailers", b, q.len + ENVELOPE_TRAILER_LEN, UINT64_MAX);

	/* a good file with the wrong size argument */
	read_bad("size too big", q.buf, q.len, (uint64_t)q.len + 1);
	read_bad("size too small", q.buf, q.len, (uint64_t)q.len - 1);
	read_bad("size huge", q.buf, q.len, (uint64_t)1 << 40);

	/* bad heads with a correct trailer for what follows them */
	for (i = 0; i < NELEM(bad_heads); i++) {
		const struct parse_case	*c = &bad_heads[i];
		size_t			 hl = c->len ? c->len : strlen(c->in);
		size_t			 ml = sizeof(std_msg) - 1;

		memcpy(b, c->in, hl);
		memcpy(b + hl, std_msg, ml);
		envelope_trailer(ml, trailer);
		memcpy(b + hl + ml, trailer, ENVELOPE_TRAILER_LEN);
		read_bad(c->name, b, hl + ml + ENVELOPE_TRAILER_LEN,
		    UINT64_MAX);
	}

	/* no empty line after the records: the message is read as records */
	memcpy(b, q.buf, q.headlen - 1);
	memcpy(b + q.headlen - 1, q.buf + q.headlen, q.len - q.headlen);
	read_bad("no empty line", b, q.len - 1, UINT64_MAX);

	free(b);
	free(q.buf);
	envelope_free(&e);
}

/* Flip, insert and delete bytes in a good file: envelope_read either
 * rejects it or returns values that hold up. */
static void
test_read_mutations(void **state)
{
	struct envelope	 e, got;
	struct qfile	 q;
	char		*b, why[256];
	size_t		 blen, pos, i;
	uint64_t	 size;
	int		 iter, fd, accepted = 0;

	(void)state;
	rng_seed(0x5eed0002);
	std_env(&e);
	qfile_build(&q, &e, std_msg, sizeof(std_msg) - 1);
	b = malloc(q.len + 16);
	assert_non_null(b);
	for (iter = 0; iter < 400; iter++) {
		memcpy(b, q.buf, q.len);
		blen = q.len;
		for (i = 0; i < 1 + rng() % 3; i++) {
			pos = rng() % blen;
			switch (rng() % 3) {
			case 0:
				b[pos] = (char)rng();
				break;
			case 1:
				if (blen < q.len + 8) {
					memmove(b + pos + 1, b + pos,
					    blen - pos);
					b[pos] = "\n \0T:x"[rng() % 6];
					blen++;
				}
				break;
			default:
				memmove(b + pos, b + pos + 1, blen - pos - 1);
				blen--;
				break;
			}
		}
		fd = tmpfile_with(b, blen, &size);
		if (envelope_read(fd, size, &got, why, sizeof(why)) == 0) {
			accepted++;
			assert_true(queue_id_ok(got.id));
			assert_non_null(got.sender);
			assert_true(envelope_value_ok(got.sender));
			assert_true(got.nrcpts >= 1);
			for (i = 0; i < got.nrcpts; i++) {
				assert_true(got.rcpts[i][0] != '\0');
				assert_true(envelope_value_ok(got.rcpts[i]));
			}
			assert_true(got.msg_offset + got.msg_len +
			    ENVELOPE_TRAILER_LEN == size);
			envelope_free(&got);
		} else
			assert_true(why[0] != '\0');
		close(fd);
	}
	/* some mutations (inside values or the message) are harmless */
	assert_true(accepted > 0);
	free(b);
	free(q.buf);
	envelope_free(&e);
}

/* ---- envelope_parse_head fuzz ---- */

static void
test_parse_fuzz(void **state)
{
	static const char good[] = H_GOOD "message\n";
	static const char alpha[] = "relayq 1\nIUAFT \n\n0123456789ABCDEF@x";
	struct envelope	 e;
	char		*buf, why[128];
	size_t		 len, i, headlen;
	int		 iter, rc, accepted = 0;

	(void)state;
	rng_seed(0x5eed0003);
	for (iter = 0; iter < 10000; iter++) {
		switch (iter % 3) {
		case 0:		/* raw random bytes */
			len = rng() % 300;
			buf = alloc_exact(len);
			for (i = 0; i < len; i++)
				buf[i] = (char)rng();
			if (len >= 9 && rng() % 2)
				memcpy(buf, "relayq 1\n", 9);
			break;
		case 1:		/* bytes from the format's own alphabet */
			len = rng() % 300;
			buf = alloc_exact(len);
			for (i = 0; i < len; i++)
				buf[i] = alpha[rng() % (sizeof(alpha) - 1)];
			if (len >= 9)
				memcpy(buf, "relayq 1\n", 9);
			break;
		default:	/* a good head, mutated and cut */
			len = sizeof(good) - 1;
			buf = dup_exact(good, len);
			for (i = 0; i < 1 + rng() % 3; i++)
				buf[rng() % len] = rng() % 2 ? (char)rng() :
				    alpha[rng() % (sizeof(alpha) - 1)];
			if (rng() % 4 == 0)
				len = rng() % (len + 1);
			break;
		}
		why[0] = '\0';
		headlen = SIZE_MAX;
		memset(&e, 0xa5, sizeof(e));
		rc = envelope_parse_head(buf, len, &e, &headlen, why,
		    sizeof(why));
		if (rc == 0) {
			accepted++;
			assert_true(headlen >= 2 && headlen <= len);
			assert_int_equal(buf[headlen - 1], '\n');
			assert_int_equal(buf[headlen - 2], '\n');
			assert_true(queue_id_ok(e.id));
			assert_non_null(e.sender);
			assert_true(envelope_value_ok(e.sender));
			assert_true(e.nrcpts >= 1);
			for (i = 0; i < e.nrcpts; i++) {
				assert_true(e.rcpts[i][0] != '\0');
				assert_true(envelope_value_ok(e.rcpts[i]));
			}
			envelope_free(&e);
		} else {
			if (rc != -1)
				fail_msg("iteration %d: returned %d", iter, rc);
			assert_true(why[0] != '\0');
			assert_true(strlen(why) < sizeof(why));
			assert_null(e.sender);
			assert_null(e.rcpts);
		}
		free(buf);
	}
	assert_true(accepted > 0);
}

/* ---- queue ids ---- */

static void
test_queue_id_ok(void **state)
{
	static const struct {
		const char	*in;
		int		 ok;
	} t[] = {
		{ "0123456789ABCDEF0123", 1 },
		{ "00000000000000000000", 1 },
		{ "FFFFFFFFFFFFFFFFFFFF", 1 },
		{ "0123456789abcdef0123", 0 },
		{ "0123456789ABCDEF012", 0 },
		{ "0123456789ABCDEF01234", 0 },
		{ "0123456789ABCDEF012G", 0 },
		{ "0123456789ABCDEF012 ", 0 },
		{ " 123456789ABCDEF0123", 0 },
		{ "0123456789ABCDEF012\n", 0 },
		{ "../../../../../etc/x", 0 },
		{ "0123456789/BCDEF0123", 0 },
		{ "0123456789ABCDEF0123.tmp", 0 },
		{ "", 0 },
		{ ".", 0 },
		{ "..", 0 },
		{ "-123456789ABCDEF0123", 0 },
		{ "+123456789ABCDEF0123", 0 },
	};
	char	buf[QUEUE_ID_LEN + 8];
	size_t	i;

	(void)state;
	for (i = 0; i < NELEM(t); i++)
		if (queue_id_ok(t[i].in) != t[i].ok)
			fail_msg("queue_id_ok(\"%s\") != %d",
			    esc(t[i].in, strlen(t[i].in)), t[i].ok);

	/* a NUL inside the id; a short id in an exact buffer */
	memcpy(buf, "0123456789\0BCDEF0123", 21);
	assert_int_equal(queue_id_ok(buf), 0);
	{
		char *s = malloc(6);

		assert_non_null(s);
		memcpy(s, "01234", 6);
		assert_int_equal(queue_id_ok(s), 0);
		free(s);
	}
}

static int
cmp_str(const void *a, const void *b)
{
	return strcmp((const char *)a, (const char *)b);
}

static void
test_queue_id_new(void **state)
{
	enum { N = 1000 };
	char		(*ids)[QUEUE_ID_LEN + 1];
	struct timeval	 before, after;
	uint64_t	 t0, t1, ts;
	size_t		 i;

	(void)state;
	ids = calloc(N, sizeof(*ids));
	assert_non_null(ids);
	gettimeofday(&before, NULL);
	for (i = 0; i < N; i++) {
		memset(ids[i], 'Z', sizeof(ids[i]));
		assert_int_equal(queue_id_new(ids[i]), 0);
		assert_int_equal(strlen(ids[i]), QUEUE_ID_LEN);
		if (!queue_id_ok(ids[i]))
			fail_msg("queue_id_new gave a bad id \"%s\"", ids[i]);
	}
	gettimeofday(&after, NULL);

	/* the first 13 digits are the time in microseconds */
	t0 = (uint64_t)before.tv_sec * 1000000 + (uint64_t)before.tv_usec;
	t1 = (uint64_t)after.tv_sec * 1000000 + (uint64_t)after.tv_usec;
	for (i = 0; i < N; i++) {
		char	hex[14];

		memcpy(hex, ids[i], 13);
		hex[13] = '\0';
		ts = strtoull(hex, NULL, 16);
		if (ts < t0 || ts > t1)
			fail_msg("id %s: time %" PRIu64 " outside [%" PRIu64
			    ", %" PRIu64 "]", ids[i], ts, t0, t1);
	}

	qsort(ids, N, sizeof(*ids), cmp_str);
	for (i = 1; i < N; i++)
		if (strcmp(ids[i - 1], ids[i]) == 0)
			fail_msg("duplicate id %s", ids[i]);
	free(ids);
}

static void
test_queue_id_order(void **state)
{
	enum { N = 30 };
	char	ids[N][QUEUE_ID_LEN + 1];
	size_t	i;

	(void)state;
	for (i = 0; i < N; i++) {
		assert_int_equal(queue_id_new(ids[i]), 0);
		usleep(1000 + (useconds_t)(i % 3) * 1000);
	}
	for (i = 1; i < N; i++)
		if (strcmp(ids[i - 1], ids[i]) >= 0)
			fail_msg("ids out of order: %s then %s", ids[i - 1],
			    ids[i]);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_value_ok),
		cmocka_unit_test(test_rcpts),
		cmocka_unit_test(test_rcpt_max),
		cmocka_unit_test(test_format_exact),
		cmocka_unit_test(test_trailer),
		cmocka_unit_test(test_roundtrip_basic),
		cmocka_unit_test(test_roundtrip_extremes),
		cmocka_unit_test(test_roundtrip_max_rcpts),
		cmocka_unit_test(test_roundtrip_random),
		cmocka_unit_test(test_parse_rejects),
		cmocka_unit_test(test_parse_prefixes),
		cmocka_unit_test(test_parse_order),
		cmocka_unit_test(test_parse_value_max),
		cmocka_unit_test(test_parse_rcpt_max),
		cmocka_unit_test(test_parse_why_small),
		cmocka_unit_test(test_read_ok),
		cmocka_unit_test(test_read_head_sizes),
		cmocka_unit_test(test_read_file_sizes),
		cmocka_unit_test(test_read_rejects),
		cmocka_unit_test(test_read_mutations),
		cmocka_unit_test(test_parse_fuzz),
		cmocka_unit_test(test_queue_id_ok),
		cmocka_unit_test(test_queue_id_new),
		cmocka_unit_test(test_queue_id_order),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
