/* The API's error object (kind Status), as an HTTP error body or a watch
 * ERROR event, reduced to what a client acts on. */
#ifndef XCNI_KUBE_STATUS_H
#define XCNI_KUBE_STATUS_H

#include <stdbool.h>
#include <stddef.h>

#include <cjson/cJSON.h>

struct kube_status {
	long code; /* 0 when not given */
	char reason[64]; /* "Expired", "Timeout", ... ("" when not given) */
	char message[256];
	/* A watch from a resourceVersion the server has not reached (504
	 * Timeout, cause ResourceVersionTooLarge): relist with no RV. */
	bool rv_too_large;
	long retry_after_s; /* details.retryAfterSeconds; 0 when not given */
};

/* Reads a Status object; -EINVAL when obj is not an object. Missing
 * fields stay empty: error bodies are best-effort context. */
int kube_status_from_json(const cJSON *obj, struct kube_status *st);
/* The same from a response body; -EINVAL when it is not JSON. */
int kube_status_parse(const char *body, size_t len, struct kube_status *st);
/* "too old resource version": 410 Gone / reason Expired. */
bool kube_status_expired(const struct kube_status *st);

#endif
