/*
 * fuzz_address - RFC 5322 address lists (To:, Cc:, -t, aliases targets)
 * and the envelope address checks, against the promises of address.h:
 * spans in order, inside the value, and each one reparsing to the same
 * single address; reasons printable.
 */
#include <assert.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "address.h"
#include "util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct check {
	const char	*value;
	size_t		 len;
	size_t		 end;		/* end of the previous mailbox span */
	int		 n;
};

static void
assert_printable(const char *s)
{
	for (; *s; s++)
		assert(*s >= 0x20 && *s < 0x7f);
}

static int
same_cb(const char *addr, void *arg)
{
	const char	*want = arg;

	assert(strcmp(addr, want) == 0);
	return 1;	/* stop: exactly one expected, the first is checked */
}

static void
check_address(const char *addr)
{
	char	why[200], q[ADDRESS_MAX + 1];

	assert(strlen(addr) <= ADDRESS_MAX);
	why[0] = '\0';
	if (address_check(addr, why, sizeof(why)) == -1)
		assert_printable(why);
	if (address_qualify(addr, "example.org", q, sizeof(q), why,
	    sizeof(why)) == 0)
		assert(address_is_qualified(q));
}

static int
span_cb(const char *addr, const struct address_span *sp, void *arg)
{
	struct check	*c = arg;
	char		 why[200];
	int		 rc;

	assert(sp->mailbox_len > 0 && sp->spec_len > 0);
	assert(sp->mailbox_start >= c->end);
	assert(sp->mailbox_start <= sp->spec_start);
	assert(sp->spec_start + sp->spec_len <= sp->mailbox_start +
	    sp->mailbox_len);
	assert(sp->mailbox_start + sp->mailbox_len <= c->len);
	c->end = sp->mailbox_start + sp->mailbox_len;
	c->n++;
	check_address(addr);
	/* Either span alone gives back the same address. */
	rc = address_list_parse(c->value + sp->mailbox_start,
	    sp->mailbox_len, same_cb, (void *)addr, why, sizeof(why));
	assert(rc == 1);
	rc = address_list_parse(c->value + sp->spec_start, sp->spec_len,
	    same_cb, (void *)addr, why, sizeof(why));
	assert(rc == 1);
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct check	 c;
	char		 why[200], *s;
	int		 rc;

	if (size > 65536)
		return 0;
	memset(&c, 0, sizeof(c));
	c.value = (const char *)data;
	c.len = size;
	why[0] = '\0';
	rc = address_list_parse_spans(c.value, size, span_cb, &c, why,
	    sizeof(why));
	assert(rc == 0 || rc == -1);
	if (rc == -1) {
		assert(c.n == 0);
		assert_printable(why);
	}

	/* The whole input as one envelope address. */
	s = xmalloc(size + 1);
	memcpy(s, data, size);
	s[size] = '\0';
	why[0] = '\0';
	if (address_check(s, why, sizeof(why)) == -1)
		assert_printable(why);
	(void)address_is_qualified(s);
	free(s);
	return 0;
}
