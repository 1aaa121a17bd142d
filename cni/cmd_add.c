/* ADD: allocate an address, wire the pod, enroll it into the datapath when
 * the config asks, print the result; on failure release what was taken so
 * nothing is left behind. */
#include <errno.h>
#include <limits.h>
#include <string.h>
#include <unistd.h>

#include "enroll.h"
#include "ipam_ops.h"
#include "netns.h"
#include "plugin.h"
#include "wiring.h"

int open_netns(struct invocation *inv)
{
	int fd = netns_open(inv->env.netns);

	if (fd == -ENOENT)
		return cni_errf(&inv->err, CNI_ERR_UNKNOWN_CONTAINER,
				"container unknown: netns %s does not exist", inv->env.netns);
	if (fd == -EINVAL)
		return cni_errf(&inv->err, CNI_ERR_INVALID_ENV,
				"CNI_NETNS %s is not a network namespace", inv->env.netns);
	if (fd < 0)
		return cni_errf(&inv->err, CNI_ERR_IO, "cannot open netns %s: %s", inv->env.netns,
				strerror(-fd));
	return fd;
}

/* Takes back the wiring of a pod that could not be enrolled; the
 * enrollment's error is what the runtime needs to see. */
static void unwire(struct invocation *inv, struct wiring *w, const struct cni_result *res)
{
	struct cni_err first = inv->err;

	w->host_hint = res->ifaces[0].name;
	wiring_del(w, &inv->err);
	inv->err = first;
}

int cmd_add(struct invocation *inv)
{
	struct cni_result ipam = { 0 }, res = { 0 };
	struct wiring w = { .network = inv->conf.name,
			    .att = &inv->att,
			    .netns_path = inv->env.netns };
	char root[PATH_MAX];
	struct cni_err first;
	int ret = -1;

	w.netns_fd = open_netns(inv);
	if (w.netns_fd < 0)
		return -1;
	if (net_conf_resolve_node(&inv->conf, &inv->err))
		goto out;
	/* A pod that cannot be enrolled is not wired at all: ask first. */
	if (enroll_root(&inv->conf, root, &inv->err) ||
	    (root[0] && enroll_ready(root, CNI_ERR_TRY_LATER, &inv->err)))
		goto out;
	w.mtu = inv->conf.mtu;
	if (ipam_add(inv, &ipam))
		goto out;
	if (wiring_add(&w, &ipam, &res, &inv->err))
		goto release;
	if (root[0] && enroll_add(root, &res, w.netns_fd, &inv->err)) {
		unwire(inv, &w, &res);
		goto release;
	}
	inv->output = cni_result_encode(&res, inv->conf.cni_version);
	ret = 0;
	goto out;
release:
	/* Give the address back; the first error is the one to report. */
	first = inv->err;
	ipam_del(inv);
	inv->err = first;
out:
	cni_result_free(&ipam);
	cni_result_free(&res);
	close(w.netns_fd);
	return ret;
}
