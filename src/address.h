/*
 * address.h - envelope address checks and RFC 5322 address-list parsing
 *
 * What this module promises:
 *  - Pure: no I/O, no global or static mutable state, no heap allocation,
 *    no locale dependence (character classes are plain ASCII ranges, so the
 *    result never depends on LC_CTYPE).  Safe to call from any thread.
 *  - All input is treated as hostile: every scan is bounded by a NUL or by
 *    an explicit length, nothing is read past it, there is no recursion,
 *    and nested comments are limited to ADDRESS_COMMENT_DEPTH levels.
 *  - Errors: functions return -1 and, when WHY is not NULL and WHYLEN is
 *    not 0, write one NUL-terminated human-readable reason into it (cut to
 *    fit).  Bytes from the input are never copied raw into WHY: anything
 *    that is not printable ASCII is shown as hex, so reasons are safe to log.
 */
#ifndef RELAYQ_ADDRESS_H
#define RELAYQ_ADDRESS_H

#include <stddef.h>

/* longest addr-spec we accept (RFC 5321 4.5.3.1.3 path 256 minus <>) */
#define ADDRESS_MAX		254
/* RFC 5321 4.5.3.1.1 / 4.5.3.1.2 */
#define ADDRESS_LOCAL_MAX	64
#define ADDRESS_LABEL_MAX	63
/* deepest nesting of RFC 5322 comments we follow before refusing */
#define ADDRESS_COMMENT_DEPTH	32

/*
 * address_check - is ADDR (NUL-terminated, no angle brackets) acceptable as
 * an SMTP envelope address?  Accepts "local@domain" and an unqualified
 * "local" (no '@', to be qualified later).  Returns 0 if acceptable, else
 * -1 with a reason in WHY.
 *
 * Refuses: empty; longer than ADDRESS_MAX; any byte < 0x21 or 0x7f outside
 * a quoted local part; a leading '-'; more than one unquoted '@'; empty
 * local part or domain; local part over 64 bytes; domain labels empty, over
 * 63 bytes, or starting/ending with '-'; domain bytes other than letters,
 * digits, '-', '.' and UTF-8, except a whole-domain literal "[a.b.c.d]" or
 * "[IPv6:...]".  The local part is a dot-atom (RFC 5322 atext, no leading,
 * trailing or double dot) or a quoted string covering the whole local part
 * (backslash quoting allowed; space and TAB allowed; NUL, CR, LF, other
 * control bytes and DEL refused, quoted-pair included; "" refused as
 * empty).  Bytes >= 0x80 are accepted (RFC 6531) only as well-formed UTF-8
 * (no overlongs, surrogates or code points past U+10FFFF).  IPv4 literals
 * take four decimal octets 0-255 without leading zeros; IPv6 literals
 * follow RFC 4291 text form, with an optional trailing dotted quad.
 */
int	address_check(const char *addr, char *why, size_t whylen);

/*
 * address_is_qualified - true (1) when ADDR has an '@' outside a quoted
 * local part, else 0 (also for NULL).  Does not validate ADDR.
 */
int	address_is_qualified(const char *addr);

/*
 * address_qualify - write ADDR@DOMAIN into OUT when ADDR is unqualified,
 * else a copy of ADDR.  Returns 0, or -1 (OUT set to "" when OUTLEN > 0)
 * when ADDR is NULL or empty, DOMAIN is NULL or empty while needed, or the
 * result does not fit OUTLEN or would exceed ADDRESS_MAX.  Neither ADDR nor
 * DOMAIN is validated: run address_check on the result.  OUT may be ADDR
 * (it is then cleared on failure too); it must not overlap DOMAIN.
 */
int	address_qualify(const char *addr, const char *domain, char *out,
	    size_t outlen, char *why, size_t whylen);

/*
 * address_list_parse - extract every mailbox from an RFC 5322 address-list
 * (the value of To/Cc/Bcc/Resent-To/...), given as VALUE/LEN: not
 * NUL-terminated, may be folded (CRLF or LF then SP/TAB) and may hold 8-bit
 * bytes.  A NUL byte anywhere in VALUE is a syntax error.
 *
 * Understands bare addr-specs, display names (atoms, quoted strings,
 * encoded words, left alone) before an <angle-addr>, comments anywhere
 * (nested up to ADDRESS_COMMENT_DEPTH, with quoted-pairs), groups
 * "Name: a@b, c@d;" including empty ones, obsolete routes
 * "<@r1,@r2:u@d>" (route dropped), empty list elements "a@b,,c@d" and
 * "<>" (ignored).  A group left open at the end of VALUE is closed
 * silently, as real-world "undisclosed-recipients:" lacks the ';'.
 *
 * Each mailbox is passed to CB(addr, arg), in order, as a NUL-terminated
 * addr-spec in canonical form: comments, folding and whitespace between
 * tokens removed; local part as written (quoted only if it was, quoted
 * pairs kept, folding inside quotes unfolded); domain as written (domain
 * literal with whitespace removed).  An addr-spec with no '@' is passed
 * unqualified.  Addresses are not checked with address_check.
 *
 * The whole of VALUE is parsed before CB is first called, so on a syntax
 * error CB is never called.  If CB returns non-zero, parsing stops and that
 * value is returned as is.  Returns 0 when the list parsed (even if it
 * held no mailbox), -1 with a reason in WHY on a syntax error (unterminated
 * quoted string, comment, domain literal or angle-addr; an addr-spec
 * longer than ADDRESS_MAX; words not forming an addr-spec with no '<'
 * following, e.g. "a b c"; stray specials; nested groups; ...).
 * Uses a fixed ADDRESS_MAX + 1 byte buffer on the stack; no allocation.
 */
int	address_list_parse(const char *value, size_t len,
	    int (*cb)(const char *addr, void *arg), void *arg,
	    char *why, size_t whylen);

#endif /* RELAYQ_ADDRESS_H */
