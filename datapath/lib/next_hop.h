/* The next hop of a packet the datapath forwards itself, from the kernel's
 * fib (routes and neighbours), for both hooks. */
#ifndef XCNI_BPF_NEXT_HOP_H
#define XCNI_BPF_NEXT_HOP_H

#include "maps.h"

/* The fib lookup is the costliest step of forwarding: a flow keeps its next
 * hop in its conntrack entry (ct, or NULL for traffic without one) and looks
 * it up again once a clock tick (a second) has passed, so a route or
 * neighbour change takes effect within that. ifindex is where the packet
 * came in; tot_len its IP length, or 0 to let the kernel check the skb
 * against the egress MTU itself (GSO-aware: a pod's 64 KB TSO packets).
 * Returns 0, or -1 when the stack must forward it (no route or neighbour
 * yet: it resolves). */
static __always_inline int next_hop(void *ctx, __u32 ifindex, __u16 tot_len,
				    const struct dp_config *cfg, const struct iphdr *ip,
				    struct ct_value *ct, struct endpoint *nh)
{
	struct bpf_fib_lookup fib = {};
	__u32 now = cfg->clock;

	if (ct && (ct->flags & CT_F_ROUTED) && ct->nh_time == now) {
		*nh = ct->ep;
		return 0;
	}
	fib.family = 2; /* AF_INET */
	fib.tos = ip->tos;
	fib.l4_protocol = ip->protocol;
	fib.tot_len = tot_len;
	fib.ipv4_src = ip->saddr;
	fib.ipv4_dst = ip->daddr;
	fib.ifindex = ifindex;
	if (bpf_fib_lookup(ctx, &fib, sizeof(fib), 0) != BPF_FIB_LKUP_RET_SUCCESS)
		return -1;
	nh->ifindex = fib.ifindex;
	__builtin_memcpy(nh->pod_mac, fib.dmac, ETH_ALEN);
	__builtin_memcpy(nh->host_mac, fib.smac, ETH_ALEN);
	if (ct) {
		ct->ep = *nh;
		ct->nh_time = now;
		ct->flags |= CT_F_ROUTED;
	}
	return 0;
}

#endif
