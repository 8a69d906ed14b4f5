/*
 * test_aliases.c - unit tests for src/aliases.c, the aliases(5) parser
 * and expander (see aliases.h).
 *
 * Every fixture is a real file in a mkdtemp directory under /tmp, made by
 * the group setup and removed by the group teardown.  Reports are
 * collected so that each test can say exactly which problems a file has;
 * expansions are joined with commas so that order and deduplication are
 * checked in one comparison.  The fuzz test loads seeded random files
 * that include each other; RELAYQ_TEST_SEED overrides its seed.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "aliases.h"
#include "testlib.h"

#define MAXREPORTS	64

static char	tmpdir[64];

struct reports {
	char	*msg[MAXREPORTS];
	int	 n;
};

/* ---- helpers ---- */

static int
setup(void **state)
{
	(void)state;
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/relayq-aliases-XXXXXX");
	return mkdtemp(tmpdir) == NULL ? -1 : 0;
}

/* The directory holds files and at most one level of subdirectories. */
static int
teardown(void **state)
{
	char		 path[512];
	struct dirent	*de;
	DIR		*d;

	(void)state;
	if ((d = opendir(tmpdir)) == NULL)
		return -1;
	while ((de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 ||
		    strcmp(de->d_name, "..") == 0)
			continue;
		snprintf(path, sizeof(path), "%s/%s", tmpdir, de->d_name);
		if (unlink(path) == -1)
			(void)rmdir(path);
	}
	closedir(d);
	return rmdir(tmpdir);
}

/* Full path of fixture NAME, in a rotating static buffer. */
static const char *
fpath(const char *name)
{
	static char	buf[8][512];
	static int	i;

	i = (i + 1) % 8;
	snprintf(buf[i], sizeof(buf[i]), "%s/%s", tmpdir, name);
	return buf[i];
}

static const char *
write_bytes(const char *name, const char *data, size_t len)
{
	const char	*path = fpath(name);
	FILE		*f;

	assert_non_null(f = fopen(path, "w"));
	assert_int_equal(fwrite(data, 1, len, f), len);
	assert_int_equal(fclose(f), 0);
	return path;
}

static const char *
write_file(const char *name, const char *text)
{
	return write_bytes(name, text, strlen(text));
}

static void
collect(void *arg, const char *msg)
{
	struct reports	*r = arg;
	const char	*p;

	/* Reports must be safe to print: no raw control or 8-bit bytes. */
	for (p = msg; *p != '\0'; p++)
		if ((unsigned char)*p < 0x20 || (unsigned char)*p > 0x7e)
			fail_msg("raw byte 0x%02x in report \"%s\"",
			    (unsigned char)*p, msg);
	if (r->n < MAXREPORTS)
		assert_non_null(r->msg[r->n] = strdup(msg));
	r->n++;
}

static void
reports_free(struct reports *r)
{
	int	i;

	for (i = 0; i < r->n && i < MAXREPORTS; i++)
		free(r->msg[i]);
	memset(r, 0, sizeof(*r));
}

/* Is there a report holding every one of the NULL-ended strings? */
static int
has_report(const struct reports *r, ...)
{
	va_list		 ap;
	const char	*s;
	int		 i, all;

	for (i = 0; i < r->n && i < MAXREPORTS; i++) {
		all = 1;
		va_start(ap, r);
		while ((s = va_arg(ap, const char *)) != NULL)
			if (strstr(r->msg[i], s) == NULL)
				all = 0;
		va_end(ap);
		if (all)
			return 1;
	}
	return 0;
}

static void
dump_reports(const struct reports *r)
{
	int	i;

	for (i = 0; i < r->n && i < MAXREPORTS; i++)
		print_message("# report: %s\n", r->msg[i]);
}

#define assert_report(r, ...) do {					\
	if (!has_report((r), __VA_ARGS__, (const char *)NULL)) {	\
		dump_reports(r);					\
		fail_msg("no report with %s", #__VA_ARGS__);		\
	}								\
} while (0)

/* Load TEXT as the aliases file NAME; the problem count must match. */
static struct aliases *
load_text(const char *name, const char *text, struct reports *r,
    int nproblems)
{
	struct aliases	*a;
	int		 n = -1;

	memset(r, 0, sizeof(*r));
	a = aliases_load(write_file(name, text), collect, r, &n);
	assert_non_null(a);
	if (n != r->n || n != nproblems) {
		dump_reports(r);
		fail_msg("%s: %d problems counted, %d reported, %d expected",
		    name, n, r->n, nproblems);
	}
	return a;
}

struct joined {
	char	buf[8192];
	int	calls;
	int	stop_at;	/* return 1 on this call (1-based); 0 never */
};

static int
join_cb(const char *addr, void *arg)
{
	struct joined	*j = arg;
	size_t		 n = strlen(j->buf);

	j->calls++;
	snprintf(j->buf + n, sizeof(j->buf) - n, "%s%s", n ? "," : "", addr);
	return j->calls == j->stop_at;
}

/* Expand NAME, which must give 1 and exactly WANT (comma-joined). */
static void
expect(const struct aliases *a, const char *name, const char *want)
{
	struct joined	j;
	char		why[512];
	int		rc;

	memset(&j, 0, sizeof(j));
	rc = aliases_expand(a, name, join_cb, &j, why, sizeof(why));
	if (rc != 1)
		fail_msg("expand \"%s\": %d (%s), wanted \"%s\"", name, rc,
		    why, want);
	assert_string_equal(j.buf, want);
}

/* Expand NAME, which must fail with a reason holding WANT, no callback. */
static void
expect_fail(const struct aliases *a, const char *name, const char *want)
{
	struct joined	j;
	char		why[512];
	int		rc;

	memset(&j, 0, sizeof(j));
	rc = aliases_expand(a, name, join_cb, &j, why, sizeof(why));
	if (rc != -1 || strstr(why, want) == NULL)
		fail_msg("expand \"%s\": %d (%s) [%s], wanted -1 with \"%s\"",
		    name, rc, why, j.buf, want);
	assert_int_equal(j.calls, 0);
}

static void
expect_none(const struct aliases *a, const char *name)
{
	struct joined	j;
	char		why[64] = "x";

	memset(&j, 0, sizeof(j));
	assert_int_equal(aliases_expand(a, name, join_cb, &j, why,
	    sizeof(why)), 0);
	assert_int_equal(j.calls, 0);
	assert_string_equal(why, "");
}

/* ---- tests ---- */

static void
test_debian_default(void **state)
{
	struct aliases	*a;
	struct reports	 r;

	(void)state;
	/* What Debian's postfix and exim4 packages install. */
	a = load_text("debian-postfix",
	    "# See man 5 aliases for format\n"
	    "postmaster:    root\n", &r, 0);
	assert_int_equal(aliases_count(a), 1);
	expect(a, "postmaster", "root");
	expect_none(a, "root");
	aliases_free(a);

	a = load_text("debian-exim",
	    "# /etc/aliases\n"
	    "mailer-daemon: postmaster\n"
	    "postmaster: root\n"
	    "nobody: root\n"
	    "hostmaster: root\n"
	    "usenet: root\n"
	    "news: root\n"
	    "webmaster: root\n"
	    "www: root\n"
	    "ftp: root\n"
	    "abuse: root\n"
	    "noc: root\n"
	    "security: root\n"
	    "root: admin@example.org\n", &r, 0);
	assert_int_equal(aliases_count(a), 13);
	expect(a, "mailer-daemon", "admin@example.org");
	expect(a, "security", "admin@example.org");
	expect(a, "root", "admin@example.org");
	expect_none(a, "admin");
	expect_none(a, "nosuchname");
	expect_none(a, "root@example.org");	/* qualified: never an alias */
	expect_none(a, "");
	aliases_free(a);
}

static void
test_lists_and_forms(void **state)
{
	struct aliases	*a;
	struct reports	 r;

	(void)state;
	a = load_text("lists",
	    "staff: alice@example.org, bob@example.net,carol,  ,"
	    "dave@Example.COM,\n"
	    "named: Jo Bloggs <jo@example.org>, "
	    "\"Bloggs, Jo\" <jo2@example.org>\n"
	    "commented: ops@example.org (the ops team), <angle@example.org>\n"
	    "literal: x@[192.0.2.1], y@[IPv6:2001:db8::1]\n"
	    "odd: \"a,b\"@example.org, \"quoted local\"@example.org\n"
	    "route: <@relay.example,@r2.example:u@example.org>\n", &r, 0);
	assert_int_equal(aliases_count(a), 6);
	/* order kept, empty elements and the trailing comma skipped */
	expect(a, "staff",
	    "alice@example.org,bob@example.net,carol,dave@Example.COM");
	expect(a, "named", "jo@example.org,jo2@example.org");
	expect(a, "commented", "ops@example.org,angle@example.org");
	expect(a, "literal", "x@[192.0.2.1],y@[IPv6:2001:db8::1]");
	expect(a, "odd", "\"a,b\"@example.org,\"quoted local\"@example.org");
	expect(a, "route", "u@example.org");
	aliases_free(a);
}

static void
test_case_insensitive(void **state)
{
	struct aliases	*a;
	struct reports	 r;

	(void)state;
	a = load_text("case",
	    "Root: Admin@Example.ORG\n"
	    "PostMaster: ROOT\n"
	    "MixedTarget: Unknown\n", &r, 0);
	expect(a, "root", "Admin@Example.ORG");
	expect(a, "ROOT", "Admin@Example.ORG");
	expect(a, "postmaster", "Admin@Example.ORG");
	expect(a, "POSTMASTER", "Admin@Example.ORG");
	/* a name that is not an alias is passed on as written */
	expect(a, "mixedtarget", "Unknown");
	aliases_free(a);
}

static void
test_continuation(void **state)
{
	struct aliases	*a;
	struct reports	 r;

	(void)state;
	a = load_text("cont",
	    "  stray: x@example.org\n"			/* line 1: reported */
	    "team: a@example.org,\n"
	    "  b@example.org,\n"
	    "\tc@example.org\n"
	    "# a comment inside the entry\n"
	    "\n"
	    "    d@example.org\n"				/* no comma */
	    "\te@example.org\n"
	    "next: f@example.org\n"
	    "broken: g@example.org,\n"
	    "\tbad target\n", &r, 2);
	assert_report(&r, "cont:1:", "continuation line");
	/* the bad target is reported on its own line, 11 */
	assert_report(&r, "cont:11:", "alias 'broken'", "unusable target");
	expect(a, "team",
	    "a@example.org,b@example.org,c@example.org,d@example.org,"
	    "e@example.org");
	expect(a, "next", "f@example.org");
	expect_fail(a, "broken", "unusable target 'bad target'");
	expect_none(a, "stray");
	reports_free(&r);
	aliases_free(a);
}

static void
test_include(void **state)
{
	struct aliases	*a;
	struct reports	 r;
	char		 text[4096];

	(void)state;
	write_file("inc-staff",
	    "# staff list\n"
	    "alice@example.org, bob@example.org\r\n"
	    "\n"
	    "   carol@example.org\n"
	    "root\n");
	snprintf(text, sizeof(text), "dave@example.org\n:include:%s\n",
	    fpath("inc-staff"));
	write_file("inc-nested", text);
	write_file("inc space", "spaced@example.org\n");
	snprintf(text, sizeof(text),
	    "root: admin@example.org\n"
	    "staff: :include:%s\n"
	    "again: x@example.org, :INCLUDE: %s\n"
	    "nested: :include:%s\n"
	    "quoted: \":include:%s\"\n"
	    "missing: a@example.org, :include:%s\n"
	    "missing2: :include:%s\n"
	    "relative: :include:inc-staff\n"
	    "dir: :include:%s\n",
	    fpath("inc-staff"), fpath("inc-staff"), fpath("inc-nested"),
	    fpath("inc space"), fpath("no-such-file"), fpath("no-such-file"),
	    tmpdir);
	/* missing (once, though named twice), relative, directory */
	a = load_text("include", text, &r, 3);
	assert_report(&r, "include:6:", "cannot read include file",
	    "no-such-file", "No such file");
	assert_report(&r, "include:8:", "alias 'relative'", "not absolute");
	assert_report(&r, "include:9:", "cannot read include file",
	    "Is a directory");
	expect(a, "staff", "alice@example.org,bob@example.org,"
	    "carol@example.org,admin@example.org");
	expect(a, "again", "x@example.org,alice@example.org,bob@example.org,"
	    "carol@example.org,admin@example.org");
	expect(a, "nested", "dave@example.org,alice@example.org,"
	    "bob@example.org,carol@example.org,admin@example.org");
	expect(a, "quoted", "spaced@example.org");
	expect_fail(a, "missing", "cannot read include file");
	expect_fail(a, "missing2", "no-such-file");
	expect_fail(a, "relative", "not absolute");
	expect_fail(a, "dir", "cannot read include file");
	reports_free(&r);
	aliases_free(a);
}

static void
test_include_depth(void **state)
{
	struct aliases	*a;
	struct reports	 r;
	char		 name[32], text[1024];
	int		 i;

	(void)state;
	/* deep0 includes deep1 ... deep9, which holds an address */
	write_file("deep9", "bottom@example.org\n");
	for (i = 8; i >= 0; i--) {
		snprintf(name, sizeof(name), "deep%d", i + 1);
		snprintf(text, sizeof(text), "level%d@example.org\n"
		    ":include:%s\n", i, fpath(name));
		snprintf(name, sizeof(name), "deep%d", i);
		write_file(name, text);
	}
	/* from deep2, 8 files are read: deep2 .. deep9 */
	snprintf(text, sizeof(text), "ok: :include:%s\n", fpath("deep2"));
	a = load_text("depth-ok", text, &r, 0);
	expect(a, "ok", "level2@example.org,level3@example.org,"
	    "level4@example.org,level5@example.org,level6@example.org,"
	    "level7@example.org,level8@example.org,bottom@example.org");
	aliases_free(a);

	snprintf(text, sizeof(text), "deep: :include:%s\n", fpath("deep0"));
	a = load_text("depth-bad", text, &r, 1);
	/* from deep0, deep0 .. deep7 are read and deep8 is one too many */
	assert_report(&r, "deep7:2:", "deep8", "nested more than 8 deep");
	expect_fail(a, "deep", "nested more than 8 deep");
	reports_free(&r);
	aliases_free(a);
}

static void
test_quoted(void **state)
{
	struct aliases	*a;
	struct reports	 r;

	(void)state;
	a = load_text("quoted",
	    "\"john smith\": js@example.org\n"
	    "\"colon:name\" : cn@example.org\n"
	    "bob: \"john smith\", \"Bob\"\n"
	    "local: \"some one\"\n"
	    "plain: \"jane\"\n"
	    "\"jane\": jane@example.org\n", &r, 0);
	assert_int_equal(aliases_count(a), 6);
	expect(a, "\"john smith\"", "js@example.org");
	expect(a, "\"John Smith\"", "js@example.org");
	expect(a, "john smith", "js@example.org");
	expect(a, "colon:name", "cn@example.org");
	/* quoted targets name aliases too; "Bob" is bob itself, and
	 * quotes that quote nothing are dropped */
	expect(a, "bob", "js@example.org,Bob");
	/* not an alias: passed on quoted, to be qualified by the caller */
	expect(a, "local", "\"some one\"");
	expect(a, "plain", "jane@example.org");
	aliases_free(a);
}

static void
test_pipes_and_files(void **state)
{
	struct aliases	*a;
	struct reports	 r;

	(void)state;
	a = load_text("pipes",
	    "majordomo: \"|/usr/lib/majordomo/wrapper majordomo\"\n"
	    "bounce: |/usr/bin/procmail\n"
	    "archive: ops@example.org, /var/mail/archive\n"
	    "qfile: \"/var/mail/with space\"\n"
	    "front: ok@example.org, majordomo\n"
	    "clean: ok@example.org\n", &r, 4);
	assert_report(&r, "pipes:1:", "alias 'majordomo'", "|command",
	    "not supported");
	assert_report(&r, "pipes:2:", "alias 'bounce'", "|command");
	assert_report(&r, "pipes:3:", "alias 'archive'", "/file",
	    "/var/mail/archive");
	assert_report(&r, "pipes:4:", "alias 'qfile'", "/file");
	expect_fail(a, "majordomo", "|command target");
	expect_fail(a, "bounce", "/usr/bin/procmail");
	expect_fail(a, "archive", "/file target");
	expect_fail(a, "qfile", "/var/mail/with space");
	/* met during expansion of another alias: the whole expansion fails */
	expect_fail(a, "front", "alias 'majordomo': |command");
	expect(a, "clean", "ok@example.org");
	reports_free(&r);
	aliases_free(a);
}

static void
test_loops(void **state)
{
	struct aliases	*a;
	struct reports	 r;
	char		 text[2048];

	(void)state;
	snprintf(text, sizeof(text), "x@example.org, incowner\n");
	write_file("loop-inc", text);
	snprintf(text, sizeof(text), ":include:%s\n", fpath("loop-i2"));
	write_file("loop-i1", text);
	snprintf(text, sizeof(text), "y@example.org, :include:%s\n",
	    fpath("loop-i1"));
	write_file("loop-i2", text);
	snprintf(text, sizeof(text),
	    "a: b\n"
	    "b: a\n"
	    "c: d, x@example.org\n"
	    "d: e\n"
	    "e: c\n"
	    "into: ok@example.org, a\n"
	    "incowner: :include:%s\n"
	    "incloop: :include:%s\n"
	    "fine: ok@example.org\n",
	    fpath("loop-inc"), fpath("loop-i1"));
	a = load_text("loops", text, &r, 4);
	assert_report(&r, "loops:1:", "alias loop: a -> b -> a");
	assert_report(&r, "loops:3:", "alias loop: c -> d -> e -> c");
	assert_report(&r, "loops:7:", "alias loop: incowner -> :include:",
	    "loop-inc -> incowner");
	assert_report(&r, "alias loop: :include:", "loop-i1 -> :include:",
	    "loop-i2 -> :include:");
	expect_fail(a, "a", "alias loop: a -> b -> a");
	expect_fail(a, "b", "alias loop: b -> a -> b");
	expect_fail(a, "d", "alias loop: d -> e -> c -> d");
	expect_fail(a, "into", "alias loop: a -> b -> a");
	expect_fail(a, "incowner", "alias loop");
	expect_fail(a, "incloop", "alias loop");
	expect(a, "fine", "ok@example.org");
	reports_free(&r);
	aliases_free(a);
}

static void
test_self_reference(void **state)
{
	struct aliases	*a;
	struct reports	 r;

	(void)state;
	a = load_text("self",
	    "root: root, admin@example.org\n"
	    "postmaster: root\n"
	    "Ops: OPS, \\ops, ops@example.org\n"
	    "esc: \\root, \\Root, \\esc\n"
	    "both: root, postmaster, x@example.org, x@EXAMPLE.ORG,\n"
	    "  \"x\"@example.org, \"root\", \"x.y\"@example.org,\n"
	    "  x.y@example.org, \"x..y\"@example.org\n"
	    "diamond: left, right\n"
	    "left: shared, l@example.org\n"
	    "right: shared, r@example.org\n"
	    "shared: s@example.org, S@example.org\n", &r, 0);
	/* the self-reference is the local name itself, kept in its place */
	expect(a, "root", "root,admin@example.org");
	expect(a, "postmaster", "root,admin@example.org");
	/* OPS and \ops are both ops itself; local parts compare exactly */
	expect(a, "ops", "OPS,ops,ops@example.org");
	/* \name is never looked up */
	expect(a, "esc", "root,Root,esc");
	/* each address once, the domain compared case-insensitively */
	expect(a, "both", "root,admin@example.org,x@example.org,"
	    "x.y@example.org,\"x..y\"@example.org");
	expect(a, "diamond",
	    "s@example.org,S@example.org,l@example.org,r@example.org");
	aliases_free(a);
}

static void
test_duplicates(void **state)
{
	struct aliases	*a;
	struct reports	 r;

	(void)state;
	a = load_text("dups",
	    "root: first@example.org\n"
	    "other: o@example.org\n"
	    "ROOT: second@example.org,\n"
	    "\tthird@example.org\n"
	    "\"root\": fourth@example.org\n", &r, 2);
	assert_report(&r, "dups:3:", "duplicate alias 'root'", "line 1");
	assert_report(&r, "dups:5:", "duplicate alias 'root'", "line 1");
	assert_int_equal(aliases_count(a), 2);
	expect(a, "root", "first@example.org");
	reports_free(&r);
	aliases_free(a);
}

static void
test_long_lines(void **state)
{
	struct aliases	*a;
	struct reports	 r;
	char		*text;
	size_t		 n = 0, cap = 4 * ALIASES_LINE_MAX;
	int		 i;

	(void)state;
	assert_non_null(text = malloc(cap));
	n += (size_t)sprintf(text + n, "# ");
	for (i = 0; i < ALIASES_LINE_MAX; i++)	/* a long comment is fine */
		text[n++] = 'c';
	n += (size_t)sprintf(text + n, "\nbig: ");
	for (i = 0; n < 2 * ALIASES_LINE_MAX + 200; i++)
		n += (size_t)sprintf(text + n, "u%d@example.org, ", i);
	n += (size_t)sprintf(text + n, "last@example.org\n"
	    "after: a@example.org\n"
	    "grown: g@example.org,\n");
	while (n < 3 * ALIASES_LINE_MAX + 2000)
		n += (size_t)sprintf(text + n, "\tg%zu@example.org,\n", n);
	n += (size_t)sprintf(text + n, "\tend@example.org\n"
	    "fits: f@example.org\n");
	text[n] = '\0';
	a = load_text("long", text, &r, 2);
	assert_report(&r, "long:2:", "alias 'big'", "longer than 65536");
	assert_report(&r, "long:4:", "alias 'grown'", "longer than 65536");
	expect_fail(a, "big", "longer than 65536");
	expect_fail(a, "grown", "longer than 65536");
	expect(a, "after", "a@example.org");
	expect(a, "fits", "f@example.org");
	reports_free(&r);
	aliases_free(a);

	/* exactly ALIASES_LINE_MAX bytes is still a line */
	n = (size_t)sprintf(text, "max: ");
	while (n < ALIASES_LINE_MAX - 40)
		n += (size_t)sprintf(text + n, "m@example.org, ");
	while (n < ALIASES_LINE_MAX - 13)
		text[n++] = ' ';
	n += (size_t)sprintf(text + n, "z@example.org\n");
	assert_int_equal(n, ALIASES_LINE_MAX + 1);
	text[n] = '\0';
	a = load_text("long-max", text, &r, 0);
	expect(a, "max", "m@example.org,z@example.org");
	aliases_free(a);
	/* one more byte is one too many */
	memmove(text + 1, text, n + 1);
	text[0] = 'm';
	a = load_text("long-max1", text, &r, 1);
	assert_report(&r, "long-max1:1:", "alias 'mmax'", "longer than");
	reports_free(&r);
	aliases_free(a);
	free(text);
}

static void
test_syntax_reports(void **state)
{
	struct aliases	*a;
	struct reports	 r;
	static const char text[] =
	    "nocolon admin@example.org\n"		/* 1 */
	    "empty:\n"					/* 2 */
	    "commas: , ,\n"				/* 3 */
	    "a@example.org: x@example.org\n"		/* 4 */
	    ": x@example.org\n"				/* 5 */
	    "two words: x@example.org\n"		/* 6 */
	    "spaces: two words\n"			/* 7 */
	    "group: team: a@example.org;\n"		/* 8 */
	    "error: error:nouser No such user\n"	/* 9 */
	    "unterminated: \"abc, x@example.org\n"	/* 10 */
	    "angle: <a@example.org\n"			/* 11 */
	    "ctl: a\001b@example.org\n"			/* 12 */
	    "nul: a@example.org\0tail\n"		/* 13 */
	    "\"open: x@example.org\n"			/* 14 */
	    "ok: fine@example.org\n";
	int		n = -1;

	(void)state;
	memset(&r, 0, sizeof(r));
	a = aliases_load(write_bytes("syntax-bin", text, sizeof(text) - 1),
	    collect, &r, &n);
	assert_non_null(a);
	assert_int_equal(n, r.n);
	assert_report(&r, ":1:", "no ':'", "nocolon admin@example.org");
	assert_report(&r, ":2:", "alias 'empty' has no targets");
	assert_report(&r, ":3:", "alias 'commas' has no targets");
	assert_report(&r, ":4:", "bad alias name", "has a domain");
	assert_report(&r, ":5:", "empty alias name");
	assert_report(&r, ":6:", "bad alias name 'two words'");
	assert_report(&r, ":7:", "alias 'spaces'", "unusable target");
	assert_report(&r, ":8:", "alias 'group'", "':' outside quotes");
	assert_report(&r, ":9:", "alias 'error'", "':' outside quotes");
	assert_report(&r, ":10:", "alias 'unterminated'", "unusable");
	assert_report(&r, ":11:", "alias 'angle'", "unusable");
	assert_report(&r, ":12:", "alias 'ctl'", "a\\x01b@example.org");
	assert_report(&r, ":13:", "alias 'nul'", "NUL byte");
	assert_report(&r, ":14:", "no ':'");
	assert_int_equal(n, 14);
	expect_none(a, "nocolon");
	expect_fail(a, "empty", "has no targets");
	expect_fail(a, "commas", "has no targets");
	expect_fail(a, "spaces", "unusable target 'two words'");
	expect_fail(a, "group", "unusable");
	expect_fail(a, "error", "unusable");
	expect_fail(a, "unterminated", "unusable");
	expect_fail(a, "angle", "unusable");
	expect_fail(a, "ctl", "unusable");
	expect_fail(a, "nul", "NUL byte");
	expect(a, "ok", "fine@example.org");
	assert_int_equal(aliases_count(a), 10);
	reports_free(&r);
	aliases_free(a);
}

static void
test_crlf(void **state)
{
	struct aliases	*a;
	struct reports	 r;

	(void)state;
	a = load_text("crlf",
	    "# dos file\r\n"
	    "\r\n"
	    "postmaster: root\r\n"
	    "root: admin@example.org,\r\n"
	    "\tsecond@example.org\r\n"
	    "last: l@example.org", &r, 0);	/* no final line end */
	expect(a, "postmaster", "admin@example.org,second@example.org");
	expect(a, "last", "l@example.org");
	aliases_free(a);
}

static void
test_expand_limits(void **state)
{
	struct aliases	*a;
	struct reports	 r;
	struct joined	 j;
	char		*text, why[256];
	size_t		 n, cap = 64 * ALIASES_EXPAND_MAX;
	int		 i;

	(void)state;
	assert_non_null(text = malloc(cap));
	/* a chain: c0 -> c1 -> ... -> c20 -> end@example.org */
	for (n = 0, i = 0; i < 20; i++)
		n += (size_t)snprintf(text + n, cap - n, "c%d: c%d\n", i,
		    i + 1);
	n += (size_t)snprintf(text + n, cap - n, "c20: end@example.org\n");
	a = load_text("chain", text, &r, 0);
	/* c5 .. c20 is 16 aliases: allowed; c4 .. c20 is 17 */
	expect(a, "c5", "end@example.org");
	expect_fail(a, "c4", "nested more than 16 deep");
	aliases_free(a);

	/* ALIASES_EXPAND_MAX addresses are fine, one more is not */
	for (n = 0, i = 0; i < ALIASES_EXPAND_MAX; i++)
		n += (size_t)snprintf(text + n, cap - n, "m%d@example.org\n",
		    i);
	write_file("many", text);
	snprintf(text, cap, "many: :include:%s\n"
	    "more: :include:%s, extra@example.org\n"
	    "dupes: :include:%s, m0@EXAMPLE.org, m1@example.org\n",
	    fpath("many"), fpath("many"), fpath("many"));
	a = load_text("limits", text, &r, 0);
	memset(&j, 0, sizeof(j));
	assert_int_equal(aliases_expand(a, "many", join_cb, &j, why,
	    sizeof(why)), 1);
	assert_int_equal(j.calls, ALIASES_EXPAND_MAX);
	expect_fail(a, "more", "more than 10000 addresses");
	memset(&j, 0, sizeof(j));
	assert_int_equal(aliases_expand(a, "dupes", join_cb, &j, why,
	    sizeof(why)), 1);
	assert_int_equal(j.calls, ALIASES_EXPAND_MAX);

	/* a callback that stops the expansion */
	memset(&j, 0, sizeof(j));
	j.stop_at = 3;
	assert_int_equal(aliases_expand(a, "many", join_cb, &j, why,
	    sizeof(why)), -1);
	assert_int_equal(j.calls, 3);
	assert_non_null(strstr(why, "stopped by the caller"));
	/* a small WHY is cut, not overrun; a zero-length one is untouched */
	memcpy(why, "zzzzzzzzzz", 11);
	assert_int_equal(aliases_expand(a, "more", join_cb, &j, why, 5), -1);
	assert_string_equal(why, "more");
	assert_string_equal(why + 5, "zzzzz");
	assert_int_equal(aliases_expand(a, "more", join_cb, &j, NULL, 0), -1);
	aliases_free(a);
	free(text);
}

static void
test_include_limits(void **state)
{
	static const char inc_bad[] =
	    "ok@example.org\nnul\0here@example.org\n|/bin/sh\n";
	struct aliases	*a;
	struct reports	 r;
	char		 text[4096], name[16], next[16];
	int		 i;

	(void)state;
	/* k1 .. k5 and j1 .. j5 are chains; j5 ends in k1, already read */
	for (i = 1; i <= 5; i++) {
		snprintf(name, sizeof(name), "k%d", i);
		snprintf(next, sizeof(next), "k%d", i + 1);
		snprintf(text, sizeof(text), i < 5 ? ":include:%s\n" :
		    "k@example.org\n", fpath(next));
		write_file(name, text);
		snprintf(name, sizeof(name), "j%d", i);
		snprintf(next, sizeof(next), i < 5 ? "j%d" : "k1", i + 1);
		snprintf(text, sizeof(text), ":include:%s\n", fpath(next));
		write_file(name, text);
	}
	/* bad lines in an include file are reported on their own lines */
	write_bytes("inc-bad", inc_bad, sizeof(inc_bad) - 1);
	snprintf(text, sizeof(text),
	    "k: :include:%s\n"
	    "j: :include:%s\n"
	    "bad: :include:%s\n",
	    fpath("k1"), fpath("j1"), fpath("inc-bad"));
	a = load_text("inclimits", text, &r, 2);
	assert_report(&r, "inc-bad:2:", "NUL byte");
	assert_report(&r, "inc-bad:3:", "|command", "not supported");
	expect(a, "k", "k@example.org");
	/* ten files deep once put together: refused at expansion */
	expect_fail(a, "j", "include files nested more than 8 deep");
	expect_fail(a, "bad", "include file");
	reports_free(&r);
	aliases_free(a);
}

static void
test_file_limits(void **state)
{
	struct aliases	*a;
	struct reports	 r;
	char		*text;
	const char	*path;
	size_t		 n = 0, cap = 16 * (ALIASES_ENTRIES_MAX + 10);
	int		 i, fd, nproblems;

	(void)state;
	assert_non_null(text = malloc(cap));
	for (i = 0; i <= ALIASES_ENTRIES_MAX; i++)
		n += (size_t)snprintf(text + n, cap - n, "a%d:b\n", i);
	a = load_text("entries", text, &r, 1);
	assert_report(&r, "entries:100001:", "more than 100000 aliases");
	assert_int_equal(aliases_count(a), ALIASES_ENTRIES_MAX);
	expect(a, "a99999", "b");
	expect_none(a, "a100000");
	reports_free(&r);
	aliases_free(a);
	free(text);

	/* ALIASES_INPUT_MAX: a sparse file is cheap to make and to read */
	path = write_file("input",
	    "root: admin@example.org\ncut: x@example.org");
	assert_true((fd = open(path, O_WRONLY)) >= 0);
	assert_int_equal(ftruncate(fd, (off_t)ALIASES_INPUT_MAX + 1), 0);
	assert_int_equal(close(fd), 0);
	memset(&r, 0, sizeof(r));
	assert_non_null(a = aliases_load(path, collect, &r, &nproblems));
	assert_int_equal(nproblems, 1);
	assert_report(&r, "input:2:", "more than 67108864 bytes");
	expect(a, "root", "admin@example.org");
	/* the entry the limit cut is not parsed */
	expect_none(a, "cut");
	reports_free(&r);
	aliases_free(a);
}

static void
test_load_errors(void **state)
{
	struct aliases	*a;
	int		 n = 99;

	(void)state;
	errno = 0;
	assert_null(aliases_load(fpath("does-not-exist"), NULL, NULL, &n));
	assert_int_equal(errno, ENOENT);
	errno = 0;
	assert_null(aliases_load(tmpdir, NULL, NULL, NULL));
	assert_int_equal(errno, EISDIR);
	errno = 0;
	assert_null(aliases_load("/dev/null", NULL, NULL, NULL));
	assert_int_equal(errno, EINVAL);

	/* an empty file is fine; no report function is fine */
	assert_non_null(a = aliases_load(write_file("empty", ""), NULL, NULL,
	    &n));
	assert_int_equal(n, 0);
	assert_int_equal(aliases_count(a), 0);
	expect_none(a, "root");
	aliases_free(a);
	assert_non_null(a = aliases_load(write_file("bad-noreport",
	    "x y z\nq: |cmd\n"), NULL, NULL, &n));
	assert_int_equal(n, 2);
	aliases_free(a);

	/* NULL is harmless */
	expect_none(NULL, "root");
	assert_int_equal(aliases_count(NULL), 0);
	aliases_free(NULL);
}

static void
test_big_file(void **state)
{
	struct aliases	*a;
	struct reports	 r;
	struct joined	 j;
	struct timespec	 t0, t1;
	char		*text, name[32], why[256];
	size_t		 n = 0, cap = 100 * 10000;
	double		 ms;
	int		 i, nproblems;

	(void)state;
	assert_non_null(text = malloc(cap));
	/* alias<i> -> its own address, a local name and alias<i/2>: every
	 * expansion is a chain at most 14 aliases deep */
	n += (size_t)snprintf(text + n, cap - n, "alias0: u0@example.org\n");
	for (i = 1; i < 10000; i++)
		n += (size_t)snprintf(text + n, cap - n,
		    "alias%d: u%d@example.org, local%d, alias%d\n", i, i, i,
		    i / 2);
	write_file("big", text);
	memset(&r, 0, sizeof(r));
	clock_gettime(CLOCK_MONOTONIC, &t0);
	a = aliases_load(fpath("big"), collect, &r, &nproblems);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	assert_non_null(a);
	assert_int_equal(nproblems, 0);
	assert_int_equal(aliases_count(a), 10000);
	ms = (double)(t1.tv_sec - t0.tv_sec) * 1e3 +
	    (double)(t1.tv_nsec - t0.tv_nsec) / 1e6;
	print_message("# 10000 aliases loaded in %.1f ms\n", ms);
	/* The 50 ms target is for an optimised build without valgrind;
	 * this bound only catches quadratic behaviour under any of them. */
	assert_true(ms < 2000);
	expect(a, "alias5",
	    "u5@example.org,local5,u2@example.org,local2,u1@example.org,"
	    "local1,u0@example.org");
	for (i = 0; i < 10000; i++) {
		snprintf(name, sizeof(name), "ALIAS%d", i);
		memset(&j, 0, sizeof(j));
		assert_int_equal(aliases_expand(a, name, join_cb, &j, why,
		    sizeof(why)), 1);
	}
	aliases_free(a);
	free(text);
}

static void
put(char *buf, size_t cap, size_t *n, const char *s, size_t len)
{
	if (*n + len > cap)
		len = cap - *n;
	memcpy(buf + *n, s, len);
	*n += len;
}

static const char *
pick(const char *const *v, size_t nv, const char *incs[], size_t nincs)
{
	size_t	k = (size_t)(rng() % (nv + nincs));

	return k < nv ? v[k] : incs[k - nv];
}

/*
 * Mostly well-formed lines from a small vocabulary, so that names meet
 * each other (lists, loops, includes), mixed with syntax pieces and
 * random bytes, then a few random bytes changed.
 */
static size_t
fuzz_text(char *buf, size_t cap, const char *incs[], size_t nincs)
{
	static const char *const names[] = {
		"a", "b", "c", "ab", "ROOT", "root", "\"q q\"", "x",
	};
	static const char *const targets[] = {
		"a", "b", "c", "ab", "root", "Root", "\\root", "\"q q\"",
		"x@example.org", "y@Example.org", "Name <z@example.org>",
		"\"|cmd\"", "|cmd", "/file", "bad target", "<>", "a@",
		"team: t@example.org;", "(comment) w@example.org",
	};
	static const char *const seps[] = {
		", ", ",", ",\n\t", "\n ", " , ", ",,",
	};
	static const char *const pieces[] = {
		":", ",", "\n", " ", "\t", "\"", "\\", "<", ">", "(", ")",
		"[", "]", "@", "|", "/", "#", "\r\n", ".", ";", ":include:",
		"\0", "\n#", "\n\n",
	};
	const char	*p;
	size_t		 n = 0, len, k, t;

	len = (size_t)(rng() % cap);
	while (n < len) {
		switch (rng() % 10) {
		case 0:
			p = pick(pieces, NELEM(pieces), NULL, 0);
			put(buf, len, &n, p, p[0] == '\0' ? 1 : strlen(p));
			break;
		case 1:
			k = (size_t)(rng() % 8);
			while (k-- > 0 && n < len)
				buf[n++] = (char)(rng() & 0xff);
			break;
		default:
			p = pick(names, NELEM(names), NULL, 0);
			put(buf, len, &n, p, strlen(p));
			put(buf, len, &n, rng() % 4 ? ": " : " :", 2);
			for (t = (size_t)(rng() % 4); ; t--) {
				p = pick(targets, NELEM(targets), incs,
				    rng() % 3 ? 0 : nincs);
				put(buf, len, &n, p, strlen(p));
				if (t == 0)
					break;
				p = pick(seps, NELEM(seps), NULL, 0);
				put(buf, len, &n, p, strlen(p));
			}
			put(buf, len, &n, "\n", 1);
			break;
		}
	}
	for (k = (size_t)(rng() % 3); k > 0 && n > 0; k--)
		buf[rng() % n] = (char)(rng() & 0xff);
	return n;
}

static void
test_fuzz(void **state)
{
	static const char *const names[] = {
		"a", "b", "c", "ab", "root", "ROOT", "\"q q\"", "x", "",
		"nosuch",
	};
	struct aliases	*a;
	struct reports	 r;
	struct joined	 j;
	char		 buf[3000], why[512], inc[3][600];
	const char	*incs[3];
	size_t		 n, k, entries = 0;
	int		 iter, rc, nproblems, seen[3] = { 0, 0, 0 };

	(void)state;
	rng_seed(0x616c696173657321ULL);
	for (k = 0; k < 3; k++) {
		snprintf(inc[k], sizeof(inc[k]), ":include:%s",
		    fpath(k == 0 ? "fz0" : k == 1 ? "fz1" : "fz2"));
		incs[k] = inc[k];
	}
	for (iter = 0; iter < 400; iter++) {
		n = fuzz_text(buf, sizeof(buf), incs, 3);
		write_bytes("fz0", buf, n);
		n = fuzz_text(buf, sizeof(buf) / 4, incs, 3);
		write_bytes("fz1", buf, n);
		n = fuzz_text(buf, sizeof(buf) / 4, incs, 3);
		write_bytes("fz2", buf, n);
		n = fuzz_text(buf, sizeof(buf), incs, 3);
		memset(&r, 0, sizeof(r));
		a = aliases_load(write_bytes("fuzz", buf, n), collect, &r,
		    &nproblems);
		assert_non_null(a);
		assert_int_equal(nproblems, r.n);
		for (k = 0; k < NELEM(names); k++) {
			memset(&j, 0, sizeof(j));
			rc = aliases_expand(a, names[k], join_cb, &j, why,
			    sizeof(why));
			assert_true(rc >= -1 && rc <= 1);
			assert_true(rc != 1 || j.calls > 0);
			assert_true(rc == 1 || j.calls == 0);
			seen[rc + 1]++;
		}
		entries += aliases_count(a);
		reports_free(&r);
		aliases_free(a);
	}
	/* the input must reach every outcome to test anything */
	print_message("# fuzz: %zu aliases; expansions: %d failed, %d not "
	    "found, %d expanded\n", entries, seen[0], seen[1], seen[2]);
	assert_true(seen[0] > 0 && seen[1] > 0 && seen[2] > 0);

	/* plain random bytes, too */
	for (iter = 0; iter < 200; iter++) {
		n = (size_t)(rng() % sizeof(buf));
		for (k = 0; k < n; k++)
			buf[k] = (char)(rng() & 0xff);
		a = aliases_load(write_bytes("fuzz", buf, n), NULL, NULL,
		    &nproblems);
		assert_non_null(a);
		for (k = 0; k < NELEM(names); k++) {
			memset(&j, 0, sizeof(j));
			(void)aliases_expand(a, names[k], join_cb, &j, why,
			    sizeof(why));
		}
		aliases_free(a);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_debian_default),
		cmocka_unit_test(test_lists_and_forms),
		cmocka_unit_test(test_case_insensitive),
		cmocka_unit_test(test_continuation),
		cmocka_unit_test(test_include),
		cmocka_unit_test(test_include_depth),
		cmocka_unit_test(test_quoted),
		cmocka_unit_test(test_pipes_and_files),
		cmocka_unit_test(test_loops),
		cmocka_unit_test(test_self_reference),
		cmocka_unit_test(test_duplicates),
		cmocka_unit_test(test_long_lines),
		cmocka_unit_test(test_syntax_reports),
		cmocka_unit_test(test_crlf),
		cmocka_unit_test(test_expand_limits),
		cmocka_unit_test(test_include_limits),
		cmocka_unit_test(test_file_limits),
		cmocka_unit_test(test_load_errors),
		cmocka_unit_test(test_big_file),
		cmocka_unit_test(test_fuzz),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
