/*
 * util - small helpers every relayq program shares: aborting allocators,
 * complete reads and writes, durable file steps, bounded formatting and
 * the escaping of untrusted text before it reaches a log or a terminal.
 *
 * Functions that can fail return -1 with errno set, unless they say
 * otherwise.  Nothing here exits except the x* allocators, which abort on
 * memory exhaustion because no caller could do anything better.
 */
#ifndef RELAYQ_UTIL_H
#define RELAYQ_UTIL_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

void	*xmalloc(size_t);
void	*xcalloc(size_t, size_t);
void	*xrealloc(void *, size_t);
char	*xstrdup(const char *);
char	*xstrndup(const char *, size_t);

/* write_all - write the whole buffer, retrying on EINTR and short writes. */
int	 write_all(int fd, const void *buf, size_t len);
/* pread_all - read exactly len bytes at off; -1 with errno EIO on EOF. */
int	 pread_all(int fd, void *buf, size_t len, off_t off);
/* fsync_dir_at - fsync the directory dirfd refers to. */
int	 fsync_dir(int dirfd);

/* fmt - snprintf that reports truncation as failure (-1). */
int	 fmt(char *buf, size_t len, const char *fmt, ...)
	    __attribute__((format(printf, 3, 4)));

/* escape_text - copy at most max bytes of untrusted text into out,
 * replacing control bytes and invalid bytes with \xNN; out is always
 * NUL-terminated. */
void	 escape_text(char *out, size_t outlen, const char *in, size_t inlen);
/* escape_controls - the same for the C0 control bytes and DEL of a
 * string only, for text that may already hold escapes (a log line). */
void	 escape_controls(char *out, size_t outlen, const char *in);

/* parse_u64 - strict decimal number with no sign, no spaces, <= max. */
int	 parse_u64(const char *s, uint64_t max, uint64_t *out);

/* random_bytes - fill buf from the kernel's CSPRNG. */
int	 random_bytes(void *buf, size_t len);

/* complain - the administrator's commands' one line on stderr,
 * "relayq: ...", after what stdout holds so far. */
void	 complain(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* wipe - clear a secret so the compiler cannot elide it. */
void	 wipe(void *buf, size_t len);

/* now_ms - CLOCK_MONOTONIC in milliseconds, for deadlines. */
int64_t	 now_ms(void);



/* base64_encode - RFC 4648 with padding into out (NUL-terminated);
 * returns the length, or -1 if outlen is too small. */
int	 base64_encode(const void *in, size_t len, char *out, size_t outlen);
#endif
