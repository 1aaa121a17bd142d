/* tc_pod packet tests: packets from pods (TC ingress on the host-side
 * veth). Verdicts TC_ACT_OK (on through the stack), TC_ACT_SHOT,
 * TC_ACT_REDIRECT (bpf_redirect_peer into a local pod, or back into the
 * sender for a reject). */
#include "fixtures.h"

#define CIP_FWD CT_F_REWRITE_DST
#define CIP_REV (CT_F_REPLY | CT_F_REWRITE_SRC)

#define KEY(s, sp, d, dp, pr) \
	.saddr = (s), .sport = (sp), .daddr = (d), .dport = (dp), .proto = (pr)
#define TO_SRC(a, p) .to_saddr = (a), .to_sport = (p)
#define TO_DST(a, p) .to_daddr = (a), .to_dport = (p)

#define POD_TCP(dst, port, sp)                                                                \
	FROM_POD, .saddr = POD, .daddr = (dst), .proto = TCP, .sport = (sp), .dport = (port), \
		  .seq = 1000
#define POD_SYN(dst, port) POD_TCP(dst, port, 40000), .tcp_flags = SYN
#define POD_UDP(dst, port) \
	FROM_POD, .saddr = POD, .daddr = (dst), .proto = UDP, .sport = 5353, .dport = (port)

/* Both entries of a pod's ClusterIP flow. */
#define CT_CIP(pr, sp, vip, vport, be, bport, id)                                                  \
	{ KEY(POD, sp, vip, vport, pr), .flags = CIP_FWD, TO_DST(be, bport), .backend = (id) },    \
	{                                                                                          \
		KEY(be, bport, POD, sp, pr), .flags = CIP_REV, TO_SRC(vip, vport), .backend = (id) \
	}

#define SHOT                                                         \
	.hook = HOOK_TC, .verdict = V_TC_SHOT, .out_kind = OUT_SAME, \
	.stats = { { STAT_DROP_MALFORMED, 1 } }
#define WENT_ON(reason) \
	.hook = HOOK_TC, .verdict = V_TC_OK, .out_kind = OUT_SAME, .stats = { { (reason), 1 } }

#define PRIOR_SYN_LOCAL                                                                    \
	{                                                                                  \
		.hook = HOOK_TC, .pkt = { POD_SYN(VIP_TCP, 80) }, .verdict = V_TC_REDIRECT \
	}

/* Services the fixtures change: installed afresh by their setup. */
static void setup_change(const struct datapath *dp)
{
	const char *const b[] = { REMOTE_BE ":8080" };

	harness_service(dp, VIP_CHANGE, 80, TCP, SVC_CHANGE, 0, 0, BE_ID(SVC_CHANGE, 0), b, 1);
}

static void change_backends(const struct datapath *dp)
{
	const char *const b[] = { REMOTE_BE2 ":8080" };

	harness_service(dp, VIP_CHANGE, 80, TCP, SVC_CHANGE, 0, 0, BE_ID(SVC_CHANGE, 1), b, 1);
}

#define AFF_TIMEOUT 10
/* With the default Maglev M and these two backends, a pod's SYNs from
 * AFF_P1 and AFF_P2 to VIP_AFF:80 pick different backends (the two
 * control fixtures show it). */
#define AFF_P1 41000
#define AFF_P2 41001
#define AFF_BE_P1 REMOTE_BE2
#define AFF_ID_P1 BE_ID(SVC_AFF, 1)
#define AFF_BE_P2 REMOTE_BE
#define AFF_ID_P2 BE_ID(SVC_AFF, 0)

static void setup_aff(const struct datapath *dp, uint16_t flags)
{
	const char *const b[] = { REMOTE_BE ":8080", REMOTE_BE2 ":8080" };

	harness_service(dp, VIP_AFF, 80, TCP, SVC_AFF, flags, AFF_TIMEOUT, BE_ID(SVC_AFF, 0), b, 2);
}

static void setup_no_affinity(const struct datapath *dp)
{
	setup_aff(dp, 0);
}

static void setup_affinity(const struct datapath *dp)
{
	setup_aff(dp, SVC_F_AFFINITY);
}

/* The affinity's backend leaves the service (still in the backends map,
 * as it may stay while its flows finish). */
static void replace_aff_backends(const struct datapath *dp)
{
	const char *const b[] = { REMOTE_BE3 ":8080" };

	harness_service(dp, VIP_AFF, 80, TCP, SVC_AFF, SVC_F_AFFINITY, AFF_TIMEOUT,
			BE_ID(SVC_AFF, 2), b, 1);
}

static void check_quoted_udp(const struct datapath *dp, const struct run_result *r)
{
	(void)dp;
	fx_check_quoted_udp(r);
}

static const struct pkt_spec q_pod_udp_empty = { POD_UDP(VIP_EMPTY, 53), .payload = 20 };
/* A pod's datagram to VIP_UDP_LOCAL as the local backend received it, and
 * as the pod sent it. */
static const struct pkt_spec q_pod_udp_at_be = { .saddr = POD,
						 .daddr = LOCAL_BE,
						 .proto = UDP,
						 .sport = 5353,
						 .dport = 5353,
						 .ttl = 63 };
static const struct pkt_spec q_pod_udp_vip = { .saddr = POD,
					       .daddr = VIP_UDP_LOCAL,
					       .proto = UDP,
					       .sport = 5353,
					       .dport = 53,
					       .ttl = 63 };
/* VIP_UDP's answer as the pod received it, and as the backend sent it. */
static const struct pkt_spec q_reply_at_pod = { .saddr = VIP_UDP,
						.daddr = POD,
						.proto = UDP,
						.sport = 53,
						.dport = 5353,
						.ttl = 62 };
static const struct pkt_spec q_reply_at_be = { .saddr = REMOTE_BE,
					       .daddr = POD,
					       .proto = UDP,
					       .sport = 5353,
					       .dport = 5353,
					       .ttl = 62 };

static const struct fixture fixtures[] = {
	/* ClusterIP from a pod. */
	{ .desc = "TCP SYN to a ClusterIP, local backend: DNAT, backend MACs, redirect_peer",
	  .hook = HOOK_TC,
	  .in = { POD_SYN(VIP_TCP, 80) },
	  .verdict = V_TC_REDIRECT,
	  .out = { TO_BE, .saddr = POD, .daddr = LOCAL_BE, .proto = TCP, .sport = 40000,
		   .dport = 8080, .tcp_flags = SYN, .seq = 1000, .ttl = TTL_DELIVERED },
	  .ct_n = 2,
	  .ct = { CT_CIP(TCP, 40000, VIP_TCP, 80, LOCAL_BE, 8080, BE_ID(SVC_TCP, 0)) },
	  .stats = { { STAT_DNAT, 1 }, { STAT_REDIRECT, 1 } } },
	{ .desc = "TCP data to a ClusterIP: conntrack hit, same translation",
	  .hook = HOOK_TC,
	  .prior = { PRIOR_SYN_LOCAL },
	  .in = { POD_TCP(VIP_TCP, 80, 40000), .tcp_flags = ACK | PSH, .ack = 7001,
		  .payload = 100 },
	  .verdict = V_TC_REDIRECT,
	  .out = { TO_BE, .saddr = POD, .daddr = LOCAL_BE, .proto = TCP, .sport = 40000,
		   .dport = 8080, .tcp_flags = ACK | PSH, .seq = 1000, .ack = 7001, .payload = 100,
		   .ttl = TTL_DELIVERED },
	  .ct_n = 2,
	  .ct = { CT_CIP(TCP, 40000, VIP_TCP, 80, LOCAL_BE, 8080, BE_ID(SVC_TCP, 0)) },
	  .stats = { { STAT_CT_HIT, 1 }, { STAT_REDIRECT, 1 } } },
	{ .desc = "TCP FIN to a ClusterIP: translated, the flow marked closing",
	  .hook = HOOK_TC,
	  .prior = { PRIOR_SYN_LOCAL },
	  .in = { POD_TCP(VIP_TCP, 80, 40000), .tcp_flags = FIN | ACK, .ack = 7001 },
	  .verdict = V_TC_REDIRECT,
	  .out = { TO_BE, .saddr = POD, .daddr = LOCAL_BE, .proto = TCP, .sport = 40000,
		   .dport = 8080, .tcp_flags = FIN | ACK, .seq = 1000, .ack = 7001,
		   .ttl = TTL_DELIVERED },
	  .ct_n = 2,
	  .ct = { { KEY(POD, 40000, VIP_TCP, 80, TCP), .flags = CIP_FWD | CT_F_CLOSING,
		    TO_DST(LOCAL_BE, 8080), .backend = BE_ID(SVC_TCP, 0) },
		  { KEY(LOCAL_BE, 8080, POD, 40000, TCP), .flags = CIP_REV, TO_SRC(VIP_TCP, 80),
		    .backend = BE_ID(SVC_TCP, 0) } },
	  .stats = { { STAT_CT_HIT, 1 }, { STAT_REDIRECT, 1 } } },
	{ .desc = "TCP SYN to a ClusterIP, remote backend: DNAT, on through the stack",
	  .hook = HOOK_TC,
	  .in = { POD_SYN(VIP_REMOTE, 80) },
	  .verdict = V_TC_OK,
	  .out = { FROM_POD, .saddr = POD, .daddr = REMOTE_BE, .proto = TCP, .sport = 40000,
		   .dport = 8080, .tcp_flags = SYN, .seq = 1000 },
	  .ct_n = 2,
	  .ct = { CT_CIP(TCP, 40000, VIP_REMOTE, 80, REMOTE_BE, 8080, BE_ID(SVC_REMOTE, 0)) },
	  .stats = { { STAT_DNAT, 1 } } },
	{ .desc = "UDP to a ClusterIP, remote backend: DNAT, on through the stack",
	  .hook = HOOK_TC,
	  .in = { POD_UDP(VIP_UDP, 53), .payload = 32 },
	  .verdict = V_TC_OK,
	  .out = { FROM_POD, .saddr = POD, .daddr = REMOTE_BE, .proto = UDP, .sport = 5353,
		   .dport = 5353, .payload = 32 },
	  .ct_n = 2,
	  .ct = { CT_CIP(UDP, 5353, VIP_UDP, 53, REMOTE_BE, 5353, BE_ID(SVC_UDP, 0)) },
	  .stats = { { STAT_DNAT, 1 } } },
	{ .desc = "UDP without a checksum to a ClusterIP keeps it zero",
	  .hook = HOOK_TC,
	  .in = { POD_UDP(VIP_UDP, 53), .payload = 32, .udp_no_csum = true },
	  .verdict = V_TC_OK,
	  .out = { FROM_POD, .saddr = POD, .daddr = REMOTE_BE, .proto = UDP, .sport = 5353,
		   .dport = 5353, .payload = 32, .udp_no_csum = true },
	  .ct_n = 2,
	  .ct = { CT_CIP(UDP, 5353, VIP_UDP, 53, REMOTE_BE, 5353, BE_ID(SVC_UDP, 0)) },
	  .stats = { { STAT_DNAT, 1 } } },
	{ .desc = "UDP to a ClusterIP, local backend: DNAT, redirect_peer",
	  .hook = HOOK_TC,
	  .in = { POD_UDP(VIP_UDP_LOCAL, 53), .payload = 7 },
	  .verdict = V_TC_REDIRECT,
	  .out = { TO_BE, .saddr = POD, .daddr = LOCAL_BE, .proto = UDP, .sport = 5353,
		   .dport = 5353, .payload = 7, .ttl = TTL_DELIVERED },
	  .ct_n = 2,
	  .ct = { CT_CIP(UDP, 5353, VIP_UDP_LOCAL, 53, LOCAL_BE, 5353, BE_ID(SVC_UDP_LOCAL, 0)) },
	  .stats = { { STAT_DNAT, 1 }, { STAT_REDIRECT, 1 } } },
	{ .desc = "first fragment (MF, offset 0) of UDP to a ClusterIP is load-balanced",
	  .hook = HOOK_TC,
	  .in = { POD_UDP(VIP_UDP, 53), .frag = 0x2000, .payload = 200 },
	  .verdict = V_TC_OK,
	  .out = { FROM_POD, .saddr = POD, .daddr = REMOTE_BE, .proto = UDP, .sport = 5353,
		   .dport = 5353, .frag = 0x2000, .payload = 200 },
	  .ct_n = 2,
	  .ct = { CT_CIP(UDP, 5353, VIP_UDP, 53, REMOTE_BE, 5353, BE_ID(SVC_UDP, 0)) },
	  .stats = { { STAT_DNAT, 1 } } },
	{ .desc = "IPv4 options to a ClusterIP: translated behind them",
	  .hook = HOOK_TC,
	  .in = { POD_SYN(VIP_TCP, 80), .ip_opts = 12 },
	  .verdict = V_TC_REDIRECT,
	  .out = { TO_BE, .saddr = POD, .daddr = LOCAL_BE, .proto = TCP, .sport = 40000,
		   .dport = 8080, .tcp_flags = SYN, .seq = 1000, .ip_opts = 12,
		   .ttl = TTL_DELIVERED },
	  .ct_n = 2,
	  .ct = { CT_CIP(TCP, 40000, VIP_TCP, 80, LOCAL_BE, 8080, BE_ID(SVC_TCP, 0)) },
	  .stats = { { STAT_DNAT, 1 }, { STAT_REDIRECT, 1 } } },
	{ .desc = "an external IP from a pod is load-balanced without SNAT",
	  .hook = HOOK_TC,
	  .in = { POD_SYN(EXT_IP, 443) },
	  .verdict = V_TC_OK,
	  .out = { FROM_POD, .saddr = POD, .daddr = REMOTE_BE, .proto = TCP, .sport = 40000,
		   .dport = 8443, .tcp_flags = SYN, .seq = 1000 },
	  .ct_n = 2,
	  .ct = { CT_CIP(TCP, 40000, EXT_IP, 443, REMOTE_BE, 8443, BE_ID(SVC_EXT, 0)) },
	  .stats = { { STAT_DNAT, 1 } } },

	{ .desc = "hairpin: a backend reaching itself through its service is SNATed to 169.254.42.1",
	  .hook = HOOK_TC,
	  .in = { FROM_BE, .saddr = LOCAL_BE, .daddr = VIP_TCP, .proto = TCP, .sport = 40000,
		  .dport = 80, .tcp_flags = SYN, .seq = 1000 },
	  .verdict = V_TC_REDIRECT,
	  .out = { TO_BE, .saddr = "169.254.42.1", .daddr = LOCAL_BE, .proto = TCP, .sport = 40000,
		   .dport = 8080, .tcp_flags = SYN, .seq = 1000, .ttl = TTL_DELIVERED },
	  .ct_n = 2,
	  .ct = { { KEY(LOCAL_BE, 40000, VIP_TCP, 80, TCP),
		    .flags = CT_F_REWRITE_DST | CT_F_REWRITE_SRC, TO_SRC("169.254.42.1", 40000),
		    TO_DST(LOCAL_BE, 8080), .backend = BE_ID(SVC_TCP, 0) },
		  { KEY(LOCAL_BE, 8080, "169.254.42.1", 40000, TCP),
		    .flags = CT_F_REPLY | CT_F_REWRITE_SRC | CT_F_REWRITE_DST, TO_SRC(VIP_TCP, 80),
		    TO_DST(LOCAL_BE, 40000), .backend = BE_ID(SVC_TCP, 0) } },
	  .stats = { { STAT_DNAT, 1 }, { STAT_REDIRECT, 1 } } },
	{ .desc = "a pod reaching node IP:NodePort is load-balanced like the wire, without SNAT",
	  .hook = HOOK_TC,
	  .in = { POD_SYN(NODE_IP, NP_LOCAL) },
	  .verdict = V_TC_REDIRECT,
	  .out = { TO_BE, .saddr = POD, .daddr = LOCAL_BE, .proto = TCP, .sport = 40000,
		   .dport = 8080, .tcp_flags = SYN, .seq = 1000, .ttl = TTL_DELIVERED },
	  .ct_n = 2,
	  .stats = { { STAT_DNAT, 1 }, { STAT_REDIRECT, 1 } } },

	/* Replies from local backends. */
	{ .desc = "reply from a local backend to a local pod: source back to the VIP, redirect_peer",
	  .hook = HOOK_TC,
	  .prior = { PRIOR_SYN_LOCAL },
	  .in = { FROM_BE, .saddr = LOCAL_BE, .daddr = POD, .proto = TCP, .sport = 8080,
		  .dport = 40000, .tcp_flags = SYN | ACK, .seq = 7000, .ack = 1001 },
	  .verdict = V_TC_REDIRECT,
	  .out = { TO_POD, .saddr = VIP_TCP, .daddr = POD, .proto = TCP, .sport = 80,
		   .dport = 40000, .tcp_flags = SYN | ACK, .seq = 7000, .ack = 1001,
		   .ttl = TTL_DELIVERED },
	  .ct_n = 2,
	  .ct = { CT_CIP(TCP, 40000, VIP_TCP, 80, LOCAL_BE, 8080, BE_ID(SVC_TCP, 0)) },
	  .stats = { { STAT_REV_NAT, 1 }, { STAT_REDIRECT, 1 } } },
	{ .desc = "reply from a local backend to a NodePort client: source back to node IP:NodePort",
	  .hook = HOOK_TC,
	  .prior = { { .hook = HOOK_XDP,
		       .pkt = { FROM_WIRE, .saddr = CLIENT, .daddr = NODE_IP, .proto = TCP,
				.sport = 40000, .dport = NP_LOCAL, .tcp_flags = SYN, .seq = 1000 },
		       .verdict = V_XDP_REDIRECT } },
	  .in = { FROM_BE, .saddr = LOCAL_BE, .daddr = CLIENT, .proto = TCP, .sport = 8080,
		  .dport = 40000, .tcp_flags = SYN | ACK, .seq = 7000, .ack = 1001 },
	  .verdict = V_TC_OK,
	  .out = { FROM_BE, .saddr = NODE_IP, .daddr = CLIENT, .proto = TCP, .sport = NP_LOCAL,
		   .dport = 40000, .tcp_flags = SYN | ACK, .seq = 7000, .ack = 1001 },
	  .ct_n = 2,
	  .stats = { { STAT_REV_NAT, 1 } } },

	/* Conntrack against a changed backend set. */
	{ .desc = "after the backend set changed, a known flow keeps its old backend",
	  .hook = HOOK_TC,
	  .setup = setup_change,
	  .prior = { { .hook = HOOK_TC, .pkt = { POD_SYN(VIP_CHANGE, 80) }, .verdict = V_TC_OK },
		     { .action = change_backends } },
	  .in = { POD_TCP(VIP_CHANGE, 80, 40000), .tcp_flags = ACK, .ack = 7001 },
	  .verdict = V_TC_OK,
	  .out = { FROM_POD, .saddr = POD, .daddr = REMOTE_BE, .proto = TCP, .sport = 40000,
		   .dport = 8080, .tcp_flags = ACK, .seq = 1000, .ack = 7001 },
	  .ct_n = 2,
	  .ct = { CT_CIP(TCP, 40000, VIP_CHANGE, 80, REMOTE_BE, 8080, BE_ID(SVC_CHANGE, 0)) },
	  .stats = { { STAT_CT_HIT, 1 } } },
	{ .desc = "after the backend set changed, a new flow goes to the new backend",
	  .hook = HOOK_TC,
	  .setup = setup_change,
	  .prior = { { .hook = HOOK_TC, .pkt = { POD_SYN(VIP_CHANGE, 80) }, .verdict = V_TC_OK },
		     { .action = change_backends } },
	  .in = { POD_TCP(VIP_CHANGE, 80, 40001), .tcp_flags = SYN },
	  .verdict = V_TC_OK,
	  .out = { FROM_POD, .saddr = POD, .daddr = REMOTE_BE2, .proto = TCP, .sport = 40001,
		   .dport = 8080, .tcp_flags = SYN, .seq = 1000 },
	  .ct_n = 4,
	  .ct = { CT_CIP(TCP, 40000, VIP_CHANGE, 80, REMOTE_BE, 8080, BE_ID(SVC_CHANGE, 0)),
		  CT_CIP(TCP, 40001, VIP_CHANGE, 80, REMOTE_BE2, 8080, BE_ID(SVC_CHANGE, 1)) },
	  .stats = { { STAT_DNAT, 1 } } },

	/* sessionAffinity ClientIP. */
	{ .desc = "without affinity, a SYN from port AFF_P1 picks one backend (control)",
	  .hook = HOOK_TC,
	  .setup = setup_no_affinity,
	  .in = { POD_TCP(VIP_AFF, 80, AFF_P1), .tcp_flags = SYN },
	  .verdict = V_TC_OK,
	  .out = { FROM_POD, .saddr = POD, .daddr = AFF_BE_P1, .proto = TCP, .sport = AFF_P1,
		   .dport = 8080, .tcp_flags = SYN, .seq = 1000 },
	  .ct_n = 2,
	  .ct = { CT_CIP(TCP, AFF_P1, VIP_AFF, 80, AFF_BE_P1, 8080, AFF_ID_P1) },
	  .stats = { { STAT_DNAT, 1 } } },
	{ .desc = "without affinity, a SYN from port AFF_P2 picks the other backend (control)",
	  .hook = HOOK_TC,
	  .setup = setup_no_affinity,
	  .in = { POD_TCP(VIP_AFF, 80, AFF_P2), .tcp_flags = SYN },
	  .verdict = V_TC_OK,
	  .out = { FROM_POD, .saddr = POD, .daddr = AFF_BE_P2, .proto = TCP, .sport = AFF_P2,
		   .dport = 8080, .tcp_flags = SYN, .seq = 1000 },
	  .ct_n = 2,
	  .ct = { CT_CIP(TCP, AFF_P2, VIP_AFF, 80, AFF_BE_P2, 8080, AFF_ID_P2) },
	  .stats = { { STAT_DNAT, 1 } } },
	{ .desc = "affinity: a second connection from the client goes to the first one's backend",
	  .hook = HOOK_TC,
	  .setup = setup_affinity,
	  .prior = { { .hook = HOOK_TC,
		       .pkt = { POD_TCP(VIP_AFF, 80, AFF_P1), .tcp_flags = SYN },
		       .verdict = V_TC_OK } },
	  .clock = T0 + AFF_TIMEOUT - 1,
	  .in = { POD_TCP(VIP_AFF, 80, AFF_P2), .tcp_flags = SYN },
	  .verdict = V_TC_OK,
	  .out = { FROM_POD, .saddr = POD, .daddr = AFF_BE_P1, .proto = TCP, .sport = AFF_P2,
		   .dport = 8080, .tcp_flags = SYN, .seq = 1000 },
	  .ct_n = 4,
	  .ct = { CT_CIP(TCP, AFF_P1, VIP_AFF, 80, AFF_BE_P1, 8080, AFF_ID_P1),
		  CT_CIP(TCP, AFF_P2, VIP_AFF, 80, AFF_BE_P1, 8080, AFF_ID_P1) },
	  .aff_n = 1,
	  .aff = { { .client = POD,
		     .svc_id = SVC_AFF,
		     .backend = AFF_ID_P1,
		     .last_used = T0 + AFF_TIMEOUT - 1 } },
	  .stats = { { STAT_DNAT, 1 } } },
	{ .desc = "affinity expired: the backend is chosen again and the affinity refreshed",
	  .hook = HOOK_TC,
	  .setup = setup_affinity,
	  .prior = { { .hook = HOOK_TC,
		       .pkt = { POD_TCP(VIP_AFF, 80, AFF_P1), .tcp_flags = SYN },
		       .verdict = V_TC_OK } },
	  .clock = T0 + AFF_TIMEOUT + 1,
	  .in = { POD_TCP(VIP_AFF, 80, AFF_P2), .tcp_flags = SYN },
	  .verdict = V_TC_OK,
	  .out = { FROM_POD, .saddr = POD, .daddr = AFF_BE_P2, .proto = TCP, .sport = AFF_P2,
		   .dport = 8080, .tcp_flags = SYN, .seq = 1000 },
	  .ct_n = 4,
	  .ct = { CT_CIP(TCP, AFF_P1, VIP_AFF, 80, AFF_BE_P1, 8080, AFF_ID_P1),
		  CT_CIP(TCP, AFF_P2, VIP_AFF, 80, AFF_BE_P2, 8080, AFF_ID_P2) },
	  .aff_n = 1,
	  .aff = { { .client = POD,
		     .svc_id = SVC_AFF,
		     .backend = AFF_ID_P2,
		     .last_used = T0 + AFF_TIMEOUT + 1 } },
	  .stats = { { STAT_DNAT, 1 } } },

	{ .desc = "affinity never sends a new connection to a backend the service no longer has",
	  .hook = HOOK_TC,
	  .setup = setup_affinity,
	  .prior = { { .hook = HOOK_TC,
		       .pkt = { POD_TCP(VIP_AFF, 80, AFF_P1), .tcp_flags = SYN },
		       .verdict = V_TC_OK },
		     { .action = replace_aff_backends } },
	  .clock = T0 + 1,
	  .in = { POD_TCP(VIP_AFF, 80, AFF_P2), .tcp_flags = SYN },
	  .verdict = V_TC_OK,
	  .out = { FROM_POD, .saddr = POD, .daddr = REMOTE_BE3, .proto = TCP, .sport = AFF_P2,
		   .dport = 8080, .tcp_flags = SYN, .seq = 1000 },
	  .ct_n = 4,
	  .ct = { CT_CIP(TCP, AFF_P1, VIP_AFF, 80, AFF_BE_P1, 8080, AFF_ID_P1),
		  CT_CIP(TCP, AFF_P2, VIP_AFF, 80, REMOTE_BE3, 8080, BE_ID(SVC_AFF, 2)) },
	  .aff_n = 1,
	  .aff = { { .client = POD,
		     .svc_id = SVC_AFF,
		     .backend = BE_ID(SVC_AFF, 2),
		     .last_used = T0 + 1 } },
	  .stats = { { STAT_DNAT, 1 } } },

	/* Services without backends answer back into the pod. */
	{ .desc = "ClusterIP without backends: a SYN gets RST|ACK back into the pod",
	  .hook = HOOK_TC,
	  .in = { POD_SYN(VIP_EMPTY, 80) },
	  .verdict = V_TC_REDIRECT,
	  .out = { TO_POD, .saddr = VIP_EMPTY, .daddr = POD, .proto = TCP, .sport = 80,
		   .dport = 40000, .tcp_flags = RST | ACK, .seq = 0, .ack = 1001 },
	  .out_patch = { P16(OFF_IP_ID, 0), P16(OFF_TCP_WIN, 0) },
	  .out_fix = FIX_ALL,
	  .stats = { { STAT_REJECT, 1 }, { STAT_REDIRECT, FX_ANY } } },
	{ .desc = "ClusterIP without backends: a data segment gets RST with seq = its ack",
	  .hook = HOOK_TC,
	  .in = { POD_TCP(VIP_EMPTY, 80, 40000), .tcp_flags = ACK | PSH, .ack = 9000,
		  .payload = 30 },
	  .verdict = V_TC_REDIRECT,
	  .out = { TO_POD, .saddr = VIP_EMPTY, .daddr = POD, .proto = TCP, .sport = 80,
		   .dport = 40000, .tcp_flags = RST, .seq = 9000 },
	  .out_patch = { P16(OFF_IP_ID, 0), P16(OFF_TCP_WIN, 0) },
	  .out_fix = FIX_ALL,
	  .stats = { { STAT_REJECT, 1 }, { STAT_REDIRECT, FX_ANY } } },
	{ .desc = "ClusterIP without backends: UDP gets ICMP port unreachable back into the pod",
	  .hook = HOOK_TC,
	  .in = { POD_UDP(VIP_EMPTY, 53), .payload = 20 },
	  .verdict = V_TC_REDIRECT,
	  .out = { TO_POD, .saddr = VIP_EMPTY, .daddr = POD, .proto = ICMP, .icmp_type = 3,
		   .icmp_code = 3, .quote = &q_pod_udp_empty },
	  .out_patch = { P16(OFF_IP_ID, 0) },
	  .out_fix = FIX_IP,
	  .stats = { { STAT_REJECT, 1 }, { STAT_REDIRECT, FX_ANY } } },

	/* ICMP errors about translated flows. */
	{ .desc = "port unreachable from a local backend reaches the pod as the service's",
	  .hook = HOOK_TC,
	  .prior = { { .hook = HOOK_TC,
		       .pkt = { POD_UDP(VIP_UDP_LOCAL, 53) },
		       .verdict = V_TC_REDIRECT } },
	  .in = { FROM_BE, .saddr = LOCAL_BE, .daddr = POD, .proto = ICMP, .icmp_type = 3,
		  .icmp_code = 3, .quote = &q_pod_udp_at_be },
	  .verdict = V_TC_REDIRECT,
	  .out = { TO_POD, .saddr = VIP_UDP_LOCAL, .daddr = POD, .proto = ICMP, .icmp_type = 3,
		   .icmp_code = 3, .quote = &q_pod_udp_vip, .ttl = TTL_DELIVERED },
	  .ct_n = 2,
	  .stats = { { STAT_REV_NAT, 1 }, { STAT_REDIRECT, 1 } },
	  .check = check_quoted_udp },
	{ .desc = "port unreachable from a pod about a service's answer goes to the backend",
	  .hook = HOOK_TC,
	  .prior = { { .hook = HOOK_TC, .pkt = { POD_UDP(VIP_UDP, 53) }, .verdict = V_TC_OK } },
	  .in = { FROM_POD, .saddr = POD, .daddr = VIP_UDP, .proto = ICMP, .icmp_type = 3,
		  .icmp_code = 3, .quote = &q_reply_at_pod },
	  .verdict = V_TC_OK,
	  .out = { FROM_POD, .saddr = POD, .daddr = REMOTE_BE, .proto = ICMP, .icmp_type = 3,
		   .icmp_code = 3, .quote = &q_reply_at_be },
	  .ct_n = 2,
	  .stats_any = true,
	  .check = check_quoted_udp },

	/* Not service traffic. */
	{ .desc = "TCP to an address outside the cluster goes on unchanged",
	  .in = { POD_SYN(OUTSIDE, 443) },
	  WENT_ON(STAT_PASS) },
	{ .desc = "TCP to a ClusterIP on a port it does not serve goes on unchanged",
	  .in = { POD_SYN(VIP_TCP, 81) },
	  WENT_ON(STAT_PASS) },
	{ .desc = "UDP to a ClusterIP's TCP port goes on unchanged",
	  .in = { POD_UDP(VIP_TCP, 80) },
	  WENT_ON(STAT_PASS) },
	{ .desc = "ICMP echo to a ClusterIP goes on unchanged",
	  .in = { FROM_POD, .saddr = POD, .daddr = VIP_TCP, .proto = ICMP, .icmp_type = 8,
		  .icmp_id = 80, .payload = 8 },
	  WENT_ON(STAT_PASS) },
	{ .desc = "IPv6 goes on unchanged",
	  .in = { FROM_POD, .ethertype = 0x86dd, .payload = 40 },
	  WENT_ON(STAT_PASS) },
	{ .desc = "ARP goes on unchanged",
	  .in = { FROM_POD, .ethertype = 0x0806, .payload = 28 },
	  WENT_ON(STAT_PASS) },
	{ .desc = "a non-first fragment to a ClusterIP goes on untouched",
	  .in = { POD_UDP(VIP_UDP, 53), .frag = 185, .payload = 64 },
	  WENT_ON(STAT_FRAGMENT) },

	/* Malformed. */
	/* The kernel refuses test input with the IPv4 ethertype shorter than
	 * Ethernet + 20 bytes: IPv4 header cuts come behind an 802.1Q tag. */
	{ .desc = "an 802.1Q tag followed by nothing is shot",
	  .in = { POD_SYN(VIP_TCP, 80), .vlan = 100 },
	  .in_len = 18,
	  SHOT },
	{ .desc = "an IPv4 header cut at 19 bytes after an 802.1Q tag is shot",
	  .in = { POD_SYN(VIP_TCP, 80), .vlan = 100 },
	  .in_len = 18 + 19,
	  SHOT },
	{ .desc = "IPv4 options cut short are shot",
	  .in = { POD_SYN(VIP_TCP, 80), .ip_opts = 16 },
	  .in_len = 14 + 28,
	  SHOT },
	{ .desc = "a TCP header cut at 19 bytes is shot",
	  .in = { POD_SYN(VIP_TCP, 80) },
	  .in_len = 14 + 20 + 19,
	  .in_patch = { P16(OFF_IP_TOTLEN, 39) },
	  .in_fix = FIX_IP,
	  SHOT },
	{ .desc = "a UDP header cut at 7 bytes is shot",
	  .in = { POD_UDP(VIP_UDP, 53) },
	  .in_len = 14 + 20 + 7,
	  .in_patch = { P16(OFF_IP_TOTLEN, 27) },
	  .in_fix = FIX_IP,
	  SHOT },
	{ .desc = "an ICMP header cut at 7 bytes is shot",
	  .in = { FROM_POD, .saddr = POD, .daddr = VIP_TCP, .proto = ICMP, .icmp_type = 8 },
	  .in_len = 14 + 20 + 7,
	  .in_patch = { P16(OFF_IP_TOTLEN, 27) },
	  .in_fix = FIX_IP,
	  SHOT },
	{ .desc = "IHL 4 is shot",
	  .in = { POD_SYN(VIP_TCP, 80) },
	  .in_patch = { P8(OFF_IP, 0x44) },
	  SHOT },
	{ .desc = "a total length past the frame is shot",
	  .in = { POD_SYN(VIP_TCP, 80) },
	  .in_patch = { P16(OFF_IP_TOTLEN, 41) },
	  .in_fix = FIX_IP,
	  SHOT },
	{ .desc = "IP version 6 under the IPv4 ethertype is shot",
	  .in = { POD_SYN(VIP_TCP, 80) },
	  .in_patch = { P8(OFF_IP, 0x65) },
	  SHOT },
};

int main(void)
{
	return fx_run_all("tc_pod", fixtures, ARRAY_SIZE(fixtures), fx_group_setup);
}
