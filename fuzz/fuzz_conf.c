/*
 * fuzz_conf - relayq.conf through conf_load (libconfuse and relayq's
 * callbacks and checks): sendmail -C and RELAYQ_CONFIG let any user hand
 * one in.  The input is written to a file in the scratch directory.
 */
#include <assert.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "conf.h"
#include "fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct config	 cf;
	char		 path[512], why[1024];
	size_t		 i;

	if (size > 64 * 1024)
		return 0;
	snprintf(path, sizeof(path), "%s", fuzz_path("relayq.conf"));
	fuzz_write_file(path, data, size);
	why[0] = '\0';
	if (conf_load(path, 1, &cf, why, sizeof(why)) == 0) {
		assert(cf.queue_dir != NULL);
		assert(cf.retry_min >= 1 && cf.retry_max >= cf.retry_min);
		assert(cf.max_connections >= 1 && cf.max_connections <= 32);
		for (i = 0; i < cf.nsmarthosts; i++) {
			const struct smarthost *sh = &cf.smarthosts[i];

			assert(sh->host != NULL);
			assert(sh->port > 0 && sh->port < 65536);
			(void)tls_mode_name(sh->tls);
			(void)conf_tls_warning(sh);
		}
		conf_free(&cf);
	} else
		assert(why[0] != '\0');
	return 0;
}
