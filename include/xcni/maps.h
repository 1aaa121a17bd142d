/* Datapath limits and names: the map names are the pin names under
 * <bpffs root>/maps. Sizes are defaults; the loader sets them at load. */
#ifndef XCNI_MAPS_H
#define XCNI_MAPS_H

#include "types.h"

#define XCNI_MAX_SERVICES 65536
#define XCNI_MAX_BACKENDS 65536
#define XCNI_MAX_CT 262144
#define XCNI_MAX_AFFINITY 65536
#define XCNI_MAX_ENDPOINTS 4096

/* A pod on this node: where to deliver its traffic. */
struct endpoint {
	__u32 ifindex; /* its host-side veth */
	__u8 pod_mac[6];
	__u8 host_mac[6];
};

/* Node-wide settings, written by the loader (index 0 of "dp_config_map"). */
struct dp_config {
	__be32 node_ip; /* source of SNAT for NodePort traffic to remote backends */
	__u32 maglev_m;
	__u32 clock; /* seconds, advanced by user space: no helper on the fast path */
	/* The cluster's pod CIDR (0/0: none): traffic between pods is routed
	 * by tc_pod itself, past the stack's netfilter. */
	__be32 cluster_net;
	__be32 cluster_mask;
};

/* Map-full events per map, so a full map is counted, never silent. */
enum map_id {
	MAP_CT,
	MAP_AFFINITY,
	MAP_MAX,
};

#endif
