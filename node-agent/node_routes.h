/* Native routing between nodes: a route to every other node's pod CIDR via
 * its InternalIP, kept equal to the Node objects. The routes carry their
 * own protocol number, so the agent finds (and removes) only its own. */
#ifndef XCNI_NODE_ROUTES_H
#define XCNI_NODE_ROUTES_H

#include <stdbool.h>
#include <stdint.h>

/* rtm_protocol of the agent's routes ("proto 201" in `ip route`). */
#define RTPROT_XCNI 201

struct node_routes;

struct node_routes *node_routes_new(const char *self);
void node_routes_free(struct node_routes *r);

/* A Node's pod CIDR and InternalIP (network order; cidr or gw 0: the node
 * gets no route). */
int node_routes_set(struct node_routes *r, const char *node, uint32_t cidr, uint8_t len,
		    uint32_t gw);
void node_routes_remove(struct node_routes *r, const char *node);
/* Forgets every node (a relist refills them). */
void node_routes_clear(struct node_routes *r);
bool node_routes_dirty(const struct node_routes *r);

struct node_routes_stats {
	unsigned int routes; /* routes in place after the sync */
	unsigned int added, removed, failed;
};

/* Makes the main table hold exactly the wanted routes with RTPROT_XCNI.
 * A route the kernel refuses (a gateway not on a connected network, say)
 * is logged and counted as failed; the set stays dirty so the next call
 * retries. Returns 0 or a negative errno (netlink unusable). */
int node_routes_sync(struct node_routes *r, struct node_routes_stats *st);

/* Removes every RTPROT_XCNI route (xcni-agent --cleanup). */
int node_routes_flush(unsigned int *removed);

#endif
