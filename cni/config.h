/* The network configuration read from stdin: xcni's own fields, the built-in
 * IPAM's fields, and the runtime-provided parts (prevResult, GC list). */
#ifndef XCNI_CNI_CONFIG_H
#define XCNI_CNI_CONFIG_H

#include <stdbool.h>
#include <limits.h>
#include <cjson/cJSON.h>

#include "env.h"
#include "error.h"
#include "ip4.h"
#include "result.h"

#define XCNI_PLUGIN_TYPE "xcni"
#define XCNI_DEFAULT_MTU 1500
#define XCNI_DEFAULT_DATA_DIR "/var/lib/cni/xcni"
#define XCNI_IPAM_TYPE_MAX 64

struct ipam_conf {
	bool builtin; /* ipam absent, or ipam.type "xcni" */
	char type[XCNI_IPAM_TYPE_MAX];
	bool have_subnet;
	struct ip4_prefix subnet;
	uint32_t range_start, range_end, gateway; /* 0: derived from the subnet */
	bool have_routes;
	struct cni_route routes[CNI_MAX_ROUTES];
	int n_routes;
	char data_dir[PATH_MAX];
};

struct net_conf {
	char cni_version[16];
	char name[CNI_NETWORK_NAME_MAX + 1];
	unsigned int mtu; /* 0: node state or the default */
	char node_state_file[PATH_MAX];
	bool node_state_explicit;
	struct ipam_conf ipam;
	cJSON *root;
	const char *raw; /* stdin as received, handed to a delegated IPAM plugin */
	size_t raw_len;
	const cJSON *prev_result;
	const cJSON *valid_attachments;
};

int net_conf_parse(const char *text, size_t len, struct net_conf *c, struct cni_err *e);
/* Fills what the config left to the node state file: the subnet (when
 * absent) and the MTU (when unset). */
int net_conf_resolve_node(struct net_conf *c, struct cni_err *e);
void net_conf_free(struct net_conf *c);

#endif
