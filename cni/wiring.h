/* Pod wiring: the veth pair between the host and the pod's netns, the pod's
 * addresses and routes, and what makes the host answer for the gateway. */
#ifndef XCNI_CNI_WIRING_H
#define XCNI_CNI_WIRING_H

#include "env.h"
#include "error.h"
#include "result.h"

struct wiring {
	const char *network;
	const struct cni_attachment *att;
	const char *netns_path;
	int netns_fd;
	unsigned int mtu;
	/* The host veth prevResult names, tried first (DEL, CHECK). */
	const char *host_hint;
};

/* Wires the pod with ipam's addresses and routes; fills res. Leaves nothing
 * behind on failure. */
int wiring_add(const struct wiring *w, const struct cni_result *ipam, struct cni_result *res,
	       struct cni_err *e);
/* Removes the pair; a missing pair is not an error. */
int wiring_del(const struct wiring *w, struct cni_err *e);
/* The ifindex of the attachment's host veth, or -ENOENT. */
int wiring_host_ifindex(const struct wiring *w);
int wiring_check(const struct wiring *w, const struct cni_result *prev, struct cni_err *e);
/* Removes this network's pairs whose attachment valid() rejects; returns
 * how many. */
int wiring_gc(const char *network, cni_attachment_valid_fn valid, void *data, struct cni_err *e);

#endif
