/*
 * fuzz_header - a message's header section as submit sees it: fields
 * found by header_next, then the From:, To: and Cc: rewriting of
 * rewrite_field with local domains, an admin-less config and a small
 * aliases file (written at start into the scratch directory).
 */
#include <assert.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_common.h"
#include "header.h"
#include "rewrite.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

static struct config	cf;
static struct rewriter	rw;

static const char aliases[] =
    "postmaster: root\n"
    "root: ops@example.net, \"Jo Bloggs\" <jo@example.com>\n"
    "www-data: root\n"
    "staff: alice, bob@example.net\n"
    "alice: alice@example.com\n"
    "pipe: |/bin/true\n";

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	char	why[256];

	(void)argc;
	(void)argv;
	fuzz_config(&cf);
	cf.aliases = xstrdup(fuzz_path("aliases"));
	fuzz_write_file(cf.aliases, aliases, sizeof(aliases) - 1);
	if (rewrite_open(&rw, &cf, 1, why, sizeof(why)) == -1)
		abort();
	/* Host names differ between machines; the fuzzer must not. */
	snprintf(rw.host, sizeof(rw.host), "host.example.org");
	snprintf(rw.shorthost, sizeof(rw.shorthost), "host");
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char		*buf = (const char *)data;
	struct header_field	 f;
	size_t			 pos = 0, prev;
	char			*out, why[512];
	size_t			 outlen;
	int			 rc;

	if (size > 256 * 1024)
		return 0;
	for (;;) {
		prev = pos;
		if (!header_next(buf, size, &pos, &f))
			break;
		assert(pos > prev && pos <= size);
		assert(f.start >= buf && f.start + f.len <= buf + size);
		assert(f.name >= f.start && f.name + f.namelen <= f.value);
		assert(f.value + f.valuelen <= f.start + f.len);
		(void)header_name_is(&f, "To");
		rc = rewrite_field(&rw, &f, "user@example.org", &out, &outlen,
		    why, sizeof(why));
		assert(rc == 0 || rc == 1);
		if (rc == 1) {
			/* The name and the line end (if the field has one:
			 * the last may not) stay as they were. */
			assert(outlen >= (size_t)(f.value - f.start));
			assert(memcmp(out, f.start, (size_t)(f.value -
			    f.start)) == 0);
			if (f.start[f.len - 1] == '\n')
				assert(out[outlen - 1] == '\n');
			free(out);
		}
	}
	return 0;
}
