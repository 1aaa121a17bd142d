/* A service without backends answers like kube-proxy's REJECT: TCP with a
 * RST, UDP with ICMP port unreachable, built in place from the packet. The
 * caller sends the result back where the packet came from. */
#ifndef XCNI_BPF_REJECT_H
#define XCNI_BPF_REJECT_H

#include "csum.h"
#include "hook.h"

/* One's complement sum of len bytes (even, at most 80) at off. */
static __always_inline __u32 sum16(const struct pkt *p, __u32 off, __u32 len)
{
	__u32 s = 0;

	for (int i = 0; i < 40; i++) {
		__u16 *w = p->data + off + i * 2;

		if ((__u32)i * 2 >= len || off > XCNI_MAX_HDR_OFF || (void *)(w + 1) > p->data_end)
			break;
		s += *w;
	}
	return s;
}

static __always_inline void swap_macs(struct ethhdr *eth)
{
	__u8 tmp[ETH_ALEN];

	__builtin_memcpy(tmp, eth->h_source, ETH_ALEN);
	__builtin_memcpy(eth->h_source, eth->h_dest, ETH_ALEN);
	__builtin_memcpy(eth->h_dest, tmp, ETH_ALEN);
}

/* The RST answering a TCP segment (RFC 793: a segment with ACK gets a RST
 * with its ack as seq; otherwise RST|ACK acknowledging what it carried).
 * Returns 0 when built, 1 for a RST (never answered), -1 on failure. */
static __always_inline int reject_tcp(void *ctx, struct pkt *p)
{
	struct ethhdr *eth = p->data;
	struct iphdr *ip = pkt_ip(p);
	struct tcphdr *th = pkt_l4(p, sizeof(*th));
	__u32 ihl, payload, s;
	__be32 seq, ack, a;
	__be16 port;
	__u8 out;

	if (!ip || !th || (void *)(eth + 1) > p->data_end)
		return -1;
	if (p->tcp_flags & TCP_FLAG_RST)
		return 1; /* nothing to answer */
	ihl = ip->ihl * 4;
	payload = bpf_ntohs(ip->tot_len) - ihl - th->doff * 4;
	if (p->tcp_flags & TCP_FLAG_ACK) {
		seq = th->ack_seq;
		ack = 0;
		out = TCP_FLAG_RST;
	} else {
		seq = 0;
		ack = bpf_htonl(bpf_ntohl(th->seq) + payload + !!(p->tcp_flags & TCP_FLAG_SYN) +
				!!(p->tcp_flags & TCP_FLAG_FIN));
		out = TCP_FLAG_RST | TCP_FLAG_ACK;
	}
	swap_macs(eth);
	a = ip->saddr;
	ip->saddr = ip->daddr;
	ip->daddr = a;
	ip->tot_len = bpf_htons(ihl + sizeof(*th));
	ip->ttl = 64;
	ip->id = 0;
	ip->frag_off = 0;
	ip->check = 0;
	port = th->source;
	th->source = th->dest;
	th->dest = port;
	th->seq = seq;
	th->ack_seq = ack;
	((__u8 *)th)[12] = (sizeof(*th) / 4) << 4; /* doff 5: options dropped */
	((__u8 *)th)[13] = out;
	th->window = 0;
	th->check = 0;
	th->urg_ptr = 0;
	if (hook_set_len(ctx, p, p->l4_off + sizeof(*th)))
		return -1;

	ip = pkt_ip(p);
	th = pkt_l4(p, sizeof(*th));
	if (!ip || !th)
		return -1;
	ip->check = ~csum_fold32(sum16(p, p->l3_off, ihl));
	s = sum16(p, p->l4_off, sizeof(*th));
	s += (ip->saddr & 0xffff) + (ip->saddr >> 16) + (ip->daddr & 0xffff) + (ip->daddr >> 16);
	s += bpf_htons(IPPROTO_TCP) + bpf_htons(sizeof(*th));
	th->check = ~csum_fold32(s);
	return 0;
}

/* ICMP port unreachable quoting the datagram's IP header and 8 bytes. */
static __always_inline int reject_udp(void *ctx, struct pkt *p)
{
	const __u32 room = sizeof(struct iphdr) + sizeof(struct icmphdr);
	struct ethhdr *eth = p->data;
	struct iphdr *ip = pkt_ip(p);
	__u8 smac[ETH_ALEN], dmac[ETH_ALEN];
	__u32 l2 = p->l3_off, ihl, quote;
	struct icmphdr *ic;
	__be32 saddr, daddr;

	if (!ip || (void *)(eth + 1) > p->data_end)
		return -1;
	ihl = ip->ihl * 4;
	quote = ihl + 8;
	saddr = ip->saddr;
	daddr = ip->daddr;
	__builtin_memcpy(smac, eth->h_source, ETH_ALEN);
	__builtin_memcpy(dmac, eth->h_dest, ETH_ALEN);
	if (hook_set_len(ctx, p, l2 + quote) || hook_insert_after_l2(ctx, p, l2, room))
		return -1;

	eth = p->data;
	ip = p->data + l2;
	ic = p->data + l2 + sizeof(*ip);
	if (l2 > 18 || (void *)(eth + 1) > p->data_end || (void *)(ic + 1) > p->data_end)
		return -1;
	__builtin_memcpy(eth->h_dest, smac, ETH_ALEN);
	__builtin_memcpy(eth->h_source, dmac, ETH_ALEN);
	ip->version = 4;
	ip->ihl = sizeof(*ip) / 4;
	ip->tos = 0;
	ip->tot_len = bpf_htons(room + quote);
	ip->id = 0;
	ip->frag_off = 0;
	ip->ttl = 64;
	ip->protocol = IPPROTO_ICMP;
	ip->check = 0;
	ip->saddr = daddr;
	ip->daddr = saddr;
	ip->check = ~csum_fold32(sum16(p, l2, sizeof(*ip)));
	ic->type = ICMP_DEST_UNREACH;
	ic->code = ICMP_PORT_UNREACH;
	ic->checksum = 0;
	ic->un.gateway = 0;
	ic->checksum = ~csum_fold32(sum16(p, l2 + sizeof(*ip), sizeof(*ic) + quote));
	return 0;
}

#endif
