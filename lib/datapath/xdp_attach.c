/* xdp_node on the node's devices as bpf_links pinned under the bpffs root:
 * they outlive the agent, and a restarted agent swaps the program inside
 * the link instead of detaching. Native first, generic as the fallback,
 * offload only on request. */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/if_link.h>

#include "bpffs.h"
#include "dp_pin.h"
#include "xcni/pins.h"

static const char *const mode_names[] = {
	[DP_XDP_NONE] = "none",	      [DP_XDP_AUTO] = "auto",	    [DP_XDP_NATIVE] = "native",
	[DP_XDP_GENERIC] = "generic", [DP_XDP_OFFLOAD] = "offload",
};

static const __u32 mode_flags[] = {
	[DP_XDP_NATIVE] = XDP_FLAGS_DRV_MODE,
	[DP_XDP_GENERIC] = XDP_FLAGS_SKB_MODE,
	[DP_XDP_OFFLOAD] = XDP_FLAGS_HW_MODE,
};

const char *dp_xdp_mode_name(enum dp_xdp_mode m)
{
	return (unsigned int)m < sizeof(mode_names) / sizeof(mode_names[0]) ? mode_names[m] : "?";
}

int dp_xdp_mode_parse(const char *s, enum dp_xdp_mode *m)
{
	for (unsigned int i = DP_XDP_AUTO; i <= DP_XDP_OFFLOAD; i++) {
		if (!strcmp(s, mode_names[i])) {
			*m = (enum dp_xdp_mode)i;
			return 0;
		}
	}
	return -EINVAL;
}

/* The mode XDP runs in on ifindex, as netlink reports it. */
static enum dp_xdp_mode attached_mode(int ifindex)
{
	LIBBPF_OPTS(bpf_xdp_query_opts, q);

	if (bpf_xdp_query(ifindex, 0, &q))
		return DP_XDP_NONE;
	switch (q.attach_mode) {
	case XDP_ATTACHED_DRV:
		return DP_XDP_NATIVE;
	case XDP_ATTACHED_SKB:
		return DP_XDP_GENERIC;
	case XDP_ATTACHED_HW:
		return DP_XDP_OFFLOAD;
	default:
		return DP_XDP_NONE;
	}
}

static int link_path(char *buf, size_t size, const char *root, const char *ifname)
{
	char name[IF_NAMESIZE + sizeof(XCNI_PIN_XDP_LINK_PREFIX)];

	snprintf(name, sizeof(name), "%s%s", XCNI_PIN_XDP_LINK_PREFIX, ifname);
	return bpffs_path(buf, size, root, XCNI_PIN_LINKS_DIR, name);
}

/* The device an XDP link is attached to; 0 once it is gone. */
static int link_ifindex(int link_fd)
{
	struct bpf_link_info info;
	__u32 n = sizeof(info);

	memset(&info, 0, sizeof(info));
	if (bpf_obj_get_info_by_fd(link_fd, &info, &n) || info.type != BPF_LINK_TYPE_XDP)
		return 0;
	return (int)info.xdp.ifindex;
}

/* Detaches at once (the link's last reference may go later, from a
 * workqueue, which would leave the device busy for a moment) and unpins. */
static void drop_link(int link_fd, const char *path)
{
	bpf_link_detach(link_fd);
	unlink(path);
}

/* A link pinned at path from an earlier run: updated to the program when
 * it is on ifindex in a mode want accepts (returns 1), else detached so a
 * new one can take its place (returns 0, *prev the mode it had). */
static int update_existing(const struct datapath *dp, const char *path, const char *ifname,
			   int ifindex, enum dp_xdp_mode want, enum dp_xdp_mode *got,
			   enum dp_xdp_mode *prev, char *msg, size_t len)
{
	int fd = bpf_obj_get(path), err = 0;
	enum dp_xdp_mode cur;

	if (fd < 0) {
		if (errno == ENOENT)
			return 0;
		err = -errno;
		snprintf(msg, len, "cannot open the XDP link pinned at %s: %s", path,
			 strerror(-err));
		return err;
	}
	cur = attached_mode(ifindex);
	if (link_ifindex(fd) != ifindex || cur == DP_XDP_NONE ||
	    (want != DP_XDP_AUTO && want != cur)) {
		*prev = link_ifindex(fd) == ifindex ? cur : DP_XDP_NONE;
		drop_link(fd, path);
		close(fd);
		return 0;
	}
	if (bpf_link_update(fd, dp->prog_xdp, NULL)) {
		err = -errno;
		snprintf(msg, len, "cannot update the XDP link on %s to the new xdp_node: %s",
			 ifname, strerror(-err));
	} else {
		*got = cur;
		snprintf(msg, len, "xdp_node on %s: %s mode, link updated in place", ifname,
			 dp_xdp_mode_name(cur));
	}
	close(fd);
	return err ? err : 1;
}

static const char *attach_hint(enum dp_xdp_mode mode, int err)
{
	if (err == -EBUSY || err == -EEXIST)
		return " (another XDP program is attached to the device: remove it first)";
	if (mode == DP_XDP_OFFLOAD)
		return " (the device or its driver does not offload XDP)";
	if (mode == DP_XDP_NATIVE && err == -EOPNOTSUPP)
		return " (the driver has no native XDP: ask for generic or auto)";
	return "";
}

static int attach_new(const struct datapath *dp, const char *path, const char *ifname, int ifindex,
		      enum dp_xdp_mode want, enum dp_xdp_mode *got, char *msg, size_t len)
{
	enum dp_xdp_mode modes[2] = { want, DP_XDP_NONE };
	int fd = -1, errs[2] = { 0, 0 }, i, err;

	if (want == DP_XDP_AUTO) {
		modes[0] = DP_XDP_NATIVE;
		modes[1] = DP_XDP_GENERIC;
	}
	for (i = 0; i < 2 && modes[i] != DP_XDP_NONE; i++) {
		LIBBPF_OPTS(bpf_link_create_opts, opts, .flags = mode_flags[modes[i]]);

		fd = bpf_link_create(dp->prog_xdp, ifindex, BPF_XDP, &opts);
		if (fd >= 0)
			break;
		errs[i] = -errno;
	}
	if (fd < 0) {
		i = modes[1] != DP_XDP_NONE ? 1 : 0;
		if (i)
			snprintf(msg, len,
				 "cannot attach xdp_node to %s: native: %s, generic: %s%s", ifname,
				 strerror(-errs[0]), strerror(-errs[1]),
				 attach_hint(modes[1], errs[1]));
		else
			snprintf(msg, len, "cannot attach xdp_node to %s in %s mode: %s%s", ifname,
				 dp_xdp_mode_name(want), strerror(-errs[0]),
				 attach_hint(want, errs[0]));
		return errs[i];
	}
	if (bpf_obj_pin(fd, path)) {
		err = -errno;
		close(fd); /* the link goes with its last reference */
		snprintf(msg, len, "cannot pin the XDP link of %s at %s: %s", ifname, path,
			 strerror(-err));
		return err;
	}
	close(fd);
	*got = modes[i];
	if (i)
		snprintf(msg, len, "xdp_node on %s: generic mode (native failed: %s)", ifname,
			 strerror(-errs[0]));
	else
		snprintf(msg, len, "xdp_node on %s: %s mode", ifname, dp_xdp_mode_name(modes[i]));
	return 0;
}

int dp_xdp_attach(const struct datapath *dp, const char *root, int ifindex, enum dp_xdp_mode want,
		  enum dp_xdp_mode *got, char *msg, size_t len)
{
	enum dp_xdp_mode prev = DP_XDP_NONE;
	char ifname[IF_NAMESIZE], path[PATH_MAX], scratch[256];
	int err;

	*got = DP_XDP_NONE;
	if (want < DP_XDP_AUTO || want > DP_XDP_OFFLOAD) {
		snprintf(msg, len, "unknown XDP mode %d", (int)want);
		return -EINVAL;
	}
	if (!if_indextoname((unsigned int)ifindex, ifname)) {
		err = -errno;
		snprintf(msg, len, "no device with ifindex %d: %s", ifindex, strerror(-err));
		return err;
	}
	if (dp->prog_xdp < 0) {
		snprintf(msg, len, "xdp_node is not loaded: nothing to attach to %s", ifname);
		return -ENOENT;
	}
	if (link_path(path, sizeof(path), root, ifname)) {
		snprintf(msg, len, "link pin path under %s too long", root);
		return -ENAMETOOLONG;
	}
	err = update_existing(dp, path, ifname, ifindex, want, got, &prev, msg, len);
	if (err == 0)
		err = attach_new(dp, path, ifname, ifindex, want, got, msg, len);
	/* A mode change that failed keeps the device in its old mode rather
	 * than without XDP (the error still says the change failed). */
	if (err < 0 && prev != DP_XDP_NONE &&
	    !attach_new(dp, path, ifname, ifindex, prev, got, scratch, sizeof(scratch)))
		snprintf(msg + strnlen(msg, len), len - strnlen(msg, len), "; kept %s mode",
			 dp_xdp_mode_name(prev));
	if (err < 0)
		return err;
	/* xdp_node forwards out of the node's devices through the devmap too. */
	err = dp_tx_port_add(dp, ifindex);
	if (err)
		snprintf(msg, len, "xdp_node on %s attached, but adding it to tx_ports failed: %s",
			 ifname, strerror(-err));
	return err;
}

int dp_xdp_detach(const struct datapath *dp, const char *root, const char *ifname, char *msg,
		  size_t len)
{
	char path[PATH_MAX];
	unsigned int ifindex = if_nametoindex(ifname);
	__u32 key = ifindex;
	int fd, err = 0;

	if (link_path(path, sizeof(path), root, ifname)) {
		snprintf(msg, len, "link pin path under %s too long", root);
		return -ENAMETOOLONG;
	}
	fd = bpf_obj_get(path);
	if (fd >= 0) {
		drop_link(fd, path);
		close(fd);
	} else if (errno != ENOENT) {
		err = -errno;
		snprintf(msg, len, "cannot open the XDP link pinned at %s: %s", path,
			 strerror(-err));
		return err;
	}
	if (dp && ifindex && bpf_map_delete_elem(dp->fd_tx_ports, &key) && errno != ENOENT) {
		err = -errno;
		snprintf(msg, len, "xdp_node detached from %s, but not dropped from tx_ports: %s",
			 ifname, strerror(-err));
	}
	return err;
}

int dp_xdp_list(const char *root, struct dp_xdp_dev *out, size_t max)
{
	const size_t plen = strlen(XCNI_PIN_XDP_LINK_PREFIX);
	char dir[PATH_MAX], path[PATH_MAX];
	struct dirent *de;
	size_t n = 0;
	DIR *d;

	if (bpffs_path(dir, sizeof(dir), root, XCNI_PIN_LINKS_DIR, NULL))
		return -ENAMETOOLONG;
	d = opendir(dir);
	if (!d)
		return errno == ENOENT ? 0 : -errno;
	while ((de = readdir(d))) {
		struct dp_xdp_dev dev = { 0 };
		int fd;

		if (strncmp(de->d_name, XCNI_PIN_XDP_LINK_PREFIX, plen) ||
		    strlen(de->d_name + plen) >= sizeof(dev.ifname))
			continue;
		strcpy(dev.ifname, de->d_name + plen);
		if (snprintf(path, sizeof(path), "%s/%s", dir, de->d_name) >= (int)sizeof(path))
			continue;
		fd = bpf_obj_get(path);
		if (fd >= 0) {
			dev.ifindex = link_ifindex(fd);
			close(fd);
		}
		dev.mode = dev.ifindex ? attached_mode(dev.ifindex) : DP_XDP_NONE;
		if (n < max)
			out[n] = dev;
		n++;
	}
	closedir(d);
	return (int)n;
}
