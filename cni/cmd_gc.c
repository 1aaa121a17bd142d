/* GC: remove the veths and addresses of this network's attachments that
 * the runtime no longer lists in cni.dev/valid-attachments, and the
 * endpoints of veths that are gone. */
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "enroll.h"
#include "ipam_ops.h"
#include "plugin.h"
#include "version.h"
#include "wiring.h"

struct valid_set {
	struct cni_attachment *a;
	int n;
};

static bool is_valid(const struct cni_attachment *a, void *data)
{
	const struct valid_set *set = data;

	for (int i = 0; i < set->n; i++)
		if (!strcmp(set->a[i].container_id, a->container_id) &&
		    !strcmp(set->a[i].ifname, a->ifname))
			return true;
	return false;
}

static int parse_valid(struct invocation *inv, struct valid_set *set)
{
	const cJSON *list = inv->conf.valid_attachments, *it;

	if (!cJSON_IsArray(list))
		return cni_errf(&inv->err, CNI_ERR_INVALID_CONFIG,
				"GC needs cni.dev/valid-attachments as an array");
	set->a = calloc(cJSON_GetArraySize(list) + 1, sizeof(*set->a));
	if (!set->a)
		return cni_errf(&inv->err, XCNI_ERR_INTERNAL, "out of memory");
	cJSON_ArrayForEach(it, list)
	{
		const cJSON *cid = cJSON_GetObjectItemCaseSensitive(it, "containerID");
		const cJSON *ifn = cJSON_GetObjectItemCaseSensitive(it, "ifname");

		if (!cJSON_IsString(cid) || !cJSON_IsString(ifn))
			return cni_errf(
				&inv->err, CNI_ERR_INVALID_CONFIG,
				"cni.dev/valid-attachments: each entry needs string containerID and ifname");
		/* Entries no ADD could have made cannot match anything. */
		if (strlen(cid->valuestring) >= sizeof(set->a->container_id) ||
		    strlen(ifn->valuestring) >= sizeof(set->a->ifname))
			continue;
		strcpy(set->a[set->n].container_id, cid->valuestring);
		strcpy(set->a[set->n].ifname, ifn->valuestring);
		set->n++;
	}
	return 0;
}

int cmd_gc(struct invocation *inv)
{
	struct valid_set set = { 0 };
	struct cni_err ignored = { 0 };
	char root[PATH_MAX];
	int ret = -1;

	if (cni_version_cmp(inv->conf.cni_version, "1.1.0") < 0)
		return cni_errf(&inv->err, CNI_ERR_INCOMPATIBLE_VERSION,
				"GC needs cniVersion 1.1.0 or later, config has %s",
				inv->conf.cni_version);
	if (parse_valid(inv, &set))
		goto out;
	if (wiring_gc(inv->conf.name, is_valid, &set, &inv->err) < 0)
		goto out;
	/* After the veths went: their endpoints now point nowhere. */
	if (!enroll_root(&inv->conf, root, &ignored) && root[0])
		enroll_gc(root);
	ret = ipam_gc_run(inv, is_valid, &set);
out:
	free(set.a);
	return ret;
}
