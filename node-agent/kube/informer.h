/* An informer keeps a cache of one resource equal to the API server's by
 * LIST then WATCH, and tells a handler what changed.
 *
 * This is the network-free core: it says which request it wants next
 * (informer_start) and is fed the responses (informer_list_done,
 * informer_watch_data, informer_watch_done) with the current time, so the
 * whole state machine runs in tests without a server. kube_client.h drives
 * it over HTTP.
 *
 * Protocol (mirroring client-go's reflector):
 *  - LIST pages of spec.page_limit (500) with continue tokens, always with
 *    resourceVersion unset: a consistent read that honours limit (RV "0"
 *    may be served stale from the watch cache and unpaginated). The pages
 *    are gathered aside and applied only once the last one is in: a bad
 *    page (not JSON, an item that does not decode, HTTP error, 410 on a
 *    continue token) throws the whole list away and the LIST is retried
 *    from its first page after a backoff; cache and handler see nothing.
 *  - Every applied list REPLACES the cache: objects gone from it get
 *    remove(), new ones upsert(NULL, new), changed ones (other
 *    resourceVersion) upsert(old, new), same name with another uid
 *    remove(old) then upsert(NULL, new); unchanged ones no call. Then
 *    synced(), so a handler can batch a whole list.
 *  - WATCH from the list's (or the last event's or bookmark's) RV with
 *    allowWatchBookmarks and timeoutSeconds (random 300..600 s unless
 *    spec.watch_timeout_s is set). Events apply one by one: ADDED or
 *    MODIFIED upsert (a duplicate ADDED is an update; a new uid under a
 *    known name is remove + add), DELETED of a known key remove (of an
 *    unknown one: ignored), BOOKMARK only advances the RV.
 *  - A clean end of the watch (its timeout) re-watches at once from the
 *    last RV.
 *  - 410 Gone (HTTP or ERROR event) and 504 ResourceVersionTooLarge:
 *    relist at once (RV unset), replacing the cache as above.
 *  - Both only when the watch lasted at least a second (for a clean end:
 *    or delivered something); a watch that ends as soon as it starts is
 *    retried after a backoff, so a server that closes or 410s every
 *    watch is not hammered (client-go's reflector backs off the same).
 *  - A malformed event (not JSON, not an object, unknown type, an object
 *    that does not decode, a line over the cap) is rejected whole: the
 *    watch is dropped and, after a backoff, the resource is relisted.
 *    Skipping it would leave the cache silently wrong (a lost delete), the
 *    relist repairs whatever the event was about.
 *  - Connection errors, 401, 429, 5xx and other HTTP errors: back off
 *    (800 ms doubling to 30 s, jittered; Retry-After when given) and watch
 *    again from the last RV, without a relist.
 */
#ifndef XCNI_KUBE_INFORMER_H
#define XCNI_KUBE_INFORMER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "k8s.h"

#define INFORMER_PAGE_LIMIT_DEFAULT 500u
#define INFORMER_WATCH_TIMEOUT_MIN_S 300u
#define INFORMER_WATCH_TIMEOUT_MAX_S 600u

/* The agent passes k8s_decode and k8s_free; tests their own. decode must
 * return an object starting with struct k8s_meta whose name is set. */
typedef void *(*informer_decode_fn)(enum k8s_kind kind, const cJSON *obj, char *err, size_t len);
typedef void (*informer_free_fn)(enum k8s_kind kind, void *obj);

struct informer_spec {
	enum k8s_kind kind; /* handed back to decode, free_obj and the handler */
	const char *resource; /* for logs and metrics: "services" */
	const char *path; /* the collection: "/api/v1/services" */
	const char *field_selector; /* NULL: none ("spec.nodeName=node-a") */
	const char *label_selector; /* NULL: none */
	informer_decode_fn decode;
	informer_free_fn free_obj;
	unsigned int watch_timeout_s; /* 0: random in [300, 600] per watch */
	unsigned int page_limit; /* 0: 500 */
	uint64_t seed; /* for the jitter; 0: from the clock */
};

/* Objects handed to the handler belong to the informer. obj stays valid
 * until the call that passes it back as old (or remove()); old is freed
 * right after the call. Callbacks may look objects up in this or other
 * informers (during a relist's calls the cache already holds the new list)
 * but must not call the informer's transport functions. Any callback may
 * be NULL. */
struct informer_handler {
	void (*upsert)(void *ctx, enum k8s_kind kind, const void *old, const void *obj);
	void (*remove)(void *ctx, enum k8s_kind kind, const void *old);
	/* After the first list and after every relist has been applied. */
	void (*synced)(void *ctx, enum k8s_kind kind);
	void *ctx;
};

/* Why a watch ended, for restart counters and logs. */
enum informer_cause {
	INFORMER_CAUSE_TIMEOUT, /* clean end (timeoutSeconds) */
	INFORMER_CAUSE_CONNECTION, /* no response, or the stream broke */
	INFORMER_CAUSE_EXPIRED, /* 410 Gone: relist */
	INFORMER_CAUSE_TOO_LARGE, /* 504 ResourceVersionTooLarge: relist */
	INFORMER_CAUSE_UNAUTHORIZED, /* 401 */
	INFORMER_CAUSE_THROTTLED, /* 429 */
	INFORMER_CAUSE_SERVER_ERROR, /* 5xx */
	INFORMER_CAUSE_HTTP_ERROR, /* any other HTTP status (403, 404, ...) */
	INFORMER_CAUSE_MALFORMED, /* a rejected event: relist */
	INFORMER_CAUSE_ERROR_EVENT, /* an ERROR event other than 410 */
	INFORMER_CAUSE_MAX,
};

const char *informer_cause_name(enum informer_cause cause);

struct informer_stats {
	uint64_t lists; /* complete LISTs applied (the first and relists) */
	uint64_t relists; /* relists started because a watch could not go on */
	uint64_t list_failures; /* LIST attempts thrown away (any page) */
	uint64_t watches; /* WATCH requests started */
	uint64_t watch_restarts[INFORMER_CAUSE_MAX];
	uint64_t events_applied; /* ADDED, MODIFIED, DELETED applied */
	uint64_t events_rejected;
	uint64_t bookmarks;
	const char *last_rv; /* valid until the informer is next fed; NULL: none */
	bool synced; /* a list has been applied */
	size_t objects;
};

struct informer;

/* Copies spec (and its strings). NULL with err set when spec lacks
 * resource, path, decode or free_obj, or out of memory. */
struct informer *informer_new(const struct informer_spec *spec,
			      const struct informer_handler *handler, char *err, size_t len);
/* Frees the informer and its cache (no callbacks). */
void informer_free(struct informer *inf);

enum k8s_kind informer_kind(const struct informer *inf);
const char *informer_resource(const struct informer *inf);

/* The cache: lookup (ns NULL for cluster-scoped kinds), walk, size. */
const void *informer_get(const struct informer *inf, const char *ns, const char *name);
/* fn on every object until it returns non-zero (returned); fn must not
 * change the informer. */
int informer_foreach(const struct informer *inf, int (*fn)(void *ctx, const void *obj), void *ctx);
size_t informer_count(const struct informer *inf);
void informer_get_stats(const struct informer *inf, struct informer_stats *out);

/* ---- The transport's side ---- */

enum informer_req_type {
	INFORMER_REQ_LIST,
	INFORMER_REQ_WATCH,
};

struct informer_request {
	enum informer_req_type type;
	char *url; /* path and query; the caller frees it */
	unsigned int timeout_s; /* WATCH: the timeoutSeconds asked for */
};

/* When the next request is due (ms, on the caller's clock); UINT64_MAX
 * while one is in flight. */
uint64_t informer_due_ms(const struct informer *inf);
/* 1 and *req filled when a request is due at now_ms (the informer then
 * waits for its *_done), 0 when not, -ENOMEM. */
int informer_start(struct informer *inf, uint64_t now_ms, struct informer_request *req);

struct informer_response {
	long status; /* HTTP status; 0: none came */
	/* LIST: the body. WATCH: the error body when status is not 200. */
	const char *body;
	size_t len;
	long retry_after_s; /* the Retry-After header; 0: absent */
	/* Set when the transfer failed (no response, or the stream broke
	 * after a 200): a short reason for the logs. */
	const char *error;
};

void informer_list_done(struct informer *inf, const struct informer_response *r, uint64_t now_ms);
/* Watch bytes (status 200 only), in any chunking. -1 when the informer
 * wants the watch dropped (it has decided what comes next); the transport
 * then ends it and still calls informer_watch_done. */
int informer_watch_data(struct informer *inf, const char *data, size_t len, uint64_t now_ms);
void informer_watch_done(struct informer *inf, const struct informer_response *r, uint64_t now_ms);

#endif
