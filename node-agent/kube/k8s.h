/* Kubernetes objects as the agent uses them: decoded from the API's JSON
 * into plain C structs, checked whole (a wrong type anywhere rejects the
 * object), so nothing half-decoded reaches the cache or the datapath.
 *
 * Every object struct starts with struct k8s_meta, so the informer can
 * key, compare and free any kind through the generic calls below. IPv4
 * addresses are uint32_t in network byte order; 0 means absent. */
#ifndef XCNI_K8S_H
#define XCNI_K8S_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

enum k8s_kind {
	K8S_SERVICE,
	K8S_ENDPOINT_SLICE,
	K8S_NODE,
	K8S_POD,
	K8S_NAMESPACE,
	K8S_NETWORK_POLICY,
	K8S_KIND_MAX,
};

struct k8s_label {
	char *key;
	char *value;
};

struct k8s_meta {
	char *name;
	char *ns; /* NULL for cluster-scoped kinds */
	char *uid;
	char *resource_version;
	struct k8s_label *labels;
	size_t n_labels;
};

/* A label selector (NetworkPolicy podSelector/namespaceSelector). */
enum k8s_sel_op {
	K8S_SEL_IN,
	K8S_SEL_NOT_IN,
	K8S_SEL_EXISTS,
	K8S_SEL_DOES_NOT_EXIST,
};

struct k8s_sel_expr {
	char *key;
	enum k8s_sel_op op;
	char **values;
	size_t n_values;
};

struct k8s_selector {
	bool present; /* absent differs from empty ({}: selects everything) */
	struct k8s_label *match_labels;
	size_t n_match_labels;
	struct k8s_sel_expr *exprs;
	size_t n_exprs;
};

/* A port that is a number or a name (Service targetPort, policy port). */
struct k8s_port_ref {
	uint16_t num; /* 0 when named or absent */
	char *name; /* NULL when numeric or absent */
};

enum k8s_service_type {
	K8S_SVC_CLUSTER_IP,
	K8S_SVC_NODE_PORT,
	K8S_SVC_LOAD_BALANCER,
	K8S_SVC_EXTERNAL_NAME,
};

struct k8s_service_port {
	const char *name; /* "" when unnamed */
	uint8_t proto; /* IPPROTO_TCP, IPPROTO_UDP or IPPROTO_SCTP */
	uint16_t port;
	uint16_t node_port; /* 0: none */
	struct k8s_port_ref target_port; /* absent: same as port */
};

struct k8s_service {
	struct k8s_meta meta;
	enum k8s_service_type type;
	bool headless; /* clusterIP "None" */
	uint32_t cluster_ip; /* first IPv4 of clusterIP(s); 0: none */
	struct k8s_service_port *ports;
	size_t n_ports;
	uint32_t *external_ips; /* IPv4 only; IPv6 entries are skipped */
	size_t n_external_ips;
	uint32_t *lb_ips; /* status.loadBalancer.ingress[].ip (IPv4) */
	size_t n_lb_ips;
	bool etp_local; /* externalTrafficPolicy: Local ("Global" = Cluster) */
	bool itp_local; /* internalTrafficPolicy: Local */
	bool affinity_client_ip;
	uint32_t affinity_timeout; /* seconds; default 10800 with ClientIP */
	void *block; /* ports, addresses and their strings: one allocation */
};

/* One endpoint, in 8 bytes: a cluster has hundreds of thousands. Only
 * the first IPv4 address is kept: the API gives the others no meaning
 * (the EndpointSlice controller writes one; kube-proxy reads the first). */
#define K8S_NO_NODE UINT16_MAX
struct k8s_endpoint {
	uint32_t addr; /* 0: none (IPv6 and FQDN slices, or no IPv4 given) */
	uint16_t node; /* index into the slice's node_names; K8S_NO_NODE: unknown */
	/* API defaults applied: ready nil = true, serving nil = ready,
	 * terminating nil = false. */
	bool ready : 1;
	bool serving : 1;
	bool terminating : 1;
};

struct k8s_slice_port {
	const char *name; /* "" when unnamed */
	uint8_t proto;
	uint16_t port; /* 0: "all ports" (no port value) */
};

enum k8s_address_type {
	K8S_ADDR_IPV4,
	K8S_ADDR_IPV6,
	K8S_ADDR_FQDN,
};

/* The labels are checked but not kept (meta.n_labels is 0): the one the
 * agent reads is service_name. The arrays and strings share one block. */
struct k8s_endpoint_slice {
	struct k8s_meta meta;
	const char *service_name; /* label kubernetes.io/service-name; NULL: none */
	enum k8s_address_type address_type;
	struct k8s_endpoint *endpoints; /* null, absent and [] all give 0 */
	size_t n_endpoints;
	struct k8s_slice_port *ports;
	size_t n_ports;
	const char **node_names; /* each distinct nodeName once */
	size_t n_node_names;
	void *block; /* what the pointers above point into */
};

/* The endpoint's nodeName, or NULL when it has none. */
static inline const char *k8s_endpoint_node(const struct k8s_endpoint_slice *s,
					    const struct k8s_endpoint *e)
{
	return e->node < s->n_node_names ? s->node_names[e->node] : NULL;
}

struct k8s_node {
	struct k8s_meta meta;
	/* First IPv4 of podCIDRs (else podCIDR), host bits cleared; 0: not
	 * assigned. */
	uint32_t pod_cidr;
	uint8_t pod_cidr_len;
	uint32_t internal_ip; /* first InternalIP (IPv4); 0: none */
	uint32_t external_ip;
};

struct k8s_container_port {
	char *name; /* NULL when unnamed */
	uint8_t proto;
	uint16_t port;
};

struct k8s_pod {
	struct k8s_meta meta;
	char *node_name;
	bool host_network;
	char *phase; /* NULL when absent */
	uint32_t pod_ip; /* first IPv4 of podIPs (else podIP); 0 until assigned */
	struct k8s_container_port *ports; /* every container's ports */
	size_t n_ports;
};

struct k8s_namespace {
	struct k8s_meta meta;
};

/* One from/to peer: selectors (AND'd when both are present) or an
 * ipBlock, never both (the API rejects that, and so does the decoder). */
struct k8s_policy_peer {
	struct k8s_selector pod_selector;
	struct k8s_selector ns_selector;
	bool has_ip_block;
	/* The block is IPv6: it matches no IPv4 address (cidr stays 0/0,
	 * which would otherwise mean everything). */
	bool ip_block_ipv6;
	uint32_t cidr; /* host bits cleared */
	uint8_t cidr_len;
	uint32_t *except; /* parallel arrays: address, prefix length (IPv4) */
	uint8_t *except_len;
	size_t n_except;
};

struct k8s_policy_port {
	uint8_t proto; /* default TCP */
	struct k8s_port_ref port; /* absent: all ports */
	uint16_t end_port; /* 0: none */
};

/* Absent, null and [] from/to (or ports) all mean "every peer" ("every
 * port"), as the API documents; the _absent flags say so explicitly. */
struct k8s_policy_rule {
	struct k8s_policy_peer *peers; /* from or to */
	size_t n_peers;
	bool peers_absent;
	struct k8s_policy_port *ports;
	size_t n_ports;
	bool ports_absent;
};

struct k8s_network_policy {
	struct k8s_meta meta;
	struct k8s_selector pod_selector;
	/* policyTypes, defaulted as the API server does when absent or []:
	 * Ingress, plus Egress when spec.egress has a rule. */
	bool ingress_type;
	bool egress_type;
	struct k8s_policy_rule *ingress;
	size_t n_ingress;
	struct k8s_policy_rule *egress;
	size_t n_egress;
};

/* Decodes one object of kind (an item of a list, or a watch event's
 * object); NULL with err set ("<field path>: <what is wrong>") if it is
 * not a well-formed object of that kind. The result is freed with
 * k8s_free (which takes NULL). */
void *k8s_decode(enum k8s_kind kind, const cJSON *obj, char *err, size_t len);
void k8s_free(enum k8s_kind kind, void *obj);

static inline const struct k8s_meta *k8s_meta(const void *obj)
{
	return (const struct k8s_meta *)obj;
}

/* The kind's resource name ("services", "endpointslices", ...) and
 * collection path ("/api/v1/services", ...). */
const char *k8s_kind_resource(enum k8s_kind kind);
const char *k8s_kind_path(enum k8s_kind kind);

#endif
