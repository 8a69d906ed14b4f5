/*
 * address.c - envelope address checks and RFC 5322 address-list parsing
 *
 * See address.h for what the module promises.  Character classes are
 * written out as ASCII ranges instead of <ctype.h>: in a single-byte
 * locale isalpha() may say yes to bytes >= 0x80, and the verdict on an
 * address must not depend on the caller's LC_CTYPE.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "address.h"

#if defined(__GNUC__) || defined(__clang__)
#define ADDRESS_PRINTF(f, a)	__attribute__((format(printf, f, a)))
#else
#define ADDRESS_PRINTF(f, a)
#endif

enum tok_type {
	TOK_END,
	TOK_ATOM,
	TOK_QSTR,
	TOK_DLIT,
	TOK_SPECIAL
};

struct tok {
	enum tok_type	 type;
	size_t		 start;		/* offset of the first byte */
	size_t		 end;		/* offset just past the last byte */
	int		 c;		/* TOK_SPECIAL: which one */
};

struct lexer {
	const unsigned char	*p;
	size_t			 len;
	size_t			 pos;
	char			*why;
	size_t			 whylen;
};

struct outbuf {
	char	 buf[ADDRESS_MAX + 1];
	size_t	 n;
};

/* the two places an addr-spec can end */
enum spec_ctx {
	CTX_BARE,		/* ends at ',', ';' or end of value */
	CTX_ANGLE		/* ends at '>' */
};

static void	setwhy(char *, size_t, const char *, ...) ADDRESS_PRINTF(3, 4);
static int	lxfail(struct lexer *, const char *, ...) ADDRESS_PRINTF(2, 3);

static void
setwhy(char *why, size_t whylen, const char *fmt, ...)
{
	va_list ap;

	if (why == NULL || whylen == 0)
		return;
	va_start(ap, fmt);
	(void)vsnprintf(why, whylen, fmt, ap);
	va_end(ap);
}

static int
lxfail(struct lexer *lx, const char *fmt, ...)
{
	va_list ap;

	if (lx->why == NULL || lx->whylen == 0)
		return -1;
	va_start(ap, fmt);
	(void)vsnprintf(lx->why, lx->whylen, fmt, ap);
	va_end(ap);
	return -1;
}

static int
is_alpha(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static int
is_digit(unsigned char c)
{
	return c >= '0' && c <= '9';
}

static int
is_hex(unsigned char c)
{
	return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

static int
is_ctl(unsigned char c)
{
	return c < 0x20 || c == 0x7f;
}

/* RFC 5322 3.2.3 atext, ASCII part */
static int
is_atext(unsigned char c)
{
	if (is_alpha(c) || is_digit(c))
		return 1;
	return c != '\0' && strchr("!#$%&'*+-/=?^_`{|}~", c) != NULL;
}

static unsigned char
to_lower(unsigned char c)
{
	return (c >= 'A' && c <= 'Z') ? (unsigned char)(c - 'A' + 'a') : c;
}

/*
 * strlen that gives up after MAX + 1 bytes: an over-long address is
 * refused without walking all of it.  (strnlen is POSIX, not C11.)
 */
static size_t
bounded_len(const char *s, size_t max)
{
	size_t	n = 0;

	while (n <= max && s[n] != '\0')
		n++;
	return n;
}

/*
 * Render one input byte for a reason string.  Raw bytes never go into WHY
 * because reasons end up in logs and on terminals.
 */
static const char *
showbyte(unsigned char c, char *buf, size_t buflen)
{
	if (c > 0x20 && c < 0x7f && c != '\'')
		(void)snprintf(buf, buflen, "'%c'", c);
	else
		(void)snprintf(buf, buflen, "0x%02x", c);
	return buf;
}

/*
 * Length of the well-formed UTF-8 sequence at P (2 to 4), or 0.  Follows
 * the table in RFC 3629 section 4, which rules out overlong forms,
 * surrogates and code points past U+10FFFF.
 */
static size_t
utf8_len(const unsigned char *p, size_t left)
{
	unsigned char	c = p[0], lo = 0x80, hi = 0xbf;
	size_t		n, i;

	if (c >= 0xc2 && c <= 0xdf)
		n = 2;
	else if (c >= 0xe0 && c <= 0xef) {
		n = 3;
		if (c == 0xe0)
			lo = 0xa0;
		else if (c == 0xed)
			hi = 0x9f;
	} else if (c >= 0xf0 && c <= 0xf4) {
		n = 4;
		if (c == 0xf0)
			lo = 0x90;
		else if (c == 0xf4)
			hi = 0x8f;
	} else
		return 0;
	if (left < n || p[1] < lo || p[1] > hi)
		return 0;
	for (i = 2; i < n; i++)
		if ((p[i] & 0xc0) != 0x80)
			return 0;
	return n;
}

/*
 * RFC 5321 4.1.3 IPv4-address-literal.  Leading zeros are refused: some
 * resolvers read "010" as octal, and an address that means two different
 * hosts to two programs is not one we want to relay to.
 */
static int
ipv4_ok(const unsigned char *s, size_t n)
{
	size_t		i = 0, j;
	unsigned int	val;
	int		parts = 0;

	for (;;) {
		val = 0;
		for (j = i; j < n && j - i < 3 && is_digit(s[j]); j++)
			val = val * 10 + (unsigned int)(s[j] - '0');
		if (j == i || (j - i > 1 && s[i] == '0') || val > 255)
			return 0;
		if (j < n && is_digit(s[j]))
			return 0;
		parts++;
		if (j == n)
			break;
		if (s[j] != '.' || parts == 4)
			return 0;
		i = j + 1;
	}
	return parts == 4;
}

/* RFC 4291 2.2 text form, the way RFC 5321 4.1.3 spells it after "IPv6:" */
static int
ipv6_ok(const unsigned char *s, size_t n)
{
	size_t	i = 0, j;
	int	groups = 0, dcolon = 0;

	if (n == 0)
		return 0;
	if (s[0] == ':') {
		if (n < 2 || s[1] != ':')
			return 0;
		dcolon = 1;
		i = 2;
		if (i == n)
			return 1;
	}
	for (;;) {
		/* look one past four digits so that "12345" is caught */
		for (j = i; j < n && j - i < 5 && is_hex(s[j]); j++)
			;
		if (j < n && s[j] == '.') {
			/* an embedded IPv4 address ends the literal */
			if (!ipv4_ok(s + i, n - i))
				return 0;
			groups += 2;
			break;
		}
		if (j == i || j - i > 4)
			return 0;
		groups++;
		i = j;
		if (i == n)
			break;
		if (s[i] != ':' || groups > 8)
			return 0;
		if (++i == n)
			return 0;
		if (s[i] == ':') {
			if (dcolon)
				return 0;
			dcolon = 1;
			if (++i == n)
				break;
		}
	}
	return dcolon ? groups <= 7 : groups == 8;
}

static int
check_literal(const unsigned char *d, size_t n, char *why, size_t whylen)
{
	const unsigned char	*close;
	static const char	 tag[] = "ipv6:";
	size_t			 i, m, taglen = sizeof(tag) - 1;

	close = memchr(d, ']', n);
	if (close == NULL) {
		setwhy(why, whylen, "unterminated domain literal");
		return -1;
	}
	if ((size_t)(close - d) != n - 1) {
		setwhy(why, whylen, "text after domain literal");
		return -1;
	}
	d++;
	m = n - 2;
	if (m > taglen) {
		for (i = 0; i < taglen; i++)
			if (to_lower(d[i]) != (unsigned char)tag[i])
				break;
		if (i == taglen) {
			if (ipv6_ok(d + taglen, m - taglen))
				return 0;
			setwhy(why, whylen, "invalid IPv6 address literal");
			return -1;
		}
	}
	if (ipv4_ok(d, m))
		return 0;
	setwhy(why, whylen, "invalid address literal "
	    "(want [a.b.c.d] or [IPv6:...])");
	return -1;
}

static int
check_domain(const unsigned char *d, size_t n, char *why, size_t whylen)
{
	size_t		i, k, label = 0;
	unsigned char	c;
	char		b[8];

	if (d[0] == '[')
		return check_literal(d, n, why, whylen);
	for (i = 0; i < n; i++) {
		c = d[i];
		if (c == '.') {
			if (label == 0) {
				setwhy(why, whylen, "empty domain label");
				return -1;
			}
			if (d[i - 1] == '-') {
				setwhy(why, whylen,
				    "domain label ends with '-'");
				return -1;
			}
			label = 0;
			continue;
		}
		if (c == '-' && label == 0) {
			setwhy(why, whylen, "domain label begins with '-'");
			return -1;
		}
		if (is_alpha(c) || is_digit(c) || c == '-')
			label++;
		else if (c >= 0x80) {
			if ((k = utf8_len(d + i, n - i)) == 0) {
				setwhy(why, whylen, "invalid UTF-8 in domain");
				return -1;
			}
			label += k;
			i += k - 1;
		} else if (c == '@') {
			setwhy(why, whylen, "more than one '@'");
			return -1;
		} else {
			setwhy(why, whylen, "invalid character %s in domain",
			    showbyte(c, b, sizeof(b)));
			return -1;
		}
		if (label > ADDRESS_LABEL_MAX) {
			setwhy(why, whylen, "domain label longer than %d bytes",
			    ADDRESS_LABEL_MAX);
			return -1;
		}
	}
	if (label == 0) {
		setwhy(why, whylen, "empty domain label");
		return -1;
	}
	if (d[n - 1] == '-') {
		setwhy(why, whylen, "domain label ends with '-'");
		return -1;
	}
	return 0;
}

/* Quoted local part starting at P[0] == '"'; *END is set past the '"'. */
static int
check_quoted(const unsigned char *p, size_t len, size_t *end, char *why,
    size_t whylen)
{
	size_t		i = 1, k;
	unsigned char	c;

	for (;;) {
		if (i >= len) {
			setwhy(why, whylen, "unterminated quoted local part");
			return -1;
		}
		c = p[i];
		if (c == '"')
			break;
		if (c == '\\') {
			if (++i >= len) {
				setwhy(why, whylen,
				    "unterminated quoted local part");
				return -1;
			}
			c = p[i];
		}
		/*
		 * Space and TAB may be quoted; other controls, CR and LF
		 * above all, would let one address become two SMTP lines.
		 */
		if (is_ctl(c) && c != '\t') {
			setwhy(why, whylen, "control character 0x%02x in "
			    "quoted local part", c);
			return -1;
		}
		if (c >= 0x80) {
			if ((k = utf8_len(p + i, len - i)) == 0) {
				setwhy(why, whylen,
				    "invalid UTF-8 in local part");
				return -1;
			}
			i += k;
		} else
			i++;
	}
	*end = i + 1;
	if (*end == 2) {
		setwhy(why, whylen, "empty quoted local part");
		return -1;
	}
	return 0;
}

/* Dot-atom local part; *END is set to the first '@' or to LEN. */
static int
check_dotatom(const unsigned char *p, size_t len, size_t *end, char *why,
    size_t whylen)
{
	size_t		i, k;
	unsigned char	c;
	char		b[8];

	for (i = 0; i < len && p[i] != '@'; i++) {
		c = p[i];
		if (c == '.') {
			if (i == 0 || p[i - 1] == '.' || i + 1 == len ||
			    p[i + 1] == '@') {
				setwhy(why, whylen, "local part has a leading, "
				    "trailing or double dot");
				return -1;
			}
		} else if (c >= 0x80) {
			if ((k = utf8_len(p + i, len - i)) == 0) {
				setwhy(why, whylen,
				    "invalid UTF-8 in local part");
				return -1;
			}
			i += k - 1;
		} else if (!is_atext(c)) {
			setwhy(why, whylen, "invalid character %s in local "
			    "part", showbyte(c, b, sizeof(b)));
			return -1;
		}
	}
	*end = i;
	if (i == 0) {
		setwhy(why, whylen, "empty local part");
		return -1;
	}
	return 0;
}

int
address_check(const char *addr, char *why, size_t whylen)
{
	const unsigned char	*p = (const unsigned char *)addr;
	size_t			 len, i, local;

	if (addr == NULL) {
		setwhy(why, whylen, "no address");
		return -1;
	}
	len = bounded_len(addr, ADDRESS_MAX);
	if (len == 0) {
		setwhy(why, whylen, "empty address");
		return -1;
	}
	if (len > ADDRESS_MAX) {
		setwhy(why, whylen, "address longer than %d bytes",
		    ADDRESS_MAX);
		return -1;
	}
	/* would be taken for an option by whatever we hand it to next */
	if (p[0] == '-') {
		setwhy(why, whylen, "address begins with '-'");
		return -1;
	}
	local = 0;
	if (p[0] == '"') {
		if (check_quoted(p, len, &local, why, whylen) == -1)
			return -1;
	}
	/* one sweep gives the same reason for a control byte anywhere */
	for (i = local; i < len; i++) {
		if (p[i] <= 0x20 || p[i] == 0x7f) {
			setwhy(why, whylen, "control character or space "
			    "0x%02x at offset %zu", p[i], i);
			return -1;
		}
	}
	if (p[0] == '"') {
		if (local < len && p[local] != '@') {
			setwhy(why, whylen, "text after quoted local part");
			return -1;
		}
	} else if (check_dotatom(p, len, &local, why, whylen) == -1)
		return -1;
	if (local > ADDRESS_LOCAL_MAX) {
		setwhy(why, whylen, "local part longer than %d bytes",
		    ADDRESS_LOCAL_MAX);
		return -1;
	}
	if (local == len)
		return 0;
	if (local + 1 == len) {
		setwhy(why, whylen, "empty domain");
		return -1;
	}
	return check_domain(p + local + 1, len - local - 1, why, whylen);
}

int
address_is_qualified(const char *addr)
{
	const char	*p = addr;

	if (p == NULL)
		return 0;
	if (*p == '"') {
		for (p++; *p != '\0' && *p != '"'; p++)
			if (*p == '\\' && p[1] != '\0')
				p++;
		if (*p == '\0')
			return 0;
		p++;
	}
	return strchr(p, '@') != NULL;
}

int
address_qualify(const char *addr, const char *domain, char *out,
    size_t outlen, char *why, size_t whylen)
{
	size_t	alen, dlen;

	if (addr == NULL || out == NULL || outlen == 0) {
		setwhy(why, whylen, "no address or no output buffer");
		goto fail;
	}
	alen = bounded_len(addr, ADDRESS_MAX);
	if (alen == 0) {
		setwhy(why, whylen, "empty address");
		goto fail;
	}
	if (alen > ADDRESS_MAX) {
		setwhy(why, whylen, "address longer than %d bytes",
		    ADDRESS_MAX);
		goto fail;
	}
	if (address_is_qualified(addr)) {
		if (alen >= outlen) {
			setwhy(why, whylen, "output buffer too small");
			goto fail;
		}
		/* memmove: OUT may be ADDR */
		memmove(out, addr, alen + 1);
		return 0;
	}
	if (domain == NULL || domain[0] == '\0') {
		setwhy(why, whylen, "no domain to qualify the address with");
		goto fail;
	}
	dlen = bounded_len(domain, ADDRESS_MAX);
	if (alen + 1 + dlen > ADDRESS_MAX) {
		setwhy(why, whylen, "qualified address longer than %d bytes",
		    ADDRESS_MAX);
		goto fail;
	}
	if (alen + 1 + dlen >= outlen) {
		setwhy(why, whylen, "output buffer too small");
		goto fail;
	}
	memmove(out, addr, alen);
	out[alen] = '@';
	memcpy(out + alen + 1, domain, dlen);
	out[alen + 1 + dlen] = '\0';
	return 0;
fail:
	/* never leave a half-built address for a careless caller */
	if (out != NULL && outlen > 0)
		out[0] = '\0';
	return -1;
}

/* ---- address-list lexer ---- */

/*
 * Bytes of line break to drop if a fold (CRLF or LF, then SP or TAB)
 * starts at POS, else 0.
 */
static size_t
fold_at(const struct lexer *lx, size_t pos)
{
	size_t	i = pos;

	if (i < lx->len && lx->p[i] == '\r')
		i++;
	if (i >= lx->len || lx->p[i] != '\n')
		return 0;
	i++;
	if (i >= lx->len || (lx->p[i] != ' ' && lx->p[i] != '\t'))
		return 0;
	return i - pos;
}

/*
 * Skip whitespace, line breaks and comments.  Comments nest; we count
 * instead of recursing, and stop counting at ADDRESS_COMMENT_DEPTH so a
 * header cannot make us track arbitrary state.
 */
static int
skip_cfws(struct lexer *lx)
{
	size_t		open = 0;
	int		depth = 0;
	unsigned char	c;

	while (lx->pos < lx->len) {
		c = lx->p[lx->pos];
		if (depth == 0) {
			if (c == ' ' || c == '\t' || c == '\r' || c == '\n') {
				lx->pos++;
				continue;
			}
			if (c != '(')
				break;
			open = lx->pos++;
			depth = 1;
			continue;
		}
		if (c == '\0')
			return lxfail(lx, "NUL byte at offset %zu", lx->pos);
		if (c == '\\') {
			if (++lx->pos >= lx->len)
				break;
			if (lx->p[lx->pos] == '\0')
				return lxfail(lx, "NUL byte at offset %zu",
				    lx->pos);
		} else if (c == '(') {
			if (depth == ADDRESS_COMMENT_DEPTH)
				return lxfail(lx, "comments nested deeper "
				    "than %d at offset %zu",
				    ADDRESS_COMMENT_DEPTH, lx->pos);
			depth++;
		} else if (c == ')')
			depth--;
		lx->pos++;
	}
	if (depth > 0)
		return lxfail(lx, "unterminated comment at offset %zu", open);
	return 0;
}

/*
 * The body of a quoted string or domain literal from just past its
 * opening byte to just past CLOSE.  Folds inside are kept for the copy
 * to drop; a line break that is not a fold, or a quoted one, is refused
 * because it cannot be unfolded into anything meaningful.
 */
static int
scan_delimited(struct lexer *lx, unsigned char close, const char *what)
{
	size_t		start = lx->pos - 1, k;
	unsigned char	c;

	for (;;) {
		if (lx->pos >= lx->len)
			return lxfail(lx, "unterminated %s at offset %zu",
			    what, start);
		c = lx->p[lx->pos];
		if (c == close) {
			lx->pos++;
			return 0;
		}
		if (c == '\0')
			return lxfail(lx, "NUL byte at offset %zu", lx->pos);
		if (close == ']' && c == '[')
			return lxfail(lx, "'[' inside domain literal at "
			    "offset %zu", lx->pos);
		if (c == '\\') {
			if (++lx->pos >= lx->len)
				continue;
			c = lx->p[lx->pos];
			if (c == '\0')
				return lxfail(lx, "NUL byte at offset %zu",
				    lx->pos);
			if (c == '\r' || c == '\n')
				return lxfail(lx, "quoted line break in %s at "
				    "offset %zu", what, lx->pos);
			lx->pos++;
			continue;
		}
		if (c == '\r' || c == '\n') {
			if ((k = fold_at(lx, lx->pos)) == 0)
				return lxfail(lx, "line break in %s at offset "
				    "%zu", what, lx->pos);
			lx->pos += k;
			continue;
		}
		lx->pos++;
	}
}

static int
next_token(struct lexer *lx, struct tok *t)
{
	unsigned char	c;

	t->type = TOK_END;
	t->c = 0;
	if (skip_cfws(lx) == -1)
		return -1;
	t->start = t->end = lx->pos;
	if (lx->pos >= lx->len)
		return 0;
	c = lx->p[lx->pos];
	if (c == '"') {
		lx->pos++;
		if (scan_delimited(lx, '"', "quoted string") == -1)
			return -1;
		t->type = TOK_QSTR;
	} else if (c == '[') {
		lx->pos++;
		if (scan_delimited(lx, ']', "domain literal") == -1)
			return -1;
		t->type = TOK_DLIT;
	} else if (is_atext(c) || c >= 0x80) {
		/* 8-bit bytes: RFC 6532 UTF-8 in names and addresses */
		while (lx->pos < lx->len && (is_atext(lx->p[lx->pos]) ||
		    lx->p[lx->pos] >= 0x80))
			lx->pos++;
		t->type = TOK_ATOM;
	} else if (c != '\0' && strchr("<>@,:;.", c) != NULL) {
		lx->pos++;
		t->type = TOK_SPECIAL;
		t->c = c;
	} else if (c == '\0')
		return lxfail(lx, "NUL byte at offset %zu", lx->pos);
	else if (is_ctl(c))
		return lxfail(lx, "control character 0x%02x at offset %zu",
		    c, lx->pos);
	else
		return lxfail(lx, "unexpected '%c' at offset %zu", c,
		    lx->pos);
	t->end = lx->pos;
	return 0;
}

static int
is_sp(const struct tok *t, int c)
{
	return t->type == TOK_SPECIAL && t->c == c;
}

static int
is_word(const struct tok *t)
{
	return t->type == TOK_ATOM || t->type == TOK_QSTR;
}

/* Append token T to OB in canonical form: folds and literal spaces go. */
static int
out_tok(struct lexer *lx, struct outbuf *ob, const struct tok *t)
{
	size_t		i;
	unsigned char	c;

	for (i = t->start; i < t->end; i++) {
		c = lx->p[i];
		if (t->type != TOK_ATOM && t->type != TOK_SPECIAL) {
			if (c == '\\' && i + 1 < t->end) {
				if (ob->n + 2 > ADDRESS_MAX)
					goto toolong;
				ob->buf[ob->n++] = (char)c;
				ob->buf[ob->n++] = (char)lx->p[++i];
				continue;
			}
			if (c == '\r' || c == '\n')
				continue;
			if (t->type == TOK_DLIT && (c == ' ' || c == '\t'))
				continue;
		}
		if (ob->n + 1 > ADDRESS_MAX)
			goto toolong;
		ob->buf[ob->n++] = (char)c;
	}
	ob->buf[ob->n] = '\0';
	return 0;
toolong:
	return lxfail(lx, "address longer than %d bytes at offset %zu",
	    ADDRESS_MAX, t->start);
}

/*
 * Read an addr-spec (local-part ["@" domain], the obsolete forms with
 * CFWS around dots included) into OB, and the token that ends it into
 * *END.  In CTX_ANGLE that must be '>'; LT is where the '<' was.
 * *SPEC_S / *SPEC_E are set to where the first token of the addr-spec
 * starts and where its last one ends: the addr-spec as written, comments
 * and folds inside it included, CFWS around it left out.
 */
static int
parse_spec(struct lexer *lx, struct outbuf *ob, enum spec_ctx ctx,
    size_t lt, struct tok *end, size_t *spec_s, size_t *spec_e)
{
	struct tok	t;
	int		prev_word = 0, seen_at = 0, dlit = 0, ntok = 0;
	size_t		nlocal = 0, ndomain = 0;

	ob->n = 0;
	ob->buf[0] = '\0';
	*spec_s = *spec_e = lx->pos;
	for (;;) {
		if (next_token(lx, &t) == -1)
			return -1;
		if (t.type == TOK_END) {
			if (ctx == CTX_ANGLE)
				return lxfail(lx, "unterminated '<' at offset "
				    "%zu", lt);
			break;
		}
		if (ctx == CTX_ANGLE && is_sp(&t, '>'))
			break;
		if (ctx == CTX_BARE && (is_sp(&t, ',') || is_sp(&t, ';')))
			break;
		if (is_word(&t) || t.type == TOK_DLIT) {
			/* two words in a row are a phrase, not an address */
			if (prev_word)
				return lxfail(lx, ctx == CTX_BARE ?
				    "display name without <address> at "
				    "offset %zu" :
				    "unexpected word in <...> at offset %zu",
				    t.start);
			if (dlit)
				return lxfail(lx, "text after domain literal "
				    "at offset %zu", t.start);
			if (t.type == TOK_DLIT && !seen_at)
				return lxfail(lx, "domain literal in local "
				    "part at offset %zu", t.start);
			if (t.type == TOK_DLIT && ndomain > 0)
				return lxfail(lx, "domain literal must be the "
				    "whole domain at offset %zu", t.start);
			if (t.type == TOK_QSTR && seen_at)
				return lxfail(lx, "quoted string in domain at "
				    "offset %zu", t.start);
			if (t.type == TOK_DLIT)
				dlit = 1;
			prev_word = 1;
		} else if (is_sp(&t, '.')) {
			if (dlit)
				return lxfail(lx, "text after domain literal "
				    "at offset %zu", t.start);
			prev_word = 0;
		} else if (is_sp(&t, '@')) {
			if (seen_at)
				return lxfail(lx, "more than one '@' at "
				    "offset %zu", t.start);
			if (nlocal == 0)
				return lxfail(lx, "missing local part at "
				    "offset %zu", t.start);
			seen_at = 1;
			prev_word = 0;
		} else
			return lxfail(lx, "unexpected '%c' at offset %zu%s",
			    t.c, t.start, ctx == CTX_ANGLE ?
			    " inside <...>" : "");
		if (out_tok(lx, ob, &t) == -1)
			return -1;
		if (ntok++ == 0)
			*spec_s = t.start;
		*spec_e = t.end;
		if (seen_at && !is_sp(&t, '@'))
			ndomain++;
		else if (!seen_at)
			nlocal++;
	}
	if (seen_at && ndomain == 0)
		return lxfail(lx, "missing domain after '@' at offset %zu",
		    t.start);
	*end = t;
	return 0;
}

/*
 * Obsolete source route after "<@": domain *("," ["@" domain]) ":".
 * Only checked for shape; RFC 5321 C says to ignore it.
 */
static int
skip_route(struct lexer *lx)
{
	struct tok	t;
	int		need_domain = 1, parts = 0, prev_atom = 0, dlit = 0;

	for (;;) {
		if (next_token(lx, &t) == -1)
			return -1;
		if (need_domain) {
			if (t.type == TOK_DLIT && parts == 0) {
				dlit = 1;
				parts++;
				continue;
			}
			if (!dlit && t.type == TOK_ATOM && !prev_atom) {
				prev_atom = 1;
				parts++;
				continue;
			}
			if (!dlit && is_sp(&t, '.')) {
				prev_atom = 0;
				parts++;
				continue;
			}
			if (parts == 0)
				return lxfail(lx, "bad route in <...> at "
				    "offset %zu", t.start);
			need_domain = 0;
		}
		if (is_sp(&t, ':'))
			return 0;
		if (is_sp(&t, ','))
			continue;
		if (is_sp(&t, '@')) {
			need_domain = 1;
			parts = prev_atom = dlit = 0;
			continue;
		}
		if (t.type == TOK_END)
			return lxfail(lx, "unterminated route in <...> at "
			    "offset %zu", t.start);
		return lxfail(lx, "bad route in <...> at offset %zu",
		    t.start);
	}
}

/*
 * Just past '<': read the angle-addr.  1 with an address in OB and its
 * addr-spec, route left out, at *SPEC_S to *SPEC_E; 0 for "<>", which
 * names no recipient.
 */
static int
parse_angle(struct lexer *lx, struct outbuf *ob, size_t lt, size_t *spec_s,
    size_t *spec_e)
{
	struct tok	t;
	size_t		save = lx->pos;

	if (next_token(lx, &t) == -1)
		return -1;
	if (is_sp(&t, '>'))
		return 0;
	if (is_sp(&t, '@')) {
		if (skip_route(lx) == -1)
			return -1;
		save = lx->pos;
		if (next_token(lx, &t) == -1)
			return -1;
		if (is_sp(&t, '>'))
			return lxfail(lx, "empty address after route at "
			    "offset %zu", t.start);
	}
	lx->pos = save;
	if (parse_spec(lx, ob, CTX_ANGLE, lt, &t, spec_s, spec_e) == -1)
		return -1;
	return 1;
}

enum elem_kind {
	ELEM_BARE,
	ELEM_ANGLE,
	ELEM_GROUP
};

/*
 * Look ahead to tell "addr-spec", "phrase <addr>" and "phrase:" apart:
 * the first '<', ':', ',', ';' or end decides.  Leaves the position
 * just past the deciding token.
 */
static int
classify(struct lexer *lx, enum elem_kind *kind, struct tok *stop)
{
	struct tok	t;
	int		words = 0, odd = 0;

	*kind = ELEM_BARE;
	for (;;) {
		if (next_token(lx, &t) == -1)
			return -1;
		if (is_word(&t))
			words++;
		else if (t.type == TOK_DLIT || is_sp(&t, '@'))
			odd = 1;
		else if (is_sp(&t, '<')) {
			/* display name is discarded, so anything goes */
			*kind = ELEM_ANGLE;
			break;
		} else if (is_sp(&t, ':')) {
			if (words == 0 || odd)
				return lxfail(lx, "bad group name before ':' "
				    "at offset %zu", t.start);
			*kind = ELEM_GROUP;
			break;
		} else if (t.type == TOK_END || is_sp(&t, ',') ||
		    is_sp(&t, ';')) {
			*kind = ELEM_BARE;
			break;
		} else if (is_sp(&t, '>'))
			return lxfail(lx, "'>' without '<' at offset %zu",
			    t.start);
	}
	*stop = t;
	return 0;
}

/*
 * After a mailbox or group, T is the next token.  1: another element
 * follows; 0: end of list.
 */
static int
finish_elem(struct lexer *lx, struct tok *t, int *in_group)
{
	if (t->type == TOK_END)
		return 0;
	if (is_sp(t, ','))
		return 1;
	if (is_sp(t, ';')) {
		if (!*in_group)
			return lxfail(lx, "';' outside a group at offset %zu",
			    t->start);
		*in_group = 0;
		if (next_token(lx, t) == -1)
			return -1;
		if (t->type == TOK_END)
			return 0;
		if (is_sp(t, ','))
			return 1;
		return lxfail(lx, "expected ',' after group at offset %zu",
		    t->start);
	}
	if (t->type == TOK_SPECIAL)
		return lxfail(lx, "unexpected '%c' after address at offset "
		    "%zu", t->c, t->start);
	return lxfail(lx, "unexpected text after address at offset %zu",
	    t->start);
}

static int
is_wsp(unsigned char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/*
 * Offsets of a list element that holds a mailbox: START is where the
 * element's text begins (just past the ',' or ':' before it), END where
 * the token that ends it starts (',', ';' or the end of VALUE).  Only
 * CFWS lies between them and the mailbox's first and last tokens, so
 * trimming whitespace leaves a comment in and stops at the first token.
 */
static void
make_span(const struct lexer *lx, size_t start, size_t end, size_t spec_s,
    size_t spec_e, int angle, struct address_span *sp)
{
	while (start < end && is_wsp(lx->p[start]))
		start++;
	while (end > start && is_wsp(lx->p[end - 1]))
		end--;
	sp->mailbox_start = start;
	sp->mailbox_len = end - start;
	sp->spec_start = spec_s;
	sp->spec_len = spec_e - spec_s;
	sp->angle = angle;
}

static int
parse_list(struct lexer *lx, int (*cb)(const char *,
    const struct address_span *, void *), void *arg)
{
	struct outbuf		ob;
	struct address_span	sp;
	struct tok		t;
	enum elem_kind		kind;
	size_t			start, spec_s = 0, spec_e = 0;
	int			in_group = 0, r = 0, angle = 0;

	for (;;) {
		start = lx->pos;
		if (next_token(lx, &t) == -1)
			return -1;
		if (t.type == TOK_END)
			return 0;
		if (is_sp(&t, ','))
			continue;
		if (is_sp(&t, ';')) {
			if ((r = finish_elem(lx, &t, &in_group)) <= 0)
				return r;
			continue;
		}
		lx->pos = start;
		if (classify(lx, &kind, &t) == -1)
			return -1;
		switch (kind) {
		case ELEM_GROUP:
			if (in_group)
				return lxfail(lx, "nested group at offset %zu",
				    t.start);
			in_group = 1;
			continue;
		case ELEM_ANGLE:
			if ((r = parse_angle(lx, &ob, t.start, &spec_s,
			    &spec_e)) == -1)
				return -1;
			if (next_token(lx, &t) == -1)
				return -1;
			angle = 1;
			break;
		case ELEM_BARE:
			lx->pos = start;
			if (parse_spec(lx, &ob, CTX_BARE, 0, &t, &spec_s,
			    &spec_e) == -1)
				return -1;
			r = 1;
			angle = 0;
			break;
		}
		/* the dry run has already seen what follows, so call now */
		if (r == 1 && cb != NULL) {
			make_span(lx, start, t.start, spec_s, spec_e, angle,
			    &sp);
			if ((r = cb(ob.buf, &sp, arg)) != 0)
				return r;
		}
		if ((r = finish_elem(lx, &t, &in_group)) <= 0)
			return r;
	}
}

int
address_list_parse_spans(const char *value, size_t len,
    int (*cb)(const char *addr, const struct address_span *span, void *arg),
    void *arg, char *why, size_t whylen)
{
	struct lexer	lx;
	int		r;

	if (value == NULL && len > 0) {
		setwhy(why, whylen, "no header value");
		return -1;
	}
	lx.p = (const unsigned char *)value;
	lx.len = len;
	lx.pos = 0;
	lx.why = why;
	lx.whylen = whylen;
	/*
	 * A dry run first, so that a syntax error late in the list does
	 * not leave the caller holding half of its recipients.
	 */
	if ((r = parse_list(&lx, NULL, NULL)) != 0)
		return r;
	if (cb == NULL)
		return 0;
	lx.pos = 0;
	return parse_list(&lx, cb, arg);
}

/* address_list_parse's callback, called through the span-reporting core */
struct plain_cb {
	int	(*cb)(const char *, void *);
	void	*arg;
};

static int
plain_cb(const char *addr, const struct address_span *span, void *arg)
{
	const struct plain_cb	*p = arg;

	(void)span;
	return p->cb(addr, p->arg);
}

int
address_list_parse(const char *value, size_t len,
    int (*cb)(const char *addr, void *arg), void *arg, char *why,
    size_t whylen)
{
	struct plain_cb	p;

	if (cb == NULL)
		return address_list_parse_spans(value, len, NULL, NULL, why,
		    whylen);
	p.cb = cb;
	p.arg = arg;
	return address_list_parse_spans(value, len, plain_cb, &p, why,
	    whylen);
}
