/* Request paths with query strings: values percent-encoded (selectors hold
 * '=', '!', ',' and spaces; continue tokens are base64). */
#ifndef XCNI_KUBE_URL_H
#define XCNI_KUBE_URL_H

#include <stddef.h>

struct kube_param {
	const char *key;
	const char *value; /* NULL: the parameter is left out */
};

/* "path?key=value&..." (just path when every value is NULL), or NULL when
 * out of memory. path may already hold a query; params are appended. */
char *kube_url_build(const char *path, const struct kube_param *params, size_t n);

#endif
