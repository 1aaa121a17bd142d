/* Query string assembly with RFC 3986 percent-encoding. */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kube_url.h"

static bool unreserved(unsigned char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
	       c == '-' || c == '.' || c == '_' || c == '~';
}

static size_t encoded_len(const char *s)
{
	size_t n = 0;

	for (; *s; s++)
		n += unreserved((unsigned char)*s) ? 1 : 3;
	return n;
}

static char *append_encoded(char *p, const char *s)
{
	static const char hex[] = "0123456789ABCDEF";

	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (unreserved(c)) {
			*p++ = (char)c;
		} else {
			*p++ = '%';
			*p++ = hex[c >> 4];
			*p++ = hex[c & 15];
		}
	}
	return p;
}

char *kube_url_build(const char *path, const struct kube_param *params, size_t n)
{
	size_t len = strlen(path) + 1;
	char sep = strchr(path, '?') ? '&' : '?';
	char *url, *p;

	for (size_t i = 0; i < n; i++) {
		if (params[i].value)
			len += 2 + strlen(params[i].key) + encoded_len(params[i].value);
	}
	url = malloc(len);
	if (!url)
		return NULL;
	p = stpcpy(url, path);
	for (size_t i = 0; i < n; i++) {
		if (!params[i].value)
			continue;
		*p++ = sep;
		sep = '&';
		p = stpcpy(p, params[i].key);
		*p++ = '=';
		p = append_encoded(p, params[i].value);
	}
	*p = '\0';
	return url;
}
