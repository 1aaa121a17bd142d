/* DEL: idempotent. An empty or vanished CNI_NETNS, a missing veth, an
 * already released address and a datapath that is gone are all "already
 * done". */
#include <limits.h>

#include "enroll.h"
#include "ipam_ops.h"
#include "result.h"
#include "plugin.h"
#include "wiring.h"

/* The host-side interface prevResult names, if any: the one without a
 * sandbox. */
static const char *prev_host_name(const struct invocation *inv, struct cni_result *prev)
{
	struct cni_err ignored = { 0 };

	if (!inv->conf.prev_result || cni_result_decode(inv->conf.prev_result, prev, &ignored))
		return NULL;
	for (int i = 0; i < prev->n_ifaces; i++)
		if (!prev->ifaces[i].sandbox[0])
			return prev->ifaces[i].name;
	return NULL;
}

int cmd_del(struct invocation *inv)
{
	struct cni_result prev = { 0 };
	struct cni_err ignored = { 0 };
	char root[PATH_MAX];
	int ret, host_ifindex = 0;
	struct wiring w = { .network = inv->conf.name,
			    .att = &inv->att,
			    .netns_path = inv->env.netns ? inv->env.netns : "",
			    .netns_fd = -1 };

	/* Removing the host end takes the pod's end with it, wherever the
	 * pod's netns is, so the netns itself is never needed. A prevResult
	 * that does not decode is no reason to keep resources: ignore it. */
	w.host_hint = prev_host_name(inv, &prev);
	/* Enrolled pods leave the maps too; the veth's filter goes with it. */
	if (!enroll_root(&inv->conf, root, &ignored) && root[0]) {
		host_ifindex = wiring_host_ifindex(&w);
		enroll_del(root, host_ifindex > 0 ? host_ifindex : 0);
	}
	ret = wiring_del(&w, &inv->err);
	cni_result_free(&prev);
	if (ret)
		return -1;
	return ipam_del(inv);
}
