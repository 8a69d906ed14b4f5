/*
 * fuzz_aliases - an aliases file and one include file.  The input up to
 * its first NUL is the aliases file, the rest the include file; "@INC" in
 * the aliases file stands for the include file's path (which lies in the
 * scratch directory and so differs between runs).  Every name that starts
 * a line is then expanded, and every address it yields checked.
 */
#include <assert.h>
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "address.h"
#include "aliases.h"
#include "fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
assert_printable(const char *s)
{
	for (; *s; s++)
		assert(*s >= 0x20 && *s < 0x7f);
}

static void
report(void *arg, const char *msg)
{
	(void)arg;
	assert_printable(msg);
}

static int
addr_cb(const char *addr, void *arg)
{
	size_t	*n = arg;

	assert(*addr != '\0' && strlen(addr) <= ADDRESS_MAX);
	assert(++*n <= ALIASES_EXPAND_MAX);
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char	*text = (const char *)data, *nul, *p, *end;
	char		 inc[512], file[512], why[512], name[ADDRESS_MAX + 1];
	char		*buf;
	size_t		 alen, o = 0, i, n;
	struct aliases	*a;
	int		 problems, rc;

	if (size > 128 * 1024)
		return 0;
	nul = memchr(text, '\0', size);
	alen = nul ? (size_t)(nul - text) : size;
	snprintf(inc, sizeof(inc), "%s", fuzz_path("include"));
	snprintf(file, sizeof(file), "%s", fuzz_path("aliases"));
	fuzz_write_file(inc, nul ? nul + 1 : "", nul ? size - alen - 1 : 0);

	buf = xmalloc(alen * (strlen(inc) + 1) + 1);
	for (i = 0; i < alen; i++)
		if (alen - i >= 4 && memcmp(text + i, "@INC", 4) == 0) {
			memcpy(buf + o, inc, strlen(inc));
			o += strlen(inc);
			i += 3;
		} else
			buf[o++] = text[i];
	buf[o] = '\0';		/* for the name scan below */
	fuzz_write_file(file, buf, o);

	a = aliases_load(file, report, NULL, &problems);
	assert(a != NULL);
	assert(problems >= 0);
	/* Each line's first word, up to a ':', as a name to expand. */
	for (p = buf, end = buf + o; p < end; ) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t	    len = strcspn(p, ":\n");
		if (len > 0 && len < sizeof(name)) {
			memcpy(name, p, len);
			name[len] = '\0';
			n = 0;
			why[0] = '\0';
			rc = aliases_expand(a, name, addr_cb, &n, why,
			    sizeof(why));
			assert(rc >= -1 && rc <= 1);
			if (rc == 1)
				assert(n > 0);
			else if (rc == -1)
				assert_printable(why);
		}
		p = nl ? nl + 1 : end;
	}
	(void)aliases_count(a);
	aliases_free(a);
	free(buf);
	return 0;
}
