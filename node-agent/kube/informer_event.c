/* One watch event line: checked whole (JSON object, known type, an object
 * that decodes) before anything is applied. */
#include <stdio.h>
#include <string.h>

#include "informer_int.h"
#include "kube_status.h"
#include "log.h"

static int stop(struct informer *inf, enum informer_cause cause, bool relist)
{
	inf->stopping = true;
	inf->stop_cause = cause;
	inf->stop_relist = relist;
	return 1;
}

static int reject(struct informer *inf, const char *why)
{
	char q[256];

	inf->stats.events_rejected++;
	log_warn("watch_event_rejected", "resource=%s rv=%s err=%s", inf->spec.resource,
		 inf->rv ? inf->rv : "none", log_quote(why, q, sizeof(q)));
	return stop(inf, INFORMER_CAUSE_MALFORMED, true);
}

static int handle_error_event(struct informer *inf, const cJSON *obj)
{
	struct kube_status st;
	char q[300];

	kube_status_from_json(obj, &st);
	log_info("watch_error_event", "resource=%s code=%ld reason=%s msg=%s", inf->spec.resource,
		 st.code, st.reason[0] ? st.reason : "none", log_quote(st.message, q, sizeof(q)));
	if (kube_status_expired(&st))
		return stop(inf, INFORMER_CAUSE_EXPIRED, true);
	if (st.rv_too_large)
		return stop(inf, INFORMER_CAUSE_TOO_LARGE, true);
	return stop(inf, INFORMER_CAUSE_ERROR_EVENT, false);
}

static int handle_bookmark(struct informer *inf, const cJSON *obj)
{
	const cJSON *md = cJSON_GetObjectItemCaseSensitive(obj, "metadata");
	const char *rv =
		cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(md, "resourceVersion"));

	if (!rv || !*rv)
		return reject(inf, "BOOKMARK without metadata.resourceVersion");
	informer_set_rv(inf, rv);
	inf->stats.bookmarks++;
	/* A working stream: the server is healthy again. */
	backoff_reset(&inf->backoff);
	return 0;
}

static int handle_object_event(struct informer *inf, const char *type, const cJSON *obj)
{
	char err[256], msg[320];
	void *o = inf->spec.decode(inf->spec.kind, obj, err, sizeof(err));
	const struct k8s_meta *m;
	const char *rv;

	if (!o) {
		snprintf(msg, sizeof(msg), "%s object does not decode: %s", type, err);
		return reject(inf, msg);
	}
	m = k8s_meta(o);
	if (!m->name || !*m->name) {
		inf->spec.free_obj(inf->spec.kind, o);
		return reject(inf, "object without metadata.name");
	}
	/* The object is freed or cached by the apply calls, so its RV is
	 * copied first. */
	rv = m->resource_version;
	if (rv && *rv)
		informer_set_rv(inf, rv);
	if (!strcmp(type, "DELETED")) {
		informer_apply_delete(inf, o);
	} else if (informer_apply_upsert(inf, o)) {
		/* Out of memory: the cache lacks this change, so it must be
		 * listed again, like a rejected event. */
		return reject(inf, "out of memory applying event");
	}
	inf->stats.events_applied++;
	backoff_reset(&inf->backoff);
	return 0;
}

int informer_handle_line(struct informer *inf, char *line, size_t len)
{
	cJSON *ev = cJSON_ParseWithLength(line, len);
	const cJSON *obj;
	const char *type;
	int ret;

	inf->watch_events++;
	if (!ev)
		return reject(inf, "event is not JSON");
	type = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(ev, "type"));
	obj = cJSON_GetObjectItemCaseSensitive(ev, "object");
	if (!cJSON_IsObject(ev))
		ret = reject(inf, "event is not a JSON object");
	else if (!type)
		ret = reject(inf, "event has no type");
	else if (!cJSON_IsObject(obj))
		ret = reject(inf, "event has no object");
	else if (!strcmp(type, "ERROR"))
		ret = handle_error_event(inf, obj);
	else if (!strcmp(type, "BOOKMARK"))
		ret = handle_bookmark(inf, obj);
	else if (!strcmp(type, "ADDED") || !strcmp(type, "MODIFIED") || !strcmp(type, "DELETED"))
		ret = handle_object_event(inf, type, obj);
	else
		ret = reject(inf, "unknown event type");
	cJSON_Delete(ev);
	return ret;
}
