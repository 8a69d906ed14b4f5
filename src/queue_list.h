/*
 * queue_list - the queue as people and scripts read it: relayq queue
 * (text or --json), mailq, -bp.  Read-only; needs read access to the
 * queue directory (root or the relayq group).
 *
 * Also the small helpers the administrator's commands share for the
 * directories spool.h does not know: <spool>/hold, where relayq hold keeps
 * messages the runner must not send (the runner reads only queue/), and
 * views that let the spool functions written for queue/ work on hold/ and
 * failed/.
 */
#ifndef RELAYQ_QUEUE_LIST_H
#define RELAYQ_QUEUE_LIST_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "conf.h"
#include "spool.h"

#define QUEUE_HOLD_DIR	"hold"

/* queue_list_print - one block per message (held ones marked '!' after
 * the id); returns a sysexits code. */
int	queue_list_print(struct config *cf, FILE *out, char *why,
	    size_t whylen);

/* queue_list_json - every message, held, failed and not yet picked up
 * included, as one JSON array; returns a sysexits code. */
int	queue_list_json(struct config *cf, FILE *out, char *why,
	    size_t whylen);

/* queue_hold_open - open <spool>/hold, creating it 0750 through rootfd if
 * create.  The fd, or -1 with errno (ENOENT: there is none yet). */
int	queue_hold_open(struct spool *sp, int create);

/* queue_view - a copy of sp whose queue directory is dirfd, so that
 * spool_list, spool_open_message, state_read and state_write work on
 * hold/ or failed/.  Owns nothing: never spool_close() a view. */
void	queue_view(struct spool *view, const struct spool *sp, int dirfd);

/* queue_format_age - a duration as mailq shows it: 90s, 5m, 3h, 2d. */
void	queue_format_age(int64_t secs, char *out, size_t len);

/* json_put_string - s as a JSON string: quote and backslash escaped,
 * control bytes as \u00XX, invalid UTF-8 replaced by U+FFFD. */
void	json_put_string(FILE *out, const char *s, size_t len);

#endif
