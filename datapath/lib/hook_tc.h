/* hook.h for TC. A pod's packet may be CHECKSUM_PARTIAL (tx offload on):
 * its L4 checksum field then holds the pseudo-header sum, not inverted,
 * and the device (or the stack) completes it later. The skb's state is
 * read once per packet (bpf_cast_to_kern_ctx), so updates stay inline
 * arithmetic like XDP's; only CHECKSUM_COMPLETE with a pseudo-header change,
 * where skb->csum must follow, takes the csum helper. */
#ifndef XCNI_BPF_HOOK_TC_H
#define XCNI_BPF_HOOK_TC_H

#include <bpf/bpf_core_read.h>

#include "hook_inline.h"

extern void *bpf_cast_to_kern_ctx(void *obj) __ksym;

static __always_inline __u8 skb_ip_summed(struct __sk_buff *skb)
{
	struct sk_buff *kskb = bpf_cast_to_kern_ctx(skb);

	return BPF_CORE_READ_BITFIELD(kskb, ip_summed);
}

static __always_inline void hook_reload(void *ctx, struct pkt *p)
{
	struct __sk_buff *skb = ctx;

	p->data = (void *)(long)skb->data;
	p->data_end = (void *)(long)skb->data_end;
}

/* Linux's inet_proto_csum_replace{2,4} for a CHECKSUM_PARTIAL skb: only
 * pseudo-header changes reach the field, applied without inversion. */
static __always_inline void csum_partial_replace4(__sum16 *sum, __be32 from, __be32 to)
{
	__u32 s = *sum;

	s += (__u16) ~(from & 0xffff) + (__u16) ~(from >> 16);
	s += (to & 0xffff) + (to >> 16);
	*sum = csum_fold32(s);
}

static __always_inline int hook_l4_csum_replace(void *ctx, struct pkt *p, __u32 off, __u32 from,
						__u32 to, __u32 flags)
{
	bool pseudo = flags & HOOK_CSUM_PSEUDO, udp = flags & HOOK_CSUM_UDP;
	__sum16 *sum;

	if (p->ip_summed == CHECKSUM_COMPLETE && pseudo) {
		__u64 f = (flags & 0xf) | BPF_F_PSEUDO_HDR | (udp ? BPF_F_MARK_MANGLED_0 : 0);
		long ret = bpf_l4_csum_replace(ctx, off, from, to, f);

		hook_reload(ctx, p);
		return ret ? -1 : 0;
	}
	sum = hook_ptr(p, off, sizeof(*sum));
	if (!sum)
		return -1;
	if (udp && !*sum)
		return 0;
	if (p->ip_summed == CHECKSUM_PARTIAL) {
		if (!pseudo)
			return 0; /* the device sums the ports itself */
		csum_partial_replace4(sum, from, to);
	} else if ((flags & 0xf) == 4) {
		csum_replace4(sum, from, to);
	} else {
		csum_replace2(sum, (__be16)from, (__be16)to);
	}
	if (udp && !*sum)
		*sum = 0xffff;
	return 0;
}

static __always_inline int hook_set_len(void *ctx, struct pkt *p, __u32 len)
{
	long ret = bpf_skb_change_tail(ctx, len, 0);

	hook_reload(ctx, p);
	return ret ? -1 : 0;
}

static __always_inline int hook_insert_after_l2(void *ctx, struct pkt *p, __u32 l2_len, __u32 room)
{
	long ret;

	(void)l2_len;
	ret = bpf_skb_adjust_room(ctx, room, BPF_ADJ_ROOM_MAC, 0);
	hook_reload(ctx, p);
	return ret ? -1 : 0;
}

/* The skb's checksum state, as tc_pod read it into the packet view. */
static __always_inline __u8 hook_ip_summed(const struct pkt *p)
{
	return p->ip_summed;
}

#endif
