/* tc_pod's filter on pods' host-side veths: attached by the CNI binary at
 * ADD, replaced by the agent after an upgrade, removed at cleanup. Legacy
 * clsact filters rather than tcx links: they go with the veth, so a pod
 * that disappears without a DEL leaves no pinned link behind. */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "dp_pin.h"
#include "tc_attach.h"
#include "xcni/pins.h"

#define TC_POD_OPTS(name, ...)                                       \
	LIBBPF_OPTS(bpf_tc_opts, name, .handle = XCNI_TC_POD_HANDLE, \
		    .priority = XCNI_TC_POD_PRIORITY, __VA_ARGS__)

int tc_pod_attach(int ifindex, int prog_fd)
{
	LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = ifindex, .attach_point = BPF_TC_INGRESS);
	TC_POD_OPTS(opts, .prog_fd = prog_fd, .flags = BPF_TC_F_REPLACE);
	int err = bpf_tc_hook_create(&hook);

	if (err && err != -EEXIST)
		return err;
	return bpf_tc_attach(&hook, &opts);
}

int tc_pod_detach(int ifindex)
{
	LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = ifindex, .attach_point = BPF_TC_INGRESS);
	TC_POD_OPTS(opts);
	int err = bpf_tc_detach(&hook, &opts);

	return err == -ENOENT || err == -ENODEV || err == -EINVAL ? 0 : err;
}

int tc_pod_query(int ifindex, uint32_t *prog_id)
{
	LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = ifindex, .attach_point = BPF_TC_INGRESS);
	TC_POD_OPTS(opts);
	int err = bpf_tc_query(&hook, &opts);

	/* No clsact qdisc shows as EINVAL. */
	if (err == -EINVAL)
		return -ENOENT;
	if (!err)
		*prog_id = opts.prog_id;
	return err;
}

int tc_pod_is_ours(uint32_t prog_id)
{
	struct bpf_prog_info info;
	__u32 n = sizeof(info);
	int fd = bpf_prog_get_fd_by_id(prog_id), ours;

	if (fd < 0)
		return 0;
	memset(&info, 0, sizeof(info));
	ours = !bpf_obj_get_info_by_fd(fd, &info, &n) && !strcmp(info.name, XCNI_PIN_PROG_TC);
	close(fd);
	return ours;
}

/* The pods' veths: the endpoints map's distinct ifindexes, in a buffer
 * the caller frees. Returns how many, or a negative errno. */
static int endpoint_ifindexes(int fd_endpoints, int **out)
{
	struct bpf_map_info info;
	__u32 n_info = sizeof(info), key, next;
	struct endpoint ep;
	void *prev = NULL;
	int n = 0;

	memset(&info, 0, sizeof(info));
	if (bpf_obj_get_info_by_fd(fd_endpoints, &info, &n_info))
		return -errno;
	*out = calloc(info.max_entries ? info.max_entries : 1, sizeof(**out));
	if (!*out)
		return -ENOMEM;
	while (n < (int)info.max_entries && !bpf_map_get_next_key(fd_endpoints, prev, &next)) {
		bool seen = false;

		key = next;
		prev = &key;
		if (bpf_map_lookup_elem(fd_endpoints, &key, &ep))
			continue;
		for (int i = 0; i < n && !seen; i++)
			seen = (*out)[i] == (int)ep.ifindex;
		if (!seen)
			(*out)[n++] = (int)ep.ifindex;
	}
	return n;
}

int dp_tc_pod_refresh(const struct datapath *dp)
{
	struct bpf_prog_info info;
	__u32 n_info = sizeof(info), id;
	int n, *ifindexes = NULL, replaced = 0;

	memset(&info, 0, sizeof(info));
	if (bpf_obj_get_info_by_fd(dp->prog_tc, &info, &n_info))
		return -errno;
	n = endpoint_ifindexes(dp->fd_endpoints, &ifindexes);
	for (int i = 0; i < n; i++) {
		if (tc_pod_query(ifindexes[i], &id) || id == info.id || !tc_pod_is_ours(id))
			continue;
		if (!tc_pod_attach(ifindexes[i], dp->prog_tc))
			replaced++;
	}
	free(ifindexes);
	return n < 0 ? n : replaced;
}

int tc_pod_detach_all(int fd_endpoints)
{
	int n, *ifindexes = NULL, removed = 0;
	__u32 id;

	n = endpoint_ifindexes(fd_endpoints, &ifindexes);
	for (int i = 0; i < n; i++)
		if (!tc_pod_query(ifindexes[i], &id) && tc_pod_is_ours(id) &&
		    !tc_pod_detach(ifindexes[i]))
			removed++;
	free(ifindexes);
	return n < 0 ? n : removed;
}
