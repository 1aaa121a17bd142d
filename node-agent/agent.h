/* xcni-agent's state: its options, the datapath it owns, the cluster state
 * it watches and the reconciler between the two. One event loop (the
 * Kubernetes client's curl multi) drives it; the HTTP thread reads it
 * under the lock. */
#ifndef XCNI_AGENT_H
#define XCNI_AGENT_H

#include <limits.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include "dp.h"
#include "histogram.h"
#include "k8s.h"
#include "node_routes.h"
#include "reconcile.h"

#define AGENT_MAX_DEVICES 8

struct agent_opts {
	char node_name[256];
	char kubeconfig[PATH_MAX]; /* "": in-cluster */
	char bpffs_root[PATH_MAX];
	char devices[512]; /* comma-separated; "": the default route's device */
	char xdp_mode[16]; /* auto | native | generic | offload */
	char node_state_file[PATH_MAX];
	char metrics_address[64];
	char log_level[16];
	char node_ip[64]; /* "": the Node's InternalIP */
	char pod_cidr[64]; /* "": the Node's podCIDR */
	char cluster_cidr[64]; /* all pods' CIDR: routed by the datapath; "": by the stack */
	unsigned int mtu; /* 0: the first device's */
	unsigned int maglev_m;
	unsigned int max_services, max_backends, max_conntrack, max_endpoints;
	unsigned int ct_gc_interval; /* seconds */
	unsigned int watch_timeout; /* seconds; 0: random 300..600 as client-go */
	bool cleanup;
	bool print_config; /* --print-config: show the effective options, exit */
};

struct agent_device {
	char name[64];
	int ifindex;
	char mode[16]; /* the XDP mode it got */
};

struct agent_svc; /* a service with its slices, by "ns/name" */

struct agent {
	struct agent_opts o;
	pthread_mutex_t lock;
	struct datapath dp;
	bool dp_loaded;
	struct agent_device devices[AGENT_MAX_DEVICES];
	int n_devices;
	struct reconciler *rec;
	unsigned int adopted_services, adopted_backends;

	/* Cluster state. */
	struct kube_client *kube;
	struct informer *inf[K8S_KIND_MAX];
	struct htab *svcs; /* "ns/name" -> struct agent_svc */
	struct htab *dirty; /* "ns/name" -> event time (struct timespec *) */
	bool synced[K8S_KIND_MAX];
	bool lb_synced; /* services and slices both listed, first sync applied */
	bool resync; /* a relist happened: sweep after the next apply */
	uint32_t node_ip; /* network order */
	uint32_t pod_cidr;
	uint8_t pod_cidr_len;
	bool node_state_written;
	struct node_routes *routes; /* to the other nodes' pod CIDRs */
	struct node_routes_stats route_stats; /* as of the last sync */
	time_t routes_retry;

	/* Observability. */
	struct histogram event_to_map;
	double full_sync_s; /* how long the last full sync took */
	time_t last_ct_gc;
	uint64_t ct_gc_runs, ct_expired;
	unsigned int ct_entries; /* as of the last GC scan */
	time_t started, last_loop;
	volatile bool stop;
};

/* agent_opts.c */
int agent_opts_parse(struct agent_opts *o, int argc, char **argv, char *err, size_t len);
void agent_opts_usage(FILE *out);
void agent_opts_print_names(FILE *out);
int agent_opts_print_config(const struct agent_opts *o, FILE *out);

/* agent_dp.c: bring-up, timers and teardown of the datapath. */
int agent_dp_start(struct agent *a, char *err, size_t len);
void agent_dp_tick(struct agent *a, time_t now);
int agent_dp_set_node(struct agent *a);
int agent_cleanup(const struct agent_opts *o, char *err, size_t len);
void agent_dp_stop(struct agent *a);

/* agent_k8s.c: informers, the service index and the reconcile step. */
int agent_k8s_start(struct agent *a, char *err, size_t len);
void agent_k8s_process(struct agent *a);
void agent_k8s_stop(struct agent *a);
int agent_k8s_poll(struct agent *a, int timeout_ms);
/* --print-resources: "GROUP/RESOURCE" per watched kind (core: empty group). */
void agent_k8s_print_resources(FILE *out);

/* agent_http.c */
struct http_server *agent_http_start(struct agent *a, char *err, size_t len);

#endif
