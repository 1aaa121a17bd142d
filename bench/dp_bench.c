/* The datapath benchmark (issue 3, run by `make bench` through
 * bench/datapath.sh): ns per packet of the fixture paths of xdp_node and
 * tc_pod beside trivial programs measured in the same run, the ClusterIP
 * conntrack hit with 1, 1,000 and 100,000 services loaded, and the
 * NodePort forwarding rate with live frames beside a bare devmap redirect.
 *
 * Everything runs in a private network namespace entered first (its veths
 * and routes vanish with the process): the machine's own namespace is never
 * touched.
 *
 * BPF_PROG_TEST_RUN re-runs a program on the same buffer, as the previous
 * repeat left it (live frames too, on reused pages), so a path that
 * rewrites the frame is measured one of two ways, and per-reason counters
 * check that every repeat took the path meant:
 * - wrapped: a wrapper program (bench/bpf/progs.bpf.c) restores the frame
 *   from a template, or gives it a new tuple, then tail-calls the
 *   datapath; the wrapper's own cost, measured with a trivial program
 *   behind it, is subtracted and the trivial program's added back, so the
 *   figure compares with the direct ones. Paths that deliver a packet
 *   themselves decrement its TTL: only this keeps them identical.
 * - direct: for paths that do not rewrite the frame.
 *
 * Usage: dp_bench OUT.json. Settings from the environment: DPB_ROUNDS (5),
 * DPB_REPEAT (1000000), DPB_MISS_RUNS (10), DPB_MISS_REPEAT (100000),
 * DPB_SERVICES (100000), DPB_LIVE_PACKETS (5000000), DPB_LIVE_ROUNDS (3),
 * DPB_LIVE_BATCH (64); DPB_ONLY=key,... runs only those paths (and the
 * anchors), for profiling. */
#include <arpa/inet.h>
#include <errno.h>
#include <net/if.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/if_link.h>

#include "harness.h"
#include "maglev.h"
#include "progs.skel.h"

#define CLOCK0 1000
#define MAX_ROUNDS 15
#define MAX_CASES 40
#define WRAP_LEN 54 /* what the wrappers copy: Ethernet + IPv4 + TCP */
#define SCALE_M 251
#define N_SCALE 3
#define N_LIVE 3

/* The lab, inside the private namespace: the node's device facing the wire
 * (its peer plays the wire) and one pod veth (its peer plays the pod). */
#define DEV_NODE "xn0"
#define DEV_WIRE "xw0"
#define DEV_PODH "xp0h"
#define DEV_POD "xp0"

#define CLIENT "192.168.1.100" /* outside the cluster, on the node's LAN */
#define OTHER_NODE "192.168.1.11" /* the gateway to 10.244.1.0/24 */
#define POD "10.244.0.5" /* a client pod on this node */
#define BACKEND "10.244.0.20" /* a backend pod on this node */
#define DNS_BACKEND "10.244.0.30"
#define REMOTE_BACKEND "10.244.1.20" /* a backend pod on the other node */
#define VIP "10.96.0.10"
#define VIP_REMOTE "10.96.0.11"
#define VIP_DNS "10.96.0.53"
#define VIP_EMPTY "10.96.0.99"

static const uint8_t mac_node[6] = { 2, 0, 0, 0, 0xff, 0x10 };
static const uint8_t mac_client[6] = { 2, 0, 0, 0, 0xff, 0x64 };
static const uint8_t mac_other[6] = { 2, 0, 0, 0, 0xff, 0x0b };
static const uint8_t mac_podh[6] = { 2, 0, 0, 0, 1, 5 };
static const uint8_t mac_pod[6] = { 2, 0, 0, 0, 0, 5 };

static struct {
	unsigned int rounds, live_rounds;
	uint32_t repeat, miss_runs, miss_repeat, services, live_packets, live_batch;
} set;

static struct {
	int node, wire, podh, pod;
} lab;

static struct bench_progs *sk;

static void die(const char *fmt, ...) __attribute__((noreturn, format(printf, 1, 2)));
static void die(const char *fmt, ...)
{
	va_list ap;

	fputs("dp_bench: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(1);
}

static uint32_t env_u32(const char *name, uint32_t def, uint32_t min)
{
	const char *s = getenv(name);
	char *end;
	unsigned long v;

	if (!s || !*s)
		return def;
	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || *end || v < min || v > UINT32_MAX)
		die("%s=%s: want an integer >= %u", name, s, min);
	return (uint32_t)v;
}

/* A setup command that must succeed (harness_sh prints it if not). */
#define sh(...)                                      \
	do {                                         \
		if (harness_sh(__VA_ARGS__))         \
			die("setup command failed"); \
	} while (0)

static int write_file(const char *path, const char *val)
{
	FILE *f = fopen(path, "w");
	int err;

	if (!f)
		return -errno;
	err = fputs(val, f) < 0 ? -EIO : 0;
	if (fclose(f) && !err)
		err = -errno;
	return err;
}

static int ifindex_of(const char *name)
{
	unsigned int i = if_nametoindex(name);

	if (!i)
		die("no device %s", name);
	return (int)i;
}

/* A new network namespace for the whole run, then the lab's devices. */
static void lab_setup(void)
{
	struct stat before, after;
	int err;

	if (stat("/proc/self/ns/net", &before))
		die("stat /proc/self/ns/net: %s", strerror(errno));
	if (unshare(CLONE_NEWNET))
		die("unshare(CLONE_NEWNET): %s (needs root)", strerror(errno));
	if (stat("/proc/self/ns/net", &after) || after.st_ino == before.st_ino)
		die("not in a new network namespace: stopping before touching anything");
	/* No IPv6 on the lab's links: no stray solicitations to count. */
	write_file("/proc/sys/net/ipv6/conf/default/disable_ipv6", "1");
	write_file("/proc/sys/net/ipv6/conf/all/disable_ipv6", "1");
	/* bpf_fib_lookup answers FWD_DISABLED without forwarding. */
	err = write_file("/proc/sys/net/ipv4/ip_forward", "1");
	if (err)
		die("cannot enable ip_forward in the private namespace: %s", strerror(-err));
	sh("ip link set lo up");
	sh("ip link add " DEV_NODE " address 02:00:00:00:ff:10 type veth peer name " DEV_WIRE
	   " address 02:00:00:00:ff:11");
	sh("ip link add " DEV_PODH " address 02:00:00:00:01:05 type veth peer name " DEV_POD
	   " address 02:00:00:00:00:05");
	sh("ip addr add 192.168.1.10/24 dev " DEV_NODE);
	sh("ip link set " DEV_NODE " up && ip link set " DEV_WIRE " up && ip link set " DEV_PODH
	   " up && ip link set " DEV_POD " up");
	sh("ip route add 10.244.1.0/24 via " OTHER_NODE " dev " DEV_NODE);
	sh("ip neigh replace " OTHER_NODE " lladdr 02:00:00:00:ff:0b dev " DEV_NODE
	   " nud permanent");
	sh("ip neigh replace " CLIENT " lladdr 02:00:00:00:ff:64 dev " DEV_NODE " nud permanent");
	lab.node = ifindex_of(DEV_NODE);
	lab.wire = ifindex_of(DEV_WIRE);
	lab.podh = ifindex_of(DEV_PODH);
	lab.pod = ifindex_of(DEV_POD);
}

static int quiet(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	if (level == LIBBPF_DEBUG)
		return 0;
	return vfprintf(stderr, fmt, ap);
}

/* The benchmark's programs; the count-and-drop program on both peers. */
static void progs_setup(void)
{
	struct bpf_devmap_val dv = { .ifindex = (uint32_t)lab.podh };
	uint32_t key = (uint32_t)lab.podh;
	int fd, err;

	sk = bench_progs__open_and_load();
	if (!sk)
		die("loading bench/bpf/progs.bpf.c failed: %s", strerror(errno));
	sk->bss->redirect_ifindex = (uint32_t)lab.podh;
	if (bpf_map_update_elem(bpf_map__fd(sk->maps.redirect_ports), &key, &dv, BPF_ANY))
		die("redirect devmap: %s", strerror(errno));
	fd = bpf_program__fd(sk->progs.xdp_count_drop);
	err = bpf_xdp_attach(lab.pod, fd, XDP_FLAGS_DRV_MODE, NULL);
	if (!err)
		err = bpf_xdp_attach(lab.wire, fd, XDP_FLAGS_DRV_MODE, NULL);
	if (err)
		die("attaching the counting XDP program to the veth peers: %s", strerror(-err));
}

static uint64_t rx_count(void)
{
	int ncpu = libbpf_num_possible_cpus();
	uint64_t per[512], sum = 0;
	uint32_t zero = 0;

	if (ncpu <= 0 || ncpu > 512)
		die("cannot size per-CPU values");
	if (bpf_map_lookup_elem(bpf_map__fd(sk->maps.rx_count), &zero, per))
		die("rx_count: %s", strerror(errno));
	for (int i = 0; i < ncpu; i++)
		sum += per[i];
	return sum;
}

static void load_dp(struct datapath *dp, uint32_t m, uint32_t max_services)
{
	struct dp_opts o = { .maglev_m = m,
			     .max_services = max_services,
			     .max_backends = max_services * 2,
			     .node_ip = ip4(NODE_IP) };
	char msg[256];

	if (dp_load(dp, &o, msg, sizeof(msg)))
		die("%s", msg);
	if (dp_clock_set(dp, CLOCK0))
		die("dp_clock_set");
}

static void pod_endpoint(const struct datapath *dp, const char *ip)
{
	harness_endpoint(dp, ip, (uint32_t)lab.podh, mac_pod, mac_podh);
}

/* Frames. */
struct frame {
	uint8_t b[PKT_MAX];
	size_t len;
};

static void tcp_frame(struct frame *f, bool from_wire, const char *src, uint16_t sport,
		      const char *dst, uint16_t dport, uint8_t flags, uint16_t payload)
{
	struct pkt_spec s = { .saddr = src,
			      .daddr = dst,
			      .proto = 6,
			      .sport = sport,
			      .dport = dport,
			      .tcp_flags = flags,
			      .seq = 1000,
			      .ack = flags & 0x10 ? 2000 : 0,
			      .payload = payload };

	memcpy(s.src_mac, from_wire ? mac_client : mac_pod, 6);
	memcpy(s.dst_mac, from_wire ? mac_node : mac_podh, 6);
	f->len = pkt_build(f->b, &s);
}

static void udp_frame(struct frame *f, const char *src, uint16_t sport, const char *dst,
		      uint16_t dport, uint16_t payload)
{
	struct pkt_spec s = { .saddr = src,
			      .daddr = dst,
			      .proto = 17,
			      .sport = sport,
			      .dport = dport,
			      .payload = payload };

	memcpy(s.src_mac, mac_pod, 6);
	memcpy(s.dst_mac, mac_podh, 6);
	f->len = pkt_build(f->b, &s);
}

/* The tuple of an untagged IPv4 TCP/UDP frame, as the datapath keys it. */
static struct ct_key frame_tuple(const struct frame *f)
{
	struct ct_key k;

	memset(&k, 0, sizeof(k));
	memcpy(&k.saddr, f->b + OFF_IP + 12, 4);
	memcpy(&k.daddr, f->b + OFF_IP + 16, 4);
	memcpy(&k.sport, f->b + OFF_L4, 2);
	memcpy(&k.dport, f->b + OFF_L4 + 2, 2);
	k.proto = f->b[OFF_IP + 9];
	return k;
}

/* One BPF_PROG_TEST_RUN. */
struct run {
	uint32_t retval;
	double ns; /* kernel-reported, per repeat */
	double wall_ns; /* around the syscall, per repeat */
	uint8_t out[PKT_MAX + 256];
	uint32_t out_len, meta_len;
};

static double now_ns(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec * 1e9 + (double)t.tv_nsec;
}

static int prog_run(int prog, enum hook h, const struct frame *f, uint32_t repeat, bool live,
		    struct run *r)
{
	struct xdp_md xctx = { .data_end = (uint32_t)f->len,
			       .ingress_ifindex = (uint32_t)lab.node },
		      xout = { 0 };
	struct __sk_buff sctx = { .ifindex = (uint32_t)lab.podh };
	struct bpf_test_run_opts o = {
		.sz = sizeof(o), .data_in = f->b, .data_size_in = (uint32_t)f->len, .repeat = repeat
	};
	double t0;
	int err;

	if (h == HOOK_XDP) {
		o.ctx_in = &xctx;
		o.ctx_size_in = sizeof(xctx);
	} else {
		o.ctx_in = &sctx;
		o.ctx_size_in = sizeof(sctx);
	}
	if (live) {
		o.flags = BPF_F_TEST_XDP_LIVE_FRAMES;
		o.batch_size = set.live_batch;
	} else {
		o.data_out = r->out;
		o.data_size_out = sizeof(r->out);
		if (h == HOOK_XDP) {
			o.ctx_out = &xout;
			o.ctx_size_out = sizeof(xout);
		}
	}
	t0 = now_ns();
	err = bpf_prog_test_run_opts(prog, &o);
	r->wall_ns = (now_ns() - t0) / repeat;
	if (err)
		return -errno;
	r->retval = o.retval;
	r->ns = o.duration;
	r->out_len = live ? 0 : o.data_size_out;
	r->meta_len = h == HOOK_XDP && !live ? xout.data - xout.data_meta : 0;
	return 0;
}

static void stats(const struct datapath *dp, uint64_t out[STAT_MAX])
{
	struct stat_value s[STAT_MAX];

	if (dp_stats_read(dp, s))
		die("dp_stats_read");
	for (int i = 0; i < STAT_MAX; i++)
		out[i] = s[i].packets;
}

static const char *const reason_name[STAT_MAX] = {
	[STAT_PASS] = "PASS",
	[STAT_TX] = "TX",
	[STAT_REDIRECT] = "REDIRECT",
	[STAT_DNAT] = "DNAT",
	[STAT_CT_HIT] = "CT_HIT",
	[STAT_REV_NAT] = "REV_NAT",
	[STAT_REJECT] = "REJECT",
	[STAT_DROP_MALFORMED] = "DROP_MALFORMED",
	[STAT_DROP_NO_ROUTE] = "DROP_NO_ROUTE",
	[STAT_DROP_CT_FULL] = "DROP_CT_FULL",
	[STAT_DROP_NO_ROOM] = "DROP_NO_ROOM",
	[STAT_FRAGMENT] = "FRAGMENT",
};

/* Every counter moved by n for each reason in expect, others not at all. */
static void check_stats(const char *what, const uint64_t *before, const uint64_t *after,
			uint32_t expect, uint64_t n)
{
	for (int i = 0; i < STAT_MAX; i++) {
		uint64_t want = (expect & (1u << i)) ? n : 0, got = after[i] - before[i];

		if (got != want)
			die("%s: counter %s moved by %llu, want %llu: the repeats did not all take "
			    "the path meant",
			    what, reason_name[i], (unsigned long long)got,
			    (unsigned long long)want);
	}
}

/* Empties conntrack in batches; returns the number of entries it held. */
static size_t ct_clear(const struct datapath *dp)
{
	static struct ct_key keys[8192];
	static struct ct_value vals[8192];
	struct bpf_map_batch_opts o = { .sz = sizeof(o) };
	uint32_t token = 0, n;
	void *in = NULL;
	size_t total = 0;
	int err;

	do {
		n = 8192;
		err = bpf_map_lookup_and_delete_batch(dp->fd_ct, in, &token, keys, vals, &n, &o);
		if (err && errno != ENOENT)
			die("clearing conntrack: %s", strerror(errno));
		total += n;
		in = &token;
	} while (!err);
	if (dp_flow_cache_flush(dp))
		die("flushing the flow cache: %s", strerror(errno));
	return total;
}

/* A case: one path, or an anchor (no datapath). */
enum method { M_DIRECT, M_RESTORE, M_FRESH, M_CYCLE };
static const char *const method_name[] = { "direct", "wrapped (restore)", "wrapped (new tuple)",
					   "wrapped (flow cycle)" };

#define R(x) (1u << (x))

struct bcase {
	const char *key; /* results key, ns per packet */
	const char *what;
	enum hook hook;
	enum method method;
	struct datapath *dp; /* NULL: an anchor */
	int prog; /* direct: the program run; wrapped: the tail-call target */
	const struct frame *pkt;
	uint32_t verdict;
	uint32_t expect; /* R(stat_reason): counted once per packet */
	const struct frame *seed; /* run once first when pkt's flow is not in conntrack */
	bool csum, miss;
	uint32_t ncycle;
	uint32_t miss_repeat; /* new flows per run (0: DPB_MISS_REPEAT) */
	const char *wrap_anchor, *trivial; /* keys */
	double ns[MAX_ROUNDS], wall[MAX_ROUNDS];
	double med, min, max, wall_med, fig;
	uint64_t packets;
	char csum_err[128]; /* the output frame's first checksum error */
};

struct suite {
	const char *name;
	struct bcase c[MAX_CASES];
	unsigned int n;
};

static struct bcase *suite_add(struct suite *s, const struct bcase *c)
{
	if (s->n == MAX_CASES)
		die("too many cases");
	s->c[s->n] = *c;
	return &s->c[s->n++];
}

static struct bcase *find(struct suite *s, const char *key)
{
	for (unsigned int i = 0; i < s->n; i++)
		if (!strcmp(s->c[i].key, key))
			return &s->c[i];
	die("no case %s", key);
}

static int dp_prog(const struct bcase *c)
{
	return c->hook == HOOK_XDP ? c->dp->prog_xdp : c->dp->prog_tc;
}

static void case_setup(const struct bcase *c)
{
	struct ct_key t = frame_tuple(c->pkt);
	struct ct_value v;
	struct run r;

	if (c->seed && bpf_map_lookup_elem(c->dp->fd_ct, &t, &v)) {
		if (prog_run(dp_prog(c), c->hook, c->seed, 1, false, &r))
			die("%s: seeding: %s", c->key, strerror(errno));
		if (bpf_map_lookup_elem(c->dp->fd_ct, &t, &v))
			die("%s: seeding left no conntrack entry for the flow (verdict %u)", c->key,
			    r.retval);
	}
}

/* Points the wrapper at c's target and template; returns the wrapper. */
static int wrap_prepare(const struct bcase *c)
{
	struct ct_key t = frame_tuple(c->pkt);
	uint32_t key = 0;
	int fd = c->prog, map, wrapper;

	if (c->pkt->len < WRAP_LEN ||
	    (c->method != M_RESTORE && c->pkt->b[OFF_IP + 9] != 6 && c->pkt->b[OFF_IP + 9] != 17))
		die("%s: the wrappers take frames of at least %d bytes (TCP/UDP to change the "
		    "tuple)",
		    c->key, WRAP_LEN);
	memcpy(sk->bss->tmpl, c->pkt->b, WRAP_LEN);
	sk->bss->cnt = 0;
	sk->bss->ncycle = c->ncycle ? c->ncycle : 1;
	sk->bss->saddr_base = ntohl(t.saddr);
	sk->bss->daddr_base = ntohl(t.daddr);
	if (c->hook == HOOK_XDP) {
		map = bpf_map__fd(sk->maps.xdp_next);
		if (c->method == M_CYCLE)
			die("%s: no XDP flow-cycle wrapper", c->key);
		wrapper = bpf_program__fd(c->method == M_RESTORE ? sk->progs.xdp_restore :
								   sk->progs.xdp_fresh);
	} else {
		map = bpf_map__fd(sk->maps.tc_next);
		wrapper = bpf_program__fd(c->method == M_RESTORE ? sk->progs.tc_restore :
					  c->method == M_FRESH	 ? sk->progs.tc_fresh :
								   sk->progs.tc_cycle);
	}
	if (bpf_map_update_elem(map, &key, &fd, BPF_ANY))
		die("%s: prog array: %s", c->key, strerror(errno));
	return wrapper;
}

static void run_case(struct bcase *c, unsigned int round)
{
	uint32_t repeat = c->miss ? (c->miss_repeat ? c->miss_repeat : set.miss_repeat) :
				    set.repeat;
	/* Misses: as many packets in all as the default runs carry. */
	uint32_t runs = c->miss ? (uint32_t)((uint64_t)set.miss_runs * set.miss_repeat / repeat) :
				  1;
	uint64_t before[STAT_MAX], after[STAT_MAX];
	int prog = c->prog;
	double ns = 0, wall = 0;
	char why[128];
	struct run r;
	size_t held;

	if (!runs)
		runs = 1;
	r.out_len = r.meta_len = 0;
	if (c->dp)
		case_setup(c);
	if (c->method != M_DIRECT)
		prog = wrap_prepare(c);
	if (c->dp)
		stats(c->dp, before);
	for (uint32_t k = 0; k < runs; k++) {
		if (c->miss) {
			held = ct_clear(c->dp);
			if (k && held != 2 * (size_t)repeat)
				die("%s: conntrack held %zu entries after a run, want %zu", c->key,
				    held, 2 * (size_t)repeat);
			sk->bss->cnt = 0;
		}
		if (prog_run(prog, c->hook, c->pkt, repeat, false, &r))
			die("%s: BPF_PROG_TEST_RUN: %s", c->key, strerror(errno));
		if (r.retval != c->verdict)
			die("%s: verdict %u, want %u", c->key, r.retval, c->verdict);
		ns += r.ns;
		wall += r.wall_ns;
	}
	if (c->miss) {
		held = ct_clear(c->dp);
		if (held != 2 * (size_t)repeat)
			die("%s: conntrack held %zu entries after a run, want %zu", c->key, held,
			    2 * (size_t)repeat);
	}
	if (c->dp) {
		stats(c->dp, after);
		check_stats(c->key, before, after, c->expect, (uint64_t)repeat * runs);
	}
	/* A wrong checksum is the datapath's bug, not the benchmark's: noted
	 * in the results, the figure still stands. */
	if (c->csum && !c->csum_err[0] &&
	    !pkt_checksums_ok(r.out + r.meta_len, r.out_len - r.meta_len, why, sizeof(why))) {
		snprintf(c->csum_err, sizeof(c->csum_err), "%s", why);
		fprintf(stderr, "dp_bench: warning: %s: the frame it sends: %s\n", c->key, why);
	}
	c->ns[round] = ns / runs;
	c->wall[round] = wall / runs;
	c->packets = (uint64_t)repeat * runs;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static double median(const double *v, unsigned int n, double *min, double *max)
{
	double s[MAX_ROUNDS];

	memcpy(s, v, n * sizeof(*s));
	qsort(s, n, sizeof(*s), cmp_double);
	if (min)
		*min = s[0];
	if (max)
		*max = s[n - 1];
	return n % 2 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
}

/* DPB_ONLY=key,key...: only those paths (and every anchor), for profiling. */
static bool selected(const struct bcase *c)
{
	const char *only = getenv("DPB_ONLY"), *p;
	size_t n = strlen(c->key);

	if (!c->dp || !only || !*only)
		return true;
	for (p = strstr(only, c->key); p; p = strstr(p + 1, c->key))
		if ((p == only || p[-1] == ',') && (p[n] == ',' || !p[n]))
			return true;
	return false;
}

static void run_suite(struct suite *s)
{
	for (unsigned int round = 0; round < set.rounds; round++) {
		fprintf(stderr, "dp_bench: %s: round %u/%u\n", s->name, round + 1, set.rounds);
		for (unsigned int i = 0; i < s->n; i++)
			if (selected(&s->c[i]))
				run_case(&s->c[i], round);
	}
	for (unsigned int i = 0; i < s->n; i++) {
		struct bcase *c = &s->c[i];

		c->med = median(c->ns, set.rounds, &c->min, &c->max);
		c->wall_med = median(c->wall, set.rounds, NULL, NULL);
	}
	/* Wrapped: minus the wrapper, plus the floor a direct figure carries. */
	for (unsigned int i = 0; i < s->n; i++) {
		struct bcase *c = &s->c[i];

		c->fig = c->med;
		if (c->wrap_anchor)
			c->fig = c->med - find(s, c->wrap_anchor)->med + find(s, c->trivial)->med;
	}
}

/* Whether the kernel hands every repeat a fresh copy of the input: a
 * conntrack hit run twice (a rewrite each time) is a hit twice only if
 * so. */
static int probe_reset(struct datapath *dp, enum hook h, const struct frame *syn,
		       const struct frame *hit)
{
	struct bcase c = { .key = "probe", .hook = h, .dp = dp, .pkt = hit, .seed = syn };
	uint64_t before[STAT_MAX], after[STAT_MAX];
	struct run r;

	case_setup(&c);
	stats(dp, before);
	if (prog_run(dp_prog(&c), h, hit, 2, false, &r))
		die("probe: %s", strerror(errno));
	stats(dp, after);
	return after[STAT_CT_HIT] - before[STAT_CT_HIT] == 2;
}

/* The main fixtures: one service of each kind, default Maglev M. */
static struct frame f_tc_syn, f_tc_ack, f_tc_reply, f_tc_rsyn, f_tc_rack, f_tc_udp, f_tc_pass,
	f_tc_reject, f_np_syn, f_np_ack, f_np_rsyn, f_np_rack, f_np_reply, f_xdp_pass, f_xdp_reject;

static void main_setup(struct datapath *dp)
{
	static const char *const local[] = { BACKEND ":8080" };
	static const char *const remote[] = { REMOTE_BACKEND ":8080" };
	static const char *const dns[] = { DNS_BACKEND ":53" };

	load_dp(dp, 0, 0);
	pod_endpoint(dp, POD);
	pod_endpoint(dp, BACKEND);
	pod_endpoint(dp, DNS_BACKEND);
	harness_service(dp, VIP, 80, 6, 1, 0, 0, 1, local, 1);
	harness_service(dp, VIP_REMOTE, 80, 6, 2, 0, 0, 2, remote, 1);
	harness_service(dp, VIP_DNS, 53, 17, 3, 0, 0, 3, dns, 1);
	harness_service(dp, VIP_EMPTY, 80, 6, 4, 0, 0, 10, NULL, 0);
	harness_service(dp, NULL, 30080, 6, 5, SVC_F_NODEPORT, 0, 4, local, 1);
	harness_service(dp, NULL, 30081, 6, 6, SVC_F_NODEPORT, 0, 5, remote, 1);
	harness_service(dp, NULL, 30099, 6, 7, SVC_F_NODEPORT, 0, 10, NULL, 0);
	if (dp_tx_port_add(dp, lab.podh) || dp_tx_port_add(dp, lab.node))
		die("dp_tx_port_add");

	/* From the client pod; 64-byte frames (a reject shrinks its frame to
	 * the headers, so those carry no payload). */
	tcp_frame(&f_tc_syn, false, POD, 40000, VIP, 80, 0x02, 10);
	tcp_frame(&f_tc_ack, false, POD, 40000, VIP, 80, 0x10, 10);
	tcp_frame(&f_tc_reply, false, BACKEND, 8080, POD, 40000, 0x10, 10);
	tcp_frame(&f_tc_rsyn, false, POD, 40001, VIP_REMOTE, 80, 0x02, 10);
	tcp_frame(&f_tc_rack, false, POD, 40001, VIP_REMOTE, 80, 0x10, 10);
	udp_frame(&f_tc_udp, POD, 40002, VIP_DNS, 53, 22);
	tcp_frame(&f_tc_pass, false, POD, 40004, "10.244.1.30", 5000, 0x10, 10);
	tcp_frame(&f_tc_reject, false, POD, 40003, VIP_EMPTY, 80, 0x02, 0);
	/* From the wire. */
	tcp_frame(&f_np_syn, true, CLIENT, 50000, NODE_IP, 30080, 0x02, 10);
	tcp_frame(&f_np_ack, true, CLIENT, 50000, NODE_IP, 30080, 0x10, 10);
	tcp_frame(&f_np_rsyn, true, CLIENT, 50001, NODE_IP, 30081, 0x02, 10);
	tcp_frame(&f_np_rack, true, CLIENT, 50001, NODE_IP, 30081, 0x10, 10);
	/* The remote backend's answer, SNATed to the node with the client's
	 * port (free here), arriving from the other node. */
	tcp_frame(&f_np_reply, true, REMOTE_BACKEND, 8080, NODE_IP, 50001, 0x10, 10);
	memcpy(f_np_reply.b + 6, mac_other, 6);
	tcp_frame(&f_xdp_pass, true, CLIENT, 50002, NODE_IP, 22, 0x10, 10);
	tcp_frame(&f_xdp_reject, true, CLIENT, 50003, NODE_IP, 30099, 0x02, 0);
}

/* Shorthands for the case table. */
#define TC_CASE .hook = HOOK_TC, .dp = dp, .prog = dp->prog_tc
#define XDP_CASE .hook = HOOK_XDP, .dp = dp, .prog = dp->prog_xdp
#define TC_RESTORE .method = M_RESTORE, .wrap_anchor = "tc_wrap_restore_ns"
#define XDP_RESTORE .method = M_RESTORE, .wrap_anchor = "xdp_wrap_restore_ns"

static void main_cases(struct suite *s, struct datapath *dp)
{
	int drop = bpf_program__fd(sk->progs.xdp_drop), ok = bpf_program__fd(sk->progs.tc_ok);
	/* Paths that deliver a packet themselves decrement its TTL: repeated on
	 * the same buffer they would run it out, so they are wrapped. */
	const struct bcase cases[] = {
		/* Anchors. */
		{ .key = "xdp_drop_ns",
		  .what = "trivial XDP program: return XDP_DROP",
		  .hook = HOOK_XDP,
		  .prog = drop,
		  .pkt = &f_np_ack,
		  .verdict = V_XDP_DROP },
		{ .key = "tc_trivial_ns",
		  .what = "trivial TC program: return TC_ACT_OK",
		  .hook = HOOK_TC,
		  .prog = ok,
		  .pkt = &f_tc_ack,
		  .verdict = V_TC_OK },
		{ .key = "xdp_wrap_restore_ns",
		  .what = "XDP wrapper (restore frame) + tail call to XDP_DROP",
		  .hook = HOOK_XDP,
		  .method = M_RESTORE,
		  .prog = drop,
		  .pkt = &f_np_ack,
		  .verdict = V_XDP_DROP },
		{ .key = "xdp_wrap_fresh_ns",
		  .what = "XDP wrapper (new tuple) + tail call to XDP_DROP",
		  .hook = HOOK_XDP,
		  .method = M_FRESH,
		  .prog = drop,
		  .pkt = &f_np_syn,
		  .verdict = V_XDP_DROP },
		{ .key = "tc_wrap_restore_ns",
		  .what = "TC wrapper (restore frame) + tail call to TC_ACT_OK",
		  .hook = HOOK_TC,
		  .method = M_RESTORE,
		  .prog = ok,
		  .pkt = &f_tc_ack,
		  .verdict = V_TC_OK },
		{ .key = "tc_wrap_fresh_ns",
		  .what = "TC wrapper (new tuple) + tail call to TC_ACT_OK",
		  .hook = HOOK_TC,
		  .method = M_FRESH,
		  .prog = ok,
		  .pkt = &f_tc_syn,
		  .verdict = V_TC_OK },
		/* tc_pod: a pod's egress. */
		{ .key = "clusterip_hit_ns",
		  .what = "ClusterIP TCP conntrack hit, local backend: DNAT, TTL, redirect_peer",
		  TC_CASE,
		  TC_RESTORE,
		  .pkt = &f_tc_ack,
		  .verdict = V_TC_REDIRECT,
		  .expect = R(STAT_CT_HIT) | R(STAT_REDIRECT),
		  .seed = &f_tc_syn,
		  .csum = true },
		{ .key = "clusterip_hit_remote_ns",
		  .what = "ClusterIP TCP conntrack hit, remote backend: DNAT, fib lookup, TTL, "
			  "redirect out of the node's device",
		  TC_CASE,
		  TC_RESTORE,
		  .pkt = &f_tc_rack,
		  .verdict = V_TC_REDIRECT,
		  .expect = R(STAT_CT_HIT) | R(STAT_REDIRECT),
		  .seed = &f_tc_rsyn,
		  .csum = true },
		{ .key = "clusterip_udp_hit_ns",
		  .what = "ClusterIP UDP (DNS) conntrack hit, local backend",
		  TC_CASE,
		  TC_RESTORE,
		  .pkt = &f_tc_udp,
		  .verdict = V_TC_REDIRECT,
		  .expect = R(STAT_CT_HIT) | R(STAT_REDIRECT),
		  .seed = &f_tc_udp,
		  .csum = true },
		{ .key = "clusterip_reply_ns",
		  .what = "reply from a local backend: reverse NAT, TTL, redirect_peer",
		  TC_CASE,
		  TC_RESTORE,
		  .pkt = &f_tc_reply,
		  .verdict = V_TC_REDIRECT,
		  .expect = R(STAT_REV_NAT) | R(STAT_REDIRECT),
		  .seed = &f_tc_syn,
		  .csum = true },
		{ .key = "tc_pass_ns",
		  .what = "non-service traffic (pod to a remote pod IP): pass",
		  TC_CASE,
		  .pkt = &f_tc_pass,
		  .verdict = V_TC_OK,
		  .expect = R(STAT_PASS),
		  .csum = true },
		{ .key = "tc_reject_ns",
		  .what = "ClusterIP without backends: TCP RST back into the pod",
		  TC_CASE,
		  TC_RESTORE,
		  .pkt = &f_tc_reject,
		  .verdict = V_TC_REDIRECT,
		  .expect = R(STAT_REJECT),
		  .csum = true },
		{ .key = "clusterip_miss_ns",
		  .what = "ClusterIP TCP SYN, new flow: service lookup, Maglev pick, conntrack "
			  "create (2 entries), DNAT, TTL, redirect_peer",
		  TC_CASE,
		  .method = M_FRESH,
		  .wrap_anchor = "tc_wrap_fresh_ns",
		  .pkt = &f_tc_syn,
		  .verdict = V_TC_REDIRECT,
		  .expect = R(STAT_DNAT) | R(STAT_REDIRECT),
		  .miss = true },
		{ .key = "clusterip_miss_small_ns",
		  .what = "same, in runs of 2,000 new flows (conntrack at most 4,000 entries: warm "
			  "caches)",
		  TC_CASE,
		  .method = M_FRESH,
		  .wrap_anchor = "tc_wrap_fresh_ns",
		  .pkt = &f_tc_syn,
		  .verdict = V_TC_REDIRECT,
		  .expect = R(STAT_DNAT) | R(STAT_REDIRECT),
		  .miss = true,
		  .miss_repeat = 2000 },
		/* xdp_node: from the wire. */
		{ .key = "nodeport_hit_ns",
		  .what = "NodePort TCP conntrack hit, local backend: DNAT, TTL, devmap redirect",
		  XDP_CASE,
		  XDP_RESTORE,
		  .pkt = &f_np_ack,
		  .verdict = V_XDP_REDIRECT,
		  .expect = R(STAT_CT_HIT) | R(STAT_REDIRECT),
		  .seed = &f_np_syn,
		  .csum = true },
		{ .key = "nodeport_hit_remote_ns",
		  .what = "NodePort TCP conntrack hit, remote backend: SNAT + DNAT, fib lookup, "
			  "TTL, XDP_TX",
		  XDP_CASE,
		  XDP_RESTORE,
		  .pkt = &f_np_rack,
		  .verdict = V_XDP_TX,
		  .expect = R(STAT_CT_HIT) | R(STAT_TX),
		  .seed = &f_np_rsyn,
		  .csum = true },
		{ .key = "nodeport_reply_ns",
		  .what = "reply from a remote backend: reverse NAT (src and dst), fib lookup, "
			  "TTL, XDP_TX",
		  XDP_CASE,
		  XDP_RESTORE,
		  .pkt = &f_np_reply,
		  .verdict = V_XDP_TX,
		  .expect = R(STAT_REV_NAT) | R(STAT_TX),
		  .seed = &f_np_rsyn,
		  .csum = true },
		{ .key = "xdp_pass_ns",
		  .what = "non-service traffic (to the node itself): pass up with metadata",
		  XDP_CASE,
		  .pkt = &f_xdp_pass,
		  .verdict = V_XDP_PASS,
		  .expect = R(STAT_PASS),
		  .csum = true },
		{ .key = "xdp_pass_wrapped_ns",
		  .what = "same, wrapped (cross-check of the two methods)",
		  XDP_CASE,
		  XDP_RESTORE,
		  .pkt = &f_xdp_pass,
		  .verdict = V_XDP_PASS,
		  .expect = R(STAT_PASS),
		  .csum = true },
		{ .key = "xdp_reject_ns",
		  .what = "NodePort without backends: TCP RST, XDP_TX",
		  XDP_CASE,
		  XDP_RESTORE,
		  .pkt = &f_xdp_reject,
		  .verdict = V_XDP_TX,
		  .expect = R(STAT_REJECT) | R(STAT_TX),
		  .csum = true },
		{ .key = "nodeport_miss_ns",
		  .what = "NodePort TCP SYN, new flow: 2 service lookups, Maglev pick, conntrack "
			  "create, DNAT, TTL, devmap redirect",
		  XDP_CASE,
		  .method = M_FRESH,
		  .wrap_anchor = "xdp_wrap_fresh_ns",
		  .pkt = &f_np_syn,
		  .verdict = V_XDP_REDIRECT,
		  .expect = R(STAT_DNAT) | R(STAT_REDIRECT),
		  .miss = true },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct bcase *c = suite_add(s, &cases[i]);

		c->trivial = c->hook == HOOK_XDP ? "xdp_drop_ns" : "tc_trivial_ns";
	}
}

/* The scale series: n ClusterIP services (2 local backends each, Maglev
 * M = SCALE_M) and one established flow per service, created by tc_pod. */
static const uint32_t scale_n[N_SCALE] = { 1, 1000, 0 /* set.services */ };
static struct frame f_scale_syn, f_scale_ack;

#define SCALE_VIP0 0x0a60000a /* 10.96.0.10 */
#define SCALE_BACKEND0 0x0af40014 /* 10.244.0.20 */
#define SCALE_PODS 200

/* What dp_service_set does for services first..first+count-1 (2 backends
 * each, backend ids 2i and 2i+1, VIP SCALE_VIP0 + i), in batches: every
 * update of the Maglev map-in-map waits for an RCU grace period (~15 ms
 * here), so dp_service_set would take ~25 minutes for 100,000 services;
 * a batch update waits once. The inner tables are made as dp.c makes
 * them (an array of M u32 slots); a layout change there fails loudly. */
#define SVC_BATCH 1000

static void services_batch(const struct datapath *dp, uint32_t first, uint32_t count)
{
	static uint32_t ids[SVC_BATCH], slots[SCALE_M], table[SCALE_M];
	static struct svc_key keys[SVC_BATCH];
	static struct svc_value vals[SVC_BATCH];
	static struct backend bes[2 * SVC_BATCH];
	static uint32_t be_ids[2 * SVC_BATCH];
	static int fds[SVC_BATCH];
	uint32_t n, two[2];

	for (uint32_t i = 0; i < SCALE_M; i++)
		slots[i] = i;
	for (uint32_t j = 0; j < count; j++) {
		uint32_t i = first + j;

		for (uint32_t b = 0; b < 2; b++) {
			be_ids[2 * j + b] = two[b] = 2 * i + b;
			memset(&bes[2 * j + b], 0, sizeof(bes[0]));
			bes[2 * j + b].ip = htonl(SCALE_BACKEND0 + (2 * i + b) % SCALE_PODS);
			bes[2 * j + b].port = htons(8080);
		}
		/* The tables' flags as dp.c made the map-in-map's template. */
		LIBBPF_OPTS(bpf_map_create_opts, mopts, .map_flags = dp->maglev_flags);

		fds[j] = bpf_map_create(BPF_MAP_TYPE_ARRAY, "xcni_maglev", sizeof(uint32_t),
					sizeof(uint32_t), SCALE_M, &mopts);
		if (fds[j] < 0)
			die("creating a Maglev table: %s", strerror(errno));
		if (maglev_build(table, SCALE_M, two, 2))
			die("maglev_build");
		n = SCALE_M;
		if (bpf_map_update_batch(fds[j], slots, table, &n, NULL) || n != SCALE_M)
			die("writing a Maglev table: %s", strerror(errno));
		ids[j] = i;
		memset(&keys[j], 0, sizeof(keys[j]));
		keys[j].vip = htonl(SCALE_VIP0 + i);
		keys[j].port = htons(80);
		keys[j].proto = 6;
		memset(&vals[j], 0, sizeof(vals[j]));
		vals[j].id = i;
		vals[j].backend_count = 2;
	}
	n = 2 * count;
	if (bpf_map_update_batch(dp->fd_backends, be_ids, bes, &n, NULL))
		die("backends: %s", strerror(errno));
	n = count;
	if (bpf_map_update_batch(dp->fd_maglev, ids, fds, &n, NULL))
		die("Maglev tables into the map-in-map: %s (has dp.c's table layout changed?)",
		    strerror(errno));
	n = count;
	if (bpf_map_update_batch(dp->fd_services, keys, vals, &n, NULL))
		die("services: %s", strerror(errno));
	for (uint32_t j = 0; j < count; j++)
		close(fds[j]);
}

static void scale_setup(struct datapath *dp, uint32_t n, uint32_t max_services)
{
	uint32_t key = 0, prog;
	uint64_t before[STAT_MAX], after[STAT_MAX];
	double t0 = now_ns();
	struct run r;

	load_dp(dp, SCALE_M, max_services);
	pod_endpoint(dp, POD);
	for (uint32_t i = 0; i < SCALE_PODS; i++) {
		struct endpoint ep = { .ifindex = (uint32_t)lab.podh };

		memcpy(ep.pod_mac, mac_pod, 6);
		memcpy(ep.host_mac, mac_podh, 6);
		if (dp_endpoint_set(dp, htonl(SCALE_BACKEND0 + i), &ep))
			die("dp_endpoint_set");
	}
	for (uint32_t first = 0; first < n; first += SVC_BATCH)
		services_batch(dp, first, n - first < SVC_BATCH ? n - first : SVC_BATCH);
	/* One flow per service, through the datapath: the flow-cycle wrapper
	 * sends one SYN to each. */
	memcpy(sk->bss->tmpl, f_scale_syn.b, WRAP_LEN);
	sk->bss->cnt = 0;
	sk->bss->ncycle = n;
	sk->bss->saddr_base = ntohl(ip4(POD));
	sk->bss->daddr_base = SCALE_VIP0;
	prog = (uint32_t)dp->prog_tc;
	if (bpf_map_update_elem(bpf_map__fd(sk->maps.tc_next), &key, &prog, BPF_ANY))
		die("prog array: %s", strerror(errno));
	stats(dp, before);
	if (prog_run(bpf_program__fd(sk->progs.tc_cycle), HOOK_TC, &f_scale_syn, n, false, &r))
		die("seeding %u flows: %s", n, strerror(errno));
	stats(dp, after);
	check_stats("scale seeding", before, after, R(STAT_DNAT) | R(STAT_REDIRECT), n);
	fprintf(stderr, "dp_bench: %u services and their flows ready in %.1f s\n", n,
		(now_ns() - t0) / 1e9);
}

static const char *scale_label(uint32_t n, char *buf, size_t len)
{
	if (n == 1)
		snprintf(buf, len, "1svc");
	else if (n % 1000 == 0)
		snprintf(buf, len, "%uk", n / 1000);
	else
		snprintf(buf, len, "%u", n);
	return buf;
}

static char scale_keys[N_SCALE][2][48];

static void scale_cases(struct suite *s, struct datapath *dps, const uint32_t *ns)
{
	int ok = bpf_program__fd(sk->progs.tc_ok);
	const struct bcase anchors[] = {
		{ .key = "scale_tc_trivial_ns",
		  .what = "trivial TC program: return TC_ACT_OK",
		  .hook = HOOK_TC,
		  .prog = ok,
		  .pkt = &f_scale_ack,
		  .verdict = V_TC_OK },
		{ .key = "scale_tc_wrap_restore_ns",
		  .what = "TC wrapper (restore frame) + tail call to TC_ACT_OK",
		  .hook = HOOK_TC,
		  .method = M_RESTORE,
		  .prog = ok,
		  .pkt = &f_scale_ack,
		  .verdict = V_TC_OK },
		{ .key = "scale_tc_wrap_cycle_ns",
		  .what = "TC wrapper (flow cycle) + tail call to TC_ACT_OK",
		  .hook = HOOK_TC,
		  .method = M_CYCLE,
		  .prog = ok,
		  .pkt = &f_scale_ack,
		  .verdict = V_TC_OK,
		  .ncycle = 1000 },
	};
	char label[16];

	for (size_t i = 0; i < sizeof(anchors) / sizeof(anchors[0]); i++)
		suite_add(s, &anchors[i])->trivial = "scale_tc_trivial_ns";
	for (int i = 0; i < N_SCALE; i++) {
		struct bcase c = { .hook = HOOK_TC,
				   .dp = &dps[i],
				   .prog = dps[i].prog_tc,
				   .pkt = &f_scale_ack,
				   .verdict = V_TC_REDIRECT,
				   .expect = R(STAT_CT_HIT) | R(STAT_REDIRECT),
				   .trivial = "scale_tc_trivial_ns" };

		scale_label(ns[i], label, sizeof(label));
		snprintf(scale_keys[i][0], sizeof(scale_keys[i][0]), "clusterip_hit_%s_ns", label);
		snprintf(scale_keys[i][1], sizeof(scale_keys[i][1]), "clusterip_hit_cycle_%s_ns",
			 label);
		c.key = scale_keys[i][0];
		c.what = "ClusterIP TCP conntrack hit, one flow (as clusterip_hit_ns)";
		c.method = M_RESTORE;
		c.wrap_anchor = "scale_tc_wrap_restore_ns";
		c.csum = true;
		suite_add(s, &c);
		c.key = scale_keys[i][1];
		c.what = "ClusterIP TCP conntrack hit, a different flow (and service) each packet";
		c.method = M_CYCLE;
		c.ncycle = ns[i];
		c.wrap_anchor = "scale_tc_wrap_cycle_ns";
		c.csum = false; /* the wrapper leaves checksums stale */
		suite_add(s, &c);
	}
}

/* NodePort forwarding with live frames beside a bare devmap redirect. */
struct live {
	const char *key;
	const char *what;
	int prog; /* run, or with wrapped the tail-call target */
	bool wrapped; /* through xdp_restore, like the wrapped cases */
	struct datapath *dp; /* counters checked when set */
	double ns[MAX_ROUNDS], wall[MAX_ROUNDS], mpps[MAX_ROUNDS];
	double med_ns, mpps_med, mpps_min, mpps_max, wall_mpps;
	uint64_t delivered, sent;
};

static void live_run(struct live *l, unsigned int round, const struct frame *f)
{
	struct bcase w = {
		.key = l->key, .hook = HOOK_XDP, .method = M_RESTORE, .prog = l->prog, .pkt = f
	};
	uint64_t before[STAT_MAX], after[STAT_MAX], rx0, rx1;
	int prog = l->wrapped ? wrap_prepare(&w) : l->prog;
	struct run r;

	if (l->dp)
		stats(l->dp, before);
	rx0 = rx_count();
	if (prog_run(prog, HOOK_XDP, f, set.live_packets, true, &r))
		die("%s: live frames: %s", l->key, strerror(errno));
	rx1 = rx_count();
	if (l->dp) {
		stats(l->dp, after);
		check_stats(l->key, before, after, R(STAT_CT_HIT) | R(STAT_REDIRECT),
			    set.live_packets);
	}
	l->delivered += rx1 - rx0;
	l->sent += set.live_packets;
	l->ns[round] = r.ns;
	l->wall[round] = r.wall_ns;
	/* Delivered frames (counted by the receiving peer) per kernel time. */
	l->mpps[round] = (double)(rx1 - rx0) / (r.ns * set.live_packets) * 1e3;
}

/* Whether live frames start from the input every time a page is reused:
 * xdp_node unwrapped on the NodePort hit; a reused, already translated
 * frame would not be a conntrack hit. */
static int probe_live_fresh(struct datapath *dp, const struct frame *f, uint32_t n)
{
	uint64_t before[STAT_MAX], after[STAT_MAX];
	struct run r;

	stats(dp, before);
	if (prog_run(dp->prog_xdp, HOOK_XDP, f, n, true, &r))
		die("live probe: %s", strerror(errno));
	stats(dp, after);
	return after[STAT_CT_HIT] - before[STAT_CT_HIT] == n;
}

static void json_case(FILE *f, const struct bcase *c, const struct suite *s, bool last)
{
	fprintf(f,
		"    {\"key\": \"%s\", \"suite\": \"%s\", \"hook\": \"%s\", \"what\": \"%s\", "
		"\"method\": \"%s\", \"ns\": %.1f, \"raw_ns\": %.1f, \"min_ns\": %.1f, "
		"\"max_ns\": %.1f, \"wall_ns\": %.2f, \"packets\": %llu, \"anchor\": %s%s%s, "
		"\"wrap_anchor\": %s%s%s, \"checksum_error\": \"%s\"}%s\n",
		c->key, s->name, c->hook == HOOK_XDP ? "xdp" : "tc", c->what,
		method_name[c->method], c->fig, c->med, c->min, c->max, c->wall_med,
		(unsigned long long)c->packets, c->dp ? "\"" : "", c->dp ? c->trivial : "null",
		c->dp ? "\"" : "", c->wrap_anchor ? "\"" : "",
		c->wrap_anchor ? c->wrap_anchor : "null", c->wrap_anchor ? "\"" : "", c->csum_err,
		last ? "" : ",");
}

int main(int argc, char **argv)
{
	static struct datapath main_dp, scale_dp[N_SCALE];
	static struct suite s_main = { .name = "fixtures" }, s_scale = { .name = "scale" };
	struct live live[N_LIVE];
	uint32_t ns[N_SCALE], max_services;
	int reset_tc, reset_xdp, live_fresh, pass_meta = -1;
	double t_start = now_ns();
	cpu_set_t cpus;
	struct run r;
	FILE *out;

	if (argc != 2)
		die("usage: dp_bench OUT.json");
	set.rounds = env_u32("DPB_ROUNDS", 5, 1);
	set.repeat = env_u32("DPB_REPEAT", 1000000, 1);
	set.miss_runs = env_u32("DPB_MISS_RUNS", 10, 1);
	set.miss_repeat = env_u32("DPB_MISS_REPEAT", 100000, 1);
	set.services = env_u32("DPB_SERVICES", 100000, 2);
	set.live_packets = env_u32("DPB_LIVE_PACKETS", 5000000, 1);
	set.live_rounds = env_u32("DPB_LIVE_ROUNDS", 3, 1);
	set.live_batch = env_u32("DPB_LIVE_BATCH", 64, 1);
	if (set.rounds > MAX_ROUNDS || set.live_rounds > MAX_ROUNDS)
		die("at most %d rounds", MAX_ROUNDS);
	if (set.miss_repeat > 120000)
		die("DPB_MISS_REPEAT above 120000 would overflow the default conntrack size");
	if (set.services <= 1000)
		die("DPB_SERVICES must be above 1000");
	libbpf_set_print(quiet);

	/* One CPU for the whole run: the live frames' receive side too. */
	CPU_ZERO(&cpus);
	CPU_SET(sysconf(_SC_NPROCESSORS_ONLN) - 1, &cpus);
	if (sched_setaffinity(0, sizeof(cpus), &cpus))
		die("sched_setaffinity: %s", strerror(errno));

	lab_setup();
	progs_setup();
	main_setup(&main_dp);

	/* Does a repeat see the input again, or the previous repeat's output? */
	reset_tc = probe_reset(&main_dp, HOOK_TC, &f_tc_syn, &f_tc_ack);
	reset_xdp = probe_reset(&main_dp, HOOK_XDP, &f_np_syn, &f_np_ack);
	fprintf(stderr,
		"dp_bench: test_run gives each repeat a fresh copy of the input: TC %s, "
		"XDP %s\n",
		reset_tc ? "yes" : "no", reset_xdp ? "yes" : "no");

	main_cases(&s_main, &main_dp);
	run_suite(&s_main);
	/* The metadata area xdp_node's pass left after its repeats. */
	if (prog_run(main_dp.prog_xdp, HOOK_XDP, &f_xdp_pass, 1000, false, &r) == 0)
		pass_meta = (int)r.meta_len;

	/* Services at scale, all loaded at once so their rounds interleave. */
	tcp_frame(&f_scale_syn, false, POD, 0x8000, VIP, 80, 0x02, 10);
	tcp_frame(&f_scale_ack, false, POD, 0x8000, VIP, 80, 0x10, 10);
	memcpy(ns, scale_n, sizeof(ns));
	ns[N_SCALE - 1] = set.services;
	max_services = 65536;
	while (max_services < set.services)
		max_services *= 2;
	for (int i = 0; i < N_SCALE; i++)
		scale_setup(&scale_dp[i], ns[i], max_services);
	scale_cases(&s_scale, scale_dp, ns);
	run_suite(&s_scale);

	/* Live frames: a bare redirect, the same through the restore wrapper,
	 * and xdp_node on the NodePort hit through the wrapper (its TTL
	 * decrement would run out on reused pages), all into the same veth. */
	case_setup(find(&s_main, "nodeport_hit_ns"));
	live_fresh = probe_live_fresh(&main_dp, &f_np_ack, 1000000);
	memset(live, 0, sizeof(live));
	live[0].key = "redirect_live_mpps";
	live[0].what = "bare devmap redirect (bpf_redirect_map, nothing else)";
	live[0].prog = bpf_program__fd(sk->progs.xdp_redirect);
	live[1].key = "redirect_live_wrapped_mpps";
	live[1].what = "the same through the restore wrapper";
	live[1].prog = live[0].prog;
	live[1].wrapped = true;
	live[2].key = "nodeport_live_mpps";
	live[2].what = "xdp_node through the restore wrapper, NodePort TCP conntrack hit, local "
		       "backend: DNAT, TTL, devmap redirect";
	live[2].prog = main_dp.prog_xdp;
	live[2].wrapped = true;
	live[2].dp = &main_dp;
	for (unsigned int round = 0; round < set.live_rounds; round++) {
		fprintf(stderr, "dp_bench: live frames: round %u/%u\n", round + 1, set.live_rounds);
		for (int i = 0; i < N_LIVE; i++)
			live_run(&live[i], round, &f_np_ack);
	}
	for (int i = 0; i < N_LIVE; i++) {
		live[i].med_ns = median(live[i].ns, set.live_rounds, NULL, NULL);
		live[i].mpps_med =
			median(live[i].mpps, set.live_rounds, &live[i].mpps_min, &live[i].mpps_max);
		live[i].wall_mpps = 1e3 / median(live[i].wall, set.live_rounds, NULL, NULL);
	}

	out = fopen(argv[1], "w");
	if (!out)
		die("%s: %s", argv[1], strerror(errno));
	fprintf(out,
		"{\n  \"settings\": {\"rounds\": %u, \"repeat\": %u, \"miss_runs\": %u, "
		"\"miss_repeat\": %u, \"services\": [%u, %u, %u], \"scale_maglev_m\": %d, "
		"\"max_services_scale\": %u, \"live_packets\": %u, \"live_rounds\": %u, "
		"\"live_batch\": %u, \"frame_bytes\": %zu, \"cpu\": %ld},\n",
		set.rounds, set.repeat, set.miss_runs, set.miss_repeat, ns[0], ns[1], ns[2],
		SCALE_M, max_services, set.live_packets, set.live_rounds, set.live_batch,
		f_tc_ack.len, sysconf(_SC_NPROCESSORS_ONLN) - 1);
	fprintf(out,
		"  \"probe\": {\"tc_repeat_sees_fresh_input\": %s, "
		"\"xdp_repeat_sees_fresh_input\": %s, \"live_frames_see_fresh_input\": %s, "
		"\"xdp_pass_meta_len_after_repeats\": %d},\n",
		reset_tc ? "true" : "false", reset_xdp ? "true" : "false",
		live_fresh ? "true" : "false", pass_meta);
	fprintf(out, "  \"cases\": [\n");
	for (unsigned int i = 0; i < s_main.n; i++)
		json_case(out, &s_main.c[i], &s_main, false);
	for (unsigned int i = 0; i < s_scale.n; i++)
		json_case(out, &s_scale.c[i], &s_scale, i + 1 == s_scale.n);
	fprintf(out, "  ],\n  \"live\": [\n");
	for (int i = 0; i < N_LIVE; i++)
		fprintf(out,
			"    {\"key\": \"%s\", \"what\": \"%s\", \"mpps\": %.3f, \"min_mpps\": %.3f, "
			"\"max_mpps\": %.3f, \"wall_mpps\": %.3f, \"ns\": %.1f, \"sent\": %llu, "
			"\"delivered\": %llu}%s\n",
			live[i].key, live[i].what, live[i].mpps_med, live[i].mpps_min,
			live[i].mpps_max, live[i].wall_mpps, live[i].med_ns,
			(unsigned long long)live[i].sent, (unsigned long long)live[i].delivered,
			i + 1 == N_LIVE ? "" : ",");
	fprintf(out, "  ],\n  \"elapsed_s\": %.1f\n}\n", (now_ns() - t_start) / 1e9);
	if (fclose(out))
		die("%s: %s", argv[1], strerror(errno));

	for (int i = 0; i < N_SCALE; i++)
		dp_close(&scale_dp[i]);
	dp_close(&main_dp);
	bench_progs__destroy(sk);
	return 0;
}
