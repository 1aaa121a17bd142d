/* The datapath's layout under its bpffs root, one definition for the agent
 * (which makes it) and the CNI binary (which enrolls pods from it). */
#ifndef XCNI_PINS_H
#define XCNI_PINS_H

#define XCNI_BPFFS_ROOT_DEFAULT "/sys/fs/bpf/xcni"

/* <root>/maps/<map name>, <root>/progs/<program>, <root>/links/xdp_<ifname> */
#define XCNI_PIN_MAPS_DIR "maps"
#define XCNI_PIN_PROGS_DIR "progs"
#define XCNI_PIN_LINKS_DIR "links"
#define XCNI_PIN_XDP_LINK_PREFIX "xdp_"

#define XCNI_PIN_PROG_XDP "xdp_node"
#define XCNI_PIN_PROG_TC "tc_pod"

/* The maps the CNI binary writes when it enrolls a pod. */
#define XCNI_PIN_MAP_ENDPOINTS "endpoints"
#define XCNI_PIN_MAP_TX_PORTS "tx_ports"
#define XCNI_PIN_MAP_FLOW_GEN "flow_gen"

/* tc_pod on a pod's host-side veth: clsact ingress, one filter at this
 * handle and priority (replaced in place when the agent upgrades it). */
#define XCNI_TC_POD_HANDLE 1
#define XCNI_TC_POD_PRIORITY 1

#endif
