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

/*
 * Where one mailbox of an address-list was written, as byte offsets into
 * the VALUE given to address_list_parse_spans, so that a caller can
 * rewrite addresses in a header field and keep every other byte (display
 * names, comments, folding) as it was.
 *
 * mailbox: the whole mailbox, display name, <angle-addr> and any comment
 *   before or after it, up to but not including the ',' or ';' (or the
 *   end of VALUE) that ends it; whitespace and line breaks at either end
 *   left out.  A group's name, its ':' and its ';' are in no span.
 * spec: the addr-spec as written, from the first byte of its first token
 *   to the last byte of its last one: inside the <> of an angle-addr with
 *   any obsolete route ("@r1,@r2:") left out, or the bare addr-spec
 *   without the comments and whitespace around it.  Comments and folds
 *   inside the addr-spec ("u(c)@x.org", "a@[1.2\r\n .3.4]") are inside
 *   the span, and replacing the span replaces them too.
 * angle: 1 when the addr-spec was written in <...>, else 0.
 *
 * Always mailbox_len > 0, spec_len > 0 and mailbox_start <= spec_start,
 * spec_start + spec_len <= mailbox_start + mailbox_len <= LEN.  Mailboxes
 * come in order and their spans never overlap.  Either substring, parsed
 * on its own by address_list_parse, gives back the same single address.
 */
struct address_span {
	size_t	mailbox_start, mailbox_len;
	size_t	spec_start, spec_len;
	int	angle;
};

/*
 * address_list_parse_spans - address_list_parse, with the callback also
 * given SPAN: where the mailbox and its addr-spec are in VALUE (valid only
 * for the duration of the call).  Everything else is as for
 * address_list_parse, which is built on it: the same mailboxes in the
 * same canonical form, the whole of VALUE checked before the first call,
 * the callback's non-zero value returned as is, -1 and WHY on a syntax
 * error.  A "<>" names no mailbox and gets no call, so no span either.
 */
int	address_list_parse_spans(const char *value, size_t len,
	    int (*cb)(const char *addr, const struct address_span *span,
	    void *arg), void *arg, char *why, size_t whylen);

#endif /* RELAYQ_ADDRESS_H */
