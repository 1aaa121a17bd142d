/* Routing duties when the datapath delivers a packet itself: routers
 * decrement the TTL and fix the IP checksum (RFC 1624). */
#ifndef XCNI_BPF_L3_H
#define XCNI_BPF_L3_H

#include "compiler.h"

/* Returns -1 when the TTL would run out: such a packet goes up to the
 * stack, which answers with time-exceeded. */
static __always_inline int ttl_dec(struct iphdr *ip)
{
	__u32 check;

	if (ip->ttl <= 1)
		return -1;
	/* Linux's ip_decrease_ttl(): the TTL is the high byte of its
	 * checksum word, so the sum grows by 0x0100 with end-around carry. */
	check = ip->check;
	check += bpf_htons(0x0100);
	ip->check = (__sum16)(check + (check >= 0xffff));
	ip->ttl--;
	return 0;
}

#endif
