/* tc_pod on a pod's host-side veth: one clsact ingress filter (handle and
 * priority from xcni/pins.h), replaced in place. Shared by the CNI binary
 * (enrollment) and the agent (refresh, cleanup). */
#ifndef XCNI_DP_TC_ATTACH_H
#define XCNI_DP_TC_ATTACH_H

#include <stdint.h>

/* Creates the clsact qdisc if missing and puts prog_fd in the filter. */
int tc_pod_attach(int ifindex, int prog_fd);
/* Removes the filter; a missing one (or device) is not an error. */
int tc_pod_detach(int ifindex);
/* The id of the program in the filter; -ENOENT when there is none. */
int tc_pod_query(int ifindex, uint32_t *prog_id);
/* Whether prog_id is a program called tc_pod (any build of it). */
int tc_pod_is_ours(uint32_t prog_id);

/* Takes tc_pod off every veth the endpoints map names (cleanup); returns
 * how many filters were removed. */
int tc_pod_detach_all(int fd_endpoints);

#endif
