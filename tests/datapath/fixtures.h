/* Table-driven packet tests: one fixture is a description, a hook, its
 * setup (services, backends, endpoints, clock, packets sent before), the
 * packet in, the verdict, the packet out (byte-exact, built from its own
 * spec and checked by the independent checksum code of pkt_build.c) and
 * the map state after it (conntrack, affinity, stats deltas).
 *
 * Each test program loads the datapath once (harness_init enters a private
 * netns); conntrack and affinity are emptied before every fixture, so a
 * fixture's state is only what its setup and prior packets make. */
#ifndef XCNI_TEST_FIXTURES_H
#define XCNI_TEST_FIXTURES_H

#include "unit.h"

#include <arpa/inet.h>
#include <bpf/bpf.h>

#include "harness.h"
#include "xcni/meta.h"

/* Addresses (NODE_IP is the harness's). */
#define CLIENT "203.0.113.7" /* outside the cluster */
#define ROUTER "192.168.1.1" /* a hop on the node's network */
#define OTHER_NODE "192.168.1.11"
#define OUTSIDE "8.8.8.8"
#define POD "10.244.1.5" /* a client pod on this node */
#define LOCAL_BE "10.244.1.20" /* a backend pod on this node */
#define LOCAL_BE_NOTX "10.244.1.21" /* on this node, veth not a redirect target */
#define OTHER_POD "10.244.2.50" /* a pod on another node */
#define REMOTE_BE "10.244.2.30" /* backends on other nodes */
#define REMOTE_BE2 "10.244.2.31"
#define REMOTE_BE3 "10.244.3.40"
#define VIP_TCP "10.96.0.10" /* :80 -> LOCAL_BE:8080 */
#define VIP_REMOTE "10.96.0.11" /* :80 -> REMOTE_BE:8080 */
#define VIP_UDP "10.96.0.53" /* :53 -> REMOTE_BE:5353 */
#define VIP_UDP_LOCAL "10.96.0.54" /* :53 -> LOCAL_BE:5353 */
#define VIP_EMPTY "10.96.0.99" /* :80/tcp and :53/udp, no backends */
#define VIP_CHANGE "10.96.0.20" /* :80 -> REMOTE_BE, then REMOTE_BE2 */
#define VIP_AFF "10.96.0.30" /* :80 -> REMOTE_BE, REMOTE_BE2 */
#define EXT_IP "198.51.100.20" /* :443 -> REMOTE_BE:8443 */
#define EXT_IP_LOCAL "198.51.100.21" /* :443 -> LOCAL_BE:8443 */

/* NodePorts (service key vip 0). */
#define NP_LOCAL 30080 /* tcp -> LOCAL_BE:8080 */
#define NP_REMOTE 30081 /* tcp -> REMOTE_BE:8080 */
#define NP_POLICY_LOCAL 30082 /* tcp, externalTrafficPolicy Local -> REMOTE_BE3:8080 */
#define NP_UDP_LOCAL 30083 /* udp -> LOCAL_BE:5353 */
#define NP_UDP_REMOTE 30084 /* udp -> REMOTE_BE:5353 */
#define NP_NOTX 30085 /* tcp -> LOCAL_BE_NOTX:8080 */
#define NP_EMPTY_TCP 30090
#define NP_EMPTY_UDP 30091
#define NP_LOCAL_ELSEWHERE 30092 /* tcp, Local, endpoints on other nodes only */

/* Service ids; a service's backend ids start at 10 * its id. */
enum {
	SVC_TCP = 1,
	SVC_REMOTE,
	SVC_UDP,
	SVC_UDP_LOCAL,
	SVC_EMPTY_TCP,
	SVC_EMPTY_UDP,
	SVC_CHANGE,
	SVC_AFF,
	SVC_EXT,
	SVC_EXT_LOCAL,
	SVC_NP_LOCAL = 20,
	SVC_NP_REMOTE,
	SVC_NP_POLICY_LOCAL,
	SVC_NP_UDP_LOCAL,
	SVC_NP_UDP_REMOTE,
	SVC_NP_NOTX,
	SVC_NP_EMPTY_TCP,
	SVC_NP_EMPTY_UDP,
	SVC_NP_LOCAL_ELSEWHERE,
};
#define BE_ID(svc, i) ((svc)*10 + (i))

/* MACs: the node's device, its neighbours, each pod and its host-side veth. */
#define MAC_NODE                       \
	{                              \
		0x02, 0, 0, 0, 0, 0x0a \
	}
#define MAC_ROUTER                     \
	{                              \
		0x02, 0, 0, 0, 0, 0x01 \
	}
#define MAC_OTHER_NODE                 \
	{                              \
		0x02, 0, 0, 0, 0, 0x0b \
	}
#define MAC_POD                           \
	{                                 \
		0x0e, 0, 0, 0, 0x01, 0x05 \
	}
#define MAC_POD_HOST                      \
	{                                 \
		0x0e, 0, 0, 0, 0x02, 0x05 \
	}
#define MAC_BE                            \
	{                                 \
		0x0e, 0, 0, 0, 0x01, 0x20 \
	}
#define MAC_BE_HOST                       \
	{                                 \
		0x0e, 0, 0, 0, 0x02, 0x20 \
	}
#define MAC_NOTX                          \
	{                                 \
		0x0e, 0, 0, 0, 0x01, 0x21 \
	}
#define MAC_NOTX_HOST                     \
	{                                 \
		0x0e, 0, 0, 0, 0x02, 0x21 \
	}

/* Frame addressing per leg. */
#define FROM_WIRE .src_mac = MAC_ROUTER, .dst_mac = MAC_NODE
#define FROM_NODE2 .src_mac = MAC_OTHER_NODE, .dst_mac = MAC_NODE
#define FROM_POD .src_mac = MAC_POD, .dst_mac = MAC_POD_HOST
#define FROM_BE .src_mac = MAC_BE, .dst_mac = MAC_BE_HOST
#define TO_POD .src_mac = MAC_POD_HOST, .dst_mac = MAC_POD
#define TO_BE .src_mac = MAC_BE_HOST, .dst_mac = MAC_BE
#define BACK_TO_WIRE .src_mac = MAC_NODE, .dst_mac = MAC_ROUTER

#define TCP 6
#define UDP 17
#define ICMP 1
#define FIN 0x01
#define SYN 0x02
#define RST 0x04
#define PSH 0x08
#define ACK 0x10

#define T0 1000 /* the clock fixtures start at */
#define TTL_IN 64
/* Delivery into a pod's veth (XDP redirect, TC redirect_peer) skips the
 * stack's forwarding but is the same routed hop: the stack, Cilium and
 * Calico all decrement the TTL there (xdp_node's own fib path does too). */
#define TTL_DELIVERED (TTL_IN - 1)

/* Byte offsets in an untagged frame without IP options. */
#define OFF_IP_TOTLEN (OFF_IP + 2)
#define OFF_IP_ID (OFF_IP + 4)
#define OFF_TCP_WIN (OFF_L4 + 14)
#define OFF_ICMP_MTU (OFF_L4 + 6)

#define FX_MAX_PRIOR 4
#define FX_MAX_PATCH 4
#define FX_MAX_CT 4
#define FX_MAX_AFF 2
#define FX_MAX_STATS 4
#define FX_ANY (-1) /* a stats delta not checked */
#define FX_ANY_U32 0xffffffffu /* a meta field not checked */

/* A packet (or an action) before the one under test. */
struct fx_step {
	enum hook hook;
	uint32_t clock; /* 0 keeps the clock */
	struct pkt_spec pkt;
	uint32_t verdict; /* what the packet must get */
	void (*action)(const struct datapath *dp); /* instead of a packet */
};

/* size bytes (1, 2 or 4, network order) of val at off; size 0 ends. */
struct fx_patch {
	uint16_t off;
	uint8_t size;
	uint32_t val;
};
#define P8(o, v)                                  \
	{                                         \
		.off = (o), .size = 1, .val = (v) \
	}
#define P16(o, v)                                 \
	{                                         \
		.off = (o), .size = 2, .val = (v) \
	}

enum fx_fix {
	FIX_NONE,
	FIX_IP, /* recompute the IP header checksum after the patches */
	FIX_ALL, /* and the L4 (TCP, UDP unless 0, ICMP) one */
};

enum fx_out {
	OUT_SPEC, /* built from .out, patched with .out_patch */
	OUT_SAME, /* the input, unchanged */
};

/* A conntrack entry that must exist; rewrite fields are compared when
 * the flags say they are used. */
struct fx_ct {
	const char *saddr, *daddr;
	uint16_t sport, dport;
	uint8_t proto;
	uint16_t flags;
	const char *to_saddr; /* with CT_F_REWRITE_SRC */
	uint16_t to_sport;
	const char *to_daddr; /* with CT_F_REWRITE_DST */
	uint16_t to_dport;
	uint32_t backend;
};

struct fx_aff {
	const char *client;
	uint32_t svc_id;
	uint32_t backend;
	uint32_t last_used;
};

struct fx_stat {
	enum stat_reason reason;
	int delta;
};

struct fixture {
	const char *desc;
	enum hook hook;
	void (*setup)(const struct datapath *dp); /* after the maps are emptied */
	uint32_t clock; /* for the packet under test; 0: as left */
	struct fx_step prior[FX_MAX_PRIOR];

	/* The packet in: built from .in, or .raw; then cut or padded to
	 * in_len, patched, fixed. */
	struct pkt_spec in;
	const uint8_t *raw;
	size_t raw_len;
	size_t in_len;
	struct fx_patch in_patch[FX_MAX_PATCH];
	enum fx_fix in_fix;

	uint32_t verdict;
	enum fx_out out_kind;
	struct pkt_spec out;
	size_t out_len; /* 0: as built */
	struct fx_patch out_patch[FX_MAX_PATCH];
	enum fx_fix out_fix;

	bool meta; /* XDP_PASS: the metadata xdp_node leaves */
	uint32_t meta_mark;
	uint32_t meta_verdict;

	/* Map state after the packet: exactly ct_n conntrack entries among
	 * which ct[], exactly aff_n affinity entries among which aff[]; stats
	 * deltas of the packet under test, every reason not listed unchanged
	 * (unless stats_any). */
	size_t ct_n;
	struct fx_ct ct[FX_MAX_CT];
	size_t aff_n;
	struct fx_aff aff[FX_MAX_AFF];
	struct fx_stat stats[FX_MAX_STATS];
	bool stats_any;
	void (*check)(const struct datapath *dp, const struct run_result *r);
};

static struct datapath fx_dp;

static const char *const fx_stat_names[STAT_MAX] = {
	"PASS",		 "TX",		 "REDIRECT",	 "DNAT",
	"CT_HIT",	 "REV_NAT",	 "REJECT",	 "DROP_MALFORMED",
	"DROP_NO_ROUTE", "DROP_CT_FULL", "DROP_NO_ROOM", "FRAGMENT",
};

static inline void fx_put(uint8_t *p, uint8_t size, uint32_t v)
{
	for (int i = size - 1; i >= 0; i--, v >>= 8)
		p[i] = (uint8_t)v;
}

static inline void fx_apply(uint8_t *buf, const struct fx_patch *p)
{
	for (int i = 0; i < FX_MAX_PATCH && p[i].size; i++)
		fx_put(buf + p[i].off, p[i].size, p[i].val);
}

/* Recomputes checksums with the reference sum (pkt_build.c). */
static inline void fx_fix(uint8_t *f, size_t len, enum fx_fix how)
{
	size_t off = 14, ihl, tot, l4len;
	uint8_t *ip, *l4;
	uint16_t sum;
	uint32_t ph;

	if (how == FIX_NONE)
		return;
	if (f[12] == 0x81 && f[13] == 0x00)
		off += 4;
	ip = f + off;
	ihl = (ip[0] & 0xf) * 4;
	if (ihl < 20)
		ihl = 20;
	if (off + ihl > len)
		return;
	fx_put(ip + 10, 2, 0);
	fx_put(ip + 10, 2, (uint16_t)~csum_ref(ip, ihl, 0));
	if (how != FIX_ALL)
		return;
	tot = (size_t)(ip[2] << 8 | ip[3]);
	l4 = ip + ihl;
	l4len = tot - ihl;
	ph = csum_ref(ip + 12, 8, 0) + ip[9] + (uint32_t)l4len;
	if (ip[9] == TCP) {
		fx_put(l4 + 16, 2, 0);
		fx_put(l4 + 16, 2, (uint16_t)~csum_ref(l4, l4len, ph));
	} else if (ip[9] == UDP && (l4[6] | l4[7])) {
		fx_put(l4 + 6, 2, 0);
		sum = (uint16_t)~csum_ref(l4, l4len, ph);
		fx_put(l4 + 6, 2, sum ? sum : 0xffff);
	} else if (ip[9] == ICMP) {
		fx_put(l4 + 2, 2, 0);
		fx_put(l4 + 2, 2, (uint16_t)~csum_ref(l4, l4len, 0));
	}
}

/* Builds the input; *valid says whether it is a well-formed frame whose
 * output must pass the checksum check (not raw, cut, or patched without
 * fixing every checksum). */
static inline size_t fx_build_in(const struct fixture *f, uint8_t *buf, bool *valid)
{
	size_t len;

	memset(buf, 0, PKT_MAX);
	if (f->raw) {
		memcpy(buf, f->raw, f->raw_len);
		len = f->raw_len;
	} else {
		len = pkt_build(buf, &f->in);
	}
	*valid = !f->raw && (!f->in_len || f->in_len >= len) &&
		 (!f->in_patch[0].size || f->in_fix == FIX_ALL);
	if (f->in_len)
		len = f->in_len; /* pkt_build zeroed the rest: padding */
	fx_apply(buf, f->in_patch);
	fx_fix(buf, len, f->in_fix);
	return len;
}

static inline void fx_hexdump(const char *what, const uint8_t *b, size_t len)
{
	char line[16 * 3 + 1];

	print_error("%s (%zu bytes):\n", what, len);
	for (size_t i = 0; i < len; i += 16) {
		size_t n = 0;

		for (size_t j = i; j < len && j < i + 16; j++)
			n += (size_t)snprintf(line + n, sizeof(line) - n, "%02x ", b[j]);
		print_error("  %04zx  %s\n", i, line);
	}
}

static inline const char *fx_verdict_name(enum hook h, uint32_t v)
{
	static const char *const xdp[] = { "XDP_ABORTED", "XDP_DROP", "XDP_PASS", "XDP_TX",
					   "XDP_REDIRECT" };

	if (h == HOOK_XDP)
		return v < 5 ? xdp[v] : "?";
	return v == V_TC_OK	  ? "TC_ACT_OK" :
	       v == V_TC_SHOT	  ? "TC_ACT_SHOT" :
	       v == V_TC_REDIRECT ? "TC_ACT_REDIRECT" :
				    "?";
}

static inline void fx_send(enum hook h, const uint8_t *buf, size_t len, struct run_result *r)
{
	int err = harness_run(&fx_dp, h, buf, len, 1, r);

	if (err)
		fail_msg("bpf_prog_test_run: %s", strerror(-err));
}

static inline void fx_step_run(const struct fx_step *s, size_t i)
{
	uint8_t buf[PKT_MAX];
	struct run_result r;
	size_t len;

	if (s->clock)
		assert_int_equal(dp_clock_set(&fx_dp, s->clock), 0);
	if (s->action) {
		s->action(&fx_dp);
		return;
	}
	len = pkt_build(buf, &s->pkt);
	fx_send(s->hook, buf, len, &r);
	if (r.verdict != s->verdict)
		fail_msg("prior packet %zu: verdict %s, expected %s", i,
			 fx_verdict_name(s->hook, r.verdict), fx_verdict_name(s->hook, s->verdict));
}

static inline bool fx_step_empty(const struct fx_step *s)
{
	return !s->action && !s->pkt.saddr && !s->pkt.ethertype;
}

static inline void fx_check_out(const struct fixture *f, const uint8_t *in, size_t in_len,
				bool valid, const struct run_result *r)
{
	uint8_t exp[PKT_MAX];
	size_t exp_len;
	char why[128];

	if (f->out_kind == OUT_SAME) {
		memcpy(exp, in, in_len);
		exp_len = in_len;
	} else {
		exp_len = pkt_build(exp, &f->out);
		if (f->out_len)
			exp_len = f->out_len;
		fx_apply(exp, f->out_patch);
		fx_fix(exp, exp_len, f->out_fix);
	}
	if (r->out_len != exp_len || memcmp(r->out, exp, exp_len)) {
		size_t i = 0;

		while (i < exp_len && i < r->out_len && r->out[i] == exp[i])
			i++;
		fx_hexdump("expected", exp, exp_len);
		fx_hexdump("actual", r->out, r->out_len);
		fail_msg("packet out differs at byte %zu (expected %zu bytes, got %u)", i, exp_len,
			 r->out_len);
	}
	/* The independent check: every checksum of what came out. */
	if (valid && !pkt_checksums_ok(r->out, r->out_len, why, sizeof(why)))
		fail_msg("packet out: %s", why);
}

static inline void fx_check_meta(const struct fixture *f, const struct run_result *r)
{
	struct xdp_meta m;

	if (f->hook != HOOK_XDP)
		return;
	if (!f->meta) {
		if (r->meta_len)
			fail_msg("unexpected %u bytes of XDP metadata", r->meta_len);
		return;
	}
	if (r->meta_len != sizeof(m))
		fail_msg("XDP metadata: %u bytes, expected %zu", r->meta_len, sizeof(m));
	memcpy(&m, r->meta, sizeof(m));
	assert_int_equal(m.magic, XCNI_META_MAGIC);
	assert_int_equal(m.rx_queue, 0);
	if (f->meta_mark != FX_ANY_U32 && m.mark != f->meta_mark)
		fail_msg("XDP metadata mark %#x, expected %#x", m.mark, f->meta_mark);
	if (f->meta_verdict != FX_ANY_U32 && m.verdict != f->meta_verdict)
		fail_msg("XDP metadata verdict %s, expected %s",
			 m.verdict < STAT_MAX ? fx_stat_names[m.verdict] : "?",
			 f->meta_verdict < STAT_MAX ? fx_stat_names[f->meta_verdict] : "?");
}

static inline void fx_check_ct(const struct fixture *f)
{
	size_t n = harness_ct_count(&fx_dp);

	for (int i = 0; i < FX_MAX_CT && f->ct[i].saddr; i++) {
		const struct fx_ct *e = &f->ct[i];
		struct ct_value v;

		if (!harness_ct_get(&fx_dp, e->saddr, e->sport, e->daddr, e->dport, e->proto, &v))
			fail_msg("no conntrack entry %s:%u -> %s:%u/%u", e->saddr, e->sport,
				 e->daddr, e->dport, e->proto);
		if (v.flags != e->flags)
			fail_msg("conntrack %s:%u -> %s:%u: flags %#x, expected %#x", e->saddr,
				 e->sport, e->daddr, e->dport, v.flags, e->flags);
		if (v.backend_id != e->backend)
			fail_msg("conntrack %s:%u -> %s:%u: backend %u, expected %u", e->saddr,
				 e->sport, e->daddr, e->dport, v.backend_id, e->backend);
		if (e->flags & CT_F_REWRITE_SRC) {
			assert_int_equal(ntohl(v.saddr), ntohl(ip4(e->to_saddr)));
			assert_int_equal(ntohs(v.sport), e->to_sport);
		}
		if (e->flags & CT_F_REWRITE_DST) {
			assert_int_equal(ntohl(v.daddr), ntohl(ip4(e->to_daddr)));
			assert_int_equal(ntohs(v.dport), e->to_dport);
		}
	}
	if (n != f->ct_n)
		fail_msg("%zu conntrack entries, expected %zu", n, f->ct_n);
}

static inline void fx_check_aff(const struct fixture *f)
{
	size_t n = harness_affinity_count(&fx_dp);

	for (int i = 0; i < FX_MAX_AFF && f->aff[i].client; i++) {
		struct affinity_value v;

		if (!harness_affinity_get(&fx_dp, f->aff[i].client, f->aff[i].svc_id, &v))
			fail_msg("no affinity entry for %s, service %u", f->aff[i].client,
				 f->aff[i].svc_id);
		if (v.backend_id != f->aff[i].backend)
			fail_msg("affinity backend %u, expected %u", v.backend_id,
				 f->aff[i].backend);
		if (v.last_used != f->aff[i].last_used)
			fail_msg("affinity last used %u, expected %u", v.last_used,
				 f->aff[i].last_used);
	}
	if (n != f->aff_n)
		fail_msg("%zu affinity entries, expected %zu", n, f->aff_n);
}

static inline void fx_check_stats(const struct fixture *f, const struct stat_value *before,
				  const struct stat_value *after)
{
	if (f->stats_any)
		return;
	for (int r = 0; r < STAT_MAX; r++) {
		int64_t got = (int64_t)(after[r].packets - before[r].packets), want = 0;

		for (int i = 0; i < FX_MAX_STATS; i++)
			if (f->stats[i].delta && (int)f->stats[i].reason == r)
				want = f->stats[i].delta;
		if (want != FX_ANY && got != want)
			fail_msg("stats %s: +%lld, expected +%lld", fx_stat_names[r],
				 (long long)got, (long long)want);
	}
}

/* Runs one fixture (cmocka's state is the fixture). */
static inline void fx_run(void **state)
{
	const struct fixture *f = *state;
	struct stat_value before[STAT_MAX], after[STAT_MAX];
	uint8_t in[PKT_MAX];
	struct run_result r;
	bool valid;
	size_t len;
	int err;

	harness_ct_clear(&fx_dp);
	harness_affinity_clear(&fx_dp);
	assert_int_equal(dp_clock_set(&fx_dp, T0), 0);
	if (f->setup)
		f->setup(&fx_dp);
	for (size_t i = 0; i < FX_MAX_PRIOR && !fx_step_empty(&f->prior[i]); i++)
		fx_step_run(&f->prior[i], i);
	if (f->clock)
		assert_int_equal(dp_clock_set(&fx_dp, f->clock), 0);

	len = fx_build_in(f, in, &valid);
	assert_int_equal(dp_stats_read(&fx_dp, before), 0);
	err = harness_run(&fx_dp, f->hook, in, len, 1, &r);
	if (err)
		fail_msg("bpf_prog_test_run: %s", strerror(-err));
	assert_int_equal(dp_stats_read(&fx_dp, after), 0);

	if (r.verdict != f->verdict)
		fail_msg("verdict %s, expected %s", fx_verdict_name(f->hook, r.verdict),
			 fx_verdict_name(f->hook, f->verdict));
	fx_check_out(f, in, len, valid, &r);
	fx_check_meta(f, &r);
	fx_check_ct(f);
	fx_check_aff(f);
	fx_check_stats(f, before, after);
	if (f->check)
		f->check(&fx_dp, &r);
}

/* One cmocka test per fixture, named by its description. */
static inline int fx_run_all(const char *group, const struct fixture *t, size_t n,
			     CMFixtureFunction setup)
{
	struct CMUnitTest *tests = calloc(n, sizeof(*tests));
	int rc;

	if (!tests)
		return 1;
	for (size_t i = 0; i < n; i++) {
		tests[i].name = t[i].desc;
		tests[i].test_func = fx_run;
		tests[i].initial_state = (void *)&t[i];
	}
	rc = _cmocka_run_group_tests(group, tests, n, setup, NULL);
	free(tests);
	return rc;
}

/* The UDP checksum of the datagram an ICMP error quotes, when the quote
 * holds all of it (8 bytes of header, no payload): valid or absent. */
static inline void fx_check_quoted_udp(const struct run_result *r)
{
	const uint8_t *ip = r->out + OFF_IP, *icmp, *q, *qudp;
	size_t ihl = (ip[0] & 0xf) * 4, qihl, qlen;
	uint32_t ph;

	icmp = ip + ihl;
	q = icmp + 8;
	qihl = (q[0] & 0xf) * 4;
	qudp = q + qihl;
	assert_int_equal(q[9], UDP);
	qlen = (size_t)(qudp[4] << 8 | qudp[5]);
	assert_int_equal(qlen, 8);
	assert_true(qudp + qlen <= r->out + r->out_len);
	if (!(qudp[6] | qudp[7]))
		return;
	ph = csum_ref(q + 12, 8, 0) + UDP + (uint32_t)qlen;
	if (csum_ref(qudp, qlen, ph) != 0xffff)
		fail_msg("quoted UDP checksum %02x%02x wrong", qudp[6], qudp[7]);
}

/* Services, backends, endpoints and redirect targets every fixture shares;
 * fixtures that change a service install it themselves. */
static inline void fx_svc(const char *vip, uint16_t port, uint8_t proto, uint32_t id,
			  uint16_t flags, const char *backend)
{
	const char *const b[] = { backend };

	harness_service(&fx_dp, vip, port, proto, id, flags, 0, BE_ID(id, 0), b, backend ? 1 : 0);
}

static inline int fx_group_setup(void **state)
{
	static const uint8_t pod[] = MAC_POD, pod_host[] = MAC_POD_HOST, be[] = MAC_BE,
			     be_host[] = MAC_BE_HOST, notx[] = MAC_NOTX,
			     notx_host[] = MAC_NOTX_HOST;

	(void)state;
	harness_init(&fx_dp, 0);
	harness_endpoint(&fx_dp, POD, (uint32_t)harness_veth(&fx_dp, "xcpod", true), pod, pod_host);
	harness_endpoint(&fx_dp, LOCAL_BE, (uint32_t)harness_veth(&fx_dp, "xcbe", true), be,
			 be_host);
	harness_endpoint(&fx_dp, LOCAL_BE_NOTX, (uint32_t)harness_veth(&fx_dp, "xcnotx", false),
			 notx, notx_host);

	fx_svc(VIP_TCP, 80, TCP, SVC_TCP, 0, LOCAL_BE ":8080");
	fx_svc(VIP_REMOTE, 80, TCP, SVC_REMOTE, 0, REMOTE_BE ":8080");
	fx_svc(VIP_UDP, 53, UDP, SVC_UDP, 0, REMOTE_BE ":5353");
	fx_svc(VIP_UDP_LOCAL, 53, UDP, SVC_UDP_LOCAL, 0, LOCAL_BE ":5353");
	fx_svc(VIP_EMPTY, 80, TCP, SVC_EMPTY_TCP, 0, NULL);
	fx_svc(VIP_EMPTY, 53, UDP, SVC_EMPTY_UDP, 0, NULL);
	fx_svc(EXT_IP, 443, TCP, SVC_EXT, SVC_F_EXTERNAL, REMOTE_BE ":8443");
	fx_svc(EXT_IP_LOCAL, 443, TCP, SVC_EXT_LOCAL, SVC_F_EXTERNAL, LOCAL_BE ":8443");
	fx_svc(NULL, NP_LOCAL, TCP, SVC_NP_LOCAL, SVC_F_NODEPORT, LOCAL_BE ":8080");
	fx_svc(NULL, NP_REMOTE, TCP, SVC_NP_REMOTE, SVC_F_NODEPORT, REMOTE_BE ":8080");
	fx_svc(NULL, NP_POLICY_LOCAL, TCP, SVC_NP_POLICY_LOCAL, SVC_F_NODEPORT | SVC_F_LOCAL,
	       REMOTE_BE3 ":8080");
	fx_svc(NULL, NP_UDP_LOCAL, UDP, SVC_NP_UDP_LOCAL, SVC_F_NODEPORT, LOCAL_BE ":5353");
	fx_svc(NULL, NP_UDP_REMOTE, UDP, SVC_NP_UDP_REMOTE, SVC_F_NODEPORT, REMOTE_BE ":5353");
	fx_svc(NULL, NP_NOTX, TCP, SVC_NP_NOTX, SVC_F_NODEPORT, LOCAL_BE_NOTX ":8080");
	fx_svc(NULL, NP_EMPTY_TCP, TCP, SVC_NP_EMPTY_TCP, SVC_F_NODEPORT, NULL);
	fx_svc(NULL, NP_EMPTY_UDP, UDP, SVC_NP_EMPTY_UDP, SVC_F_NODEPORT, NULL);
	fx_svc(NULL, NP_LOCAL_ELSEWHERE, TCP, SVC_NP_LOCAL_ELSEWHERE,
	       SVC_F_NODEPORT | SVC_F_LOCAL | SVC_F_DROP_EMPTY, NULL);
	return 0;
}

#endif
