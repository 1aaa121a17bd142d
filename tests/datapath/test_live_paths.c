/* Live traffic through both hooks with real stacks and default offloads:
 * pod A (this node) talks TCP and UDP to a ClusterIP whose backend, pod C,
 * is on node 2. tc_pod DNATs A's packets (CHECKSUM_PARTIAL: the pod keeps
 * tx offload), the node sends them out of a wire veth whose tx checksum
 * offload is off, so the kernel completes the checksum from the updated
 * pseudo-header sum: a wrong update breaks the transfer. The replies come
 * back through xdp_node (native) on the wire, reverse-translated and
 * redirected straight into A's veth. Both pods validate what they receive
 * (rx checksum offload off: veth would otherwise vouch for it). */
#include "unit.h"

#include <arpa/inet.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/if_link.h>
#include <net/if.h>
#include <signal.h>
#include <sys/wait.h>

#include "harness.h"

#define VIP "10.96.0.10"
#define POD_A "10.244.0.5"
#define POD_C "10.244.1.30"

static struct datapath dp;
static char ns_a[32], ns_n2[32], ns_c[32];

/* A setup command that must succeed. */
#define sh(...) assert_int_equal(harness_sh(__VA_ARGS__), 0)

/* From netlink via ip(8): sysfs still shows the machine's interfaces. */
static int read_mac(const char *ns, const char *dev, uint8_t mac[6])
{
	char cmd[256], buf[512] = "";
	unsigned int m[6];
	const char *at;
	FILE *f;

	snprintf(cmd, sizeof(cmd), "ip %s%s -o link show dev %s", ns ? "-n " : "", ns ? ns : "",
		 dev);
	f = popen(cmd, "r");
	if (!f)
		return -1;
	if (!fgets(buf, sizeof(buf), f))
		buf[0] = '\0';
	pclose(f);
	at = strstr(buf, "link/ether ");
	if (!at ||
	    sscanf(at + 11, "%x:%x:%x:%x:%x:%x", &m[0], &m[1], &m[2], &m[3], &m[4], &m[5]) != 6)
		return -1;
	for (int i = 0; i < 6; i++)
		mac[i] = (uint8_t)m[i];
	return 0;
}

static void attach_tc(int ifindex)
{
	LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = ifindex, .attach_point = BPF_TC_INGRESS);
	LIBBPF_OPTS(bpf_tc_opts, opts, .prog_fd = dp.prog_tc);
	int err = bpf_tc_hook_create(&hook);

	assert_true(err == 0 || err == -EEXIST);
	assert_int_equal(bpf_tc_attach(&hook, &opts), 0);
}

/* The topology; this process's private netns is node 1. */
static int setup(void **state)
{
	uint8_t pod_mac[6], host_mac[6];
	struct endpoint ep = { 0 };
	const char *backends[] = { POD_C ":8080" };
	uint32_t flags = XDP_FLAGS_DRV_MODE;

	(void)state;
	harness_init(&dp, 0);
	snprintf(ns_a, sizeof(ns_a), "xlp%d-a", getpid());
	snprintf(ns_n2, sizeof(ns_n2), "xlp%d-n2", getpid());
	snprintf(ns_c, sizeof(ns_c), "xlp%d-c", getpid());
	sh("ip netns add %s && ip netns add %s && ip netns add %s", ns_a, ns_n2, ns_c);
	sh("ip link set lo up && sysctl -qw net.ipv4.ip_forward=1");
	/* Pod A on node 1, wired like the CNI does it. */
	sh("ip link add hA type veth peer name eth0 netns %s && ip link set hA up", ns_a);
	sh("ip addr add 10.244.0.1/32 dev hA && sysctl -qw net.ipv4.conf.hA.proxy_arp=1 "
	   "net.ipv4.neigh.hA.proxy_delay=0 && ip route add " POD_A "/32 dev hA");
	sh("ip netns exec %s sh -c 'ip link set lo up; ip link set eth0 up; ip addr add " POD_A
	   "/24 dev eth0; ip route add default via 10.244.0.1; ethtool -K eth0 gro on rx off >/dev/null'",
	   ns_a);
	/* The wire to node 2: complete checksums on it, like a real wire. */
	sh("ip link add w1 type veth peer name w2 netns %s", ns_n2);
	sh("ip addr add 192.168.1.10/24 dev w1 && ip link set w1 up && ethtool -K w1 tx off >/dev/null");
	sh("ip route add 10.244.1.0/24 via 192.168.1.11");
	sh("ip netns exec %s sh -c 'ip link set lo up; ip addr add 192.168.1.11/24 dev w2; "
	   "ip link set w2 up; ethtool -K w2 tx off >/dev/null; sysctl -qw net.ipv4.ip_forward=1; "
	   "ip route add 10.244.0.0/24 via 192.168.1.10'",
	   ns_n2);
	/* Node 2 runs xdp_node on its wire too, as every node does (its own
	 * empty maps: it passes everything). A veth takes XDP_TX frames only
	 * when the receiving end has an XDP program (GRO alone was not enough
	 * on this kernel). */
	sh("ip -n %s link set dev w2 xdpdrv obj build/datapath/xdp_node.bpf.o sec xdp", ns_n2);
	/* Pod C on node 2. */
	sh("ip netns exec %s sh -c 'ip link add hC type veth peer name eth0 netns %s; ip link set hC up; "
	   "ip addr add 10.244.1.1/32 dev hC; sysctl -qw net.ipv4.conf.hC.proxy_arp=1 "
	   "net.ipv4.neigh.hC.proxy_delay=0; ip route add " POD_C "/32 dev hC'",
	   ns_n2, ns_c);
	sh("ip netns exec %s sh -c 'ip link set lo up; ip link set eth0 up; ip addr add " POD_C
	   "/24 dev eth0; ip route add default via 10.244.1.1; ethtool -K eth0 rx off >/dev/null'",
	   ns_c);

	/* The datapath: tc_pod on A's veth, xdp_node natively on the wire. */
	attach_tc((int)if_nametoindex("hA"));
	assert_int_equal(bpf_xdp_attach((int)if_nametoindex("w1"), dp.prog_xdp, flags, NULL), 0);
	assert_int_equal(dp_tx_port_add(&dp, (int)if_nametoindex("hA")), 0);
	assert_int_equal(read_mac(ns_a, "eth0", pod_mac), 0);
	assert_int_equal(read_mac(NULL, "hA", host_mac), 0);
	ep.ifindex = if_nametoindex("hA");
	memcpy(ep.pod_mac, pod_mac, 6);
	memcpy(ep.host_mac, host_mac, 6);
	assert_int_equal(dp_endpoint_set(&dp, ip4(POD_A), &ep), 0);
	harness_service(&dp, VIP, 80, 6, 1, 0, 0, 100, backends, 1);
	harness_service(&dp, VIP, 53, 17, 2, 0, 0, 200, (const char *[]){ POD_C ":5353" }, 1);
	harness_service(&dp, NULL, 30080, 6, 3, SVC_F_NODEPORT, 0, 300, backends, 1);
	return 0;
}

static int teardown(void **state)
{
	char cmd[256];

	(void)state;
	snprintf(cmd, sizeof(cmd), "ip netns del %s; ip netns del %s; ip netns del %s", ns_c, ns_n2,
		 ns_a);
	if (system(cmd))
		fprintf(stderr, "teardown: %s failed\n", cmd);
	bpf_xdp_detach((int)if_nametoindex("w1"), 0, NULL);
	dp_close(&dp);
	return 0;
}

/* Runs a python3 server in C and a client in A; returns the client's
 * output. The server is stopped by its PID. */
static void transfer_from(const char *client_ns, const char *server, const char *client,
			  const char *want)
{
	char cmd[2048], out[256] = "";
	FILE *f;
	int pid = 0;

	snprintf(cmd, sizeof(cmd), "ip netns exec %s python3 -c '%s' & echo $!", ns_c, server);
	f = popen(cmd, "r");
	assert_non_null(f);
	assert_int_equal(fscanf(f, "%d", &pid), 1);
	pclose(f);
	snprintf(cmd, sizeof(cmd), "ip netns exec %s timeout 10 python3 -c '%s' 2>&1", client_ns,
		 client);
	f = popen(cmd, "r");
	assert_non_null(f);
	if (!fgets(out, sizeof(out), f))
		out[0] = '\0';
	pclose(f);
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	assert_str_contains(out, want);
}

static void transfer(const char *server, const char *client, const char *want)
{
	transfer_from(ns_a, server, client, want);
}

static void test_tcp_to_a_clusterip_with_a_remote_backend_carries_a_megabyte_both_ways(void **state)
{
	const char *server =
		"import socket,time\n"
		"s=socket.socket(); s.setsockopt(socket.SOL_SOCKET,socket.SO_REUSEADDR,1)\n"
		"s.bind((\"0.0.0.0\",8080)); s.listen(1); c,a=s.accept(); n=0\n"
		"while n < 1<<20:\n d=c.recv(65536)\n n+=len(d)\n if not d: break\n"
		"c.sendall(b\"x\"*(1<<20)); c.close()";
	const char *client = "import socket,time\n"
			     "for i in range(50):\n"
			     " try:\n  s=socket.create_connection((\"" VIP
			     "\",80),timeout=3); break\n"
			     " except OSError: time.sleep(0.1)\n"
			     "s.sendall(b\"y\"*(1<<20)); n=0\n"
			     "while True:\n d=s.recv(65536)\n if not d: break\n n+=len(d)\n"
			     "print(\"got\",n)";

	(void)state;
	transfer(server, client, "got 1048576");
	assert_true(harness_stat(&dp, STAT_DNAT) >= 1);
	assert_true(harness_stat(&dp, STAT_REV_NAT) >= 1);
	assert_true(harness_stat(&dp, STAT_REDIRECT) >= 1);
}

static void test_udp_to_a_clusterip_with_a_remote_backend_gets_its_answer(void **state)
{
	const char *server = "import socket\n"
			     "s=socket.socket(socket.AF_INET,socket.SOCK_DGRAM)\n"
			     "s.bind((\"0.0.0.0\",5353))\n"
			     "while True:\n d,a=s.recvfrom(2048); s.sendto(b\"re:\"+d,a)";
	const char *client =
		"import socket,time\n"
		"s=socket.socket(socket.AF_INET,socket.SOCK_DGRAM); s.settimeout(0.5)\n"
		"for i in range(20):\n"
		" s.sendto(b\"ping\",(\"" VIP "\",53))\n"
		" try:\n  d,a=s.recvfrom(2048); print(d.decode(),a[0],a[1]); break\n"
		" except OSError: pass";

	(void)state;
	/* The answer comes from the service, not from the backend. */
	transfer(server, client, "re:ping " VIP " 53");
}

/* A client on the wire (node 2 itself) reaches node 1's NodePort whose
 * backend, pod C, is back on node 2: xdp_node DNATs and SNATs to node 1,
 * finds the next hop with bpf_fib_lookup and sends the frame back out of
 * the wire (XDP_TX); the replies take the same path in reverse. */
static void test_nodeport_to_a_remote_backend_goes_back_out_of_the_wire(void **state)
{
	const char *server =
		"import socket\n"
		"s=socket.socket(); s.setsockopt(socket.SOL_SOCKET,socket.SO_REUSEADDR,1)\n"
		"s.bind((\"0.0.0.0\",8080)); s.listen(1); c,a=s.accept()\n"
		"c.sendall((\"peer %s\" % a[0]).encode()+b\"x\"*(1<<18)); c.close()";
	const char *client =
		"import socket,time\n"
		"for i in range(50):\n"
		" try:\n  s=socket.create_connection((\"192.168.1.10\",30080),timeout=3); break\n"
		" except OSError: time.sleep(0.1)\n"
		"d=b\"\"\n"
		"while True:\n r=s.recv(65536)\n if not r: break\n d+=r\n"
		"print(d[:17].decode(), len(d))";
	uint64_t tx = harness_stat(&dp, STAT_TX);

	(void)state;
	/* The backend sees node 1 (SNAT), the client gets all of it. */
	transfer_from(ns_n2, server, client, "peer 192.168.1.10 262161");
	assert_true(harness_stat(&dp, STAT_TX) > tx);
}

/* Pod A to pod C itself, no service: with the cluster's pod CIDR in the
 * config, tc_pod routes A's packets out of the wire by fib lookup (past the
 * stack), and xdp_node redirects C's answers straight into A's veth. */
static void test_pod_to_a_remote_pod_is_routed_by_the_datapath(void **state)
{
	const char *server =
		"import socket\n"
		"s=socket.socket(); s.setsockopt(socket.SOL_SOCKET,socket.SO_REUSEADDR,1)\n"
		"s.bind((\"0.0.0.0\",9090)); s.listen(1); c,a=s.accept(); n=0\n"
		"while n < 1<<20:\n d=c.recv(65536)\n n+=len(d)\n if not d: break\n"
		"c.sendall((\"peer %s\" % a[0]).encode()); c.close()";
	const char *client = "import socket,time\n"
			     "for i in range(50):\n"
			     " try:\n  s=socket.create_connection((\"" POD_C
			     "\",9090),timeout=3); break\n"
			     " except OSError: time.sleep(0.1)\n"
			     "s.sendall(b\"y\"*(1<<20)); print(s.recv(100).decode())";
	uint64_t forwarded = harness_stat(&dp, STAT_POD_FORWARD);
	struct dp_config cfg;
	uint32_t zero = 0;

	(void)state;
	assert_int_equal(dp_config_get(&dp, &cfg), 0);
	cfg.cluster_net = ip4("10.244.0.0");
	cfg.cluster_mask = htonl(0xffff0000);
	assert_int_equal(bpf_map_update_elem(dp.fd_config, &zero, &cfg, BPF_ANY), 0);
	/* The pod's address reaches C: no translation on the way. */
	transfer(server, client, "peer " POD_A);
	/* Most of the megabyte (GSO packets of up to 64 KB) went that way. */
	assert_true(harness_stat(&dp, STAT_POD_FORWARD) > forwarded + 16);
	cfg.cluster_net = cfg.cluster_mask = 0;
	assert_int_equal(bpf_map_update_elem(dp.fd_config, &zero, &cfg, BPF_ANY), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(
			test_tcp_to_a_clusterip_with_a_remote_backend_carries_a_megabyte_both_ways),
		cmocka_unit_test(test_udp_to_a_clusterip_with_a_remote_backend_gets_its_answer),
		cmocka_unit_test(test_nodeport_to_a_remote_backend_goes_back_out_of_the_wire),
		cmocka_unit_test(test_pod_to_a_remote_pod_is_routed_by_the_datapath),
	};

	return cmocka_run_group_tests_name("live paths", tests, setup, teardown);
}
