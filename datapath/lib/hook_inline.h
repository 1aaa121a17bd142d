/* The hook primitives that are the same in both hooks: plain loads and
 * stores through bounds-checked packet pointers, and the IP header
 * checksum (always complete, so inline arithmetic in XDP and TC alike). */
#ifndef XCNI_BPF_HOOK_INLINE_H
#define XCNI_BPF_HOOK_INLINE_H

#include "csum.h"
#include "parse.h"

static __always_inline void *hook_ptr(const struct pkt *p, __u32 off, __u32 size)
{
	void *ptr = p->data + off;

	if (off > XCNI_MAX_HDR_OFF || ptr + size > p->data_end)
		return NULL;
	return ptr;
}

/* A consistent update keeps the header's sum, so a CHECKSUM_COMPLETE
 * skb->csum needs nothing either. */
static __always_inline int hook_l3_csum_replace(void *ctx, struct pkt *p, __u32 off, __be32 from,
						__be32 to)
{
	__sum16 *sum = hook_ptr(p, off, sizeof(*sum));

	(void)ctx;
	if (!sum)
		return -1;
	csum_replace4(sum, from, to);
	return 0;
}

static __always_inline int hook_store4(void *ctx, struct pkt *p, __u32 off, __be32 val)
{
	__be32 *f = hook_ptr(p, off, sizeof(*f));

	(void)ctx;
	if (!f)
		return -1;
	*f = val;
	return 0;
}

static __always_inline int hook_store2(void *ctx, struct pkt *p, __u32 off, __be16 val)
{
	__be16 *f = hook_ptr(p, off, sizeof(*f));

	(void)ctx;
	if (!f)
		return -1;
	*f = val;
	return 0;
}

#endif
