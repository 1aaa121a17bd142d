/* Node (v1) decoding: the pod CIDR and the node's InternalIP and
 * ExternalIP. */
#include <errno.h>
#include <string.h>

#include "k8s_decode.h"

/* podCIDRs, else podCIDR: the first IPv4 CIDR (a dual-stack node may
 * list IPv6 first). Every entry is checked. */
static int pod_cidr(struct k8s_dec *d, const cJSON *spec, void *obj)
{
	struct k8s_node *n = obj;
	const cJSON *list = NULL, *item, *v;
	bool found = false;
	size_t i, old, at;
	uint32_t addr;
	uint8_t len;
	int ret;

	ret = k8s_field_array(d, spec, "podCIDRs", &list);
	if (ret < 0)
		return ret;
	old = k8s_path_key(d, "podCIDRs");
	k8s_for_each_item(item, i, list)
	{
		at = k8s_path_index(d, i);
		ret = k8s_val_cidr4(d, item, &addr, &len);
		k8s_path_pop(d, at);
		if (ret < 0)
			break;
		if (ret > 0 && !found) {
			n->pod_cidr = addr;
			n->pod_cidr_len = len;
			found = true;
		}
	}
	k8s_path_pop(d, old);
	v = k8s_get(spec, "podCIDR");
	if (ret < 0 || !v)
		return ret < 0 ? ret : 0;
	old = k8s_path_key(d, "podCIDR");
	ret = k8s_val_cidr4(d, v, &addr, &len);
	k8s_path_pop(d, old);
	if (ret > 0 && !found) {
		n->pod_cidr = addr;
		n->pod_cidr_len = len;
	}
	return ret < 0 ? ret : 0;
}

/* One status.addresses entry. Only InternalIP and ExternalIP carry an IP
 * we use; other types (Hostname, ...) hold names, so are only checked to
 * be strings. */
static int node_address(struct k8s_dec *d, const cJSON *json, size_t i, void *obj)
{
	struct k8s_node *n = obj;
	const char *type = NULL, *s;
	const cJSON *v;
	uint32_t *slot = NULL, ip = 0;
	size_t old;
	int ret;

	(void)i;
	ret = k8s_val_object(d, json);
	if (!ret)
		ret = k8s_field_string(d, json, "type", &type);
	if (ret <= 0)
		return ret ? ret : k8s_fail_at(d, "type", "required");
	v = k8s_get(json, "address");
	if (!v)
		return 0;
	if (!strcmp(type, "InternalIP"))
		slot = &n->internal_ip;
	else if (!strcmp(type, "ExternalIP"))
		slot = &n->external_ip;
	old = k8s_path_key(d, "address");
	ret = slot ? k8s_val_ip4(d, v, &ip) : k8s_val_string(d, v, &s);
	k8s_path_pop(d, old);
	if (ret > 0 && slot && !*slot)
		*slot = ip;
	return ret < 0 ? ret : 0;
}

static int node_status(struct k8s_dec *d, const cJSON *status, void *obj)
{
	return k8s_field_each(d, status, "addresses", node_address, obj);
}

static int node_decode(struct k8s_dec *d, const cJSON *json, void *obj)
{
	int ret = k8s_field_nested(d, json, "spec", pod_cidr, obj);

	if (ret >= 0)
		ret = k8s_field_nested(d, json, "status", node_status, obj);
	return ret < 0 ? ret : 0;
}

const struct k8s_kind_ops k8s_node_ops = {
	.kind = "Node",
	.resource = "nodes",
	.path = "/api/v1/nodes",
	.namespaced = false,
	.size = sizeof(struct k8s_node),
	.decode = node_decode,
};
