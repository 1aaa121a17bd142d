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

/* Applies v's rewrites to the packet whose tuple is t (as parsed). */
static __always_inline int nat_apply(void *ctx, struct pkt *p, const struct ct_key *t,
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

#endif
