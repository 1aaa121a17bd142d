/* A running node's datapath opened from its pins (xcnictl and tools), with
 * the layout of every map checked against this build first. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "bpffs.h"
#include "dp_pin.h"
#include "pin.h"
#include "xcni/pins.h"
#include "xdp_node.skel.h"

#define FIELD(name, member)                             \
	{                                               \
		name, offsetof(struct datapath, member) \
	}

const struct dp_map_field dp_map_fields[] = {
	FIELD("services", fd_services),
	FIELD("backends", fd_backends),
	FIELD("maglev", fd_maglev),
	FIELD("conntrack", fd_ct),
	FIELD("affinity", fd_affinity),
	FIELD(XCNI_PIN_MAP_ENDPOINTS, fd_endpoints),
	FIELD("dp_config_map", fd_config),
	FIELD("stats", fd_stats),
	FIELD("map_full", fd_map_full),
	FIELD(XCNI_PIN_MAP_TX_PORTS, fd_tx_ports),
	FIELD("svc_backends", fd_svc_backends),
	FIELD(XCNI_PIN_MAP_FLOW_GEN, fd_flow_gen),
};
const size_t dp_map_fields_n = sizeof(dp_map_fields) / sizeof(dp_map_fields[0]);

static int open_map(struct datapath *dp, const struct bpf_object *layout,
		    const struct dp_map_field *f, const char *root, char *msg, size_t len)
{
	const struct bpf_map *map = bpf_object__find_map_by_name(layout, f->name);
	struct bpf_map_info info;
	__u32 n = sizeof(info);
	char path[PATH_MAX], what[128];
	int fd, err;

	if (!map || bpffs_path(path, sizeof(path), root, XCNI_PIN_MAPS_DIR, f->name)) {
		snprintf(msg, len, "map %s: not in this build, or path too long", f->name);
		return -EINVAL;
	}
	fd = bpf_obj_get(path);
	if (fd < 0) {
		err = -errno;
		if (err == -ENOENT)
			snprintf(msg, len,
				 "no datapath under %s: %s is not pinned (is xcni-agent running?)",
				 root, path);
		else
			snprintf(msg, len, "map %s: cannot open %s: %s", f->name, path,
				 strerror(-err));
		return err;
	}
	DP_FD(dp, f) = fd;
	memset(&info, 0, sizeof(info));
	if (bpf_obj_get_info_by_fd(fd, &info, &n)) {
		err = -errno;
		snprintf(msg, len, "map %s: %s", f->name, strerror(-err));
		return err;
	}
	if (pin_layout_differs(map, &info, what, sizeof(what))) {
		snprintf(msg, len, "map %s: %s: this tool does not match the running datapath",
			 f->name, what);
		return -EINVAL;
	}
	return 0;
}

/* A program's pin, or -1 when it is not pinned. */
static int open_prog(const char *root, const char *name)
{
	char path[PATH_MAX];

	if (bpffs_path(path, sizeof(path), root, XCNI_PIN_PROGS_DIR, name))
		return -1;
	return bpf_obj_get(path);
}

int dp_open_pinned(struct datapath *dp, const char *root, char *msg, size_t len)
{
	struct xdp_node *layout;
	struct dp_config cfg;
	int err = 0;

	memset(dp, 0, sizeof(*dp));
	dp->pinned_open = true;
	for (size_t i = 0; i < dp_map_fields_n; i++)
		DP_FD(dp, &dp_map_fields[i]) = -1;
	dp->prog_xdp = dp->prog_tc = -1;
	/* Opened, not loaded: the object carries this build's map layouts. */
	layout = xdp_node__open();
	if (!layout) {
		err = -errno;
		snprintf(msg, len, "cannot open the BPF object: %s", strerror(-err));
		goto fail;
	}
	for (size_t i = 0; !err && i < dp_map_fields_n; i++)
		err = open_map(dp, layout->obj, &dp_map_fields[i], root, msg, len);
	xdp_node__destroy(layout);
	if (err)
		goto fail;
	err = dp_config_get(dp, &cfg);
	if (err) {
		snprintf(msg, len, "cannot read the datapath config: %s", strerror(-err));
		goto fail;
	}
	dp->maglev_m = cfg.maglev_m ? cfg.maglev_m : XCNI_MAGLEV_M_DEFAULT;
	/* A loader of this build makes a maglev map without tables anew, with
	 * DP_MAGLEV_FLAGS; one with tables keeps theirs. */
	dp->maglev_flags = pin_maglev_flags(root);
	dp->prog_xdp = open_prog(root, XCNI_PIN_PROG_XDP);
	dp->prog_tc = open_prog(root, XCNI_PIN_PROG_TC);
	return 0;
fail:
	dp_close(dp);
	return err;
}
