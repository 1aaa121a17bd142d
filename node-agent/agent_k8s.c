/* The agent's view of the cluster: informer callbacks keep an index of
 * services and their slices and mark what changed; the reconcile step
 * translates each changed service and writes the differences. Nothing is
 * written before Services and EndpointSlices have both been listed, so a
 * restart never rejects traffic for a service whose endpoints are not yet
 * known; after every relist a full sync removes what vanished. */
#include <errno.h>
#include <malloc.h>
#include <stdlib.h>
#include <string.h>

#include "agent.h"
#include "htab.h"
#include "informer.h"
#include "kube_client.h"
#include "log.h"
#include "translate.h"

/* Most services have one slice or two: they are kept inline (the entry
 * costs the same allocation either way), a separate array only beyond. */
#define SVC_INLINE_SLICES 2

struct agent_svc {
	const struct k8s_service *svc; /* owned by the informer's cache */
	const struct k8s_endpoint_slice **slices; /* inline_slices or malloc'd */
	uint32_t n_slices, cap;
	const struct k8s_endpoint_slice *inline_slices[SVC_INLINE_SLICES];
};

static void svc_slices_free(struct agent_svc *s)
{
	if (s->slices != s->inline_slices)
		free(s->slices);
}

static double since(const struct timespec *t0)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (t.tv_sec - t0->tv_sec) + (t.tv_nsec - t0->tv_nsec) / 1e9;
}

static void owner_key(const struct k8s_meta *m, const char *name, char *out, size_t len)
{
	snprintf(out, len, "%s/%s", m->ns ? m->ns : "", name);
}

static struct agent_svc *svc_entry(struct agent *a, const char *key, bool create)
{
	struct agent_svc *s = htab_get_str(a->svcs, key);

	if (s || !create)
		return s;
	s = calloc(1, sizeof(*s));
	if (s) {
		s->slices = s->inline_slices;
		s->cap = SVC_INLINE_SLICES;
	}
	if (s && htab_put_str(a->svcs, key, s, NULL)) {
		free(s);
		s = NULL;
	}
	return s;
}

static void svc_entry_maybe_free(struct agent *a, const char *key, struct agent_svc *s)
{
	if (s->svc || s->n_slices)
		return;
	htab_del_str(a->svcs, key);
	svc_slices_free(s);
	free(s);
}

static void mark_dirty(struct agent *a, const char *key)
{
	struct timespec *t;

	if (htab_get_str(a->dirty, key))
		return; /* the oldest event counts for latency */
	t = malloc(sizeof(*t));
	if (!t)
		return;
	clock_gettime(CLOCK_MONOTONIC, t);
	if (htab_put_str(a->dirty, key, t, NULL))
		free(t);
}

static void slice_detach(struct agent *a, const struct k8s_endpoint_slice *es)
{
	char key[512];
	struct agent_svc *s;

	if (!es->service_name)
		return;
	owner_key(&es->meta, es->service_name, key, sizeof(key));
	s = svc_entry(a, key, false);
	if (!s)
		return;
	for (uint32_t i = 0; i < s->n_slices; i++) {
		if (s->slices[i] == es) {
			s->slices[i] = s->slices[--s->n_slices];
			break;
		}
	}
	mark_dirty(a, key);
	svc_entry_maybe_free(a, key, s);
}

static void slice_attach(struct agent *a, const struct k8s_endpoint_slice *es)
{
	char key[512];
	struct agent_svc *s;

	if (!es->service_name)
		return;
	owner_key(&es->meta, es->service_name, key, sizeof(key));
	s = svc_entry(a, key, true);
	if (!s)
		return;
	if (s->n_slices == s->cap) {
		bool was_inline = s->slices == s->inline_slices;
		uint32_t cap = s->cap * 2;
		const struct k8s_endpoint_slice **v =
			realloc(was_inline ? NULL : s->slices, cap * sizeof(*v));

		if (!v)
			return;
		if (was_inline)
			memcpy(v, s->inline_slices, sizeof(s->inline_slices));
		s->slices = v;
		s->cap = cap;
	}
	s->slices[s->n_slices++] = es;
	mark_dirty(a, key);
}

static void service_set(struct agent *a, const struct k8s_service *old,
			const struct k8s_service *svc)
{
	const struct k8s_service *any = svc ? svc : old;
	char key[512];
	struct agent_svc *s;

	owner_key(&any->meta, any->meta.name, key, sizeof(key));
	s = svc_entry(a, key, svc != NULL);
	if (!s)
		return;
	s->svc = svc;
	mark_dirty(a, key);
	svc_entry_maybe_free(a, key, s);
}

/* This node's Node: its address and pod CIDR go to the datapath and the
 * node state file (unless set by option). */
static void node_set(struct agent *a, const struct k8s_node *n)
{
	bool changed = false;

	if (strcmp(n->meta.name, a->o.node_name))
		return;
	if (!a->o.node_ip[0] && n->internal_ip && n->internal_ip != a->node_ip) {
		a->node_ip = n->internal_ip;
		changed = true;
	}
	if (!a->o.pod_cidr[0] && n->pod_cidr &&
	    (n->pod_cidr != a->pod_cidr || n->pod_cidr_len != a->pod_cidr_len)) {
		a->pod_cidr = n->pod_cidr;
		a->pod_cidr_len = n->pod_cidr_len;
		changed = true;
	}
	if (changed || !a->node_state_written)
		agent_dp_set_node(a);
}

static void routes_set(struct agent *a, const struct k8s_node *n)
{
	if (node_routes_set(a->routes, n->meta.name, n->pod_cidr, n->pod_cidr_len, n->internal_ip))
		log_error("route_state_failed", "node=%s error=\"out of memory\"", n->meta.name);
}

/* Routes follow the Node list once it is complete; a route the kernel
 * refused is retried a second later. */
static void routes_sync(struct agent *a)
{
	time_t now = time(NULL);
	int err;

	if (!a->synced[K8S_NODE] || !node_routes_dirty(a->routes) || now < a->routes_retry)
		return;
	err = node_routes_sync(a->routes, &a->route_stats);
	if (err)
		log_error("route_sync_failed", "error=\"%s\"", strerror(-err));
	/* Next hops cached in the flow caches follow at once, not at the
	 * next tick. */
	if (a->dp_loaded)
		dp_flow_cache_flush(&a->dp);
	if (err || node_routes_dirty(a->routes))
		a->routes_retry = now + 1;
}

/* The callbacks run inside the client's poll; the HTTP thread may be
 * reading the index at the same time. */
static void on_upsert(void *ctx, enum k8s_kind kind, const void *old, const void *obj)
{
	struct agent *a = ctx;

	pthread_mutex_lock(&a->lock);
	switch (kind) {
	case K8S_SERVICE:
		service_set(a, old, obj);
		break;
	case K8S_ENDPOINT_SLICE:
		if (old)
			slice_detach(a, old);
		slice_attach(a, obj);
		break;
	case K8S_NODE:
		node_set(a, obj);
		routes_set(a, obj);
		break;
	default:
		break; /* cached for NetworkPolicy, which comes next */
	}
	pthread_mutex_unlock(&a->lock);
}

static void on_remove(void *ctx, enum k8s_kind kind, const void *old)
{
	struct agent *a = ctx;

	pthread_mutex_lock(&a->lock);
	if (kind == K8S_SERVICE)
		service_set(a, old, NULL);
	else if (kind == K8S_ENDPOINT_SLICE)
		slice_detach(a, old);
	else if (kind == K8S_NODE)
		node_routes_remove(a->routes, ((const struct k8s_node *)old)->meta.name);
	pthread_mutex_unlock(&a->lock);
}

static void on_synced(void *ctx, enum k8s_kind kind)
{
	struct agent *a = ctx;

	pthread_mutex_lock(&a->lock);
	a->synced[kind] = true;
	if (kind == K8S_SERVICE || kind == K8S_ENDPOINT_SLICE)
		a->resync = true;
	pthread_mutex_unlock(&a->lock);
}

static int apply_one(struct agent *a, const char *key, struct agent_svc *s)
{
	struct lb_entries e;
	int err;

	if (!s || !s->svc)
		return reconciler_remove(a->rec, key);
	err = translate_service(s->svc, s->slices, s->n_slices, a->o.node_name, &e);
	if (err)
		return err;
	err = reconciler_apply(a->rec, key, &e);
	lb_entries_free(&e);
	return err;
}

static void log_apply_error(const char *key, int err)
{
	log_warn("service_sync_failed", "service=%s error=\"%s\"", key, strerror(-err));
}

/* A full sync: every known service applied, then everything else swept. */
static void full_sync(struct agent *a)
{
	struct htab_iter it = { 0 };
	const void *k;
	size_t klen;
	struct agent_svc *s;
	struct timespec t0;
	char key[512];
	int err;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	reconciler_begin_sync(a->rec);
	while ((s = htab_next(a->svcs, &it, &k, &klen))) {
		snprintf(key, sizeof(key), "%.*s", (int)klen, (const char *)k);
		err = apply_one(a, key, s);
		if (err)
			log_apply_error(key, err);
	}
	err = reconciler_end_sync(a->rec);
	if (err)
		log_warn("sync_sweep_failed", "error=\"%s\"", strerror(-err));
	a->full_sync_s = since(&t0);
	log_info("sync_done", "services=%u backends=%u duration_ms=%.1f",
		 (unsigned int)reconciler_stats(a->rec)->services,
		 (unsigned int)reconciler_stats(a->rec)->backends, a->full_sync_s * 1e3);
	/* A (re)list decoded every object from large responses whose parse
	 * trees are gone now: hand the freed pages back rather than keep the
	 * peak for the agent's life. */
	malloc_trim(0);
}

void agent_k8s_process(struct agent *a)
{
	struct htab_iter it = { 0 };
	struct timespec *t;
	const void *k;
	size_t klen;
	char key[512];
	int err;

	routes_sync(a);
	if (!a->dp_loaded || !a->synced[K8S_SERVICE] || !a->synced[K8S_ENDPOINT_SLICE])
		return;
	if (a->resync || !a->lb_synced) {
		/* A (re)list replaced the caches: one full sync covers every
		 * change since. */
		full_sync(a);
		while ((t = htab_next(a->dirty, &it, &k, &klen))) {
			histogram_observe(&a->event_to_map, since(t));
			free(htab_del(a->dirty, k, klen));
		}
		a->resync = false;
		a->lb_synced = true;
		return;
	}
	while ((t = htab_next(a->dirty, &it, &k, &klen))) {
		snprintf(key, sizeof(key), "%.*s", (int)klen, (const char *)k);
		err = apply_one(a, key, htab_get(a->svcs, k, klen));
		if (err)
			log_apply_error(key, err);
		else
			log_debug("service_synced", "service=%s", key);
		histogram_observe(&a->event_to_map, since(t));
		free(htab_del(a->dirty, k, klen));
	}
}

static const char *const field_selectors[K8S_KIND_MAX] = {
	[K8S_POD] = "spec.nodeName=%s",
};

/* The kinds the agent runs an informer for: every kind the decoder knows
 * a collection path for. --print-resources and the informers both ask
 * this, so the DaemonSet's ClusterRole is checked against what runs. */
static bool kind_watched(enum k8s_kind kind)
{
	return k8s_kind_path(kind) && k8s_kind_resource(kind);
}

/* The API group of a collection path: "" for /api/v1/..., G for
 * /apis/G/V/.... */
static void path_group(const char *path, char *out, size_t len)
{
	const char *g, *end;

	out[0] = '\0';
	if (strncmp(path, "/apis/", 6))
		return;
	g = path + 6;
	end = strchr(g, '/');
	snprintf(out, len, "%.*s", end ? (int)(end - g) : (int)strlen(g), g);
}

void agent_k8s_print_resources(FILE *out)
{
	char group[128];

	for (int kind = 0; kind < K8S_KIND_MAX; kind++) {
		if (!kind_watched(kind))
			continue;
		path_group(k8s_kind_path(kind), group, sizeof(group));
		fprintf(out, "%s/%s\n", group, k8s_kind_resource(kind));
	}
}

int agent_k8s_start(struct agent *a, char *err, size_t len)
{
	struct informer_handler h = {
		.upsert = on_upsert,
		.remove = on_remove,
		.synced = on_synced,
		.ctx = a,
	};
	struct kube_config cfg;
	char fs[300];
	int ret;

	a->svcs = htab_new();
	a->dirty = htab_new();
	a->routes = node_routes_new(a->o.node_name);
	if (!a->svcs || !a->dirty || !a->routes) {
		snprintf(err, len, "out of memory");
		return -ENOMEM;
	}
	ret = kube_config_load(&cfg, a->o.kubeconfig[0] ? a->o.kubeconfig : NULL, err, len);
	if (ret)
		return ret;
	a->kube = kube_client_new(&cfg, err, len);
	kube_config_free(&cfg);
	if (!a->kube)
		return -EINVAL;
	for (int kind = 0; kind < K8S_KIND_MAX; kind++) {
		struct informer_spec spec = {
			.kind = kind,
			.path = k8s_kind_path(kind),
			.resource = k8s_kind_resource(kind),
			.decode = k8s_decode,
			.free_obj = k8s_free,
			.watch_timeout_s = a->o.watch_timeout,
		};

		if (!kind_watched(kind))
			continue;
		if (field_selectors[kind]) {
			snprintf(fs, sizeof(fs), field_selectors[kind], a->o.node_name);
			spec.field_selector = fs;
		}
		a->inf[kind] = kube_informer_add(a->kube, &spec, &h, err, len);
		if (!a->inf[kind])
			return -ENOMEM;
	}
	return 0;
}

int agent_k8s_poll(struct agent *a, int timeout_ms)
{
	return kube_client_poll(a->kube, timeout_ms);
}

static void svc_free(void *p)
{
	struct agent_svc *s = p;

	if (s)
		svc_slices_free(s);
	free(s);
}

void agent_k8s_stop(struct agent *a)
{
	kube_client_free(a->kube);
	a->kube = NULL;
	htab_free(a->svcs, svc_free);
	htab_free(a->dirty, free);
	a->svcs = a->dirty = NULL;
	node_routes_free(a->routes);
	a->routes = NULL;
}
