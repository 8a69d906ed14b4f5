/*
 * fuzz_envelope - a queue file as the runner reads it from the intake
 * (written by any local user through sendmail): envelope_read on the
 * whole input, and for what it accepts, envelope_format must write a
 * head that parses back to the same envelope.
 */
#include <assert.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "envelope.h"
#include "util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int
same(const char *a, const char *b)
{
	return (a == NULL && b == NULL) ||
	    (a != NULL && b != NULL && strcmp(a, b) == 0);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct envelope	 env, back;
	char		 why[512], *head;
	size_t		 headlen, parsed, i;
	int		 fd;

	if ((fd = memfd_create("envelope", MFD_CLOEXEC)) == -1)
		abort();
	if (size > 0 && write_all(fd, data, size) == -1)
		abort();
	if (envelope_read(fd, size, &env, why, sizeof(why)) == 0) {
		assert(env.msg_offset + env.msg_len + ENVELOPE_TRAILER_LEN ==
		    size);
		assert(queue_id_ok(env.id));
		assert(env.sender != NULL && env.nrcpts > 0);
		head = envelope_format(&env, &headlen);
		assert(envelope_parse_head(head, headlen, &back, &parsed, why,
		    sizeof(why)) == 0);
		assert(parsed == headlen);
		assert(strcmp(env.id, back.id) == 0 && env.uid == back.uid &&
		    env.arrival == back.arrival);
		assert(strcmp(env.sender, back.sender) == 0);
		assert(env.nrcpts == back.nrcpts);
		for (i = 0; i < env.nrcpts; i++)
			assert(strcmp(env.rcpts[i], back.rcpts[i]) == 0);
		assert(same(env.body, back.body) &&
		    same(env.notify, back.notify) && same(env.ret, back.ret) &&
		    same(env.envid, back.envid));
		free(head);
		envelope_free(&back);
		envelope_free(&env);
	}
	close(fd);
	return 0;
}
