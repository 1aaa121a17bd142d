/* Base64 decoding: strict about the alphabet, lenient about whitespace
 * (kubeconfigs written by hand wrap long *-data lines). */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base64.h"

static int b64_value(char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

static int is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

int base64_decode(const char *s, unsigned char **out, size_t *len)
{
	size_t slen = strlen(s), n = 0, pad = 0;
	unsigned char *buf = malloc(slen / 4 * 3 + 4);
	uint32_t acc = 0;
	unsigned int bits = 0;

	if (!buf)
		return -ENOMEM;
	for (const char *p = s; *p; p++) {
		int v;

		if (is_space(*p))
			continue;
		if (*p == '=') {
			pad++;
			continue;
		}
		v = b64_value(*p);
		if (v < 0 || pad)
			goto bad; /* only padding and spaces may follow padding */
		acc = (acc << 6) | (uint32_t)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			buf[n++] = (unsigned char)(acc >> bits);
		}
	}
	/* 6 leftover bits cannot come from whole bytes; more than two '='
	 * is never valid, nor are padding bits that are not zero. */
	if (bits >= 6 || pad > 2 || (acc & ((1u << bits) - 1)))
		goto bad;
	buf[n] = '\0';
	*out = buf;
	*len = n;
	return 0;
bad:
	free(buf);
	return -EINVAL;
}
