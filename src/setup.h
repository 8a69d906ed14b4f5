/*
 * setup - relayq setup: the first run.  Takes the provider or host, the
 * account and the secret (as options for scripts and configuration
 * management, or asked for on a terminal), writes relayq.conf and the
 * secret file beside it, then runs relayq check and offers relayq
 * send-test.
 *
 * Promises: the secret never comes from argv (there is no --password
 * option: it would show in the process list and the shell history); it is
 * read from the first line of stdin or from the terminal with echo off,
 * never printed, wiped after use, and written only to the secret file.
 * Both files are replaced atomically (temporary file, fsync, rename,
 * directory fsync), the secret first, so a configuration never names a
 * secret that is not there; an existing configuration is replaced only
 * with --force.  Before anything is written, the configuration text is
 * read back through conf_load() and must give the values asked for, so no
 * value can smuggle in another key.  The secret is root:<relayq group>
 * 0640 when root sets up the compiled-in configuration; with -C or
 * RELAYQ_CONFIG, or for another user, it stays the caller's, 0600.
 * The check and the test message run in a child that has become the
 * relayq account, as relayq check and relayq send-test do.
 */
#ifndef RELAYQ_SETUP_H
#define RELAYQ_SETUP_H

#include "admin.h"

/* setup_main - args are what follows "setup"; config is the file to write
 * (-C, RELAYQ_CONFIG or the compiled-in one), override says it came from
 * -C or RELAYQ_CONFIG.  Returns the exit status (sysexits). */
int	setup_main(const char *config, int override, char **args, int nargs,
	    const struct admin_opts *ao);

#endif
