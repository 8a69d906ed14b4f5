/*
 * log - syslog (facility mail) for every relayq program, optionally
 * mirrored to stderr (interactive commands, -v, tests).
 *
 * Text that came from outside (addresses, relay replies) must pass
 * through escape_text() before it is logged.  Passwords and AUTH
 * exchanges are never handed to this module.
 */
#ifndef RELAYQ_LOG_H
#define RELAYQ_LOG_H

#include <stdarg.h>

/* log_init - ident is the program name ("relayq", "sendmail"), stderr_too
 * mirrors every line to stderr as "ident: text". */
void	log_init(const char *ident, int stderr_too);
void	log_set_stderr(int on);
/* log_set_stderr_hook - before() runs ahead of every line mirrored to
 * stderr (a progress line on the terminal clears itself); quiet mirrors
 * only warnings and errors. */
void	log_set_stderr_hook(void (*before)(void), int quiet);
void	log_info(const char *, ...) __attribute__((format(printf, 1, 2)));
void	log_warn(const char *, ...) __attribute__((format(printf, 1, 2)));
void	log_err(const char *, ...) __attribute__((format(printf, 1, 2)));
void	log_debug(const char *, ...) __attribute__((format(printf, 1, 2)));
void	log_set_debug(int on);

#endif
