/*
 * fuzz_message - a message on sendmail's stdin with -t: the header read,
 * recipients taken from To/Cc/Bcc (or the latest Resent- block), local
 * addresses rewritten and aliased, the header completed and the whole
 * stored in a spool in the scratch directory (emptied after each run).
 * The envelope of what was queued must read back.
 */
#include <assert.h>
#include <dirent.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sysexits.h>
#include <unistd.h>

#include "envelope.h"
#include "fuzz_common.h"
#include "submit.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

static struct config	cf;

static const char aliases[] =
    "postmaster: root\n"
    "root: ops@example.net, \"Jo Bloggs\" <jo@example.com>\n"
    "staff: alice, bob@example.net\n"
    "pipe: |/bin/true\n";

/* Odd-sized pieces, as a pipe may deliver them. */
static ssize_t
fill(void *arg, char *buf, size_t len)
{
	return submit_fill_memory(arg, buf, len > 1000 ? 1000 : len);
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	fuzz_config(&cf);
	cf.aliases = xstrdup(fuzz_path("aliases"));
	fuzz_write_file(cf.aliases, aliases, sizeof(aliases) - 1);
	fuzz_spool(&cf);
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct submission	 s;
	struct submit_memory	 m = { (const char *)data, size, 0 };
	struct envelope		 env;
	struct stat		 st;
	char			 id[QUEUE_ID_LEN + 1], why[1024], path[700];
	int			 code, fd;

	if (size > 256 * 1024)
		return 0;
	memset(&s, 0, sizeof(s));
	s.extract = 1;
	s.sender = "sender@example.org";
	why[0] = '\0';
	code = submit_message_from(&cf, &s, fill, &m, id, why, sizeof(why));
	if (code == EX_OK) {
		snprintf(path, sizeof(path), "%s/intake/m.%s", cf.queue_dir,
		    id);
		fd = open(path, O_RDONLY | O_CLOEXEC);
		assert(fd != -1 && fstat(fd, &st) == 0);
		assert(envelope_read(fd, (uint64_t)st.st_size, &env, why,
		    sizeof(why)) == 0);
		assert(env.nrcpts > 0);
		envelope_free(&env);
		close(fd);
		fuzz_spool_empty(&cf);
	} else
		assert(why[0] != '\0');
	return 0;
}
