/* Parsing and validating the network configuration. Wrong types and
 * impossible values are refused with the field's name in the message. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "config.h"
#include "node_state.h"
#include "version.h"

static const cJSON *field(const cJSON *o, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);

	return cJSON_IsNull(v) ? NULL : v;
}

static int get_str(const cJSON *o, const char *what, const char *key, char *out, size_t size,
		   bool required, struct cni_err *e)
{
	const cJSON *v = field(o, key);

	if (!v) {
		if (required)
			return cni_errf(e, CNI_ERR_INVALID_CONFIG,
					"network config: %s%s is required", what, key);
		return 0;
	}
	if (!cJSON_IsString(v))
		return cni_errf(e, CNI_ERR_INVALID_CONFIG, "network config: %s%s must be a string",
				what, key);
	if (strlen(v->valuestring) >= size)
		return cni_errf(e, CNI_ERR_INVALID_CONFIG,
				"network config: %s%s is longer than %zu characters", what, key,
				size - 1);
	memcpy(out, v->valuestring, strlen(v->valuestring) + 1);
	return 0;
}

static int get_ip4(const cJSON *o, const char *key, uint32_t *out, struct cni_err *e)
{
	char buf[64] = "";

	if (get_str(o, "ipam.", key, buf, sizeof(buf), false, e))
		return -1;
	if (!buf[0])
		return 0;
	if (strchr(buf, ':'))
		return cni_errf(e, CNI_ERR_UNSUPPORTED_FIELD,
				"network config: ipam.%s \"%s\": IPv6 is not supported yet", key,
				buf);
	if (ip4_parse(buf, out))
		return cni_errf(e, CNI_ERR_INVALID_CONFIG,
				"network config: ipam.%s \"%s\" is not an IPv4 address", key, buf);
	return 0;
}

/* Picks cniVersion, or the newest supported entry of a conflist's
 * cniVersions when cniVersion is absent. */
static int parse_version(const cJSON *root, struct net_conf *c, struct cni_err *e)
{
	const cJSON *versions = field(root, "cniVersions"), *it;

	if (get_str(root, "", "cniVersion", c->cni_version, sizeof(c->cni_version), false, e))
		return -1;
	if (!c->cni_version[0] && versions) {
		if (!cJSON_IsArray(versions))
			return cni_errf(e, CNI_ERR_INVALID_CONFIG,
					"network config: cniVersions must be an array of strings");
		cJSON_ArrayForEach(it, versions)
		{
			if (!cJSON_IsString(it))
				return cni_errf(
					e, CNI_ERR_INVALID_CONFIG,
					"network config: cniVersions must be an array of strings");
			if (cni_version_supported(it->valuestring) &&
			    cni_version_cmp(it->valuestring, c->cni_version) > 0)
				snprintf(c->cni_version, sizeof(c->cni_version), "%s",
					 it->valuestring);
		}
		if (!c->cni_version[0])
			return cni_errf(
				e, CNI_ERR_INCOMPATIBLE_VERSION,
				"none of the network's cniVersions is supported (xcni supports 0.3.0 to 1.1.0)");
	}
	if (!c->cni_version[0])
		return cni_errf(e, CNI_ERR_INVALID_CONFIG,
				"network config: cniVersion is required");
	if (!cni_version_supported(c->cni_version))
		return cni_errf(
			e, CNI_ERR_INCOMPATIBLE_VERSION,
			"incompatible CNI version %s (xcni supports 0.3.0, 0.3.1, 0.4.0, 1.0.0, 1.1.0)",
			c->cni_version);
	return 0;
}

static int parse_ipam(const cJSON *ipam, struct ipam_conf *p, struct cni_err *e)
{
	char subnet[64] = "";

	p->builtin = true;
	snprintf(p->data_dir, sizeof(p->data_dir), "%s", XCNI_DEFAULT_DATA_DIR);
	if (!ipam)
		return 0;
	if (!cJSON_IsObject(ipam))
		return cni_errf(e, CNI_ERR_INVALID_CONFIG,
				"network config: ipam must be an object");
	if (get_str(ipam, "ipam.", "type", p->type, sizeof(p->type), false, e))
		return -1;
	if (p->type[0] && strcmp(p->type, XCNI_PLUGIN_TYPE)) {
		/* Delegation: the plugin is looked up by name in CNI_PATH. */
		if (strchr(p->type, '/') || !strcmp(p->type, ".") || !strcmp(p->type, ".."))
			return cni_errf(
				e, CNI_ERR_INVALID_CONFIG,
				"network config: ipam.type \"%s\" must be a plugin name, not a path",
				p->type);
		p->builtin = false;
		return 0;
	}
	if (get_str(ipam, "ipam.", "subnet", subnet, sizeof(subnet), false, e) ||
	    get_str(ipam, "ipam.", "dataDir", p->data_dir, sizeof(p->data_dir), false, e))
		return -1;
	if (p->data_dir[0] != '/')
		return cni_errf(e, CNI_ERR_INVALID_CONFIG,
				"network config: ipam.dataDir \"%s\" must be an absolute path",
				p->data_dir);
	if (field(ipam, "ranges"))
		return cni_errf(
			e, CNI_ERR_UNSUPPORTED_FIELD,
			"network config: ipam.ranges is not supported by xcni's IPAM; use ipam.subnet, rangeStart and rangeEnd");
	if (subnet[0]) {
		if (strchr(subnet, ':'))
			return cni_errf(
				e, CNI_ERR_UNSUPPORTED_FIELD,
				"network config: ipam.subnet \"%s\": IPv6 is not supported yet",
				subnet);
		if (ip4_prefix_parse(subnet, &p->subnet))
			return cni_errf(e, CNI_ERR_INVALID_CONFIG,
					"network config: ipam.subnet \"%s\" is not an IPv4 CIDR",
					subnet);
		p->have_subnet = true;
	}
	if (get_ip4(ipam, "rangeStart", &p->range_start, e) ||
	    get_ip4(ipam, "rangeEnd", &p->range_end, e) || get_ip4(ipam, "gateway", &p->gateway, e))
		return -1;
	if (field(ipam, "routes")) {
		p->have_routes = true;
		if (cni_routes_decode(field(ipam, "routes"), "ipam.routes", p->routes, &p->n_routes,
				      e))
			return -1;
	}
	return 0;
}

int net_conf_parse(const char *text, size_t len, struct net_conf *c, struct cni_err *e)
{
	const char *end = NULL;
	const cJSON *mtu, *type, *args;

	memset(c, 0, sizeof(*c));
	c->raw = text;
	c->raw_len = len;
	snprintf(c->node_state_file, sizeof(c->node_state_file), "%s", XCNI_NODE_STATE_DEFAULT);
	if (len == 0)
		return cni_errf(e, CNI_ERR_DECODE, "no network config on stdin");
	if (strlen(text) != len)
		return cni_errf(e, CNI_ERR_DECODE, "network config contains a NUL byte");
	c->root = cJSON_ParseWithOpts(text, &end, true);
	if (!c->root) {
		size_t at = end ? (size_t)(end - text) : 0;

		cni_errf(e, CNI_ERR_DECODE, "failed to decode network config: invalid JSON");
		cni_err_details(e, "parse error at byte %zu of %zu", at, len);
		return -1;
	}
	if (!cJSON_IsObject(c->root))
		return cni_errf(e, CNI_ERR_DECODE, "network config must be a JSON object");
	if (parse_version(c->root, c, e))
		return -1;
	if (get_str(c->root, "", "name", c->name, sizeof(c->name), true, e))
		return -1;
	if (!cni_valid_network_name(c->name))
		return cni_errf(
			e, CNI_ERR_INVALID_CONFIG,
			"network config: invalid name \"%s\": want [A-Za-z0-9_.-], starting alphanumeric",
			c->name);
	type = field(c->root, "type");
	if (!cJSON_IsString(type))
		return cni_errf(e, CNI_ERR_INVALID_CONFIG,
				"network config: type is required and must be a string");
	if (strcmp(type->valuestring, XCNI_PLUGIN_TYPE))
		return cni_errf(e, CNI_ERR_INVALID_CONFIG,
				"network config: type is \"%s\", this plugin is \"%s\"",
				type->valuestring, XCNI_PLUGIN_TYPE);
	mtu = field(c->root, "mtu");
	if (mtu) {
		if (!cJSON_IsNumber(mtu) || mtu->valuedouble != (double)mtu->valueint ||
		    mtu->valueint < 68 || mtu->valueint > 65535)
			return cni_errf(e, CNI_ERR_INVALID_CONFIG,
					"network config: mtu must be an integer from 68 to 65535");
		c->mtu = (unsigned int)mtu->valueint;
	}
	if (get_str(c->root, "", "nodeStateFile", c->node_state_file, sizeof(c->node_state_file),
		    false, e))
		return -1;
	c->node_state_explicit = field(c->root, "nodeStateFile") != NULL;
	args = field(c->root, "args");
	if (args && !cJSON_IsObject(args))
		return cni_errf(e, CNI_ERR_INVALID_CONFIG,
				"network config: args must be an object");
	if (field(c->root, "runtimeConfig") && !cJSON_IsObject(field(c->root, "runtimeConfig")))
		return cni_errf(e, CNI_ERR_INVALID_CONFIG,
				"network config: runtimeConfig must be an object");
	c->prev_result = field(c->root, "prevResult");
	if (c->prev_result && !cJSON_IsObject(c->prev_result))
		return cni_errf(e, CNI_ERR_INVALID_CONFIG,
				"network config: prevResult must be an object");
	c->valid_attachments = field(c->root, "cni.dev/valid-attachments");
	return parse_ipam(field(c->root, "ipam"), &c->ipam, e);
}

int net_conf_resolve_node(struct net_conf *c, struct cni_err *e)
{
	bool need_subnet = c->ipam.builtin && !c->ipam.have_subnet;
	struct node_state ns;
	char msg[PATH_MAX + 128];
	int err;

	/* The node state is read when the config names it or needs its pod
	 * CIDR; a standalone config with a subnet does not depend on it. */
	if (!need_subnet && (c->mtu || !c->node_state_explicit)) {
		if (!c->mtu)
			c->mtu = XCNI_DEFAULT_MTU;
		return 0;
	}
	err = node_state_read(c->node_state_file, &ns, msg, sizeof(msg));
	if (err) {
		cni_errf(e, err == -ENOENT ? CNI_ERR_TRY_LATER : CNI_ERR_INVALID_CONFIG,
			 "node state is unusable: %s", msg);
		cni_err_details(e, "set ipam.subnet, or run xcni-agent to write %s",
				c->node_state_file);
		return -1;
	}
	if (need_subnet) {
		c->ipam.subnet = ns.pod_cidr;
		c->ipam.have_subnet = true;
		if (!c->ipam.gateway)
			c->ipam.gateway = ns.gateway;
	}
	if (!c->mtu)
		c->mtu = ns.mtu ? ns.mtu : XCNI_DEFAULT_MTU;
	return 0;
}

void net_conf_free(struct net_conf *c)
{
	cJSON_Delete(c->root);
	c->root = NULL;
}
