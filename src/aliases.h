/*
 * aliases - parse an aliases(5) file and expand local names through it
 *
 * relayq is a null client: nothing is delivered on this host.  An alias
 * only rewrites a local name into the addresses its mail is relayed to.
 *
 * The format, as sendmail, Postfix and dma accept it:
 *
 *	# a comment: the first non-blank byte of the line is '#'
 *	postmaster:	root
 *	root:		admin@example.org, "Jo Bloggs" <jo@example.org>,
 *			ops			(a continuation line)
 *	"john smith":	jsmith
 *	staff:		:include:/etc/mail/staff.list
 *
 * What this module promises:
 *  - Names (left of the first ':' outside double quotes) are unqualified
 *    local parts, quoted or not, checked with address_check.  They are
 *    ASCII case-insensitive: Root and root are one alias, and a quoted
 *    name is the same alias as its unquoted form ("bob" and bob).
 *  - A line starting with space or TAB continues the previous entry;
 *    blank lines and comment lines are skipped and neither end nor start
 *    an entry.  CRLF line ends are accepted.  A '#' later in a line is
 *    not a comment.
 *  - Targets are separated by commas and by the line breaks of
 *    continuation lines.  Each is one of:
 *	user@domain, Name <user@domain>, user (comment)
 *		an address; passed on as its bare addr-spec, with quotes
 *		that quote nothing dropped ("bob"@x is bob@x); a qualified
 *		address is never looked up as an alias, whatever its domain;
 *	user, "john smith"
 *		an unqualified name: another alias if one has that name,
 *		else a local address passed on unqualified (the caller
 *		qualifies it);
 *	\user	a local address never looked up as an alias;
 *	:include:/absolute/path
 *		a file holding more targets, comma or newline separated,
 *		with the same comment rules (no names, no continuations);
 *	|command, /file
 *		deliveries a null client cannot make: reported at load time
 *		and refused at expansion time, never silently dropped.
 *    Any of these may be written inside double quotes, as in
 *    "|/usr/bin/prog arg" or ":include:/path with spaces".  Empty elements
 *    ("a,,b") are skipped; a ':' outside quotes, brackets or comments
 *    (an RFC 5322 group, sendmail's "error:") makes a target unusable.
 *  - Self-reference: a target naming the alias it is written under, on
 *    that alias's own line ("root: root, admin@x"), is the local address
 *    itself and is not expanded again, as sendmail does.  Written as
 *    \root it means the same anywhere.  A name that leads back to an
 *    alias already being expanded in any other way (a: b, b: a, or an
 *    include file naming the alias that includes it: write \name there)
 *    is a loop.
 *  - Duplicate names: the first entry counts; each later one is reported
 *    and ignored (Postfix does the same).
 *  - An entry that is broken (unusable target, |command or /file target,
 *    unreadable include, no targets at all, a line too long or holding a
 *    NUL byte) is kept, so that expanding it fails loudly rather than
 *    letting its mail go to the bare name.  A line whose name cannot be
 *    found (no ':', bad name) is reported and dropped.
 *  - Include files are read while loading, each path once however often
 *    it is named, nested at most ALIASES_INCLUDE_DEPTH files deep.  The
 *    path must be absolute and name a regular file.  Nothing checks who
 *    owns it: the caller decides whether to load aliases at all.
 *  - Bounded: logical lines (continuations included) of ALIASES_LINE_MAX
 *    bytes, ALIASES_ENTRIES_MAX entries, ALIASES_INPUT_MAX bytes read over
 *    the file and all its includes (past the last two, the rest is
 *    reported once and ignored); expansion follows at most
 *    ALIASES_EXPAND_DEPTH aliases and ALIASES_INCLUDE_DEPTH includes deep
 *    and yields at most ALIASES_EXPAND_MAX addresses.  Loops are found
 *    at load time (reported) and at expansion time (refused).
 *  - Problem reports and WHY strings never hold raw input bytes: anything
 *    but printable ASCII is shown as \xNN, and long text is cut.
 *  - A loaded struct aliases is never modified, so lookups may run from
 *    several threads at once.
 */
#ifndef RELAYQ_ALIASES_H
#define RELAYQ_ALIASES_H

#include <stddef.h>

/* longest logical line, continuation lines included */
#define ALIASES_LINE_MAX	65536
/* most alias entries in one file */
#define ALIASES_ENTRIES_MAX	100000
/* most bytes read over the aliases file and all its include files */
#define ALIASES_INPUT_MAX	(64 * 1024 * 1024)
/* deepest nesting of include files, at load and at expansion */
#define ALIASES_INCLUDE_DEPTH	8
/* deepest chain of aliases followed by one expansion */
#define ALIASES_EXPAND_DEPTH	16
/* most addresses one expansion yields (a queue file takes 10000) */
#define ALIASES_EXPAND_MAX	10000

struct aliases;

/*
 * aliases_load - read and parse the aliases file PATH and the include
 * files it names.  Each problem (syntax error, unusable or unsupported
 * target, duplicate name, unreadable include, loop, limit reached) is
 * reported once through REPORT(ARG, "FILE:LINE: what is wrong") and
 * counted in *NPROBLEMS (which is set, not added to); REPORT and
 * NPROBLEMS may be NULL.  Problems never make loading fail.
 *
 * Returns NULL with errno set only when PATH itself cannot be read: it
 * cannot be opened (ENOENT is the caller's business: a missing
 * /etc/aliases is normal), is a directory (EISDIR) or not a regular file
 * (EINVAL), or a read fails.  REPORT is not called for those.
 */
struct aliases	*aliases_load(const char *path,
		    void (*report)(void *arg, const char *msg), void *arg,
		    int *nproblems);

/*
 * aliases_expand - the final addresses for the local NAME: an unqualified
 * local part as a recipient gives it ("root", "Root", "\"john smith\"").
 * Aliases are followed depth-first, targets in file order; each address
 * is passed once (the first time it is met; the local part compares
 * exactly, the domain case-insensitively) to CB(addr, ARG) as an
 * addr-spec, qualified or not.
 *
 * Returns 1 when NAME is an alias and expanded to at least one address,
 * all of them passed to CB.  Returns 0, calling nothing and leaving WHY
 * empty, when NAME is not an alias (a qualified NAME never is, and a NULL
 * struct aliases, for a missing file, has none).  Returns -1 with a reason in
 * WHY (NUL-terminated, cut to fit, when WHYLEN is not 0) when the
 * expansion meets a |command or /file target, an unusable target, an
 * unreadable include, a loop, a limit, or yields no address; the whole
 * expansion is done before CB is first called, so on these errors CB is
 * never called.  If CB returns non-zero the remaining addresses are not
 * passed and -1 is returned.
 */
int		 aliases_expand(const struct aliases *, const char *name,
		    int (*cb)(const char *addr, void *arg), void *arg,
		    char *why, size_t whylen);

/* aliases_count - how many aliases (entries, not include files) loaded. */
size_t		 aliases_count(const struct aliases *);

/* aliases_free - release everything aliases_load made; NULL is fine. */
void		 aliases_free(struct aliases *);

#endif /* RELAYQ_ALIASES_H */
