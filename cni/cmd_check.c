/* CHECK: the pod and host sides still match prevResult, IPAM still holds
 * its addresses for this attachment, and an enrolled pod is still in the
 * datapath. */
#include <limits.h>
#include <unistd.h>

#include "enroll.h"
#include "ipam_ops.h"
#include "plugin.h"
#include "version.h"
#include "wiring.h"

int cmd_check(struct invocation *inv)
{
	struct wiring w = { .network = inv->conf.name,
			    .att = &inv->att,
			    .netns_path = inv->env.netns };
	struct cni_result prev = { 0 };
	char root[PATH_MAX];
	int ret = -1;

	if (cni_version_cmp(inv->conf.cni_version, "0.4.0") < 0)
		return cni_errf(&inv->err, CNI_ERR_INCOMPATIBLE_VERSION,
				"CHECK needs cniVersion 0.4.0 or later, config has %s",
				inv->conf.cni_version);
	if (!inv->conf.prev_result)
		return cni_errf(&inv->err, CNI_ERR_INVALID_CONFIG,
				"CHECK needs prevResult in the network config");
	if (cni_result_decode(inv->conf.prev_result, &prev, &inv->err))
		return -1;
	w.netns_fd = open_netns(inv);
	if (w.netns_fd < 0)
		goto out;
	if (!wiring_check(&w, &prev, &inv->err) && !ipam_check(inv, &prev) &&
	    !enroll_root(&inv->conf, root, &inv->err) &&
	    (!root[0] || !enroll_check(root, &prev, w.netns_fd, &inv->err)))
		ret = 0;
	close(w.netns_fd);
out:
	cni_result_free(&prev);
	return ret;
}
