// SPDX-License-Identifier: GPL-2.0
/* tc_pod: TC ingress on each pod's host-side veth, i.e. the pod's egress.
 * ClusterIP load balancing for pod traffic, reverse translation of replies
 * from local backends, delivery to pods on this node with
 * bpf_redirect_peer; everything else goes on through the stack. */
#define XCNI_HOOK_TC
#include "lib/flow.h"
#include "lib/l3.h"
#include "lib/reject.h"

static __always_inline int deliver(struct __sk_buff *skb, struct pkt *p,
				   const struct lb_result *res)
{
	struct ethhdr *eth = p->data;
	const struct endpoint *ep;
	struct iphdr *ip = pkt_ip(p);

	count(res->reason, p->len);
	ep = lb_endpoint(res);
	/* The stack routes what we do not deliver ourselves (and answers an
	 * expiring TTL). */
	if (!ep || !ip || (void *)(eth + 1) > p->data_end || p->l3_off != sizeof(*eth) ||
	    ttl_dec(ip))
		return TC_ACT_OK;
	__builtin_memcpy(eth->h_dest, ep->pod_mac, ETH_ALEN);
	__builtin_memcpy(eth->h_source, ep->host_mac, ETH_ALEN);
	count(STAT_REDIRECT, p->len);
	dbg("redirect_peer to ifindex %u", ep->ifindex);
	return bpf_redirect_peer(ep->ifindex, 0);
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
		count(STAT_PASS, p.len);
		return TC_ACT_OK;
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
		return deliver(skb, &p, &res);
	}
	return TC_ACT_OK;
}

char LICENSE[] SEC("license") = "GPL";
