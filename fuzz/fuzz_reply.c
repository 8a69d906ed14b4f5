/*
 * fuzz_reply - what a relay says back, one reply after another: the input
 * is cut into lines at LF (a CR before it dropped, as net.c does) and fed
 * to reply_feed_line; a complete or refused reply starts the next one.
 */
#include <assert.h>
#include <stdint.h>
#include <string.h>

#include "reply.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check(const struct reply *r)
{
	char	summary[600];
	size_t	i, n;

	assert(r->textlen < sizeof(r->text));
	assert(r->text[r->textlen] == '\0');
	assert(memchr(r->enhanced, '\0', sizeof(r->enhanced)) != NULL);
	reply_summary(r, summary, sizeof(summary));
	n = strlen(summary);
	assert(n < sizeof(summary));
	for (i = 0; i < n; i++)
		assert(summary[i] >= 0x20 && summary[i] < 0x7f);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char	*p = (const char *)data, *end = p + size, *nl;
	struct reply	 r;
	char		 why[200];
	size_t		 len;
	int		 rc;

	reply_init(&r);
	while (p < end) {
		nl = memchr(p, '\n', (size_t)(end - p));
		len = nl ? (size_t)(nl - p) : (size_t)(end - p);
		if (len > 0 && p[len - 1] == '\r')
			len--;
		rc = reply_feed_line(&r, p, len, why, sizeof(why));
		assert(rc >= -1 && rc <= 1);
		if (rc == 1) {
			assert(r.complete);
			assert(r.code >= 200 && r.code <= 559);
			check(&r);
		}
		if (rc != 0)
			reply_init(&r);
		p = nl ? nl + 1 : end;
	}
	check(&r);
	return 0;
}
