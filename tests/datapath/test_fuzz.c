/* Randomized frames through both programs. Valid frames of every class the
 * datapath meets (ClusterIP, NodePort, externalIP and LoadBalancer traffic,
 * replies, ICMP echo and errors, IPv6, ARP, VLAN tags, IPv4 options,
 * fragments), with services programmed as the agent would, are mutated
 * (byte flips, truncation, resizing, header fields) or replaced by garbage.
 * A reference parser written here from the header formats (not from
 * datapath/lib/parse.h) classifies every frame, and the verdict must fit:
 *
 *   malformed IPv4          XDP_DROP / TC_ACT_SHOT
 *   not IPv4, non-first     XDP_PASS / TC_ACT_OK, the frame unchanged
 *   fragment
 *   parseable IPv4          a normal verdict, never XDP_ABORTED
 *
 * and no unparseable frame leaves a conntrack entry behind. A parseable
 * frame that goes on keeps right checksums right, and the bytes past its
 * IP datagram (Ethernet padding) as they were. Frames the kernel's test
 * run refuses (shorter than an Ethernet header; for skbs also an IPv4 or
 * IPv6 ethertype without room for that header) are counted, not run.
 *
 * XCNI_FUZZ_SEED=<n> reproduces a run (the seed is printed), and
 * XCNI_FUZZ_ITERS=<n> changes the number of frames per program. */
#include "unit.h"

#include <arpa/inet.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <sched.h>
#include <time.h>

#include "harness.h"
#include "xcni/meta.h"

#define DEFAULT_SEED 0x78636e69u /* "xcni" */
#define DEFAULT_ITERS 100000
#define MAX_LEN 256 /* the largest frame the fuzzer makes */
#define MAX_REPORTS 10 /* failures printed in full, per program */

#define CLIENT "198.51.100.7" /* a client out on the network */
#define ROUTER "10.0.0.1" /* a router on the way to a remote backend */
#define EXT_IP "203.0.113.10" /* an externalIP */
#define LB_IP "203.0.113.11" /* a LoadBalancer ingress IP, externalTrafficPolicy Local */
#define POD_CLIENT "10.244.1.9" /* a pod on this node, as a client */
#define POD_B1 "10.244.1.5" /* local backends */
#define POD_B2 "10.244.1.6"
#define REMOTE_B1 "10.244.2.7" /* backends on another node */
#define REMOTE_B2 "10.244.2.8"
#define CIP "10.96.0.10"
#define CIP_REMOTE "10.96.0.11"
#define CIP_EMPTY "10.96.0.20" /* no backends: rejected */
#define CIP_AFF "10.96.0.30" /* sessionAffinity: ClientIP */

#define NIC_MAC                                    \
	{                                          \
		0x02, 0x00, 0x00, 0x00, 0x00, 0x01 \
	}
#define GW_MAC                                     \
	{                                          \
		0x02, 0x00, 0x00, 0x00, 0x00, 0x02 \
	}
#define POD_CLIENT_MAC                             \
	{                                          \
		0x0a, 0x58, 0x0a, 0xf4, 0x01, 0x09 \
	}
#define VETH_MAC                                   \
	{                                          \
		0xee, 0xee, 0xee, 0xee, 0xee, 0xee \
	}

/* Delivery into local pods goes to this ifindex: loopback, present in
 * every namespace, stands in for the pods' veths. */
#define EP_IFINDEX 1

enum cls { C_MALFORMED, C_NOT_IP4, C_FRAGMENT, C_PARSEABLE, C_MAX };

static const char *const cls_name[C_MAX] = { "malformed IPv4", "not IPv4", "non-first fragment",
					     "parseable IPv4" };

/* Parseable IPv4 by L4 protocol. */
enum l4 { L4_TCP, L4_UDP, L4_ICMP, L4_OTHER, L4_MAX };

static const char *const l4_name[L4_MAX] = { "TCP", "UDP", "ICMP", "other" };

enum mut { M_SEED, M_FLIP, M_TRUNC, M_FLIP_TRUNC, M_RESIZE, M_GARBAGE, M_FIELD, M_PAD, M_MAX };

static const char *const mut_name[M_MAX] = {
	"seed as built", "byte flips", "truncation",	"flips+truncation",
	"resize 0..200", "garbage",    "header fields", "shorter datagram, padded, checksums fixed"
};

/* Reasons a frame is malformed, for the report. */
#define WHY_MAX 16

struct seed {
	const char *name;
	struct pkt_spec s;
	enum hook home; /* the program this frame is meant for */
	int want; /* its verdict there, -1 when it depends on the hash */
};

/* ICMP errors quote these. */
static const struct pkt_spec q_np_udp_remote = {
	.saddr = NODE_IP,
	.daddr = REMOTE_B2,
	.proto = 17,
	.sport = 40012,
	.dport = 53,
	.payload = 16,
};
static const struct pkt_spec q_np_tcp_remote = {
	.saddr = NODE_IP,
	.daddr = REMOTE_B1,
	.proto = 6,
	.sport = 40011,
	.dport = 8080,
	.tcp_flags = 0x02,
	.seq = 1000,
};
static const struct pkt_spec q_unknown = {
	.saddr = NODE_IP,
	.daddr = "192.0.2.99",
	.proto = 17,
	.sport = 33434,
	.dport = 33435,
};
static const struct pkt_spec q_cip_udp = {
	.saddr = POD_CLIENT,
	.daddr = POD_B2,
	.proto = 17,
	.sport = 50002,
	.dport = 5353,
	.payload = 24,
};
static const struct pkt_spec q_options = {
	.saddr = NODE_IP,
	.daddr = REMOTE_B1,
	.proto = 6,
	.sport = 40011,
	.dport = 8080,
	.ip_opts = 8,
};

#define WIRE .src_mac = GW_MAC, .dst_mac = NIC_MAC
#define POD .src_mac = POD_CLIENT_MAC, .dst_mac = VETH_MAC

/* Forward frames come before the replies that need their conntrack entries. */
static const struct seed seeds[] = {
	/* From the wire (xdp_node). */
	{ "NodePort TCP SYN, local backend",
	  { WIRE, .saddr = CLIENT, .daddr = NODE_IP, .proto = 6, .sport = 40001, .dport = 30080,
	    .tcp_flags = 0x02, .seq = 7 },
	  HOOK_XDP,
	  V_XDP_REDIRECT },
	{ "NodePort TCP SYN, remote backend",
	  { WIRE, .saddr = CLIENT, .daddr = NODE_IP, .proto = 6, .sport = 40011, .dport = 30081,
	    .tcp_flags = 0x02, .seq = 1000 },
	  HOOK_XDP,
	  V_XDP_PASS },
	{ "NodePort UDP, local backend",
	  { WIRE, .saddr = CLIENT, .daddr = NODE_IP, .proto = 17, .sport = 40002, .dport = 30053,
	    .payload = 32 },
	  HOOK_XDP,
	  V_XDP_REDIRECT },
	{ "NodePort UDP, remote backend",
	  { WIRE, .saddr = CLIENT, .daddr = NODE_IP, .proto = 17, .sport = 40012, .dport = 30054,
	    .payload = 16 },
	  HOOK_XDP,
	  V_XDP_PASS },
	{ "NodePort UDP without checksum",
	  { WIRE, .saddr = CLIENT, .daddr = NODE_IP, .proto = 17, .sport = 40003, .dport = 30053,
	    .payload = 9, .udp_no_csum = true },
	  HOOK_XDP,
	  V_XDP_REDIRECT },
	{ "NodePort TCP, three backends",
	  { WIRE, .saddr = CLIENT, .daddr = NODE_IP, .proto = 6, .sport = 40004, .dport = 30090,
	    .tcp_flags = 0x02 },
	  HOOK_XDP,
	  -1 },
	{ "externalIP TCP SYN",
	  { WIRE, .saddr = CLIENT, .daddr = EXT_IP, .proto = 6, .sport = 40005, .dport = 443,
	    .tcp_flags = 0x02 },
	  HOOK_XDP,
	  V_XDP_REDIRECT },
	{ "LoadBalancer Local TCP",
	  { WIRE, .saddr = CLIENT, .daddr = LB_IP, .proto = 6, .sport = 40006, .dport = 80,
	    .tcp_flags = 0x02 },
	  HOOK_XDP,
	  V_XDP_REDIRECT },
	{ "LoadBalancer Local UDP",
	  { WIRE, .saddr = CLIENT, .daddr = LB_IP, .proto = 17, .sport = 40007, .dport = 53,
	    .payload = 40 },
	  HOOK_XDP,
	  V_XDP_REDIRECT },
	{ "NodePort TCP without backends (RST)",
	  { WIRE, .saddr = CLIENT, .daddr = NODE_IP, .proto = 6, .sport = 40008, .dport = 30099,
	    .tcp_flags = 0x02, .seq = 99, .payload = 12 },
	  HOOK_XDP,
	  V_XDP_TX },
	{ "NodePort UDP without backends (ICMP)",
	  { WIRE, .saddr = CLIENT, .daddr = NODE_IP, .proto = 17, .sport = 40009, .dport = 30099,
	    .payload = 20 },
	  HOOK_XDP,
	  V_XDP_TX },
	{ "NodePort TCP RST without backends",
	  { WIRE, .saddr = CLIENT, .daddr = NODE_IP, .proto = 6, .sport = 40010, .dport = 30099,
	    .tcp_flags = 0x04 },
	  HOOK_XDP,
	  V_XDP_DROP },
	{ "NodePort TCP with 8 bytes of IP options",
	  { WIRE, .saddr = CLIENT, .daddr = NODE_IP, .proto = 6, .sport = 40013, .dport = 30080,
	    .tcp_flags = 0x02, .ip_opts = 8 },
	  HOOK_XDP,
	  V_XDP_REDIRECT },
	{ "NodePort UDP with 40 bytes of IP options",
	  { WIRE, .saddr = CLIENT, .daddr = NODE_IP, .proto = 17, .sport = 40014, .dport = 30053,
	    .ip_opts = 40, .payload = 8 },
	  HOOK_XDP,
	  V_XDP_REDIRECT },
	{ "NodePort UDP first fragment",
	  { WIRE, .saddr = CLIENT, .daddr = NODE_IP, .proto = 17, .sport = 40015, .dport = 30053,
	    .frag = 0x2000, .payload = 96 },
	  HOOK_XDP,
	  V_XDP_REDIRECT },
	{ "NodePort VLAN-tagged TCP",
	  { WIRE, .vlan = 100, .saddr = CLIENT, .daddr = NODE_IP, .proto = 6, .sport = 40016,
	    .dport = 30080, .tcp_flags = 0x02 },
	  HOOK_XDP,
	  V_XDP_PASS },
	{ "reply from a remote backend (TCP SYN-ACK)",
	  { WIRE, .saddr = REMOTE_B1, .daddr = NODE_IP, .proto = 6, .sport = 8080, .dport = 40011,
	    .tcp_flags = 0x12, .seq = 5000, .ack = 1001 },
	  HOOK_XDP,
	  V_XDP_PASS },
	{ "reply from a remote backend (UDP)",
	  { WIRE, .saddr = REMOTE_B2, .daddr = NODE_IP, .proto = 17, .sport = 53, .dport = 40012,
	    .payload = 48 },
	  HOOK_XDP,
	  V_XDP_PASS },
	{ "ICMP port unreachable from the remote backend",
	  { WIRE, .saddr = REMOTE_B2, .daddr = NODE_IP, .proto = 1, .icmp_type = 3, .icmp_code = 3,
	    .quote = &q_np_udp_remote },
	  HOOK_XDP,
	  V_XDP_PASS },
	{ "ICMP fragmentation needed from a router",
	  { WIRE, .saddr = ROUTER, .daddr = NODE_IP, .proto = 1, .icmp_type = 3, .icmp_code = 4,
	    .quote = &q_np_tcp_remote },
	  HOOK_XDP,
	  V_XDP_PASS },
	{ "ICMP error quoting IP options",
	  { WIRE, .saddr = ROUTER, .daddr = NODE_IP, .proto = 1, .icmp_type = 11,
	    .quote = &q_options },
	  HOOK_XDP,
	  V_XDP_PASS },
	{ "ICMP time exceeded about another flow",
	  { WIRE, .saddr = ROUTER, .daddr = NODE_IP, .proto = 1, .icmp_type = 11,
	    .quote = &q_unknown },
	  HOOK_XDP,
	  V_XDP_PASS },
	{ "ICMP echo to the node",
	  { WIRE, .saddr = CLIENT, .daddr = NODE_IP, .proto = 1, .icmp_type = 8, .icmp_id = 0x77,
	    .payload = 56 },
	  HOOK_XDP,
	  V_XDP_PASS },
	{ "TCP to the node's own port",
	  { WIRE, .saddr = CLIENT, .daddr = NODE_IP, .proto = 6, .sport = 40017, .dport = 22,
	    .tcp_flags = 0x10, .payload = 30 },
	  HOOK_XDP,
	  V_XDP_PASS },
	{ "TCP from the wire to a local pod",
	  { WIRE, .saddr = CLIENT, .daddr = POD_B1, .proto = 6, .sport = 40019, .dport = 8080,
	    .tcp_flags = 0x02 },
	  HOOK_XDP,
	  V_XDP_REDIRECT },
	{ "ClusterIP from the wire",
	  { WIRE, .saddr = CLIENT, .daddr = CIP, .proto = 6, .sport = 40018, .dport = 80,
	    .tcp_flags = 0x02 },
	  HOOK_XDP,
	  V_XDP_PASS },
	{ "GRE to the node",
	  { WIRE, .saddr = ROUTER, .daddr = NODE_IP, .proto = 47, .payload = 24 },
	  HOOK_XDP,
	  V_XDP_PASS },
	{ "non-first UDP fragment",
	  { WIRE, .saddr = CLIENT, .daddr = NODE_IP, .proto = 17, .frag = 13, .payload = 40 },
	  HOOK_XDP,
	  V_XDP_PASS },
	{ "non-first TCP fragment with MF",
	  { WIRE, .saddr = CLIENT, .daddr = NODE_IP, .proto = 6, .frag = 0x2000 | 185,
	    .payload = 16 },
	  HOOK_XDP,
	  V_XDP_PASS },
	{ "IPv6", { WIRE, .ethertype = 0x86dd, .payload = 60 }, HOOK_XDP, V_XDP_PASS },
	{ "ARP", { WIRE, .ethertype = 0x0806, .payload = 28 }, HOOK_XDP, V_XDP_PASS },
	{ "VLAN-tagged ARP",
	  { WIRE, .vlan = 7, .ethertype = 0x0806, .payload = 28 },
	  HOOK_XDP,
	  V_XDP_PASS },

	/* From a pod (tc_pod). */
	{ "ClusterIP TCP SYN, local backend",
	  { POD, .saddr = POD_CLIENT, .daddr = CIP, .proto = 6, .sport = 50001, .dport = 80,
	    .tcp_flags = 0x02, .seq = 42 },
	  HOOK_TC,
	  V_TC_REDIRECT },
	{ "ClusterIP UDP, local backend",
	  { POD, .saddr = POD_CLIENT, .daddr = CIP, .proto = 17, .sport = 50002, .dport = 53,
	    .payload = 24 },
	  HOOK_TC,
	  V_TC_REDIRECT },
	{ "ClusterIP TCP, remote backend",
	  { POD, .saddr = POD_CLIENT, .daddr = CIP_REMOTE, .proto = 6, .sport = 50003, .dport = 80,
	    .tcp_flags = 0x02 },
	  HOOK_TC,
	  V_TC_OK },
	{ "ClusterIP UDP without checksum, remote backend",
	  { POD, .saddr = POD_CLIENT, .daddr = CIP_REMOTE, .proto = 17, .sport = 50004, .dport = 53,
	    .payload = 11, .udp_no_csum = true },
	  HOOK_TC,
	  V_TC_OK },
	{ "ClusterIP with affinity",
	  { POD, .saddr = POD_CLIENT, .daddr = CIP_AFF, .proto = 6, .sport = 50005, .dport = 80,
	    .tcp_flags = 0x02 },
	  HOOK_TC,
	  -1 },
	{ "ClusterIP TCP without backends (RST)",
	  { POD, .saddr = POD_CLIENT, .daddr = CIP_EMPTY, .proto = 6, .sport = 50006, .dport = 80,
	    .tcp_flags = 0x18, .seq = 1, .ack = 2, .payload = 10 },
	  HOOK_TC,
	  V_TC_REDIRECT },
	{ "ClusterIP UDP without backends (ICMP)",
	  { POD, .saddr = POD_CLIENT, .daddr = CIP_EMPTY, .proto = 17, .sport = 50007, .dport = 53,
	    .payload = 30 },
	  HOOK_TC,
	  V_TC_REDIRECT },
	{ "ClusterIP UDP with IP options",
	  { POD, .saddr = POD_CLIENT, .daddr = CIP, .proto = 17, .sport = 50008, .dport = 53,
	    .ip_opts = 12, .payload = 4 },
	  HOOK_TC,
	  V_TC_REDIRECT },
	{ "ClusterIP UDP first fragment",
	  { POD, .saddr = POD_CLIENT, .daddr = CIP, .proto = 17, .sport = 50009, .dport = 53,
	    .frag = 0x2000, .payload = 120 },
	  HOOK_TC,
	  V_TC_REDIRECT },
	{ "ClusterIP VLAN-tagged TCP",
	  { POD, .vlan = 5, .saddr = POD_CLIENT, .daddr = CIP, .proto = 6, .sport = 50010,
	    .dport = 80, .tcp_flags = 0x02 },
	  HOOK_TC,
	  V_TC_OK },
	{ "reply from a local backend (TCP SYN-ACK)",
	  { POD, .saddr = POD_B1, .daddr = POD_CLIENT, .proto = 6, .sport = 8080, .dport = 50001,
	    .tcp_flags = 0x12, .seq = 77, .ack = 43 },
	  HOOK_TC,
	  V_TC_REDIRECT },
	{ "reply from a local backend (UDP)",
	  { POD, .saddr = POD_B2, .daddr = POD_CLIENT, .proto = 17, .sport = 5353, .dport = 50002,
	    .payload = 64 },
	  HOOK_TC,
	  V_TC_REDIRECT },
	{ "TCP FIN on a ClusterIP flow",
	  { POD, .saddr = POD_CLIENT, .daddr = CIP, .proto = 6, .sport = 50001, .dport = 80,
	    .tcp_flags = 0x11, .seq = 43, .ack = 78 },
	  HOOK_TC,
	  V_TC_REDIRECT },
	{ "ICMP port unreachable from a local backend",
	  { POD, .saddr = POD_B2, .daddr = POD_CLIENT, .proto = 1, .icmp_type = 3, .icmp_code = 3,
	    .quote = &q_cip_udp },
	  HOOK_TC,
	  V_TC_REDIRECT },
	{ "ICMP echo to a ClusterIP",
	  { POD, .saddr = POD_CLIENT, .daddr = CIP, .proto = 1, .icmp_type = 8, .icmp_id = 9,
	    .payload = 16 },
	  HOOK_TC,
	  V_TC_OK },
	{ "ICMP echo reply",
	  { POD, .saddr = POD_B1, .daddr = POD_CLIENT, .proto = 1, .icmp_type = 0, .icmp_id = 9 },
	  HOOK_TC,
	  V_TC_OK },
	{ "pod to pod TCP",
	  { POD, .saddr = POD_CLIENT, .daddr = POD_B1, .proto = 6, .sport = 50011, .dport = 8080,
	    .tcp_flags = 0x02 },
	  HOOK_TC,
	  V_TC_OK },
	{ "pod to the world UDP",
	  { POD, .saddr = POD_CLIENT, .daddr = "8.8.8.8", .proto = 17, .sport = 50012, .dport = 53,
	    .payload = 33 },
	  HOOK_TC,
	  V_TC_OK },
	{ "non-first fragment from a pod",
	  { POD, .saddr = POD_CLIENT, .daddr = CIP, .proto = 17, .frag = 0x2000 | 3,
	    .payload = 24 },
	  HOOK_TC,
	  V_TC_OK },
	{ "IPv6 from a pod", { POD, .ethertype = 0x86dd, .payload = 72 }, HOOK_TC, V_TC_OK },
	{ "ARP from a pod", { POD, .ethertype = 0x0806, .payload = 28 }, HOOK_TC, V_TC_OK },
};

#define N_SEEDS (sizeof(seeds) / sizeof(seeds[0]))

struct built {
	uint8_t f[PKT_MAX];
	size_t len;
};

struct ct_entry {
	struct ct_key k;
	struct ct_value v;
};

struct stats {
	unsigned long runs, refused, cls[C_MAX], l4[L4_MAX], mut[M_MAX];
	unsigned long verdicts[C_MAX][8], why[WHY_MAX], sums_kept;
	unsigned long fails, bad_frames; /* broken promises; frames with any */
	const char *why_name[WHY_MAX];
};

static struct datapath dp;
static struct built built[N_SEEDS];
static struct ct_entry base[128]; /* conntrack after the seeds: restored after each frame */
static size_t n_base;
static uint64_t fuzz_seed;
static unsigned long iters = DEFAULT_ITERS;

/* splitmix64: small, fast, and the same everywhere. */
static uint64_t rnd(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static uint32_t below(uint64_t *s, uint32_t n)
{
	return n ? (uint32_t)(rnd(s) % n) : 0;
}

static uint16_t be16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static void put_be16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

/* The reference parser: Ethernet, at most one 802.1Q or 802.1ad tag,
 * IPv4 with its header and total length inside the frame, the first
 * fragment's L4 header inside the datagram. *why names the defect of a
 * malformed frame; *l4 the protocol of a parseable one. */
static enum cls classify(const uint8_t *f, size_t len, const char **why, enum l4 *l4)
{
	size_t l3 = 14, ihl, tot, avail;
	uint16_t type;
	const uint8_t *ip, *th;

	*why = NULL;
	*l4 = L4_OTHER;
	if (len < 14) {
		*why = "shorter than Ethernet";
		return C_MALFORMED;
	}
	type = be16(f + 12);
	if (type == 0x8100 || type == 0x88a8) {
		if (len < 18) {
			*why = "truncated VLAN tag";
			return C_MALFORMED;
		}
		type = be16(f + 16);
		l3 = 18;
	}
	if (type != 0x0800)
		return C_NOT_IP4;
	ip = f + l3;
	if (len < l3 + 20) {
		*why = "truncated IPv4 header";
		return C_MALFORMED;
	}
	if (ip[0] >> 4 != 4) {
		*why = "IP version not 4";
		return C_MALFORMED;
	}
	ihl = (size_t)(ip[0] & 0xf) * 4;
	tot = be16(ip + 2);
	if (ihl < 20) {
		*why = "IHL < 5";
		return C_MALFORMED;
	}
	if (tot < ihl) {
		*why = "total length < IHL";
		return C_MALFORMED;
	}
	if (l3 + tot > len) {
		*why = "total length past the frame";
		return C_MALFORMED;
	}
	if (be16(ip + 6) & 0x1fff)
		return C_FRAGMENT;
	avail = tot - ihl; /* L4 bytes in the datagram */
	switch (ip[9]) {
	case 6:
		*l4 = L4_TCP;
		th = ip + ihl;
		if (avail < 20) {
			*why = "truncated TCP header";
			return C_MALFORMED;
		}
		if (th[12] >> 4 < 5) {
			*why = "TCP data offset < 5";
			return C_MALFORMED;
		}
		if ((size_t)(th[12] >> 4) * 4 > avail) {
			*why = "TCP header past the total length";
			return C_MALFORMED;
		}
		return C_PARSEABLE;
	case 17:
		*l4 = L4_UDP;
		if (avail < 8) {
			*why = "truncated UDP header";
			return C_MALFORMED;
		}
		return C_PARSEABLE;
	case 1:
		*l4 = L4_ICMP;
		if (avail < 8) {
			*why = "truncated ICMP header";
			return C_MALFORMED;
		}
		return C_PARSEABLE;
	default:
		return C_PARSEABLE;
	}
}

static const char *verdict_name(enum hook h, uint32_t v)
{
	static const char *const xdp[] = { "XDP_ABORTED", "XDP_DROP", "XDP_PASS", "XDP_TX",
					   "XDP_REDIRECT" };
	static char other[32];

	if (h == HOOK_XDP && v < 5)
		return xdp[v];
	if (h == HOOK_TC && v == V_TC_OK)
		return "TC_ACT_OK";
	if (h == HOOK_TC && v == V_TC_SHOT)
		return "TC_ACT_SHOT";
	if (h == HOOK_TC && v == V_TC_REDIRECT)
		return "TC_ACT_REDIRECT";
	snprintf(other, sizeof(other), "%d", (int)v);
	return other;
}

/* The verdicts allowed for a class. */
static bool verdict_ok(enum hook h, enum cls c, uint32_t v)
{
	switch (c) {
	case C_MALFORMED:
		return v == (h == HOOK_XDP ? V_XDP_DROP : V_TC_SHOT);
	case C_NOT_IP4:
	case C_FRAGMENT:
		return v == (h == HOOK_XDP ? V_XDP_PASS : V_TC_OK);
	default:
		if (h == HOOK_XDP)
			return v == V_XDP_DROP || v == V_XDP_PASS || v == V_XDP_TX ||
			       v == V_XDP_REDIRECT;
		return v == V_TC_OK || v == V_TC_SHOT || v == V_TC_REDIRECT;
	}
}

static const char *expected_name(enum hook h, enum cls c)
{
	switch (c) {
	case C_MALFORMED:
		return h == HOOK_XDP ? "XDP_DROP" : "TC_ACT_SHOT";
	case C_NOT_IP4:
	case C_FRAGMENT:
		return h == HOOK_XDP ? "XDP_PASS, frame unchanged" : "TC_ACT_OK, frame unchanged";
	default:
		return h == HOOK_XDP ? "XDP_DROP/PASS/TX/REDIRECT" : "TC_ACT_OK/SHOT/REDIRECT";
	}
}

/* Frames BPF_PROG_TEST_RUN refuses (EINVAL) before any program runs: less
 * than an Ethernet header for both hooks; for skbs also an untagged IPv4
 * or IPv6 ethertype without room for that header (the kernel pulls it).
 * Neither hook meets them on a real device either. */
static bool refused_by_test_run(enum hook h, const uint8_t *f, size_t len)
{
	if (len < 14)
		return true;
	if (h == HOOK_XDP)
		return false;
	return (be16(f + 12) == 0x0800 && len < 14 + 20) ||
	       (be16(f + 12) == 0x86dd && len < 14 + 40);
}

static bool in_base(const struct ct_key *k)
{
	for (size_t i = 0; i < n_base; i++)
		if (!memcmp(&base[i].k, k, sizeof(*k)))
			return true;
	return false;
}

/* Counts conntrack entries; the first of those not in the baseline goes
 * to *extra, and their number to *n_extra. */
static size_t ct_scan(struct ct_key *extra, size_t cap, size_t *n_extra)
{
	struct ct_key k, next;
	void *prev = NULL;
	size_t n = 0;

	*n_extra = 0;
	while (bpf_map_get_next_key(dp.fd_ct, prev, &next) == 0) {
		k = next;
		prev = &k;
		n++;
		if (!in_base(&k)) {
			if (*n_extra < cap)
				extra[*n_extra] = k;
			(*n_extra)++;
		}
	}
	return n;
}

static void ct_restore_values(void)
{
	for (size_t i = 0; i < n_base; i++)
		assert_int_equal(bpf_map_update_elem(dp.fd_ct, &base[i].k, &base[i].v, BPF_ANY), 0);
	assert_int_equal(dp_flow_cache_flush(&dp), 0);
}

/* Back to the baseline: entries made by the last frame go, lost ones come
 * back. Returns the count before. */
static size_t ct_reset(struct ct_key *first_extra, size_t *n_extra)
{
	struct ct_key extra[16];
	size_t n, more;

	n = ct_scan(extra, 16, n_extra);
	if (*n_extra)
		*first_extra = extra[0];
	more = *n_extra;
	while (more) {
		for (size_t i = 0; i < more && i < 16; i++)
			bpf_map_delete_elem(dp.fd_ct, &extra[i]);
		if (more <= 16)
			break;
		ct_scan(extra, 16, &more);
	}
	if (*n_extra)
		assert_int_equal(dp_flow_cache_flush(&dp), 0);
	if (n - *n_extra != n_base)
		ct_restore_values();
	return n;
}

static void hex(char *out, size_t size, const uint8_t *f, size_t len)
{
	size_t o = 0;

	out[0] = '\0';
	for (size_t i = 0; i < len && o + 3 <= size; i++)
		o += (size_t)snprintf(out + o, size - o, "%02x", f[i]);
}

static void ct_key_str(char *out, size_t size, const struct ct_key *k)
{
	char s[INET_ADDRSTRLEN], d[INET_ADDRSTRLEN];

	inet_ntop(AF_INET, &k->saddr, s, sizeof(s));
	inet_ntop(AF_INET, &k->daddr, d, sizeof(d));
	snprintf(out, size, "%s:%u -> %s:%u proto %u", s, ntohs(k->sport), d, ntohs(k->dport),
		 k->proto);
}

struct frame_ctx {
	enum hook hook;
	unsigned long iter;
	enum mut mut;
	const char *from; /* the seed it was made from */
	enum cls cls;
	const char *why;
};

static void report(struct stats *st, const struct frame_ctx *fc, const uint8_t *f, size_t len,
		   const char *actual, const char *what)
{
	char buf[2 * MAX_LEN + 1];

	st->fails++;
	if (st->fails > MAX_REPORTS)
		return;
	hex(buf, sizeof(buf), f, len);
	printf("# FAIL %s: %s\n#   XCNI_FUZZ_SEED=%llu frame %lu (%s of \"%s\"), class %s%s%s%s\n"
	       "#   expected %s, got %s\n#   frame (%zu bytes): %s\n",
	       fc->hook == HOOK_XDP ? "xdp_node" : "tc_pod", what, (unsigned long long)fuzz_seed,
	       fc->iter, mut_name[fc->mut], fc->from, cls_name[fc->cls], fc->why ? " (" : "",
	       fc->why ? fc->why : "", fc->why ? ")" : "", expected_name(fc->hook, fc->cls), actual,
	       len, buf);
	fflush(stdout);
}

static size_t l3_of(const uint8_t *f, size_t len)
{
	if (len >= 18 && (be16(f + 12) == 0x8100 || be16(f + 12) == 0x88a8))
		return 18;
	return 14;
}

/* Bytes past the IP datagram (Ethernet padding) are nobody's to rewrite:
 * true when a frame that kept its length, protocol and total length kept
 * them too. */
static bool padding_kept(const uint8_t *in, size_t len, const uint8_t *out, size_t out_len)
{
	size_t l3 = l3_of(in, len), end;

	if (out_len != len || len < l3 + 20 || memcmp(out + l3 + 2, in + l3 + 2, 2) ||
	    out[l3 + 9] != in[l3 + 9])
		return true;
	end = l3 + be16(in + l3 + 2);
	return end >= len || !memcmp(out + end, in + end, len - end);
}

static void print_output(const struct stats *st, const struct run_result *r)
{
	char out[2 * MAX_LEN + 1];

	if (st->fails > MAX_REPORTS)
		return;
	hex(out, sizeof(out), r->out, r->out_len < MAX_LEN ? r->out_len : MAX_LEN);
	printf("#   output (%u bytes): %s\n", r->out_len, out);
}

/* One frame through one program, checked against its class. */
static void check_frame(struct stats *st, const struct frame_ctx *fc0, const uint8_t *f, size_t len)
{
	struct frame_ctx fc = *fc0;
	unsigned long fails = st->fails;
	struct run_result r;
	struct ct_key extra;
	size_t n_ct, n_extra;
	char why[128], key[96], msg[256];
	enum l4 l4;
	int err;

	fc.cls = classify(f, len, &fc.why, &l4);
	err = harness_run(&dp, fc.hook, f, len, 1, &r);
	if (err == -EINVAL && refused_by_test_run(fc.hook, f, len)) {
		st->refused++;
		return;
	}
	if (err) {
		snprintf(msg, sizeof(msg), "BPF_PROG_TEST_RUN failed: %s", strerror(-err));
		report(st, &fc, f, len, "no verdict", msg);
		return;
	}
	st->runs++;
	st->cls[fc.cls]++;
	st->verdicts[fc.cls][r.verdict & 7]++;
	if (fc.cls == C_PARSEABLE)
		st->l4[l4]++;
	if (fc.why) {
		for (int i = 0; i < WHY_MAX; i++) {
			if (!st->why_name[i] || !strcmp(st->why_name[i], fc.why)) {
				st->why_name[i] = fc.why;
				st->why[i]++;
				break;
			}
		}
	}

	if (!verdict_ok(fc.hook, fc.cls, r.verdict))
		report(st, &fc, f, len, verdict_name(fc.hook, r.verdict),
		       r.verdict == V_XDP_ABORTED && fc.hook == HOOK_XDP ?
			       "aborted" :
			       "verdict outside the class");
	else if ((fc.cls == C_NOT_IP4 || fc.cls == C_FRAGMENT) &&
		 (r.out_len != len || memcmp(r.out, f, len)))
		report(st, &fc, f, len, "a changed frame", "frame modified on the pass path");
	else if (fc.hook == HOOK_XDP && (fc.cls == C_NOT_IP4 || fc.cls == C_FRAGMENT)) {
		const struct xdp_meta *m = (const void *)r.meta;
		uint32_t want = fc.cls == C_FRAGMENT ? STAT_FRAGMENT : STAT_PASS;

		if (r.meta_len != sizeof(*m) || m->magic != XCNI_META_MAGIC || m->verdict != want ||
		    m->mark)
			report(st, &fc, f, len, "other metadata",
			       "XDP metadata missing or not the pass verdict");
	}

	/* A frame that goes on keeps right checksums right and its padding
	 * as it was. */
	if (fc.cls == C_PARSEABLE && r.verdict != (fc.hook == HOOK_XDP ? V_XDP_DROP : V_TC_SHOT) &&
	    verdict_ok(fc.hook, fc.cls, r.verdict)) {
		/* (a frame whose checksums were wrong has nothing to keep) */
		bool sums_in = pkt_checksums_ok(f, len, why, sizeof(why));

		if (sums_in && pkt_checksums_ok(r.out, r.out_len, why, sizeof(why))) {
			st->sums_kept++;
		} else if (sums_in) {
			snprintf(msg, sizeof(msg), "checksum broken by the rewrite: %s", why);
			report(st, &fc, f, len, verdict_name(fc.hook, r.verdict), msg);
			print_output(st, &r);
		}
		if (!padding_kept(f, len, r.out, r.out_len)) {
			report(st, &fc, f, len, verdict_name(fc.hook, r.verdict),
			       "bytes past the IP datagram (padding) rewritten");
			print_output(st, &r);
		}
	}

	n_ct = ct_reset(&extra, &n_extra);
	if (fc.cls != C_PARSEABLE && (n_extra || n_ct != n_base)) {
		ct_key_str(key, sizeof(key), &extra);
		snprintf(msg, sizeof(msg), "conntrack went from %zu to %zu entries%s%s", n_base,
			 n_ct, n_extra ? ", new: " : "", n_extra ? key : "");
		report(st, &fc, f, len, verdict_name(fc.hook, r.verdict), msg);
	}
	if (st->fails != fails)
		st->bad_frames++;
}

static const uint8_t interesting[] = { 0x00, 0x01, 0x04, 0x05, 0x06, 0x0f, 0x11, 0x14, 0x20, 0x3f,
				       0x40, 0x45, 0x46, 0x4f, 0x50, 0x7f, 0x80, 0x81, 0xf0, 0xff };

static void flip(uint64_t *s, uint8_t *f, size_t len)
{
	int n = 1 + (int)below(s, 8);

	if (!len)
		return;
	for (int i = 0; i < n; i++) {
		/* Half the flips land in the headers. */
		size_t at = below(s, 2) ? below(s, (uint32_t)(len < 64 ? len : 64)) :
					  below(s, (uint32_t)len);

		if (below(s, 4))
			f[at] ^= (uint8_t)(1 + below(s, 255));
		else
			f[at] = interesting[below(s, sizeof(interesting))];
	}
}

/* Rewrites one header field of an IPv4 frame, keeping (most of the time)
 * the IP header checksum right so the frame gets past a checksumming peer. */
static void mutate_field(uint64_t *s, uint8_t *f, size_t len)
{
	size_t l3 = l3_of(f, len), ihl;
	uint8_t *ip = f + l3, *l4;
	uint16_t sum;

	if (len < l3 + 20)
		return;
	ihl = (size_t)(ip[0] & 0xf) * 4;
	l4 = ip + ihl;
	switch (below(s, 9)) {
	case 0:
		ip[0] = (uint8_t)rnd(s);
		break;
	case 1:
		ip[0] = (uint8_t)((ip[0] & 0xf0) | below(s, 16));
		break;
	case 2: /* near the real length, or anything */
		put_be16(ip + 2,
			 below(s, 2) ? (uint16_t)(len - l3 - 8 + below(s, 17)) : (uint16_t)rnd(s));
		break;
	case 3:
		put_be16(ip + 6, below(s, 2) ? (uint16_t)(below(s, 8) << 13) : (uint16_t)rnd(s));
		break;
	case 4: {
		static const uint8_t protos[] = { 1, 6, 17, 47, 132, 0, 255 };

		ip[9] = protos[below(s, sizeof(protos))];
		break;
	}
	case 5:
		if (l4 + 13 <= f + len)
			l4[12] = (uint8_t)(below(s, 16) << 4 | (l4[12] & 0xf));
		break;
	case 6: /* the quoted header of an ICMP error */
		if (ip[9] == 1 && l4 + 36 <= f + len)
			l4[8 + below(s, 28)] = (uint8_t)rnd(s);
		break;
	case 7: {
		static const uint16_t types[] = { 0x0800, 0x8100, 0x88a8, 0x86dd, 0x0806, 0x9100 };

		put_be16(f + 12, types[below(s, sizeof(types) / sizeof(types[0]))]);
		break;
	}
	default: /* the tag's inner type */
		if (l3 == 18)
			put_be16(f + 16, below(s, 2) ? 0x8100 : (uint16_t)rnd(s));
		break;
	}
	if (below(s, 4) && (ip[0] & 0xf) >= 5 && l3 + (size_t)(ip[0] & 0xf) * 4 <= len) {
		put_be16(ip + 10, 0);
		sum = (uint16_t)~csum_ref(ip, (size_t)(ip[0] & 0xf) * 4, 0);
		put_be16(ip + 10, sum);
	}
}

/* Garbage, sometimes with the start of an IPv4 header to get further in. */
static size_t garbage(uint64_t *s, uint8_t *f)
{
	size_t len = below(s, 201), l3 = 14;

	for (size_t i = 0; i < len; i++)
		f[i] = (uint8_t)rnd(s);
	switch (below(s, 3)) {
	case 0:
		break;
	case 1:
		l3 = 18;
		if (len >= 18) {
			put_be16(f + 12, below(s, 2) ? 0x8100 : 0x88a8);
			put_be16(f + 16, 0x0800);
		}
		/* fall through */
	default:
		if (l3 == 14 && len >= 14)
			put_be16(f + 12, 0x0800);
		if (len > l3)
			f[l3] = (uint8_t)(0x45 + below(s, 11));
		if (len >= l3 + 4 && below(s, 2))
			put_be16(f + l3 + 2, (uint16_t)(len - l3 - below(s, 3)));
		if (len >= l3 + 8 && below(s, 2))
			put_be16(f + l3 + 6, 0);
		if (len >= l3 + 10) {
			static const uint8_t protos[] = { 1, 6, 17 };

			f[l3 + 9] = protos[below(s, 3)];
		}
		break;
	}
	return len;
}

/* Recomputes the IP header checksum and the L4 one (over the datagram as
 * its total length says) of an IPv4 frame. */
static void fix_checksums(uint8_t *f, size_t len)
{
	size_t l3 = l3_of(f, len), ihl, tot, l4len;
	uint8_t *ip = f + l3, *l4;
	uint32_t pseudo;

	if (len < l3 + 20)
		return;
	ihl = (size_t)(ip[0] & 0xf) * 4;
	tot = be16(ip + 2);
	if (ihl < 20 || tot < ihl || l3 + tot > len)
		return;
	put_be16(ip + 10, 0);
	put_be16(ip + 10, (uint16_t)~csum_ref(ip, ihl, 0));
	l4 = ip + ihl;
	l4len = tot - ihl;
	pseudo = (uint32_t)csum_ref(ip + 12, 8, 0) + ip[9] + (uint32_t)l4len;
	if (ip[9] == 6 && l4len >= 20) {
		put_be16(l4 + 16, 0);
		put_be16(l4 + 16, (uint16_t)~csum_ref(l4, l4len, pseudo));
	} else if (ip[9] == 17 && l4len >= 8 && (l4[6] | l4[7])) {
		uint16_t sum;

		put_be16(l4 + 6, 0);
		sum = (uint16_t)~csum_ref(l4, l4len, pseudo);
		put_be16(l4 + 6, sum ? sum : 0xffff);
	} else if (ip[9] == 1 && l4len >= 4) {
		put_be16(l4 + 2, 0);
		put_be16(l4 + 2, (uint16_t)~csum_ref(l4, l4len, 0));
	}
}

/* A consistent frame with Ethernet padding: the datagram shortened (its
 * tail, maybe part of an L4 header or of an ICMP error's quote, becomes
 * padding) and/or padding appended, every checksum right for what is left.
 * Whatever lies past the datagram is not the packet's. */
static size_t pad(uint64_t *s, uint8_t *f, size_t len)
{
	size_t l3 = l3_of(f, len), ihl, tot, n;
	uint8_t *ip = f + l3;

	if (len < l3 + 20 || be16(f + l3 - 2) != 0x0800)
		return len;
	ihl = (size_t)(ip[0] & 0xf) * 4;
	tot = be16(ip + 2);
	if (tot > ihl && below(s, 4))
		put_be16(ip + 2, (uint16_t)(ihl + below(s, (uint32_t)(tot - ihl))));
	n = below(s, 33);
	for (size_t i = 0; i < n && len < MAX_LEN; i++)
		f[len++] = below(s, 2) ? (uint8_t)rnd(s) : 0;
	fix_checksums(f, len);
	return len;
}

static size_t make_frame(uint64_t *s, uint8_t *f, enum mut *m, size_t *from)
{
	size_t len, n;
	uint32_t pick = below(s, 100);

	*from = below(s, N_SEEDS);
	len = built[*from].len;
	memcpy(f, built[*from].f, len);
	if (pick < 4) {
		*m = M_SEED;
	} else if (pick < 40) {
		*m = M_FLIP;
		flip(s, f, len);
	} else if (pick < 54) {
		*m = M_TRUNC;
		len = below(s, (uint32_t)len);
	} else if (pick < 64) {
		*m = M_FLIP_TRUNC;
		flip(s, f, len);
		len = below(s, (uint32_t)len + 1);
	} else if (pick < 74) {
		*m = M_RESIZE;
		n = below(s, 201);
		for (size_t i = len; i < n; i++)
			f[i] = below(s, 2) ? (uint8_t)rnd(s) : 0;
		len = n;
		if (below(s, 2))
			flip(s, f, len);
	} else if (pick < 84) {
		*m = M_GARBAGE;
		*from = N_SEEDS;
		len = garbage(s, f);
	} else if (pick < 90) {
		*m = M_PAD;
		len = pad(s, f, len);
	} else {
		*m = M_FIELD;
		mutate_field(s, f, len);
		if (below(s, 4) == 0)
			flip(s, f, len);
		if (below(s, 4) == 0)
			len = below(s, (uint32_t)len + 1);
	}
	return len;
}

static void print_stats(enum hook h, const struct stats *st, double secs)
{
	static const int xv[] = { V_XDP_ABORTED, V_XDP_DROP, V_XDP_PASS, V_XDP_TX, V_XDP_REDIRECT };
	static const int tv[] = { V_TC_OK, V_TC_SHOT, V_TC_REDIRECT };
	const int *vs = h == HOOK_XDP ? xv : tv;
	int nv = h == HOOK_XDP ? 5 : 3;

	printf("# %s: %lu frames run in %.1f s (seed %llu)", h == HOOK_XDP ? "xdp_node" : "tc_pod",
	       st->runs, secs, (unsigned long long)fuzz_seed);
	if (st->refused)
		printf(", %lu more refused by the kernel's test run (too short)", st->refused);
	printf("\n");
	for (int c = 0; c < C_MAX; c++) {
		printf("#   %-19s %7lu:", cls_name[c], st->cls[c]);
		for (int i = 0; i < nv; i++)
			if (st->verdicts[c][vs[i]])
				printf(" %s %lu", verdict_name(h, (uint32_t)vs[i]),
				       st->verdicts[c][vs[i]]);
		printf("\n");
	}
	printf("#   parseable by L4:");
	for (int i = 0; i < L4_MAX; i++)
		printf(" %s %lu", l4_name[i], st->l4[i]);
	printf("\n#   malformed by defect:");
	for (int i = 0; i < WHY_MAX && st->why_name[i]; i++)
		printf("%s %s %lu", i ? "," : "", st->why_name[i], st->why[i]);
	printf("\n#   made by:");
	for (int i = 0; i < M_MAX; i++)
		printf("%s %s %lu", i ? "," : "", mut_name[i], st->mut[i]);
	printf("\n#   checksums right after the program, input right: %lu frames\n", st->sums_kept);
	fflush(stdout);
}

static void fuzz(enum hook h)
{
	struct stats st = { 0 };
	uint64_t s = fuzz_seed ^ (h == HOOK_XDP ? 0x1111111111111111ull : 0x2222222222222222ull);
	struct frame_ctx fc = { .hook = h };
	uint8_t f[PKT_MAX];
	struct timespec t0, t1;
	size_t len, from;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	ct_restore_values();
	for (fc.iter = 0; st.runs < iters; fc.iter++) {
		len = make_frame(&s, f, &fc.mut, &from);
		fc.from = from < N_SEEDS ? seeds[from].name : "nothing";
		st.mut[fc.mut]++;
		check_frame(&st, &fc, f, len);
		/* Flows' values drift (closing flags, timestamps): back to the
		 * baseline now and then. */
		if (fc.iter % 4096 == 4095)
			ct_restore_values();
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	print_stats(h, &st, (double)(t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9);
	if (st.fails)
		fail_msg("%s: %lu of %lu frames broke the contract (XCNI_FUZZ_SEED=%llu)",
			 h == HOOK_XDP ? "xdp_node" : "tc_pod", st.bad_frames, st.runs,
			 (unsigned long long)fuzz_seed);
	assert_true(st.runs >= iters);
	/* Every class, protocol and normal verdict was exercised. */
	for (int c = 0; c < C_MAX; c++)
		assert_true(st.cls[c] > 0);
	for (int i = 0; i < L4_MAX; i++)
		assert_true(st.l4[i] > 0);
	for (uint32_t v = 0; v < 8; v++)
		if (verdict_ok(h, C_PARSEABLE, v) && !st.verdicts[C_PARSEABLE][v])
			fail_msg("no parseable frame got %s", verdict_name(h, v));
}

static void test_xdp_node_fuzz(void **state)
{
	(void)state;
	fuzz(HOOK_XDP);
}

static void test_tc_pod_fuzz(void **state)
{
	(void)state;
	fuzz(HOOK_TC);
}

static int quiet(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	if (level == LIBBPF_DEBUG)
		return 0;
	return vfprintf(stderr, fmt, ap);
}

static void services(void)
{
	static const char
		*const b1[] = { POD_B1 ":8080" },
		       *const b1_tls[] = { POD_B1 ":8443" }, *const b2[] = { POD_B2 ":5353" },
		       *const r1[] = { REMOTE_B1 ":8080" }, *const r2[] = { REMOTE_B2 ":53" },
		       *const mixed[] = { POD_B1 ":8080", REMOTE_B1 ":8080", POD_B2 ":8080" };
	static const uint8_t b1_mac[6] = { 0x0a, 0x58, 0x0a, 0xf4, 0x01, 0x05 },
			     b2_mac[6] = { 0x0a, 0x58, 0x0a, 0xf4, 0x01, 0x06 },
			     client_mac[6] = POD_CLIENT_MAC, host_mac[6] = VETH_MAC;
	const uint16_t np = SVC_F_NODEPORT, ext = SVC_F_EXTERNAL;

	/* ClusterIPs. */
	harness_service(&dp, CIP, 80, 6, 1, 0, 0, 100, b1, 1);
	harness_service(&dp, CIP, 53, 17, 2, 0, 0, 110, b2, 1);
	harness_service(&dp, CIP_REMOTE, 80, 6, 3, 0, 0, 120, r1, 1);
	harness_service(&dp, CIP_REMOTE, 53, 17, 4, 0, 0, 130, r2, 1);
	harness_service(&dp, CIP_EMPTY, 80, 6, 5, 0, 0, 140, NULL, 0);
	harness_service(&dp, CIP_EMPTY, 53, 17, 6, 0, 0, 150, NULL, 0);
	harness_service(&dp, CIP_AFF, 80, 6, 7, SVC_F_AFFINITY, 10800, 160, mixed, 2);
	/* NodePorts (vip 0: every address of the node). */
	harness_service(&dp, NULL, 30080, 6, 8, np, 0, 170, b1, 1);
	harness_service(&dp, NULL, 30081, 6, 9, np, 0, 180, r1, 1);
	harness_service(&dp, NULL, 30053, 17, 10, np, 0, 190, b2, 1);
	harness_service(&dp, NULL, 30054, 17, 11, np, 0, 200, r2, 1);
	harness_service(&dp, NULL, 30099, 6, 12, np, 0, 210, NULL, 0);
	harness_service(&dp, NULL, 30099, 17, 13, np, 0, 220, NULL, 0);
	harness_service(&dp, NULL, 30090, 6, 14, np, 0, 230, mixed, 3);
	/* An externalIP and a LoadBalancer with externalTrafficPolicy Local. */
	harness_service(&dp, EXT_IP, 443, 6, 15, ext, 0, 240, b1_tls, 1);
	harness_service(&dp, LB_IP, 80, 6, 16, ext | SVC_F_LOCAL, 0, 250, b1, 1);
	harness_service(&dp, LB_IP, 53, 17, 17, ext | SVC_F_LOCAL, 0, 260, b2, 1);

	harness_endpoint(&dp, POD_B1, EP_IFINDEX, b1_mac, host_mac);
	harness_endpoint(&dp, POD_B2, EP_IFINDEX, b2_mac, host_mac);
	harness_endpoint(&dp, POD_CLIENT, EP_IFINDEX, client_mac, host_mac);
	assert_int_equal(dp_tx_port_add(&dp, EP_IFINDEX), 0);
}

/* The datapath in a private namespace, with a conntrack table small enough
 * to walk after every frame. */
static int setup(void **state)
{
	struct dp_opts o = {
		.maglev_m = 1021, .max_ct = 4096, .max_affinity = 1024, .node_ip = ip4(NODE_IP)
	};
	const char *env;
	struct run_result r;
	char msg[256], why[128];
	struct ct_key k, next;
	void *prev = NULL;
	int err;

	(void)state;
	env = getenv("XCNI_FUZZ_SEED");
	fuzz_seed = env && *env ? strtoull(env, NULL, 0) : DEFAULT_SEED;
	env = getenv("XCNI_FUZZ_ITERS");
	if (env && *env)
		iters = strtoul(env, NULL, 0);
	printf("# fuzz seed %llu (XCNI_FUZZ_SEED=%llu reproduces this run), %lu frames per "
	       "program\n",
	       (unsigned long long)fuzz_seed, (unsigned long long)fuzz_seed, iters);

	libbpf_set_print(quiet);
	if (unshare(CLONE_NEWNET)) {
		perror("unshare(CLONE_NEWNET)");
		return -1;
	}
	err = dp_load(&dp, &o, msg, sizeof(msg));
	if (err) {
		fprintf(stderr, "dp_load: %s\n", msg);
		return -1;
	}
	services();

	/* The seeds, each once through the program it is meant for: the
	 * verdicts the fuzzing starts from, and the flows replies belong to. */
	for (size_t i = 0; i < N_SEEDS; i++) {
		built[i].len = pkt_build(built[i].f, &seeds[i].s);
		assert_true(built[i].len <= MAX_LEN);
		if (!pkt_checksums_ok(built[i].f, built[i].len, why, sizeof(why))) {
			fprintf(stderr, "seed \"%s\": %s\n", seeds[i].name, why);
			return -1;
		}
		err = harness_run(&dp, seeds[i].home, built[i].f, built[i].len, 1, &r);
		if (err) {
			fprintf(stderr, "seed \"%s\": test run: %s\n", seeds[i].name,
				strerror(-err));
			return -1;
		}
		if (seeds[i].want >= 0 && r.verdict != (uint32_t)seeds[i].want)
			printf("# note: seed \"%s\" through %s: %s, expected %s\n", seeds[i].name,
			       seeds[i].home == HOOK_XDP ? "xdp_node" : "tc_pod",
			       verdict_name(seeds[i].home, r.verdict),
			       verdict_name(seeds[i].home, (uint32_t)seeds[i].want));
	}
	while (bpf_map_get_next_key(dp.fd_ct, prev, &next) == 0) {
		k = next;
		prev = &k;
		if (n_base == sizeof(base) / sizeof(base[0]))
			return -1;
		base[n_base].k = k;
		if (bpf_map_lookup_elem(dp.fd_ct, &k, &base[n_base].v))
			return -1;
		n_base++;
	}
	printf("# %zu seeds, %zu conntrack entries after them\n", N_SEEDS, n_base);
	fflush(stdout);
	return n_base ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	dp_close(&dp);
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_xdp_node_fuzz),
		cmocka_unit_test(test_tc_pod_fuzz),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
