/* Service (v1) decoding: type, cluster IP, ports, external and load
 * balancer IPs, traffic policies and session affinity. */
#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

#include "k8s_decode.h"

/* The API's default and maximum ClientIP affinity timeout (3 h, 1 day). */
#define AFFINITY_TIMEOUT_DEFAULT 10800
#define AFFINITY_TIMEOUT_MAX 86400

static const char *const svc_types[] = {
	[K8S_SVC_CLUSTER_IP] = "ClusterIP",
	[K8S_SVC_NODE_PORT] = "NodePort",
	[K8S_SVC_LOAD_BALANCER] = "LoadBalancer",
	[K8S_SVC_EXTERNAL_NAME] = "ExternalName",
};

/* "Global" is the pre-1.23 spelling of Cluster. */
static const char *const etp_names[] = { "Cluster", "Local", "Global" };
#define ETP_LOCAL 1
static const char *const itp_names[] = { "Cluster", "Local" };
#define ITP_LOCAL 1
static const char *const affinity_names[] = { "None", "ClientIP" };
#define AFFINITY_CLIENT_IP 1

static void service_free(void *obj)
{
	struct k8s_service *s = obj;

	free(s->block);
}

static bool is_none(const cJSON *v)
{
	return cJSON_IsString(v) && v->valuestring && !strcmp(v->valuestring, "None");
}

/* clusterIP, then clusterIPs: "None" in either means headless; otherwise
 * the first IPv4 of the two (a dual-stack Service may list IPv6 first). */
static int cluster_ip(struct k8s_dec *d, const cJSON *spec, struct k8s_service *s)
{
	const cJSON *list = NULL, *item, *v = k8s_get(spec, "clusterIP");
	size_t i, old, at;
	int ret = 0;

	if (is_none(v)) {
		s->headless = true;
	} else if (v) {
		old = k8s_path_key(d, "clusterIP");
		ret = k8s_val_ip4(d, v, &s->cluster_ip);
		k8s_path_pop(d, old);
		if (ret < 0)
			return ret;
	}
	ret = k8s_field_array(d, spec, "clusterIPs", &list);
	if (ret <= 0)
		return ret;
	old = k8s_path_key(d, "clusterIPs");
	k8s_for_each_item(item, i, list)
	{
		uint32_t ip = 0;

		if (is_none(item)) {
			s->headless = true;
			continue;
		}
		at = k8s_path_index(d, i);
		ret = k8s_val_ip4(d, item, &ip);
		k8s_path_pop(d, at);
		if (ret < 0)
			break;
		if (ret > 0 && !s->cluster_ip)
			s->cluster_ip = ip;
	}
	k8s_path_pop(d, old);
	if (ret < 0)
		return ret;
	if (s->headless)
		s->cluster_ip = 0;
	return 0;
}

static int service_port(struct k8s_dec *d, const cJSON *json, void *elem, void *ctx)
{
	struct k8s_service_port *p = elem;
	int ret;

	(void)ctx;
	ret = k8s_port_head(d, json, &p->name, &p->proto);
	if (ret)
		return ret;
	ret = k8s_field_u16(d, json, "port", 1, &p->port);
	if (ret <= 0)
		return ret ? ret : k8s_fail_at(d, "port", "required");
	ret = k8s_field_u16(d, json, "nodePort", 0, &p->node_port);
	if (ret < 0)
		return ret;
	ret = k8s_field_port_ref(d, json, "targetPort", &p->target_port);
	return ret < 0 ? ret : 0;
}

/* Every IPv4 of a list of address strings; IPv6 entries are skipped. */
static int ip4_list(struct k8s_dec *d, const cJSON *obj, const char *key, uint32_t **ips, size_t *n)
{
	const cJSON *list = NULL, *item;
	size_t i, old, at;
	int ret;

	ret = k8s_field_array(d, obj, key, &list);
	if (ret <= 0)
		return ret;
	*ips = k8s_alloc_items(list, sizeof(**ips));
	if (!*ips)
		return k8s_fail_nomem(d);
	old = k8s_path_key(d, key);
	k8s_for_each_item(item, i, list)
	{
		at = k8s_path_index(d, i);
		ret = k8s_val_ip4(d, item, &(*ips)[*n]);
		k8s_path_pop(d, at);
		if (ret < 0)
			break;
		*n += ret;
	}
	k8s_path_pop(d, old);
	return ret < 0 ? ret : 0;
}

/* status.loadBalancer.ingress[].ip; hostname-only entries are skipped. */
static int lb_ingress(struct k8s_dec *d, const cJSON *json, struct k8s_service *s)
{
	const cJSON *status = NULL, *lb = NULL, *list = NULL, *item, *ip;
	size_t i, old, at, ip_at;
	int ret;

	ret = k8s_field_object(d, json, "status", &status);
	if (ret <= 0)
		return ret;
	old = k8s_path_key(d, "status");
	ret = k8s_field_object(d, status, "loadBalancer", &lb);
	if (ret > 0) {
		k8s_path_key(d, "loadBalancer");
		ret = k8s_field_array(d, lb, "ingress", &list);
	}
	if (ret <= 0)
		goto out;
	s->lb_ips = k8s_alloc_items(list, sizeof(*s->lb_ips));
	if (!s->lb_ips) {
		ret = k8s_fail_nomem(d);
		goto out;
	}
	k8s_path_key(d, "ingress");
	k8s_for_each_item(item, i, list)
	{
		at = k8s_path_index(d, i);
		ret = k8s_val_object(d, item);
		ip = k8s_get(item, "ip");
		if (!ret && ip) {
			ip_at = k8s_path_key(d, "ip");
			ret = k8s_val_ip4(d, ip, &s->lb_ips[s->n_lb_ips]);
			k8s_path_pop(d, ip_at);
			if (ret > 0)
				s->n_lb_ips++;
		}
		k8s_path_pop(d, at);
		if (ret < 0)
			break;
	}
out:
	k8s_path_pop(d, old);
	return ret < 0 ? ret : 0;
}

static int affinity(struct k8s_dec *d, const cJSON *spec, struct k8s_service *s)
{
	const cJSON *cfg = NULL, *client_ip = NULL;
	int mode = 0, ret;
	size_t old;

	ret = k8s_field_enum(d, spec, "sessionAffinity", affinity_names,
			     K8S_ARRAY_SIZE(affinity_names), &mode);
	if (ret <= 0 || mode != AFFINITY_CLIENT_IP)
		return ret < 0 ? ret : 0;
	s->affinity_client_ip = true;
	s->affinity_timeout = AFFINITY_TIMEOUT_DEFAULT;
	ret = k8s_field_object(d, spec, "sessionAffinityConfig", &cfg);
	if (ret <= 0)
		return ret;
	old = k8s_path_key(d, "sessionAffinityConfig");
	ret = k8s_field_object(d, cfg, "clientIP", &client_ip);
	if (ret > 0) {
		k8s_path_key(d, "clientIP");
		ret = k8s_field_uint(d, client_ip, "timeoutSeconds", 1, AFFINITY_TIMEOUT_MAX,
				     &s->affinity_timeout);
	}
	k8s_path_pop(d, old);
	return ret < 0 ? ret : 0;
}

/* The ports' strings and the address lists, moved into one block with
 * the ports (decoded into temporaries: names borrowed from the JSON,
 * target port names copied). */
static int service_pack(struct k8s_dec *d, struct k8s_service *s)
{
	struct k8s_service_port *ports = s->ports;
	uint32_t *ext = s->external_ips, *lb = s->lb_ips;
	struct k8s_block b = { 0 };
	size_t i;
	int ret = 0;

	k8s_block_need(&b, s->n_ports * sizeof(*ports));
	k8s_block_need(&b, s->n_external_ips * sizeof(*ext));
	k8s_block_need(&b, s->n_lb_ips * sizeof(*lb));
	for (i = 0; i < s->n_ports; i++) {
		k8s_block_need_str(&b, ports[i].name);
		if (ports[i].target_port.name)
			k8s_block_need_str(&b, ports[i].target_port.name);
	}
	s->block = k8s_block_alloc(&b);
	if (!s->block) {
		ret = k8s_fail_nomem(d);
		goto out;
	}
	s->ports = k8s_block_take(&b, s->n_ports * sizeof(*ports));
	s->external_ips = k8s_block_take(&b, s->n_external_ips * sizeof(*ext));
	s->lb_ips = k8s_block_take(&b, s->n_lb_ips * sizeof(*lb));
	for (i = 0; i < s->n_ports; i++) {
		s->ports[i] = ports[i];
		s->ports[i].name = k8s_block_str(&b, ports[i].name);
		if (ports[i].target_port.name)
			s->ports[i].target_port.name = k8s_block_str(&b, ports[i].target_port.name);
	}
	if (s->n_external_ips)
		memcpy(s->external_ips, ext, s->n_external_ips * sizeof(*ext));
	if (s->n_lb_ips)
		memcpy(s->lb_ips, lb, s->n_lb_ips * sizeof(*lb));
out:
	for (i = 0; i < s->n_ports; i++)
		free(ports[i].target_port.name);
	free(ports);
	free(ext);
	free(lb);
	if (ret) {
		s->ports = NULL;
		s->external_ips = s->lb_ips = NULL;
		s->n_ports = s->n_external_ips = s->n_lb_ips = 0;
	}
	return ret;
}

/* The temporaries of a decode that failed before service_pack. */
static void draft_free(struct k8s_service *s)
{
	for (size_t i = 0; i < s->n_ports; i++)
		free(s->ports[i].target_port.name);
	free(s->ports);
	free(s->external_ips);
	free(s->lb_ips);
	s->ports = NULL;
	s->external_ips = s->lb_ips = NULL;
	s->n_ports = s->n_external_ips = s->n_lb_ips = 0;
}

static int service_decode(struct k8s_dec *d, const cJSON *json, void *obj)
{
	struct k8s_service *s = obj;
	const cJSON *spec = NULL;
	void *ports = NULL;
	int type = K8S_SVC_CLUSTER_IP, etp = 0, itp = 0;
	size_t old;
	int ret;

	ret = k8s_field_object(d, json, "spec", &spec);
	if (ret < 0)
		return ret;
	old = k8s_path_key(d, "spec");
	ret = k8s_field_enum(d, spec, "type", svc_types, K8S_ARRAY_SIZE(svc_types), &type);
	if (ret >= 0)
		ret = cluster_ip(d, spec, s);
	if (ret >= 0) {
		ret = k8s_field_list(d, spec, "ports", sizeof(*s->ports), service_port, NULL,
				     &ports, &s->n_ports);
		s->ports = ports;
	}
	if (ret >= 0)
		ret = ip4_list(d, spec, "externalIPs", &s->external_ips, &s->n_external_ips);
	if (ret >= 0)
		ret = k8s_field_enum(d, spec, "externalTrafficPolicy", etp_names,
				     K8S_ARRAY_SIZE(etp_names), &etp);
	if (ret >= 0)
		ret = k8s_field_enum(d, spec, "internalTrafficPolicy", itp_names,
				     K8S_ARRAY_SIZE(itp_names), &itp);
	if (ret >= 0)
		ret = affinity(d, spec, s);
	k8s_path_pop(d, old);
	if (ret >= 0)
		ret = lb_ingress(d, json, s);
	if (ret < 0) {
		draft_free(s);
		return ret;
	}
	s->type = (enum k8s_service_type)type;
	s->etp_local = etp == ETP_LOCAL;
	s->itp_local = itp == ITP_LOCAL;
	return service_pack(d, s);
}

const struct k8s_kind_ops k8s_service_ops = {
	.kind = "Service",
	.resource = "services",
	.path = "/api/v1/services",
	.namespaced = true,
	.size = sizeof(struct k8s_service),
	.decode = service_decode,
	.free_body = service_free,
};
