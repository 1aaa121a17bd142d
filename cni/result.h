/* The CNI result (interfaces, IPs, routes, DNS), decoded from any supported
 * version and encoded in the version the runtime asked for. */
#ifndef XCNI_CNI_RESULT_H
#define XCNI_CNI_RESULT_H

#include <limits.h>
#include <net/if.h>
#include <cjson/cJSON.h>

#include "error.h"
#include "ip4.h"

#define CNI_MAX_IFACES 4
#define CNI_MAX_IPS 8
#define CNI_MAX_ROUTES 16

struct cni_iface {
	char name[IFNAMSIZ];
	char mac[18];
	char sandbox[PATH_MAX];
	unsigned int mtu;
};

struct cni_ip {
	struct ip4_prefix addr;
	uint32_t gw;
	int iface; /* index into ifaces, -1 when absent */
};

struct cni_route {
	struct ip4_prefix dst;
	uint32_t gw; /* 0: the IP's gateway */
};

struct cni_result {
	struct cni_iface ifaces[CNI_MAX_IFACES];
	int n_ifaces;
	struct cni_ip ips[CNI_MAX_IPS];
	int n_ips;
	struct cni_route routes[CNI_MAX_ROUTES];
	int n_routes;
	cJSON *dns; /* owned; NULL when absent */
};

cJSON *cni_result_encode(const struct cni_result *r, const char *version);
int cni_result_decode(const cJSON *j, struct cni_result *r, struct cni_err *e);
int cni_routes_decode(const cJSON *arr, const char *what, struct cni_route *routes, int *n,
		      struct cni_err *e);
void cni_result_free(struct cni_result *r);

#endif
