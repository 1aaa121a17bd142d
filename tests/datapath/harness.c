/* The packet-test harness. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/if_link.h>

#include "harness.h"
#include "nl.h"

static int quiet(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	if (level == LIBBPF_DEBUG)
		return 0;
	return vfprintf(stderr, fmt, ap);
}

uint32_t ip4(const char *dotted)
{
	struct in_addr a = { 0 };

	if (inet_pton(AF_INET, dotted, &a) != 1) {
		fprintf(stderr, "harness: bad address %s\n", dotted);
		abort();
	}
	return a.s_addr;
}

int harness_sh(const char *fmt, ...)
{
	char cmd[2048];
	va_list ap;
	int rc;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	rc = system(cmd);
	if (rc != 0)
		fprintf(stderr, "harness: command failed (status %d): %s\n", rc, cmd);
	return rc;
}

void harness_init(struct datapath *dp, uint32_t maglev_m)
{
	struct dp_opts o = { .maglev_m = maglev_m, .node_ip = ip4(NODE_IP) };
	char msg[256];
	int err;

	libbpf_set_print(quiet);
	if (unshare(CLONE_NEWNET)) {
		perror("harness: unshare(CLONE_NEWNET)");
		abort();
	}
	err = dp_load(dp, &o, msg, sizeof(msg));
	if (err) {
		fprintf(stderr, "harness: %s\n", msg);
		abort();
	}
}

int harness_run(const struct datapath *dp, enum hook h, const uint8_t *in, size_t len,
		uint32_t repeat, struct run_result *r)
{
	struct xdp_md xctx = { .data_end = (uint32_t)len, .ingress_ifindex = 1 }, xout = { 0 };
	struct __sk_buff sctx = { .ifindex = 1 };
	uint8_t raw[PKT_MAX + 64];
	LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = in, .data_size_in = (uint32_t)len,
		    .data_out = raw, .data_size_out = sizeof(raw), .repeat = repeat);
	int err;

	if (h == HOOK_XDP) {
		opts.ctx_in = &xctx;
		opts.ctx_size_in = sizeof(xctx);
		opts.ctx_out = &xout;
		opts.ctx_size_out = sizeof(xout);
	} else {
		opts.ctx_in = &sctx;
		opts.ctx_size_in = sizeof(sctx);
	}
	err = bpf_prog_test_run_opts(h == HOOK_XDP ? dp->prog_xdp : dp->prog_tc, &opts);
	if (err)
		return -errno;
	r->verdict = opts.retval;
	r->duration_ns = opts.duration;
	/* XDP output starts at data_meta; ctx_out says where data begins. */
	r->meta_len = h == HOOK_XDP ? xout.data - xout.data_meta : 0;
	if (r->meta_len > sizeof(r->meta) || r->meta_len > opts.data_size_out)
		return -EPROTO;
	memcpy(r->meta, raw, r->meta_len);
	r->out_len = opts.data_size_out - r->meta_len;
	memcpy(r->out, raw + r->meta_len, r->out_len);
	return 0;
}

int harness_veth(const struct datapath *dp, const char *name, bool tx_port)
{
	char peer[IFNAMSIZ];
	struct nl_veth_spec spec = { .name = name, .peer_name = peer, .mtu = 1500 };
	struct nl_link link;
	struct nl nl;
	int err;

	snprintf(peer, sizeof(peer), "%.*sp", IFNAMSIZ - 2, name);
	spec.peer_netns_fd = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	if (spec.peer_netns_fd < 0 || nl_open(&nl)) {
		fprintf(stderr, "harness: cannot open the netns or netlink\n");
		abort();
	}
	err = nl_veth_create(&nl, &spec, &link);
	if (!err && !link.ifindex)
		err = nl_link_get(&nl, name, &link);
	nl_close(&nl);
	close(spec.peer_netns_fd);
	if (err || !link.ifindex) {
		fprintf(stderr, "harness: veth %s: %s\n", name, strerror(-err));
		abort();
	}
	if (tx_port && dp_tx_port_add(dp, link.ifindex)) {
		fprintf(stderr, "harness: tx port %d: %s\n", link.ifindex, strerror(errno));
		abort();
	}
	return link.ifindex;
}

static void parse_backend(const char *s, uint32_t *ip, uint16_t *port)
{
	char buf[64];
	const char *colon = strchr(s, ':');

	snprintf(buf, sizeof(buf), "%.*s", (int)(colon - s), s);
	*ip = ip4(buf);
	*port = htons((uint16_t)atoi(colon + 1));
}

void harness_service(const struct datapath *dp, const char *vip, uint16_t port, uint8_t proto,
		     uint32_t svc_id, uint16_t flags, uint32_t affinity_timeout, uint32_t first_id,
		     const char *const *backends, size_t n)
{
	struct svc_key k = { .vip = vip ? ip4(vip) : 0, .port = htons(port), .proto = proto };
	struct svc_value v = { .id = svc_id,
			       .backend_count = (uint16_t)n,
			       .flags = flags,
			       .affinity_timeout = affinity_timeout };
	uint32_t ids[64];

	for (size_t i = 0; i < n && i < 64; i++) {
		struct backend b = { 0 };

		parse_backend(backends[i], &b.ip, &b.port);
		ids[i] = first_id + (uint32_t)i;
		if (dp_backend_set(dp, ids[i], &b))
			abort();
	}
	if (dp_service_set(dp, &k, &v, ids, n)) {
		fprintf(stderr, "harness: dp_service_set failed\n");
		abort();
	}
}

void harness_endpoint(const struct datapath *dp, const char *ip, uint32_t ifindex,
		      const uint8_t pod_mac[6], const uint8_t host_mac[6])
{
	struct endpoint ep = { .ifindex = ifindex };

	memcpy(ep.pod_mac, pod_mac, 6);
	memcpy(ep.host_mac, host_mac, 6);
	if (dp_endpoint_set(dp, ip4(ip), &ep))
		abort();
}

size_t harness_ct_count(const struct datapath *dp)
{
	struct ct_key k, next;
	void *prev = NULL;
	size_t n = 0;

	while (bpf_map_get_next_key(dp->fd_ct, prev, &next) == 0) {
		k = next;
		prev = &k;
		n++;
	}
	return n;
}

bool harness_ct_get(const struct datapath *dp, const char *saddr, uint16_t sport, const char *daddr,
		    uint16_t dport, uint8_t proto, struct ct_value *v)
{
	struct ct_key k = { .saddr = ip4(saddr),
			    .daddr = ip4(daddr),
			    .sport = htons(sport),
			    .dport = htons(dport),
			    .proto = proto };

	return bpf_map_lookup_elem(dp->fd_ct, &k, v) == 0;
}

void harness_ct_clear(const struct datapath *dp)
{
	struct ct_key k;

	while (bpf_map_get_next_key(dp->fd_ct, NULL, &k) == 0)
		bpf_map_delete_elem(dp->fd_ct, &k);
	dp_flow_cache_flush(dp);
}

size_t harness_affinity_count(const struct datapath *dp)
{
	struct affinity_key k, next;
	void *prev = NULL;
	size_t n = 0;

	while (bpf_map_get_next_key(dp->fd_affinity, prev, &next) == 0) {
		k = next;
		prev = &k;
		n++;
	}
	return n;
}

bool harness_affinity_get(const struct datapath *dp, const char *client, uint32_t svc_id,
			  struct affinity_value *v)
{
	struct affinity_key k = { .client = ip4(client), .svc_id = svc_id };

	return bpf_map_lookup_elem(dp->fd_affinity, &k, v) == 0;
}

void harness_affinity_clear(const struct datapath *dp)
{
	struct affinity_key k;

	while (bpf_map_get_next_key(dp->fd_affinity, NULL, &k) == 0)
		bpf_map_delete_elem(dp->fd_affinity, &k);
}

uint64_t harness_stat(const struct datapath *dp, enum stat_reason r)
{
	struct stat_value s[STAT_MAX];

	if (dp_stats_read(dp, s))
		return 0;
	return s[r].packets;
}
