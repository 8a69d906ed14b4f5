/*
 * pathnames - compile-time paths and account names, from configure.
 */
#ifndef RELAYQ_PATHNAMES_H
#define RELAYQ_PATHNAMES_H

#ifndef RELAYQ_SPOOL_DIR
#define RELAYQ_SPOOL_DIR	"/var/spool/relayq"
#endif
#ifndef RELAYQ_CONFIG_PATH
#define RELAYQ_CONFIG_PATH	"/etc/relayq.conf"
#endif
#ifndef RELAYQ_RUNNER_PATH
#define RELAYQ_RUNNER_PATH	"/usr/libexec/relayq/relayq-runner"
#endif
#ifndef RELAYQ_USER
#define RELAYQ_USER		"relayq"
#endif

#endif
