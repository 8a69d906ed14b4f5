/*
 * prompt - questions on the terminal for relayq setup.
 *
 * Lines are read from stdin byte by byte, so nothing after them is read
 * ahead and no stdio buffer keeps a copy of a secret.  A secret is read
 * with echo off when stdin is a terminal, and the terminal is put back
 * even when a signal ends the program meanwhile.  Questions go to stderr.
 */
#ifndef RELAYQ_PROMPT_H
#define RELAYQ_PROMPT_H

#include <stddef.h>

/* prompt_line - one line from fd without its LF or CR LF; 0, or -1 with
 * errno: ENODATA at the end of input, EMSGSIZE if longer than len - 1. */
int	prompt_line(int fd, char *buf, size_t len);

/* prompt_ask - "question [dflt]: " and the answer (dflt when it is
 * empty), allocated; NULL at the end of input. */
char	*prompt_ask(const char *question, const char *dflt);

/* prompt_secret - "question (not shown): " with echo off on a terminal,
 * or just the first line of stdin; allocated, the caller wipes and frees
 * it.  NULL with errno for no line or an empty one. */
char	*prompt_secret(const char *question);

#endif
