/*
 * header - scanning an RFC 5322 header section held in memory.
 *
 * Pure functions over bytes: no allocation, no I/O.  Line ends may be LF
 * or CRLF; a field runs from its name to the end of its last folded line.
 */
#ifndef RELAYQ_HEADER_H
#define RELAYQ_HEADER_H

#include <stddef.h>

struct header_field {
	const char	*start;		/* first byte of the field */
	size_t		 len;		/* through its final line end */
	const char	*name;
	size_t		 namelen;
	const char	*value;		/* after the colon, folding kept */
	size_t		 valuelen;	/* without the final line end */
};

/* header_is_field_start - does this line begin a field ("Name:")? */
int	header_is_field_start(const char *line, size_t len);
/* header_is_continuation - does this line continue a field (SP or TAB)? */
int	header_is_continuation(const char *line, size_t len);
/* header_next - the field at *pos in buf[0..len) (buf may be NULL when len
 * is 0), advancing *pos; 0 at the end, 1 with *f filled. */
int	header_next(const char *buf, size_t len, size_t *pos,
	    struct header_field *f);
/* header_name_is - case-insensitive comparison with name. */
int	header_name_is(const struct header_field *f, const char *name);

#endif
