/* Datapath ownership: pins under a bpffs root, pinned maps reused across
 * loads (a flow keeps its backend), migrated on a size change or refused
 * by name, tools opening the pins, XDP as pinned bpf_links that outlive
 * the loader and are updated in place, and a cleanup that leaves nothing.
 * Runs in its own network and mount namespaces: veths and bpffs mounts
 * vanish with the process even if it dies. */
#include "unit.h"

#include <arpa/inet.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/if_link.h>
#include <net/if.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/stat.h>

#include "bpffs.h"
#include "dp_pin.h"
#include "harness.h"
#include "tc_attach.h"
#include "xcni/pins.h"

#define POD "10.244.1.5"
#define VIP "10.96.0.1"
#define BE1 "10.244.2.7"
#define BE2 "10.244.3.9"

static const char *const map_names[] = { "services",  "backends", "svc_backends", "maglev",
					 "conntrack", "affinity", "endpoints",	  "dp_config_map",
					 "stats",     "map_full", "tx_ports",	  "flow_cache",
					 "flow_gen" };

static char base[64]; /* /run/xcni-test-<pid> */
static int n_roots;

struct ctx {
	char root[256];
	char outer[240]; /* a bpffs a test mounted itself */
	struct datapath dp, dp2;
	bool loaded, loaded2;
};

static int quiet(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	(void)level;
	(void)fmt;
	(void)ap;
	return 0; /* refusals are the point of some tests: their messages are checked */
}

static int group_setup(void **state)
{
	(void)state;
	libbpf_set_print(quiet);
	/* Private namespaces: nothing reaches the machine's devices, and the
	 * bpffs mounts these tests make cannot outlive them. */
	if (unshare(CLONE_NEWNET | CLONE_NEWNS) ||
	    mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL)) {
		perror("test_pin: unshare");
		return -1;
	}
	snprintf(base, sizeof(base), "/run/xcni-test-%d", (int)getpid());
	return harness_sh("ip link set lo up");
}

static int group_teardown(void **state)
{
	(void)state;
	rmdir(base);
	return 0;
}

static int setup(void **state)
{
	struct ctx *c = calloc(1, sizeof(*c));

	if (!c)
		return -1;
	snprintf(c->root, sizeof(c->root), "%s/t%d", base, n_roots++);
	*state = c;
	return 0;
}

static int teardown(void **state)
{
	struct ctx *c = *state;
	char msg[256];

	if (c->loaded)
		dp_close(&c->dp);
	if (c->loaded2)
		dp_close(&c->dp2);
	if (dp_cleanup(c->root, msg, sizeof(msg)))
		fprintf(stderr, "test_pin: cleanup of %s: %s\n", c->root, msg);
	/* Whatever a failed test left: the namespace's mounts go with it. */
	umount2(c->root, MNT_DETACH);
	rmdir(c->root);
	if (c->outer[0]) {
		umount2(c->outer, MNT_DETACH);
		rmdir(c->outer);
	}
	harness_sh("ip link del w0 2>/dev/null; ip link del pv0 2>/dev/null; true");
	free(c);
	return 0;
}

static int load_opts(struct ctx *c, struct datapath *dp, struct dp_opts *o, char *msg, size_t len)
{
	o->pin_root = c->root;
	o->node_ip = ip4(NODE_IP);
	return dp_load(dp, o, msg, len);
}

/* Loads into c->dp (or c->dp2 when second), asserting success. */
static struct datapath *load(struct ctx *c, bool second, struct dp_opts o)
{
	struct datapath *dp = second ? &c->dp2 : &c->dp;
	char msg[512];
	int err = load_opts(c, dp, &o, msg, sizeof(msg));

	if (err)
		fail_msg("dp_load: %s", msg);
	*(second ? &c->loaded2 : &c->loaded) = true;
	return dp;
}

static void unload(struct ctx *c, bool second)
{
	dp_close(second ? &c->dp2 : &c->dp);
	*(second ? &c->loaded2 : &c->loaded) = false;
}

static __u32 fd_id(int fd)
{
	struct bpf_map_info info = { 0 };
	__u32 n = sizeof(info);

	assert_int_equal(bpf_obj_get_info_by_fd(fd, &info, &n), 0);
	return info.id;
}

static void pin_info(const char *root, const char *dir, const char *name, struct bpf_map_info *info)
{
	char path[PATH_MAX];
	__u32 n = sizeof(*info);
	int fd;

	assert_int_equal(bpffs_path(path, sizeof(path), root, dir, name), 0);
	fd = bpf_obj_get(path);
	if (fd < 0)
		fail_msg("%s is not pinned: %s", path, strerror(errno));
	memset(info, 0, sizeof(*info));
	assert_int_equal(bpf_obj_get_info_by_fd(fd, info, &n), 0);
	close(fd);
}

static __u32 pinned_id(const char *root, const char *dir, const char *name)
{
	struct bpf_map_info info;

	pin_info(root, dir, name, &info);
	return info.id;
}

static bool pinned(const char *root, const char *dir, const char *name)
{
	char path[PATH_MAX];
	struct stat st;

	assert_int_equal(bpffs_path(path, sizeof(path), root, dir, name), 0);
	return stat(path, &st) == 0;
}

/* A pod's TCP packet to VIP:80 run through tc_pod; returns the
 * destination it leaves with. */
static uint32_t pod_to_vip(const struct datapath *dp, uint8_t flags)
{
	struct pkt_spec s = { .saddr = POD,
			      .daddr = VIP,
			      .proto = 6,
			      .sport = 40000,
			      .dport = 80,
			      .tcp_flags = flags,
			      .seq = 1000 };
	uint8_t frame[PKT_MAX];
	struct run_result r;
	uint32_t daddr;
	size_t n = pkt_build(frame, &s);

	assert_int_equal(harness_run(dp, HOOK_TC, frame, n, 1, &r), 0);
	assert_int_equal(r.verdict, V_TC_OK);
	memcpy(&daddr, r.out + OFF_IP + 16, 4);
	return daddr;
}

/* VIP:80 with one backend ("ip:port"). */
static void service(const struct datapath *dp, const char *be, uint32_t first_id)
{
	const char *const b[] = { be };

	harness_service(dp, VIP, 80, 6, 1, 0, 0, first_id, b, 1);
}

static void veth(const char *a, const char *b)
{
	assert_int_equal(harness_sh("ip link add %s type veth peer name %s && ip link set %s up && "
				    "ip link set %s up",
				    a, b, a, b),
			 0);
}

/* ---- pins ---- */

static void test_load_mounts_a_bpffs_and_pins_every_map_and_both_programs(void **state)
{
	struct ctx *c = *state;
	struct datapath *dp;

	dp = load(c, false, (struct dp_opts){ 0 });
	assert_true(bpffs_is_bpffs(c->root));
	assert_true(bpffs_mounted_by_us(c->root));
	for (size_t i = 0; i < ARRAY_SIZE(map_names); i++)
		if (!pinned(c->root, XCNI_PIN_MAPS_DIR, map_names[i]))
			fail_msg("map %s is not pinned", map_names[i]);
	assert_int_equal(pinned_id(c->root, XCNI_PIN_MAPS_DIR, "conntrack"), fd_id(dp->fd_ct));
	assert_int_equal(pinned_id(c->root, XCNI_PIN_MAPS_DIR, "tx_ports"), fd_id(dp->fd_tx_ports));
	assert_int_equal(pinned_id(c->root, XCNI_PIN_PROGS_DIR, XCNI_PIN_PROG_XDP),
			 fd_id(dp->prog_xdp));
	assert_int_equal(pinned_id(c->root, XCNI_PIN_PROGS_DIR, XCNI_PIN_PROG_TC),
			 fd_id(dp->prog_tc));
	assert_int_equal(dp->maps_created, ARRAY_SIZE(map_names));
	assert_int_equal(dp->maps_reused, 0);
}

static void test_a_load_without_a_root_pins_nothing(void **state)
{
	struct ctx *c = *state;
	struct dp_opts o = { .node_ip = ip4(NODE_IP) };
	char msg[256];
	struct stat st;

	assert_int_equal(dp_load(&c->dp, &o, msg, sizeof(msg)), 0);
	c->loaded = true;
	assert_int_equal(stat(c->root, &st), -1);
}

static void test_a_reload_reuses_the_maps_and_a_flow_keeps_its_backend(void **state)
{
	struct ctx *c = *state;
	struct datapath *dp = load(c, false, (struct dp_opts){ 0 });
	__u32 ct_id = fd_id(dp->fd_ct), old_prog = fd_id(dp->prog_tc);
	struct dp_config cfg;

	service(dp, BE1 ":8080", 10);
	assert_int_equal(pod_to_vip(dp, 0x02), ip4(BE1)); /* SYN: DNAT, conntrack */
	assert_int_equal(dp_clock_set(dp, 4242), 0);
	unload(c, false);

	/* As an upgraded agent: new programs over the same maps. */
	dp = load(c, true, (struct dp_opts){ 0 });
	assert_int_equal(dp->maps_reused, ARRAY_SIZE(map_names));
	assert_int_equal(dp->maps_created + dp->maps_migrated, 0);
	assert_int_equal(fd_id(dp->fd_ct), ct_id);
	assert_int_not_equal(fd_id(dp->prog_tc), old_prog);
	assert_int_equal(pinned_id(c->root, XCNI_PIN_PROGS_DIR, XCNI_PIN_PROG_TC),
			 fd_id(dp->prog_tc));
	/* The clock conntrack entries are stamped with goes on. */
	assert_int_equal(dp_config_get(dp, &cfg), 0);
	assert_int_equal(cfg.clock, 4242);
	assert_int_equal(cfg.node_ip, ip4(NODE_IP));
	/* The service now points elsewhere; the established flow does not. */
	service(dp, BE2 ":8080", 20);
	assert_int_equal(pod_to_vip(dp, 0x10), ip4(BE1));
	assert_int_equal(harness_stat(dp, STAT_CT_HIT), 1);
	/* A new flow takes the new backend: the reused Maglev map works. */
	{
		struct pkt_spec s = { .saddr = POD,
				      .daddr = VIP,
				      .proto = 6,
				      .sport = 40001,
				      .dport = 80,
				      .tcp_flags = 0x02 };
		uint8_t frame[PKT_MAX];
		struct run_result r;
		uint32_t daddr;
		size_t n = pkt_build(frame, &s);

		assert_int_equal(harness_run(dp, HOOK_TC, frame, n, 1, &r), 0);
		memcpy(&daddr, r.out + OFF_IP + 16, 4);
		assert_int_equal(daddr, ip4(BE2));
	}
}

/* Replaces a pinned map with one made by hand: the right name, the layout
 * given. */
static void pin_fake(const char *root, const char *name, enum bpf_map_type type, __u32 key,
		     __u32 value, __u32 max)
{
	char path[PATH_MAX];
	int fd = bpf_map_create(type, name, key, value, max, NULL);

	assert_true(fd >= 0);
	assert_int_equal(bpffs_path(path, sizeof(path), root, XCNI_PIN_MAPS_DIR, name), 0);
	unlink(path);
	assert_int_equal(bpf_obj_pin(fd, path), 0);
	close(fd);
}

static void test_a_pinned_map_of_another_layout_is_refused_by_name(void **state)
{
	struct ctx *c = *state;
	struct dp_opts o = { 0 };
	struct bpf_map_info info;
	char msg[512];

	load(c, false, o);
	unload(c, false);
	pin_fake(c->root, "conntrack", BPF_MAP_TYPE_LRU_HASH, sizeof(struct ct_key), 48, 1024);
	assert_int_equal(load_opts(c, &c->dp, &o, msg, sizeof(msg)), -EINVAL);
	assert_str_contains(msg, "map conntrack: pinned value size 48, this build");
	assert_str_contains(msg, "xcni-agent --cleanup");
	assert_str_contains(msg, "maps/conntrack");
	/* Refused means untouched: the odd map is still the pinned one. */
	pin_info(c->root, XCNI_PIN_MAPS_DIR, "conntrack", &info);
	assert_int_equal(info.value_size, 48);

	pin_fake(c->root, "conntrack", BPF_MAP_TYPE_HASH, sizeof(struct ct_key),
		 sizeof(struct ct_value), 1024);
	assert_int_equal(load_opts(c, &c->dp, &o, msg, sizeof(msg)), -EINVAL);
	assert_str_contains(msg, "map conntrack: pinned type hash, this build lru_hash");
}

static void put_ct(const struct datapath *dp, uint16_t sport)
{
	struct ct_key k = { .saddr = ip4(POD),
			    .daddr = ip4(VIP),
			    .sport = htons(sport),
			    .dport = htons(80),
			    .proto = 6 };
	struct ct_value v = { .daddr = ip4(BE1), .dport = htons(8080), .backend_id = 10 };

	assert_int_equal(bpf_map_update_elem(dp->fd_ct, &k, &v, BPF_ANY), 0);
}

static void test_a_new_size_migrates_the_entries_into_a_new_map(void **state)
{
	struct ctx *c = *state;
	struct datapath *dp = load(c, false, (struct dp_opts){ .max_ct = 1024 });
	__u32 old_id = fd_id(dp->fd_ct);
	struct bpf_map_info info;
	struct ct_value v;
	char msg[512];
	struct dp_opts o = { .max_ct = 2048 };

	for (uint16_t p = 1; p <= 3; p++)
		put_ct(dp, p);
	unload(c, false);
	assert_int_equal(load_opts(c, &c->dp2, &o, msg, sizeof(msg)), 0);
	c->loaded2 = true;
	assert_int_equal(c->dp2.maps_migrated, 1);
	assert_str_contains(msg, "map conntrack migrated: max_entries 1024 -> 2048, 3 entries");
	pin_info(c->root, XCNI_PIN_MAPS_DIR, "conntrack", &info);
	assert_int_equal(info.max_entries, 2048);
	assert_int_not_equal(info.id, old_id);
	assert_int_equal(info.id, fd_id(c->dp2.fd_ct));
	assert_int_equal(harness_ct_count(&c->dp2), 3);
	assert_true(harness_ct_get(&c->dp2, POD, 2, VIP, 80, 6, &v));
	assert_int_equal(v.daddr, ip4(BE1));
}

static void test_entries_that_do_not_fit_a_smaller_map_refuse_the_load(void **state)
{
	struct ctx *c = *state;
	struct datapath *dp = load(c, false, (struct dp_opts){ 0 });
	struct endpoint ep = { .ifindex = 1 };
	struct dp_opts o = { .max_endpoints = 2 };
	char msg[512];

	for (uint32_t i = 1; i <= 3; i++)
		assert_int_equal(dp_endpoint_set(dp, htonl(0x0af40100 + i), &ep), 0);
	unload(c, false);
	assert_int_equal(load_opts(c, &c->dp, &o, msg, sizeof(msg)), -E2BIG);
	assert_str_contains(msg, "map endpoints: its 3 entries do not fit in max_entries 2");
}

static void test_maglev_tables_of_another_size_are_refused_and_their_size_adopted(void **state)
{
	struct ctx *c = *state;
	struct datapath *dp = load(c, false, (struct dp_opts){ .maglev_m = 251 });
	struct dp_opts other = { .maglev_m = 257 };
	char msg[512];

	service(dp, BE1 ":8080", 10);
	unload(c, false);
	assert_int_equal(load_opts(c, &c->dp, &other, msg, sizeof(msg)), -EINVAL);
	assert_str_contains(msg, "map maglev: pinned tables have M 251, this load 257");
	/* Left to its default, M follows the pinned tables. */
	dp = load(c, false, (struct dp_opts){ 0 });
	assert_int_equal(dp->maglev_m, 251);
	assert_int_equal(pod_to_vip(dp, 0x02), ip4(BE1));
}

/* Tables an older agent pinned (plain arrays, without BPF_F_MMAPABLE) are
 * kept: rewritten with a batch write, and a new id's table is made with
 * their flags, which the pinned map's template accepts. */
static void test_maglev_tables_pinned_without_mmap_are_kept_and_rewritten(void **state)
{
	LIBBPF_OPTS(bpf_map_create_opts, outer_opts);
	struct ctx *c = *state;
	struct datapath *dp = load(c, false, (struct dp_opts){ .maglev_m = 251 });
	const char *const be1[] = { BE1 ":8080" };
	uint32_t id = 1, id2 = 2, inner;
	struct bpf_map_info info;
	char path[PATH_MAX];
	int tmpl, outer, table;

	service(dp, BE1 ":8080", 10);
	pin_info(c->root, XCNI_PIN_MAPS_DIR, "maglev", &info);
	unload(c, false);
	tmpl = bpf_map_create(BPF_MAP_TYPE_ARRAY, "xcni_maglev_t", 4, 4, 251, NULL);
	assert_true(tmpl >= 0);
	outer_opts.inner_map_fd = tmpl;
	outer = bpf_map_create(BPF_MAP_TYPE_ARRAY_OF_MAPS, "maglev", 4, 4, info.max_entries,
			       &outer_opts);
	table = bpf_map_create(BPF_MAP_TYPE_ARRAY, "xcni_maglev", 4, 4, 251, NULL);
	assert_true(outer >= 0 && table >= 0);
	assert_int_equal(bpf_map_update_elem(outer, &id, &table, BPF_ANY), 0);
	assert_int_equal(bpffs_path(path, sizeof(path), c->root, XCNI_PIN_MAPS_DIR, "maglev"), 0);
	assert_int_equal(unlink(path), 0);
	assert_int_equal(bpf_obj_pin(outer, path), 0);
	close(table);
	close(outer);
	close(tmpl);

	dp = load(c, false, (struct dp_opts){ 0 });
	assert_int_equal(dp->maglev_flags, 0);
	assert_int_equal(pinned_id(c->root, XCNI_PIN_MAPS_DIR, "maglev"), fd_id(dp->fd_maglev));
	service(dp, BE2 ":8080", 20);
	assert_int_equal(pod_to_vip(dp, 0x02), ip4(BE2));
	harness_service(dp, "10.96.0.2", 80, 6, id2, 0, 0, 30, be1, 1);
	assert_int_equal(bpf_map_lookup_elem(dp->fd_maglev, &id2, &inner), 0);
}

/* ---- tools ---- */

static void test_open_pinned_shares_the_running_maps(void **state)
{
	struct ctx *c = *state;
	struct datapath *dp = load(c, false, (struct dp_opts){ .maglev_m = 251 });
	struct datapath tool;
	struct stat_value st[STAT_MAX];
	char msg[512];

	assert_int_equal(dp_open_pinned(&tool, c->root, msg, sizeof(msg)), 0);
	assert_int_equal(fd_id(tool.fd_services), fd_id(dp->fd_services));
	assert_int_equal(fd_id(tool.fd_tx_ports), fd_id(dp->fd_tx_ports));
	assert_int_equal(fd_id(tool.prog_tc), fd_id(dp->prog_tc));
	assert_int_equal(tool.maglev_m, 251);
	/* What the tool programs, the loaded programs act on. */
	service(&tool, BE1 ":8080", 10);
	assert_int_equal(pod_to_vip(dp, 0x02), ip4(BE1));
	assert_int_equal(dp_stats_read(&tool, st), 0);
	assert_int_equal(st[STAT_DNAT].packets, 1);
	dp_close(&tool);

	unload(c, false);
	assert_int_equal(dp_cleanup(c->root, msg, sizeof(msg)), 0);
	assert_int_equal(dp_open_pinned(&tool, c->root, msg, sizeof(msg)), -ENOENT);
	assert_str_contains(msg, "is not pinned");
}

static void test_open_pinned_refuses_a_map_this_tool_would_misread(void **state)
{
	struct ctx *c = *state;
	struct datapath tool;
	char msg[512];

	load(c, false, (struct dp_opts){ 0 });
	pin_fake(c->root, "services", BPF_MAP_TYPE_HASH, 8, 8, 16);
	assert_int_equal(dp_open_pinned(&tool, c->root, msg, sizeof(msg)), -EINVAL);
	assert_str_contains(msg, "map services: pinned value size 8");
}

/* ---- XDP links ---- */

static __u32 xdp_prog_id(int ifindex, __u8 *mode)
{
	LIBBPF_OPTS(bpf_xdp_query_opts, q);

	assert_int_equal(bpf_xdp_query(ifindex, 0, &q), 0);
	*mode = q.attach_mode;
	return q.prog_id;
}

static __u32 link_id(const char *root, const char *ifname)
{
	char name[32];

	snprintf(name, sizeof(name), "%s%s", XCNI_PIN_XDP_LINK_PREFIX, ifname);
	return pinned_id(root, XCNI_PIN_LINKS_DIR, name);
}

static bool in_tx_ports(const struct datapath *dp, int ifindex)
{
	struct bpf_devmap_val v;
	__u32 k = (__u32)ifindex;

	return !bpf_map_lookup_elem(dp->fd_tx_ports, &k, &v) && v.ifindex == k;
}

static void test_xdp_link_outlives_the_loader_and_a_reload_updates_it_in_place(void **state)
{
	struct ctx *c = *state;
	struct datapath *dp = load(c, false, (struct dp_opts){ 0 });
	enum dp_xdp_mode got;
	struct dp_xdp_dev devs[4];
	char msg[256];
	int w0;
	__u32 link, prog;
	__u8 mode;

	veth("w0", "w1");
	w0 = (int)if_nametoindex("w0");
	assert_int_equal(dp_xdp_attach(dp, c->root, w0, DP_XDP_AUTO, &got, msg, sizeof(msg)), 0);
	assert_int_equal(got, DP_XDP_NATIVE);
	assert_str_contains(msg, "xdp_node on w0: native mode");
	assert_true(in_tx_ports(dp, w0));
	link = link_id(c->root, "w0");
	prog = fd_id(dp->prog_xdp);
	unload(c, false);
	/* The loader is gone; the pinned link keeps xdp_node on w0. */
	assert_int_equal(xdp_prog_id(w0, &mode), prog);
	assert_int_equal(mode, XDP_ATTACHED_DRV);

	dp = load(c, false, (struct dp_opts){ 0 });
	assert_int_equal(dp_xdp_attach(dp, c->root, w0, DP_XDP_AUTO, &got, msg, sizeof(msg)), 0);
	assert_int_equal(got, DP_XDP_NATIVE);
	assert_str_contains(msg, "link updated in place");
	assert_int_equal(link_id(c->root, "w0"), link);
	assert_int_equal(xdp_prog_id(w0, &mode), fd_id(dp->prog_xdp));
	assert_int_not_equal(fd_id(dp->prog_xdp), prog);

	assert_int_equal(dp_xdp_list(c->root, devs, 4), 1);
	assert_string_equal(devs[0].ifname, "w0");
	assert_int_equal(devs[0].ifindex, w0);
	assert_int_equal(devs[0].mode, DP_XDP_NATIVE);

	assert_int_equal(dp_xdp_detach(dp, c->root, "w0", msg, sizeof(msg)), 0);
	assert_int_equal(xdp_prog_id(w0, &mode), 0);
	assert_false(in_tx_ports(dp, w0));
	assert_int_equal(dp_xdp_list(c->root, devs, 4), 0);
	/* Detaching what is not attached is done already. */
	assert_int_equal(dp_xdp_detach(dp, c->root, "w0", msg, sizeof(msg)), 0);
}

static void test_xdp_falls_back_to_generic_where_native_fails(void **state)
{
	struct ctx *c = *state;
	struct datapath *dp = load(c, false, (struct dp_opts){ 0 });
	int lo = (int)if_nametoindex("lo");
	enum dp_xdp_mode got;
	char msg[256];
	__u8 mode;

	/* The loopback device has no native XDP. */
	assert_int_equal(dp_xdp_attach(dp, c->root, lo, DP_XDP_NATIVE, &got, msg, sizeof(msg)),
			 -EOPNOTSUPP);
	assert_str_contains(msg, "cannot attach xdp_node to lo in native mode");
	assert_int_equal(got, DP_XDP_NONE);
	assert_int_equal(dp_xdp_attach(dp, c->root, lo, DP_XDP_AUTO, &got, msg, sizeof(msg)), 0);
	assert_int_equal(got, DP_XDP_GENERIC);
	assert_str_contains(msg, "generic mode (native failed");
	assert_int_equal(xdp_prog_id(lo, &mode), fd_id(dp->prog_xdp));
	assert_int_equal(mode, XDP_ATTACHED_SKB);
}

static void test_xdp_mode_on_request_and_a_failed_change_keeps_the_old_mode(void **state)
{
	struct ctx *c = *state;
	struct datapath *dp = load(c, false, (struct dp_opts){ 0 });
	enum dp_xdp_mode got;
	char msg[256];
	int w0;
	__u8 mode;

	veth("w0", "w1");
	w0 = (int)if_nametoindex("w0");
	assert_int_equal(dp_xdp_attach(dp, c->root, w0, DP_XDP_GENERIC, &got, msg, sizeof(msg)), 0);
	assert_int_equal(got, DP_XDP_GENERIC);
	assert_int_equal(xdp_prog_id(w0, &mode), fd_id(dp->prog_xdp));
	assert_int_equal(mode, XDP_ATTACHED_SKB);
	/* Offload only when asked, and a veth cannot. */
	assert_int_equal(dp_xdp_attach(dp, c->root, w0, DP_XDP_OFFLOAD, &got, msg, sizeof(msg)),
			 -EINVAL);
	assert_str_contains(msg, "in offload mode");
	assert_str_contains(msg, "kept generic mode");
	assert_int_equal(xdp_prog_id(w0, &mode), fd_id(dp->prog_xdp));
	assert_int_equal(mode, XDP_ATTACHED_SKB);
	/* Asking for native moves it. */
	assert_int_equal(dp_xdp_attach(dp, c->root, w0, DP_XDP_NATIVE, &got, msg, sizeof(msg)), 0);
	assert_int_equal(got, DP_XDP_NATIVE);
	assert_int_equal(xdp_prog_id(w0, &mode), fd_id(dp->prog_xdp));
	assert_int_equal(mode, XDP_ATTACHED_DRV);
}

/* ---- pods' filters and cleanup ---- */

static void enroll_veth(const struct datapath *dp, int prog_fd, int *ifindex)
{
	struct endpoint ep = { 0 };

	veth("pv0", "pv1");
	*ifindex = (int)if_nametoindex("pv0");
	ep.ifindex = (__u32)*ifindex;
	assert_int_equal(dp_endpoint_set(dp, ip4(POD), &ep), 0);
	assert_int_equal(tc_pod_attach(*ifindex, prog_fd), 0);
}

static void test_refresh_moves_pods_to_the_new_tc_pod(void **state)
{
	struct ctx *c = *state;
	struct datapath *dp = load(c, false, (struct dp_opts){ 0 });
	int pv0;
	uint32_t id;

	enroll_veth(dp, dp->prog_tc, &pv0);
	assert_int_equal(dp_tc_pod_refresh(dp), 0); /* already the loaded one */
	unload(c, false);
	dp = load(c, false, (struct dp_opts){ 0 });
	assert_int_equal(dp_tc_pod_refresh(dp), 1);
	assert_int_equal(tc_pod_query(pv0, &id), 0);
	assert_int_equal(id, fd_id(dp->prog_tc));
}

static void test_cleanup_removes_everything_and_is_idempotent(void **state)
{
	struct ctx *c = *state;
	struct datapath *dp = load(c, false, (struct dp_opts){ 0 });
	enum dp_xdp_mode got;
	char msg[256];
	int w0, pv0;
	uint32_t id;
	struct stat st;
	__u8 mode;

	veth("w0", "w1");
	w0 = (int)if_nametoindex("w0");
	assert_int_equal(dp_xdp_attach(dp, c->root, w0, DP_XDP_AUTO, &got, msg, sizeof(msg)), 0);
	enroll_veth(dp, dp->prog_tc, &pv0);
	unload(c, false);

	assert_int_equal(dp_cleanup(c->root, msg, sizeof(msg)), 0);
	assert_int_equal(xdp_prog_id(w0, &mode), 0);
	assert_int_equal(tc_pod_query(pv0, &id), -ENOENT);
	assert_false(bpffs_mounted_by_us(c->root));
	assert_int_equal(stat(c->root, &st), -1);
	assert_int_equal(errno, ENOENT);
	assert_int_equal(dp_cleanup(c->root, msg, sizeof(msg)), 0);
}

static void test_cleanup_inside_a_bpffs_it_did_not_mount_leaves_that_mount(void **state)
{
	struct ctx *c = *state;
	char msg[256];
	struct stat st;

	/* Somebody's bpffs (as /sys/fs/bpf on most nodes), our root in it. */
	snprintf(c->outer, sizeof(c->outer), "%.200s", c->root);
	assert_int_equal(harness_sh("mkdir -p %s && mount -t bpf other %s", c->outer, c->outer), 0);
	snprintf(c->root, sizeof(c->root), "%s/xcni", c->outer);
	load(c, false, (struct dp_opts){ 0 });
	assert_false(bpffs_mounted_by_us(c->root));
	unload(c, false);
	assert_int_equal(dp_cleanup(c->root, msg, sizeof(msg)), 0);
	assert_int_equal(stat(c->root, &st), -1);
	assert_true(bpffs_is_bpffs(c->outer));
}

/* A restarted agent knows the node's address only once it has seen its
 * Node object: the reload keeps the pinned config's, so NodePorts answer
 * throughout. */
static void test_a_reload_without_a_node_ip_keeps_the_pinned_one(void **state)
{
	struct ctx *c = *state;
	struct dp_opts o = { .pin_root = c->root };
	struct dp_config cfg;
	char msg[256];

	load(c, false, (struct dp_opts){ 0 });
	unload(c, false);
	assert_int_equal(dp_load(&c->dp2, &o, msg, sizeof(msg)), 0);
	c->loaded2 = true;
	assert_int_equal(dp_config_get(&c->dp2, &cfg), 0);
	assert_int_equal(cfg.node_ip, ip4(NODE_IP));
}

static void test_a_root_under_an_unmounted_sys_fs_bpf_mounts_the_system_bpffs(void **state)
{
	struct ctx *c = *state;
	char msg[256];
	struct stat st;

	/* As on a node where nobody mounted it (this mount namespace is the
	 * test's own): a bare sysfs directory, nothing can be made in it. */
	umount2("/sys/fs/bpf", MNT_DETACH);
	assert_false(bpffs_is_bpffs("/sys/fs/bpf"));
	snprintf(c->root, sizeof(c->root), "/sys/fs/bpf/xcni-test-%d", (int)getpid());
	load(c, false, (struct dp_opts){ 0 });
	assert_true(bpffs_is_bpffs("/sys/fs/bpf"));
	assert_false(bpffs_mounted_by_us("/sys/fs/bpf"));
	unload(c, false);
	/* Cleanup takes our root, not the system's mount others share. */
	assert_int_equal(dp_cleanup(c->root, msg, sizeof(msg)), 0);
	assert_int_equal(stat(c->root, &st), -1);
	assert_true(bpffs_is_bpffs("/sys/fs/bpf"));
	umount2("/sys/fs/bpf", MNT_DETACH);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
		T(test_load_mounts_a_bpffs_and_pins_every_map_and_both_programs),
		T(test_a_load_without_a_root_pins_nothing),
		T(test_a_reload_reuses_the_maps_and_a_flow_keeps_its_backend),
		T(test_a_pinned_map_of_another_layout_is_refused_by_name),
		T(test_a_new_size_migrates_the_entries_into_a_new_map),
		T(test_entries_that_do_not_fit_a_smaller_map_refuse_the_load),
		T(test_maglev_tables_of_another_size_are_refused_and_their_size_adopted),
		T(test_maglev_tables_pinned_without_mmap_are_kept_and_rewritten),
		T(test_open_pinned_shares_the_running_maps),
		T(test_open_pinned_refuses_a_map_this_tool_would_misread),
		T(test_xdp_link_outlives_the_loader_and_a_reload_updates_it_in_place),
		T(test_xdp_falls_back_to_generic_where_native_fails),
		T(test_xdp_mode_on_request_and_a_failed_change_keeps_the_old_mode),
		T(test_refresh_moves_pods_to_the_new_tc_pod),
		T(test_cleanup_removes_everything_and_is_idempotent),
		T(test_cleanup_inside_a_bpffs_it_did_not_mount_leaves_that_mount),
		T(test_a_reload_without_a_node_ip_keeps_the_pinned_one),
		T(test_a_root_under_an_unmounted_sys_fs_bpf_mounts_the_system_bpffs),
#undef T
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
