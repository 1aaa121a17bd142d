/* Address and port rewriting as a conntrack entry prescribes, through the
 * hook's checksum primitives (hook.h): inline arithmetic in XDP, where frames
 * arrive with complete checksums; the csum helpers in TC, where a pod's
 * packet may be CHECKSUM_PARTIAL and only the kernel knows how to fix it. */
#ifndef XCNI_BPF_NAT_H
#define XCNI_BPF_NAT_H

#include "hook.h"
#include "parse.h"

/* Offsets (from the start of the frame) of a TCP/UDP header's fields. */
struct l4_offsets {
	__u32 check;
	__u32 sport;
	__u32 dport;
	__u32 csum_flags; /* HOOK_CSUM_UDP for UDP */
	bool ports;
};

static __always_inline void l4_offsets(const struct pkt *p, __u8 proto, struct l4_offsets *o)
{
	o->sport = p->l4_off + offsetof(struct tcphdr, source);
	o->dport = p->l4_off + offsetof(struct tcphdr, dest);
	o->ports = proto == IPPROTO_TCP || proto == IPPROTO_UDP;
	o->csum_flags = 0;
	if (proto == IPPROTO_TCP) {
		o->check = p->l4_off + offsetof(struct tcphdr, check);
	} else {
		o->check = p->l4_off + offsetof(struct udphdr, check);
		o->csum_flags = HOOK_CSUM_UDP;
	}
}

/* One address of the packet (saddr or daddr, at addr_off) and, for
 * TCP/UDP, its port: the address is in the IP checksum and in the L4
 * pseudo-header, the port in the L4 checksum. */
static __always_inline int rewrite_endpoint(void *ctx, struct pkt *p, const struct l4_offsets *o,
					    __u32 addr_off, __be32 from, __be32 to, __u32 port_off,
					    __be16 pfrom, __be16 pto)
{
	if (from != to) {
		if (o->ports && hook_l4_csum_replace(ctx, p, o->check, from, to,
						     4 | HOOK_CSUM_PSEUDO | o->csum_flags))
			return -1;
		if (hook_l3_csum_replace(ctx, p, p->l3_off + offsetof(struct iphdr, check), from,
					 to) ||
		    hook_store4(ctx, p, addr_off, to))
			return -1;
	}
	if (o->ports && pfrom != pto) {
		if (hook_l4_csum_replace(ctx, p, o->check, pfrom, pto, 2 | o->csum_flags) ||
		    hook_store2(ctx, p, port_off, pto))
			return -1;
	}
	return 0;
}

/* The general path, through the hook's primitives: for a TC skb in
 * CHECKSUM_COMPLETE, whose skb->csum must follow pseudo-header changes. */
static __always_inline int nat_apply_hooks(void *ctx, struct pkt *p, const struct ct_key *t,
					   const struct ct_value *v)
{
	struct l4_offsets o;

	l4_offsets(p, t->proto, &o);
	if ((v->flags & CT_F_REWRITE_SRC) &&
	    rewrite_endpoint(ctx, p, &o, p->l3_off + offsetof(struct iphdr, saddr), t->saddr,
			     v->saddr, o.sport, t->sport, v->sport))
		return -1;
	if ((v->flags & CT_F_REWRITE_DST) &&
	    rewrite_endpoint(ctx, p, &o, p->l3_off + offsetof(struct iphdr, daddr), t->daddr,
			     v->daddr, o.dport, t->dport, v->dport))
		return -1;
	return 0;
}

/* Adds a 32-bit field's change from -> to into a one's complement delta. */
static __always_inline __u32 delta4(__u32 d, __be32 from, __be32 to)
{
	return d + (__u16) ~(from & 0xffff) + (__u16) ~(from >> 16) + (to & 0xffff) + (to >> 16);
}

static __always_inline __u32 delta2(__u32 d, __be16 from, __be16 to)
{
	return d + (__u16)~from + to;
}

/* Applies v's rewrites to the packet whose tuple is t (as parsed): the
 * headers are proved once, each checksum takes one accumulated delta and
 * one fold. A complete checksum field gets ~(~sum + delta); a
 * CHECKSUM_PARTIAL one holds the pseudo-header sum, not inverted, and
 * sees only the address changes. */
static __always_inline int nat_apply(void *ctx, struct pkt *p, const struct ct_key *t,
				     const struct ct_value *v)
{
	bool src = v->flags & CT_F_REWRITE_SRC, dst = v->flags & CT_F_REWRITE_DST;
	__u8 ip_summed = hook_ip_summed(p);
	bool partial = ip_summed == CHECKSUM_PARTIAL, udp = false;
	__be16 *sport = NULL, *dport = NULL;
	__u32 d3 = 0, d4 = 0, s4;
	__sum16 *l4sum = NULL;
	struct iphdr *ip;

	if (ip_summed == CHECKSUM_COMPLETE)
		return nat_apply_hooks(ctx, p, t, v);
	ip = pkt_ip(p);
	if (!ip)
		return -1;
	if (t->proto == IPPROTO_TCP) {
		struct tcphdr *th = pkt_l4(p, sizeof(*th));

		if (!th)
			return -1;
		l4sum = &th->check;
		sport = &th->source;
		dport = &th->dest;
	} else if (t->proto == IPPROTO_UDP) {
		struct udphdr *uh = pkt_l4(p, sizeof(*uh));

		if (!uh)
			return -1;
		l4sum = &uh->check;
		sport = &uh->source;
		dport = &uh->dest;
		udp = true;
	}
	if (src) {
		d3 = delta4(d3, ip->saddr, v->saddr);
		ip->saddr = v->saddr;
		if (sport) {
			if (!partial)
				d4 = delta2(d4, *sport, v->sport);
			*sport = v->sport;
		}
	}
	if (dst) {
		d3 = delta4(d3, ip->daddr, v->daddr);
		ip->daddr = v->daddr;
		if (dport) {
			if (!partial)
				d4 = delta2(d4, *dport, v->dport);
			*dport = v->dport;
		}
	}
	ip->check = ~csum_fold32((__u16)~ip->check + d3);
	/* A zero UDP checksum means none: it stays zero. */
	if (!l4sum || (udp && !*l4sum))
		return 0;
	d4 += d3; /* the addresses are in the pseudo-header */
	if (partial) {
		s4 = csum_fold32((__u32)*l4sum + d4);
	} else {
		s4 = (__u16)~csum_fold32((__u16) ~*l4sum + d4);
	}
	if (udp && !s4)
		s4 = 0xffff;
	*l4sum = s4;
	return 0;
}

#endif
