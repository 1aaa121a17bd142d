/* hook.h for XDP: frames carry complete checksums, so updates are inline
 * arithmetic on packet memory. */
#ifndef XCNI_BPF_HOOK_XDP_H
#define XCNI_BPF_HOOK_XDP_H

#include "hook_inline.h"

static __always_inline int hook_l4_csum_replace(void *ctx, struct pkt *p, __u32 off, __u32 from,
						__u32 to, __u32 flags)
{
	__sum16 *sum = hook_ptr(p, off, sizeof(*sum));

	(void)ctx;
	if (!sum)
		return -1;
	if ((flags & HOOK_CSUM_UDP) && !*sum)
		return 0;
	if ((flags & 0xf) == 4)
		csum_replace4(sum, from, to);
	else
		csum_replace2(sum, (__be16)from, (__be16)to);
	if ((flags & HOOK_CSUM_UDP) && !*sum)
		*sum = 0xffff;
	return 0;
}

static __always_inline void hook_reload(void *ctx, struct pkt *p)
{
	struct xdp_md *xdp = ctx;

	p->data = (void *)(long)xdp->data;
	p->data_end = (void *)(long)xdp->data_end;
}

/* Changes the frame's length to len. */
static __always_inline int hook_set_len(void *ctx, struct pkt *p, __u32 len)
{
	int delta = (int)len - (int)(p->data_end - p->data);

	if (delta && bpf_xdp_adjust_tail(ctx, delta))
		return -1;
	hook_reload(ctx, p);
	return 0;
}

/* Inserts room bytes after the first l2_len bytes (the Ethernet header). */
static __always_inline int hook_insert_after_l2(void *ctx, struct pkt *p, __u32 l2_len, __u32 room)
{
	__u8 *dst, *src;

	if (bpf_xdp_adjust_head(ctx, -(int)room))
		return -1;
	hook_reload(ctx, p);
	dst = p->data;
	src = p->data + room;
	/* room > l2_len: the copies never overlap. */
	if ((void *)(src + 18) > p->data_end)
		return -1;
#pragma unroll
	for (int i = 0; i < 18; i++)
		if (i < (int)l2_len)
			dst[i] = src[i];
	return 0;
}

/* XDP frames carry complete checksums: known when compiling, so the
 * checksum-state branches of nat_apply() fold away. */
static __always_inline __u8 hook_ip_summed(const struct pkt *p)
{
	(void)p;
	return CHECKSUM_NONE;
}

#endif
