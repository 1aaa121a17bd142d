/* The datapath as a node keeps it between processes: pinned maps opened by
 * tools, XDP on the node's devices as pinned bpf_links, tc_pod on pod
 * veths, and the cleanup that removes all of it. Layout: xcni/pins.h. */
#ifndef XCNI_DP_PIN_H
#define XCNI_DP_PIN_H

#include <net/if.h>

#include "dp.h"

/* Opens the maps (and, when pinned, the programs) a loaded datapath pinned
 * under root, checking their layout against this build, so the dp_* map
 * operations work on a running node. Nothing is loaded; dp_close closes. */
int dp_open_pinned(struct datapath *dp, const char *root, char *msg, size_t len);

enum dp_xdp_mode {
	DP_XDP_NONE, /* as a result: not attached */
	DP_XDP_AUTO, /* as a request: native, else generic */
	DP_XDP_NATIVE,
	DP_XDP_GENERIC,
	DP_XDP_OFFLOAD, /* only when asked for */
};

const char *dp_xdp_mode_name(enum dp_xdp_mode m);
/* "auto", "native", "generic" or "offload"; -EINVAL for anything else. */
int dp_xdp_mode_parse(const char *s, enum dp_xdp_mode *m);

/* Attaches xdp_node (dp->prog_xdp) to ifindex as a bpf_link pinned at
 * <root>/links/xdp_<ifname>, so it outlives this process, and makes the
 * device a redirect target (tx_ports). An existing link there in a mode
 * that satisfies want is updated to the program in place: no moment
 * without XDP. *got is the mode attached; msg says what happened (for the
 * log) or what failed. */
int dp_xdp_attach(const struct datapath *dp, const char *root, int ifindex, enum dp_xdp_mode want,
		  enum dp_xdp_mode *got, char *msg, size_t len);
/* Detaches the link pinned for ifname and drops the device from tx_ports
 * (dp may be NULL); nothing pinned is not an error. */
int dp_xdp_detach(const struct datapath *dp, const char *root, const char *ifname, char *msg,
		  size_t len);

struct dp_xdp_dev {
	char ifname[IF_NAMESIZE];
	int ifindex; /* 0: the device is gone */
	enum dp_xdp_mode mode;
};

/* The devices with an XDP link pinned under root, at most max of them;
 * returns how many were found (possibly more than max) or a negative errno. */
int dp_xdp_list(const char *root, struct dp_xdp_dev *out, size_t max);

/* Puts dp->prog_tc on every enrolled pod's veth whose filter runs an older
 * tc_pod (after an upgrade); returns how many were replaced. */
int dp_tc_pod_refresh(const struct datapath *dp);

/* Removes everything the datapath made under root: tc_pod from enrolled
 * pods, XDP links, programs, maps, the directories, and the bpffs mount if
 * dp_load made it. Idempotent. */
int dp_cleanup(const char *root, char *msg, size_t len);

#endif
