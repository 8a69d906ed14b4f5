/*
 * testlib.h - helpers shared by the unit tests in tests/unit.
 *
 * Include it after <cmocka.h> (the helpers assert with cmocka).  Every
 * helper is static inline, so each test binary gets its own copy and a
 * test that leaves one unused gets no warning; nothing needs linking.
 *
 * rng() is xorshift64*, reproducible everywhere, unlike random(): a test
 * seeds it with rng_seed(), which RELAYQ_TEST_SEED overrides, or by
 * setting rng_state itself.  dup_exact() and alloc_exact() give buffers
 * of exactly the size asked for, so valgrind or a sanitizer sees a read
 * one byte past the end.
 */
#ifndef RELAYQ_TESTLIB_H
#define RELAYQ_TESTLIB_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <unistd.h>

#define NELEM(a)	(sizeof(a) / sizeof((a)[0]))

/* ---- seeded PRNG ---- */

static uint64_t rng_state;

/* Seed with DFLT, or with RELAYQ_TEST_SEED when it is set. */
static inline void
rng_seed(uint64_t dflt)
{
	const char	*s = getenv("RELAYQ_TEST_SEED");

	rng_state = s != NULL ? strtoull(s, NULL, 0) : dflt;
	if (rng_state == 0)
		rng_state = 1;
}

static inline uint64_t
rng(void)
{
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 0x2545F4914F6CDD1DULL;
}

/* ---- failure messages ---- */

/* The most esc() returns, NUL included: a buffer that holds any result. */
#define ESC_BUFSIZE	(4 * 320 + 16)

/*
 * BUF/LEN with C escapes so failure messages stay readable; a long one is
 * cut and ends in "...".  The result lives in a static buffer, overwritten
 * by the next call.
 */
static inline const char *
esc(const char *buf, size_t len)
{
	static char	out[ESC_BUFSIZE];
	size_t		i, o = 0;
	unsigned char	c;

	for (i = 0; i < len && o + 5 < sizeof(out) - 8; i++) {
		c = (unsigned char)buf[i];
		if (c >= 0x20 && c < 0x7f && c != '\\')
			out[o++] = (char)c;
		else
			o += (size_t)snprintf(out + o, sizeof(out) - o,
			    "\\x%02x", c);
	}
	if (i < len)
		o += (size_t)snprintf(out + o, sizeof(out) - o, "...");
	out[o] = '\0';
	return out;
}

/* ---- exactly sized heap buffers ---- */

/* LEN bytes on the heap (one when LEN is 0), uninitialised. */
static inline char *
alloc_exact(size_t len)
{
	char	*p = malloc(len ? len : 1);

	assert_non_null(p);
	return p;
}

/* A heap copy of S/LEN, without a NUL, of exactly LEN bytes. */
static inline char *
dup_exact(const char *s, size_t len)
{
	char	*p = alloc_exact(len);

	memcpy(p, s, len);
	return p;
}

/* ---- temporary files ---- */

/* mkstemp(TMPL), which must work; TMPL then holds the file's path. */
static inline int
tmp_make(char *tmpl)
{
	int	fd = mkstemp(tmpl);

	assert_true(fd >= 0);
	return fd;
}

/* A file from mkstemp(TMPL), unlinked at once: the fd keeps it alive. */
static inline int
tmp_unlinked(char *tmpl)
{
	int	fd = tmp_make(tmpl);

	assert_int_equal(unlink(tmpl), 0);
	return fd;
}

/* Write DATA/LEN to FD in one write(2), which must write it all. */
static inline void
write_exact(int fd, const void *data, size_t len)
{
	if (len > 0)
		assert_int_equal(write(fd, data, len), (ssize_t)len);
}

#endif /* RELAYQ_TESTLIB_H */
