/* EndpointSlice (discovery.k8s.io/v1) decoding: the owning Service, the
 * endpoints with their conditions, and the ports. */
#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

#include "k8s_decode.h"

#define SERVICE_NAME_LABEL "kubernetes.io/service-name"

static const char *const address_types[] = {
	[K8S_ADDR_IPV4] = "IPv4",
	[K8S_ADDR_IPV6] = "IPv6",
	[K8S_ADDR_FQDN] = "FQDN",
};

static void slice_free(void *obj)
{
	struct k8s_endpoint_slice *s = obj;

	free(s->block);
}

/* What the decode collects before the block is made: the endpoints are
 * already in their final form, names are borrowed from the JSON. */
struct slice_draft {
	enum k8s_address_type type;
	struct k8s_endpoint *endpoints;
	size_t n_endpoints;
	struct k8s_slice_port *ports;
	size_t n_ports;
	const char **nodes; /* distinct nodeNames, at most one per endpoint */
	size_t n_nodes;
	const char *service_name;
};

/* Every address is checked; the first IPv4 one is kept (IPv6 and FQDN
 * slices' addresses are only type-checked: the IPv4 datapath has no use
 * for them). */
static int endpoint_addrs(struct k8s_dec *d, const cJSON *json, enum k8s_address_type type,
			  struct k8s_endpoint *e)
{
	const cJSON *list = NULL, *item;
	size_t i, old, at;
	const char *s = NULL;
	uint32_t ip = 0;
	int ret;

	ret = k8s_field_array(d, json, "addresses", &list);
	if (ret <= 0)
		return ret;
	old = k8s_path_key(d, "addresses");
	k8s_for_each_item(item, i, list)
	{
		at = k8s_path_index(d, i);
		if (type == K8S_ADDR_IPV4)
			ret = k8s_val_ip4(d, item, &ip);
		else
			ret = k8s_val_string(d, item, &s);
		k8s_path_pop(d, at);
		if (ret < 0)
			break;
		if (type == K8S_ADDR_IPV4 && ret && !e->addr)
			e->addr = ip;
	}
	k8s_path_pop(d, old);
	return ret < 0 ? ret : 0;
}

/* The API's nil defaults: ready nil = true, serving nil = ready,
 * terminating nil = false. */
static int endpoint_conditions(struct k8s_dec *d, const cJSON *json, struct k8s_endpoint *e)
{
	const cJSON *cond = NULL;
	bool ready = true, serving, terminating = false;
	size_t old;
	int ret;

	ret = k8s_field_object(d, json, "conditions", &cond);
	if (ret > 0) {
		old = k8s_path_key(d, "conditions");
		ret = k8s_field_bool(d, cond, "ready", &ready);
		serving = ready;
		if (ret >= 0)
			ret = k8s_field_bool(d, cond, "serving", &serving);
		if (ret >= 0)
			ret = k8s_field_bool(d, cond, "terminating", &terminating);
		k8s_path_pop(d, old);
	} else {
		serving = ready;
	}
	e->ready = ready;
	e->serving = serving;
	e->terminating = terminating;
	return ret < 0 ? ret : 0;
}

/* nodeName, as an index into the slice's distinct names (a slice's
 * endpoints mostly sit on a few nodes: one copy each). */
static int endpoint_node(struct k8s_dec *d, const cJSON *json, struct k8s_endpoint *e,
			 struct slice_draft *dr)
{
	const char *name = NULL;
	int ret = k8s_field_string(d, json, "nodeName", &name);
	size_t i;

	e->node = K8S_NO_NODE;
	if (ret <= 0)
		return ret;
	for (i = 0; i < dr->n_nodes && strcmp(dr->nodes[i], name); i++)
		;
	if (i == dr->n_nodes)
		dr->nodes[dr->n_nodes++] = name;
	e->node = (uint16_t)i;
	return 0;
}

static int endpoint(struct k8s_dec *d, const cJSON *json, void *elem, void *ctx)
{
	struct slice_draft *dr = ctx;
	struct k8s_endpoint *e = elem;
	int ret;

	ret = k8s_val_object(d, json);
	if (!ret)
		ret = endpoint_addrs(d, json, dr->type, e);
	if (!ret)
		ret = endpoint_conditions(d, json, e);
	if (!ret)
		ret = endpoint_node(d, json, e, dr);
	return ret < 0 ? ret : 0;
}

/* The API caps a slice at 1000 endpoints; this is what node indexes can
 * tell apart. */
#define SLICE_MAX_ENDPOINTS K8S_NO_NODE

static int endpoints(struct k8s_dec *d, const cJSON *json, struct slice_draft *dr)
{
	const cJSON *list = k8s_get(json, "endpoints");
	void *items = NULL;
	int ret;

	if (cJSON_IsArray(list)) {
		if ((size_t)cJSON_GetArraySize(list) > SLICE_MAX_ENDPOINTS)
			return k8s_fail_at(d, "endpoints", "more than %u endpoints",
					   SLICE_MAX_ENDPOINTS);
		dr->nodes = k8s_alloc_items(list, sizeof(*dr->nodes));
		if (!dr->nodes)
			return k8s_fail_nomem(d);
	}
	ret = k8s_field_list(d, json, "endpoints", sizeof(*dr->endpoints), endpoint, dr, &items,
			     &dr->n_endpoints);
	dr->endpoints = items;
	return ret < 0 ? ret : 0;
}

/* A port without a number means "all ports" (0). */
static int slice_port(struct k8s_dec *d, const cJSON *json, void *elem, void *ctx)
{
	struct k8s_slice_port *p = elem;
	int ret;

	(void)ctx;
	ret = k8s_port_head(d, json, &p->name, &p->proto);
	if (ret)
		return ret;
	ret = k8s_field_u16(d, json, "port", 0, &p->port);
	return ret < 0 ? ret : 0;
}

/* The labels were checked whole by the metadata's decode. */
static const char *service_name_label(const cJSON *json)
{
	const cJSON *labels = k8s_get(k8s_get(json, "metadata"), "labels");

	return cJSON_GetStringValue(k8s_get(labels, SERVICE_NAME_LABEL));
}

/* The slice's arrays and strings, moved into one block. */
static int slice_pack(struct k8s_dec *d, const struct slice_draft *dr, struct k8s_endpoint_slice *s)
{
	struct k8s_block b = { 0 };
	size_t i;

	k8s_block_need(&b, dr->n_endpoints * sizeof(*s->endpoints));
	k8s_block_need(&b, dr->n_ports * sizeof(*s->ports));
	k8s_block_need(&b, dr->n_nodes * sizeof(*s->node_names));
	if (dr->service_name)
		k8s_block_need_str(&b, dr->service_name);
	for (i = 0; i < dr->n_ports; i++)
		k8s_block_need_str(&b, dr->ports[i].name);
	for (i = 0; i < dr->n_nodes; i++)
		k8s_block_need_str(&b, dr->nodes[i]);
	s->block = k8s_block_alloc(&b);
	if (!s->block)
		return k8s_fail_nomem(d);
	s->endpoints = k8s_block_take(&b, dr->n_endpoints * sizeof(*s->endpoints));
	s->ports = k8s_block_take(&b, dr->n_ports * sizeof(*s->ports));
	s->node_names = k8s_block_take(&b, dr->n_nodes * sizeof(*s->node_names));
	if (dr->service_name)
		s->service_name = k8s_block_str(&b, dr->service_name);
	if (dr->n_endpoints)
		memcpy(s->endpoints, dr->endpoints, dr->n_endpoints * sizeof(*s->endpoints));
	s->n_endpoints = dr->n_endpoints;
	for (i = 0; i < dr->n_ports; i++) {
		s->ports[i] = dr->ports[i];
		s->ports[i].name = k8s_block_str(&b, dr->ports[i].name);
	}
	s->n_ports = dr->n_ports;
	for (i = 0; i < dr->n_nodes; i++)
		s->node_names[i] = k8s_block_str(&b, dr->nodes[i]);
	s->n_node_names = dr->n_nodes;
	return 0;
}

static int slice_decode(struct k8s_dec *d, const cJSON *json, void *obj)
{
	struct k8s_endpoint_slice *s = obj;
	struct slice_draft dr = { .service_name = service_name_label(json) };
	void *items = NULL;
	int type = 0, ret;

	ret = k8s_field_enum(d, json, "addressType", address_types, K8S_ARRAY_SIZE(address_types),
			     &type);
	if (ret <= 0)
		return ret ? ret : k8s_fail_at(d, "addressType", "required");
	s->address_type = dr.type = (enum k8s_address_type)type;
	ret = endpoints(d, json, &dr);
	if (!ret) {
		ret = k8s_field_list(d, json, "ports", sizeof(*dr.ports), slice_port, NULL, &items,
				     &dr.n_ports);
		dr.ports = items;
	}
	if (ret >= 0)
		ret = slice_pack(d, &dr, s);
	free(dr.endpoints);
	free(dr.ports);
	free(dr.nodes);
	return ret < 0 ? ret : 0;
}

const struct k8s_kind_ops k8s_endpoint_slice_ops = {
	.kind = "EndpointSlice",
	.resource = "endpointslices",
	.path = "/apis/discovery.k8s.io/v1/endpointslices",
	.namespaced = true,
	.drop_labels = true,
	.size = sizeof(struct k8s_endpoint_slice),
	.decode = slice_decode,
	.free_body = slice_free,
};
