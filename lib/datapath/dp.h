/* The datapath from user space: loading both programs over one set of
 * maps, and the operations the agent (and the tests) program them with. */
#ifndef XCNI_DP_H
#define XCNI_DP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "xcni/ct.h"
#include "xcni/lb.h"
#include "xcni/maps.h"
#include "xcni/stats.h"

struct xdp_node;
struct tc_pod;

/* Map sizes and node settings, set at load; 0 takes the default. */
struct dp_opts {
	uint32_t maglev_m; /* prime */
	uint32_t max_services;
	uint32_t max_backends;
	uint32_t max_ct;
	uint32_t max_affinity;
	uint32_t max_endpoints;
	uint32_t node_ip; /* network order */
	uint32_t cluster_net, cluster_mask; /* network order; 0: no pod routing */
	/* A bpffs root (mounted if need be) to pin maps and programs under and
	 * to reuse pinned maps from; NULL: nothing pinned. See dp_pin.h. */
	const char *pin_root;
};

struct datapath {
	struct xdp_node *xdp;
	struct tc_pod *tc;
	uint32_t maglev_m;
	uint32_t maglev_flags; /* the tables' map flags (those pinned before, if any) */
	int fd_services, fd_backends, fd_maglev, fd_ct, fd_affinity, fd_endpoints;
	int fd_config, fd_stats, fd_map_full, fd_tx_ports, fd_svc_backends, fd_flow_gen;
	int prog_xdp, prog_tc;
	/* Opened by dp_open_pinned: the fds are ours to close, not libbpf's. */
	bool pinned_open;
	/* What a load with a pin root did with the maps it found pinned. */
	unsigned int maps_reused, maps_migrated, maps_created;
};

/* Returns 0 or a negative errno; msg (size len) says what failed, or on
 * success what is worth logging (maps migrated), else "". */
int dp_load(struct datapath *dp, const struct dp_opts *o, char *msg, size_t len);
void dp_close(struct datapath *dp);

int dp_config_get(const struct datapath *dp, struct dp_config *cfg);
int dp_clock_set(const struct datapath *dp, uint32_t now);

int dp_backend_set(const struct datapath *dp, uint32_t id, const struct backend *b);
int dp_backend_del(const struct datapath *dp, uint32_t id);
/* Installs (or replaces) a service and its Maglev table built from ids;
 * the table is complete before the service points at it. */
int dp_service_set(const struct datapath *dp, const struct svc_key *k, const struct svc_value *v,
		   const uint32_t *ids, size_t n);
int dp_service_del(const struct datapath *dp, const struct svc_key *k);
/* The same for a caller that knows the service's current members (old):
 * no table read-back, and an existing table is rewritten in place rather
 * than replaced (no RCU wait): the agent's path, about 100x faster. */
int dp_service_update(const struct datapath *dp, const struct svc_key *k, const struct svc_value *v,
		      const uint32_t *ids, size_t n, const uint32_t *old, size_t n_old);
/* Removes the service and its memberships; its table stays for reuse. */
int dp_service_remove(const struct datapath *dp, const struct svc_key *k, uint32_t svc_id,
		      const uint32_t *old, size_t n_old);
int dp_endpoint_set(const struct datapath *dp, uint32_t pod_ip, const struct endpoint *ep);
int dp_endpoint_del(const struct datapath *dp, uint32_t pod_ip);
int dp_tx_port_add(const struct datapath *dp, int ifindex);

/* Per-reason packets and bytes, summed over CPUs. */
int dp_stats_read(const struct datapath *dp, struct stat_value out[STAT_MAX]);

struct ct_gc_result {
	unsigned int scanned;
	unsigned int expired;
};

/* Expires conntrack pairs idle past their timeout at clock now: both
 * directions go together, a FIN/RST-marked flow after CT_TIMEOUT_TCP_CLOSING. */
int dp_ct_gc(const struct datapath *dp, uint32_t now, struct ct_gc_result *r);

/* Every CPU's flow cache forgets what it holds: call after deleting or
 * rewriting conntrack entries from user space (dp_ct_gc does). The
 * service, endpoint and config writers here call it themselves. */
int dp_flow_cache_flush(const struct datapath *dp);

#endif
