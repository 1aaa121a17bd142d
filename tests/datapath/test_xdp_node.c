/* xdp_node packet tests: frames from the wire (node IP NODE_IP, ingress
 * ifindex 1, no routes, so translated frames for remote destinations go up
 * with XDP_PASS and their metadata). */
#include "fixtures.h"

#define MARK_T META_F_TRANSLATED
#define MARK_SNAT (META_F_TRANSLATED | META_F_SNAT)
#define MARK_REPLY (META_F_TRANSLATED | META_F_REPLY)

#define NP_FWD (CT_F_REWRITE_DST | CT_F_NODEPORT)
#define NP_FWD_SNAT (CT_F_REWRITE_DST | CT_F_REWRITE_SRC | CT_F_NODEPORT)
#define NP_REV (CT_F_REPLY | CT_F_REWRITE_SRC | CT_F_NODEPORT)
#define NP_REV_SNAT (CT_F_REPLY | CT_F_REWRITE_SRC | CT_F_REWRITE_DST | CT_F_NODEPORT)

#define KEY(s, sp, d, dp, pr) \
	.saddr = (s), .sport = (sp), .daddr = (d), .dport = (dp), .proto = (pr)
#define TO_SRC(a, p) .to_saddr = (a), .to_sport = (p)
#define TO_DST(a, p) .to_daddr = (a), .to_dport = (p)

/* The client's SYN to port on the node. */
#define SYN_TO(dst, port)                                                                          \
	FROM_WIRE, .saddr = CLIENT, .daddr = (dst), .proto = TCP, .sport = 40000, .dport = (port), \
		   .tcp_flags = SYN, .seq = 1000
#define UDP_TO(dst, port) \
	FROM_WIRE, .saddr = CLIENT, .daddr = (dst), .proto = UDP, .sport = 5000, .dport = (port)

/* Both entries of a NodePort flow to a local backend (no SNAT). */
#define CT_NP_LOCAL(pr, cport, np, be, bport, svc)                                       \
	{ KEY(CLIENT, cport, NODE_IP, np, pr), .flags = NP_FWD, TO_DST(be, bport),       \
	  .backend = BE_ID(svc, 0) },                                                    \
	{                                                                                \
		KEY(be, bport, CLIENT, cport, pr), .flags = NP_REV, TO_SRC(NODE_IP, np), \
						   .backend = BE_ID(svc, 0)              \
	}
/* Both entries of a flow to a remote backend with SNAT to the node. */
#define CT_SNAT(pr, cport, dst, dport, be, bport, svc)                                        \
	{ KEY(CLIENT, cport, dst, dport, pr), .flags = NP_FWD_SNAT, TO_SRC(NODE_IP, cport),   \
	  TO_DST(be, bport), .backend = BE_ID(svc, 0) },                                      \
	{                                                                                     \
		KEY(be, bport, NODE_IP, cport, pr), .flags = NP_REV_SNAT, TO_SRC(dst, dport), \
						    TO_DST(CLIENT, cport),                    \
						    .backend = BE_ID(svc, 0)                  \
	}

#define MALFORMED_STATS .stats = { { STAT_DROP_MALFORMED, 1 } }
#define DROPPED .verdict = V_XDP_DROP, .out_kind = OUT_SAME, MALFORMED_STATS
#define PASSED(reason)                                                             \
	.verdict = V_XDP_PASS, .out_kind = OUT_SAME, .meta = true, .meta_mark = 0, \
	.meta_verdict = (reason), .stats = { { (reason), 1 } }

/* ICMP quotes. */
static const struct pkt_spec q_udp_np_empty = { UDP_TO(NODE_IP, NP_EMPTY_UDP), .payload = 20 };
/* What the remote backend received of a NodePort UDP flow, SNATed. */
static const struct pkt_spec q_np_udp_at_be = { .saddr = NODE_IP,
						.daddr = REMOTE_BE,
						.proto = UDP,
						.sport = 5000,
						.dport = 5353,
						.ttl = 63 };
static const struct pkt_spec q_np_udp_client = { .saddr = CLIENT,
						 .daddr = NODE_IP,
						 .proto = UDP,
						 .sport = 5000,
						 .dport = NP_UDP_REMOTE,
						 .ttl = 63 };
/* The service's answer as the client received it, and as the backend sent it. */
static const struct pkt_spec q_np_reply_at_client = { .saddr = NODE_IP,
						      .daddr = CLIENT,
						      .proto = UDP,
						      .sport = NP_UDP_REMOTE,
						      .dport = 5000,
						      .ttl = 60 };
static const struct pkt_spec q_np_reply_at_be = { .saddr = REMOTE_BE,
						  .daddr = NODE_IP,
						  .proto = UDP,
						  .sport = 5353,
						  .dport = 5000,
						  .ttl = 60 };
/* A pod's ClusterIP SYN as a router on the way to the backend saw it. */
static const struct pkt_spec q_pod_syn_at_router = { .saddr = POD,
						     .daddr = REMOTE_BE,
						     .proto = TCP,
						     .sport = 40000,
						     .dport = 8080,
						     .tcp_flags = SYN,
						     .seq = 1000,
						     .ttl = 63 };
static const struct pkt_spec q_pod_syn_vip = { .saddr = POD,
					       .daddr = VIP_REMOTE,
					       .proto = TCP,
					       .sport = 40000,
					       .dport = 80,
					       .tcp_flags = SYN,
					       .seq = 1000,
					       .ttl = 63 };
static const struct pkt_spec q_unknown = { .saddr = NODE_IP,
					   .daddr = "1.2.3.4",
					   .proto = UDP,
					   .sport = 5000,
					   .dport = 53 };

#define PRIOR_NP_UDP_REMOTE                                                                        \
	{                                                                                          \
		.hook = HOOK_XDP, .pkt = { UDP_TO(NODE_IP, NP_UDP_REMOTE) }, .verdict = V_XDP_PASS \
	}
#define PRIOR_POD_SYN_REMOTE                                                               \
	{                                                                                  \
		.hook = HOOK_TC,                                                           \
		.pkt = { FROM_POD,	 .saddr = POD, .daddr = VIP_REMOTE, .proto = TCP,  \
			 .sport = 40000, .dport = 80,  .tcp_flags = SYN,    .seq = 1000 }, \
		.verdict = V_TC_OK                                                         \
	}

static void check_quoted_udp(const struct datapath *dp, const struct run_result *r)
{
	(void)dp;
	fx_check_quoted_udp(r);
}

static const struct fixture fixtures[] = {
	/* Not IPv4, or not ours: up unchanged, with the metadata. */
	{ .desc = "IPv6 goes up unchanged with a PASS verdict",
	  .in = { FROM_WIRE, .ethertype = 0x86dd, .payload = 40 },
	  PASSED(STAT_PASS) },
	{ .desc = "ARP goes up unchanged",
	  .in = { FROM_WIRE, .ethertype = 0x0806, .payload = 28 },
	  PASSED(STAT_PASS) },
	{ .desc = "an unknown ethertype goes up unchanged",
	  .in = { FROM_WIRE, .ethertype = 0x88b5, .payload = 46 },
	  PASSED(STAT_PASS) },
	{ .desc = "TCP to the node itself (no service) goes up unchanged",
	  .in = { SYN_TO(NODE_IP, 22) },
	  PASSED(STAT_PASS) },
	{ .desc = "pod-to-pod traffic for a local pod (no service) is redirected into its veth",
	  .in = { FROM_NODE2, .saddr = OTHER_POD, .daddr = POD, .proto = TCP, .sport = 33000,
		  .dport = 9000, .tcp_flags = SYN, .seq = 1 },
	  .verdict = V_XDP_REDIRECT,
	  .out = { TO_POD, .saddr = OTHER_POD, .daddr = POD, .proto = TCP, .sport = 33000,
		   .dport = 9000, .tcp_flags = SYN, .seq = 1, .ttl = TTL_DELIVERED },
	  .stats = { { STAT_PASS, 1 }, { STAT_REDIRECT, 1 } } },
	{ .desc = "802.1Q traffic for a local pod (no service) goes up to its VLAN",
	  .in = { FROM_NODE2, .vlan = 7, .saddr = OTHER_POD, .daddr = POD, .proto = TCP,
		  .sport = 33000, .dport = 9000, .tcp_flags = SYN, .seq = 1 },
	  PASSED(STAT_PASS) },
	{ .desc = "a ClusterIP from the wire is not translated",
	  .in = { SYN_TO(VIP_TCP, 80) },
	  PASSED(STAT_PASS) },
	{ .desc = "a NodePort on an address that is not the node's is not translated",
	  .in = { SYN_TO("192.168.1.99", NP_LOCAL) },
	  PASSED(STAT_PASS) },
	{ .desc = "ICMP echo to the node goes up unchanged",
	  .in = { FROM_WIRE, .saddr = CLIENT, .daddr = NODE_IP, .proto = ICMP, .icmp_type = 8,
		  .icmp_id = 7, .payload = 16 },
	  PASSED(STAT_PASS) },
	{ .desc = "GRE (another L4) goes up unchanged",
	  .in = { FROM_WIRE, .saddr = OTHER_NODE, .daddr = NODE_IP, .proto = 47, .payload = 20 },
	  PASSED(STAT_PASS) },
	{ .desc = "an ICMP error about a flow nobody translated goes up unchanged",
	  .in = { FROM_WIRE, .saddr = ROUTER, .daddr = NODE_IP, .proto = ICMP, .icmp_type = 3,
		  .icmp_code = 3, .quote = &q_unknown },
	  PASSED(STAT_PASS) },

	/* Malformed: dropped, counted, no conntrack entry. */
	/* Shorter than Ethernet: the kernel refuses such test input. */
	{ .desc = "an IPv4 frame of a bare Ethernet header is dropped",
	  .in = { SYN_TO(NODE_IP, NP_LOCAL) },
	  .in_len = 14,
	  DROPPED },
	{ .desc = "an 802.1Q tag cut short is dropped",
	  .in = { SYN_TO(NODE_IP, NP_LOCAL), .vlan = 100 },
	  .in_len = 16,
	  DROPPED },
	{ .desc = "an 802.1Q tag followed by nothing is dropped",
	  .in = { SYN_TO(NODE_IP, NP_LOCAL), .vlan = 100 },
	  .in_len = 18,
	  DROPPED },
	{ .desc = "an IPv4 header cut at 19 bytes is dropped",
	  .in = { SYN_TO(NODE_IP, NP_LOCAL) },
	  .in_len = 14 + 19,
	  DROPPED },
	{ .desc = "an IPv4 header cut after an 802.1Q tag is dropped",
	  .in = { SYN_TO(NODE_IP, NP_LOCAL), .vlan = 100 },
	  .in_len = 18 + 19,
	  DROPPED },
	{ .desc = "IPv4 options cut short are dropped",
	  .in = { SYN_TO(NODE_IP, NP_LOCAL), .ip_opts = 8 },
	  .in_len = 14 + 24,
	  DROPPED },
	{ .desc = "IPv4 options past the total length are dropped",
	  .in = { SYN_TO(NODE_IP, NP_LOCAL), .ip_opts = 8 },
	  .in_patch = { P16(OFF_IP_TOTLEN, 24) },
	  .in_fix = FIX_IP,
	  DROPPED },
	{ .desc = "a TCP header cut at 19 bytes is dropped",
	  .in = { SYN_TO(NODE_IP, NP_LOCAL) },
	  .in_len = 14 + 20 + 19,
	  .in_patch = { P16(OFF_IP_TOTLEN, 39) },
	  .in_fix = FIX_IP,
	  DROPPED },
	{ .desc = "a TCP header past the IPv4 total length is dropped",
	  .in = { SYN_TO(NODE_IP, NP_LOCAL) },
	  .in_patch = { P16(OFF_IP_TOTLEN, 30) },
	  .in_fix = FIX_IP,
	  DROPPED },
	{ .desc = "a TCP data offset below 5 is dropped",
	  .in = { SYN_TO(NODE_IP, NP_LOCAL) },
	  .in_patch = { P8(OFF_L4 + 12, 0x40) },
	  DROPPED },
	{ .desc = "a UDP header cut at 7 bytes is dropped",
	  .in = { UDP_TO(NODE_IP, NP_UDP_LOCAL) },
	  .in_len = 14 + 20 + 7,
	  .in_patch = { P16(OFF_IP_TOTLEN, 27) },
	  .in_fix = FIX_IP,
	  DROPPED },
	{ .desc = "a UDP header past the IPv4 total length is dropped",
	  .in = { UDP_TO(NODE_IP, NP_UDP_LOCAL), .payload = 8 },
	  .in_patch = { P16(OFF_IP_TOTLEN, 27) },
	  .in_fix = FIX_IP,
	  DROPPED },
	{ .desc = "an ICMP header cut at 7 bytes is dropped",
	  .in = { FROM_WIRE, .saddr = CLIENT, .daddr = NODE_IP, .proto = ICMP, .icmp_type = 8 },
	  .in_len = 14 + 20 + 7,
	  .in_patch = { P16(OFF_IP_TOTLEN, 27) },
	  .in_fix = FIX_IP,
	  DROPPED },
	{ .desc = "IHL 4 is dropped",
	  .in = { SYN_TO(NODE_IP, NP_LOCAL) },
	  .in_patch = { P8(OFF_IP, 0x44) },
	  DROPPED },
	{ .desc = "IHL 0 is dropped",
	  .in = { SYN_TO(NODE_IP, NP_LOCAL) },
	  .in_patch = { P8(OFF_IP, 0x40) },
	  DROPPED },
	{ .desc = "a total length one byte past the frame is dropped",
	  .in = { SYN_TO(NODE_IP, NP_LOCAL) },
	  .in_patch = { P16(OFF_IP_TOTLEN, 41) },
	  .in_fix = FIX_IP,
	  DROPPED },
	{ .desc = "a total length below the header length is dropped",
	  .in = { SYN_TO(NODE_IP, NP_LOCAL) },
	  .in_patch = { P16(OFF_IP_TOTLEN, 19) },
	  .in_fix = FIX_IP,
	  DROPPED },
	{ .desc = "IP version 6 under the IPv4 ethertype is dropped",
	  .in = { SYN_TO(NODE_IP, NP_LOCAL) },
	  .in_patch = { P8(OFF_IP, 0x65) },
	  DROPPED },

	/* Fragments. */
	{ .desc = "a non-first fragment goes up untouched",
	  .in = { UDP_TO(NODE_IP, NP_UDP_LOCAL), .frag = 185, .payload = 64 },
	  PASSED(STAT_FRAGMENT) },
	{ .desc = "a middle fragment (MF and an offset) goes up untouched",
	  .in = { UDP_TO(NODE_IP, NP_UDP_LOCAL), .frag = 0x2000 | 185, .payload = 64 },
	  PASSED(STAT_FRAGMENT) },
	{ .desc = "a first fragment (MF, offset 0) to a NodePort is load-balanced",
	  .in = { UDP_TO(NODE_IP, NP_UDP_LOCAL), .frag = 0x2000, .payload = 64 },
	  .verdict = V_XDP_REDIRECT,
	  .out = { TO_BE, .saddr = CLIENT, .daddr = LOCAL_BE, .proto = UDP, .sport = 5000,
		   .dport = 5353, .frag = 0x2000, .payload = 64, .ttl = TTL_DELIVERED },
	  .ct_n = 2,
	  .ct = { CT_NP_LOCAL(UDP, 5000, NP_UDP_LOCAL, LOCAL_BE, 5353, SVC_NP_UDP_LOCAL) },
	  .stats = { { STAT_DNAT, 1 }, { STAT_REDIRECT, 1 } } },

	/* NodePort. */
	{ .desc = "NodePort TCP SYN, local backend: DNAT, pod MACs, redirect into its veth",
	  .in = { SYN_TO(NODE_IP, NP_LOCAL) },
	  .verdict = V_XDP_REDIRECT,
	  .out = { TO_BE, .saddr = CLIENT, .daddr = LOCAL_BE, .proto = TCP, .sport = 40000,
		   .dport = 8080, .tcp_flags = SYN, .seq = 1000, .ttl = TTL_DELIVERED },
	  .ct_n = 2,
	  .ct = { CT_NP_LOCAL(TCP, 40000, NP_LOCAL, LOCAL_BE, 8080, SVC_NP_LOCAL) },
	  .stats = { { STAT_DNAT, 1 }, { STAT_REDIRECT, 1 } } },
	{ .desc = "NodePort TCP SYN, remote backend: DNAT and SNAT to the node IP, up",
	  .in = { SYN_TO(NODE_IP, NP_REMOTE) },
	  .verdict = V_XDP_PASS,
	  .out = { FROM_WIRE, .saddr = NODE_IP, .daddr = REMOTE_BE, .proto = TCP, .sport = 40000,
		   .dport = 8080, .tcp_flags = SYN, .seq = 1000 },
	  .meta = true,
	  .meta_mark = MARK_SNAT,
	  .meta_verdict = STAT_DNAT,
	  .ct_n = 2,
	  .ct = { CT_SNAT(TCP, 40000, NODE_IP, NP_REMOTE, REMOTE_BE, 8080, SVC_NP_REMOTE) },
	  .stats = { { STAT_DNAT, 1 } } },
	{ .desc = "NodePort data segment of a known flow: conntrack hit, same translation",
	  .prior = { { .pkt = { SYN_TO(NODE_IP, NP_REMOTE) }, .verdict = V_XDP_PASS } },
	  .in = { FROM_WIRE, .saddr = CLIENT, .daddr = NODE_IP, .proto = TCP, .sport = 40000,
		  .dport = NP_REMOTE, .tcp_flags = ACK | PSH, .seq = 1001, .ack = 7001,
		  .payload = 64 },
	  .verdict = V_XDP_PASS,
	  .out = { FROM_WIRE, .saddr = NODE_IP, .daddr = REMOTE_BE, .proto = TCP, .sport = 40000,
		   .dport = 8080, .tcp_flags = ACK | PSH, .seq = 1001, .ack = 7001, .payload = 64 },
	  .meta = true,
	  .meta_mark = MARK_SNAT,
	  .meta_verdict = STAT_CT_HIT,
	  .ct_n = 2,
	  .ct = { CT_SNAT(TCP, 40000, NODE_IP, NP_REMOTE, REMOTE_BE, 8080, SVC_NP_REMOTE) },
	  .stats = { { STAT_CT_HIT, 1 } } },
	{ .desc = "NodePort reply from the remote backend: back to node IP:NodePort -> client",
	  .prior = { { .pkt = { SYN_TO(NODE_IP, NP_REMOTE) }, .verdict = V_XDP_PASS } },
	  .in = { FROM_NODE2, .saddr = REMOTE_BE, .daddr = NODE_IP, .proto = TCP, .sport = 8080,
		  .dport = 40000, .tcp_flags = SYN | ACK, .seq = 7000, .ack = 1001 },
	  .verdict = V_XDP_PASS,
	  .out = { FROM_NODE2, .saddr = NODE_IP, .daddr = CLIENT, .proto = TCP, .sport = NP_REMOTE,
		   .dport = 40000, .tcp_flags = SYN | ACK, .seq = 7000, .ack = 1001 },
	  .meta = true,
	  .meta_mark = MARK_REPLY,
	  .meta_verdict = STAT_REV_NAT,
	  .ct_n = 2,
	  .ct = { CT_SNAT(TCP, 40000, NODE_IP, NP_REMOTE, REMOTE_BE, 8080, SVC_NP_REMOTE) },
	  .stats = { { STAT_REV_NAT, 1 } } },
	{ .desc = "externalTrafficPolicy Local never SNATs, even to a remote backend",
	  .in = { SYN_TO(NODE_IP, NP_POLICY_LOCAL) },
	  .verdict = V_XDP_PASS,
	  .out = { FROM_WIRE, .saddr = CLIENT, .daddr = REMOTE_BE3, .proto = TCP, .sport = 40000,
		   .dport = 8080, .tcp_flags = SYN, .seq = 1000 },
	  .meta = true,
	  .meta_mark = MARK_T,
	  .meta_verdict = STAT_DNAT,
	  .ct_n = 2,
	  .ct = { CT_NP_LOCAL(TCP, 40000, NP_POLICY_LOCAL, REMOTE_BE3, 8080, SVC_NP_POLICY_LOCAL) },
	  .stats = { { STAT_DNAT, 1 } } },
	{ .desc = "NodePort UDP, local backend: DNAT and redirect",
	  .in = { UDP_TO(NODE_IP, NP_UDP_LOCAL), .payload = 32 },
	  .verdict = V_XDP_REDIRECT,
	  .out = { TO_BE, .saddr = CLIENT, .daddr = LOCAL_BE, .proto = UDP, .sport = 5000,
		   .dport = 5353, .payload = 32, .ttl = TTL_DELIVERED },
	  .ct_n = 2,
	  .ct = { CT_NP_LOCAL(UDP, 5000, NP_UDP_LOCAL, LOCAL_BE, 5353, SVC_NP_UDP_LOCAL) },
	  .stats = { { STAT_DNAT, 1 }, { STAT_REDIRECT, 1 } } },
	{ .desc = "NodePort UDP without a checksum keeps it zero through DNAT and SNAT",
	  .in = { UDP_TO(NODE_IP, NP_UDP_REMOTE), .payload = 32, .udp_no_csum = true },
	  .verdict = V_XDP_PASS,
	  .out = { FROM_WIRE, .saddr = NODE_IP, .daddr = REMOTE_BE, .proto = UDP, .sport = 5000,
		   .dport = 5353, .payload = 32, .udp_no_csum = true },
	  .meta = true,
	  .meta_mark = MARK_SNAT,
	  .meta_verdict = STAT_DNAT,
	  .ct_n = 2,
	  .ct = { CT_SNAT(UDP, 5000, NODE_IP, NP_UDP_REMOTE, REMOTE_BE, 5353, SVC_NP_UDP_REMOTE) },
	  .stats = { { STAT_DNAT, 1 } } },
	{ .desc = "NodePort UDP in a frame with Ethernet padding keeps its length",
	  .in = { UDP_TO(NODE_IP, NP_UDP_REMOTE), .payload = 4 },
	  .in_len = 60,
	  .verdict = V_XDP_PASS,
	  .out = { FROM_WIRE, .saddr = NODE_IP, .daddr = REMOTE_BE, .proto = UDP, .sport = 5000,
		   .dport = 5353, .payload = 4 },
	  .out_len = 60,
	  .meta = true,
	  .meta_mark = MARK_SNAT,
	  .meta_verdict = STAT_DNAT,
	  .ct_n = 2,
	  .ct = { CT_SNAT(UDP, 5000, NODE_IP, NP_UDP_REMOTE, REMOTE_BE, 5353, SVC_NP_UDP_REMOTE) },
	  .stats = { { STAT_DNAT, 1 } } },
	{ .desc = "NodePort to a local backend whose veth is no redirect target goes up as is",
	  .in = { SYN_TO(NODE_IP, NP_NOTX) },
	  .verdict = V_XDP_PASS,
	  /* The stack gets it translated, addressed to this node's MAC. */
	  .out = { FROM_WIRE, .saddr = CLIENT, .daddr = LOCAL_BE_NOTX, .proto = TCP, .sport = 40000,
		   .dport = 8080, .tcp_flags = SYN, .seq = 1000 },
	  .meta = true,
	  .meta_mark = MARK_T,
	  .meta_verdict = STAT_DNAT,
	  .ct_n = 2,
	  .ct = { CT_NP_LOCAL(TCP, 40000, NP_NOTX, LOCAL_BE_NOTX, 8080, SVC_NP_NOTX) },
	  .stats = { { STAT_DNAT, 1 } } },

	/* External IPs. */
	{ .desc = "external IP, remote backend: DNAT and SNAT to the node IP, up",
	  .in = { SYN_TO(EXT_IP, 443) },
	  .verdict = V_XDP_PASS,
	  .out = { FROM_WIRE, .saddr = NODE_IP, .daddr = REMOTE_BE, .proto = TCP, .sport = 40000,
		   .dport = 8443, .tcp_flags = SYN, .seq = 1000 },
	  .meta = true,
	  .meta_mark = MARK_SNAT,
	  .meta_verdict = STAT_DNAT,
	  .ct_n = 2,
	  .ct = { CT_SNAT(TCP, 40000, EXT_IP, 443, REMOTE_BE, 8443, SVC_EXT) },
	  .stats = { { STAT_DNAT, 1 } } },
	{ .desc = "external IP, local backend: DNAT and redirect",
	  .in = { SYN_TO(EXT_IP_LOCAL, 443) },
	  .verdict = V_XDP_REDIRECT,
	  .out = { TO_BE, .saddr = CLIENT, .daddr = LOCAL_BE, .proto = TCP, .sport = 40000,
		   .dport = 8443, .tcp_flags = SYN, .seq = 1000, .ttl = TTL_DELIVERED },
	  .ct_n = 2,
	  .ct = { { KEY(CLIENT, 40000, EXT_IP_LOCAL, 443, TCP), .flags = NP_FWD,
		    TO_DST(LOCAL_BE, 8443), .backend = BE_ID(SVC_EXT_LOCAL, 0) },
		  { KEY(LOCAL_BE, 8443, CLIENT, 40000, TCP), .flags = NP_REV,
		    TO_SRC(EXT_IP_LOCAL, 443), .backend = BE_ID(SVC_EXT_LOCAL, 0) } },
	  .stats = { { STAT_DNAT, 1 }, { STAT_REDIRECT, 1 } } },

	/* 802.1Q and IPv4 options. */
	{ .desc = "802.1Q NodePort SYN, remote backend: translated, up with its tag",
	  .in = { SYN_TO(NODE_IP, NP_REMOTE), .vlan = 100 },
	  .verdict = V_XDP_PASS,
	  .out = { FROM_WIRE, .vlan = 100, .saddr = NODE_IP, .daddr = REMOTE_BE, .proto = TCP,
		   .sport = 40000, .dport = 8080, .tcp_flags = SYN, .seq = 1000 },
	  .meta = true,
	  .meta_mark = MARK_SNAT,
	  .meta_verdict = STAT_DNAT,
	  .ct_n = 2,
	  .ct = { CT_SNAT(TCP, 40000, NODE_IP, NP_REMOTE, REMOTE_BE, 8080, SVC_NP_REMOTE) },
	  .stats = { { STAT_DNAT, 1 } } },
	{ .desc = "802.1Q NodePort SYN, local backend: translated, up with its tag",
	  .in = { SYN_TO(NODE_IP, NP_LOCAL), .vlan = 100 },
	  .verdict = V_XDP_PASS,
	  .out = { FROM_WIRE, .vlan = 100, .saddr = CLIENT, .daddr = LOCAL_BE, .proto = TCP,
		   .sport = 40000, .dport = 8080, .tcp_flags = SYN, .seq = 1000 },
	  .meta = true,
	  .meta_mark = MARK_T,
	  .meta_verdict = STAT_DNAT,
	  .ct_n = 2,
	  .ct = { CT_NP_LOCAL(TCP, 40000, NP_LOCAL, LOCAL_BE, 8080, SVC_NP_LOCAL) },
	  .stats = { { STAT_DNAT, 1 } } },
	{ .desc = "IPv4 options, NodePort local backend: translated behind them, redirect",
	  .in = { SYN_TO(NODE_IP, NP_LOCAL), .ip_opts = 8 },
	  .verdict = V_XDP_REDIRECT,
	  .out = { TO_BE, .saddr = CLIENT, .daddr = LOCAL_BE, .proto = TCP, .sport = 40000,
		   .dport = 8080, .tcp_flags = SYN, .seq = 1000, .ip_opts = 8,
		   .ttl = TTL_DELIVERED },
	  .ct_n = 2,
	  .ct = { CT_NP_LOCAL(TCP, 40000, NP_LOCAL, LOCAL_BE, 8080, SVC_NP_LOCAL) },
	  .stats = { { STAT_DNAT, 1 }, { STAT_REDIRECT, 1 } } },
	{ .desc = "IPv4 options (40 bytes), NodePort remote backend: DNAT and SNAT, up",
	  .in = { UDP_TO(NODE_IP, NP_UDP_REMOTE), .ip_opts = 40, .payload = 10 },
	  .verdict = V_XDP_PASS,
	  .out = { FROM_WIRE, .saddr = NODE_IP, .daddr = REMOTE_BE, .proto = UDP, .sport = 5000,
		   .dport = 5353, .ip_opts = 40, .payload = 10 },
	  .meta = true,
	  .meta_mark = MARK_SNAT,
	  .meta_verdict = STAT_DNAT,
	  .ct_n = 2,
	  .ct = { CT_SNAT(UDP, 5000, NODE_IP, NP_UDP_REMOTE, REMOTE_BE, 5353, SVC_NP_UDP_REMOTE) },
	  .stats = { { STAT_DNAT, 1 } } },

	/* Replies to flows tc_pod translated. */
	{ .desc = "reply to a pod's ClusterIP flow: source back to the VIP, into the pod's veth",
	  .prior = { PRIOR_POD_SYN_REMOTE },
	  .in = { FROM_NODE2, .saddr = REMOTE_BE, .daddr = POD, .proto = TCP, .sport = 8080,
		  .dport = 40000, .tcp_flags = SYN | ACK, .seq = 7000, .ack = 1001 },
	  .verdict = V_XDP_REDIRECT,
	  .out = { TO_POD, .saddr = VIP_REMOTE, .daddr = POD, .proto = TCP, .sport = 80,
		   .dport = 40000, .tcp_flags = SYN | ACK, .seq = 7000, .ack = 1001,
		   .ttl = TTL_DELIVERED },
	  .ct_n = 2,
	  .ct = { { KEY(POD, 40000, VIP_REMOTE, 80, TCP), .flags = CT_F_REWRITE_DST,
		    TO_DST(REMOTE_BE, 8080), .backend = BE_ID(SVC_REMOTE, 0) },
		  { KEY(REMOTE_BE, 8080, POD, 40000, TCP), .flags = CT_F_REPLY | CT_F_REWRITE_SRC,
		    TO_SRC(VIP_REMOTE, 80), .backend = BE_ID(SVC_REMOTE, 0) } },
	  .stats = { { STAT_REV_NAT, 1 }, { STAT_REDIRECT, 1 } } },

	/* Local with endpoints only on other nodes: dropped, as kube-proxy
	 * does, so the client tries another node. */
	{ .desc = "NodePort, Local, no endpoint on this node: a SYN is dropped unanswered",
	  .in = { SYN_TO(NODE_IP, NP_LOCAL_ELSEWHERE) },
	  .verdict = V_XDP_DROP,
	  .out_kind = OUT_SAME,
	  .stats = { { STAT_DROP_NO_LOCAL, 1 } } },

	/* Services without backends answer. */
	{ .desc = "NodePort without backends: a SYN gets RST|ACK acknowledging it (XDP_TX)",
	  .in = { SYN_TO(NODE_IP, NP_EMPTY_TCP) },
	  .verdict = V_XDP_TX,
	  .out = { BACK_TO_WIRE, .saddr = NODE_IP, .daddr = CLIENT, .proto = TCP,
		   .sport = NP_EMPTY_TCP, .dport = 40000, .tcp_flags = RST | ACK, .seq = 0,
		   .ack = 1001 },
	  .out_patch = { P16(OFF_IP_ID, 0), P16(OFF_TCP_WIN, 0) },
	  .out_fix = FIX_ALL,
	  .stats = { { STAT_REJECT, 1 }, { STAT_TX, FX_ANY } } },
	{ .desc = "NodePort without backends: a segment with ACK gets RST with seq = its ack",
	  .in = { FROM_WIRE, .saddr = CLIENT, .daddr = NODE_IP, .proto = TCP, .sport = 40000,
		  .dport = NP_EMPTY_TCP, .tcp_flags = ACK | PSH, .seq = 1000, .ack = 5000,
		  .payload = 10 },
	  .verdict = V_XDP_TX,
	  .out = { BACK_TO_WIRE, .saddr = NODE_IP, .daddr = CLIENT, .proto = TCP,
		   .sport = NP_EMPTY_TCP, .dport = 40000, .tcp_flags = RST, .seq = 5000 },
	  .out_patch = { P16(OFF_IP_ID, 0), P16(OFF_TCP_WIN, 0) },
	  .out_fix = FIX_ALL,
	  .stats = { { STAT_REJECT, 1 }, { STAT_TX, FX_ANY } } },
	{ .desc = "NodePort without backends: a RST is not answered",
	  .in = { FROM_WIRE, .saddr = CLIENT, .daddr = NODE_IP, .proto = TCP, .sport = 40000,
		  .dport = NP_EMPTY_TCP, .tcp_flags = RST, .seq = 1000 },
	  .verdict = V_XDP_DROP,
	  .out_kind = OUT_SAME,
	  /* Dropped unanswered, counted as the service's reject. */
	  .stats = { { STAT_REJECT, 1 } } },
	{ .desc = "NodePort without backends: UDP gets ICMP port unreachable quoting 28 bytes",
	  .in = { UDP_TO(NODE_IP, NP_EMPTY_UDP), .payload = 20 },
	  .verdict = V_XDP_TX,
	  .out = { BACK_TO_WIRE, .saddr = NODE_IP, .daddr = CLIENT, .proto = ICMP, .icmp_type = 3,
		   .icmp_code = 3, .quote = &q_udp_np_empty },
	  .out_patch = { P16(OFF_IP_ID, 0) },
	  .out_fix = FIX_IP,
	  .stats = { { STAT_REJECT, 1 }, { STAT_TX, FX_ANY } } },

	{ .desc = "802.1Q NodePort without backends: RST|ACK keeps the tag",
	  .in = { SYN_TO(NODE_IP, NP_EMPTY_TCP), .vlan = 100 },
	  .verdict = V_XDP_TX,
	  .out = { BACK_TO_WIRE, .vlan = 100, .saddr = NODE_IP, .daddr = CLIENT, .proto = TCP,
		   .sport = NP_EMPTY_TCP, .dport = 40000, .tcp_flags = RST | ACK, .seq = 0,
		   .ack = 1001 },
	  .out_patch = { P16(OFF_IP_ID + 4, 0), P16(OFF_TCP_WIN + 4, 0) },
	  .out_fix = FIX_ALL,
	  .stats = { { STAT_REJECT, 1 }, { STAT_TX, FX_ANY } } },
	{ .desc = "802.1Q NodePort without backends: ICMP port unreachable keeps the tag",
	  .in = { UDP_TO(NODE_IP, NP_EMPTY_UDP), .vlan = 100, .payload = 20 },
	  .verdict = V_XDP_TX,
	  .out = { BACK_TO_WIRE, .vlan = 100, .saddr = NODE_IP, .daddr = CLIENT, .proto = ICMP,
		   .icmp_type = 3, .icmp_code = 3, .quote = &q_udp_np_empty },
	  .out_patch = { P16(OFF_IP_ID + 4, 0) },
	  .out_fix = FIX_IP,
	  .stats = { { STAT_REJECT, 1 }, { STAT_TX, FX_ANY } } },

	/* ICMP errors about translated flows. */
	{ .desc = "port unreachable from a NodePort's remote backend reaches the client as the service's",
	  .prior = { PRIOR_NP_UDP_REMOTE },
	  .in = { FROM_NODE2, .saddr = REMOTE_BE, .daddr = NODE_IP, .proto = ICMP, .icmp_type = 3,
		  .icmp_code = 3, .quote = &q_np_udp_at_be },
	  .verdict = V_XDP_PASS,
	  .out = { FROM_NODE2, .saddr = NODE_IP, .daddr = CLIENT, .proto = ICMP, .icmp_type = 3,
		   .icmp_code = 3, .quote = &q_np_udp_client },
	  .meta = true,
	  .meta_mark = MARK_REPLY,
	  .meta_verdict = STAT_REV_NAT,
	  .ct_n = 2,
	  .ct = { CT_SNAT(UDP, 5000, NODE_IP, NP_UDP_REMOTE, REMOTE_BE, 5353, SVC_NP_UDP_REMOTE) },
	  .stats = { { STAT_REV_NAT, 1 } },
	  .check = check_quoted_udp },
	{ .desc = "frag needed from a router about a pod's ClusterIP SYN reaches the pod quoting the VIP",
	  .prior = { PRIOR_POD_SYN_REMOTE },
	  .in = { FROM_WIRE, .saddr = ROUTER, .daddr = POD, .proto = ICMP, .icmp_type = 3,
		  .icmp_code = 4, .quote = &q_pod_syn_at_router },
	  .in_patch = { P16(OFF_ICMP_MTU, 1400) },
	  .in_fix = FIX_ALL,
	  .verdict = V_XDP_REDIRECT,
	  .out = { TO_POD, .saddr = ROUTER, .daddr = POD, .proto = ICMP, .icmp_type = 3,
		   .icmp_code = 4, .quote = &q_pod_syn_vip, .ttl = TTL_DELIVERED },
	  .out_patch = { P16(OFF_ICMP_MTU, 1400) },
	  .out_fix = FIX_ALL,
	  .ct_n = 2,
	  .stats = { { STAT_REV_NAT, 1 }, { STAT_REDIRECT, 1 } } },
	{ .desc = "port unreachable from the client about a NodePort reply goes to the backend",
	  .prior = { PRIOR_NP_UDP_REMOTE },
	  .in = { FROM_WIRE, .saddr = CLIENT, .daddr = NODE_IP, .proto = ICMP, .icmp_type = 3,
		  .icmp_code = 3, .quote = &q_np_reply_at_client },
	  .verdict = V_XDP_PASS,
	  /* As netfilter NAT translates a related ICMP error: the backend sees
	   * its own datagram, from the SNAT address. */
	  .out = { FROM_WIRE, .saddr = NODE_IP, .daddr = REMOTE_BE, .proto = ICMP, .icmp_type = 3,
		   .icmp_code = 3, .quote = &q_np_reply_at_be },
	  .meta = true,
	  .meta_mark = FX_ANY_U32,
	  .meta_verdict = FX_ANY_U32,
	  .ct_n = 2,
	  .stats_any = true,
	  .check = check_quoted_udp },
};

int main(void)
{
	return fx_run_all("xdp_node", fixtures, ARRAY_SIZE(fixtures), fx_group_setup);
}
