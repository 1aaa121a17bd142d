/* Result encoding per CNI version: 0.3.x and 0.4.0 tag each IP with
 * "version", 1.0.0 drops it, 1.1.0 adds the interface MTU. */
#include <stdio.h>
#include <string.h>

#include "result.h"
#include "version.h"

static void add_ip4(cJSON *o, const char *key, uint32_t addr)
{
	char buf[INET_ADDRSTRLEN];

	ip4_format(addr, buf);
	cJSON_AddStringToObject(o, key, buf);
}

static void add_prefix(cJSON *o, const char *key, const struct ip4_prefix *p)
{
	char buf[IP4_PREFIX_STRLEN];

	ip4_prefix_format(p, buf);
	cJSON_AddStringToObject(o, key, buf);
}

cJSON *cni_result_encode(const struct cni_result *r, const char *version)
{
	bool tag_ip_version = cni_version_cmp(version, "1.0.0") < 0;
	bool iface_mtu = cni_version_cmp(version, "1.1.0") >= 0;
	cJSON *o = cJSON_CreateObject();
	cJSON *ifaces, *ips, *routes;

	/* cniVersion first, as the reference plugins print it. */
	cJSON_AddStringToObject(o, "cniVersion", version);
	ifaces = cJSON_AddArrayToObject(o, "interfaces");
	ips = cJSON_AddArrayToObject(o, "ips");
	routes = cJSON_AddArrayToObject(o, "routes");

	for (int i = 0; i < r->n_ifaces; i++) {
		const struct cni_iface *f = &r->ifaces[i];
		cJSON *j = cJSON_CreateObject();

		cJSON_AddStringToObject(j, "name", f->name);
		if (f->mac[0])
			cJSON_AddStringToObject(j, "mac", f->mac);
		if (iface_mtu && f->mtu)
			cJSON_AddNumberToObject(j, "mtu", f->mtu);
		if (f->sandbox[0])
			cJSON_AddStringToObject(j, "sandbox", f->sandbox);
		cJSON_AddItemToArray(ifaces, j);
	}
	for (int i = 0; i < r->n_ips; i++) {
		const struct cni_ip *ip = &r->ips[i];
		cJSON *j = cJSON_CreateObject();

		if (tag_ip_version)
			cJSON_AddStringToObject(j, "version", "4");
		add_prefix(j, "address", &ip->addr);
		if (ip->gw)
			add_ip4(j, "gateway", ip->gw);
		if (ip->iface >= 0)
			cJSON_AddNumberToObject(j, "interface", ip->iface);
		cJSON_AddItemToArray(ips, j);
	}
	for (int i = 0; i < r->n_routes; i++) {
		cJSON *j = cJSON_CreateObject();

		add_prefix(j, "dst", &r->routes[i].dst);
		if (r->routes[i].gw)
			add_ip4(j, "gw", r->routes[i].gw);
		cJSON_AddItemToArray(routes, j);
	}
	cJSON_AddItemToObject(o, "dns", r->dns ? cJSON_Duplicate(r->dns, 1) : cJSON_CreateObject());
	return o;
}

static int decode_str(const cJSON *o, const char *key, const char *what, const char **out,
		      bool required, struct cni_err *e)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);

	*out = NULL;
	if (!v || cJSON_IsNull(v)) {
		if (required)
			return cni_errf(e, CNI_ERR_DECODE, "%s: missing \"%s\"", what, key);
		return 0;
	}
	if (!cJSON_IsString(v))
		return cni_errf(e, CNI_ERR_DECODE, "%s: \"%s\" must be a string", what, key);
	*out = v->valuestring;
	return 0;
}

int cni_routes_decode(const cJSON *arr, const char *what, struct cni_route *routes, int *n,
		      struct cni_err *e)
{
	const cJSON *it;

	*n = 0;
	if (!arr || cJSON_IsNull(arr))
		return 0;
	if (!cJSON_IsArray(arr))
		return cni_errf(e, CNI_ERR_INVALID_CONFIG, "%s must be an array", what);
	cJSON_ArrayForEach(it, arr)
	{
		const char *dst, *gw;

		if (*n >= CNI_MAX_ROUTES)
			return cni_errf(e, CNI_ERR_INVALID_CONFIG, "%s: more than %d routes", what,
					CNI_MAX_ROUTES);
		if (!cJSON_IsObject(it))
			return cni_errf(e, CNI_ERR_INVALID_CONFIG,
					"%s: each route must be an object", what);
		if (decode_str(it, "dst", what, &dst, true, e) ||
		    decode_str(it, "gw", what, &gw, false, e)) {
			e->code = CNI_ERR_INVALID_CONFIG;
			return -1;
		}
		if (strchr(dst, ':') || (gw && strchr(gw, ':')))
			return cni_errf(e, CNI_ERR_UNSUPPORTED_FIELD,
					"%s: IPv6 route %s is not supported yet", what, dst);
		memset(&routes[*n], 0, sizeof(routes[*n]));
		if (ip4_prefix_parse(dst, &routes[*n].dst))
			return cni_errf(e, CNI_ERR_INVALID_CONFIG, "%s: dst \"%s\" is not a CIDR",
					what, dst);
		if (gw && ip4_parse(gw, &routes[*n].gw))
			return cni_errf(e, CNI_ERR_INVALID_CONFIG,
					"%s: gw \"%s\" is not an IPv4 address", what, gw);
		(*n)++;
	}
	return 0;
}

static int decode_iface(const cJSON *j, struct cni_iface *f, struct cni_err *e)
{
	const char *name, *mac, *sandbox;
	const cJSON *mtu;

	if (!cJSON_IsObject(j))
		return cni_errf(e, CNI_ERR_DECODE, "result: each interface must be an object");
	if (decode_str(j, "name", "result interface", &name, true, e) ||
	    decode_str(j, "mac", "result interface", &mac, false, e) ||
	    decode_str(j, "sandbox", "result interface", &sandbox, false, e))
		return -1;
	memset(f, 0, sizeof(*f));
	snprintf(f->name, sizeof(f->name), "%s", name);
	if (mac)
		snprintf(f->mac, sizeof(f->mac), "%s", mac);
	if (sandbox)
		snprintf(f->sandbox, sizeof(f->sandbox), "%s", sandbox);
	mtu = cJSON_GetObjectItemCaseSensitive(j, "mtu");
	if (cJSON_IsNumber(mtu) && mtu->valuedouble > 0)
		f->mtu = (unsigned int)mtu->valuedouble;
	return 0;
}

static int decode_ip(const cJSON *j, int n_ifaces, struct cni_ip *ip, struct cni_err *e)
{
	const char *addr, *gw, *version;
	const cJSON *iface;

	if (!cJSON_IsObject(j))
		return cni_errf(e, CNI_ERR_DECODE, "result: each ip must be an object");
	if (decode_str(j, "address", "result ip", &addr, true, e) ||
	    decode_str(j, "gateway", "result ip", &gw, false, e) ||
	    decode_str(j, "version", "result ip", &version, false, e))
		return -1;
	if ((version && strcmp(version, "4")) || strchr(addr, ':'))
		return cni_errf(e, CNI_ERR_UNSUPPORTED_FIELD,
				"result ip %s: IPv6 is not supported yet", addr);
	memset(ip, 0, sizeof(*ip));
	if (ip4_prefix_parse(addr, &ip->addr))
		return cni_errf(e, CNI_ERR_DECODE, "result ip: \"%s\" is not an IPv4 CIDR", addr);
	if (gw && ip4_parse(gw, &ip->gw))
		return cni_errf(e, CNI_ERR_DECODE, "result ip: gateway \"%s\" is not IPv4", gw);
	ip->iface = -1;
	iface = cJSON_GetObjectItemCaseSensitive(j, "interface");
	if (iface) {
		if (!cJSON_IsNumber(iface) || iface->valueint < 0 || iface->valueint >= n_ifaces)
			return cni_errf(e, CNI_ERR_DECODE,
					"result ip %s: interface index out of range", addr);
		ip->iface = iface->valueint;
	}
	return 0;
}

int cni_result_decode(const cJSON *j, struct cni_result *r, struct cni_err *e)
{
	const cJSON *ifaces, *ips, *dns, *it;

	memset(r, 0, sizeof(*r));
	if (!cJSON_IsObject(j))
		return cni_errf(e, CNI_ERR_DECODE, "result must be a JSON object");
	ifaces = cJSON_GetObjectItemCaseSensitive(j, "interfaces");
	if (ifaces && !cJSON_IsArray(ifaces))
		return cni_errf(e, CNI_ERR_DECODE, "result: interfaces must be an array");
	cJSON_ArrayForEach(it, ifaces)
	{
		if (r->n_ifaces >= CNI_MAX_IFACES)
			return cni_errf(e, CNI_ERR_DECODE, "result: too many interfaces");
		if (decode_iface(it, &r->ifaces[r->n_ifaces++], e))
			return -1;
	}
	ips = cJSON_GetObjectItemCaseSensitive(j, "ips");
	if (ips && !cJSON_IsArray(ips))
		return cni_errf(e, CNI_ERR_DECODE, "result: ips must be an array");
	cJSON_ArrayForEach(it, ips)
	{
		if (r->n_ips >= CNI_MAX_IPS)
			return cni_errf(e, CNI_ERR_DECODE, "result: too many ips");
		if (decode_ip(it, r->n_ifaces, &r->ips[r->n_ips++], e))
			return -1;
	}
	if (cni_routes_decode(cJSON_GetObjectItemCaseSensitive(j, "routes"), "result routes",
			      r->routes, &r->n_routes, e)) {
		e->code = e->code == CNI_ERR_INVALID_CONFIG ? CNI_ERR_DECODE : e->code;
		return -1;
	}
	dns = cJSON_GetObjectItemCaseSensitive(j, "dns");
	if (cJSON_IsObject(dns))
		r->dns = cJSON_Duplicate(dns, 1);
	return 0;
}

void cni_result_free(struct cni_result *r)
{
	cJSON_Delete(r->dns);
	r->dns = NULL;
}
