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
	size_t i;

	free(s->service_name);
	for (i = 0; i < s->n_endpoints; i++) {
		struct k8s_endpoint *e = &s->endpoints[i];

		if (e->addrs != &e->addr_inline)
			free(e->addrs);
		if (!e->node_name_shared)
			free(e->node_name);
	}
	free(s->endpoints);
	for (i = 0; i < s->n_ports; i++)
		free(s->ports[i].name);
	free(s->ports);
}

/* IPv4 slices yield their addresses; the addresses of IPv6 and FQDN
 * slices are only type-checked (the IPv4 datapath has no use for them). */
static int endpoint_addrs(struct k8s_dec *d, const cJSON *json, enum k8s_address_type type,
			  struct k8s_endpoint *e)
{
	const cJSON *list = NULL, *item;
	size_t i, old, at;
	const char *s = NULL;
	int ret;

	ret = k8s_field_array(d, json, "addresses", &list);
	if (ret <= 0)
		return ret;
	if (type == K8S_ADDR_IPV4) {
		/* Nearly every endpoint has exactly one address: no allocation. */
		if (list->child && !list->child->next)
			e->addrs = &e->addr_inline;
		else
			e->addrs = k8s_alloc_items(list, sizeof(*e->addrs));
		if (!e->addrs)
			return k8s_fail_nomem(d);
	}
	old = k8s_path_key(d, "addresses");
	k8s_for_each_item(item, i, list)
	{
		at = k8s_path_index(d, i);
		if (type == K8S_ADDR_IPV4)
			ret = k8s_val_ip4(d, item, &e->addrs[e->n_addrs]);
		else
			ret = k8s_val_string(d, item, &s);
		k8s_path_pop(d, at);
		if (ret < 0)
			break;
		if (type == K8S_ADDR_IPV4)
			e->n_addrs += ret;
	}
	k8s_path_pop(d, old);
	return ret < 0 ? ret : 0;
}

/* The API's nil defaults: ready nil = true, serving nil = ready,
 * terminating nil = false. */
static int endpoint_conditions(struct k8s_dec *d, const cJSON *json, struct k8s_endpoint *e)
{
	const cJSON *cond = NULL;
	size_t old;
	int ret;

	e->ready = true;
	e->terminating = false;
	ret = k8s_field_object(d, json, "conditions", &cond);
	if (ret <= 0) {
		e->serving = e->ready;
		return ret;
	}
	old = k8s_path_key(d, "conditions");
	ret = k8s_field_bool(d, cond, "ready", &e->ready);
	if (ret >= 0) {
		e->serving = e->ready;
		ret = k8s_field_bool(d, cond, "serving", &e->serving);
	}
	if (ret >= 0)
		ret = k8s_field_bool(d, cond, "terminating", &e->terminating);
	k8s_path_pop(d, old);
	return ret < 0 ? ret : 0;
}

struct endpoints_ctx {
	enum k8s_address_type type;
	void **items; /* the endpoints decoded so far, up to the current one */
};

/* nodeName, shared with an earlier endpoint of the slice naming the same
 * node. */
static int endpoint_node(struct k8s_dec *d, const cJSON *json, struct k8s_endpoint *e,
			 const struct k8s_endpoint *first)
{
	const char *name = NULL;
	int ret = k8s_field_string(d, json, "nodeName", &name);

	if (ret <= 0)
		return ret;
	for (const struct k8s_endpoint *p = first; p < e; p++) {
		if (p->node_name && !strcmp(p->node_name, name)) {
			e->node_name = p->node_name;
			e->node_name_shared = true;
			return 0;
		}
	}
	e->node_name = strdup(name);
	return e->node_name ? 0 : k8s_fail_nomem(d);
}

static int endpoint(struct k8s_dec *d, const cJSON *json, void *elem, void *ctx)
{
	const struct endpoints_ctx *c = ctx;
	struct k8s_endpoint *e = elem;
	int ret;

	ret = k8s_val_object(d, json);
	if (!ret)
		ret = endpoint_addrs(d, json, c->type, e);
	if (!ret)
		ret = endpoint_conditions(d, json, e);
	if (!ret)
		ret = endpoint_node(d, json, e, *c->items);
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

static int slice_decode(struct k8s_dec *d, const cJSON *json, void *obj)
{
	struct k8s_endpoint_slice *s = obj;
	const struct k8s_label *l;
	struct endpoints_ctx ctx;
	void *items = NULL;
	int type = 0, ret;
	size_t i;

	for (i = 0; i < s->meta.n_labels; i++) {
		l = &s->meta.labels[i];
		if (strcmp(l->key, SERVICE_NAME_LABEL))
			continue;
		s->service_name = strdup(l->value);
		if (!s->service_name)
			return k8s_fail_nomem(d);
		break;
	}
	ret = k8s_field_enum(d, json, "addressType", address_types, K8S_ARRAY_SIZE(address_types),
			     &type);
	if (ret <= 0)
		return ret ? ret : k8s_fail_at(d, "addressType", "required");
	s->address_type = (enum k8s_address_type)type;
	ctx.type = s->address_type;
	ctx.items = &items;
	ret = k8s_field_list(d, json, "endpoints", sizeof(*s->endpoints), endpoint, &ctx, &items,
			     &s->n_endpoints);
	s->endpoints = items;
	if (ret < 0)
		return ret;
	items = NULL;
	ret = k8s_field_list(d, json, "ports", sizeof(*s->ports), slice_port, NULL, &items,
			     &s->n_ports);
	s->ports = items;
	return ret < 0 ? ret : 0;
}

const struct k8s_kind_ops k8s_endpoint_slice_ops = {
	.kind = "EndpointSlice",
	.resource = "endpointslices",
	.path = "/apis/discovery.k8s.io/v1/endpointslices",
	.namespaced = true,
	.size = sizeof(struct k8s_endpoint_slice),
	.decode = slice_decode,
	.free_body = slice_free,
};
