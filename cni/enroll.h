/* Pod enrollment into the datapath the agent pinned: tc_pod on the host
 * veth, the pod in the endpoints map, the veth in the devmap, GRO on in the
 * pod. Asked for by a config that names its node state file, whose
 * bpffsRoot says where the pins are; other configs wire standalone. */
#ifndef XCNI_CNI_ENROLL_H
#define XCNI_CNI_ENROLL_H

#include <limits.h>

#include "config.h"
#include "error.h"
#include "result.h"

/* Fills root with the bpffs root this config enrolls pods under, or ""
 * when it wires standalone. Fails (code 11 for a missing file) when the
 * config names a node state file that cannot be read. */
int enroll_root(const struct net_conf *c, char root[PATH_MAX], struct cni_err *e);

/* Fails with code (11 for ADD, 50 for STATUS) when the agent has not
 * loaded the datapath under root. */
int enroll_ready(const char *root, int code, struct cni_err *e);

/* Enrolls the pod res describes (host veth first, pod interface second,
 * its addresses) whose namespace is netns_fd. Undoes its own map entries
 * and filter on failure. */
int enroll_add(const char *root, const struct cni_result *res, int netns_fd, struct cni_err *e);

/* Removes the endpoints of the host veth host_ifindex (0 when it is gone)
 * and of veths that no longer exist, and the veth's devmap entry.
 * Idempotent; a datapath that is gone is nothing to do. */
void enroll_del(const char *root, int host_ifindex);

/* The pod prev describes is enrolled: filter, endpoints, devmap, GRO. */
int enroll_check(const char *root, const struct cni_result *prev, int netns_fd, struct cni_err *e);

/* Endpoints whose veth no longer exists (pods gone without a DEL); returns
 * how many were removed. */
int enroll_gc(const char *root);

#endif
