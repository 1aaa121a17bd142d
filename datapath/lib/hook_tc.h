/* hook.h for TC: a pod's packet may be CHECKSUM_PARTIAL (tx offload on),
 * whose L4 checksum field holds only the pseudo-header sum: the csum
 * helpers know the skb's state, inline arithmetic would not. */
#ifndef XCNI_BPF_HOOK_TC_H
#define XCNI_BPF_HOOK_TC_H

#include "parse.h"

static __always_inline void hook_reload(void *ctx, struct pkt *p)
{
	struct __sk_buff *skb = ctx;

	p->data = (void *)(long)skb->data;
	p->data_end = (void *)(long)skb->data_end;
}

static __always_inline int hook_l4_csum_replace(void *ctx, struct pkt *p, __u32 off, __u32 from,
						__u32 to, __u32 flags)
{
	__u64 f = flags & 0xf;
	long ret;

	if (flags & HOOK_CSUM_PSEUDO)
		f |= BPF_F_PSEUDO_HDR;
	if (flags & HOOK_CSUM_UDP)
		f |= BPF_F_MARK_MANGLED_0;
	ret = bpf_l4_csum_replace(ctx, off, from, to, f);
	hook_reload(ctx, p);
	return ret ? -1 : 0;
}

static __always_inline int hook_l3_csum_replace(void *ctx, struct pkt *p, __u32 off, __be32 from,
						__be32 to)
{
	long ret = bpf_l3_csum_replace(ctx, off, from, to, sizeof(to));

	hook_reload(ctx, p);
	return ret ? -1 : 0;
}

static __always_inline int hook_store4(void *ctx, struct pkt *p, __u32 off, __be32 val)
{
	long ret = bpf_skb_store_bytes(ctx, off, &val, sizeof(val), 0);

	hook_reload(ctx, p);
	return ret ? -1 : 0;
}

static __always_inline int hook_store2(void *ctx, struct pkt *p, __u32 off, __be16 val)
{
	long ret = bpf_skb_store_bytes(ctx, off, &val, sizeof(val), 0);

	hook_reload(ctx, p);
	return ret ? -1 : 0;
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

#endif
