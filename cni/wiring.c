/* Pod wiring over netlink. The gateway is made to answer by giving every
 * host-side veth the gateway address as a /32 and turning proxy ARP on:
 * the pod ARPs for its gateway (a local address) or for another pod of its
 * subnet (routed out of another veth) and the host answers with the veth's
 * MAC, then routes by the pod's /32. No bridge, no per-node device, and the
 * same shape a datapath redirect expects. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>
#include <linux/rtnetlink.h>

#include "file.h"
#include "netns.h"
#include "nl.h"
#include "veth_name.h"
#include "wiring.h"

#define GC_MAX_LINKS 4096
/* The kernel takes no alias in the message that creates a link, so a veth
 * exists unlabeled for a moment. ADDs hold this lock shared across create
 * and label; GC holds it exclusive, so an unlabeled veth GC sees is the
 * orphan of an ADD that died, never one in flight. */
#define WIRING_LOCK_DIR "/run/xcni"
#define WIRING_LOCK WIRING_LOCK_DIR "/wiring.lock"

static int wiring_lock(int op)
{
	int fd;

	file_mkdir_p(WIRING_LOCK_DIR, 0755);
	fd = open(WIRING_LOCK, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
	if (fd < 0)
		return -errno;
	while (flock(fd, op) < 0) {
		if (errno != EINTR) {
			int err = -errno;

			close(fd);
			return err;
		}
	}
	return fd;
}

/* An unlabeled veth under one of the attachment's own names can only be
 * left by an ADD of that attachment that died before labeling it. */
static bool is_ours(const struct nl_link *link, const char *alias)
{
	return !strcmp(link->alias, alias) || (!link->alias[0] && !strcmp(link->kind, "veth"));
}

/* Looks for the attachment's host veth under each of its candidate names.
 * Returns 0 with link filled, or -ENOENT with free_name set to the first
 * name nobody holds (empty when all are taken). For ADD (to_free) the
 * search ends at the first free name: ADD always takes the first free one,
 * so a leftover of this attachment further on needs a rare collision that
 * came and went; DEL (which looks at every name) and GC still remove it. */
static int find_host_veth(struct nl *nl, const struct wiring *w, const char *alias,
			  struct nl_link *link, char free_name[IFNAMSIZ], bool to_free)
{
	char name[IFNAMSIZ];
	int err;

	free_name[0] = '\0';
	/* A name from prevResult must carry the attachment's own label. */
	if (w->host_hint && nl_link_get(nl, w->host_hint, link) == 0 && !strcmp(link->alias, alias))
		return 0;
	for (unsigned int salt = 0; salt < VETH_NAME_SALTS; salt++) {
		veth_host_name(w->att->container_id, w->att->ifname, salt, name);
		err = nl_link_get(nl, name, link);
		if (err == -ENODEV) {
			if (!free_name[0])
				memcpy(free_name, name, IFNAMSIZ);
			if (to_free)
				break;
			continue;
		}
		if (err)
			return err;
		if (is_ours(link, alias))
			return 0;
	}
	return -ENOENT;
}

static int host_sysctls(const char *veth, struct cni_err *e)
{
	static const struct {
		const char *fmt, *value;
	} knobs[] = {
		{ "/proc/sys/net/ipv4/conf/%s/proxy_arp", "1" },
		/* Proxy ARP replies are delayed by up to 0.8 s otherwise. */
		{ "/proc/sys/net/ipv4/neigh/%s/proxy_delay", "0" },
		{ "/proc/sys/net/ipv4/ip_forward", "1" },
	};
	char path[128];
	int err;

	for (size_t i = 0; i < sizeof(knobs) / sizeof(knobs[0]); i++) {
		snprintf(path, sizeof(path), knobs[i].fmt, veth);
		err = file_write_str(path, knobs[i].value);
		if (err)
			return cni_errf(e, CNI_ERR_IO, "cannot set %s: %s", path, strerror(-err));
	}
	return 0;
}

static uint32_t route_gw(const struct cni_result *r, const struct cni_route *rt)
{
	return rt->gw ? rt->gw : (r->n_ips ? r->ips[0].gw : 0);
}

static bool on_link(const struct cni_result *r, uint32_t addr)
{
	for (int i = 0; i < r->n_ips; i++)
		if (ip4_prefix_contains(&r->ips[i].addr, addr))
			return true;
	return false;
}

static int host_side(struct nl *nl, const struct nl_link *host, const struct cni_result *ipam,
		     struct cni_err *e)
{
	char a[INET_ADDRSTRLEN];
	int err;

	if (host_sysctls(host->name, e))
		return -1;
	for (int i = 0; i < ipam->n_ips; i++) {
		const struct cni_ip *ip = &ipam->ips[i];
		struct nl_route rt = { .dst = ip->addr.addr,
				       .dst_len = 32,
				       .oif = host->ifindex,
				       .scope = RT_SCOPE_LINK,
				       .protocol = RTPROT_STATIC };

		if (ip->gw) {
			err = nl_addr_add(nl, host->ifindex, ip->gw, 32);
			if (err) {
				ip4_format(ip->gw, a);
				return cni_errf(e, XCNI_ERR_NETLINK,
						"cannot add gateway %s/32 to host veth %s: %s", a,
						host->name, strerror(-err));
			}
		}
		err = nl_route_add(nl, &rt);
		if (err) {
			ip4_format(ip->addr.addr, a);
			return cni_errf(e, XCNI_ERR_NETLINK,
					"cannot add host route %s/32 dev %s: %s", a, host->name,
					strerror(-err));
		}
	}
	return 0;
}

static int pod_side(const struct wiring *w, const struct cni_result *ipam, struct nl_link *pod,
		    struct cni_err *e)
{
	char a[IP4_PREFIX_STRLEN];
	struct nl nl = { 0 };
	int saved, err;

	err = netns_enter(w->netns_fd, &saved);
	if (err)
		return cni_errf(e, CNI_ERR_IO, "cannot enter netns %s: %s", w->netns_path,
				strerror(-err));
	err = nl_open(&nl);
	if (err) {
		cni_errf(e, XCNI_ERR_NETLINK, "netlink socket in netns %s: %s", w->netns_path,
			 strerror(-err));
		goto out;
	}
	err = nl_link_get(&nl, w->att->ifname, pod);
	if (!err)
		err = nl_link_set_up(&nl, pod->ifindex);
	if (err) {
		cni_errf(e, XCNI_ERR_NETLINK, "pod interface %s in %s: %s", w->att->ifname,
			 w->netns_path, strerror(-err));
		goto out;
	}
	for (int i = 0; i < ipam->n_ips; i++) {
		err = nl_addr_add(&nl, pod->ifindex, ipam->ips[i].addr.addr, ipam->ips[i].addr.len);
		if (err) {
			ip4_prefix_format(&ipam->ips[i].addr, a);
			cni_errf(e, XCNI_ERR_NETLINK, "cannot add %s to %s in %s: %s", a,
				 w->att->ifname, w->netns_path, strerror(-err));
			goto out;
		}
	}
	for (int i = 0; i < ipam->n_routes; i++) {
		const struct cni_route *r = &ipam->routes[i];
		struct nl_route rt = { .dst = r->dst.addr,
				       .dst_len = r->dst.len,
				       .gw = route_gw(ipam, r),
				       .oif = pod->ifindex };
		struct nl_route gw_rt = {
			.dst = rt.gw, .dst_len = 32, .oif = pod->ifindex, .scope = RT_SCOPE_LINK
		};

		/* A gateway outside the pod's prefix needs a link route first. */
		err = 0;
		if (rt.gw && !on_link(ipam, rt.gw))
			err = nl_route_add(&nl, &gw_rt);
		if (!err)
			err = nl_route_add(&nl, &rt);
		if (err) {
			ip4_prefix_format(&r->dst, a);
			cni_errf(e, XCNI_ERR_NETLINK, "cannot add route %s in %s: %s", a,
				 w->netns_path, strerror(-err));
			goto out;
		}
	}
out:
	nl_close(&nl);
	if (netns_restore(saved)) {
		/* Going on in the pod's netns would wire the wrong host. */
		fprintf(stderr, "xcni: cannot return to the host netns\n");
		abort();
	}
	return err ? -1 : 0;
}

static void fill_result(const struct wiring *w, const struct nl_link *host,
			const struct nl_link *pod, const struct cni_result *ipam,
			struct cni_result *res)
{
	memset(res, 0, sizeof(*res));
	res->n_ifaces = 2;
	snprintf(res->ifaces[0].name, IFNAMSIZ, "%s", host->name);
	nl_mac_format(host->mac, res->ifaces[0].mac);
	res->ifaces[0].mtu = w->mtu;
	snprintf(res->ifaces[1].name, IFNAMSIZ, "%s", w->att->ifname);
	nl_mac_format(pod->mac, res->ifaces[1].mac);
	snprintf(res->ifaces[1].sandbox, sizeof(res->ifaces[1].sandbox), "%s", w->netns_path);
	res->ifaces[1].mtu = w->mtu;
	res->n_ips = ipam->n_ips;
	for (int i = 0; i < ipam->n_ips; i++) {
		res->ips[i] = ipam->ips[i];
		res->ips[i].iface = 1;
	}
	res->n_routes = ipam->n_routes;
	memcpy(res->routes, ipam->routes, sizeof(res->routes));
	res->dns = ipam->dns ? cJSON_Duplicate(ipam->dns, 1) : NULL;
}

int wiring_add(const struct wiring *w, const struct cni_result *ipam, struct cni_result *res,
	       struct cni_err *e)
{
	struct nl_veth_spec spec = { .peer_name = w->att->ifname,
				     .peer_netns_fd = w->netns_fd,
				     .mtu = w->mtu };
	char alias[NL_ALIAS_MAX], name[IFNAMSIZ];
	struct nl_link host, pod;
	struct nl nl = { 0 };
	int err, ret = -1, lock;

	if (veth_alias(w->network, w->att->container_id, w->att->ifname, alias))
		return cni_errf(e, CNI_ERR_INVALID_CONFIG, "attachment name too long for an alias");
	lock = wiring_lock(LOCK_SH);
	if (lock < 0)
		return cni_errf(e, CNI_ERR_IO, "cannot lock %s: %s", WIRING_LOCK, strerror(-lock));
	err = nl_open(&nl);
	if (err) {
		close(lock);
		return cni_errf(e, XCNI_ERR_NETLINK, "netlink socket: %s", strerror(-err));
	}
	err = find_host_veth(&nl, w, alias, &host, name, true);
	if (err == 0) {
		/* Left by an ADD of this attachment that died, or by a DEL whose
		 * detached unregistration has not run yet: start over. */
		snprintf(name, sizeof(name), "%s", host.name);
		err = nl_link_del(&nl, host.ifindex);
		if (err == -ENODEV) /* its detached unregistration won */
			err = 0;
	} else if (err == -ENOENT) {
		err = name[0] ? 0 : -EADDRINUSE;
	}
	if (err) {
		cni_errf(e, XCNI_ERR_NETLINK, "no usable host veth name for %s/%s: %s",
			 w->att->container_id, w->att->ifname, strerror(-err));
		goto out;
	}
	spec.name = name;
	err = nl_veth_create(&nl, &spec, &host);
	if (err == -EEXIST) {
		cni_errf(e, XCNI_ERR_NETLINK, "interface %s already exists in netns %s",
			 w->att->ifname, w->netns_path);
		goto out;
	}
	if (err) {
		cni_errf(e, XCNI_ERR_NETLINK, "cannot create veth %s <-> %s in %s: %s", name,
			 w->att->ifname, w->netns_path, strerror(-err));
		goto out;
	}
	err = host.ifindex && !strcmp(host.name, name) ? 0 : nl_link_get(&nl, name, &host);
	if (!err)
		err = nl_link_set_alias(&nl, host.ifindex, alias);
	if (err) {
		cni_errf(e, XCNI_ERR_NETLINK, "cannot label host veth %s: %s", name,
			 strerror(-err));
		goto undo;
	}
	close(lock);
	lock = -1;
	if (host_side(&nl, &host, ipam, e) || pod_side(w, ipam, &pod, e))
		goto undo;
	fill_result(w, &host, &pod, ipam, res);
	ret = 0;
	goto out;
undo:
	if (nl_link_get(&nl, name, &host) == 0)
		nl_link_del(&nl, host.ifindex); /* takes the pod's end with it */
out:
	if (lock >= 0)
		close(lock);
	nl_close(&nl);
	return ret;
}

/* Unregistering a netdev ends in an RCU barrier: about 20 ms here, most of
 * a synchronous DEL. The link is already down (no routes, no carrier), so
 * a detached child finishes the job while DEL returns. If the child never
 * runs, the down veth still carries its label: the next ADD of the
 * attachment or a GC removes it. */
static void unregister_detached(const char *name, const char *alias, int ifindex)
{
	struct nl_link link;
	struct nl nl = { 0 };
	int null;
	pid_t pid = fork();

	if (pid != 0)
		return; /* parent, or fork failed: the label keeps it collectable */
	null = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (null >= 0) {
		/* The runtime reads our stdout to EOF: let go of it. */
		dup2(null, STDIN_FILENO);
		dup2(null, STDOUT_FILENO);
		dup2(null, STDERR_FILENO);
	}
	setsid();
	if (!nl_open(&nl) && !nl_link_get(&nl, name, &link) && link.ifindex == ifindex &&
	    !strcmp(link.alias, alias) && !(link.flags & IFF_UP))
		nl_link_del(&nl, ifindex);
	_exit(0);
}

/* Takes one of the attachment's veths off the node: an unlabeled one (left
 * by a dead ADD) at once, a labeled one down now and unregistered by a
 * detached child. */
static int remove_host_veth(struct nl *nl, const struct nl_link *host, const char *alias)
{
	int err;

	if (!host->alias[0])
		err = nl_link_del(nl, host->ifindex);
	else if (!(err = nl_link_set_down(nl, host->ifindex)))
		unregister_detached(host->name, alias, host->ifindex);
	return err == -ENODEV ? 0 : err; /* a concurrent DEL won */
}

int wiring_del(const struct wiring *w, struct cni_err *e)
{
	char alias[NL_ALIAS_MAX], name[IFNAMSIZ];
	struct nl_link host;
	struct nl nl = { 0 };
	int err = 0;

	if (veth_alias(w->network, w->att->container_id, w->att->ifname, alias))
		return 0; /* ADD would have refused it: nothing can exist */
	err = nl_open(&nl);
	if (err)
		return cni_errf(e, XCNI_ERR_NETLINK, "netlink socket: %s", strerror(-err));
	/* Every candidate name, and prevResult's: a rare collision can leave
	 * the attachment under more than one. */
	for (int salt = -1; !err && salt < VETH_NAME_SALTS; salt++) {
		int got;

		if (salt < 0 && !w->host_hint)
			continue;
		if (salt < 0)
			snprintf(name, sizeof(name), "%s", w->host_hint);
		else
			veth_host_name(w->att->container_id, w->att->ifname, salt, name);
		if (salt >= 0 && w->host_hint && !strcmp(name, w->host_hint))
			continue;
		got = nl_link_get(&nl, name, &host);
		/* prevResult's name must carry the label; our own names may be
		 * unlabeled leftovers. */
		if (got == -ENODEV ||
		    (!got && (salt < 0 ? strcmp(host.alias, alias) : !is_ours(&host, alias))))
			continue;
		err = got ? got : remove_host_veth(&nl, &host, alias);
	}
	nl_close(&nl);
	if (err)
		return cni_errf(e, XCNI_ERR_NETLINK, "cannot remove host veth of %s/%s: %s",
				w->att->container_id, w->att->ifname, strerror(-err));
	return 0;
}

int wiring_host_ifindex(const struct wiring *w)
{
	char alias[NL_ALIAS_MAX], name[IFNAMSIZ];
	struct nl_link host;
	struct nl nl = { 0 };
	int err;

	if (veth_alias(w->network, w->att->container_id, w->att->ifname, alias))
		return -ENOENT;
	err = nl_open(&nl);
	if (err)
		return err;
	err = find_host_veth(&nl, w, alias, &host, name, false);
	nl_close(&nl);
	return err ? err : host.ifindex;
}

static int check_host(struct nl *nl, const struct wiring *w, const struct cni_result *prev,
		      struct cni_err *e)
{
	char alias[NL_ALIAS_MAX], name[IFNAMSIZ], a[INET_ADDRSTRLEN];
	struct nl_link host;
	int err;

	if (veth_alias(w->network, w->att->container_id, w->att->ifname, alias))
		return cni_errf(e, CNI_ERR_INVALID_CONFIG, "attachment name too long for an alias");
	err = find_host_veth(nl, w, alias, &host, name, false);
	if (err == -ENOENT)
		return cni_errf(e, XCNI_ERR_CHECK, "host veth of %s/%s not found",
				w->att->container_id, w->att->ifname);
	if (err)
		return cni_errf(e, XCNI_ERR_NETLINK, "looking up the host veth: %s",
				strerror(-err));
	if (!(host.flags & IFF_UP))
		return cni_errf(e, XCNI_ERR_CHECK, "host veth %s is down", host.name);
	for (int i = 0; i < prev->n_ifaces; i++)
		if (!prev->ifaces[i].sandbox[0] && strcmp(prev->ifaces[i].name, host.name))
			return cni_errf(e, XCNI_ERR_CHECK, "host veth is %s, prevResult says %s",
					host.name, prev->ifaces[i].name);
	for (int i = 0; i < prev->n_ips; i++) {
		const struct cni_ip *ip = &prev->ips[i];
		struct nl_route rt = { .dst = ip->addr.addr, .dst_len = 32, .oif = host.ifindex };

		if (ip->gw && nl_addr_find(nl, host.ifindex, ip->gw, 32)) {
			ip4_format(ip->gw, a);
			return cni_errf(e, XCNI_ERR_CHECK, "gateway %s/32 missing on host veth %s",
					a, host.name);
		}
		if (nl_route_find(nl, &rt)) {
			ip4_format(ip->addr.addr, a);
			return cni_errf(e, XCNI_ERR_CHECK, "host route %s/32 dev %s missing", a,
					host.name);
		}
	}
	return 0;
}

static int check_pod(struct nl *nl, const struct wiring *w, const struct cni_result *prev,
		     struct cni_err *e)
{
	char a[IP4_PREFIX_STRLEN], mac[18];
	struct nl_link pod;
	int err;

	err = nl_link_get(nl, w->att->ifname, &pod);
	if (err)
		return cni_errf(e, XCNI_ERR_CHECK, "interface %s not found in netns %s",
				w->att->ifname, w->netns_path);
	if (strcmp(pod.kind, "veth"))
		return cni_errf(e, XCNI_ERR_CHECK, "interface %s in netns %s is %s, not a veth",
				w->att->ifname, w->netns_path, pod.kind[0] ? pod.kind : "unknown");
	if (!(pod.flags & IFF_UP))
		return cni_errf(e, XCNI_ERR_CHECK, "interface %s in netns %s is down",
				w->att->ifname, w->netns_path);
	nl_mac_format(pod.mac, mac);
	for (int i = 0; i < prev->n_ifaces; i++) {
		const struct cni_iface *f = &prev->ifaces[i];

		if (!f->sandbox[0] || strcmp(f->name, w->att->ifname))
			continue;
		if (f->mac[0] && strcasecmp(f->mac, mac))
			return cni_errf(e, XCNI_ERR_CHECK, "MAC of %s is %s, prevResult says %s",
					w->att->ifname, mac, f->mac);
		if (f->mtu && f->mtu != pod.mtu)
			return cni_errf(e, XCNI_ERR_CHECK, "MTU of %s is %u, prevResult says %u",
					w->att->ifname, pod.mtu, f->mtu);
	}
	for (int i = 0; i < prev->n_ips; i++) {
		if (nl_addr_find(nl, pod.ifindex, prev->ips[i].addr.addr, prev->ips[i].addr.len)) {
			ip4_prefix_format(&prev->ips[i].addr, a);
			return cni_errf(e, XCNI_ERR_CHECK, "address %s missing on %s in netns %s",
					a, w->att->ifname, w->netns_path);
		}
	}
	for (int i = 0; i < prev->n_routes; i++) {
		const struct cni_route *r = &prev->routes[i];
		struct nl_route rt = { .dst = r->dst.addr,
				       .dst_len = r->dst.len,
				       .gw = route_gw(prev, r),
				       .oif = pod.ifindex };

		if (nl_route_find(nl, &rt)) {
			ip4_prefix_format(&r->dst, a);
			return cni_errf(e, XCNI_ERR_CHECK, "route %s missing on %s in netns %s", a,
					w->att->ifname, w->netns_path);
		}
	}
	return 0;
}

int wiring_check(const struct wiring *w, const struct cni_result *prev, struct cni_err *e)
{
	struct nl nl = { 0 };
	int saved, err;

	err = nl_open(&nl);
	if (err)
		return cni_errf(e, XCNI_ERR_NETLINK, "netlink socket: %s", strerror(-err));
	err = check_host(&nl, w, prev, e);
	nl_close(&nl);
	if (err)
		return -1;
	err = netns_enter(w->netns_fd, &saved);
	if (err)
		return cni_errf(e, CNI_ERR_IO, "cannot enter netns %s: %s", w->netns_path,
				strerror(-err));
	err = nl_open(&nl);
	if (err)
		cni_errf(e, XCNI_ERR_NETLINK, "netlink socket in %s: %s", w->netns_path,
			 strerror(-err));
	else
		err = check_pod(&nl, w, prev, e);
	nl_close(&nl);
	if (netns_restore(saved)) {
		fprintf(stderr, "xcni: cannot return to the host netns\n");
		abort();
	}
	return err ? -1 : 0;
}

struct gc_ctx {
	const char *network;
	cni_attachment_valid_fn valid;
	void *data;
	int stale[GC_MAX_LINKS];
	int n;
};

static int gc_visit(const struct nl_link *link, void *data)
{
	struct gc_ctx *ctx = data;
	struct cni_attachment a;

	bool stale;

	if (!link->alias[0])
		stale = !strncmp(link->name, VETH_NAME_PREFIX, strlen(VETH_NAME_PREFIX)) &&
			strlen(link->name) == IFNAMSIZ - 1 && !strcmp(link->kind, "veth");
	else if (!veth_alias_parse(link->alias, ctx->network, a.container_id,
				   sizeof(a.container_id), a.ifname, sizeof(a.ifname)))
		stale = !ctx->valid(&a, ctx->data);
	else
		stale = false;
	if (stale && ctx->n < GC_MAX_LINKS)
		ctx->stale[ctx->n++] = link->ifindex;
	return 0;
}

int wiring_gc(const char *network, cni_attachment_valid_fn valid, void *data, struct cni_err *e)
{
	struct gc_ctx *ctx = calloc(1, sizeof(*ctx));
	struct nl nl = { 0 };
	int err, removed = 0, lock;

	if (!ctx)
		return cni_errf(e, XCNI_ERR_INTERNAL, "out of memory");
	lock = wiring_lock(LOCK_EX);
	if (lock < 0) {
		free(ctx);
		return cni_errf(e, CNI_ERR_IO, "cannot lock %s: %s", WIRING_LOCK, strerror(-lock));
	}
	ctx->network = network;
	ctx->valid = valid;
	ctx->data = data;
	err = nl_open(&nl);
	if (!err)
		err = nl_link_dump(&nl, gc_visit, ctx);
	/* Delete after the dump: the socket cannot take requests mid-dump. */
	for (int i = 0; !err && i < ctx->n; i++) {
		int r = nl_link_del(&nl, ctx->stale[i]);

		if (r && r != -ENODEV)
			err = r;
		else if (!r)
			removed++;
	}
	nl_close(&nl);
	close(lock);
	free(ctx);
	if (err)
		return cni_errf(e, XCNI_ERR_NETLINK, "GC of host veths: %s", strerror(-err));
	return removed;
}
