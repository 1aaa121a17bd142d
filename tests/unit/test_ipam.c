/* The built-in IPAM (cni/ipam.h): ranges derived from the config, and the
 * on-disk allocator: exhaustion, idempotence, release, round-robin,
 * persistence across processes, concurrency, garbage collection. */
#include "unit.h"

#include <dirent.h>
#include <sys/wait.h>

#include "config.h"
#include "error.h"
#include "ip4.h"
#include "ipam.h"

#define NETWORK "podnet"

static uint32_t ip(const char *s)
{
	uint32_t a = 0;

	assert_int_equal(ip4_parse(s, &a), 0);
	return a;
}

/* An ipam_conf as net_conf_parse would leave it; NULL leaves a field 0. */
static struct ipam_conf conf_of(const char *subnet, const char *start, const char *end,
				const char *gw)
{
	struct ipam_conf c;

	memset(&c, 0, sizeof(c));
	c.builtin = true;
	c.have_subnet = true;
	assert_int_equal(ip4_prefix_parse(subnet, &c.subnet), 0);
	if (start)
		c.range_start = ip(start);
	if (end)
		c.range_end = ip(end);
	if (gw)
		c.gateway = ip(gw);
	return c;
}

static struct ipam_range range_of(const char *subnet)
{
	struct ipam_conf c = conf_of(subnet, NULL, NULL, NULL);
	struct ipam_range r;
	struct cni_err e = { 0 };

	assert_int_equal(ipam_range_from_conf(&c, &r, &e), 0);
	return r;
}

static struct cni_attachment owner(const char *container_id, const char *ifname)
{
	struct cni_attachment o;

	memset(&o, 0, sizeof(o));
	snprintf(o.container_id, sizeof(o.container_id), "%s", container_id);
	snprintf(o.ifname, sizeof(o.ifname), "%s", ifname);
	return o;
}

static struct cni_attachment owner_n(int n)
{
	char id[32];

	snprintf(id, sizeof(id), "container%02d", n);
	return owner(id, "eth0");
}

/* Fails showing both addresses in dotted form. */
#define assert_ip_equal(got, want_str)                                      \
	do {                                                                \
		uint32_t got_ = (got), want_ = ip(want_str);                \
		char gbuf_[INET_ADDRSTRLEN];                                \
		ip4_format(got_, gbuf_);                                    \
		if (got_ != want_)                                          \
			fail_msg("address %s, want %s", gbuf_, (want_str)); \
	} while (0)

/* ---- ipam_range_from_conf ---- */

static void test_range_defaults_to_whole_subnet_with_first_host_as_gateway(void **state)
{
	struct ipam_conf c = conf_of("10.0.0.0/24", NULL, NULL, NULL);
	struct ipam_range r;
	struct cni_err e = { 0 };

	(void)state;
	assert_int_equal(ipam_range_from_conf(&c, &r, &e), 0);
	assert_ip_equal(r.subnet.addr, "10.0.0.0");
	assert_int_equal(r.subnet.len, 24);
	assert_ip_equal(r.gateway, "10.0.0.1");
	assert_ip_equal(r.first, "10.0.0.1");
	assert_ip_equal(r.last, "10.0.0.254");
	/* 254 hosts, less the gateway. */
	assert_int_equal(ipam_range_size(&r), 253);
}

static void test_range_subnet_with_host_bits_is_reduced_to_its_network(void **state)
{
	struct ipam_conf c = conf_of("10.0.0.77/24", NULL, NULL, NULL);
	struct ipam_range r;
	struct cni_err e = { 0 };

	(void)state;
	assert_int_equal(ipam_range_from_conf(&c, &r, &e), 0);
	assert_ip_equal(r.subnet.addr, "10.0.0.0");
	assert_ip_equal(r.gateway, "10.0.0.1");
	assert_ip_equal(r.last, "10.0.0.254");
}

static void test_range_honours_rangeStart_rangeEnd_and_gateway(void **state)
{
	struct ipam_conf c = conf_of("10.0.0.0/24", "10.0.0.10", "10.0.0.20", "10.0.0.254");
	struct ipam_range r;
	struct cni_err e = { 0 };

	(void)state;
	assert_int_equal(ipam_range_from_conf(&c, &r, &e), 0);
	assert_ip_equal(r.first, "10.0.0.10");
	assert_ip_equal(r.last, "10.0.0.20");
	assert_ip_equal(r.gateway, "10.0.0.254");
	/* The gateway is outside the range, so every address counts. */
	assert_int_equal(ipam_range_size(&r), 11);
}

static void test_range_size_excludes_gateway_inside_range(void **state)
{
	struct ipam_conf c = conf_of("10.0.0.0/24", "10.0.0.10", "10.0.0.20", "10.0.0.15");
	struct ipam_range r;
	struct cni_err e = { 0 };

	(void)state;
	assert_int_equal(ipam_range_from_conf(&c, &r, &e), 0);
	assert_int_equal(ipam_range_size(&r), 10);
}

static void test_range_slash30_has_one_usable_address(void **state)
{
	struct ipam_range r = range_of("192.168.5.4/30");

	(void)state;
	assert_ip_equal(r.gateway, "192.168.5.5");
	assert_ip_equal(r.first, "192.168.5.5");
	assert_ip_equal(r.last, "192.168.5.6");
	assert_int_equal(ipam_range_size(&r), 1);
}

static void test_range_gateway_outside_subnet_is_invalid_config(void **state)
{
	struct ipam_conf c = conf_of("10.0.0.0/24", NULL, NULL, "10.0.1.1");
	struct ipam_range r;
	struct cni_err e = { 0 };

	(void)state;
	assert_int_equal(ipam_range_from_conf(&c, &r, &e), -1);
	assert_int_equal(e.code, CNI_ERR_INVALID_CONFIG);
	assert_str_contains(e.msg, "gateway");
}

static void test_range_gateway_on_broadcast_address_is_invalid_config(void **state)
{
	struct ipam_conf c = conf_of("10.0.0.0/24", NULL, NULL, "10.0.0.255");
	struct ipam_range r;
	struct cni_err e = { 0 };

	(void)state;
	assert_int_equal(ipam_range_from_conf(&c, &r, &e), -1);
	assert_int_equal(e.code, CNI_ERR_INVALID_CONFIG);
	assert_str_contains(e.msg, "gateway");
}

static void test_range_slash31_and_slash32_are_too_small(void **state)
{
	struct ipam_conf c31 = conf_of("10.0.0.0/31", NULL, NULL, NULL);
	struct ipam_conf c32 = conf_of("10.0.0.7/32", NULL, NULL, NULL);
	struct ipam_range r;
	struct cni_err e = { 0 };

	(void)state;
	assert_int_equal(ipam_range_from_conf(&c31, &r, &e), -1);
	assert_int_equal(e.code, CNI_ERR_INVALID_CONFIG);
	assert_str_contains(e.msg, "10.0.0.0/31");
	memset(&e, 0, sizeof(e));
	assert_int_equal(ipam_range_from_conf(&c32, &r, &e), -1);
	assert_int_equal(e.code, CNI_ERR_INVALID_CONFIG);
}

static void test_range_start_after_end_is_invalid_config(void **state)
{
	struct ipam_conf c = conf_of("10.0.0.0/24", "10.0.0.20", "10.0.0.10", NULL);
	struct ipam_range r;
	struct cni_err e = { 0 };

	(void)state;
	assert_int_equal(ipam_range_from_conf(&c, &r, &e), -1);
	assert_int_equal(e.code, CNI_ERR_INVALID_CONFIG);
	assert_str_contains(e.msg, "rangeStart");
}

static void test_range_start_or_end_outside_subnet_is_invalid_config(void **state)
{
	struct ipam_conf start = conf_of("10.0.0.0/24", "10.0.1.10", NULL, NULL);
	struct ipam_conf end = conf_of("10.0.0.0/24", NULL, "10.0.0.255", NULL);
	struct ipam_range r;
	struct cni_err e = { 0 };

	(void)state;
	assert_int_equal(ipam_range_from_conf(&start, &r, &e), -1);
	assert_int_equal(e.code, CNI_ERR_INVALID_CONFIG);
	assert_str_contains(e.msg, "rangeStart");
	memset(&e, 0, sizeof(e));
	assert_int_equal(ipam_range_from_conf(&end, &r, &e), -1);
	assert_int_equal(e.code, CNI_ERR_INVALID_CONFIG);
	assert_str_contains(e.msg, "rangeEnd");
}

/* ---- the store ---- */

struct fixture {
	char dir[256];
	struct ipam_store store;
};

static int store_setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	if (!f)
		return -1;
	unit_mkdtemp(f->dir, sizeof(f->dir));
	f->store.dir_fd = f->store.lock_fd = -1;
	*state = f;
	return 0;
}

static int store_teardown(void **state)
{
	struct fixture *f = *state;
	int rc;

	ipam_store_close(&f->store);
	rc = unit_rm_rf(f->dir);
	free(f);
	return rc;
}

static void open_store(struct fixture *f)
{
	assert_int_equal(ipam_store_open(&f->store, f->dir, NETWORK, true), 0);
}

static void test_store_open_creates_network_directory(void **state)
{
	struct fixture *f = *state;
	char path[512];

	open_store(f);
	snprintf(path, sizeof(path), "%s/%s", f->dir, NETWORK);
	assert_string_equal(f->store.path, path);
	assert_int_equal(access(path, F_OK), 0);
}

static void test_store_open_without_create_on_unknown_network_is_enoent(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(ipam_store_open(&f->store, f->dir, "never-used", false), -ENOENT);
}

static void test_slash29_hands_out_every_host_but_network_broadcast_gateway(void **state)
{
	static const char *const want[] = { "10.0.0.2", "10.0.0.3", "10.0.0.4", "10.0.0.5",
					    "10.0.0.6" };
	struct fixture *f = *state;
	struct ipam_range r = range_of("10.0.0.0/29");
	struct cni_attachment o;
	uint32_t got;

	open_store(f);
	for (size_t i = 0; i < ARRAY_SIZE(want); i++) {
		o = owner_n((int)i);
		assert_int_equal(ipam_allocate(&f->store, &r, &o, &got), 0);
		assert_ip_equal(got, want[i]);
	}
	o = owner_n(99);
	got = 0;
	assert_int_equal(ipam_allocate(&f->store, &r, &o, &got), -ENOSPC);
	assert_int_equal(got, 0);
	assert_int_equal(ipam_find(&f->store, &o, &got), -ENOENT);
}

static void test_allocated_addresses_are_distinct_and_inside_range(void **state)
{
	struct fixture *f = *state;
	struct ipam_range r = range_of("10.1.0.0/26");
	uint32_t got[61];

	open_store(f);
	/* 62 hosts less the gateway: 61 owners fill it. */
	assert_int_equal(ipam_range_size(&r), ARRAY_SIZE(got));
	for (size_t i = 0; i < ARRAY_SIZE(got); i++) {
		struct cni_attachment o = owner_n((int)i);

		assert_int_equal(ipam_allocate(&f->store, &r, &o, &got[i]), 0);
		assert_in_range(got[i], r.first, r.last);
		assert_int_not_equal(got[i], r.gateway);
		for (size_t j = 0; j < i; j++)
			assert_int_not_equal(got[i], got[j]);
	}
}

static void test_same_owner_asking_twice_gets_same_address(void **state)
{
	struct fixture *f = *state;
	struct ipam_range r = range_of("10.0.0.0/24");
	struct cni_attachment o = owner("abc123", "eth0");
	uint32_t first, second;
	unsigned int used;

	open_store(f);
	assert_int_equal(ipam_allocate(&f->store, &r, &o, &first), 0);
	assert_int_equal(ipam_allocate(&f->store, &r, &o, &second), 0);
	assert_ip_equal(first, "10.0.0.2");
	assert_int_equal(second, first);
	assert_int_equal(ipam_used(&f->store, &r, &used), 0);
	assert_int_equal(used, 1);
}

static void test_same_container_other_ifname_is_another_owner(void **state)
{
	struct fixture *f = *state;
	struct ipam_range r = range_of("10.0.0.0/24");
	struct cni_attachment eth0 = owner("abc123", "eth0"), net1 = owner("abc123", "net1");
	uint32_t a, b;

	open_store(f);
	assert_int_equal(ipam_allocate(&f->store, &r, &eth0, &a), 0);
	assert_int_equal(ipam_allocate(&f->store, &r, &net1, &b), 0);
	assert_int_not_equal(a, b);
}

static void test_find_and_owner_of_report_the_allocation(void **state)
{
	struct fixture *f = *state;
	struct ipam_range r = range_of("10.0.0.0/24");
	struct cni_attachment o = owner("abc123", "eth1"), got_owner;
	uint32_t addr, found;

	open_store(f);
	assert_int_equal(ipam_allocate(&f->store, &r, &o, &addr), 0);
	assert_int_equal(ipam_find(&f->store, &o, &found), 0);
	assert_int_equal(found, addr);
	assert_int_equal(ipam_owner_of(&f->store, addr, &got_owner), 0);
	assert_string_equal(got_owner.container_id, "abc123");
	assert_string_equal(got_owner.ifname, "eth1");
	assert_int_equal(ipam_owner_of(&f->store, ip("10.0.0.200"), &got_owner), -ENOENT);
}

static void test_release_frees_the_address_for_another_owner(void **state)
{
	struct fixture *f = *state;
	struct ipam_range r = range_of("10.0.0.0/29");
	struct cni_attachment o, victim = owner_n(2), newcomer = owner("newcomer", "eth0");
	struct cni_attachment got_owner;
	uint32_t addr, released = 0;

	open_store(f);
	for (int i = 0; i < 5; i++) {
		o = owner_n(i);
		assert_int_equal(ipam_allocate(&f->store, &r, &o, &addr), 0);
	}
	assert_int_equal(ipam_find(&f->store, &victim, &released), 0);
	assert_ip_equal(released, "10.0.0.4");

	assert_int_equal(ipam_release(&f->store, &victim), 1);
	assert_int_equal(ipam_find(&f->store, &victim, &addr), -ENOENT);
	assert_int_equal(ipam_owner_of(&f->store, released, &got_owner), -ENOENT);

	assert_int_equal(ipam_allocate(&f->store, &r, &newcomer, &addr), 0);
	assert_ip_equal(addr, "10.0.0.4");
	assert_int_equal(ipam_owner_of(&f->store, addr, &got_owner), 0);
	assert_string_equal(got_owner.container_id, "newcomer");
}

static void test_release_of_unknown_owner_releases_nothing(void **state)
{
	struct fixture *f = *state;
	struct ipam_range r = range_of("10.0.0.0/24");
	struct cni_attachment a = owner("a", "eth0"), stranger = owner("stranger", "eth0");
	uint32_t addr;
	unsigned int used;

	open_store(f);
	assert_int_equal(ipam_allocate(&f->store, &r, &a, &addr), 0);
	assert_int_equal(ipam_release(&f->store, &stranger), 0);
	assert_int_equal(ipam_used(&f->store, &r, &used), 0);
	assert_int_equal(used, 1);
}

static void test_next_allocation_after_release_does_not_reuse_released_address(void **state)
{
	struct fixture *f = *state;
	struct ipam_range r = range_of("10.0.0.0/24");
	struct cni_attachment a = owner("a", "eth0"), b = owner("b", "eth0"),
			      c = owner("c", "eth0");
	struct cni_attachment d = owner("d", "eth0");
	uint32_t addr;

	open_store(f);
	assert_int_equal(ipam_allocate(&f->store, &r, &a, &addr), 0);
	assert_ip_equal(addr, "10.0.0.2");
	assert_int_equal(ipam_allocate(&f->store, &r, &b, &addr), 0);
	assert_ip_equal(addr, "10.0.0.3");
	assert_int_equal(ipam_release(&f->store, &b), 1);
	assert_int_equal(ipam_release(&f->store, &a), 1);
	assert_int_equal(ipam_allocate(&f->store, &r, &c, &addr), 0);
	assert_ip_equal(addr, "10.0.0.4");
	assert_int_equal(ipam_allocate(&f->store, &r, &d, &addr), 0);
	assert_ip_equal(addr, "10.0.0.5");
}

static void test_round_robin_wraps_to_start_of_range(void **state)
{
	struct fixture *f = *state;
	struct ipam_conf c = conf_of("10.0.0.0/24", "10.0.0.10", "10.0.0.12", NULL);
	struct ipam_range r;
	struct cni_err e = { 0 };
	struct cni_attachment o;
	uint32_t addr;

	assert_int_equal(ipam_range_from_conf(&c, &r, &e), 0);
	open_store(f);
	for (int i = 0; i < 3; i++) {
		o = owner_n(i);
		assert_int_equal(ipam_allocate(&f->store, &r, &o, &addr), 0);
	}
	assert_ip_equal(addr, "10.0.0.12");
	o = owner_n(0);
	assert_int_equal(ipam_release(&f->store, &o), 1);
	o = owner_n(1);
	assert_int_equal(ipam_release(&f->store, &o), 1);
	o = owner_n(3);
	assert_int_equal(ipam_allocate(&f->store, &r, &o, &addr), 0);
	assert_ip_equal(addr, "10.0.0.10");
}

/* ---- across processes ---- */

static void test_allocation_persists_across_processes(void **state)
{
	struct fixture *f = *state;
	struct ipam_range r = range_of("10.0.0.0/24");
	struct cni_attachment o = owner("persisted", "eth0"), got_owner;
	uint32_t child_addr = 0, found = 0;
	int fds[2], status;
	pid_t pid;

	assert_int_equal(pipe(fds), 0);
	fflush(NULL);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct ipam_store s;
		uint32_t addr;
		int rc;

		close(fds[0]);
		if (ipam_store_open(&s, f->dir, NETWORK, true))
			_exit(2);
		rc = ipam_allocate(&s, &r, &o, &addr);
		ipam_store_close(&s);
		if (rc || write(fds[1], &addr, sizeof(addr)) != sizeof(addr))
			_exit(3);
		_exit(0);
	}
	close(fds[1]);
	assert_int_equal(read(fds[0], &child_addr, sizeof(child_addr)), sizeof(child_addr));
	close(fds[0]);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	assert_ip_equal(child_addr, "10.0.0.2");

	assert_int_equal(ipam_store_open(&f->store, f->dir, NETWORK, false), 0);
	assert_int_equal(ipam_find(&f->store, &o, &found), 0);
	assert_int_equal(found, child_addr);
	assert_int_equal(ipam_owner_of(&f->store, child_addr, &got_owner), 0);
	assert_string_equal(got_owner.container_id, "persisted");
	assert_string_equal(got_owner.ifname, "eth0");
}

#define N_CHILDREN 20

static void test_concurrent_allocations_from_20_processes_are_distinct(void **state)
{
	struct fixture *f = *state;
	struct ipam_range r = range_of("10.2.0.0/24");
	bool seen_owner[N_CHILDREN] = { false };
	uint32_t addrs[N_CHILDREN];
	pid_t pids[N_CHILDREN];
	int gate[2], n = 0, status;
	char path[512];
	struct dirent *de;
	unsigned int used;
	DIR *d;

	/* Every child waits on the gate so that all of them race at once. */
	assert_int_equal(pipe(gate), 0);
	fflush(NULL);
	for (int i = 0; i < N_CHILDREN; i++) {
		pids[i] = fork();
		assert_true(pids[i] >= 0);
		if (pids[i] == 0) {
			struct cni_attachment o = owner_n(i);
			struct ipam_store s;
			uint32_t addr;
			char c;
			int rc;

			close(gate[1]);
			if (read(gate[0], &c, 1) != 0)
				_exit(4);
			if (ipam_store_open(&s, f->dir, NETWORK, true))
				_exit(2);
			rc = ipam_allocate(&s, &r, &o, &addr);
			ipam_store_close(&s);
			_exit(rc ? 3 : 0);
		}
	}
	close(gate[0]);
	close(gate[1]); /* opens the gate */
	for (int i = 0; i < N_CHILDREN; i++) {
		assert_int_equal(waitpid(pids[i], &status, 0), pids[i]);
		assert_true(WIFEXITED(status));
		assert_int_equal(WEXITSTATUS(status), 0);
	}

	/* List the store: one file per address, each naming one child. */
	open_store(f);
	snprintf(path, sizeof(path), "%s/%s", f->dir, NETWORK);
	d = opendir(path);
	assert_non_null(d);
	while ((de = readdir(d))) {
		struct cni_attachment o;
		uint32_t a;
		int child;

		if (ip4_parse(de->d_name, &a))
			continue;
		assert_true(n < N_CHILDREN);
		assert_in_range(a, r.first, r.last);
		assert_int_not_equal(a, r.gateway);
		for (int j = 0; j < n; j++)
			assert_int_not_equal(addrs[j], a);
		addrs[n++] = a;
		assert_int_equal(ipam_owner_of(&f->store, a, &o), 0);
		assert_int_equal(sscanf(o.container_id, "container%d", &child), 1);
		assert_in_range(child, 0, N_CHILDREN - 1);
		assert_false(seen_owner[child]);
		seen_owner[child] = true;
	}
	closedir(d);
	assert_int_equal(n, N_CHILDREN);
	assert_int_equal(ipam_used(&f->store, &r, &used), 0);
	assert_int_equal(used, N_CHILDREN);
}

/* ---- gc, leftovers, counting ---- */

static bool valid_if_listed(const struct cni_attachment *a, void *data)
{
	for (const char *const *id = data; *id; id++)
		if (!strcmp(a->container_id, *id))
			return true;
	return false;
}

static void test_gc_removes_owners_not_in_valid_set_and_keeps_the_rest(void **state)
{
	static const char *const keep[] = { "bbb", "ddd", NULL };
	struct fixture *f = *state;
	struct ipam_range r = range_of("10.0.0.0/24");
	const char *ids[] = { "aaa", "bbb", "ccc", "ddd" };
	uint32_t addr[4], found;
	unsigned int used;

	open_store(f);
	for (int i = 0; i < 4; i++) {
		struct cni_attachment o = owner(ids[i], "eth0");

		assert_int_equal(ipam_allocate(&f->store, &r, &o, &addr[i]), 0);
	}
	assert_int_equal(ipam_gc(&f->store, valid_if_listed, (void *)keep), 2);
	for (int i = 0; i < 4; i++) {
		struct cni_attachment o = owner(ids[i], "eth0");
		bool kept = i == 1 || i == 3;

		assert_int_equal(ipam_find(&f->store, &o, &found), kept ? 0 : -ENOENT);
		if (kept)
			assert_int_equal(found, addr[i]);
	}
	assert_int_equal(ipam_used(&f->store, &r, &used), 0);
	assert_int_equal(used, 2);
	/* A second pass finds nothing more to remove. */
	assert_int_equal(ipam_gc(&f->store, valid_if_listed, (void *)keep), 0);
}

static void test_leftover_tmp_file_is_removed(void **state)
{
	struct fixture *f = *state;
	struct ipam_range r = range_of("10.0.0.0/24");
	char path[PATH_MAX];
	unsigned int used = 99;

	open_store(f);
	unit_write_file(f->store.path, ".tmp-123", "dead\neth0\n", path, sizeof(path));
	assert_int_equal(access(path, F_OK), 0);
	assert_int_equal(ipam_used(&f->store, &r, &used), 0);
	assert_int_equal(used, 0);
	assert_int_equal(access(path, F_OK), -1);
	assert_int_equal(errno, ENOENT);
}

static void test_used_counts_allocations_inside_the_range(void **state)
{
	struct fixture *f = *state;
	struct ipam_range r = range_of("10.0.0.0/24");
	struct cni_attachment o;
	char path[PATH_MAX];
	unsigned int used = 99;
	uint32_t addr;

	open_store(f);
	assert_int_equal(ipam_used(&f->store, &r, &used), 0);
	assert_int_equal(used, 0);
	for (int i = 0; i < 3; i++) {
		o = owner_n(i);
		assert_int_equal(ipam_allocate(&f->store, &r, &o, &addr), 0);
	}
	assert_int_equal(ipam_used(&f->store, &r, &used), 0);
	assert_int_equal(used, 3);
	o = owner_n(1);
	assert_int_equal(ipam_release(&f->store, &o), 1);
	assert_int_equal(ipam_used(&f->store, &r, &used), 0);
	assert_int_equal(used, 2);
	/* An allocation left over from another range is not counted. */
	unit_write_file(f->store.path, "10.9.9.9", "other\neth0\n", path, sizeof(path));
	assert_int_equal(ipam_used(&f->store, &r, &used), 0);
	assert_int_equal(used, 2);
}

#define store_test(f) cmocka_unit_test_setup_teardown(f, store_setup, store_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_range_defaults_to_whole_subnet_with_first_host_as_gateway),
		cmocka_unit_test(test_range_subnet_with_host_bits_is_reduced_to_its_network),
		cmocka_unit_test(test_range_honours_rangeStart_rangeEnd_and_gateway),
		cmocka_unit_test(test_range_size_excludes_gateway_inside_range),
		cmocka_unit_test(test_range_slash30_has_one_usable_address),
		cmocka_unit_test(test_range_gateway_outside_subnet_is_invalid_config),
		cmocka_unit_test(test_range_gateway_on_broadcast_address_is_invalid_config),
		cmocka_unit_test(test_range_slash31_and_slash32_are_too_small),
		cmocka_unit_test(test_range_start_after_end_is_invalid_config),
		cmocka_unit_test(test_range_start_or_end_outside_subnet_is_invalid_config),
		store_test(test_store_open_creates_network_directory),
		store_test(test_store_open_without_create_on_unknown_network_is_enoent),
		store_test(test_slash29_hands_out_every_host_but_network_broadcast_gateway),
		store_test(test_allocated_addresses_are_distinct_and_inside_range),
		store_test(test_same_owner_asking_twice_gets_same_address),
		store_test(test_same_container_other_ifname_is_another_owner),
		store_test(test_find_and_owner_of_report_the_allocation),
		store_test(test_release_frees_the_address_for_another_owner),
		store_test(test_release_of_unknown_owner_releases_nothing),
		store_test(test_next_allocation_after_release_does_not_reuse_released_address),
		store_test(test_round_robin_wraps_to_start_of_range),
		store_test(test_allocation_persists_across_processes),
		store_test(test_concurrent_allocations_from_20_processes_are_distinct),
		store_test(test_gc_removes_owners_not_in_valid_set_and_keeps_the_rest),
		store_test(test_leftover_tmp_file_is_removed),
		store_test(test_used_counts_allocations_inside_the_range),
	};

	return cmocka_run_group_tests_name("ipam", tests, NULL, NULL);
}
