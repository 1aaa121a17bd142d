/* Enrolling pods into the pinned datapath: what ADD adds after wiring, what
 * DEL and GC take away, what CHECK verifies. The CNI binary only uses the
 * agent's pins; it never loads a program or makes a map. */
#include <errno.h>
#include <net/if.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <arpa/inet.h>
#include <linux/ethtool.h>
#include <linux/sockios.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "datapath/bpffs.h"
#include "datapath/flow_gen.h"
#include "datapath/tc_attach.h"
#include "enroll.h"
#include "ip4.h"
#include "netns.h"
#include "node_state.h"
#include "xcni/maps.h"
#include "xcni/pins.h"

/* The pinned objects enrollment uses. */
struct pins {
	int endpoints, tx_ports, tc_pod, flow_gen;
};

/* A tx_ports value (struct bpf_devmap_val without its program). */
struct devmap_val {
	__u32 ifindex;
	__u32 prog_fd;
};

static void pins_close(struct pins *p)
{
	if (p->endpoints >= 0)
		close(p->endpoints);
	if (p->tx_ports >= 0)
		close(p->tx_ports);
	if (p->tc_pod >= 0)
		close(p->tc_pod);
	if (p->flow_gen >= 0)
		close(p->flow_gen);
}

/* The datapath caches where pod addresses go (xcni/ct.h): after the
 * endpoints change, those caches must forget. */
static void endpoints_changed(const struct pins *p)
{
	if (p->flow_gen >= 0)
		flow_gen_bump_fd(p->flow_gen);
}

static int pin_get(const char *root, const char *dir, const char *name, char *path, size_t size)
{
	int fd;

	if (bpffs_path(path, size, root, dir, name))
		return -ENAMETOOLONG;
	fd = bpf_obj_get(path);
	return fd < 0 ? -errno : fd;
}

/* A map whose key or value is not what this build writes would be
 * corrupted by our updates: refuse it. */
static int check_map(int fd, __u32 key_size, __u32 value_size, const char *name, struct cni_err *e)
{
	struct bpf_map_info info;
	__u32 n = sizeof(info);

	memset(&info, 0, sizeof(info));
	if (bpf_obj_get_info_by_fd(fd, &info, &n))
		return cni_errf(e, XCNI_ERR_DATAPATH, "map %s: %s", name, strerror(errno));
	if (info.key_size != key_size || info.value_size != value_size)
		return cni_errf(
			e, XCNI_ERR_DATAPATH,
			"map %s: key/value size %u/%u, this plugin writes %u/%u: plugin and agent versions differ",
			name, info.key_size, info.value_size, key_size, value_size);
	return 0;
}

/* Opens the pins; a missing one means the agent has not loaded the
 * datapath (yet, or any more): code. */
static int pins_open(const char *root, struct pins *p, int code, struct cni_err *e)
{
	static const struct {
		const char *dir, *name;
		size_t off;
		bool optional; /* an agent from before it has none */
	} want[] = {
		{ XCNI_PIN_PROGS_DIR, XCNI_PIN_PROG_TC, offsetof(struct pins, tc_pod), false },
		{ XCNI_PIN_MAPS_DIR, XCNI_PIN_MAP_ENDPOINTS, offsetof(struct pins, endpoints),
		  false },
		{ XCNI_PIN_MAPS_DIR, XCNI_PIN_MAP_TX_PORTS, offsetof(struct pins, tx_ports),
		  false },
		{ XCNI_PIN_MAPS_DIR, XCNI_PIN_MAP_FLOW_GEN, offsetof(struct pins, flow_gen), true },
	};
	char path[PATH_MAX];

	p->endpoints = p->tx_ports = p->tc_pod = p->flow_gen = -1;
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		int fd = pin_get(root, want[i].dir, want[i].name, path, sizeof(path));

		if (fd == -ENOENT && want[i].optional)
			continue;
		if (fd < 0) {
			pins_close(p);
			if (fd == -ENOENT)
				return cni_errf(
					e, code,
					"the xcni agent has not loaded the datapath: %s is not pinned",
					path);
			return cni_errf(e, XCNI_ERR_DATAPATH, "cannot open %s: %s", path,
					strerror(-fd));
		}
		*(int *)((char *)p + want[i].off) = fd;
	}
	if (check_map(p->endpoints, sizeof(__be32), sizeof(struct endpoint), XCNI_PIN_MAP_ENDPOINTS,
		      e) ||
	    check_map(p->tx_ports, sizeof(__u32), sizeof(struct devmap_val), XCNI_PIN_MAP_TX_PORTS,
		      e) ||
	    (p->flow_gen >= 0 &&
	     check_map(p->flow_gen, sizeof(__u32), sizeof(__u32), XCNI_PIN_MAP_FLOW_GEN, e))) {
		pins_close(p);
		return -1;
	}
	return 0;
}

int enroll_root(const struct net_conf *c, char root[PATH_MAX], struct cni_err *e)
{
	char msg[PATH_MAX + 128];
	struct node_state ns;
	int err;

	root[0] = '\0';
	if (!c->node_state_explicit)
		return 0;
	/* Our own errors say what failed; libbpf's netlink chatter (a missing
	 * qdisc is how "no filter" looks) would only confuse the runtime's log. */
	libbpf_set_print(NULL);
	err = node_state_read(c->node_state_file, &ns, msg, sizeof(msg));
	if (err) {
		cni_errf(e, err == -ENOENT ? CNI_ERR_TRY_LATER : CNI_ERR_INVALID_CONFIG,
			 "node state is unusable: %s", msg);
		cni_err_details(e, "run xcni-agent to write %s", c->node_state_file);
		return -1;
	}
	memcpy(root, ns.bpffs_root, PATH_MAX);
	return 0;
}

int enroll_ready(const char *root, int code, struct cni_err *e)
{
	struct pins p;

	if (pins_open(root, &p, code, e))
		return -1;
	pins_close(&p);
	return 0;
}

static int parse_mac(const char *s, __u8 mac[6])
{
	unsigned int b[6];

	if (sscanf(s, "%2x:%2x:%2x:%2x:%2x:%2x", &b[0], &b[1], &b[2], &b[3], &b[4], &b[5]) != 6)
		return -EINVAL;
	for (int i = 0; i < 6; i++)
		mac[i] = (__u8)b[i];
	return 0;
}

/* The host-side and pod-side interfaces of a result: the one without a
 * sandbox, and the one in it. */
static int result_ifaces(const struct cni_result *r, const struct cni_iface **host,
			 const struct cni_iface **pod)
{
	*host = *pod = NULL;
	for (int i = 0; i < r->n_ifaces; i++) {
		if (!r->ifaces[i].sandbox[0] && !*host)
			*host = &r->ifaces[i];
		else if (r->ifaces[i].sandbox[0] && !*pod)
			*pod = &r->ifaces[i];
	}
	return *host && *pod ? 0 : -ENOENT;
}

/* Reads (set false) or turns on (set true) GRO on ifname in the pod's
 * netns. Redirects into a veth are dropped unless its peer has GRO on (or
 * an XDP program): on is what xdp_node's shortcut into the pod needs. */
static int pod_gro(int netns_fd, const char *ifname, bool set, bool *on)
{
	struct ethtool_value ev = { .cmd = set ? ETHTOOL_SGRO : ETHTOOL_GGRO, .data = 1 };
	struct ifreq ifr = { 0 };
	int saved, fd, err;

	err = netns_enter(netns_fd, &saved);
	if (err)
		return err;
	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		err = -errno;
	} else {
		snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", ifname);
		ifr.ifr_data = (void *)&ev;
		err = ioctl(fd, SIOCETHTOOL, &ifr) ? -errno : 0;
		close(fd);
	}
	if (netns_restore(saved)) {
		/* Going on in the pod's netns would enroll the wrong host. */
		fprintf(stderr, "xcni: cannot return to the host netns\n");
		abort();
	}
	if (!err && on)
		*on = set || ev.data;
	return err;
}

static void endpoint_of(int host_ifindex, const struct cni_iface *host, const struct cni_iface *pod,
			struct endpoint *ep)
{
	memset(ep, 0, sizeof(*ep));
	ep->ifindex = (__u32)host_ifindex;
	/* Result MACs were formatted by wiring from netlink: they parse. */
	parse_mac(pod->mac, ep->pod_mac);
	parse_mac(host->mac, ep->host_mac);
}

int enroll_add(const char *root, const struct cni_result *res, int netns_fd, struct cni_err *e)
{
	const struct cni_iface *host, *pod;
	struct devmap_val port = { 0 };
	int ifindex, err, n_eps = 0;
	bool wrote = false;
	char a[INET_ADDRSTRLEN];
	struct endpoint ep;
	struct pins p;
	__be32 key;

	if (result_ifaces(res, &host, &pod))
		return cni_errf(e, XCNI_ERR_INTERNAL, "enrollment: the result names no veth pair");
	ifindex = (int)if_nametoindex(host->name);
	if (!ifindex)
		return cni_errf(e, XCNI_ERR_DATAPATH, "enrollment: host veth %s: %s", host->name,
				strerror(errno));
	if (pins_open(root, &p, CNI_ERR_TRY_LATER, e))
		return -1;
	err = pod_gro(netns_fd, pod->name, true, NULL);
	if (err) {
		cni_errf(e, XCNI_ERR_DATAPATH, "cannot turn GRO on for %s in %s: %s", pod->name,
			 pod->sandbox, strerror(-err));
		goto out;
	}
	err = tc_pod_attach(ifindex, p.tc_pod);
	if (err) {
		cni_errf(e, XCNI_ERR_DATAPATH, "cannot attach tc_pod to host veth %s: %s",
			 host->name, strerror(-err));
		goto out;
	}
	endpoint_of(ifindex, host, pod, &ep);
	for (; n_eps < res->n_ips; n_eps++) {
		key = htonl(res->ips[n_eps].addr.addr);
		wrote = true;
		if (bpf_map_update_elem(p.endpoints, &key, &ep, BPF_ANY)) {
			err = -errno;
			ip4_format(res->ips[n_eps].addr.addr, a);
			cni_errf(e, XCNI_ERR_DATAPATH,
				 "cannot add endpoint %s to the endpoints map: %s%s", a,
				 strerror(-err),
				 err == -E2BIG ?
					 " (the map is full: raise the agent's endpoint limit)" :
					 "");
			goto undo;
		}
	}
	port.ifindex = (__u32)ifindex;
	if (bpf_map_update_elem(p.tx_ports, &port.ifindex, &port, BPF_ANY)) {
		err = -errno;
		cni_errf(e, XCNI_ERR_DATAPATH, "cannot add host veth %s to tx_ports: %s",
			 host->name, strerror(-err));
		goto undo;
	}
	goto out;
undo:
	while (n_eps-- > 0) {
		key = htonl(res->ips[n_eps].addr.addr);
		bpf_map_delete_elem(p.endpoints, &key);
	}
	tc_pod_detach(ifindex);
out:
	if (wrote)
		endpoints_changed(&p);
	pins_close(&p);
	return err ? -1 : 0;
}

static bool ifindex_exists(__u32 ifindex)
{
	char name[IF_NAMESIZE];

	return if_indextoname(ifindex, name) != NULL;
}

/* Deletes the endpoints on host_ifindex and on veths that are gone;
 * returns how many. */
static int sweep_endpoints(int fd, int host_ifindex)
{
	__be32 key, next, *dead = NULL, *grown;
	size_t n = 0, cap = 0;
	struct endpoint ep;
	void *prev = NULL;
	int removed = 0;

	/* Collect first: deleting while walking restarts the walk. */
	while (!bpf_map_get_next_key(fd, prev, &next)) {
		key = next;
		prev = &key;
		if (bpf_map_lookup_elem(fd, &key, &ep))
			continue;
		if ((host_ifindex <= 0 || ep.ifindex != (__u32)host_ifindex) &&
		    ifindex_exists(ep.ifindex))
			continue;
		if (n == cap) {
			cap = cap ? cap * 2 : 16;
			grown = realloc(dead, cap * sizeof(*dead));
			if (!grown)
				break;
			dead = grown;
		}
		dead[n++] = key;
	}
	for (size_t i = 0; i < n; i++)
		if (!bpf_map_delete_elem(fd, &dead[i]))
			removed++;
	free(dead);
	return removed;
}

void enroll_del(const char *root, int host_ifindex)
{
	struct cni_err ignored = { 0 };
	struct pins p;
	__u32 key = (__u32)host_ifindex;

	if (pins_open(root, &p, CNI_ERR_TRY_LATER, &ignored))
		return;
	if (sweep_endpoints(p.endpoints, host_ifindex) > 0)
		endpoints_changed(&p);
	if (host_ifindex > 0)
		bpf_map_delete_elem(p.tx_ports, &key);
	pins_close(&p);
}

int enroll_gc(const char *root)
{
	struct cni_err ignored = { 0 };
	struct pins p;
	int n;

	if (pins_open(root, &p, CNI_ERR_TRY_LATER, &ignored))
		return 0;
	n = sweep_endpoints(p.endpoints, 0);
	if (n > 0)
		endpoints_changed(&p);
	pins_close(&p);
	return n;
}

static int check_filter(int ifindex, const char *host, struct cni_err *e)
{
	uint32_t id;
	int err = tc_pod_query(ifindex, &id);

	if (err == -ENOENT)
		return cni_errf(e, XCNI_ERR_CHECK, "tc_pod is not attached to host veth %s", host);
	if (err)
		return cni_errf(e, XCNI_ERR_DATAPATH, "cannot query the filter on %s: %s", host,
				strerror(-err));
	if (!tc_pod_is_ours(id))
		return cni_errf(e, XCNI_ERR_CHECK, "host veth %s runs program id %u, not tc_pod",
				host, id);
	return 0;
}

static int check_maps(const struct pins *p, const struct cni_result *prev, int ifindex,
		      const struct cni_iface *host, const struct cni_iface *pod, struct cni_err *e)
{
	struct devmap_val port;
	struct endpoint want, got;
	char a[INET_ADDRSTRLEN];
	__u32 key32 = (__u32)ifindex;

	endpoint_of(ifindex, host, pod, &want);
	for (int i = 0; i < prev->n_ips; i++) {
		__be32 key = htonl(prev->ips[i].addr.addr);

		ip4_format(prev->ips[i].addr.addr, a);
		if (bpf_map_lookup_elem(p->endpoints, &key, &got))
			return cni_errf(e, XCNI_ERR_CHECK, "pod %s is not in the endpoints map", a);
		if (got.ifindex != want.ifindex)
			return cni_errf(e, XCNI_ERR_CHECK,
					"endpoint %s points at ifindex %u, host veth %s is %d", a,
					got.ifindex, host->name, ifindex);
		if (memcmp(got.pod_mac, want.pod_mac, 6) || memcmp(got.host_mac, want.host_mac, 6))
			return cni_errf(e, XCNI_ERR_CHECK,
					"endpoint %s has other MACs than %s (pod) and %s (host)", a,
					pod->mac, host->mac);
	}
	if (bpf_map_lookup_elem(p->tx_ports, &key32, &port) || port.ifindex != key32)
		return cni_errf(e, XCNI_ERR_CHECK, "host veth %s is not in tx_ports", host->name);
	return 0;
}

int enroll_check(const char *root, const struct cni_result *prev, int netns_fd, struct cni_err *e)
{
	const struct cni_iface *host, *pod;
	bool gro = false;
	struct pins p;
	int ifindex, err;

	if (result_ifaces(prev, &host, &pod))
		return cni_errf(e, XCNI_ERR_CHECK, "prevResult names no veth pair to check");
	ifindex = (int)if_nametoindex(host->name);
	if (!ifindex)
		return cni_errf(e, XCNI_ERR_CHECK, "host veth %s not found", host->name);
	if (pins_open(root, &p, XCNI_ERR_CHECK, e))
		return -1;
	err = check_filter(ifindex, host->name, e);
	if (!err)
		err = check_maps(&p, prev, ifindex, host, pod, e);
	pins_close(&p);
	if (err)
		return -1;
	err = pod_gro(netns_fd, pod->name, false, &gro);
	if (err)
		return cni_errf(e, XCNI_ERR_DATAPATH, "cannot read GRO of %s in %s: %s", pod->name,
				pod->sandbox, strerror(-err));
	if (!gro)
		return cni_errf(e, XCNI_ERR_CHECK,
				"GRO is off on %s in %s: redirects into the pod would be dropped",
				pod->name, pod->sandbox);
	return 0;
}
