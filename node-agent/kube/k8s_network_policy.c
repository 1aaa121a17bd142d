/* NetworkPolicy (networking.k8s.io/v1) decoding: the selected pods, the
 * policy types (defaulted as the API server does) and the ingress and
 * egress rules with their peers and ports. */
#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

#include "k8s_decode.h"

static void peer_free(struct k8s_policy_peer *p)
{
	k8s_selector_free(&p->pod_selector);
	k8s_selector_free(&p->ns_selector);
	free(p->except);
	free(p->except_len);
}

static void rules_free(struct k8s_policy_rule *rules, size_t n)
{
	size_t i, j;

	for (i = 0; i < n; i++) {
		for (j = 0; j < rules[i].n_peers; j++)
			peer_free(&rules[i].peers[j]);
		free(rules[i].peers);
		for (j = 0; j < rules[i].n_ports; j++)
			free(rules[i].ports[j].port.name);
		free(rules[i].ports);
	}
	free(rules);
}

static void policy_free(void *obj)
{
	struct k8s_network_policy *np = obj;

	k8s_selector_free(&np->pod_selector);
	rules_free(np->ingress, np->n_ingress);
	rules_free(np->egress, np->n_egress);
}

/* ipBlock.except: the IPv4 CIDRs carved out of the block (IPv6 ones
 * cannot be inside an IPv4 block, so are skipped). */
static int ip_block_except(struct k8s_dec *d, const cJSON *block, struct k8s_policy_peer *p)
{
	const cJSON *list = NULL, *item;
	size_t i, old, at;
	int ret;

	ret = k8s_field_array(d, block, "except", &list);
	if (ret <= 0)
		return ret;
	p->except = k8s_alloc_items(list, sizeof(*p->except));
	p->except_len = k8s_alloc_items(list, sizeof(*p->except_len));
	if (!p->except || !p->except_len)
		return k8s_fail_nomem(d);
	old = k8s_path_key(d, "except");
	k8s_for_each_item(item, i, list)
	{
		at = k8s_path_index(d, i);
		ret = k8s_val_cidr4(d, item, &p->except[p->n_except], &p->except_len[p->n_except]);
		k8s_path_pop(d, at);
		if (ret < 0)
			break;
		p->n_except += ret;
	}
	k8s_path_pop(d, old);
	return ret < 0 ? ret : 0;
}

static int ip_block(struct k8s_dec *d, const cJSON *block, struct k8s_policy_peer *p)
{
	const cJSON *cidr = k8s_get(block, "cidr");
	size_t old;
	int ret;

	if (!cidr || (cJSON_IsString(cidr) && !*cidr->valuestring))
		return k8s_fail_at(d, "cidr", "required");
	old = k8s_path_key(d, "cidr");
	ret = k8s_val_cidr4(d, cidr, &p->cidr, &p->cidr_len);
	k8s_path_pop(d, old);
	if (ret < 0)
		return ret;
	p->has_ip_block = true;
	p->ip_block_ipv6 = !ret;
	return ip_block_except(d, block, p);
}

/* One from/to entry: selectors, or an ipBlock alone (as the API requires). */
static int peer(struct k8s_dec *d, const cJSON *json, void *elem, void *ctx)
{
	struct k8s_policy_peer *p = elem;
	const cJSON *block = NULL;
	size_t old;
	int ret;

	(void)ctx;
	ret = k8s_val_object(d, json);
	if (!ret)
		ret = k8s_field_selector(d, json, "podSelector", &p->pod_selector);
	if (ret >= 0)
		ret = k8s_field_selector(d, json, "namespaceSelector", &p->ns_selector);
	if (ret >= 0)
		ret = k8s_field_object(d, json, "ipBlock", &block);
	if (ret < 0)
		return ret;
	if (!block) {
		if (!p->pod_selector.present && !p->ns_selector.present)
			return k8s_fail(d, "expected podSelector, namespaceSelector or ipBlock");
		return 0;
	}
	if (p->pod_selector.present || p->ns_selector.present)
		return k8s_fail_at(d, "ipBlock",
				   "not allowed with podSelector or namespaceSelector");
	old = k8s_path_key(d, "ipBlock");
	ret = ip_block(d, block, p);
	k8s_path_pop(d, old);
	return ret;
}

/* A rule's port: protocol, a number or a named port, and endPort (a range
 * end, only after a numeric port). */
static int policy_port(struct k8s_dec *d, const cJSON *json, void *elem, void *ctx)
{
	struct k8s_policy_port *p = elem;
	int ret;

	(void)ctx;
	ret = k8s_val_object(d, json);
	if (ret)
		return ret;
	p->proto = IPPROTO_TCP;
	ret = k8s_field_protocol(d, json, "protocol", &p->proto);
	if (ret >= 0)
		ret = k8s_field_port_ref(d, json, "port", &p->port);
	if (ret >= 0)
		ret = k8s_field_u16(d, json, "endPort", 1, &p->end_port);
	if (ret <= 0)
		return ret;
	if (!p->port.num)
		return k8s_fail_at(d, "endPort", "only allowed with a numeric port");
	if (p->end_port < p->port.num)
		return k8s_fail_at(d, "endPort", "%u is less than port %u", p->end_port,
				   p->port.num);
	return 0;
}

/* One ingress or egress rule: peers under peers_key ("from" or "to"). */
static int rule(struct k8s_dec *d, const cJSON *json, void *elem, void *ctx)
{
	const char *peers_key = ctx;
	struct k8s_policy_rule *r = elem;
	void *items = NULL;
	int ret;

	ret = k8s_val_object(d, json);
	if (ret)
		return ret;
	ret = k8s_field_list(d, json, peers_key, sizeof(*r->peers), peer, NULL, &items,
			     &r->n_peers);
	r->peers = items;
	if (ret < 0)
		return ret;
	items = NULL;
	ret = k8s_field_list(d, json, "ports", sizeof(*r->ports), policy_port, NULL, &items,
			     &r->n_ports);
	r->ports = items;
	if (ret < 0)
		return ret;
	r->peers_absent = !r->n_peers;
	r->ports_absent = !r->n_ports;
	return 0;
}

/* policyTypes as given, else the API server's default: Ingress, plus
 * Egress when there is an egress rule (len(spec.egress) != 0). */
static int types(struct k8s_dec *d, const cJSON *spec, struct k8s_network_policy *np)
{
	const cJSON *list = NULL, *item;
	size_t i, old, at;
	int ret;

	ret = k8s_field_array(d, spec, "policyTypes", &list);
	if (ret < 0)
		return ret;
	if (!ret || !list->child) {
		np->ingress_type = true;
		np->egress_type = np->n_egress > 0;
		return 0;
	}
	old = k8s_path_key(d, "policyTypes");
	k8s_for_each_item(item, i, list)
	{
		char q[K8S_QUOTE_BUF];
		const char *type = NULL;

		at = k8s_path_index(d, i);
		ret = k8s_val_string(d, item, &type);
		if (!ret) {
			if (!strcmp(type, "Ingress"))
				np->ingress_type = true;
			else if (!strcmp(type, "Egress"))
				np->egress_type = true;
			else
				ret = k8s_fail(d, "expected Ingress or Egress, got \"%s\"",
					       k8s_quote(type, q));
		}
		k8s_path_pop(d, at);
		if (ret)
			break;
	}
	k8s_path_pop(d, old);
	return ret;
}

static int policy_decode(struct k8s_dec *d, const cJSON *json, void *obj)
{
	struct k8s_network_policy *np = obj;
	const cJSON *spec = NULL;
	void *items = NULL;
	size_t old;
	int ret;

	ret = k8s_field_object(d, json, "spec", &spec);
	if (ret <= 0)
		return ret ? ret : k8s_fail_at(d, "spec", "required");
	old = k8s_path_key(d, "spec");
	ret = k8s_field_selector(d, spec, "podSelector", &np->pod_selector);
	if (!ret)
		ret = k8s_fail_at(d, "podSelector", "required (use {} to select every pod)");
	if (ret < 0)
		goto out;
	ret = k8s_field_list(d, spec, "ingress", sizeof(*np->ingress), rule, "from", &items,
			     &np->n_ingress);
	np->ingress = items;
	if (ret < 0)
		goto out;
	items = NULL;
	ret = k8s_field_list(d, spec, "egress", sizeof(*np->egress), rule, "to", &items,
			     &np->n_egress);
	np->egress = items;
	if (ret >= 0)
		ret = types(d, spec, np);
out:
	k8s_path_pop(d, old);
	return ret < 0 ? ret : 0;
}

const struct k8s_kind_ops k8s_network_policy_ops = {
	.kind = "NetworkPolicy",
	.resource = "networkpolicies",
	.path = "/apis/networking.k8s.io/v1/networkpolicies",
	.namespaced = true,
	.size = sizeof(struct k8s_network_policy),
	.decode = policy_decode,
	.free_body = policy_free,
};
