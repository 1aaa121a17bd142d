/* libFuzzer target for the Kubernetes decoders: any bytes, parsed as JSON
 * and decoded as every kind (as an object, a watch event's object and a
 * LIST's items), give a well-formed object or a message: never a crash, a
 * leak or undefined behaviour (run with ASan and UBSan). */
#include <netinet/in.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "k8s.h"

/* A broken invariant is a crash the fuzzer reports with its input. */
#define must(cond)                        \
	do {                              \
		if (!(cond))              \
			__builtin_trap(); \
	} while (0)

/* Reads every byte of s, so ASan sees a dangling or unterminated one. */
static void str(const char *s)
{
	must(s);
	must(strlen(s) < SIZE_MAX);
}

static void opt_str(const char *s)
{
	if (s)
		str(s);
}

static void labels(const struct k8s_label *l, size_t n)
{
	size_t i;

	must(!n || l);
	for (i = 0; i < n; i++) {
		str(l[i].key);
		str(l[i].value);
	}
}

static void meta(const struct k8s_meta *m, bool namespaced)
{
	str(m->name);
	must(*m->name);
	if (namespaced) {
		str(m->ns);
		must(*m->ns);
	} else {
		must(!m->ns);
	}
	opt_str(m->uid);
	opt_str(m->resource_version);
	labels(m->labels, m->n_labels);
}

static void proto(uint8_t p)
{
	must(p == IPPROTO_TCP || p == IPPROTO_UDP || p == IPPROTO_SCTP);
}

static void port_ref(const struct k8s_port_ref *r)
{
	must(!(r->num && r->name));
	if (r->name)
		must(*r->name);
}

static void cidr(uint32_t addr, uint8_t len)
{
	uint32_t host = ntohl(addr);

	must(len <= 32);
	must(!len ? !host : !(host & ~(~0u << (32 - len))));
}

static void selector(const struct k8s_selector *s)
{
	size_t i, j;

	if (!s->present) {
		must(!s->n_match_labels && !s->n_exprs);
		return;
	}
	labels(s->match_labels, s->n_match_labels);
	must(!s->n_exprs || s->exprs);
	for (i = 0; i < s->n_exprs; i++) {
		str(s->exprs[i].key);
		must(s->exprs[i].op <= K8S_SEL_DOES_NOT_EXIST);
		must(!s->exprs[i].n_values || s->exprs[i].values);
		for (j = 0; j < s->exprs[i].n_values; j++)
			str(s->exprs[i].values[j]);
	}
}

static void service(const struct k8s_service *s)
{
	size_t i;

	meta(&s->meta, true);
	must(s->type <= K8S_SVC_EXTERNAL_NAME);
	must(!s->headless || !s->cluster_ip);
	must(!s->n_ports || s->ports);
	for (i = 0; i < s->n_ports; i++) {
		str(s->ports[i].name);
		proto(s->ports[i].proto);
		must(s->ports[i].port);
		port_ref(&s->ports[i].target_port);
	}
	must(!s->n_external_ips || s->external_ips);
	for (i = 0; i < s->n_external_ips; i++)
		must(s->external_ips[i]);
	must(!s->n_lb_ips || s->lb_ips);
	for (i = 0; i < s->n_lb_ips; i++)
		must(s->lb_ips[i]);
	if (s->affinity_client_ip)
		must(s->affinity_timeout >= 1 && s->affinity_timeout <= 86400);
	else
		must(!s->affinity_timeout);
}

static void endpoint_slice(const struct k8s_endpoint_slice *s)
{
	size_t i;

	meta(&s->meta, true);
	opt_str(s->service_name);
	must(s->address_type <= K8S_ADDR_FQDN);
	must(!s->n_endpoints || s->endpoints);
	for (i = 0; i < s->n_endpoints; i++) {
		const struct k8s_endpoint *e = &s->endpoints[i];

		must(s->address_type == K8S_ADDR_IPV4 || !e->addr);
		must(e->node == K8S_NO_NODE || e->node < s->n_node_names);
		opt_str(k8s_endpoint_node(s, e));
	}
	must(!s->meta.n_labels);
	for (i = 0; i < s->n_node_names; i++)
		str(s->node_names[i]);
	must(!s->n_ports || s->ports);
	for (i = 0; i < s->n_ports; i++) {
		str(s->ports[i].name);
		proto(s->ports[i].proto);
	}
}

static void node(const struct k8s_node *n)
{
	meta(&n->meta, false);
	cidr(n->pod_cidr, n->pod_cidr_len);
}

static void pod(const struct k8s_pod *p)
{
	size_t i;

	meta(&p->meta, true);
	opt_str(p->node_name);
	opt_str(p->phase);
	must(!p->n_ports || p->ports);
	for (i = 0; i < p->n_ports; i++) {
		opt_str(p->ports[i].name);
		proto(p->ports[i].proto);
		must(p->ports[i].port);
	}
}

static void rules(const struct k8s_policy_rule *r, size_t n)
{
	size_t i, j, k;

	must(!n || r);
	for (i = 0; i < n; i++) {
		must(r[i].peers_absent == !r[i].n_peers);
		must(r[i].ports_absent == !r[i].n_ports);
		for (j = 0; j < r[i].n_peers; j++) {
			const struct k8s_policy_peer *p = &r[i].peers[j];
			bool selects = p->pod_selector.present || p->ns_selector.present;

			must(p->has_ip_block != selects);
			selector(&p->pod_selector);
			selector(&p->ns_selector);
			must(!p->ip_block_ipv6 || p->has_ip_block);
			cidr(p->cidr, p->cidr_len);
			must(!p->n_except || (p->except && p->except_len));
			for (k = 0; k < p->n_except; k++)
				cidr(p->except[k], p->except_len[k]);
		}
		for (j = 0; j < r[i].n_ports; j++) {
			const struct k8s_policy_port *p = &r[i].ports[j];

			proto(p->proto);
			port_ref(&p->port);
			if (p->end_port)
				must(p->port.num && p->end_port >= p->port.num);
		}
	}
}

static void network_policy(const struct k8s_network_policy *np)
{
	meta(&np->meta, true);
	must(np->pod_selector.present);
	selector(&np->pod_selector);
	must(np->ingress_type || np->egress_type);
	rules(np->ingress, np->n_ingress);
	rules(np->egress, np->n_egress);
}

static void check(enum k8s_kind kind, const void *obj)
{
	switch (kind) {
	case K8S_SERVICE:
		service(obj);
		break;
	case K8S_ENDPOINT_SLICE:
		endpoint_slice(obj);
		break;
	case K8S_NODE:
		node(obj);
		break;
	case K8S_POD:
		pod(obj);
		break;
	case K8S_NAMESPACE:
		meta(k8s_meta(obj), false);
		break;
	case K8S_NETWORK_POLICY:
		network_policy(obj);
		break;
	default:
		must(0);
	}
}

/* Every kind: an object with no message, or a message and no object. */
static void decode_all(const cJSON *json)
{
	char err[256];
	int kind;

	for (kind = 0; kind < K8S_KIND_MAX; kind++) {
		void *obj;

		err[0] = '\0';
		obj = k8s_decode(kind, json, err, sizeof(err));
		must(strlen(err) < sizeof(err));
		if (!obj) {
			must(err[0]);
			continue;
		}
		must(!err[0]);
		check(kind, obj);
		k8s_free(kind, obj);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	cJSON *json = cJSON_ParseWithLength((const char *)data, size);
	const cJSON *item;

	if (!json)
		return 0;
	decode_all(json);
	/* A watch event: {"type": ..., "object": {...}}. */
	item = cJSON_GetObjectItemCaseSensitive(json, "object");
	if (item)
		decode_all(item);
	/* A LIST body: {"items": [...]}. */
	item = cJSON_GetObjectItemCaseSensitive(json, "items");
	if (cJSON_IsArray(item))
		for (item = item->child; item; item = item->next)
			decode_all(item);
	cJSON_Delete(json);
	return 0;
}
