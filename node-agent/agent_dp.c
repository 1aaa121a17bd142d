/* The datapath the agent owns: loaded over the maps a previous agent
 * pinned (so flows survive), XDP on the node's devices as pinned links,
 * the datapath clock and conntrack GC on timers, and the node state file
 * the CNI binary reads. */
#include <arpa/inet.h>
#include <bpf/bpf.h>
#include <errno.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "agent.h"
#include "dp_ops.h"
#include "dp_pin.h"
#include "ip4.h"
#include "log.h"
#include "nl.h"
#include "node_state.h"

/* Seconds since boot: it keeps counting across agent restarts, so the
 * conntrack timestamps a previous agent's clock wrote stay comparable. */
static uint32_t boot_seconds(void)
{
	struct timespec t;

	clock_gettime(CLOCK_BOOTTIME, &t);
	return (uint32_t)t.tv_sec;
}

/* The device of this network namespace's IPv4 default route. */
static int default_route_device(char *out, size_t len)
{
	FILE *f = fopen("/proc/net/route", "r");
	char line[256], dev[64];
	unsigned long dst, mask;
	int ret = -ENOENT;

	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%63s %lx %*x %*x %*d %*d %*d %lx", dev, &dst, &mask) == 3 &&
		    !dst && !mask) {
			snprintf(out, len, "%s", dev);
			ret = 0;
			break;
		}
	}
	fclose(f);
	return ret;
}

static int attach_devices(struct agent *a, char *err, size_t len)
{
	char list[sizeof(a->o.devices)], msg[256], *save = NULL, *dev;
	enum dp_xdp_mode want, got;
	int ret;

	if (dp_xdp_mode_parse(a->o.xdp_mode, &want)) {
		snprintf(err, len, "--xdp-mode %s: expected auto, native, generic or offload",
			 a->o.xdp_mode);
		return -EINVAL;
	}
	if (a->o.devices[0]) {
		snprintf(list, sizeof(list), "%s", a->o.devices);
	} else if (default_route_device(list, sizeof(list))) {
		snprintf(err, len, "no --devices given and no default route to take one from");
		return -ENODEV;
	}
	for (dev = strtok_r(list, ",", &save); dev; dev = strtok_r(NULL, ",", &save)) {
		struct agent_device *d;
		int ifindex = if_nametoindex(dev);

		if (!ifindex) {
			snprintf(err, len, "device %s: no such device", dev);
			return -ENODEV;
		}
		if (a->n_devices == AGENT_MAX_DEVICES) {
			snprintf(err, len, "more than %d devices", AGENT_MAX_DEVICES);
			return -E2BIG;
		}
		ret = dp_xdp_attach(&a->dp, a->o.bpffs_root, ifindex, want, &got, msg, sizeof(msg));
		if (ret) {
			snprintf(err, len, "device %s: %s", dev, msg);
			return ret;
		}
		d = &a->devices[a->n_devices++];
		snprintf(d->name, sizeof(d->name), "%s", dev);
		d->ifindex = ifindex;
		snprintf(d->mode, sizeof(d->mode), "%s", dp_xdp_mode_name(got));
		log_info("xdp_attached", "device=%s ifindex=%d mode=%s detail=\"%s\"", dev, ifindex,
			 d->mode, msg);
	}
	return 0;
}

static unsigned int device_mtu(const char *dev)
{
	struct nl_link l;
	struct nl nl;
	unsigned int mtu = 0;

	if (nl_open(&nl))
		return 0;
	if (!nl_link_get(&nl, dev, &l))
		mtu = l.mtu;
	nl_close(&nl);
	return mtu;
}

int agent_dp_start(struct agent *a, char *err, size_t len)
{
	struct dp_opts o = {
		.maglev_m = a->o.maglev_m,
		.max_services = a->o.max_services,
		.max_backends = a->o.max_backends,
		.max_ct = a->o.max_conntrack,
		.max_endpoints = a->o.max_endpoints,
		.pin_root = a->o.bpffs_root,
	};
	struct ip4_prefix p;
	char msg[512];
	int ret;

	if (a->o.node_ip[0]) {
		if (inet_pton(AF_INET, a->o.node_ip, &a->node_ip) != 1) {
			snprintf(err, len, "--node-ip %s: not an IPv4 address", a->o.node_ip);
			return -EINVAL;
		}
	}
	if (a->o.pod_cidr[0]) {
		if (ip4_prefix_parse(a->o.pod_cidr, &p)) {
			snprintf(err, len, "--pod-cidr %s: not an IPv4 CIDR", a->o.pod_cidr);
			return -EINVAL;
		}
		a->pod_cidr = htonl(p.addr);
		a->pod_cidr_len = p.len;
	}
	if (a->o.cluster_cidr[0]) {
		if (ip4_prefix_parse(a->o.cluster_cidr, &p)) {
			snprintf(err, len, "--cluster-cidr %s: not an IPv4 CIDR",
				 a->o.cluster_cidr);
			return -EINVAL;
		}
		o.cluster_mask = p.len ? htonl(~0u << (32 - p.len)) : 0;
		o.cluster_net = htonl(p.addr) & o.cluster_mask;
	}
	o.node_ip = a->node_ip;
	ret = dp_load(&a->dp, &o, msg, sizeof(msg));
	if (ret) {
		snprintf(err, len, "%s", msg);
		return ret;
	}
	a->dp_loaded = true;
	log_info("datapath_loaded",
		 "bpffs_root=%s maps_reused=%u maps_created=%u maps_migrated=%u maglev_m=%u%s%s",
		 a->o.bpffs_root, a->dp.maps_reused, a->dp.maps_created, a->dp.maps_migrated,
		 a->dp.maglev_m, msg[0] ? " detail=" : "", msg);
	dp_clock_set(&a->dp, boot_seconds());
	ret = dp_tc_pod_refresh(&a->dp);
	if (ret > 0)
		log_info("tc_pod_refreshed", "pods=%d", ret);

	a->rec = reconciler_new(&dp_real_ops, &a->dp,
				a->o.max_services ? a->o.max_services : XCNI_MAX_SERVICES,
				a->o.max_backends ? a->o.max_backends : XCNI_MAX_BACKENDS);
	if (!a->rec) {
		snprintf(err, len, "out of memory");
		return -ENOMEM;
	}
	ret = dp_adopt(&a->dp, a->rec, &a->adopted_services, &a->adopted_backends);
	if (ret) {
		snprintf(err, len, "reading the pinned maps: %s", strerror(-ret));
		return ret;
	}
	if (a->adopted_services || a->adopted_backends)
		log_info("state_adopted", "services=%u backends=%u", a->adopted_services,
			 a->adopted_backends);
	ret = attach_devices(a, err, len);
	if (ret)
		return ret;
	if (!a->o.mtu && a->n_devices)
		a->o.mtu = device_mtu(a->devices[0].name);
	return agent_dp_set_node(a);
}

/* The node's address into the datapath, and the node state file once the
 * pod CIDR is known: from then on the CNI can enroll pods. */
int agent_dp_set_node(struct agent *a)
{
	struct node_state ns = { 0 };
	struct dp_config cfg;
	uint32_t zero = 0;
	char err[512], ip[INET_ADDRSTRLEN], cidr[IP4_PREFIX_STRLEN];
	int ret;

	if (!a->dp_loaded)
		return 0;
	if (a->node_ip && !dp_config_get(&a->dp, &cfg) && cfg.node_ip != a->node_ip) {
		cfg.node_ip = a->node_ip;
		/* NodePorts answer on it: pass entries made before go. */
		if (bpf_map_update_elem(a->dp.fd_config, &zero, &cfg, BPF_ANY) ||
		    dp_flow_cache_flush(&a->dp))
			log_error("node_ip_failed", "error=\"%s\"", strerror(errno));
	}
	if (!a->pod_cidr)
		return 0;
	ns.pod_cidr.addr = ntohl(a->pod_cidr);
	ns.pod_cidr.len = a->pod_cidr_len;
	ns.mtu = a->o.mtu;
	snprintf(ns.bpffs_root, sizeof(ns.bpffs_root), "%s", a->o.bpffs_root);
	ret = node_state_write(a->o.node_state_file, &ns, err, sizeof(err));
	if (ret) {
		log_error("node_state_failed", "error=\"%s\"", err);
		return ret;
	}
	a->node_state_written = true;
	inet_ntop(AF_INET, &a->node_ip, ip, sizeof(ip));
	ip4_prefix_format(&ns.pod_cidr, cidr);
	log_info("node_state_written", "file=%s pod_cidr=%s node_ip=%s mtu=%u",
		 a->o.node_state_file, cidr, ip, ns.mtu);
	return 0;
}

void agent_dp_tick(struct agent *a, time_t now)
{
	struct ct_gc_result r;
	uint32_t clock = boot_seconds();
	int err;

	if (!a->dp_loaded)
		return;
	dp_clock_set(&a->dp, clock);
	if (now - a->last_ct_gc < (time_t)a->o.ct_gc_interval)
		return;
	a->last_ct_gc = now;
	err = dp_ct_gc(&a->dp, clock, &r);
	if (err) {
		log_warn("ct_gc_failed", "error=\"%s\"", strerror(-err));
		return;
	}
	a->ct_gc_runs++;
	a->ct_expired += r.expired;
	a->ct_entries = r.scanned - r.expired;
	if (r.expired)
		log_debug("ct_gc", "scanned=%u expired=%u", r.scanned, r.expired);
}

void agent_dp_stop(struct agent *a)
{
	reconciler_free(a->rec);
	a->rec = NULL;
	if (a->dp_loaded)
		dp_close(&a->dp);
	a->dp_loaded = false;
}

int agent_cleanup(const struct agent_opts *o, char *err, size_t len)
{
	unsigned int routes = 0;
	int ret = dp_cleanup(o->bpffs_root, err, len);
	int rc = node_routes_flush(&routes);

	if (rc && !ret) {
		ret = rc;
		snprintf(err, len, "cannot remove the routes to other nodes: %s", strerror(-rc));
	}

	if (unlink(o->node_state_file) && errno != ENOENT && !ret) {
		ret = -errno;
		snprintf(err, len, "cannot remove %s: %s", o->node_state_file, strerror(errno));
	}
	return ret;
}
