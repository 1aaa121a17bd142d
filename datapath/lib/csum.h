/* Incremental Internet checksum updates (RFC 1624), inline: a
 * bpf_csum_diff() call costs ~23 ns here, these cost a few instructions. */
#ifndef XCNI_BPF_CSUM_H
#define XCNI_BPF_CSUM_H

#include "compiler.h"

static __always_inline __u16 csum_fold32(__u32 sum)
{
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	return (__u16)sum;
}

/* HC' = ~(~HC + ~m + m') for a 32-bit field m changing to m'. */
static __always_inline void csum_replace4(__sum16 *sum, __be32 from, __be32 to)
{
	__u32 s = (__u16) ~*sum;

	s += (__u16) ~(from & 0xffff) + (__u16) ~(from >> 16);
	s += (to & 0xffff) + (to >> 16);
	*sum = ~csum_fold32(s);
}

static __always_inline void csum_replace2(__sum16 *sum, __be16 from, __be16 to)
{
	__u32 s = (__u16) ~*sum;

	s += (__u16)~from + to;
	*sum = ~csum_fold32(s);
}

/* UDP: a zero checksum means "none" and stays zero; a computed zero is
 * sent as 0xffff. */
static __always_inline void csum_replace4_udp(__sum16 *sum, __be32 from, __be32 to)
{
	if (!*sum)
		return;
	csum_replace4(sum, from, to);
	if (!*sum)
		*sum = 0xffff;
}

static __always_inline void csum_replace2_udp(__sum16 *sum, __be16 from, __be16 to)
{
	if (!*sum)
		return;
	csum_replace2(sum, from, to);
	if (!*sum)
		*sum = 0xffff;
}

#endif
