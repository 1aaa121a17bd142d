/* From a Service and its EndpointSlices to the datapath's service entries:
 * one entry per (address, port, protocol) the service answers on, each with
 * the backends that take new flows there. Pure: no maps, no I/O. */
#ifndef XCNI_TRANSLATE_H
#define XCNI_TRANSLATE_H

#include <stddef.h>
#include <stdint.h>

#include "k8s.h"
#include "xcni/lb.h"

struct lb_backend {
	uint32_t ip; /* network order */
	uint16_t port; /* network order */
};

struct lb_entry {
	struct svc_key key;
	uint16_t flags; /* SVC_F_* */
	uint32_t affinity_timeout;
	struct lb_backend *backends; /* sorted by (ip, port), no duplicates */
	size_t n_backends;
};

struct lb_entries {
	struct lb_entry *v;
	size_t n;
};

/* Translates svc with its slices (those labelled with its name, in its
 * namespace) for the node named node_name: ClusterIP, NodePort (vip 0),
 * LoadBalancer ingress IPs and externalIPs, TCP and UDP ports. Only ready
 * endpoints take new flows; when a port has none, serving and terminating
 * ones do (as kube-proxy does). externalTrafficPolicy Local keeps the
 * node-facing entries (NodePort, LoadBalancer, externalIPs) to this node's
 * endpoints (dropping traffic when only other nodes have some). Headless and
 * ExternalName services give no entries.
 * Returns 0 or -ENOMEM; out is freed with lb_entries_free. */
int translate_service(const struct k8s_service *svc, const struct k8s_endpoint_slice *const *slices,
		      size_t n_slices, const char *node_name, struct lb_entries *out);
void lb_entries_free(struct lb_entries *e);

/* Orders entries by key, for diffs and for tests. */
int lb_key_cmp(const struct svc_key *a, const struct svc_key *b);

#endif
