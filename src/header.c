/*
 * header - RFC 5322 header field scanning; see header.h.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <string.h>
#include <strings.h>

#include "header.h"

int
header_is_field_start(const char *line, size_t len)
{
	size_t	i;

	/* field-name = 1*ftext, ftext = %d33-57 / %d59-126; whitespace
	 * before the colon is obsolete syntax that real mail still has. */
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)line[i];

		if (c == ':')
			break;
		if (c < 33 || c > 126)
			break;
	}
	if (i == 0 || i == len)
		return 0;
	while (i < len && (line[i] == ' ' || line[i] == '\t'))
		i++;
	return i < len && line[i] == ':';
}

int
header_is_continuation(const char *line, size_t len)
{
	return len > 0 && (line[0] == ' ' || line[0] == '\t');
}

int
header_next(const char *buf, size_t len, size_t *pos, struct header_field *f)
{
	const char	*p, *end, *nl, *colon;

	/* An empty header may come as NULL: no arithmetic on it. */
	if (*pos >= len)
		return 0;
	p = buf + *pos;
	end = buf + len;
	f->start = p;
	f->name = p;
	colon = memchr(p, ':', (size_t)(end - p));
	nl = memchr(p, '\n', (size_t)(end - p));
	if (colon == NULL || (nl != NULL && colon > nl) ||
	    !header_is_field_start(p, (size_t)((nl ? nl + 1 : end) - p))) {
		/* Not a field: hand the line back as a nameless one. */
		f->namelen = 0;
		f->value = p;
	} else {
		f->namelen = (size_t)(colon - p);
		while (f->namelen > 0 && (p[f->namelen - 1] == ' ' ||
		    p[f->namelen - 1] == '\t'))
			f->namelen--;
		f->value = colon + 1;
	}
	/* Extend over continuation lines. */
	for (;;) {
		nl = memchr(p, '\n', (size_t)(end - p));
		if (nl == NULL) {
			p = end;
			break;
		}
		p = nl + 1;
		if (p >= end || (*p != ' ' && *p != '\t'))
			break;
	}
	f->len = (size_t)(p - f->start);
	f->valuelen = (size_t)(p - f->value);
	if (f->valuelen > 0 && f->value[f->valuelen - 1] == '\n')
		f->valuelen--;
	if (f->valuelen > 0 && f->value[f->valuelen - 1] == '\r')
		f->valuelen--;
	*pos = (size_t)(p - buf);
	return 1;
}

int
header_name_is(const struct header_field *f, const char *name)
{
	return f->namelen == strlen(name) &&
	    strncasecmp(f->name, name, f->namelen) == 0;
}
