/*
 * fuzz_smtp_server - "sendmail -bs": the input is the client's side of a
 * whole session, read from a memfd; replies go to /dev/null.  Accepted
 * messages are really queued, in a spool in the scratch directory that
 * is emptied after each run.
 */
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "fuzz_common.h"
#include "smtp_server.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

static struct config	cf;
static int		devnull;

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	fuzz_config(&cf);
	cf.max_message_size = 4096;	/* SIZE and "too large" reachable */
	fuzz_spool(&cf);
	if ((devnull = open("/dev/null", O_WRONLY | O_CLOEXEC)) == -1)
		abort();
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct submission	defaults;
	int			fd, queued = 0;

	if (size > 256 * 1024)
		return 0;
	if ((fd = memfd_create("session", MFD_CLOEXEC)) == -1)
		abort();
	if (size > 0 && write_all(fd, data, size) == -1)
		abort();
	lseek(fd, 0, SEEK_SET);
	memset(&defaults, 0, sizeof(defaults));
	defaults.fullname = "Fuzz";
	(void)smtp_server_run(&cf, &defaults, fd, devnull, &queued);
	close(fd);
	if (queued > 0)
		fuzz_spool_empty(&cf);
	return 0;
}
