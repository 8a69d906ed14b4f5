/*
 * log - syslog(LOG_MAIL) with an optional stderr mirror; see log.h.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <stdio.h>
#include <syslog.h>

#include "log.h"
#include "util.h"

static const char *log_ident = "relayq";
static int	 log_stderr;
static int	 log_debug_on;
static int	 log_opened;
static int	 log_stderr_quiet;
static void	(*log_stderr_before)(void);

void
log_init(const char *ident, int stderr_too)
{
	log_ident = ident;
	log_stderr = stderr_too;
	/* LOG_NDELAY is left out: a submission that logs nothing should not
	 * pay for a socket. */
	openlog(ident, LOG_PID, LOG_MAIL);
	log_opened = 1;
}

void
log_set_stderr(int on)
{
	log_stderr = on;
}

void
log_set_stderr_hook(void (*before)(void), int quiet)
{
	log_stderr_before = before;
	log_stderr_quiet = quiet;
}

void
log_set_debug(int on)
{
	log_debug_on = on;
}

static void
log_vemit(int prio, const char *f, va_list ap)
{
	char	raw[2048], line[2048];

	vsnprintf(raw, sizeof(raw), f, ap);
	/* Callers escape outside text, but one line must stay one line
	 * even if one forgets: a control byte left in it could end it,
	 * start a forged one, or drive the terminal that shows the log. */
	escape_controls(line, sizeof(line), raw);
	if (log_opened)
		syslog(prio, "%s", line);
	if (!log_stderr || (log_stderr_quiet && prio != LOG_WARNING &&
	    prio != LOG_ERR))
		return;
	if (log_stderr_before)
		log_stderr_before();
	fprintf(stderr, "%s: %s\n", log_ident, line);
}

void
log_info(const char *f, ...)
{
	va_list	ap;

	va_start(ap, f);
	log_vemit(LOG_INFO, f, ap);
	va_end(ap);
}

void
log_warn(const char *f, ...)
{
	va_list	ap;

	va_start(ap, f);
	log_vemit(LOG_WARNING, f, ap);
	va_end(ap);
}

void
log_err(const char *f, ...)
{
	va_list	ap;

	va_start(ap, f);
	log_vemit(LOG_ERR, f, ap);
	va_end(ap);
}

void
log_debug(const char *f, ...)
{
	va_list	ap;

	if (!log_debug_on)
		return;
	va_start(ap, f);
	log_vemit(LOG_DEBUG, f, ap);
	va_end(ap);
}
