/* Reading the node state file (JSON) written by xcni-agent. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cjson/cJSON.h>

#include "file.h"
#include "node_state.h"

int node_state_read(const char *path, struct node_state *ns, char *err, size_t errlen)
{
	const cJSON *cidr, *gw, *mtu, *root_dir;
	cJSON *root = NULL;
	char *text = NULL;
	int ret;

	memset(ns, 0, sizeof(*ns));
	ret = file_read_all(path, &text, 1 << 20);
	if (ret) {
		snprintf(err, errlen, "cannot read node state file %s: %s", path, strerror(-ret));
		return ret;
	}
	ret = -EINVAL;
	root = cJSON_Parse(text);
	if (!cJSON_IsObject(root)) {
		snprintf(err, errlen, "node state file %s is not a JSON object", path);
		goto out;
	}
	cidr = cJSON_GetObjectItemCaseSensitive(root, "podCIDR");
	if (!cJSON_IsString(cidr) || ip4_prefix_parse(cidr->valuestring, &ns->pod_cidr)) {
		snprintf(err, errlen, "node state file %s: podCIDR must be an IPv4 CIDR", path);
		goto out;
	}
	gw = cJSON_GetObjectItemCaseSensitive(root, "gateway");
	if (gw && (!cJSON_IsString(gw) || ip4_parse(gw->valuestring, &ns->gateway))) {
		snprintf(err, errlen, "node state file %s: gateway must be an IPv4 address", path);
		goto out;
	}
	mtu = cJSON_GetObjectItemCaseSensitive(root, "mtu");
	if (mtu) {
		if (!cJSON_IsNumber(mtu) || mtu->valuedouble < 68 || mtu->valuedouble > 65535) {
			snprintf(err, errlen, "node state file %s: mtu must be 68..65535", path);
			goto out;
		}
		ns->mtu = (unsigned int)mtu->valuedouble;
	}
	root_dir = cJSON_GetObjectItemCaseSensitive(root, "bpffsRoot");
	if (cJSON_IsString(root_dir))
		snprintf(ns->bpffs_root, sizeof(ns->bpffs_root), "%s", root_dir->valuestring);
	ret = 0;
out:
	cJSON_Delete(root);
	free(text);
	return ret;
}
