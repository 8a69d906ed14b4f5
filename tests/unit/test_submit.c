/*
 * test_submit.c - unit tests for src/submit.c: submit_message_from into a
 * real spool made with mkdtemp in /tmp.
 *
 * The regression cases were found by fuzz/fuzz_message; their bytes are
 * in fuzz/regress/message/ too.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <dirent.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sysexits.h>
#include <unistd.h>

#include <cmocka.h>

#include "conf.h"
#include "envelope.h"
#include "submit.h"
#include "testlib.h"

struct fixture {
	char		dir[64];
	char		intake[80];
	struct config	cf;
};

static int
setup(void **state)
{
	struct fixture	*fx = calloc(1, sizeof(*fx));

	assert_non_null(fx);
	snprintf(fx->dir, sizeof(fx->dir), "/tmp/relayq-test-submit.XXXXXX");
	assert_non_null(mkdtemp(fx->dir));
	snprintf(fx->intake, sizeof(fx->intake), "%s/intake", fx->dir);
	assert_int_equal(mkdir(fx->intake, 0700), 0);
	fx->cf.queue_dir = fx->dir;
	fx->cf.domain = "example.org";
	fx->cf.rewrite_from_header = REWRITE_FROM_LOCAL;
	fx->cf.rewrite_to_header = 1;
	*state = fx;
	return 0;
}

/* How many files the intake holds, removing them. */
static int
intake_drain(struct fixture *fx)
{
	DIR		*d = opendir(fx->intake);
	struct dirent	*e;
	char		 path[400];
	int		 n = 0;

	assert_non_null(d);
	while ((e = readdir(d)) != NULL) {
		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", fx->intake, e->d_name);
		unlink(path);
		n++;
	}
	closedir(d);
	return n;
}

static int
teardown(void **state)
{
	struct fixture	*fx = *state;

	intake_drain(fx);
	rmdir(fx->intake);
	rmdir(fx->dir);
	free(fx);
	return 0;
}

static int
submit(struct fixture *fx, struct submission *s, const char *text,
    size_t len, char *why, size_t whylen)
{
	struct submit_memory	m = { text, len, 0 };
	char		id[QUEUE_ID_LEN + 1];

	why[0] = '\0';
	return submit_message_from(&fx->cf, s, submit_fill_memory, &m, id,
	    why, whylen);
}

/* fuzz/regress/message/tab-in-quoted-recipient: a folded quoted local
 * part in To: unfolds to one holding a TAB, which RFC 5322 allows and
 * RFC 5321 and the queue file do not.  It was queued, and the runner
 * would have quarantined the whole message as corrupt. */
static void
test_tab_in_quoted_recipient(void **state)
{
	static const char msg[] =
	    "From: user@example.or;\n"
	    "To: \"quoted lo=?`TF-8?B\n\t?cal\"@loLalhost\n";
	struct fixture		*fx = *state;
	struct submission	 s;
	char			 why[512];

	memset(&s, 0, sizeof(s));
	s.extract = 1;
	s.sender = "sender@example.org";
	assert_int_equal(submit(fx, &s, msg, sizeof(msg) - 1, why,
	    sizeof(why)), EX_DATAERR);
	assert_string_equal(why, "recipient \"\"quoted lo=?`TF-8?B\\x09?cal\""
	    "@loLalhost\": control character in address");
	assert_int_equal(intake_drain(fx), 0);
}

/* The same TAB in -f, and a -f too long (whose reason was never set). */
static void
test_bad_senders(void **state)
{
	struct fixture		*fx = *state;
	struct submission	 s;
	char			*rcpts[] = { "x@example.org" }, why[1024];
	char			 longer[300];

	memset(&s, 0, sizeof(s));
	s.rcpts = rcpts;
	s.nrcpts = 1;
	s.sender = "\"a\tb\"@example.org";
	assert_int_equal(submit(fx, &s, "hi\n", 3, why, sizeof(why)),
	    EX_DATAERR);
	assert_string_equal(why, "bad sender address \"\"a\\x09b\"@example.org\""
	    ": control character in address");
	memset(longer, 'a', sizeof(longer) - 1);
	longer[sizeof(longer) - 1] = '\0';
	s.sender = longer;
	assert_int_equal(submit(fx, &s, "hi\n", 3, why, sizeof(why)),
	    EX_DATAERR);
	assert_non_null(strstr(why, "\": longer than 254 bytes"));
	assert_int_equal(intake_drain(fx), 0);
}

/* A quoted space is fine, and the queue file reads back. */
static void
test_quoted_space_queued(void **state)
{
	static const char msg[] = "To: \"a b\"@example.org\n\nhi\n";
	struct fixture		*fx = *state;
	struct submission	 s;
	struct envelope		 env;
	struct submit_memory	 m = { msg, sizeof(msg) - 1, 0 };
	struct stat		 st;
	char			 id[QUEUE_ID_LEN + 1], why[512], path[200];
	int			 fd;

	memset(&s, 0, sizeof(s));
	s.extract = 1;
	s.sender = "\"c d\"@example.org";
	assert_int_equal(submit_message_from(&fx->cf, &s, submit_fill_memory,
	    &m, id, why, sizeof(why)), EX_OK);
	snprintf(path, sizeof(path), "%s/m.%s", fx->intake, id);
	fd = open(path, O_RDONLY);
	assert_true(fd != -1 && fstat(fd, &st) == 0);
	assert_int_equal(envelope_read(fd, (uint64_t)st.st_size, &env, why,
	    sizeof(why)), 0);
	assert_string_equal(env.sender, "\"c d\"@example.org");
	assert_int_equal(env.nrcpts, 1);
	assert_string_equal(env.rcpts[0], "\"a b\"@example.org");
	envelope_free(&env);
	close(fd);
	assert_int_equal(intake_drain(fx), 1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_tab_in_quoted_recipient,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_senders, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_quoted_space_queued,
		    setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
