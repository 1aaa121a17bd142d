/* Pod (v1) decoding: node, host networking, phase, the pod's IPv4 and the
 * container ports (named ports resolve NetworkPolicy port names). */
#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

#include "k8s_decode.h"

static void pod_free(void *obj)
{
	struct k8s_pod *p = obj;
	size_t i;

	free(p->node_name);
	free(p->phase);
	for (i = 0; i < p->n_ports; i++)
		free(p->ports[i].name);
	free(p->ports);
}

static int container_port(struct k8s_dec *d, const cJSON *json, struct k8s_container_port *p)
{
	int ret;

	ret = k8s_val_object(d, json);
	if (!ret)
		ret = k8s_field_strdup(d, json, "name", &p->name);
	if (ret < 0)
		return ret;
	p->proto = IPPROTO_TCP;
	ret = k8s_field_protocol(d, json, "protocol", &p->proto);
	if (ret < 0)
		return ret;
	ret = k8s_field_u16(d, json, "containerPort", 1, &p->port);
	if (ret <= 0)
		return ret ? ret : k8s_fail_at(d, "containerPort", "required");
	return 0;
}

/* Appends the ports of one container to the pod's. */
static int container_ports(struct k8s_dec *d, const cJSON *container, size_t index, void *obj)
{
	const cJSON *list = NULL, *item;
	struct k8s_container_port *grown;
	struct k8s_pod *pod = obj;
	size_t i, n = 0, old, at;
	int ret;

	(void)index;
	ret = k8s_val_object(d, container);
	if (!ret)
		ret = k8s_field_array(d, container, "ports", &list);
	if (ret <= 0)
		return ret;
	k8s_for_each_item(item, i, list) n++;
	if (!n)
		return 0;
	grown = realloc(pod->ports, (pod->n_ports + n) * sizeof(*grown));
	if (!grown)
		return k8s_fail_nomem(d);
	memset(grown + pod->n_ports, 0, n * sizeof(*grown));
	pod->ports = grown;
	old = k8s_path_key(d, "ports");
	k8s_for_each_item(item, i, list)
	{
		at = k8s_path_index(d, i);
		ret = container_port(d, item, &pod->ports[pod->n_ports++]);
		k8s_path_pop(d, at);
		if (ret)
			break;
	}
	k8s_path_pop(d, old);
	return ret;
}

static int pod_spec(struct k8s_dec *d, const cJSON *spec, void *obj)
{
	struct k8s_pod *p = obj;
	int ret;

	ret = k8s_field_strdup(d, spec, "nodeName", &p->node_name);
	if (ret >= 0)
		ret = k8s_field_bool(d, spec, "hostNetwork", &p->host_network);
	if (ret >= 0)
		ret = k8s_field_each(d, spec, "containers", container_ports, p);
	return ret < 0 ? ret : 0;
}

/* status.podIPs[].ip, else status.podIP: the first IPv4. */
static int pod_ip(struct k8s_dec *d, const cJSON *status, struct k8s_pod *p)
{
	const cJSON *list = NULL, *item, *ip;
	size_t i, old, at;
	uint32_t addr = 0;
	int ret;

	ret = k8s_field_array(d, status, "podIPs", &list);
	if (ret < 0)
		return ret;
	old = k8s_path_key(d, "podIPs");
	k8s_for_each_item(item, i, list)
	{
		at = k8s_path_index(d, i);
		ret = k8s_val_object(d, item);
		ip = k8s_get(item, "ip");
		if (!ret && ip) {
			k8s_path_key(d, "ip");
			ret = k8s_val_ip4(d, ip, &addr);
			if (ret > 0 && !p->pod_ip)
				p->pod_ip = addr;
		}
		k8s_path_pop(d, at);
		if (ret < 0)
			break;
	}
	k8s_path_pop(d, old);
	ip = k8s_get(status, "podIP");
	if (ret < 0 || !ip)
		return ret < 0 ? ret : 0;
	old = k8s_path_key(d, "podIP");
	ret = k8s_val_ip4(d, ip, &addr);
	k8s_path_pop(d, old);
	if (ret > 0 && !p->pod_ip)
		p->pod_ip = addr;
	return ret < 0 ? ret : 0;
}

static int pod_status(struct k8s_dec *d, const cJSON *status, void *obj)
{
	struct k8s_pod *p = obj;
	int ret = k8s_field_strdup(d, status, "phase", &p->phase);

	return ret < 0 ? ret : pod_ip(d, status, p);
}

static int pod_decode(struct k8s_dec *d, const cJSON *json, void *obj)
{
	int ret = k8s_field_nested(d, json, "spec", pod_spec, obj);

	if (ret >= 0)
		ret = k8s_field_nested(d, json, "status", pod_status, obj);
	return ret < 0 ? ret : 0;
}

const struct k8s_kind_ops k8s_pod_ops = {
	.kind = "Pod",
	.resource = "pods",
	.path = "/api/v1/pods",
	.namespaced = true,
	.size = sizeof(struct k8s_pod),
	.decode = pod_decode,
	.free_body = pod_free,
};
