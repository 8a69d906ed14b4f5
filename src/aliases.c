/*
 * aliases - parse aliases(5) files and expand local names; see aliases.h
 * for the format and what the module promises.
 *
 * Loading builds one array of nodes, each an alias (a name and its target
 * list) or an include file (a path and its target list), and an open
 * addressing hash table that finds either by key.  Unqualified targets
 * are tied to alias nodes only once the whole file is read, since a name
 * may be used above the line defining it.  A depth-first search over the
 * nodes then reports loops.  Expansion walks the same graph with a mark
 * per node, so a node is expanded once per call however many paths lead
 * to it: a diamond of aliases costs no more than a list.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "address.h"
#include "aliases.h"
#include "util.h"

#if defined(__GNUC__) || defined(__clang__)
#define ALIASES_PRINTF(f, a)	__attribute__((format(printf, f, a)))
#else
#define ALIASES_PRINTF(f, a)
#endif

#ifndef PATH_MAX
#define PATH_MAX	4096
#endif

#define NONE		((size_t)-1)
#define STRINGIFY_(x)	#x
#define STRINGIFY(x)	STRINGIFY_(x)
/* input bytes quoted in a report or reason; the rest is cut */
#define SHOW_MAX	64
#define SHOW_BUF	(4 * SHOW_MAX + 4)
#define READ_CHUNK	16384

enum tkind {
	T_ADDR,			/* qualified address: passed on */
	T_NAME,			/* unqualified: an alias, else passed on */
	T_LOCAL,		/* \name: passed on, never an alias */
	T_INCLUDE,		/* :include:/path */
	T_PIPE,			/* |command: refused */
	T_FILE,			/* /file: refused */
	T_BAD			/* unusable; text says why */
};

struct target {
	enum tkind	 kind;
	const char	*text;		/* addr-spec, |command, /file, why */
	size_t		 ref;		/* T_NAME, T_INCLUDE: node or NONE */
};

struct tlist {
	struct target	*v;
	size_t		 n, cap;
};

struct node {
	const char	*key;		/* lowercased unquoted name, or path */
	int		 include;	/* an include file, not an alias */
	int		 ok;		/* include: read to the end */
	struct target	*t;
	size_t		 nt;
	const char	*file;		/* where defined, or first named */
	unsigned long	 line;
};

/*
 * Keys, target texts and target arrays live in chunks freed together:
 * a file of 10,000 aliases would otherwise cost some 50,000 mallocs.
 */
struct chunk {
	struct chunk	*next;
	size_t		 used, size;
	struct target	 data[];	/* for its alignment */
};

struct aliases {
	char		*path;
	struct chunk	*pool;
	struct node	*nodes;
	size_t		 nnodes, capnodes;
	size_t		 nalias;
	size_t		*table;		/* node index + 1; 0 is an empty slot */
	size_t		 tcap;		/* 0 or a power of two */
};

struct loader {
	struct aliases	*a;
	void		(*report)(void *, const char *);
	void		*arg;
	int		 nproblems;
	size_t		 input;		/* bytes read over all files */
	int		 full;		/* a limit was reached: read no more */
	int		 depth;		/* include files being read */
	struct tlist	 scratch;	/* lists being built, innermost last */
};

struct reader {
	int		 fd;
	const char	*path;
	unsigned long	 lineno;
	size_t		 pos, len;
	char		 buf[READ_CHUNK];
};

struct line {
	char		*p;
	size_t		 len, cap;
	int		 toolong;
	int		 nul;
};

struct expansion {
	const struct aliases	*a;
	unsigned char		*mark;	/* per node: 0 new, 1 open, 2 done */
	size_t			 path[ALIASES_EXPAND_DEPTH +
				    ALIASES_INCLUDE_DEPTH + 1];
	size_t			 npath;
	int			 nalias, ninclude;
	const char		**out;
	size_t			 nout, capout;
	size_t			*set;	/* out index + 1; 0 is empty */
	size_t			 setcap;
	char			*why;
	size_t			 whylen;
};

static void	problem(struct loader *, const char *, unsigned long,
		    const char *, ...) ALIASES_PRINTF(4, 5);
static int	xpfail(struct expansion *, const char *, ...)
		    ALIASES_PRINTF(2, 3);
static size_t	load_include(struct loader *, const char *, unsigned long,
		    const char *, size_t, char *, size_t);

/* ---- small helpers ---- */

static int
is_blank(int c)
{
	return c == ' ' || c == '\t';
}

static unsigned char
to_lower(unsigned char c)
{
	return (c >= 'A' && c <= 'Z') ? (unsigned char)(c - 'A' + 'a') : c;
}

/*
 * Escaped and cut copy of untrusted text for a report or a reason: input
 * bytes reach logs and terminals only through escape_text.
 */
static const char *
show(char *buf, size_t buflen, const char *s, size_t len)
{
	size_t	n;

	if (len <= SHOW_MAX) {
		escape_text(buf, buflen, s, len);
		return buf;
	}
	escape_text(buf, buflen - 3, s, SHOW_MAX);
	n = strlen(buf);
	memcpy(buf + n, "...", 4);
	return buf;
}

static void
problem(struct loader *ld, const char *file, unsigned long line,
    const char *f, ...)
{
	char	 msg[1024], where[512];
	va_list	 ap;
	int	 n;

	ld->nproblems++;
	if (ld->report == NULL)
		return;
	escape_text(where, sizeof(where), file, strlen(file));
	n = snprintf(msg, sizeof(msg), "%s:%lu: ", where, line);
	if (n < 0 || (size_t)n >= sizeof(msg))
		n = 0;
	va_start(ap, f);
	(void)vsnprintf(msg + n, sizeof(msg) - (size_t)n, f, ap);
	va_end(ap);
	ld->report(ld->arg, msg);
}

/*
 * The lookup key of a local part: quotes and quoted-pair backslashes
 * removed, ASCII letters lowercased, so that Root, root and "root" are
 * one name.  OUT has room for strlen(s) + 1 bytes.
 */
static void
make_key(const char *s, char *out)
{
	size_t	o = 0;

	if (*s == '"') {
		for (s++; *s != '\0' && *s != '"'; s++) {
			if (*s == '\\' && s[1] != '\0')
				s++;
			out[o++] = (char)to_lower((unsigned char)*s);
		}
	} else {
		for (; *s != '\0'; s++)
			out[o++] = (char)to_lower((unsigned char)*s);
	}
	out[o] = '\0';
}

static int
has_include_prefix(const char *s, size_t len)
{
	static const char	pfx[] = ":include:";
	size_t			i;

	if (len < sizeof(pfx) - 1)
		return 0;
	for (i = 0; i < sizeof(pfx) - 1; i++)
		if (to_lower((unsigned char)s[i]) != pfx[i])
			return 0;
	return 1;
}

static void
trim(const char **p, size_t *len)
{
	while (*len > 0 && (is_blank(**p) || **p == '\n')) {
		(*p)++;
		(*len)--;
	}
	while (*len > 0 && (is_blank((*p)[*len - 1]) || (*p)[*len - 1] == '\n'))
		(*len)--;
}

/* ---- nodes and the hash table ---- */

static uint64_t
hash_key(const char *s, int include)
{
	uint64_t	h = 0xcbf29ce484222325ULL;	/* FNV-1a */

	for (; *s != '\0'; s++) {
		h ^= (unsigned char)*s;
		h *= 0x100000001b3ULL;
	}
	h ^= (uint64_t)include;
	h *= 0x100000001b3ULL;
	return h ^ (h >> 29);
}

static size_t
find_node(const struct aliases *a, const char *key, int include)
{
	size_t		 mask, h, v;
	struct node	*nd;

	if (a->tcap == 0)
		return NONE;
	mask = a->tcap - 1;
	for (h = (size_t)hash_key(key, include) & mask;
	    (v = a->table[h]) != 0; h = (h + 1) & mask) {
		nd = &a->nodes[v - 1];
		if (nd->include == include && strcmp(nd->key, key) == 0)
			return v - 1;
	}
	return NONE;
}

static void
table_put(size_t *table, size_t tcap, const struct node *nd, size_t idx)
{
	size_t	h, mask = tcap - 1;

	for (h = (size_t)hash_key(nd->key, nd->include) & mask;
	    table[h] != 0; h = (h + 1) & mask)
		;
	table[h] = idx + 1;
}

/* Append a node for KEY (pool memory); the caller knows it is new. */
static size_t
add_node(struct aliases *a, const char *key, int include, const char *file,
    unsigned long line)
{
	struct node	*nd;
	size_t		*table, tcap, i;

	if (a->nnodes == a->capnodes) {
		a->capnodes = a->capnodes ? a->capnodes * 2 : 64;
		a->nodes = xrealloc(a->nodes, a->capnodes * sizeof(*a->nodes));
	}
	nd = &a->nodes[a->nnodes];
	memset(nd, 0, sizeof(*nd));
	nd->key = key;
	nd->include = include;
	nd->file = file;
	nd->line = line;
	/* Keep the table at most half full so probe runs stay short. */
	if ((a->nnodes + 1) * 2 > a->tcap) {
		tcap = a->tcap ? a->tcap * 2 : 128;
		table = xcalloc(tcap, sizeof(*table));
		for (i = 0; i < a->nnodes; i++)
			table_put(table, tcap, &a->nodes[i], i);
		free(a->table);
		a->table = table;
		a->tcap = tcap;
	}
	table_put(a->table, a->tcap, nd, a->nnodes);
	return a->nnodes++;
}

#define CHUNK_SIZE	65536

static void *
pool_alloc(struct aliases *a, size_t len)
{
	struct chunk	*c = a->pool;
	size_t		 align = _Alignof(struct target);

	len = (len + align - 1) / align * align;
	if (len > CHUNK_SIZE / 4) {
		/* A chunk of its own, behind the one still being filled. */
		c = xmalloc(sizeof(*c) + len);
		c->size = c->used = len;
		if (a->pool == NULL) {
			c->next = NULL;
			a->pool = c;
		} else {
			c->next = a->pool->next;
			a->pool->next = c;
		}
		return c->data;
	}
	if (c == NULL || c->size - c->used < len) {
		c = xmalloc(sizeof(*c) + CHUNK_SIZE);
		c->size = CHUNK_SIZE;
		c->used = 0;
		c->next = a->pool;
		a->pool = c;
	}
	c->used += len;
	return (char *)c->data + c->used - len;
}

static char *
pool_strndup(struct aliases *a, const char *s, size_t len)
{
	char	*p = pool_alloc(a, len + 1);

	memcpy(p, s, len);
	p[len] = '\0';
	return p;
}

/* Add a target to the list being built, which the scratch list ends. */
static void
target_add(struct loader *ld, enum tkind kind, const char *text,
    size_t len, size_t ref)
{
	struct tlist	*l = &ld->scratch;

	if (l->n == l->cap) {
		l->cap = l->cap ? l->cap * 2 : 64;
		l->v = xrealloc(l->v, l->cap * sizeof(*l->v));
	}
	l->v[l->n].kind = kind;
	l->v[l->n].text = pool_strndup(ld->a, text, len);
	l->v[l->n].ref = ref;
	l->n++;
}

/* Move the scratch targets from BASE on into node IDX. */
static void
list_finish(struct loader *ld, size_t base, size_t idx)
{
	struct node	*nd = &ld->a->nodes[idx];
	size_t		 n = ld->scratch.n - base;

	nd->nt = n;
	nd->t = n == 0 ? NULL : pool_alloc(ld->a, n * sizeof(*nd->t));
	if (n > 0)
		memcpy(nd->t, ld->scratch.v + base, n * sizeof(*nd->t));
	ld->scratch.n = base;
}

/* ---- reading lines ---- */

/*
 * Open PATH for reading if it is a regular file.  O_NONBLOCK keeps a FIFO
 * from hanging the open; it means nothing for the regular files we keep.
 */
static int
open_regular(const char *path)
{
	struct stat	sb;
	int		fd, saved;

	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd == -1)
		return -1;
	if (fstat(fd, &sb) == -1) {
		saved = errno;
		(void)close(fd);
		errno = saved;
		return -1;
	}
	if (!S_ISREG(sb.st_mode)) {
		(void)close(fd);
		errno = S_ISDIR(sb.st_mode) ? EISDIR : EINVAL;
		return -1;
	}
	return fd;
}

static void
line_add(struct line *l, const char *p, size_t len)
{
	size_t	need;

	if (l->toolong)
		return;
	if (len > ALIASES_LINE_MAX - l->len) {
		/* Keep the start: the alias name can still be reported. */
		len = ALIASES_LINE_MAX - l->len;
		l->toolong = 1;
	}
	if (memchr(p, '\0', len) != NULL)
		l->nul = 1;
	need = l->len + len + 1;
	if (need > l->cap) {
		l->cap = l->cap ? l->cap : 256;
		while (l->cap < need)
			l->cap *= 2;
		l->p = xrealloc(l->p, l->cap);
	}
	memcpy(l->p + l->len, p, len);
	l->len += len;
	l->p[l->len] = '\0';
}

static void
line_reset(struct line *l)
{
	l->len = 0;
	l->toolong = l->nul = 0;
	if (l->p != NULL)
		l->p[0] = '\0';
}

/*
 * Refill the reader.  Returns bytes read, 0 at end of file, -1 on a read
 * error (errno set) and -2 once ALIASES_INPUT_MAX bytes have been read.
 */
static ssize_t
fill(struct loader *ld, struct reader *rd)
{
	ssize_t	n;

	if (ld->full)
		return -2;
	do
		n = read(rd->fd, rd->buf, sizeof(rd->buf));
	while (n == -1 && errno == EINTR);
	if (n <= 0)
		return n;
	if ((size_t)n > ALIASES_INPUT_MAX - ld->input) {
		problem(ld, rd->path, rd->lineno + 1,
		    "more than %d bytes read from the aliases file and its "
		    "includes: the rest is ignored", ALIASES_INPUT_MAX);
		ld->full = 1;
		return -2;
	}
	ld->input += (size_t)n;
	rd->pos = 0;
	rd->len = (size_t)n;
	return n;
}

/*
 * Read one physical line into L, without its LF or CRLF; the part past
 * ALIASES_LINE_MAX is read and dropped (L->toolong).  Returns 1 for a
 * line, 0 at end of file, -1 on a read error, -2 at the input limit.
 */
static int
read_line(struct loader *ld, struct reader *rd, struct line *l)
{
	const char	*nl;
	size_t		 n;
	ssize_t		 r;
	int		 any = 0;

	line_reset(l);
	for (;;) {
		if (rd->pos == rd->len) {
			if ((r = fill(ld, rd)) < 0)
				return (int)r;
			if (r == 0)
				break;
		}
		any = 1;
		n = rd->len - rd->pos;
		nl = memchr(rd->buf + rd->pos, '\n', n);
		if (nl != NULL)
			n = (size_t)(nl - (rd->buf + rd->pos));
		line_add(l, rd->buf + rd->pos, n);
		rd->pos += n;
		if (nl != NULL) {
			rd->pos++;
			break;
		}
	}
	if (!any)
		return 0;
	rd->lineno++;
	if (!l->toolong && l->len > 0 && l->p[l->len - 1] == '\r')
		l->p[--l->len] = '\0';
	return 1;
}

/* Blank lines and comment lines: skipped wherever they are. */
static int
skippable(const struct line *l)
{
	size_t	i;

	for (i = 0; i < l->len && is_blank(l->p[i]); i++)
		;
	return i == l->len || l->p[i] == '#';
}

static const char *
broken_why(const struct line *l)
{
	return l->nul ? "NUL byte in the line" :
	    "line longer than " STRINGIFY(ALIASES_LINE_MAX) " bytes";
}

/* ---- targets ---- */

/*
 * "alias 'x': " before a problem with a target of alias OWNER, nothing
 * in an include file (the file name already says where).  Made only when
 * there is something to report.
 */
static const char *
owner_text(const char *owner, char *buf, size_t buflen)
{
	char	s[SHOW_BUF];

	if (owner == NULL)
		return "";
	(void)snprintf(buf, buflen, "alias '%s': ",
	    show(s, sizeof(s), owner, strlen(owner)));
	return buf;
}

/*
 * Report an unusable target and add it, so that expanding its alias
 * fails instead of quietly skipping a recipient.
 */
static void
add_bad(struct loader *ld, const char *file, unsigned long line,
    const char *owner, const char *p, size_t len, const char *why)
{
	char	s[SHOW_BUF], o[SHOW_BUF + 16], text[SHOW_BUF + 256];
	int	n;

	show(s, sizeof(s), p, len);
	n = snprintf(text, sizeof(text), "'%s': %s", s, why);
	if (n < 0 || (size_t)n >= sizeof(text))
		n = (int)strlen(text);
	problem(ld, file, line, "%sunusable target %s",
	    owner_text(owner, o, sizeof(o)), text);
	target_add(ld, T_BAD, text, (size_t)n, NONE);
}

/* |command, /file or :include:path, quoted or not. */
static void
add_special(struct loader *ld, const char *file, unsigned long line,
    const char *owner, const char *p, size_t len)
{
	char		 s[SHOW_BUF], o[SHOW_BUF + 16], why[256];
	const char	*q;
	size_t		 n, ref;

	if (p[0] == '|' || p[0] == '/') {
		problem(ld, file, line, "%s%s target '%s' is not supported: "
		    "relayq delivers nothing locally",
		    owner_text(owner, o, sizeof(o)),
		    p[0] == '|' ? "|command" : "/file",
		    show(s, sizeof(s), p, len));
		target_add(ld, p[0] == '|' ? T_PIPE : T_FILE, p, len, NONE);
		return;
	}
	q = p + 9;		/* past ":include:" */
	n = len - 9;
	trim(&q, &n);
	if (memchr(q, '\0', n) != NULL)
		(void)snprintf(why, sizeof(why), "NUL byte in the path");
	else if (n == 0 || q[0] != '/')
		(void)snprintf(why, sizeof(why), "include path not absolute");
	else if (n >= PATH_MAX)
		(void)snprintf(why, sizeof(why), "include path too long");
	else if ((ref = load_include(ld, file, line, q, n, why,
	    sizeof(why))) != NONE) {
		target_add(ld, T_INCLUDE, q, n, ref);
		return;
	}
	add_bad(ld, file, line, owner, p, len, why);
}

/*
 * Only atext, '.', '@' and 8-bit bytes: address_list_parse would give
 * the text back unchanged, so address_check alone decides.  Nearly every
 * target is one of these, and the full parse is the cost of loading.
 */
static int
plain(const char *p, size_t len)
{
	size_t		i;
	unsigned char	c;

	for (i = 0; i < len; i++) {
		c = (unsigned char)p[i];
		if (c <= 0x20 || c == 0x7f)
			return 0;
		switch (c) {
		case '"': case '(': case ')': case ',': case ':': case ';':
		case '<': case '>': case '[': case '\\': case ']':
			return 0;
		}
	}
	return 1;
}

/*
 * Drop quotes that quote nothing: "bob"@example.org and bob@example.org
 * are one mailbox (RFC 5322 3.4.1), so they must be one address when
 * duplicates are dropped.  ADDR has passed address_check.
 */
static void
drop_quotes(char *addr)
{
	char	copy[ADDRESS_MAX + 1];
	size_t	end, i;

	if (addr[0] != '"')
		return;
	for (end = 1; addr[end] != '"'; end++)
		if (addr[end] == '\\' || addr[end] == '\0')
			return;
	if (end == 1 || !plain(addr + 1, end - 1) ||
	    memchr(addr + 1, '@', end - 1) != NULL)
		return;
	for (i = 1; i < end - 1; i++)
		if (addr[i] == '.' && addr[i + 1] == '.')
			return;
	if (addr[1] == '.' || addr[end - 1] == '.')
		return;
	memcpy(copy, addr + 1, end - 1);
	(void)snprintf(copy + end - 1, sizeof(copy) - (end - 1), "%s",
	    addr + end + 1);
	if (address_check(copy, NULL, 0) == 0)
		memcpy(addr, copy, strlen(copy) + 1);
}

struct one_addr {
	char	addr[ADDRESS_MAX + 1];
	int	n;
};

static int
one_addr_cb(const char *addr, void *arg)
{
	struct one_addr	*o = arg;
	size_t		 len;

	if (o->n++ == 0 && (len = strlen(addr)) <= ADDRESS_MAX)
		memcpy(o->addr, addr, len + 1);
	return 0;
}

/*
 * Unquote a target that is one whole quoted string: the content, with
 * quoted-pairs resolved, in a new string.  NULL when it is not one.
 */
static char *
unquote_whole(const char *p, size_t len)
{
	char	*out;
	size_t	 i, o = 0;

	if (len < 2 || p[0] != '"')
		return NULL;
	out = xmalloc(len);
	for (i = 1; i < len; i++) {
		if (p[i] == '\\' && i + 1 < len)
			i++;
		else if (p[i] == '"')
			break;
		out[o++] = p[i];
	}
	if (i != len - 1) {
		free(out);
		return NULL;
	}
	out[o] = '\0';
	return out;
}

/*
 * One comma-separated element P/LEN of a target list.  COLON says a ':'
 * was seen outside quotes, brackets and comments.
 */
static void
add_target(struct loader *ld, const char *file, unsigned long line,
    const char *owner, const char *p, size_t len, int colon)
{
	struct one_addr	 o;
	char		 why[256], *u;
	int		 local = 0;
	enum tkind	 kind;

	trim(&p, &len);
	if (len == 0)
		return;		/* "a,,b" and trailing commas */
	if (p[0] == '"' && (u = unquote_whole(p, len)) != NULL) {
		if (u[0] == '|' || u[0] == '/' ||
		    has_include_prefix(u, strlen(u))) {
			add_special(ld, file, line, owner, u, strlen(u));
			free(u);
			return;
		}
		free(u);
	} else if (p[0] == '|' || p[0] == '/' || has_include_prefix(p, len)) {
		add_special(ld, file, line, owner, p, len);
		return;
	}
	if (colon) {
		add_bad(ld, file, line, owner, p, len,
		    "':' outside quotes (a group, or sendmail's error:)");
		return;
	}
	if (p[0] == '\\') {
		local = 1;
		p++;
		len--;
	}
	o.n = 0;
	if (plain(p, len)) {
		if (len > ADDRESS_MAX) {
			add_bad(ld, file, line, owner, p, len,
			    "address too long");
			return;
		}
		memcpy(o.addr, p, len);
		o.addr[len] = '\0';
		o.n = len > 0;
	} else if (address_list_parse(p, len, one_addr_cb, &o, why,
	    sizeof(why)) == -1) {
		add_bad(ld, file, line, owner, p, len, why);
		return;
	}
	if (o.n != 1) {
		add_bad(ld, file, line, owner, p, len, o.n == 0 ?
		    "no address" : "more than one address");
		return;
	}
	if (address_check(o.addr, why, sizeof(why)) == -1) {
		add_bad(ld, file, line, owner, p, len, why);
		return;
	}
	drop_quotes(o.addr);
	if (local)
		kind = T_LOCAL;
	else
		kind = address_is_qualified(o.addr) ? T_ADDR : T_NAME;
	target_add(ld, kind, o.addr, strlen(o.addr), NONE);
}

/*
 * Split P/LEN into targets at commas and line breaks that are outside
 * quoted strings, comments, domain literals and (for commas, which old
 * source routes hold) angle brackets.  LINE is the line P starts on.
 */
static void
parse_list(struct loader *ld, const char *file, unsigned long line,
    const char *owner, const char *p, size_t len)
{
	size_t		 i, start = 0;
	unsigned long	 at = line, here = line;
	int		 quote = 0, angle = 0, literal = 0, colon = 0;
	int		 comment = 0;
	char		 c;

	for (i = 0; i < len; i++) {
		c = p[i];
		if (c == '\n')
			here++;
		if (quote || comment || literal) {
			if (c == '\\' && i + 1 < len && p[i + 1] != '\n')
				i++;
			else if (quote && c == '"')
				quote = 0;
			else if (literal && c == ']')
				literal = 0;
			else if (comment && c == '(')
				comment++;
			else if (comment && c == ')')
				comment--;
			continue;
		}
		switch (c) {
		case '"':
			quote = 1;
			break;
		case '(':
			comment = 1;
			break;
		case '[':
			literal = 1;
			break;
		case '<':
			angle = 1;
			break;
		case '>':
			angle = 0;
			break;
		case ':':
			if (!angle)
				colon = 1;
			break;
		case ',':
		case '\n':
			if (c == ',' && angle)
				break;
			add_target(ld, file, at, owner, p + start, i - start,
			    colon);
			start = i + 1;
			at = here;
			angle = colon = 0;
			break;
		}
	}
	add_target(ld, file, at, owner, p + start, len - start, colon);
}

/* ---- files ---- */

/* Read an include file: each line not blank or a comment is a list. */
static int
read_include(struct loader *ld, struct reader *rd)
{
	struct line	l;
	int		r;

	memset(&l, 0, sizeof(l));
	while ((r = read_line(ld, rd, &l)) == 1) {
		if (skippable(&l))
			continue;
		if (l.toolong || l.nul)
			add_bad(ld, rd->path, rd->lineno, NULL, l.p,
			    strnlen(l.p, l.len), broken_why(&l));
		else
			parse_list(ld, rd->path, rd->lineno, NULL, l.p, l.len);
	}
	free(l.p);
	return r;
}

/*
 * The include node for PATH/LEN, read now if it is new.  An unreadable
 * file is reported here once and still gets a node (ok = 0), so that
 * every alias naming it fails at expansion.  NONE, with WHY, when PATH
 * must not be read at all.
 */
static size_t
load_include(struct loader *ld, const char *file, unsigned long line,
    const char *p, size_t len, char *why, size_t whylen)
{
	struct aliases	*a = ld->a;
	struct reader	*rd;
	const char	*path;
	char		 s[512], key[PATH_MAX];
	size_t		 idx, base;
	int		 fd, r;

	memcpy(key, p, len);		/* the caller checked len < PATH_MAX */
	key[len] = '\0';
	if ((idx = find_node(a, key, 1)) != NONE)
		return idx;
	if (ld->depth >= ALIASES_INCLUDE_DEPTH) {
		/* Not remembered: a shallower mention may still read it. */
		(void)snprintf(why, whylen, "include files nested more than "
		    "%d deep", ALIASES_INCLUDE_DEPTH);
		return NONE;
	}
	if (ld->full) {
		(void)snprintf(why, whylen, "not read: limit reached");
		return NONE;
	}
	path = pool_strndup(a, p, len);
	idx = add_node(a, path, 1, file, line);
	if ((fd = open_regular(path)) == -1) {
		escape_text(s, sizeof(s), path, len);
		problem(ld, file, line, "cannot read include file %s: %s", s,
		    strerror(errno));
		return idx;
	}
	rd = xmalloc(sizeof(*rd));
	rd->fd = fd;
	rd->path = path;
	rd->lineno = 0;
	rd->pos = rd->len = 0;
	base = ld->scratch.n;
	ld->depth++;
	r = read_include(ld, rd);
	ld->depth--;
	if (r == -1)
		problem(ld, path, rd->lineno + 1, "read error: %s",
		    strerror(errno));
	(void)close(fd);
	free(rd);
	list_finish(ld, base, idx);
	ld->a->nodes[idx].ok = r == 0;
	return idx;
}

/*
 * The name left of the ':' at P/LEN: a local part, quoted or not.  Its
 * key goes to KEY (ADDRESS_MAX + 1 bytes).
 */
static int
parse_name(const char *p, size_t len, char *key, char *why, size_t whylen)
{
	char	name[ADDRESS_MAX + 1];

	trim(&p, &len);
	if (len == 0) {
		(void)snprintf(why, whylen, "empty alias name");
		return -1;
	}
	if (len > ADDRESS_MAX || memchr(p, '\0', len) != NULL) {
		(void)snprintf(why, whylen, "bad alias name");
		return -1;
	}
	memcpy(name, p, len);
	name[len] = '\0';
	if (address_check(name, why, whylen) == -1)
		return -1;
	if (address_is_qualified(name)) {
		(void)snprintf(why, whylen, "alias name has a domain");
		return -1;
	}
	make_key(name, key);
	return 0;
}

/* One logical line of the aliases file, starting on LINE. */
static void
parse_entry(struct loader *ld, const char *file, unsigned long line,
    const struct line *l)
{
	struct aliases	*a = ld->a;
	char		 key[ADDRESS_MAX + 1], why[256], s[SHOW_BUF];
	const char	*owner;
	size_t		 i, idx, base;
	int		 quote = 0;

	/* The name ends at the first ':' outside quotes, on the first line. */
	for (i = 0; i < l->len; i++) {
		if (quote && l->p[i] == '\\' && i + 1 < l->len)
			i++;
		else if (l->p[i] == '"')
			quote = !quote;
		else if ((l->p[i] == ':' && !quote) || l->p[i] == '\n')
			break;
	}
	if (i == l->len || l->p[i] != ':') {
		if (l->toolong || l->nul)
			problem(ld, file, line, "%s", broken_why(l));
		else
			problem(ld, file, line, "no ':' after the alias "
			    "name in '%s'", show(s, sizeof(s), l->p, l->len));
		return;
	}
	if (parse_name(l->p, i, key, why, sizeof(why)) == -1) {
		problem(ld, file, line, "bad alias name '%s': %s%s%s",
		    show(s, sizeof(s), l->p, i), why,
		    l->toolong || l->nul ? "; " : "",
		    l->toolong || l->nul ? broken_why(l) : "");
		return;
	}
	if ((idx = find_node(a, key, 0)) != NONE) {
		problem(ld, file, line, "duplicate alias '%s' ignored: first "
		    "defined on line %lu", show(s, sizeof(s), key,
		    strlen(key)), a->nodes[idx].line);
		return;
	}
	if (a->nalias == ALIASES_ENTRIES_MAX) {
		problem(ld, file, line, "more than %d aliases: the rest of "
		    "the file is ignored", ALIASES_ENTRIES_MAX);
		ld->full = 1;
		return;
	}
	owner = pool_strndup(a, key, strlen(key));
	idx = add_node(a, owner, 0, file, line);
	a->nalias++;
	base = ld->scratch.n;
	if (l->toolong || l->nul)
		add_bad(ld, file, line, owner, l->p + i + 1,
		    strnlen(l->p + i + 1, l->len - i - 1), broken_why(l));
	else
		parse_list(ld, file, line, owner, l->p + i + 1,
		    l->len - i - 1);
	/* Reading includes may have moved the nodes: list_finish indexes. */
	list_finish(ld, base, idx);
	if (a->nodes[idx].nt == 0)
		problem(ld, file, line, "alias '%s' has no targets",
		    show(s, sizeof(s), key, strlen(key)));
}

/*
 * Read the aliases file: entries and their continuation lines.  Returns
 * 0, or -1 with errno on a read error.
 */
static int
read_aliases(struct loader *ld, struct reader *rd)
{
	struct line	 phys, entry;
	unsigned long	 at = 0;
	int		 r = 0, have = 0;

	memset(&phys, 0, sizeof(phys));
	memset(&entry, 0, sizeof(entry));
	while (!ld->full && (r = read_line(ld, rd, &phys)) == 1) {
		if (skippable(&phys))
			continue;
		if (is_blank(phys.p[0])) {
			if (!have) {
				problem(ld, rd->path, rd->lineno,
				    "continuation line with no alias above it");
				continue;
			}
			line_add(&entry, "\n", 1);
			line_add(&entry, phys.p, phys.len);
			entry.toolong |= phys.toolong;
			entry.nul |= phys.nul;
			continue;
		}
		if (have)
			parse_entry(ld, rd->path, at, &entry);
		line_reset(&entry);
		line_add(&entry, phys.p, phys.len);
		entry.toolong |= phys.toolong;
		entry.nul |= phys.nul;
		at = rd->lineno;
		have = 1;
	}
	/*
	 * At the end of the file the last entry is whole.  At the input limit
	 * (reported) it is whole only if the cut line was seen to start a new
	 * entry; the cut line itself is never parsed.
	 */
	if (have && (r == 0 || (r == -2 && phys.len > 0 &&
	    !is_blank(phys.p[0]))))
		parse_entry(ld, rd->path, at, &entry);
	free(phys.p);
	free(entry.p);
	return r == -1 ? -1 : 0;
}

/* Tie every unqualified target to the alias of that name, if any. */
static void
resolve(struct aliases *a)
{
	char		 key[ADDRESS_MAX + 1];
	struct target	*t;
	size_t		 i, j;

	for (i = 0; i < a->nnodes; i++)
		for (j = 0; j < a->nodes[i].nt; j++) {
			t = &a->nodes[i].t[j];
			if (t->kind != T_NAME)
				continue;
			make_key(t->text, key);
			t->ref = find_node(a, key, 0);
		}
}

/*
 * The node target T of node FROM leads to, or NONE.  A name on an
 * alias's own line naming that alias is the local address, not an edge.
 */
static size_t
edge(const struct aliases *a, size_t from, const struct target *t)
{
	if (t->ref == NONE)
		return NONE;
	if (t->kind == T_NAME && (t->ref != from || a->nodes[from].include))
		return t->ref;
	if (t->kind == T_INCLUDE && a->nodes[t->ref].ok)
		return t->ref;
	return NONE;
}

/* A node's name in a report: the alias name, or :include:path. */
static size_t
describe(const struct aliases *a, size_t idx, char *buf, size_t buflen)
{
	const struct node	*nd = &a->nodes[idx];
	char			 s[SHOW_BUF];
	int			 n;

	n = snprintf(buf, buflen, "%s%s", nd->include ? ":include:" : "",
	    show(s, sizeof(s), nd->key, strlen(nd->key)));
	if (n < 0) {
		buf[0] = '\0';
		return 0;
	}
	return (size_t)n < buflen ? (size_t)n : buflen - 1;
}

/*
 * "a -> b -> a" for the cycle PATH[0..N-1] back to PATH[0], cut with
 * " ..." when it does not fit BUFLEN.
 */
static void
cycle_text(const struct aliases *a, const size_t *path, size_t n, char *buf,
    size_t buflen)
{
	char	one[SHOW_BUF + 16];
	size_t	i, len = 0, k;

	buf[0] = '\0';
	for (i = 0; i <= n; i++) {
		k = describe(a, path[i == n ? 0 : i], one, sizeof(one));
		if (len + 4 + k + 5 > buflen) {
			memcpy(buf + len, " ...", 5);
			return;
		}
		if (i > 0) {
			memcpy(buf + len, " -> ", 4);
			len += 4;
		}
		memcpy(buf + len, one, k + 1);
		len += k;
	}
}

/*
 * Report every loop the expansion of some name would meet: an iterative
 * depth-first search (a chain of aliases may be as long as the file),
 * one report per edge back to a node on the search path.  Expansion
 * follows exactly these edges, so it meets a loop only where one was
 * reported here.
 */
static void
find_loops(struct loader *ld)
{
	struct aliases	*a = ld->a;
	unsigned char	*color;
	size_t		*path, *next, *pos, root, sp, top, child;
	const struct node *nd;
	char		 text[600];

	if (a->nnodes == 0)
		return;
	color = xcalloc(a->nnodes, 1);	/* 0 new, 1 on the path, 2 done */
	pos = xcalloc(a->nnodes, sizeof(*pos));
	path = xcalloc(a->nnodes, sizeof(*path));
	next = xcalloc(a->nnodes, sizeof(*next));
	for (root = 0; root < a->nnodes; root++) {
		if (color[root] != 0)
			continue;
		color[root] = 1;
		path[0] = root;
		next[0] = 0;
		sp = 1;
		while (sp > 0) {
			top = path[sp - 1];
			if (next[sp - 1] == a->nodes[top].nt) {
				color[top] = 2;
				sp--;
				continue;
			}
			child = edge(a, top,
			    &a->nodes[top].t[next[sp - 1]++]);
			if (child == NONE || color[child] == 2)
				continue;
			if (color[child] == 0) {
				color[child] = 1;
				pos[child] = sp;
				path[sp] = child;
				next[sp] = 0;
				sp++;
				continue;
			}
			nd = &a->nodes[child];
			cycle_text(a, &path[pos[child]], sp - pos[child], text,
			    sizeof(text));
			problem(ld, nd->file, nd->line, "alias loop: %s", text);
		}
	}
	free(color);
	free(pos);
	free(path);
	free(next);
}

struct aliases *
aliases_load(const char *path, void (*report)(void *, const char *),
    void *arg, int *nproblems)
{
	struct loader	 ld;
	struct reader	*rd;
	struct aliases	*a;
	int		 fd, r, saved;

	if (nproblems != NULL)
		*nproblems = 0;
	if ((fd = open_regular(path)) == -1)
		return NULL;
	a = xcalloc(1, sizeof(*a));
	a->path = xstrdup(path);
	memset(&ld, 0, sizeof(ld));
	ld.a = a;
	ld.report = report;
	ld.arg = arg;
	rd = xmalloc(sizeof(*rd));
	rd->fd = fd;
	rd->path = a->path;
	rd->lineno = 0;
	rd->pos = rd->len = 0;
	r = read_aliases(&ld, rd);
	saved = errno;
	(void)close(fd);
	free(rd);
	free(ld.scratch.v);
	if (r == -1) {
		aliases_free(a);
		errno = saved;
		return NULL;
	}
	resolve(a);
	find_loops(&ld);
	if (nproblems != NULL)
		*nproblems = ld.nproblems;
	return a;
}

size_t
aliases_count(const struct aliases *a)
{
	return a == NULL ? 0 : a->nalias;
}

void
aliases_free(struct aliases *a)
{
	struct chunk	*c;

	if (a == NULL)
		return;
	while ((c = a->pool) != NULL) {
		a->pool = c->next;
		free(c);
	}
	free(a->nodes);
	free(a->table);
	free(a->path);
	free(a);
}

/* ---- expansion ---- */

static int
xpfail(struct expansion *x, const char *f, ...)
{
	va_list	ap;

	if (x->whylen > 0) {
		va_start(ap, f);
		(void)vsnprintf(x->why, x->whylen, f, ap);
		va_end(ap);
	}
	return -1;
}

/* Where the domain of ADDR starts, or its end when unqualified. */
static size_t
domain_at(const char *addr)
{
	const char	*at;

	if (address_is_qualified(addr) && (at = strrchr(addr, '@')) != NULL)
		return (size_t)(at - addr) + 1;
	return strlen(addr);
}

/* Local part exact, domain case-insensitive (RFC 5321 2.4). */
static uint64_t
addr_hash(const char *s)
{
	uint64_t	h = 0xcbf29ce484222325ULL;
	size_t		i, d = domain_at(s);

	for (i = 0; s[i] != '\0'; i++) {
		h ^= i < d ? (unsigned char)s[i] :
		    to_lower((unsigned char)s[i]);
		h *= 0x100000001b3ULL;
	}
	return h ^ (h >> 29);
}

static int
addr_same(const char *s1, const char *s2)
{
	size_t	i, d1 = domain_at(s1), d2 = domain_at(s2);

	if (d1 != d2 || strncmp(s1, s2, d1) != 0)
		return 0;
	for (i = d1; s1[i] != '\0' && s2[i] != '\0'; i++)
		if (to_lower((unsigned char)s1[i]) !=
		    to_lower((unsigned char)s2[i]))
			return 0;
	return s1[i] == s2[i];
}

static void
set_put(size_t *set, size_t cap, const char *addr, size_t idx)
{
	size_t	h, mask = cap - 1;

	for (h = (size_t)addr_hash(addr) & mask; set[h] != 0;
	    h = (h + 1) & mask)
		;
	set[h] = idx + 1;
}

/* Add ADDR to the result unless an equal address is there already. */
static int
emit(struct expansion *x, const char *addr)
{
	size_t	h, mask, v, i, cap;

	if (x->setcap > 0) {
		mask = x->setcap - 1;
		for (h = (size_t)addr_hash(addr) & mask;
		    (v = x->set[h]) != 0; h = (h + 1) & mask)
			if (addr_same(x->out[v - 1], addr))
				return 0;
	}
	if (x->nout == ALIASES_EXPAND_MAX)
		return xpfail(x, "more than %d addresses",
		    ALIASES_EXPAND_MAX);
	if (x->nout == x->capout) {
		x->capout = x->capout ? x->capout * 2 : 16;
		x->out = xrealloc(x->out, x->capout * sizeof(*x->out));
	}
	x->out[x->nout++] = addr;
	if (x->nout * 2 > x->setcap) {
		cap = x->setcap ? x->setcap * 2 : 64;
		free(x->set);
		x->set = xcalloc(cap, sizeof(*x->set));
		x->setcap = cap;
		for (i = 0; i < x->nout; i++)
			set_put(x->set, cap, x->out[i], i);
	} else
		set_put(x->set, x->setcap, addr, x->nout - 1);
	return 0;
}

static int	expand_node(struct expansion *, size_t);

/* Expand node REF met as a target, unless already done; an open one is
 * a loop. */
static int
follow(struct expansion *x, size_t ref)
{
	char	text[600];
	size_t	i;

	if (x->mark[ref] == 2)
		return 0;
	if (x->mark[ref] == 0)
		return expand_node(x, ref);
	for (i = 0; i < x->npath && x->path[i] != ref; i++)
		;
	cycle_text(x->a, &x->path[i], x->npath - i, text, sizeof(text));
	return xpfail(x, "alias loop: %s", text);
}

static int
expand_node(struct expansion *x, size_t idx)
{
	const struct node	*nd = &x->a->nodes[idx];
	const struct target	*t;
	char			 s[SHOW_BUF], who[SHOW_BUF + 32];
	size_t			 i;
	int			 rc = 0;

	show(s, sizeof(s), nd->key, strlen(nd->key));
	(void)snprintf(who, sizeof(who), "%s '%s'",
	    nd->include ? "include file" : "alias", s);
	if (nd->include) {
		if (!nd->ok)
			return xpfail(x, "cannot read %s", who);
		if (x->ninclude == ALIASES_INCLUDE_DEPTH)
			return xpfail(x, "include files nested more than %d "
			    "deep at %s", ALIASES_INCLUDE_DEPTH, who);
		x->ninclude++;
	} else {
		if (x->nalias == ALIASES_EXPAND_DEPTH)
			return xpfail(x, "aliases nested more than %d deep "
			    "at %s", ALIASES_EXPAND_DEPTH, who);
		if (nd->nt == 0)
			return xpfail(x, "%s has no targets", who);
		x->nalias++;
	}
	x->mark[idx] = 1;
	x->path[x->npath++] = idx;
	for (i = 0; i < nd->nt && rc == 0; i++) {
		t = &nd->t[i];
		switch (t->kind) {
		case T_ADDR:
		case T_LOCAL:
			rc = emit(x, t->text);
			break;
		case T_NAME:
			/* Self-reference: the local name itself. */
			if (t->ref == NONE || (t->ref == idx && !nd->include))
				rc = emit(x, t->text);
			else
				rc = follow(x, t->ref);
			break;
		case T_INCLUDE:
			rc = follow(x, t->ref);
			break;
		case T_PIPE:
		case T_FILE:
			rc = xpfail(x, "%s: %s target '%s' is not supported: "
			    "relayq delivers nothing locally", who,
			    t->kind == T_PIPE ? "|command" : "/file",
			    show(s, sizeof(s), t->text, strlen(t->text)));
			break;
		case T_BAD:
			rc = xpfail(x, "%s: unusable target %s", who, t->text);
			break;
		}
	}
	x->npath--;
	x->mark[idx] = 2;
	if (nd->include)
		x->ninclude--;
	else
		x->nalias--;
	return rc;
}

int
aliases_expand(const struct aliases *a, const char *name,
    int (*cb)(const char *, void *), void *arg, char *why, size_t whylen)
{
	struct expansion	 x;
	char			 key[ADDRESS_MAX + 1], who[SHOW_BUF + 16];
	size_t			 idx, i;
	int			 rc;

	if (whylen > 0)
		why[0] = '\0';
	if (a == NULL || name == NULL || address_is_qualified(name) ||
	    strlen(name) > ADDRESS_MAX)
		return 0;
	make_key(name, key);
	if ((idx = find_node(a, key, 0)) == NONE)
		return 0;
	memset(&x, 0, sizeof(x));
	x.a = a;
	x.why = why;
	x.whylen = whylen;
	/* A mark per node costs one byte each; cheaper than a set. */
	x.mark = xcalloc(a->nnodes, 1);
	rc = expand_node(&x, idx);
	if (rc == 0 && x.nout == 0) {
		rc = xpfail(&x, "alias '%s' expands to no address",
		    show(who, sizeof(who), name, strlen(name)));
	}
	for (i = 0; rc == 0 && i < x.nout; i++)
		if (cb(x.out[i], arg) != 0)
			rc = xpfail(&x, "stopped by the caller at '%s'",
			    show(who, sizeof(who), x.out[i],
			    strlen(x.out[i])));
	free(x.mark);
	free(x.out);
	free(x.set);
	return rc == 0 ? 1 : -1;
}
