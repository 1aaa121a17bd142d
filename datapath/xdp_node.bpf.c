// SPDX-License-Identifier: GPL-2.0
/* xdp_node: XDP on the node's device(s) facing the network. NodePort,
 * LoadBalancer and externalIP load balancing, reverse translation of
 * replies to flows this node translated, redirect of traffic for local
 * pods straight into their veths; everything else passes up with the
 * verdict in the XDP metadata. */
#define XCNI_HOOK_XDP
#include "lib/flow.h"
#include "lib/l3.h"
#include "lib/next_hop.h"
#include "lib/reject.h"
#include "xcni/meta.h"

/* Redirect targets: pod host-side veths (the CNI adds them) and the node's
 * own devices (added when xdp_node is attached to them). Pinned like the
 * other maps; the loader reuses it by hand (libbpf 1.1 cannot reuse a
 * pinned devmap by itself). */
struct {
	__uint(type, BPF_MAP_TYPE_DEVMAP_HASH);
	__uint(max_entries, XCNI_MAX_ENDPOINTS);
	__type(key, __u32);
	__type(value, struct bpf_devmap_val);
} tx_ports SEC(".maps");

/* Leaves the decision in front of the frame for TC ingress to read. */
static __always_inline int pass_up(struct xdp_md *ctx, const struct pkt *p, __u32 reason,
				   __u32 mark)
{
	const struct dp_config *cfg = dp_config();
	struct xdp_meta *meta;
	void *data;

	count(reason, p->len);
	if (bpf_xdp_adjust_meta(ctx, -(int)sizeof(*meta)))
		return XDP_PASS;
	meta = (void *)(long)ctx->data_meta;
	data = (void *)(long)ctx->data;
	if ((void *)(meta + 1) > data)
		return XDP_PASS;
	meta->magic = XCNI_META_MAGIC;
	meta->mark = mark;
	meta->rx_queue = ctx->rx_queue_index;
	meta->verdict = reason;
	meta->timestamp = cfg ? cfg->clock : 0;
	return XDP_PASS;
}

static __always_inline void set_macs(struct ethhdr *eth, const __u8 *dst, const __u8 *src)
{
	__builtin_memcpy(eth->h_dest, dst, ETH_ALEN);
	__builtin_memcpy(eth->h_source, src, ETH_ALEN);
}

/* Straight into the pod's host-side veth (its peer has GRO on: the CNI
 * sees to it, or the frame would vanish). The frame is touched only once
 * the devmap has taken the target: a veth missing from tx_ports (after an
 * agent restart, say) means the stack delivers it, unchanged. */
static __always_inline int redirect_to_pod(struct xdp_md *ctx, const struct pkt *p,
					   struct ethhdr *eth, struct iphdr *ip,
					   const struct endpoint *ep, __u32 reason, __u32 mark)
{
	if (ip->ttl <= 1 || bpf_redirect_map(&tx_ports, ep->ifindex, 0) != XDP_REDIRECT)
		return pass_up(ctx, p, reason, mark);
	ttl_dec(ip);
	set_macs(eth, ep->pod_mac, ep->host_mac);
	count(reason, p->len);
	count(STAT_REDIRECT, p->len);
	dbg("redirect to ifindex %u", ep->ifindex);
	return XDP_REDIRECT;
}

/* Traffic for a pod of this node that needs no translation: the same
 * shortcut, for untagged frames (a tagged one goes up to its VLAN). The
 * flow's pass entry (res->pass, else put in res->fc now) keeps the pod,
 * or that there is none, for the rest of the tick. */
static __always_inline int pass_or_redirect(struct xdp_md *ctx, const struct pkt *p,
					    const struct dp_config *cfg,
					    const struct lb_result *res)
{
	struct ethhdr *eth = p->data;
	struct iphdr *ip = pkt_ip(p);
	const struct endpoint *ep = res->ep;

	if (!res->pass) {
		ep = bpf_map_lookup_elem(&endpoints, &p->tuple.daddr);
		flow_cache_put_pass(res->fc, p, cfg->clock, res->gen, res->ct_gen, res->from_wire,
				    ep);
	}
	if (!ep || !ip || (void *)(eth + 1) > p->data_end || p->l3_off != sizeof(*eth))
		return pass_up(ctx, p, STAT_PASS, 0);
	return redirect_to_pod(ctx, p, eth, ip, ep, STAT_PASS, 0);
}

/* What the metadata says of a translated packet passed up. */
static __always_inline __u32 translated_mark(__u16 ct_flags)
{
	if (ct_flags & CT_F_REPLY)
		return META_F_TRANSLATED | META_F_REPLY;
	if (ct_flags & CT_F_REWRITE_SRC)
		return META_F_TRANSLATED | META_F_SNAT;
	return META_F_TRANSLATED;
}

static __always_inline int deliver(struct xdp_md *ctx, struct pkt *p, const struct dp_config *cfg,
				   const struct lb_result *res)
{
	__u32 mark = translated_mark(res->ct_flags);
	struct ethhdr *eth = p->data;
	struct iphdr *ip = pkt_ip(p);
	const struct endpoint *ep;
	struct endpoint nh;

	/* A tagged frame goes up translated: the stack knows its VLAN. */
	if (!ip || (void *)(eth + 1) > p->data_end || p->l3_off != sizeof(*eth))
		return pass_up(ctx, p, res->reason, mark);
	ep = lb_endpoint(res);
	if (ep)
		return redirect_to_pod(ctx, p, eth, ip, ep, res->reason, mark);
	if (next_hop(ctx, ctx->ingress_ifindex, bpf_ntohs(ip->tot_len), cfg, ip, res->ct, &nh))
		return pass_up(ctx, p, res->reason, mark);
	ip = pkt_ip(p);
	eth = p->data;
	if (!ip || (void *)(eth + 1) > p->data_end)
		return XDP_ABORTED;
	if (ttl_dec(ip))
		return pass_up(ctx, p, res->reason, mark); /* the stack sends time-exceeded */
	set_macs(eth, nh.pod_mac, nh.host_mac);
	count(res->reason, p->len);
	if (nh.ifindex == ctx->ingress_ifindex) {
		count(STAT_TX, p->len);
		return XDP_TX;
	}
	count(STAT_REDIRECT, p->len);
	return bpf_redirect_map(&tx_ports, nh.ifindex, XDP_PASS);
}

SEC("xdp")
int xdp_node(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data, *data_end = (void *)(long)ctx->data_end;
	const struct dp_config *cfg = dp_config();
	struct lb_result res = {};
	struct pkt p;
	int rc;

	switch (parse_packet(&p, data, data_end, data_end - data)) {
	case PARSE_MALFORMED:
		count(STAT_DROP_MALFORMED, p.len);
		return XDP_DROP;
	case PARSE_FRAGMENT:
		return pass_up(ctx, &p, STAT_FRAGMENT, 0);
	case PARSE_PASS:
		return pass_up(ctx, &p, STAT_PASS, 0);
	case PARSE_OK:
		break;
	}
	if (!cfg)
		return XDP_PASS;
	switch (lb_process(ctx, &p, cfg, true, &res)) {
	case LB_NONE:
		return pass_or_redirect(ctx, &p, cfg, &res);
	case LB_DROP:
		count(res.reason, p.len);
		return XDP_DROP;
	case LB_REJECT:
		rc = p.tuple.proto == IPPROTO_TCP ? reject_tcp(ctx, &p) : reject_udp(ctx, &p);
		if (rc) {
			/* rc > 0: a RST, which is never answered. */
			count(rc > 0 ? STAT_REJECT : STAT_DROP_NO_ROOM, p.len);
			return XDP_DROP;
		}
		count(STAT_REJECT, p.len);
		count(STAT_TX, p.len);
		return XDP_TX;
	case LB_TRANSLATED:
		return deliver(ctx, &p, cfg, &res);
	}
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
