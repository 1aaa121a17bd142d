/* The per-CPU flow cache in front of conntrack: a flow's packets are
 * served from it within a clock tick, and whoever deletes or rewrites a
 * conntrack entry (user space, or the datapath itself) makes every cached
 * copy stale; and pass entries, for untranslated traffic, go stale when a
 * conntrack entry, service or endpoint appears for them. The process
 * stays on one CPU: the cache is per CPU. */
#include "unit.h"

#include <arpa/inet.h>
#include <sched.h>
#include <string.h>
#include <bpf/bpf.h>

#include "harness.h"

#define POD "10.244.0.5"
#define VIP "10.96.0.10"
#define VIP2 "10.96.0.11"
#define BACKEND "10.244.0.20"
#define OTHER "10.244.0.21"
#define VIP_UDP "10.96.0.12"
#define VIP_LATER "10.96.0.13"
#define CLIENT "10.1.2.3" /* outside the cluster */
#define T0 1000
#define OFF_SADDR 26 /* Ethernet, then IPv4 */
#define OFF_DADDR 30

static struct datapath dp;

static const char *const backends[] = { BACKEND ":8080" };

static struct pkt_spec flow(uint8_t tcp_flags)
{
	struct pkt_spec s = { .src_mac = { 2, 0, 0, 0, 0, 5 },
			      .dst_mac = { 2, 0, 0, 0, 1, 5 },
			      .saddr = POD,
			      .daddr = VIP,
			      .proto = 6,
			      .sport = 40000,
			      .dport = 80,
			      .tcp_flags = tcp_flags,
			      .seq = 1 };
	return s;
}

/* The backend's answer, as it arrives on the backend's veth. */
static struct pkt_spec reply(uint8_t tcp_flags)
{
	struct pkt_spec s = flow(tcp_flags);

	s.saddr = BACKEND;
	s.sport = 8080;
	s.daddr = POD;
	s.dport = 40000;
	return s;
}

/* Runs s through tc_pod at clock; returns the address at off afterwards. */
static uint32_t send_addr(const struct pkt_spec *s, uint32_t clock, size_t off)
{
	uint8_t buf[PKT_MAX];
	struct run_result r;
	size_t len = pkt_build(buf, s);
	uint32_t a;

	assert_int_equal(dp_clock_set(&dp, clock), 0);
	assert_int_equal(harness_run(&dp, HOOK_TC, buf, len, 1, &r), 0);
	assert_true(r.out_len >= off + 4);
	memcpy(&a, r.out + off, 4);
	return a;
}

static struct ct_key fwd_key(void)
{
	struct ct_key k = { .saddr = ip4(POD),
			    .daddr = ip4(VIP),
			    .sport = htons(40000),
			    .dport = htons(80),
			    .proto = 6 };
	return k;
}

/* Points the flow's forward entry at another backend behind the
 * datapath's back, as a stale cache would not notice. */
static void ct_retarget(const char *to)
{
	struct ct_key k = fwd_key();
	struct ct_value v;

	assert_int_equal(bpf_map_lookup_elem(dp.fd_ct, &k, &v), 0);
	v.daddr = ip4(to);
	assert_int_equal(bpf_map_update_elem(dp.fd_ct, &k, &v, BPF_EXIST), 0);
}

static uint32_t gen(void)
{
	uint32_t zero = 0, g;

	assert_int_equal(bpf_map_lookup_elem(dp.fd_flow_gen, &zero, &g), 0);
	return g;
}

static int reset(void **state)
{
	(void)state;
	harness_ct_clear(&dp);
	return 0;
}

static void test_a_flow_is_served_from_the_cache_within_a_tick(void **state)
{
	struct pkt_spec syn = flow(0x02), data = flow(0x10);

	(void)state;
	assert_int_equal(send_addr(&syn, T0, OFF_DADDR), ip4(BACKEND));
	assert_int_equal(send_addr(&data, T0, OFF_DADDR), ip4(BACKEND)); /* cached here */
	ct_retarget(OTHER);
	/* Unflushed, the cached copy still answers ... */
	assert_int_equal(send_addr(&data, T0, OFF_DADDR), ip4(BACKEND));
	/* ... until user space says conntrack changed. */
	assert_int_equal(dp_flow_cache_flush(&dp), 0);
	assert_int_equal(send_addr(&data, T0, OFF_DADDR), ip4(OTHER));
}

static void test_a_new_tick_reads_conntrack_again_and_keeps_it_fresh(void **state)
{
	struct pkt_spec syn = flow(0x02), data = flow(0x10);
	struct ct_value v;

	(void)state;
	send_addr(&syn, T0, OFF_DADDR);
	send_addr(&data, T0, OFF_DADDR);
	ct_retarget(OTHER);
	assert_int_equal(send_addr(&data, T0 + 1, OFF_DADDR), ip4(OTHER));
	/* The GC sees the flow alive: conntrack was touched, not just the cache. */
	assert_true(harness_ct_get(&dp, POD, 40000, VIP, 80, 6, &v));
	assert_int_equal(v.last_seen, T0 + 1);
}

static void test_fin_and_rst_go_to_conntrack_past_the_cache(void **state)
{
	struct pkt_spec syn = flow(0x02), data = flow(0x10), fin = flow(0x11), rst = reply(0x04);
	struct ct_value v;

	(void)state;
	send_addr(&syn, T0, OFF_DADDR);
	send_addr(&data, T0, OFF_DADDR);
	send_addr(&fin, T0, OFF_DADDR);
	assert_true(harness_ct_get(&dp, POD, 40000, VIP, 80, 6, &v));
	assert_true(v.flags & CT_F_CLOSING);

	harness_ct_clear(&dp);
	send_addr(&syn, T0, OFF_DADDR);
	send_addr(&rst, T0, OFF_SADDR);
	assert_true(harness_ct_get(&dp, BACKEND, 8080, POD, 40000, 6, &v));
	assert_true(v.flags & CT_F_CLOSING);
}

/* The datapath reaps a closed flow when a SYN reuses its reply tuple: the
 * backend's answer to that new connection must not be translated from a
 * copy of the reaped entry cached earlier in the same tick. */
static void test_reaping_a_closed_flow_makes_cached_copies_stale(void **state)
{
	struct pkt_spec syn = flow(0x02), fin = flow(0x11), direct = flow(0x02);
	struct pkt_spec rep = reply(0x10), synack = reply(0x12);
	uint32_t g;

	(void)state;
	direct.daddr = BACKEND;
	direct.dport = 8080;
	send_addr(&syn, T0, OFF_DADDR);
	assert_int_equal(send_addr(&rep, T0, OFF_SADDR), ip4(VIP)); /* reply cached */
	send_addr(&fin, T0, OFF_DADDR);
	g = gen();
	send_addr(&direct, T0, OFF_DADDR);
	assert_int_equal(harness_ct_count(&dp), 0);
	assert_int_not_equal(gen(), g);
	assert_int_equal(send_addr(&synack, T0, OFF_SADDR), ip4(BACKEND));
}

/* A new flow whose replies take another flow's reply tuple (the same
 * client port towards the same backend through two services) rewrites
 * that entry: cached copies of it go stale. */
static void test_a_new_flow_taking_a_reply_tuple_makes_cached_copies_stale(void **state)
{
	struct pkt_spec syn = flow(0x02), rep = reply(0x10), syn2 = flow(0x02);
	uint32_t g;

	(void)state;
	syn2.daddr = VIP2;
	send_addr(&syn, T0, OFF_DADDR);
	assert_int_equal(send_addr(&rep, T0, OFF_SADDR), ip4(VIP));
	g = gen();
	send_addr(&syn2, T0, OFF_DADDR);
	assert_int_not_equal(gen(), g);
	assert_int_equal(send_addr(&rep, T0, OFF_SADDR), ip4(VIP2));
}

static void test_gc_expiring_entries_flushes_the_cache(void **state)
{
	struct pkt_spec syn = flow(0x02);
	struct ct_gc_result res;
	uint32_t g;

	(void)state;
	send_addr(&syn, T0, OFF_DADDR);
	g = gen();
	assert_int_equal(dp_ct_gc(&dp, T0 + 1, &res), 0);
	assert_int_equal(res.expired, 0);
	assert_int_equal(gen(), g); /* nothing deleted, nothing to forget */
	assert_int_equal(dp_ct_gc(&dp, T0 + CT_TIMEOUT_TCP + 1, &res), 0);
	assert_int_equal(res.expired, 2);
	assert_int_not_equal(gen(), g);
}

/* Runs s through hook h at clock; the result into *r. */
static void run(enum hook h, const struct pkt_spec *s, uint32_t clock, struct run_result *r)
{
	uint8_t buf[PKT_MAX];
	size_t len = pkt_build(buf, s);

	assert_int_equal(dp_clock_set(&dp, clock), 0);
	assert_int_equal(harness_run(&dp, h, buf, len, 1, r), 0);
	assert_true(r->out_len >= 14);
}

static struct pkt_spec udp(const char *saddr, uint16_t sport, const char *daddr, uint16_t dport)
{
	struct pkt_spec s = flow(0);

	s.proto = 17;
	s.saddr = saddr;
	s.sport = sport;
	s.daddr = daddr;
	s.dport = dport;
	return s;
}

/* Pod routing on, for 10.244.0.0/16, as the agent's --cluster-cidr does
 * (the config write flushes the caches itself). */
static void set_cluster(bool on)
{
	struct dp_config cfg;
	uint32_t zero = 0;

	assert_int_equal(dp_config_get(&dp, &cfg), 0);
	cfg.cluster_net = on ? ip4("10.244.0.0") : 0;
	cfg.cluster_mask = on ? htonl(0xffff0000) : 0;
	assert_int_equal(bpf_map_update_elem(dp.fd_config, &zero, &cfg, BPF_ANY), 0);
	assert_int_equal(dp_flow_cache_flush(&dp), 0);
}

static const uint8_t host_mac[6] = { 2, 0, 0, 0, 9, 9 };

static void endpoint_mac(uint32_t ifindex, uint8_t last, bool raw)
{
	struct endpoint ep = { .ifindex = ifindex };
	uint32_t key = ip4(OTHER);

	memcpy(ep.pod_mac, (uint8_t[6]){ 2, 0, 0, 0, 7, last }, 6);
	memcpy(ep.host_mac, host_mac, 6);
	if (raw) /* behind the datapath's back: no flush */
		assert_int_equal(bpf_map_update_elem(dp.fd_endpoints, &key, &ep, BPF_ANY), 0);
	else
		assert_int_equal(dp_endpoint_set(&dp, key, &ep), 0);
}

/* Pod to pod, untranslated: the first packet finds the endpoint and
 * leaves a pass entry; the rest of the tick goes where it says, until the
 * endpoint is written through the datapath's API, which flushes. */
static void test_untranslated_pod_traffic_is_served_from_a_pass_entry(void **state)
{
	struct pkt_spec s = udp(POD, 41000, OTHER, 5000);
	struct run_result r;

	(void)state;
	set_cluster(true);
	endpoint_mac(4242, 1, false);
	run(HOOK_TC, &s, T0, &r);
	assert_int_equal(r.verdict, V_TC_REDIRECT);
	assert_int_equal(r.out[5], 1); /* the pod's MAC */
	endpoint_mac(4242, 2, true);
	run(HOOK_TC, &s, T0, &r);
	assert_int_equal(r.out[5], 1); /* the pass entry's */
	run(HOOK_TC, &s, T0 + 1, &r);
	assert_int_equal(r.out[5], 2); /* a new tick looks again */
	endpoint_mac(4242, 3, false);
	run(HOOK_TC, &s, T0 + 1, &r);
	assert_int_equal(r.out[5], 3);
	assert_int_equal(dp_endpoint_del(&dp, ip4(OTHER)), 0);
	set_cluster(false);
}

/* A pod's direct UDP flow to a backend leaves a pass entry for the
 * backend's answers; the same client port then reaching that backend
 * through a service makes those answers a reply to translate. The
 * datapath's new conntrack entry must beat the pass entry at once. */
static void test_a_conntrack_entry_the_datapath_adds_beats_a_pass_entry(void **state)
{
	struct pkt_spec answer = udp(BACKEND, 8080, POD, 40000);
	struct pkt_spec to_svc = udp(POD, 40000, VIP_UDP, 53);

	(void)state;
	assert_int_equal(send_addr(&answer, T0, OFF_SADDR), ip4(BACKEND)); /* passes */
	assert_int_equal(send_addr(&to_svc, T0, OFF_DADDR), ip4(BACKEND));
	assert_int_equal(send_addr(&answer, T0, OFF_SADDR), ip4(VIP_UDP));
}

static void test_a_new_service_makes_pass_entries_for_its_address_stale(void **state)
{
	struct pkt_spec s = udp(POD, 40002, VIP_LATER, 53);

	(void)state;
	assert_int_equal(send_addr(&s, T0, OFF_DADDR), ip4(VIP_LATER)); /* no service yet */
	harness_service(&dp, VIP_LATER, 53, 17, 4, 0, 0, 400, backends, 1);
	assert_int_equal(send_addr(&s, T0, OFF_DADDR), ip4(BACKEND));
}

/* From the wire to a pod of this node: redirected from the pass entry
 * until the pod goes. */
static void test_a_deleted_endpoint_makes_pass_entries_stale(void **state)
{
	struct pkt_spec s = udp(CLIENT, 5000, OTHER, 5000);
	struct run_result r;
	int ifindex = harness_veth(&dp, "fcv0", true);

	(void)state;
	endpoint_mac((uint32_t)ifindex, 4, false);
	run(HOOK_XDP, &s, T0, &r);
	assert_int_equal(r.verdict, V_XDP_REDIRECT);
	run(HOOK_XDP, &s, T0, &r);
	assert_int_equal(r.verdict, V_XDP_REDIRECT);
	assert_int_equal(dp_endpoint_del(&dp, ip4(OTHER)), 0);
	run(HOOK_XDP, &s, T0, &r);
	assert_int_equal(r.verdict, V_XDP_PASS);
}

/* A ClusterIP is not served from the wire: xdp_node's pass entry for a
 * tuple says so, and must not make tc_pod skip the service for a pod
 * sending the same tuple (on the same CPU, in the same tick). */
static void test_a_pass_entry_is_the_hook_s_that_made_it(void **state)
{
	struct pkt_spec s = udp(POD, 40006, VIP_UDP, 53);
	struct run_result r;

	(void)state;
	run(HOOK_XDP, &s, T0, &r);
	assert_int_equal(r.verdict, V_XDP_PASS);
	run(HOOK_XDP, &s, T0, &r);
	assert_int_equal(r.verdict, V_XDP_PASS);
	assert_int_equal(send_addr(&s, T0, OFF_DADDR), ip4(BACKEND));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_a_flow_is_served_from_the_cache_within_a_tick, reset),
		cmocka_unit_test_setup(test_a_new_tick_reads_conntrack_again_and_keeps_it_fresh,
				       reset),
		cmocka_unit_test_setup(test_fin_and_rst_go_to_conntrack_past_the_cache, reset),
		cmocka_unit_test_setup(test_reaping_a_closed_flow_makes_cached_copies_stale, reset),
		cmocka_unit_test_setup(
			test_a_new_flow_taking_a_reply_tuple_makes_cached_copies_stale, reset),
		cmocka_unit_test_setup(test_gc_expiring_entries_flushes_the_cache, reset),
		cmocka_unit_test_setup(test_untranslated_pod_traffic_is_served_from_a_pass_entry,
				       reset),
		cmocka_unit_test_setup(test_a_conntrack_entry_the_datapath_adds_beats_a_pass_entry,
				       reset),
		cmocka_unit_test_setup(test_a_new_service_makes_pass_entries_for_its_address_stale,
				       reset),
		cmocka_unit_test_setup(test_a_deleted_endpoint_makes_pass_entries_stale, reset),
		cmocka_unit_test_setup(test_a_pass_entry_is_the_hook_s_that_made_it, reset),
	};
	cpu_set_t one;

	CPU_ZERO(&one);
	CPU_SET(0, &one);
	if (sched_setaffinity(0, sizeof(one), &one))
		return 1;
	harness_init(&dp, 0);
	harness_service(&dp, VIP, 80, 6, 1, 0, 0, 100, backends, 1);
	harness_service(&dp, VIP2, 80, 6, 2, 0, 0, 200, backends, 1);
	harness_service(&dp, VIP_UDP, 53, 17, 3, 0, 0, 300, backends, 1);
	return cmocka_run_group_tests_name("flow cache", tests, NULL, NULL);
}
