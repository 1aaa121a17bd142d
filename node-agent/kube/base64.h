/* Standard base64 (RFC 4648) decoding, for kubeconfig's *-data fields. */
#ifndef XCNI_KUBE_BASE64_H
#define XCNI_KUBE_BASE64_H

#include <stddef.h>

/* Decodes s (whitespace between groups is skipped, '=' padding optional
 * at the end) into a new NUL-terminated buffer *out of *len bytes.
 * Returns 0, -EINVAL on a character or length that is not base64, or
 * -ENOMEM. */
int base64_decode(const char *s, unsigned char **out, size_t *len);

#endif
