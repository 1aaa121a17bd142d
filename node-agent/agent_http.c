/* The agent's HTTP endpoints: /metrics (Prometheus text, xcni_ prefix),
 * /healthz (the loop is alive), /readyz (datapath loaded and first sync
 * applied) and /status (JSON, for xcnictl). */
#include <arpa/inet.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <cjson/cJSON.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "agent.h"
#include "http_server.h"
#include "informer.h"
#include "stat_names.h"

/* Entries in a hash map, counted by walking its keys. */
static unsigned int map_count(int fd, size_t key_size)
{
	unsigned char k[64], next[64];
	unsigned int n = 0;
	void *prev = NULL;

	if (fd < 0 || key_size > sizeof(k))
		return 0;
	while (!bpf_map_get_next_key(fd, prev, next)) {
		memcpy(k, next, key_size);
		prev = k;
		n++;
	}
	return n;
}

static unsigned int map_capacity(int fd)
{
	struct bpf_map_info info = { 0 };
	__u32 len = sizeof(info);

	if (fd < 0 || bpf_obj_get_info_by_fd(fd, &info, &len))
		return 0;
	return info.max_entries;
}

static void write_datapath(struct agent *a, FILE *out)
{
	struct stat_value st[STAT_MAX];
	uint64_t full[MAP_MAX] = { 0 };

	if (!a->dp_loaded || dp_stats_read(&a->dp, st))
		return;
	fprintf(out, "# HELP xcni_datapath_packets_total Packets by datapath action or drop "
		     "reason, summed over CPUs.\n# TYPE xcni_datapath_packets_total counter\n");
	for (int i = 0; i < STAT_MAX; i++)
		fprintf(out, "xcni_datapath_packets_total{reason=\"%s\",kind=\"%s\"} %llu\n",
			stat_name(i), stat_kind(i), (unsigned long long)st[i].packets);
	fprintf(out, "# HELP xcni_datapath_bytes_total Bytes by datapath action or drop reason.\n"
		     "# TYPE xcni_datapath_bytes_total counter\n");
	for (int i = 0; i < STAT_MAX; i++)
		fprintf(out, "xcni_datapath_bytes_total{reason=\"%s\",kind=\"%s\"} %llu\n",
			stat_name(i), stat_kind(i), (unsigned long long)st[i].bytes);

	fprintf(out,
		"# HELP xcni_map_entries Entries in each datapath map.\n"
		"# TYPE xcni_map_entries gauge\n"
		"xcni_map_entries{map=\"services\"} %u\n"
		"xcni_map_entries{map=\"backends\"} %u\n"
		"xcni_map_entries{map=\"conntrack\"} %u\n"
		"xcni_map_entries{map=\"endpoints\"} %u\n"
		"xcni_map_entries{map=\"affinity\"} %u\n",
		reconciler_stats(a->rec)->services, reconciler_stats(a->rec)->backends,
		a->ct_entries, map_count(a->dp.fd_endpoints, sizeof(uint32_t)),
		map_count(a->dp.fd_affinity, sizeof(struct affinity_key)));
	fprintf(out,
		"# HELP xcni_map_capacity Size each datapath map was created with.\n"
		"# TYPE xcni_map_capacity gauge\n"
		"xcni_map_capacity{map=\"services\"} %u\n"
		"xcni_map_capacity{map=\"backends\"} %u\n"
		"xcni_map_capacity{map=\"conntrack\"} %u\n"
		"xcni_map_capacity{map=\"endpoints\"} %u\n"
		"xcni_map_capacity{map=\"affinity\"} %u\n",
		map_capacity(a->dp.fd_services), map_capacity(a->dp.fd_backends),
		map_capacity(a->dp.fd_ct), map_capacity(a->dp.fd_endpoints),
		map_capacity(a->dp.fd_affinity));

	for (uint32_t i = 0; i < MAP_MAX; i++) {
		uint64_t percpu[512] = { 0 };
		int ncpu = libbpf_num_possible_cpus();

		if (ncpu > 0 && ncpu <= 512 && !bpf_map_lookup_elem(a->dp.fd_map_full, &i, percpu))
			for (int c = 0; c < ncpu; c++)
				full[i] += percpu[c];
	}
	fprintf(out,
		"# HELP xcni_map_full_total Inserts a full map refused.\n"
		"# TYPE xcni_map_full_total counter\n"
		"xcni_map_full_total{map=\"conntrack\"} %llu\n"
		"xcni_map_full_total{map=\"affinity\"} %llu\n",
		(unsigned long long)full[MAP_CT], (unsigned long long)full[MAP_AFFINITY]);
	fprintf(out,
		"# HELP xcni_conntrack_gc_expired_total Conntrack pairs expired by GC.\n"
		"# TYPE xcni_conntrack_gc_expired_total counter\n"
		"xcni_conntrack_gc_expired_total %llu\n",
		(unsigned long long)a->ct_expired);
}

static uint64_t restarts(const struct informer_stats *s)
{
	uint64_t n = 0;

	for (int i = 0; i < INFORMER_CAUSE_MAX; i++)
		n += s->watch_restarts[i];
	return n;
}

/* Watch restarts by cause, per resource. */
static void write_restarts(struct agent *a, FILE *out)
{
	fprintf(out, "# HELP xcni_watch_restarts_by_cause_total Watches ended, by cause.\n"
		     "# TYPE xcni_watch_restarts_by_cause_total counter\n");
	for (int k = 0; k < K8S_KIND_MAX; k++) {
		struct informer_stats s;

		if (!a->inf[k])
			continue;
		informer_get_stats(a->inf[k], &s);
		for (int c = 0; c < INFORMER_CAUSE_MAX; c++)
			if (s.watch_restarts[c])
				fprintf(out,
					"xcni_watch_restarts_by_cause_total{resource=\"%s\",cause=\"%s\"} %llu\n",
					k8s_kind_resource(k), informer_cause_name(c),
					(unsigned long long)s.watch_restarts[c]);
	}
}

static void write_informers(struct agent *a, FILE *out)
{
	static const char *const names[] = {
		"xcni_watch_lists_total",	    "xcni_watch_relists_total",
		"xcni_watch_restarts_total",	    "xcni_watch_events_total",
		"xcni_watch_events_rejected_total",
	};
	static const char *const help[] = {
		"LIST requests completed",
		"Relists after 410, 504 or a rejected event",
		"Watches started again (clean end, drop, error)",
		"Watch events applied",
		"Watch events or list responses rejected whole",
	};

	for (size_t m = 0; m < sizeof(names) / sizeof(names[0]); m++) {
		fprintf(out, "# HELP %s %s, per resource.\n# TYPE %s counter\n", names[m], help[m],
			names[m]);
		for (int k = 0; k < K8S_KIND_MAX; k++) {
			struct informer_stats s;
			uint64_t v;

			if (!a->inf[k])
				continue;
			informer_get_stats(a->inf[k], &s);
			v = m == 0 ? s.lists :
			    m == 1 ? s.relists :
			    m == 2 ? restarts(&s) :
			    m == 3 ? s.events_applied :
				     s.events_rejected + s.list_failures;
			fprintf(out, "%s{resource=\"%s\"} %llu\n", names[m], k8s_kind_resource(k),
				(unsigned long long)v);
		}
	}
}

static int metrics(void *ctx, FILE *out)
{
	struct agent *a = ctx;
	const struct reconcile_stats *rs = a->rec ? reconciler_stats(a->rec) : NULL;

	write_datapath(a, out);
	fprintf(out, "# HELP xcni_xdp_attach_mode XDP attachment per device (1 for its mode).\n"
		     "# TYPE xcni_xdp_attach_mode gauge\n");
	for (int i = 0; i < a->n_devices; i++)
		fprintf(out, "xcni_xdp_attach_mode{device=\"%s\",mode=\"%s\"} 1\n",
			a->devices[i].name, a->devices[i].mode);
	write_informers(a, out);
	write_restarts(a, out);
	histogram_write(&a->event_to_map, out, "xcni_event_to_map_seconds", "");
	if (rs)
		fprintf(out,
			"# TYPE xcni_reconcile_writes_total counter\n"
			"xcni_reconcile_writes_total{op=\"service_set\"} %llu\n"
			"xcni_reconcile_writes_total{op=\"service_delete\"} %llu\n"
			"xcni_reconcile_writes_total{op=\"backend_set\"} %llu\n"
			"xcni_reconcile_writes_total{op=\"backend_delete\"} %llu\n"
			"# TYPE xcni_reconcile_errors_total counter\n"
			"xcni_reconcile_errors_total %llu\n",
			(unsigned long long)rs->services_set,
			(unsigned long long)rs->services_deleted,
			(unsigned long long)rs->backends_set,
			(unsigned long long)rs->backends_deleted, (unsigned long long)rs->errors);
	fprintf(out,
		"# HELP xcni_node_routes Routes to other nodes' pod CIDRs in place.\n"
		"# TYPE xcni_node_routes gauge\nxcni_node_routes %u\n"
		"# HELP xcni_node_route_failures Routes the kernel refused at the last sync.\n"
		"# TYPE xcni_node_route_failures gauge\nxcni_node_route_failures %u\n",
		a->route_stats.routes, a->route_stats.failed);
	fprintf(out, "# TYPE xcni_ready gauge\nxcni_ready %d\n", a->dp_loaded && a->lb_synced);
	fprintf(out,
		"# HELP xcni_full_sync_seconds How long the last full sync (every service applied, "
		"the rest swept) took.\n# TYPE xcni_full_sync_seconds gauge\n"
		"xcni_full_sync_seconds %.6f\n",
		a->full_sync_s);
	return 200;
}

static int healthz(void *ctx, FILE *out)
{
	struct agent *a = ctx;

	/* The loop wakes at least every second. */
	if (time(NULL) - a->last_loop > 30) {
		fprintf(out, "event loop stalled\n");
		return 503;
	}
	fprintf(out, "ok\n");
	return 200;
}

static int readyz(void *ctx, FILE *out)
{
	struct agent *a = ctx;

	if (!a->dp_loaded) {
		fprintf(out, "datapath not loaded\n");
		return 503;
	}
	if (!a->lb_synced) {
		fprintf(out, "services and endpointslices not synced yet\n");
		return 503;
	}
	fprintf(out, "ok\n");
	return 200;
}

static int status(void *ctx, FILE *out)
{
	struct agent *a = ctx;
	cJSON *root = cJSON_CreateObject(), *devs, *infs;
	char ip[INET_ADDRSTRLEN] = "", *text;

	if (!root)
		return 500;
	cJSON_AddStringToObject(root, "node", a->o.node_name);
	cJSON_AddStringToObject(root, "bpffsRoot", a->o.bpffs_root);
	cJSON_AddStringToObject(root, "nodeStateFile", a->o.node_state_file);
	if (a->node_ip)
		inet_ntop(AF_INET, &a->node_ip, ip, sizeof(ip));
	cJSON_AddStringToObject(root, "nodeIP", ip);
	cJSON_AddBoolToObject(root, "datapathLoaded", a->dp_loaded);
	cJSON_AddBoolToObject(root, "synced", a->lb_synced);
	cJSON_AddBoolToObject(root, "nodeStateWritten", a->node_state_written);
	cJSON_AddNumberToObject(root, "uptimeSeconds", (double)(time(NULL) - a->started));
	if (a->rec) {
		cJSON_AddNumberToObject(root, "services", reconciler_stats(a->rec)->services);
		cJSON_AddNumberToObject(root, "backends", reconciler_stats(a->rec)->backends);
	}
	cJSON_AddNumberToObject(root, "adoptedServices", a->adopted_services);
	cJSON_AddNumberToObject(root, "nodeRoutes", a->route_stats.routes);
	devs = cJSON_AddArrayToObject(root, "devices");
	for (int i = 0; devs && i < a->n_devices; i++) {
		cJSON *d = cJSON_CreateObject();

		cJSON_AddStringToObject(d, "name", a->devices[i].name);
		cJSON_AddNumberToObject(d, "ifindex", a->devices[i].ifindex);
		cJSON_AddStringToObject(d, "xdpMode", a->devices[i].mode);
		cJSON_AddItemToArray(devs, d);
	}
	infs = cJSON_AddObjectToObject(root, "informers");
	for (int k = 0; infs && k < K8S_KIND_MAX; k++) {
		struct informer_stats s;
		cJSON *o;

		if (!a->inf[k])
			continue;
		informer_get_stats(a->inf[k], &s);
		o = cJSON_AddObjectToObject(infs, k8s_kind_resource(k));
		cJSON_AddBoolToObject(o, "synced", a->synced[k]);
		cJSON_AddStringToObject(o, "resourceVersion", s.last_rv ? s.last_rv : "");
		cJSON_AddNumberToObject(o, "lists", (double)s.lists);
		cJSON_AddNumberToObject(o, "relists", (double)s.relists);
		cJSON_AddNumberToObject(o, "watchRestarts", (double)restarts(&s));
		cJSON_AddNumberToObject(o, "events", (double)s.events_applied);
		cJSON_AddNumberToObject(o, "objects", (double)s.objects);
	}
	text = cJSON_Print(root);
	cJSON_Delete(root);
	if (!text)
		return 500;
	fprintf(out, "%s\n", text);
	free(text);
	return 200;
}

static const struct http_route routes[] = {
	{ "/metrics", "text/plain; version=0.0.4", metrics },
	{ "/healthz", "text/plain", healthz },
	{ "/readyz", "text/plain", readyz },
	{ "/status", "application/json", status },
	{ 0 },
};

struct http_server *agent_http_start(struct agent *a, char *err, size_t len)
{
	return http_server_start(a->o.metrics_address, routes, a, &a->lock, err, len);
}
