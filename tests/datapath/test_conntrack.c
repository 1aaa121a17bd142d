/* Conntrack lifetime: the user-space GC expires a flow's two entries
 * together once both are idle past the protocol's timeout; traffic in
 * either direction keeps the flow, FIN/RST shortens its life. */
#include "unit.h"

#include <arpa/inet.h>
#include <bpf/bpf.h>

#include "harness.h"

#define POD "10.244.0.5"
#define VIP "10.96.0.10"
#define BACKEND "10.244.0.20"
#define T0 1000

static struct datapath dp;

static const char *const backends[] = { BACKEND ":8080" };

static struct pkt_spec flow(uint8_t proto, uint8_t tcp_flags)
{
	struct pkt_spec s = { .src_mac = { 2, 0, 0, 0, 0, 5 },
			      .dst_mac = { 2, 0, 0, 0, 1, 5 },
			      .saddr = POD,
			      .daddr = VIP,
			      .proto = proto,
			      .sport = 40000,
			      .dport = 80,
			      .tcp_flags = tcp_flags,
			      .seq = 1 };
	return s;
}

/* The backend's answer, as it arrives on the backend's veth. */
static struct pkt_spec reply(uint8_t proto)
{
	struct pkt_spec s = flow(proto, 0x10);

	s.saddr = BACKEND;
	s.sport = 8080;
	s.daddr = POD;
	s.dport = 40000;
	return s;
}

static void send_pkt(const struct pkt_spec *s, uint32_t clock)
{
	uint8_t buf[PKT_MAX];
	struct run_result r;
	size_t len = pkt_build(buf, s);

	assert_int_equal(dp_clock_set(&dp, clock), 0);
	assert_int_equal(harness_run(&dp, HOOK_TC, buf, len, 1, &r), 0);
}

static unsigned int gc(uint32_t now)
{
	struct ct_gc_result res;

	assert_int_equal(dp_ct_gc(&dp, now, &res), 0);
	return res.expired;
}

static int reset(void **state)
{
	(void)state;
	harness_ct_clear(&dp);
	return 0;
}

static void test_new_flow_stamps_both_entries_with_the_clock(void **state)
{
	struct ct_value fwd, rev;
	struct pkt_spec s = flow(6, 0x02);

	(void)state;
	send_pkt(&s, T0);
	assert_int_equal(harness_ct_count(&dp), 2);
	assert_true(harness_ct_get(&dp, POD, 40000, VIP, 80, 6, &fwd));
	assert_true(harness_ct_get(&dp, BACKEND, 8080, POD, 40000, 6, &rev));
	assert_int_equal(fwd.last_seen, T0);
	assert_int_equal(rev.last_seen, T0);
	assert_true(rev.flags & CT_F_REPLY);
	assert_false(fwd.flags & CT_F_REPLY);
}

static void test_idle_tcp_flow_expires_after_its_timeout_both_entries_at_once(void **state)
{
	struct pkt_spec s = flow(6, 0x02);

	(void)state;
	send_pkt(&s, T0);
	assert_int_equal(gc(T0 + CT_TIMEOUT_TCP), 0);
	assert_int_equal(harness_ct_count(&dp), 2);
	assert_int_equal(gc(T0 + CT_TIMEOUT_TCP + 1), 2);
	assert_int_equal(harness_ct_count(&dp), 0);
}

static void test_traffic_in_either_direction_keeps_the_flow(void **state)
{
	struct pkt_spec fwd = flow(6, 0x02), data = flow(6, 0x10), rep = reply(6);
	const uint32_t later = T0 + CT_TIMEOUT_TCP;

	(void)state;
	send_pkt(&fwd, T0);
	send_pkt(&data, later); /* the client keeps talking */
	assert_int_equal(gc(T0 + CT_TIMEOUT_TCP + 1), 0);
	assert_int_equal(harness_ct_count(&dp), 2);

	harness_ct_clear(&dp);
	send_pkt(&fwd, T0);
	send_pkt(&rep, later); /* only the backend talks */
	assert_int_equal(gc(T0 + CT_TIMEOUT_TCP + 1), 0);
	assert_int_equal(gc(later + CT_TIMEOUT_TCP + 1), 2);
}

static void test_fin_shortens_the_flow_to_the_closing_timeout(void **state)
{
	struct pkt_spec syn = flow(6, 0x02), fin = flow(6, 0x11);
	struct ct_value v;

	(void)state;
	send_pkt(&syn, T0);
	send_pkt(&fin, T0 + 5);
	assert_true(harness_ct_get(&dp, POD, 40000, VIP, 80, 6, &v));
	assert_true(v.flags & CT_F_CLOSING);
	assert_int_equal(gc(T0 + 5 + CT_TIMEOUT_TCP_CLOSING), 0);
	assert_int_equal(gc(T0 + 5 + CT_TIMEOUT_TCP_CLOSING + 1), 2);
}

static void test_rst_from_the_backend_closes_the_flow_too(void **state)
{
	struct pkt_spec syn = flow(6, 0x02), rst = reply(6);

	(void)state;
	rst.tcp_flags = 0x04;
	send_pkt(&syn, T0);
	send_pkt(&rst, T0 + 1);
	assert_int_equal(gc(T0 + 1 + CT_TIMEOUT_TCP_CLOSING + 1), 2);
}

/* The client closes its connection to the service, then opens one to the
 * backend itself from the same port (as a busy client's ports come round
 * again): the old flow's entries go with that SYN, so the backend's answer
 * is not translated back into the service's address. */
static void test_a_syn_reusing_a_closed_flows_reply_tuple_replaces_it(void **state)
{
	struct pkt_spec syn = flow(6, 0x02), fin = flow(6, 0x11), direct = flow(6, 0x02);
	struct ct_value v;

	(void)state;
	direct.daddr = BACKEND;
	direct.dport = 8080;
	send_pkt(&syn, T0);
	/* While the flow is open, such a SYN leaves it alone. */
	send_pkt(&direct, T0 + 1);
	assert_int_equal(harness_ct_count(&dp), 2);
	send_pkt(&fin, T0 + 2);
	send_pkt(&direct, T0 + 3);
	assert_int_equal(harness_ct_count(&dp), 0);
	assert_false(harness_ct_get(&dp, BACKEND, 8080, POD, 40000, 6, &v));
	/* Other SYNs (to another port, or not a SYN) reap nothing. */
	send_pkt(&syn, T0 + 4);
	send_pkt(&fin, T0 + 5);
	direct.dport = 8081;
	send_pkt(&direct, T0 + 6);
	direct.dport = 8080;
	direct.tcp_flags = 0x12;
	send_pkt(&direct, T0 + 6);
	assert_int_equal(harness_ct_count(&dp), 2);
}

static void test_udp_flow_uses_the_shorter_timeout(void **state)
{
	struct pkt_spec s = flow(17, 0);

	(void)state;
	send_pkt(&s, T0);
	assert_int_equal(harness_ct_count(&dp), 2);
	assert_int_equal(gc(T0 + CT_TIMEOUT_OTHER), 0);
	assert_int_equal(gc(T0 + CT_TIMEOUT_OTHER + 1), 2);
}

static void test_an_entry_whose_partner_was_evicted_expires_on_its_own(void **state)
{
	struct pkt_spec s = flow(17, 0);
	struct ct_key k = { .saddr = ip4(POD),
			    .daddr = ip4(VIP),
			    .sport = htons(40000),
			    .dport = htons(80),
			    .proto = 17 };

	(void)state;
	send_pkt(&s, T0);
	assert_int_equal(bpf_map_delete_elem(dp.fd_ct, &k), 0);
	assert_int_equal(dp_flow_cache_flush(&dp), 0);
	assert_int_equal(gc(T0 + CT_TIMEOUT_OTHER), 0);
	assert_int_equal(gc(T0 + CT_TIMEOUT_OTHER + 1), 1);
	assert_int_equal(harness_ct_count(&dp), 0);
}

static void test_the_clock_is_refreshed_only_when_it_moves(void **state)
{
	struct pkt_spec syn = flow(6, 0x02), data = flow(6, 0x10);
	struct ct_value v;

	(void)state;
	send_pkt(&syn, T0);
	send_pkt(&data, T0);
	assert_true(harness_ct_get(&dp, POD, 40000, VIP, 80, 6, &v));
	assert_int_equal(v.last_seen, T0);
	send_pkt(&data, T0 + 7);
	assert_true(harness_ct_get(&dp, POD, 40000, VIP, 80, 6, &v));
	assert_int_equal(v.last_seen, T0 + 7);
}

/* The LRU evicts entries one at a time: a client port come round again
 * (its SYN on the flow's forward entry) must find the flow whole, or the
 * backend's SYN-ACK would go back untranslated until the entry expired.
 * The new connection also starts without the old one's closing mark. */
static void test_a_syn_on_a_forward_entry_puts_its_reply_entry_back(void **state)
{
	struct pkt_spec syn = flow(6, 0x02), fin = flow(6, 0x11);
	struct ct_key rk = { .saddr = ip4(BACKEND),
			     .daddr = ip4(POD),
			     .sport = htons(8080),
			     .dport = htons(40000),
			     .proto = 6 };
	struct ct_value v;

	(void)state;
	send_pkt(&syn, T0);
	send_pkt(&fin, T0);
	assert_int_equal(bpf_map_delete_elem(dp.fd_ct, &rk), 0);
	assert_int_equal(dp_flow_cache_flush(&dp), 0);
	send_pkt(&syn, T0 + 1);
	assert_true(harness_ct_get(&dp, BACKEND, 8080, POD, 40000, 6, &v));
	assert_true(v.flags & CT_F_REPLY);
	assert_int_equal(v.saddr, ip4(VIP));
	assert_true(harness_ct_get(&dp, POD, 40000, VIP, 80, 6, &v));
	assert_false(v.flags & CT_F_CLOSING);
	/* Reopened whole, the flow lives on the TCP timeout again. */
	assert_int_equal(gc(T0 + 1 + CT_TIMEOUT_TCP_CLOSING + 1), 0);
	assert_int_equal(harness_ct_count(&dp), 2);
}

/* More entries than one batch of the GC's read: every stale pair goes,
 * every live one stays, partners found across batches. */
static void test_gc_over_many_batches_expires_exactly_the_stale_pairs(void **state)
{
	const unsigned int pairs = 6000; /* 12,000 entries, three batches */
	struct ct_value fv = { .flags = CT_F_REWRITE_DST,
			       .daddr = ip4(BACKEND),
			       .dport = htons(8080) };
	struct ct_value rv = { .flags = CT_F_REPLY | CT_F_REWRITE_SRC,
			       .saddr = ip4(VIP),
			       .sport = htons(80) };
	struct ct_key fk = { .daddr = ip4(VIP), .dport = htons(80), .proto = 17 };
	struct ct_key rk = { .saddr = ip4(BACKEND), .sport = htons(8080), .proto = 17 };

	(void)state;
	for (unsigned int i = 0; i < pairs; i++) {
		fk.saddr = rk.daddr = htonl(0x0af40000 + i); /* 10.244.x.y clients */
		fk.sport = rk.dport = htons(1024 + i % 1000);
		/* Odd pairs: the forward entry is stale, the reply fresh. */
		fv.last_seen = (i % 2 || i % 3 == 0) ? T0 : T0 + CT_TIMEOUT_OTHER;
		rv.last_seen = i % 2 ? T0 + CT_TIMEOUT_OTHER : T0;
		assert_int_equal(bpf_map_update_elem(dp.fd_ct, &fk, &fv, BPF_ANY), 0);
		assert_int_equal(bpf_map_update_elem(dp.fd_ct, &rk, &rv, BPF_ANY), 0);
	}
	/* Stale: even pairs with both entries at T0 (i % 6 == 0). */
	assert_int_equal(gc(T0 + CT_TIMEOUT_OTHER + 1), 2 * ((pairs + 5) / 6));
	assert_int_equal(harness_ct_count(&dp), 2 * (pairs - (pairs + 5) / 6));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_new_flow_stamps_both_entries_with_the_clock, reset),
		cmocka_unit_test_setup(
			test_idle_tcp_flow_expires_after_its_timeout_both_entries_at_once, reset),
		cmocka_unit_test_setup(test_traffic_in_either_direction_keeps_the_flow, reset),
		cmocka_unit_test_setup(test_fin_shortens_the_flow_to_the_closing_timeout, reset),
		cmocka_unit_test_setup(test_rst_from_the_backend_closes_the_flow_too, reset),
		cmocka_unit_test_setup(test_a_syn_reusing_a_closed_flows_reply_tuple_replaces_it,
				       reset),
		cmocka_unit_test_setup(test_a_syn_on_a_forward_entry_puts_its_reply_entry_back,
				       reset),
		cmocka_unit_test_setup(test_gc_over_many_batches_expires_exactly_the_stale_pairs,
				       reset),
		cmocka_unit_test_setup(test_udp_flow_uses_the_shorter_timeout, reset),
		cmocka_unit_test_setup(test_an_entry_whose_partner_was_evicted_expires_on_its_own,
				       reset),
		cmocka_unit_test_setup(test_the_clock_is_refreshed_only_when_it_moves, reset),
	};

	harness_init(&dp, 0);
	harness_service(&dp, VIP, 80, 6, 1, 0, 0, 100, backends, 1);
	harness_service(&dp, VIP, 80, 17, 2, 0, 0, 100, backends, 1);
	return cmocka_run_group_tests_name("conntrack", tests, NULL, NULL);
}
