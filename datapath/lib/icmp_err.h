/* ICMP errors (unreachable, time exceeded, frag needed, ...) about a
 * translated flow, in either direction: an error towards the client quotes
 * what the backend received, one towards the backend quotes what the
 * client received; neither end would recognise its own packet. The entry
 * keyed by the error's own direction says what to rewrite, in the outer
 * header and (mirrored) in the quote, keeping every checksum (outer IP,
 * quoted IP, quoted UDP, ICMP) consistent. */
#ifndef XCNI_BPF_ICMP_ERR_H
#define XCNI_BPF_ICMP_ERR_H

#include "csum.h"
#include "maps.h"
#include "parse.h"

static __always_inline bool icmp_is_error(__u8 type)
{
	return type == ICMP_DEST_UNREACH || type == ICMP_TIME_EXCEEDED ||
	       type == ICMP_PARAMETERPROB || type == ICMP_SOURCE_QUENCH;
}

/* A checksum inside the ICMP payload changes by the same from -> to as a
 * field it covers; the ICMP checksum sees both changes. */
static __always_inline void inner_sum_replace4(__sum16 *icmp_sum, __sum16 *inner, __be32 from,
					       __be32 to, bool udp)
{
	__sum16 before = *inner;

	if (udp)
		csum_replace4_udp(inner, from, to);
	else
		csum_replace4(inner, from, to);
	csum_replace2(icmp_sum, before, *inner);
}

/* An address of the quoted packet changes: it is in the quoted IP
 * checksum, the quoted UDP checksum (pseudo-header) and the ICMP one. */
static __always_inline void icmp_quote_addr(__sum16 *icmp_sum, __be32 *field, __be32 to,
					    __sum16 *ipsum, __sum16 *l4sum, bool udp)
{
	inner_sum_replace4(icmp_sum, ipsum, *field, to, false);
	if (udp)
		inner_sum_replace4(icmp_sum, l4sum, *field, to, true);
	csum_replace4(icmp_sum, *field, to);
	*field = to;
}

/* A port of the quoted packet changes: in the quoted UDP checksum and the
 * ICMP one. */
static __always_inline void icmp_quote_port(__sum16 *icmp_sum, __be16 *field, __be16 to,
					    __sum16 *l4sum, bool udp)
{
	__sum16 before;

	if (udp) {
		before = *l4sum;
		csum_replace2_udp(l4sum, *field, to);
		csum_replace2(icmp_sum, before, *l4sum);
	}
	csum_replace2(icmp_sum, *field, to);
	*field = to;
}

/* Returns 1 when the error was about a flow we translated and is now
 * rewritten (its outer destination may have changed; *ct_flags gets the
 * entry's flags), 0 when it was not ours, -1 on a malformed quote. */
static __always_inline int icmp_error_nat(struct pkt *p, __u16 *ct_flags)
{
	struct iphdr *ip = pkt_ip(p), *in;
	struct icmphdr *ic;
	struct ct_value *v;
	struct ct_key k = {};
	__be16 *in_sport, *in_dport;
	__sum16 *in_l4sum, *ipsum;
	__u32 in_ihl;
	bool udp;

	if (!ip)
		return -1;
	ic = pkt_l4(p, sizeof(*ic) + sizeof(*in));
	if (!ic)
		return -1;
	in = (void *)(ic + 1);
	in_ihl = in->ihl * 4;
	if (in_ihl < sizeof(*in) || in_ihl > 60)
		return -1;
	if (in->protocol != IPPROTO_TCP && in->protocol != IPPROTO_UDP)
		return 0;
	/* The quote (its IP header and 8 bytes) must lie inside the error's
	 * datagram, not in bytes trailing it in the frame. */
	if (p->l4_off + sizeof(*ic) + in_ihl + 8 > p->l3_off + bpf_ntohs(ip->tot_len))
		return -1;
	in_sport = (void *)in + in_ihl;
	in_dport = in_sport + 1;
	if ((void *)(in_sport + 4) > p->data_end) /* 8 bytes of L4 header */
		return -1;
	udp = in->protocol == IPPROTO_UDP;
	/* Inside the 8 quoted bytes; read and written only for UDP (a quoted
	 * TCP checksum lies past them). */
	in_l4sum = (__sum16 *)(in_sport + 3);

	/* The quoted packet went inner src -> inner dst; this error travels
	 * the other way, like the quoted packet's answers: their entry. */
	k.saddr = in->daddr;
	k.daddr = in->saddr;
	k.sport = *in_dport;
	k.dport = *in_sport;
	k.proto = in->protocol;
	v = bpf_map_lookup_elem(&conntrack, &k);
	if (!v)
		return 0;
	*ct_flags = v->flags;

	ipsum = &in->check;
	/* The entry rewrites sources: the quote's destination and, when the
	 * quoted peer sent the error itself, the outer source. */
	if (v->flags & CT_F_REWRITE_SRC) {
		if (ip->saddr == in->daddr) {
			csum_replace4(&ip->check, ip->saddr, v->saddr);
			ip->saddr = v->saddr;
		}
		icmp_quote_addr(&ic->checksum, &in->daddr, v->saddr, ipsum, in_l4sum, udp);
		icmp_quote_port(&ic->checksum, in_dport, v->sport, in_l4sum, udp);
	}
	/* The entry rewrites destinations: the outer one and the quote's
	 * source. */
	if (v->flags & CT_F_REWRITE_DST) {
		csum_replace4(&ip->check, ip->daddr, v->daddr);
		ip->daddr = v->daddr;
		icmp_quote_addr(&ic->checksum, &in->saddr, v->daddr, ipsum, in_l4sum, udp);
		icmp_quote_port(&ic->checksum, in_sport, v->dport, in_l4sum, udp);
	}
	return 1;
}

#endif
