/* DEL: idempotent. An empty or vanished CNI_NETNS, a missing veth and an
 * already released address are all "already done". */
#include "ipam_ops.h"
#include "plugin.h"
#include "wiring.h"

int cmd_del(struct invocation *inv)
{
	struct wiring w = { .network = inv->conf.name, .att = &inv->att,
			    .netns_path = inv->env.netns ? inv->env.netns : "", .netns_fd = -1 };

	/* Removing the host end takes the pod's end with it, wherever the
	 * pod's netns is, so the netns itself is never needed. */
	if (wiring_del(&w, &inv->err))
		return -1;
	return ipam_del(inv);
}
