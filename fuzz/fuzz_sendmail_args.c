/*
 * fuzz_sendmail_args - sendmail's command line (options_parse), the first
 * thing the setgid front end reads.  The input is split on NUL bytes into
 * argv, argv[0] included.
 */
#include <assert.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

#include "envelope.h"
#include "options.h"
#include "util.h"

#define ARGS_MAX	64

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Printable ASCII only: what reaches the caller's terminal. */
static void
assert_printable(const char *s)
{
	for (; *s; s++)
		assert(*s >= 0x20 && *s < 0x7f);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char		*buf, *argv[ARGS_MAX + 1], why[1024];
	struct options	 o;
	size_t		 i;
	int		 argc = 0, code;

	buf = xmalloc(size + 1);
	memcpy(buf, data, size);
	buf[size] = '\0';
	argv[argc++] = buf;
	for (i = 0; i < size && argc < ARGS_MAX; i++)
		if (buf[i] == '\0')
			argv[argc++] = buf + i + 1;
	argv[argc] = NULL;

	why[0] = '\0';
	code = options_parse(argc, argv, &o, why, sizeof(why));
	if (code == EX_OK) {
		assert(o.s.nrcpts >= 0 && o.s.nrcpts < argc);
		assert(o.s.rcpts == argv + (argc - o.s.nrcpts));
		assert(o.mode >= MODE_DELIVER && o.mode <= MODE_VERIFY);
		/* -V's value is always stored as xtext. */
		if (o.s.envid != NULL && *o.s.envid != '\0') {
			struct envelope	 env;
			const char	*which;

			memset(&env, 0, sizeof(env));
			env.envid = (char *)o.s.envid;
			assert(envelope_dsn_ok(&env, &which));
		}
	} else {
		assert(code == EX_USAGE);
		assert(why[0] != '\0');
		assert_printable(why);
	}
	options_free(&o);
	free(buf);
	return 0;
}
