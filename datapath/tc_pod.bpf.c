// SPDX-License-Identifier: GPL-2.0
/* tc_pod: TC ingress on each pod's host-side veth, i.e. the pod's egress.
 * ClusterIP load balancing for pod traffic, reverse translation of replies
 * from local backends, delivery to pods on this node with
 * bpf_redirect_peer and to other nodes by fib lookup; everything else goes
 * on through the stack. */
#define XCNI_HOOK_TC
#include "lib/flow.h"
#include "lib/l3.h"
#include "lib/next_hop.h"
#include "lib/reject.h"

/* Out of the device the fib names for the packet's destination, with the
 * MACs it found (kept in the flow's conntrack entry ct, when there is
 * one): past the stack, its netfilter and its checks (a reply translated
 * back to the node's own address as source is one the stack would drop as
 * a martian). Returns -1 when the fib cannot resolve it yet: the stack
 * then routes it, and resolves. */
static __always_inline int fib_redirect(struct __sk_buff *skb, struct pkt *p,
					const struct dp_config *cfg, struct ct_value *ct,
					__u32 reason)
{
	struct iphdr *ip = pkt_ip(p);
	struct endpoint nh;
	struct ethhdr *eth;

	if (!ip || next_hop(skb, skb->ifindex, 0, cfg, ip, ct, &nh) || nh.ifindex == skb->ifindex)
		return -1;
	ip = pkt_ip(p);
	eth = p->data;
	if (!ip || (void *)(eth + 1) > p->data_end)
		return -1;
	ttl_dec(ip);
	__builtin_memcpy(eth->h_dest, nh.pod_mac, ETH_ALEN);
	__builtin_memcpy(eth->h_source, nh.host_mac, ETH_ALEN);
	count(reason, p->len);
	count(STAT_REDIRECT, p->len);
	return bpf_redirect(nh.ifindex, 0);
}

/* Delivers the packet itself: into the pod of this node ep (NULL: none)
 * with bpf_redirect_peer, else out by fib lookup. Returns -1 when the stack
 * must route it: a tagged frame, an expiring TTL (the stack answers it), a
 * next hop not resolved yet. */
static __always_inline int forward(struct __sk_buff *skb, struct pkt *p,
				   const struct dp_config *cfg, const struct endpoint *ep,
				   struct ct_value *ct, __u32 reason)
{
	struct ethhdr *eth = p->data;
	struct iphdr *ip = pkt_ip(p);

	if (!ip || (void *)(eth + 1) > p->data_end || p->l3_off != sizeof(*eth) || ip->ttl <= 1)
		return -1;
	if (!ep)
		return fib_redirect(skb, p, cfg, ct, reason);
	ttl_dec(ip);
	__builtin_memcpy(eth->h_dest, ep->pod_mac, ETH_ALEN);
	__builtin_memcpy(eth->h_source, ep->host_mac, ETH_ALEN);
	count(reason, p->len);
	count(STAT_REDIRECT, p->len);
	dbg("redirect_peer to ifindex %u", ep->ifindex);
	return bpf_redirect_peer(ep->ifindex, 0);
}

/* A translated packet: to its local pod, to a backend on another node, or
 * (a reply) out of the node. */
static __always_inline int deliver(struct __sk_buff *skb, struct pkt *p,
				   const struct dp_config *cfg, const struct lb_result *res)
{
	int rc = forward(skb, p, cfg, lb_endpoint(res), res->ct, res->reason);

	if (rc >= 0)
		return rc;
	count(res->reason, p->len);
	return TC_ACT_OK;
}

/* Pod-to-pod traffic needing no translation: to a pod of this node
 * straight through its veth, to a pod of another node out of the device
 * the route to that node's pod CIDR names (native routing, the agent keeps
 * those routes), in both cases past the stack and its netfilter. The rest
 * goes up. The flow's pass entry (res->pass, else put in res->fc now)
 * keeps the endpoint or next hop for the rest of the tick. */
static __always_inline int pass_or_forward(struct __sk_buff *skb, struct pkt *p,
					   const struct dp_config *cfg, struct lb_result *res)
{
	const struct endpoint *ep = res->ep;
	struct ct_value *c = res->ct;
	int rc;

	if (cfg->cluster_mask && (p->tuple.daddr & cfg->cluster_mask) == cfg->cluster_net) {
		if (!res->pass) {
			ep = bpf_map_lookup_elem(&endpoints, &p->tuple.daddr);
			c = flow_cache_put_pass(res->fc, p, cfg->clock, res->gen, res->ct_gen,
						res->from_wire, ep);
		}
		rc = forward(skb, p, cfg, ep, c, STAT_POD_FORWARD);
		if (rc >= 0)
			return rc;
	} else if (!res->pass) {
		flow_cache_put_pass(res->fc, p, cfg->clock, res->gen, res->ct_gen, res->from_wire,
				    NULL);
	}
	count(STAT_PASS, p->len);
	return TC_ACT_OK;
}

/* Headers past the linear part (rare: most skbs carry at least their
 * headers there) are pulled in, at the price of a helper call. */
#define TC_HDR_PULL (sizeof(struct ethhdr) + sizeof(struct vlan_hdr) + 60 + 60)

SEC("tc")
int tc_pod(struct __sk_buff *skb)
{
	void *data = (void *)(long)skb->data, *data_end = (void *)(long)skb->data_end;
	const struct dp_config *cfg = dp_config();
	struct lb_result res = {};
	struct pkt p;
	int rc;

	if (data + TC_HDR_PULL > data_end && skb->len > (__u32)(data_end - data)) {
		bpf_skb_pull_data(skb, skb->len < TC_HDR_PULL ? skb->len : TC_HDR_PULL);
		data = (void *)(long)skb->data;
		data_end = (void *)(long)skb->data_end;
	}
	switch (parse_packet(&p, data, data_end, skb->len)) {
	case PARSE_MALFORMED:
		count(STAT_DROP_MALFORMED, p.len);
		return TC_ACT_SHOT;
	case PARSE_FRAGMENT:
		count(STAT_FRAGMENT, p.len);
		return TC_ACT_OK;
	case PARSE_PASS:
		count(STAT_PASS, p.len);
		return TC_ACT_OK;
	case PARSE_OK:
		break;
	}
	if (!cfg)
		return TC_ACT_OK;
	p.ip_summed = skb_ip_summed(skb);
	switch (lb_process(skb, &p, cfg, false, &res)) {
	case LB_NONE:
		return pass_or_forward(skb, &p, cfg, &res);
	case LB_DROP:
		count(res.reason, p.len);
		return TC_ACT_SHOT;
	case LB_REJECT:
		rc = p.tuple.proto == IPPROTO_TCP ? reject_tcp(skb, &p) : reject_udp(skb, &p);
		if (rc) {
			/* rc > 0: a RST, which is never answered. */
			count(rc > 0 ? STAT_REJECT : STAT_DROP_NO_ROOM, p.len);
			return TC_ACT_SHOT;
		}
		count(STAT_REJECT, p.len);
		/* Back out of the veth it came in on: into the pod. */
		return bpf_redirect(skb->ifindex, 0);
	case LB_TRANSLATED:
		return deliver(skb, &p, cfg, &res);
	}
	return TC_ACT_OK;
}

char LICENSE[] SEC("license") = "GPL";
