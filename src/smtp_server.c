/*
 * smtp_server - sendmail -bs; see smtp_server.h.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <sysexits.h>
#include <unistd.h>

#include "smtp_server.h"

int
smtp_server_run(struct config *cf, const struct submission *defaults,
    int in, int out, int *queued)
{
	static const char msg[] = "421 4.3.0 -bs is not implemented yet\r\n";

	(void)cf;
	(void)defaults;
	(void)in;
	*queued = 0;
	(void)write(out, msg, sizeof(msg) - 1);
	return EX_UNAVAILABLE;
}
