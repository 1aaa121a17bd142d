/* The node state file the agent writes for the CNI binary: the pod CIDR,
 * gateway, MTU and bpffs root of this node. */
#ifndef XCNI_NODE_STATE_H
#define XCNI_NODE_STATE_H

#include <limits.h>

#include "ip4.h"

#define XCNI_NODE_STATE_DEFAULT "/run/xcni/node.json"

struct node_state {
	struct ip4_prefix pod_cidr;
	uint32_t gateway; /* 0: the first address of pod_cidr */
	unsigned int mtu; /* 0: unset */
	char bpffs_root[PATH_MAX];
};

/* Reads and validates path; on failure returns a negative errno and puts a
 * message naming the problem in err (size errlen). */
int node_state_read(const char *path, struct node_state *ns, char *err, size_t errlen);

/* Replaces path atomically (written aside, then renamed) with ns; the
 * agent's side of the file. */
int node_state_write(const char *path, const struct node_state *ns, char *err, size_t errlen);

#endif
