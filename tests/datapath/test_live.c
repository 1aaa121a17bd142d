/* xdp_node attached natively to a veth, as on a node's device: a NodePort
 * frame sent from the veth's far end (the "wire") must come out of the
 * backend pod's veth DNATed to the pod, with the endpoint's MACs and valid
 * checksums. Everything lives in the private network namespace the harness
 * enters; the machine's namespace, devices, routes and firewall are never
 * touched.
 *
 *   wire1 --(veth)--> wire0 [xdp_node, native]
 *                       | XDP_REDIRECT (tx_ports)
 *                       v
 *                     podh0 --(veth)--> podp0 [GRO on]: AF_PACKET receives
 */
#include "unit.h"

#include <arpa/inet.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/if_ether.h>
#include <linux/if_link.h>
#include <linux/if_packet.h>
#include <net/if.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>

#include "harness.h"

#define CLIENT "198.51.100.7"
#define POD_IP "10.244.1.5"
#define TCP_NODEPORT 30080
#define UDP_NODEPORT 30053
#define TCP_TARGET 8080
#define UDP_TARGET 5353
#define RECV_TIMEOUT_MS 3000

static struct datapath dp;
static int wire0, wire1, podh0, podp0; /* ifindexes */
static uint8_t wire0_mac[6], wire1_mac[6], podh0_mac[6], podp0_mac[6];
static bool attached;

/* A setup command that must succeed. */
#define sh(...) assert_int_equal(harness_sh(__VA_ARGS__), 0)

static ino_t netns_ino(void)
{
	struct stat st;

	assert_int_equal(stat("/proc/self/ns/net", &st), 0);
	return st.st_ino;
}

/* Through an ioctl on a socket of this namespace: sysfs still shows the
 * machine's devices. */
static int link_info(const char *name, uint8_t mac[6])
{
	struct ifreq ifr = { 0 };
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0), ifindex;

	assert_true(fd >= 0);
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", name);
	assert_int_equal(ioctl(fd, SIOCGIFHWADDR, &ifr), 0);
	memcpy(mac, ifr.ifr_hwaddr.sa_data, 6);
	assert_int_equal(ioctl(fd, SIOCGIFINDEX, &ifr), 0);
	ifindex = ifr.ifr_ifindex;
	close(fd);
	return ifindex;
}

static int setup(void **state)
{
	static const char *const tcp_backend[] = { POD_IP ":8080" }, *const udp_backend[] = {
		POD_IP ":5353"
	};
	ino_t before = netns_ino();

	(void)state;
	harness_init(&dp, 0);
	/* Never run ip(8) in the namespace we started in. */
	if (netns_ino() == before) {
		fprintf(stderr, "still in the original network namespace\n");
		return -1;
	}
	sh("ip link set lo up");
	sh("ip link add wire0 type veth peer name wire1");
	sh("ip link add podh0 type veth peer name podp0");
	sh("ip link set wire0 up && ip link set wire1 up && ip link set podh0 up && "
	   "ip link set podp0 up");
	/* Frames redirected into a veth vanish unless its peer has GRO on or
	 * an XDP program (BASELINES.md). */
	sh("ethtool -K podp0 gro on >/dev/null");
	wire0 = link_info("wire0", wire0_mac);
	wire1 = link_info("wire1", wire1_mac);
	podh0 = link_info("podh0", podh0_mac);
	podp0 = link_info("podp0", podp0_mac);

	/* As the agent programs a NodePort service with one pod of this node
	 * behind it. */
	harness_service(&dp, NULL, TCP_NODEPORT, IPPROTO_TCP, 1, SVC_F_NODEPORT, 0, 1, tcp_backend,
			1);
	harness_service(&dp, NULL, UDP_NODEPORT, IPPROTO_UDP, 2, SVC_F_NODEPORT, 0, 2, udp_backend,
			1);
	harness_endpoint(&dp, POD_IP, (uint32_t)podh0, podp0_mac, podh0_mac);
	assert_int_equal(dp_tx_port_add(&dp, podh0), 0);

	assert_int_equal(bpf_xdp_attach(wire0, dp.prog_xdp, XDP_FLAGS_DRV_MODE, NULL), 0);
	attached = true;
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	if (attached && bpf_xdp_detach(wire0, XDP_FLAGS_DRV_MODE, NULL))
		fprintf(stderr, "detaching xdp_node from wire0 failed\n");
	/* Deleting one end of a veth deletes both. */
	if (system("ip link del wire0 2>/dev/null; ip link del podh0 2>/dev/null"))
		fprintf(stderr, "removing the veths failed\n");
	dp_close(&dp);
	return 0;
}

static int packet_socket(int ifindex)
{
	struct sockaddr_ll sll = { .sll_family = AF_PACKET,
				   .sll_protocol = htons(ETH_P_ALL),
				   .sll_ifindex = ifindex };
	int fd = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, htons(ETH_P_ALL));

	assert_true(fd >= 0);
	assert_int_equal(bind(fd, (struct sockaddr *)&sll, sizeof(sll)), 0);
	return fd;
}

static long ms_since(const struct timespec *t0)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (t.tv_sec - t0->tv_sec) * 1000 + (t.tv_nsec - t0->tv_nsec) / 1000000;
}

/* The first IPv4 frame of proto for daddr received (not sent) on fd, or 0
 * after the timeout. Links coming up send IPv6 chatter: skipped. */
static size_t receive(int fd, uint8_t proto, uint32_t daddr, uint8_t *buf, size_t size)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	struct timespec t0;
	long left;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	while ((left = RECV_TIMEOUT_MS - ms_since(&t0)) > 0) {
		struct sockaddr_ll from;
		socklen_t fl = sizeof(from);
		ssize_t n;

		if (poll(&pfd, 1, (int)left) <= 0)
			continue;
		n = recvfrom(fd, buf, size, MSG_DONTWAIT, (struct sockaddr *)&from, &fl);
		if (n < OFF_L4 || from.sll_pkttype == PACKET_OUTGOING)
			continue;
		if (buf[12] == 0x08 && buf[13] == 0x00 && buf[OFF_IP + 9] == proto &&
		    !memcmp(buf + OFF_IP + 16, &daddr, 4))
			return (size_t)n;
	}
	return 0;
}

static void nodeport_frame_reaches_the_backend(const struct pkt_spec *s, uint16_t target)
{
	struct sockaddr_ll to = { .sll_family = AF_PACKET,
				  .sll_ifindex = wire1,
				  .sll_halen = ETH_ALEN };
	uint8_t frame[PKT_MAX], got[PKT_MAX], want[PKT_MAX];
	struct pkt_spec dnat = *s;
	uint64_t redirects = harness_stat(&dp, STAT_REDIRECT);
	size_t len, want_len, n;
	struct ct_value ct;
	char why[128];
	int rx, tx;

	len = pkt_build(frame, s);
	/* What the pod must see: the same frame, to the pod's address and
	 * target port, between the endpoint's MACs. */
	dnat.daddr = POD_IP;
	dnat.dport = target;
	memcpy(dnat.dst_mac, podp0_mac, 6);
	memcpy(dnat.src_mac, podh0_mac, 6);
	want_len = pkt_build(want, &dnat);

	rx = packet_socket(podp0);
	tx = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, 0);
	assert_true(tx >= 0);
	memcpy(to.sll_addr, wire0_mac, 6);
	assert_int_equal(sendto(tx, frame, len, 0, (struct sockaddr *)&to, sizeof(to)),
			 (ssize_t)len);

	n = receive(rx, s->proto, ip4(POD_IP), got, sizeof(got));
	close(tx);
	close(rx);
	if (!n)
		fail_msg(
			"no frame for %s:%u arrived on podp0 within %d ms (redirects counted: %llu)",
			POD_IP, target, RECV_TIMEOUT_MS,
			(unsigned long long)(harness_stat(&dp, STAT_REDIRECT) - redirects));
	assert_int_equal(n, want_len);
	/* MACs, addresses, ports. */
	assert_memory_equal(got, podp0_mac, 6);
	assert_memory_equal(got + 6, podh0_mac, 6);
	assert_int_equal(ntohl(*(uint32_t *)(got + OFF_IP + 12)), ntohl(ip4(CLIENT)));
	assert_int_equal(ntohl(*(uint32_t *)(got + OFF_IP + 16)), ntohl(ip4(POD_IP)));
	assert_int_equal(got[OFF_L4] << 8 | got[OFF_L4 + 1], s->sport);
	assert_int_equal(got[OFF_L4 + 2] << 8 | got[OFF_L4 + 3], target);
	/* Checksums right, by the independent arithmetic. */
	if (!pkt_checksums_ok(got, n, why, sizeof(why)))
		fail_msg("the DNATed frame: %s", why);
	/* Delivering like a router may take one off the TTL. */
	assert_true(got[OFF_IP + 8] == want[OFF_IP + 8] || got[OFF_IP + 8] == want[OFF_IP + 8] - 1);
	want[OFF_IP + 8] = got[OFF_IP + 8];
	/* Apart from that and the checksums' representation (a one's
	 * complement sum has two zeroes), exactly the frame built for the
	 * pod. */
	memcpy(got + OFF_IP + 10, want + OFF_IP + 10, 2);
	memcpy(got + OFF_L4 + (s->proto == IPPROTO_TCP ? 16 : 6),
	       want + OFF_L4 + (s->proto == IPPROTO_TCP ? 16 : 6), 2);
	assert_memory_equal(got, want, n);

	/* The flow is in conntrack, and the datapath counted a redirect. */
	assert_true(harness_ct_get(&dp, CLIENT, s->sport, NODE_IP, s->dport, s->proto, &ct));
	assert_true(ct.flags & CT_F_NODEPORT);
	assert_true(harness_stat(&dp, STAT_REDIRECT) > redirects);
}

static void test_xdp_node_is_attached_natively(void **state)
{
	LIBBPF_OPTS(bpf_xdp_query_opts, q);
	struct bpf_prog_info info = { 0 };
	uint32_t info_len = sizeof(info);

	(void)state;
	assert_int_equal(bpf_obj_get_info_by_fd(dp.prog_xdp, &info, &info_len), 0);
	assert_int_equal(bpf_xdp_query(wire0, 0, &q), 0);
	assert_int_equal(q.attach_mode, XDP_ATTACHED_DRV);
	assert_int_equal(q.drv_prog_id, info.id);
	assert_int_equal(q.skb_prog_id, 0);
}

static void test_nodeport_tcp_syn_from_the_wire_reaches_the_backend_pod(void **state)
{
	struct pkt_spec s = { .saddr = CLIENT,
			      .daddr = NODE_IP,
			      .proto = IPPROTO_TCP,
			      .sport = 41000,
			      .dport = TCP_NODEPORT,
			      .tcp_flags = 0x02,
			      .seq = 123456,
			      .payload = 0 };

	(void)state;
	memcpy(s.src_mac, wire1_mac, 6);
	memcpy(s.dst_mac, wire0_mac, 6);
	nodeport_frame_reaches_the_backend(&s, TCP_TARGET);
}

static void test_nodeport_udp_from_the_wire_reaches_the_backend_pod(void **state)
{
	struct pkt_spec s = { .saddr = CLIENT,
			      .daddr = NODE_IP,
			      .proto = IPPROTO_UDP,
			      .sport = 41001,
			      .dport = UDP_NODEPORT,
			      .payload = 100 };

	(void)state;
	memcpy(s.src_mac, wire1_mac, 6);
	memcpy(s.dst_mac, wire0_mac, 6);
	nodeport_frame_reaches_the_backend(&s, UDP_TARGET);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_xdp_node_is_attached_natively),
		cmocka_unit_test(test_nodeport_tcp_syn_from_the_wire_reaches_the_backend_pod),
		cmocka_unit_test(test_nodeport_udp_from_the_wire_reaches_the_backend_pod),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
