/*
 * util - shared helpers; see util.h.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include "util.h"

static void
out_of_memory(void)
{
	static const char msg[] = "relayq: out of memory\n";

	/* Nothing is left to do if even this fails. */
	if (write(STDERR_FILENO, msg, sizeof(msg) - 1) < 0)
		abort();
	abort();
}

void *
xmalloc(size_t len)
{
	void	*p;

	if ((p = malloc(len ? len : 1)) == NULL)
		out_of_memory();
	return p;
}

void *
xcalloc(size_t n, size_t len)
{
	void	*p;

	if ((p = calloc(n ? n : 1, len ? len : 1)) == NULL)
		out_of_memory();
	return p;
}

void *
xrealloc(void *old, size_t len)
{
	void	*p;

	if ((p = realloc(old, len ? len : 1)) == NULL)
		out_of_memory();
	return p;
}

char *
xstrdup(const char *s)
{
	return xstrndup(s, strlen(s));
}

char *
xstrndup(const char *s, size_t len)
{
	char	*p;

	p = xmalloc(len + 1);
	memcpy(p, s, len);
	p[len] = '\0';
	return p;
}

int
write_all(int fd, const void *buf, size_t len)
{
	const char	*p = buf;
	ssize_t		 n;

	while (len > 0) {
		n = write(fd, p, len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

int
pread_all(int fd, void *buf, size_t len, off_t off)
{
	char	*p = buf;
	ssize_t	 n;

	while (len > 0) {
		n = pread(fd, p, len, off);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		if (n == 0) {
			errno = EIO;
			return -1;
		}
		p += n;
		off += n;
		len -= (size_t)n;
	}
	return 0;
}

int
fsync_dir(int dirfd)
{
	/* Some file systems refuse fsync on directories; that is not an
	 * error we can act on, the rename itself succeeded. */
	if (fsync(dirfd) == -1 && errno != EINVAL && errno != EROFS)
		return -1;
	return 0;
}

int
fmt(char *buf, size_t len, const char *f, ...)
{
	va_list	 ap;
	int	 n;

	va_start(ap, f);
	n = vsnprintf(buf, len, f, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= len) {
		if (len > 0)
			buf[0] = '\0';
		errno = ENAMETOOLONG;
		return -1;
	}
	return n;
}

static void
escape_bytes(char *out, size_t outlen, const char *in, size_t inlen,
    int controls_only)
{
	static const char hex[] = "0123456789abcdef";
	size_t	 o = 0, i;
	unsigned char c;

	if (outlen == 0)
		return;
	for (i = 0; i < inlen; i++) {
		c = (unsigned char)in[i];
		if (controls_only ? c >= 0x20 && c != 0x7f :
		    c >= 0x20 && c < 0x7f && c != '\\') {
			if (o + 1 >= outlen)
				break;
			out[o++] = (char)c;
		} else {
			if (o + 4 >= outlen)
				break;
			out[o++] = '\\';
			out[o++] = 'x';
			out[o++] = hex[c >> 4];
			out[o++] = hex[c & 15];
		}
	}
	out[o] = '\0';
}

void
escape_text(char *out, size_t outlen, const char *in, size_t inlen)
{
	escape_bytes(out, outlen, in, inlen, 0);
}

void
escape_controls(char *out, size_t outlen, const char *in)
{
	escape_bytes(out, outlen, in, strlen(in), 1);
}

int
parse_u64(const char *s, uint64_t max, uint64_t *out)
{
	uint64_t v = 0;

	if (*s == '\0')
		return -1;
	for (; *s; s++) {
		if (*s < '0' || *s > '9')
			return -1;
		if (v > (UINT64_MAX - 9) / 10)
			return -1;
		v = v * 10 + (uint64_t)(*s - '0');
	}
	if (v > max)
		return -1;
	*out = v;
	return 0;
}

int
random_bytes(void *buf, size_t len)
{
	char	*p = buf;
	ssize_t	 n;

	while (len > 0) {
		n = getrandom(p, len, 0);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

void
wipe(void *buf, size_t len)
{
#ifdef HAVE_EXPLICIT_BZERO
	explicit_bzero(buf, len);
#else
	volatile unsigned char *p = buf;

	while (len--)
		*p++ = 0;
#endif
}

int64_t
now_ms(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int
base64_encode(const void *in, size_t len, char *out, size_t outlen)
{
	static const char tab[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	const unsigned char *p = in;
	size_t	 o = 0, i;

	if (outlen < (len + 2) / 3 * 4 + 1)
		return -1;
	for (i = 0; i + 2 < len; i += 3) {
		out[o++] = tab[p[i] >> 2];
		out[o++] = tab[((p[i] & 3) << 4) | (p[i + 1] >> 4)];
		out[o++] = tab[((p[i + 1] & 15) << 2) | (p[i + 2] >> 6)];
		out[o++] = tab[p[i + 2] & 63];
	}
	if (i < len) {
		out[o++] = tab[p[i] >> 2];
		if (i + 1 < len) {
			out[o++] = tab[((p[i] & 3) << 4) | (p[i + 1] >> 4)];
			out[o++] = tab[(p[i + 1] & 15) << 2];
		} else {
			out[o++] = tab[(p[i] & 3) << 4];
			out[o++] = '=';
		}
		out[o++] = '=';
	}
	out[o] = '\0';
	return (int)o;
}

void
complain(const char *f, ...)
{
	va_list	ap;

	fflush(stdout);
	fputs("relayq: ", stderr);
	va_start(ap, f);
	vfprintf(stderr, f, ap);
	va_end(ap);
	fputc('\n', stderr);
}
