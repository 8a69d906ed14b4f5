/*
 * reply - SMTP reply parsing; see reply.h.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <stdio.h>
#include <string.h>

#include "reply.h"
#include "util.h"

void
reply_init(struct reply *r)
{
	memset(r, 0, sizeof(*r));
}

static int
is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* "X.Y.Z" with X in 2, 4, 5 and Y, Z of 1-3 digits, then space or end. */
static void
parse_enhanced(struct reply *r, const char *t, size_t len)
{
	size_t	i = 0, part, digits;

	if (len < 5 || (t[0] != '2' && t[0] != '4' && t[0] != '5') ||
	    t[0] - '0' != r->code / 100 || t[1] != '.')
		return;
	i = 2;
	for (part = 0; part < 2; part++) {
		for (digits = 0; i < len && is_digit(t[i]) && digits < 3;
		    i++, digits++)
			;
		if (digits == 0)
			return;
		if (part == 0) {
			if (i >= len || t[i] != '.')
				return;
			i++;
		}
	}
	if (i < len && t[i] != ' ')
		return;
	if (i < sizeof(r->enhanced)) {
		memcpy(r->enhanced, t, i);
		r->enhanced[i] = '\0';
	}
}

int
reply_feed_line(struct reply *r, const char *line, size_t len, char *why,
    size_t whylen)
{
	int	code, last;
	size_t	tlen;

	if (r->complete) {
		snprintf(why, whylen, "reply already complete");
		return -1;
	}
	if (len > REPLY_LINE_MAX) {
		snprintf(why, whylen, "reply line longer than %d bytes",
		    REPLY_LINE_MAX);
		return -1;
	}
	if (len < 3 || !is_digit(line[0]) || !is_digit(line[1]) ||
	    !is_digit(line[2]) || line[0] < '2' || line[0] > '5' ||
	    line[1] > '5' || (len > 3 && line[3] != ' ' && line[3] != '-')) {
		snprintf(why, whylen, "malformed reply line");
		return -1;
	}
	code = (line[0] - '0') * 100 + (line[1] - '0') * 10 + (line[2] - '0');
	if (r->nlines > 0 && code != r->code) {
		snprintf(why, whylen, "reply code changed within a reply");
		return -1;
	}
	if (++r->nlines > REPLY_LINES_MAX) {
		snprintf(why, whylen, "reply longer than %d lines",
		    REPLY_LINES_MAX);
		return -1;
	}
	r->code = code;
	last = len == 3 || line[3] == ' ';
	tlen = len > 4 ? len - 4 : 0;
	if (r->nlines == 1)
		parse_enhanced(r, line + 4, tlen);
	/* Keep what fits; the rest of a long reply is not worth memory. */
	if (r->textlen > 0 && r->textlen + 1 < sizeof(r->text))
		r->text[r->textlen++] = '\n';
	if (tlen > sizeof(r->text) - 1 - r->textlen)
		tlen = sizeof(r->text) - 1 - r->textlen;
	memcpy(r->text + r->textlen, len > 4 ? line + 4 : line, tlen);
	r->textlen += tlen;
	r->text[r->textlen] = '\0';
	if (last)
		r->complete = 1;
	return last;
}

void
reply_summary(const struct reply *r, char *out, size_t outlen)
{
	char	first[512];
	size_t	flen;

	/* The relay may have sent NUL bytes: they are escaped, not an end. */
	flen = memchr(r->text, '\n', r->textlen) ?
	    (size_t)((char *)memchr(r->text, '\n', r->textlen) - r->text) :
	    r->textlen;
	escape_text(first, sizeof(first), r->text, flen);
	snprintf(out, outlen, "%d %s", r->code, first);
}
