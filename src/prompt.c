/*
 * prompt - questions on the terminal; see prompt.h.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "prompt.h"
#include "util.h"

#define PROMPT_MAX		1000
#define PROMPT_SECRET_MAX	4096

static struct termios	saved_tio;
static volatile sig_atomic_t echo_off;

static void
restore_echo(int sig)
{
	if (echo_off)
		(void)tcsetattr(STDIN_FILENO, TCSAFLUSH, &saved_tio);
	echo_off = 0;
	signal(sig, SIG_DFL);
	raise(sig);
}

int
prompt_line(int fd, char *buf, size_t len)
{
	size_t	n = 0;
	ssize_t	r;
	char	c;
	int	any = 0;

	for (;;) {
		r = read(fd, &c, 1);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		any = 1;
		if (c == '\n')
			break;
		if (n + 1 >= len) {
			wipe(buf, len);
			errno = EMSGSIZE;
			return -1;
		}
		buf[n++] = c;
	}
	if (!any) {
		errno = r < 0 ? errno : ENODATA;
		return -1;
	}
	if (n > 0 && buf[n - 1] == '\r')
		n--;
	buf[n] = '\0';
	return 0;
}

char *
prompt_ask(const char *question, const char *dflt)
{
	char	buf[PROMPT_MAX + 1];

	if (dflt)
		fprintf(stderr, "%s [%s]: ", question, dflt);
	else
		fprintf(stderr, "%s: ", question);
	fflush(stderr);
	if (prompt_line(STDIN_FILENO, buf, sizeof(buf)) == -1)
		return NULL;
	return xstrdup(buf[0] == '\0' && dflt ? dflt : buf);
}

char *
prompt_secret(const char *question)
{
	struct sigaction	sa, old[4];
	struct termios		tio;
	static const int	sigs[] = { SIGINT, SIGTERM, SIGHUP, SIGQUIT };
	char			buf[PROMPT_SECRET_MAX + 1], *secret = NULL;
	int			tty = isatty(STDIN_FILENO), rc, saved, i;

	if (tty) {
		if (tcgetattr(STDIN_FILENO, &saved_tio) == -1)
			return NULL;
		memset(&sa, 0, sizeof(sa));
		sa.sa_handler = restore_echo;
		sigemptyset(&sa.sa_mask);
		for (i = 0; i < 4; i++)
			sigaction(sigs[i], &sa, &old[i]);
		tio = saved_tio;
		tio.c_lflag &= ~(tcflag_t)(ECHO | ECHONL);
		echo_off = 1;
		if (tcsetattr(STDIN_FILENO, TCSAFLUSH, &tio) == -1) {
			echo_off = 0;
			return NULL;
		}
		fprintf(stderr, "%s (not shown): ", question);
		fflush(stderr);
	}
	rc = prompt_line(STDIN_FILENO, buf, sizeof(buf));
	saved = errno;
	if (tty) {
		(void)tcsetattr(STDIN_FILENO, TCSAFLUSH, &saved_tio);
		echo_off = 0;
		for (i = 0; i < 4; i++)
			sigaction(sigs[i], &old[i], NULL);
		fputc('\n', stderr);
	}
	if (rc == 0 && buf[0] != '\0')
		secret = xstrdup(buf);
	else if (rc == 0)
		saved = ENODATA;
	wipe(buf, sizeof(buf));
	errno = saved;
	return secret;
}

