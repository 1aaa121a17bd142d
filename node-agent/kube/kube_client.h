/* The agent's Kubernetes client: informers driven over one libcurl multi
 * handle (one event loop, no thread per watch; with HTTP/2 the watches
 * share one connection), the bearer token kept fresh, and a blocking GET
 * for one-off reads.
 *
 * Use:
 *	c = kube_client_new(&cfg, err, sizeof(err));
 *	services = kube_informer_add(c, &spec, &handler);
 *	for (;;)
 *		kube_client_poll(c, kube_client_next_timeout_ms(c));
 * Handlers run inside kube_client_poll. The cache and counters are read
 * with informer.h's calls. */
#ifndef XCNI_KUBE_CLIENT_H
#define XCNI_KUBE_CLIENT_H

#include <stddef.h>

#include <cjson/cJSON.h>

#include "informer.h"
#include "kube_config.h"

struct kube_client;

/* Copies cfg. NULL with err set when libcurl cannot start. */
struct kube_client *kube_client_new(const struct kube_config *cfg, char *err, size_t len);
/* Ends every transfer and frees the informers (no callbacks). */
void kube_client_free(struct kube_client *c);

/* Adds an informer (see informer_new); it starts listing on the next
 * poll. NULL with err set on a bad spec or no memory. The client owns it. */
struct informer *kube_informer_add(struct kube_client *c, const struct informer_spec *spec,
				   const struct informer_handler *handler, char *err, size_t len);

/* Runs the client for up to timeout_ms (-1: until something happens):
 * waits for the network or the next informer timer, then moves transfers
 * on, feeds informers, and starts the requests that are due. Returns 0 or
 * a negative errno when libcurl's multi handle fails. */
int kube_client_poll(struct kube_client *c, int timeout_ms);
/* How long until the client needs kube_client_poll again: 0 when at
 * once; -1 when only the network can wake it. */
int kube_client_next_timeout_ms(struct kube_client *c);
/* Makes a kube_client_poll that is waiting (in another thread, or a
 * signal handler) return early. */
void kube_client_wakeup(struct kube_client *c);

/* Blocking GET of path (e.g. "/api/v1/nodes/node-a"), for one-off reads
 * such as the agent's own Node at start. *out is the parsed JSON (free
 * with cJSON_Delete). Returns 0; -ENOENT (404), -EACCES (401, 403),
 * -EBADMSG (not JSON), -ETIMEDOUT, -ECONNREFUSED, or -EIO, with err set.
 * A 401 re-reads the token file and tries once more. */
int kube_get_json(struct kube_client *c, const char *path, cJSON **out, char *err, size_t len);

#endif
