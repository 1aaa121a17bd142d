/* One libcurl easy handle set up for the API server: URL, TLS material,
 * bearer token, JSON, gzip, HTTP/2, keepalive and timeouts; and the small
 * pieces every transfer needs (body buffer, Retry-After). */
#ifndef XCNI_KUBE_HTTP_H
#define XCNI_KUBE_HTTP_H

#include <stdbool.h>
#include <stddef.h>

#include <curl/curl.h>

#include "kube_config.h"

#define KUBE_USER_AGENT "xcni-agent"
/* Added to a watch's timeoutSeconds before the client gives up on it: the
 * server ends it; this only catches a server that does not. */
#define KUBE_WATCH_GRACE_MS 30000u
/* Largest LIST page or object body kept in memory. */
#define KUBE_BODY_MAX (256u << 20)
/* Largest error body kept (a Status). */
#define KUBE_ERROR_BODY_MAX (64u << 10)

/* Sets easy up for GET server+path with token (NULL: none). timeout_ms
 * bounds the whole transfer (0: none). *headers receives the header list
 * to free with kube_http_free_headers after the transfer. 0, or -EINVAL
 * with err set (an option this libcurl lacks), or -ENOMEM. */
int kube_http_setup(CURL *easy, const struct kube_config *cfg, const char *token, const char *path,
		    long timeout_ms, struct curl_slist **headers, char *err, size_t len);
/* Frees a header list, clearing it first (it holds the token). */
void kube_http_free_headers(struct curl_slist *headers);

/* Seconds of a "Retry-After: N" header line (any case); 0 for other lines
 * or an HTTP-date (the API server sends seconds). */
long kube_http_retry_after(const char *line, size_t len);
/* CURLOPT_HEADERFUNCTION storing Retry-After into the long at userdata. */
size_t kube_http_header_cb(char *buf, size_t size, size_t n, void *userdata);

/* A growing, NUL-terminated response body with a cap. */
struct kube_buf {
	char *data;
	size_t len;
	size_t cap;
	size_t max;
};

/* 0, or -EFBIG past b->max, or -ENOMEM. */
int kube_buf_append(struct kube_buf *b, const char *data, size_t len);
void kube_buf_free(struct kube_buf *b);

#endif
