/* Packet parsing: Ethernet (one 802.1Q tag), IPv4 with options, TCP, UDP,
 * ICMP. Every access is bounds-checked; the result is a context-agnostic
 * view (struct pkt) that XDP and TC code share. */
#ifndef XCNI_BPF_PARSE_H
#define XCNI_BPF_PARSE_H

#include "compiler.h"
#include "xcni/ct.h"

/* skb checksum states (include/linux/skbuff.h; absent from vmlinux.h).
 * XDP frames count as CHECKSUM_NONE: their checksums are complete. */
#define CHECKSUM_NONE 0
#define CHECKSUM_UNNECESSARY 1
#define CHECKSUM_COMPLETE 2
#define CHECKSUM_PARTIAL 3

enum parse_result {
	PARSE_OK, /* IPv4 TCP, UDP or ICMP with its L4 header */
	PARSE_PASS, /* not ours to look at: IPv6, ARP, other L4, unknown */
	PARSE_FRAGMENT, /* a non-first IPv4 fragment: no L4 header to read */
	PARSE_MALFORMED, /* truncated or inconsistent headers */
};

struct pkt {
	void *data;
	void *data_end;
	__u32 l3_off; /* from data: the IPv4 header */
	__u32 l4_off; /* from data: the TCP/UDP/ICMP header */
	__u32 len; /* the frame's length, for stats */
	union {
		struct ct_key tuple; /* as the packet carries it */
		__u64 tuple_words[2]; /* how parse_packet writes it: see there */
	};
	__u8 tcp_flags;
	__u8 icmp_type; /* ICMP only */
	__u8 icmp_code;
	__u8 ip_summed; /* TC: the skb's checksum state; XDP: 0 */
};

_Static_assert(sizeof(struct ct_key) == 16, "the tuple is written as two 8-byte words");
_Static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__, "tuple_word() assumes little endian");

/* The tuple is written as two whole 8-byte words, not zeroed and then
 * filled field by field: fewer stores, and the conntrack lookup, which
 * hashes the key in 4-byte words and compares it in 8-byte ones, never
 * loads a word that several smaller stores wrote (such a load cannot be
 * forwarded from the store buffer). Word 1 is sport, dport, proto and the
 * zero padding, as struct ct_key lays them out. */
static __always_inline __u64 tuple_word1(__u32 ports, __u8 proto)
{
	return ports | ((__u64)proto << 32);
}

#define TCP_FLAG_FIN 0x01
#define TCP_FLAG_SYN 0x02
#define TCP_FLAG_RST 0x04
#define TCP_FLAG_ACK 0x10

/* The offsets lose their bounds on the stack: each use re-bounds them for
 * the verifier, and re-checks the packet's end after a possible resize. */
static __always_inline struct iphdr *pkt_ip(const struct pkt *p)
{
	__u32 off = p->l3_off;
	struct iphdr *ip;

	if (off > sizeof(struct ethhdr) + sizeof(struct vlan_hdr))
		return NULL;
	ip = p->data + off;
	if ((void *)(ip + 1) > p->data_end)
		return NULL;
	return ip;
}

/* The L4 header, when size bytes of it are in the packet. */
static __always_inline void *pkt_l4(const struct pkt *p, __u32 size)
{
	__u32 off = p->l4_off;
	void *l4;

	if (off > XCNI_MAX_HDR_OFF)
		return NULL;
	l4 = p->data + off;
	if (l4 + size > p->data_end)
		return NULL;
	return l4;
}

/* Fills p from data..data_end. frame_len is the whole frame's length: in
 * TC a GSO skb carries most of its bytes outside data..data_end. */
static __always_inline enum parse_result parse_packet(struct pkt *p, void *data, void *data_end,
						      __u32 frame_len)
{
	struct ethhdr *eth = data;
	struct iphdr *ip;
	__u32 off = sizeof(*eth), ihl, tot;
	__u8 l4proto;
	__u16 proto;

	p->data = data;
	p->data_end = data_end;
	p->len = frame_len;
	p->tcp_flags = 0;
	p->ip_summed = 0;
	if ((void *)(eth + 1) > data_end)
		return PARSE_MALFORMED;
	proto = eth->h_proto;
	if (proto == bpf_htons(ETH_P_8021Q) || proto == bpf_htons(ETH_P_8021AD)) {
		struct vlan_hdr *vh = data + off;

		if ((void *)(vh + 1) > data_end)
			return PARSE_MALFORMED;
		proto = vh->h_vlan_encapsulated_proto;
		off += sizeof(*vh);
	}
	if (proto != bpf_htons(ETH_P_IP))
		return PARSE_PASS;

	ip = data + off;
	if ((void *)(ip + 1) > data_end)
		return PARSE_MALFORMED;
	ihl = ip->ihl * 4;
	tot = bpf_ntohs(ip->tot_len);
	if (ip->version != 4 || ihl < sizeof(*ip) || tot < ihl || off + tot > frame_len)
		return PARSE_MALFORMED;
	p->l3_off = off;
	p->l4_off = off + ihl;
	/* saddr and daddr are adjacent in the header and in the key. */
	__builtin_memcpy(&p->tuple_words[0], &ip->saddr, sizeof(__u64));
	l4proto = ip->protocol;
	/* Non-first fragments carry no ports: they pass untouched. */
	if (ip->frag_off & bpf_htons(IP_OFFSET)) {
		p->tuple_words[1] = tuple_word1(0, l4proto);
		return PARSE_FRAGMENT;
	}

	if (l4proto == IPPROTO_TCP) {
		struct tcphdr *th = data + p->l4_off;
		__u32 doff;

		if ((void *)(th + 1) > data_end)
			return PARSE_MALFORMED;
		doff = th->doff * 4;
		if (doff < sizeof(*th) || tot < ihl + doff)
			return PARSE_MALFORMED;
		/* source and dest, adjacent as in the key */
		p->tuple_words[1] = tuple_word1(*(__u32 *)th, l4proto);
		p->tcp_flags = ((__u8 *)th)[13];
		return PARSE_OK;
	}
	if (l4proto == IPPROTO_UDP) {
		struct udphdr *uh = data + p->l4_off;

		if ((void *)(uh + 1) > data_end || tot < ihl + sizeof(*uh))
			return PARSE_MALFORMED;
		p->tuple_words[1] = tuple_word1(*(__u32 *)uh, l4proto);
		return PARSE_OK;
	}
	if (l4proto == IPPROTO_ICMP) {
		struct icmphdr *ic = data + p->l4_off;
		__u32 id = 0;

		if ((void *)(ic + 1) > data_end || tot < ihl + sizeof(*ic))
			return PARSE_MALFORMED;
		p->icmp_type = ic->type;
		p->icmp_code = ic->code;
		/* An echo's identifier stands in for both ports. */
		if (ic->type == ICMP_ECHO || ic->type == ICMP_ECHOREPLY)
			id = ic->un.echo.id | ((__u32)ic->un.echo.id << 16);
		p->tuple_words[1] = tuple_word1(id, l4proto);
		return PARSE_OK;
	}
	return PARSE_PASS;
}

#endif
