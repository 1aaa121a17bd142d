/* STATUS: can the plugin take ADDs now (config and node state usable,
 * the datapath loaded when the config enrolls pods, addresses left)? */
#include <limits.h>

#include "enroll.h"
#include "ipam_ops.h"
#include "plugin.h"
#include "version.h"

int cmd_status(struct invocation *inv)
{
	char root[PATH_MAX];

	if (cni_version_cmp(inv->conf.cni_version, "1.1.0") < 0)
		return cni_errf(&inv->err, CNI_ERR_INCOMPATIBLE_VERSION,
				"STATUS needs cniVersion 1.1.0 or later, config has %s",
				inv->conf.cni_version);
	if (net_conf_resolve_node(&inv->conf, &inv->err) ||
	    enroll_root(&inv->conf, root, &inv->err) ||
	    (root[0] && enroll_ready(root, CNI_ERR_NOT_AVAILABLE, &inv->err))) {
		if (inv->err.code == CNI_ERR_TRY_LATER)
			inv->err.code = CNI_ERR_NOT_AVAILABLE;
		return -1;
	}
	return ipam_status(inv);
}
