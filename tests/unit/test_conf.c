/*
 * test_conf.c - unit tests for src/conf.c: conf_load on real files made
 * with mkstemp in /tmp.
 *
 * conf_load promises that a failure leaves nothing to free: the config
 * is cleared, so a caller that goes on (relayq check, a fuzz harness)
 * leaks nothing.  Found by fuzz/fuzz_conf (fuzz/regress/conf/).
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
#include <unistd.h>

#include <cmocka.h>

#include "conf.h"
#include "testlib.h"

/* TEXT into a fresh file; its name goes to path. */
static void
write_conf(char *path, size_t pathlen, const char *text)
{
	int	fd;

	snprintf(path, pathlen, "/tmp/relayq-test-conf.XXXXXX");
	fd = mkstemp(path);
	assert_true(fd != -1);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
}

/* Every pointer conf_load may have set is NULL again. */
static void
assert_cleared(const struct config *cf)
{
	assert_null(cf->path);
	assert_null(cf->queue_dir);
	assert_null(cf->domain);
	assert_null(cf->smarthosts);
	assert_null(cf->local_domains);
}

/* conf_load refuses TEXT with a reason that has why_has and, unless it
 * is NULL, lacks why_lacks. */
static void
load_fails(const char *text, const char *why_has, const char *why_lacks)
{
	struct config	cf;
	char		path[64], why[512];

	write_conf(path, sizeof(path), text);
	memset(&cf, 0x5a, sizeof(cf));
	why[0] = '\0';
	assert_int_equal(conf_load(path, 1, &cf, why, sizeof(why)), -1);
	assert_non_null(strstr(why, path));
	assert_non_null(strstr(why, why_has));
	if (why_lacks != NULL)
		assert_null(strstr(why, why_lacks));
	assert_cleared(&cf);
	unlink(path);
}

/* fuzz/regress/conf/error-leaks-path: a smart host without a name. */
static void
test_bad_section_leaves_nothing(void **state)
{
	(void)state;
	load_fails("smarthost { port = 99999 }\n", "missing title", NULL);
}

/* One of relayq's own checks fails. */
static void
test_bad_port_leaves_nothing(void **state)
{
	(void)state;
	load_fails("smarthost \"h\" { port = 99999 }\n",
	    "99999 is not a TCP port", NULL);
}

/* fuzz/regress/conf/unknown-key-leaks-path: libconfuse refuses. */
static void
test_unknown_key_leaves_nothing(void **state)
{
	(void)state;
	load_fails("domain = \"ok\"\nno_such_key = 1\n", "no_such_key", NULL);
}

/* A missing closing quote is named where it is, not where libconfuse
 * stumbles on its consequences; and the message stays one line. */
static void
test_unclosed_quote_is_named(void **state)
{
	(void)state;
	load_fails("# a comment's ' and \" do not count\n"
	    "queue_dir = \"/var/spool/x\n"
	    "domain = \"example.org\"\n",
	    "no such option 'example.org' (the quote opened on line 2 is "
	    "not closed on that line)", NULL);
	load_fails("domain = \"example.org\nsmarthost \"h\" { port = 1 }\n",
	    "domain: 'example.org\\x0asmarthost ' is not a domain name "
	    "(the quote opened on line 1 is not closed on that line)", NULL);
	load_fails("smarthost \"h\" {\n  user = \"a\\\"b\n}\n",
	    "premature end of file (the quote opened on line 2", NULL);
}

/* No hint when every quote closes on its line. */
static void
test_no_quote_hint_when_quotes_close(void **state)
{
	(void)state;
	load_fails("queue_dir = \"/var/spool/it's\" # don't\n"
	    "smarthost \"h\" { port = 99999 }\n",
	    "99999 is not a TCP port", "quote");
}

static void
test_missing_file_leaves_nothing(void **state)
{
	struct config	cf;
	char		why[512];

	(void)state;
	memset(&cf, 0x5a, sizeof(cf));
	assert_int_equal(conf_load("/nonexistent/relayq.conf", 1, &cf, why,
	    sizeof(why)), -1);
	assert_non_null(strstr(why, "/nonexistent/relayq.conf"));
	assert_cleared(&cf);
}

static void
test_good_file(void **state)
{
	struct config	cf;
	char		path[64], why[512];

	(void)state;
	write_conf(path, sizeof(path),
	    "domain = \"example.org\"\n"
	    "local_domains = {\"host.example.org\"}\n"
	    "smarthost \"smtp.example.org\" { tls = tls }\n");
	assert_int_equal(conf_load(path, 1, &cf, why, sizeof(why)), 0);
	assert_string_equal(cf.domain, "example.org");
	assert_int_equal(cf.nlocal_domains, 1);
	assert_int_equal(cf.nsmarthosts, 1);
	assert_string_equal(cf.smarthosts[0].host, "smtp.example.org");
	assert_int_equal(cf.smarthosts[0].port, 465);
	conf_free(&cf);
	assert_cleared(&cf);
	unlink(path);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bad_section_leaves_nothing),
		cmocka_unit_test(test_bad_port_leaves_nothing),
		cmocka_unit_test(test_unknown_key_leaves_nothing),
		cmocka_unit_test(test_unclosed_quote_is_named),
		cmocka_unit_test(test_no_quote_hint_when_quotes_close),
		cmocka_unit_test(test_missing_file_leaves_nothing),
		cmocka_unit_test(test_good_file),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
