/* The per-CPU flow cache in front of conntrack: a flow's packets are
 * served from it within a clock tick, and whoever deletes or rewrites a
 * conntrack entry (user space, or the datapath itself) makes every cached
 * copy stale. The process stays on one CPU: the cache is per CPU. */
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
	};
	cpu_set_t one;

	CPU_ZERO(&one);
	CPU_SET(0, &one);
	if (sched_setaffinity(0, sizeof(one), &one))
		return 1;
	harness_init(&dp, 0);
	harness_service(&dp, VIP, 80, 6, 1, 0, 0, 100, backends, 1);
	harness_service(&dp, VIP2, 80, 6, 2, 0, 0, 200, backends, 1);
	return cmocka_run_group_tests_name("flow cache", tests, NULL, NULL);
}
