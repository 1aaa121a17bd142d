/* The informer's state machine: which request comes next, and what each
 * LIST page, watch byte and watch end changes. The protocol is described
 * in informer.h. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "informer_int.h"
#include "kube_status.h"
#include "kube_url.h"
#include "log.h"

/* A watch that ends sooner than this is retried after a backoff even
 * when its end alone would call for an immediate retry. */
#define INFORMER_SHORT_WATCH_MS 1000u

static const char *const cause_names[INFORMER_CAUSE_MAX] = {
	[INFORMER_CAUSE_TIMEOUT] = "timeout",
	[INFORMER_CAUSE_CONNECTION] = "connection",
	[INFORMER_CAUSE_EXPIRED] = "expired",
	[INFORMER_CAUSE_TOO_LARGE] = "rv_too_large",
	[INFORMER_CAUSE_UNAUTHORIZED] = "unauthorized",
	[INFORMER_CAUSE_THROTTLED] = "throttled",
	[INFORMER_CAUSE_SERVER_ERROR] = "server_error",
	[INFORMER_CAUSE_HTTP_ERROR] = "http_error",
	[INFORMER_CAUSE_MALFORMED] = "malformed",
	[INFORMER_CAUSE_ERROR_EVENT] = "error_event",
};

const char *informer_cause_name(enum informer_cause cause)
{
	return cause < INFORMER_CAUSE_MAX ? cause_names[cause] : "unknown";
}

static int dup_opt(const char *s, const char **out)
{
	*out = NULL;
	if (!s)
		return 0;
	*out = strdup(s);
	return *out ? 0 : -ENOMEM;
}

static uint64_t seed_from_clock(const void *p)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ((uint64_t)ts.tv_sec * 1000000007ull) ^ (uint64_t)ts.tv_nsec ^ (uintptr_t)p;
}

struct informer *informer_new(const struct informer_spec *spec,
			      const struct informer_handler *handler, char *err, size_t len)
{
	struct informer *inf;

	if (!spec->resource || !spec->path || spec->path[0] != '/' || !spec->decode ||
	    !spec->free_obj) {
		snprintf(err, len,
			 "informer spec needs resource, an absolute path, decode and free");
		return NULL;
	}
	inf = calloc(1, sizeof(*inf));
	if (!inf)
		goto nomem;
	inf->spec = *spec;
	inf->spec.resource = inf->spec.path = NULL;
	inf->spec.field_selector = inf->spec.label_selector = NULL;
	if (dup_opt(spec->resource, &inf->spec.resource) || dup_opt(spec->path, &inf->spec.path) ||
	    dup_opt(spec->field_selector, &inf->spec.field_selector) ||
	    dup_opt(spec->label_selector, &inf->spec.label_selector))
		goto nomem;
	if (!inf->spec.page_limit)
		inf->spec.page_limit = INFORMER_PAGE_LIMIT_DEFAULT;
	if (handler)
		inf->h = *handler;
	inf->cache = obj_cache_new();
	if (!inf->cache)
		goto nomem;
	inf->rng = spec->seed ? spec->seed : seed_from_clock(inf);
	backoff_init(&inf->backoff);
	watch_lines_init(&inf->lines, 0);
	inf->phase = INFORMER_LIST_DUE;
	inf->due_ms = 0;
	return inf;
nomem:
	snprintf(err, len, "out of memory");
	informer_free(inf);
	return NULL;
}

void informer_free(struct informer *inf)
{
	if (!inf)
		return;
	obj_cache_free(inf->cache, inf->spec.free_obj, inf->spec.kind);
	obj_cache_free(inf->pending, inf->spec.free_obj, inf->spec.kind);
	watch_lines_free(&inf->lines);
	free((char *)inf->spec.resource);
	free((char *)inf->spec.path);
	free((char *)inf->spec.field_selector);
	free((char *)inf->spec.label_selector);
	free(inf->cont);
	free(inf->rv);
	free(inf);
}

enum k8s_kind informer_kind(const struct informer *inf)
{
	return inf->spec.kind;
}

const char *informer_resource(const struct informer *inf)
{
	return inf->spec.resource;
}

const void *informer_get(const struct informer *inf, const char *ns, const char *name)
{
	return obj_cache_get(inf->cache, ns, name);
}

int informer_foreach(const struct informer *inf, int (*fn)(void *ctx, const void *obj), void *ctx)
{
	return obj_cache_foreach(inf->cache, fn, ctx);
}

size_t informer_count(const struct informer *inf)
{
	return obj_cache_count(inf->cache);
}

void informer_get_stats(const struct informer *inf, struct informer_stats *out)
{
	*out = inf->stats;
	out->last_rv = inf->rv;
	out->objects = obj_cache_count(inf->cache);
}

void informer_set_rv(struct informer *inf, const char *rv)
{
	char *copy;

	if (inf->rv && !strcmp(inf->rv, rv))
		return;
	copy = strdup(rv);
	if (!copy)
		return;
	free(inf->rv);
	inf->rv = copy;
}

uint64_t informer_due_ms(const struct informer *inf)
{
	if (inf->phase == INFORMER_LISTING || inf->phase == INFORMER_WATCHING)
		return UINT64_MAX;
	return inf->due_ms;
}

static void schedule(struct informer *inf, enum informer_phase phase, uint64_t at_ms)
{
	inf->phase = phase;
	inf->due_ms = at_ms;
}

/* Drops a LIST in progress, so the next starts from its first page. */
static void drop_pending(struct informer *inf)
{
	obj_cache_free(inf->pending, inf->spec.free_obj, inf->spec.kind);
	inf->pending = NULL;
	free(inf->cont);
	inf->cont = NULL;
}

static char *list_url(struct informer *inf)
{
	char limit[16];
	const struct kube_param p[] = {
		{ "fieldSelector", inf->spec.field_selector },
		{ "labelSelector", inf->spec.label_selector },
		{ "limit", limit },
		{ "continue", inf->cont },
	};

	snprintf(limit, sizeof(limit), "%u", inf->spec.page_limit);
	return kube_url_build(inf->spec.path, p, sizeof(p) / sizeof(p[0]));
}

static unsigned int watch_timeout(struct informer *inf)
{
	unsigned int span = INFORMER_WATCH_TIMEOUT_MAX_S - INFORMER_WATCH_TIMEOUT_MIN_S + 1;

	if (inf->spec.watch_timeout_s)
		return inf->spec.watch_timeout_s;
	return INFORMER_WATCH_TIMEOUT_MIN_S + (unsigned int)(backoff_rand(&inf->rng) * span);
}

static char *watch_url(struct informer *inf, unsigned int timeout_s)
{
	char timeout[16];
	const struct kube_param p[] = {
		{ "allowWatchBookmarks", "true" },
		{ "fieldSelector", inf->spec.field_selector },
		{ "labelSelector", inf->spec.label_selector },
		{ "resourceVersion", inf->rv },
		{ "timeoutSeconds", timeout },
		{ "watch", "true" },
	};

	snprintf(timeout, sizeof(timeout), "%u", timeout_s);
	return kube_url_build(inf->spec.path, p, sizeof(p) / sizeof(p[0]));
}

int informer_start(struct informer *inf, uint64_t now_ms, struct informer_request *req)
{
	memset(req, 0, sizeof(*req));
	if (informer_due_ms(inf) > now_ms)
		return 0;
	if (inf->phase == INFORMER_LIST_DUE) {
		if (!inf->pending && !(inf->pending = obj_cache_new()))
			return -ENOMEM;
		req->type = INFORMER_REQ_LIST;
		req->url = list_url(inf);
		if (!req->url)
			return -ENOMEM;
		inf->phase = INFORMER_LISTING;
		return 1;
	}
	req->type = INFORMER_REQ_WATCH;
	req->timeout_s = watch_timeout(inf);
	req->url = watch_url(inf, req->timeout_s);
	if (!req->url)
		return -ENOMEM;
	watch_lines_reset(&inf->lines);
	inf->watch_start_ms = now_ms;
	inf->watch_events = 0;
	inf->stopping = false;
	inf->phase = INFORMER_WATCHING;
	inf->stats.watches++;
	return 1;
}

static uint64_t backoff_delay(struct informer *inf, uint64_t now_ms, long retry_after_s)
{
	double u = backoff_rand(&inf->rng);

	if (retry_after_s > 0)
		return backoff_retry_after(&inf->backoff, now_ms, (uint32_t)retry_after_s, u);
	return backoff_next(&inf->backoff, now_ms, u);
}

/* Retry-After from the header, else from the Status body's details. */
static long retry_after(const struct informer_response *r, const struct kube_status *st)
{
	return r->retry_after_s > 0 ? r->retry_after_s : st->retry_after_s;
}

/* ---- LIST ---- */

static void list_failed(struct informer *inf, const struct informer_response *r, const char *why,
			uint64_t now_ms)
{
	struct kube_status st = { 0 };
	uint64_t delay;
	char q[300];

	if (r->status && r->status != 200 && r->body)
		kube_status_parse(r->body, r->len, &st);
	drop_pending(inf);
	inf->stats.list_failures++;
	delay = backoff_delay(inf, now_ms, retry_after(r, &st));
	log_msg(r->status == 403 ? LOG_LEVEL_ERROR : LOG_LEVEL_WARN, "list_failed",
		"resource=%s status=%ld reason=%s err=%s retry_ms=%llu", inf->spec.resource,
		r->status, st.reason[0] ? st.reason : "none",
		log_quote(why ? why : st.message, q, sizeof(q)), (unsigned long long)delay);
	schedule(inf, INFORMER_LIST_DUE, now_ms + delay);
}

/* Decodes a page's items into inf->pending; NULL or a reason. */
static const char *take_page(struct informer *inf, const cJSON *page, const char **rv,
			     const char **cont, char *err, size_t len)
{
	const cJSON *md = cJSON_GetObjectItemCaseSensitive(page, "metadata");
	const cJSON *items = cJSON_GetObjectItemCaseSensitive(page, "items"), *item;
	const cJSON *array = cJSON_IsArray(items) ? items : NULL;
	char derr[256];

	if (!cJSON_IsObject(page))
		return "list is not a JSON object";
	*rv = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(md, "resourceVersion"));
	*cont = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(md, "continue"));
	if (!*rv || !**rv)
		return "list has no metadata.resourceVersion";
	/* Go encodes an empty slice as null. */
	if (items && !cJSON_IsArray(items) && !cJSON_IsNull(items))
		return "list items is not an array";
	cJSON_ArrayForEach(item, array)
	{
		void *o = inf->spec.decode(inf->spec.kind, item, derr, sizeof(derr));
		void *old = NULL;

		if (!o) {
			snprintf(err, len, "list item does not decode: %s", derr);
			return err;
		}
		if (!k8s_meta(o)->name || !*k8s_meta(o)->name) {
			inf->spec.free_obj(inf->spec.kind, o);
			return "list item without metadata.name";
		}
		if (obj_cache_put(inf->pending, o, &old)) {
			inf->spec.free_obj(inf->spec.kind, o);
			return "out of memory";
		}
		if (old)
			inf->spec.free_obj(inf->spec.kind, old);
	}
	return NULL;
}

static void list_complete(struct informer *inf, const char *rv, uint64_t now_ms)
{
	struct obj_cache *list = inf->pending;
	size_t n = obj_cache_count(list);

	inf->pending = NULL;
	if (informer_apply_replace(inf, list)) {
		const struct informer_response oom = { .status = 200 };

		list_failed(inf, &oom, "out of memory applying the list", now_ms);
		return;
	}
	informer_set_rv(inf, rv);
	inf->stats.lists++;
	/* The server answered whole: whatever failed before is over, so the
	 * next failure starts from the shortest delay again. */
	backoff_reset(&inf->backoff);
	log_info("list_applied", "resource=%s objects=%zu rv=%s", inf->spec.resource, n, rv);
	schedule(inf, INFORMER_WATCH_DUE, now_ms);
}

void informer_list_done(struct informer *inf, const struct informer_response *r, uint64_t now_ms)
{
	const char *why, *rv = NULL, *cont = NULL;
	char err[320];
	cJSON *page;

	if (inf->phase != INFORMER_LISTING)
		return;
	if (r->error || r->status != 200) {
		list_failed(inf, r, r->error, now_ms);
		return;
	}
	page = cJSON_ParseWithLength(r->body ? r->body : "", r->len);
	why = page ? take_page(inf, page, &rv, &cont, err, sizeof(err)) : "list is not JSON";
	if (why) {
		list_failed(inf, r, why, now_ms);
	} else if (cont && *cont) {
		free(inf->cont);
		inf->cont = strdup(cont);
		if (!inf->cont)
			list_failed(inf, r, "out of memory", now_ms);
		else
			schedule(inf, INFORMER_LIST_DUE, now_ms);
	} else {
		free(inf->cont);
		inf->cont = NULL;
		list_complete(inf, rv, now_ms);
	}
	cJSON_Delete(page);
}

/* ---- WATCH ---- */

static int line_cb(void *ctx, char *line, size_t len)
{
	return informer_handle_line(ctx, line, len);
}

int informer_watch_data(struct informer *inf, const char *data, size_t len, uint64_t now_ms)
{
	int ret;

	(void)now_ms;
	if (inf->phase != INFORMER_WATCHING || inf->stopping)
		return -1;
	ret = watch_lines_feed(&inf->lines, data, len, line_cb, inf);
	if (ret == -EMSGSIZE || ret == -ENOMEM) {
		char q[64];

		inf->stats.events_rejected++;
		log_warn("watch_event_rejected", "resource=%s err=%s", inf->spec.resource,
			 log_quote(ret == -EMSGSIZE ? "event line over the size cap" :
						      "out of memory",
				   q, sizeof(q)));
		inf->stopping = true;
		inf->stop_cause = INFORMER_CAUSE_MALFORMED;
		inf->stop_relist = true;
	}
	return ret ? -1 : 0;
}

/* What an HTTP status or a broken stream means for the watch. */
static enum informer_cause watch_cause(const struct informer_response *r,
				       const struct kube_status *st)
{
	if (r->status == 200)
		return r->error ? INFORMER_CAUSE_CONNECTION : INFORMER_CAUSE_TIMEOUT;
	if (!r->status)
		return INFORMER_CAUSE_CONNECTION;
	if (r->status == 410)
		return INFORMER_CAUSE_EXPIRED;
	if (r->status == 504 && st->rv_too_large)
		return INFORMER_CAUSE_TOO_LARGE;
	if (r->status == 401)
		return INFORMER_CAUSE_UNAUTHORIZED;
	if (r->status == 429)
		return INFORMER_CAUSE_THROTTLED;
	if (r->status >= 500)
		return INFORMER_CAUSE_SERVER_ERROR;
	return INFORMER_CAUSE_HTTP_ERROR;
}

void informer_watch_done(struct informer *inf, const struct informer_response *r, uint64_t now_ms)
{
	struct kube_status st = { 0 };
	enum informer_cause cause;
	bool relist, quick;
	uint64_t delay = 0;
	char q[300];

	if (inf->phase != INFORMER_WATCHING)
		return;
	if (r->status && r->status != 200 && r->body)
		kube_status_parse(r->body, r->len, &st);
	if (inf->stopping) {
		cause = inf->stop_cause;
		relist = inf->stop_relist;
	} else {
		cause = watch_cause(r, &st);
		relist = cause == INFORMER_CAUSE_EXPIRED || cause == INFORMER_CAUSE_TOO_LARGE;
	}
	inf->stopping = false;
	watch_lines_reset(&inf->lines); /* a partial last line is dropped */
	inf->stats.watch_restarts[cause]++;

	/* A watch that ends as soon as it starts would otherwise loop
	 * without pause (a server closing at once, or one that answers 410
	 * to every watch right after the list). */
	quick = now_ms - inf->watch_start_ms < INFORMER_SHORT_WATCH_MS;
	if (cause == INFORMER_CAUSE_TIMEOUT)
		quick = quick && !inf->watch_events;
	if ((cause != INFORMER_CAUSE_TIMEOUT && cause != INFORMER_CAUSE_EXPIRED &&
	     cause != INFORMER_CAUSE_TOO_LARGE) ||
	    quick)
		delay = backoff_delay(inf, now_ms, retry_after(r, &st));
	log_msg(cause == INFORMER_CAUSE_HTTP_ERROR ? LOG_LEVEL_ERROR : LOG_LEVEL_INFO,
		"watch_restart", "resource=%s cause=%s status=%ld rv=%s next=%s retry_ms=%llu%s%s",
		inf->spec.resource, informer_cause_name(cause), r->status,
		inf->rv ? inf->rv : "none", relist ? "list" : "watch", (unsigned long long)delay,
		r->error || st.message[0] ? " err=" : "",
		r->error || st.message[0] ?
			log_quote(r->error ? r->error : st.message, q, sizeof(q)) :
			"");
	if (relist) {
		inf->stats.relists++;
		drop_pending(inf);
		schedule(inf, INFORMER_LIST_DUE, now_ms + delay);
	} else {
		schedule(inf, INFORMER_WATCH_DUE, now_ms + delay);
	}
}
