/* Loading xdp_node and tc_pod over one set of maps, and programming them. */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "bpffs.h"
#include "dp.h"
#include "flow_gen.h"
#include "maglev.h"
#include "pin.h"
#include "tc_pod.skel.h"
#include "xdp_node.skel.h"

#define DEF(v, d) ((v) ? (v) : (d))

/* The builder's empty slot is the datapath's "no backend". */
_Static_assert(MAGLEV_NO_BACKEND == XCNI_NO_BACKEND, "maglev empty slot mismatch");

/* The Maglev inner map template, M entries. libbpf 1.1 crashes resizing
 * the template it made from BTF, so we hand it one of our own. */
static int set_maglev_template(struct bpf_map *outer, uint32_t m, uint32_t flags)
{
	int fd = pin_maglev_template(m, flags);
	int err;

	if (fd < 0)
		return fd;
	/* libbpf takes the fd over: it closes it once the outer map exists. */
	err = bpf_map__set_inner_map_fd(outer, fd);
	if (err)
		close(fd);
	return err;
}

/* Sizes every map from o; the Maglev template's size is M. */
static int set_sizes(struct bpf_object *obj, const struct dp_opts *o, uint32_t m, uint32_t flags)
{
	static const struct {
		const char *name;
		size_t off;
		uint32_t def;
	} sizes[] = {
		{ "services", offsetof(struct dp_opts, max_services), XCNI_MAX_SERVICES },
		{ "maglev", offsetof(struct dp_opts, max_services), XCNI_MAX_SERVICES },
		{ "backends", offsetof(struct dp_opts, max_backends), XCNI_MAX_BACKENDS },
		{ "svc_backends", offsetof(struct dp_opts, max_backends), XCNI_MAX_BACKENDS },
		{ "conntrack", offsetof(struct dp_opts, max_ct), XCNI_MAX_CT },
		{ "affinity", offsetof(struct dp_opts, max_affinity), XCNI_MAX_AFFINITY },
		{ "endpoints", offsetof(struct dp_opts, max_endpoints), XCNI_MAX_ENDPOINTS },
	};
	struct bpf_map *map;
	int err;

	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		uint32_t v = *(const uint32_t *)((const char *)o + sizes[i].off);

		map = bpf_object__find_map_by_name(obj, sizes[i].name);
		if (!map)
			continue;
		err = bpf_map__set_max_entries(map, DEF(v, sizes[i].def));
		if (err)
			return err;
	}
	map = bpf_object__find_map_by_name(obj, "maglev");
	if (map)
		return set_maglev_template(map, m, flags);
	return 0;
}

/* tc_pod uses xdp_node's maps: one state, two hooks. */
static int share_maps(struct bpf_object *from, struct bpf_object *to)
{
	struct bpf_map *map, *src;
	int err;

	bpf_object__for_each_map(map, to)
	{
		src = bpf_object__find_map_by_name(from, bpf_map__name(map));
		if (!src || bpf_map__fd(src) < 0)
			continue;
		err = bpf_map__reuse_fd(map, bpf_map__fd(src));
		if (err)
			return err;
	}
	return 0;
}

/* The Maglev table size: asked for, or the pinned tables' when the
 * options leave it to the default. */
static int choose_maglev_m(struct datapath *dp, const struct dp_opts *o, char *msg, size_t len)
{
	uint32_t pinned = o->pin_root ? pin_maglev_m(o->pin_root) : 0;

	dp->maglev_m = DEF(o->maglev_m, DEF(pinned, XCNI_MAGLEV_M_DEFAULT));
	/* New tables must match the pinned ones' flags (the outer map's
	 * template); with none pinned, the map is made anew with ours. */
	dp->maglev_flags = o->pin_root ? pin_maglev_flags(o->pin_root) : DP_MAGLEV_FLAGS;
	if (!maglev_is_prime(dp->maglev_m)) {
		snprintf(msg, len, "maglev M %u is not prime", dp->maglev_m);
		return -EINVAL;
	}
	return 0;
}

static void take_fds(struct datapath *dp)
{
	dp->fd_services = bpf_map__fd(dp->xdp->maps.services);
	dp->fd_backends = bpf_map__fd(dp->xdp->maps.backends);
	dp->fd_maglev = bpf_map__fd(dp->xdp->maps.maglev);
	dp->fd_ct = bpf_map__fd(dp->xdp->maps.conntrack);
	dp->fd_affinity = bpf_map__fd(dp->xdp->maps.affinity);
	dp->fd_endpoints = bpf_map__fd(dp->xdp->maps.endpoints);
	dp->fd_config = bpf_map__fd(dp->xdp->maps.dp_config_map);
	dp->fd_stats = bpf_map__fd(dp->xdp->maps.stats);
	dp->fd_map_full = bpf_map__fd(dp->xdp->maps.map_full);
	dp->fd_tx_ports = bpf_map__fd(dp->xdp->maps.tx_ports);
	dp->fd_svc_backends = bpf_map__fd(dp->xdp->maps.svc_backends);
	dp->fd_flow_gen = bpf_map__fd(dp->xdp->maps.flow_gen);
	dp->prog_xdp = bpf_program__fd(dp->xdp->progs.xdp_node);
	dp->prog_tc = bpf_program__fd(dp->tc->progs.tc_pod);
}

/* Node settings into the config; a reused config keeps its clock, which
 * every conntrack and affinity entry is stamped with. */
static int write_config(const struct datapath *dp, const struct dp_opts *o)
{
	struct dp_config cfg = { 0 };
	uint32_t zero = 0;

	if (bpf_map_lookup_elem(dp->fd_config, &zero, &cfg))
		memset(&cfg, 0, sizeof(cfg));
	/* An agent learns the node's address from its Node object, after the
	 * load: until then a reused config keeps the one it had, or NodePorts
	 * would stop answering while the agent restarts. */
	if (o->node_ip)
		cfg.node_ip = o->node_ip;
	cfg.cluster_net = o->cluster_net & o->cluster_mask;
	cfg.cluster_mask = o->cluster_mask;
	cfg.maglev_m = dp->maglev_m;
	if (bpf_map_update_elem(dp->fd_config, &zero, &cfg, BPF_ANY))
		return -errno;
	return dp_flow_cache_flush(dp);
}

int dp_load(struct datapath *dp, const struct dp_opts *o, char *msg, size_t len)
{
	int err;

	memset(dp, 0, sizeof(*dp));
	if (len)
		msg[0] = '\0';
	if (o->pin_root) {
		err = bpffs_prepare(o->pin_root, msg, len);
		if (err)
			return err;
	}
	err = choose_maglev_m(dp, o, msg, len);
	if (err)
		return err;
	dp->xdp = xdp_node__open();
	dp->tc = tc_pod__open();
	if (!dp->xdp || !dp->tc) {
		err = -errno;
		snprintf(msg, len, "cannot open the BPF objects: %s", strerror(-err));
		goto fail;
	}
	err = set_sizes(dp->xdp->obj, o, dp->maglev_m, dp->maglev_flags);
	if (!err)
		err = set_sizes(dp->tc->obj, o, dp->maglev_m, dp->maglev_flags);
	if (err) {
		snprintf(msg, len, "cannot size the maps: %s", strerror(-err));
		goto fail;
	}
	/* tc_pod takes xdp_node's maps below, pinned ones included. */
	if (o->pin_root) {
		err = pin_reuse_maps(dp, dp->xdp->obj, o->pin_root, dp->maglev_m, msg, len);
		if (err)
			goto fail;
	}
	err = xdp_node__load(dp->xdp);
	if (err) {
		snprintf(msg, len, "loading xdp_node failed: %s", strerror(-err));
		goto fail;
	}
	err = share_maps(dp->xdp->obj, dp->tc->obj);
	if (!err)
		err = tc_pod__load(dp->tc);
	if (err) {
		snprintf(msg, len, "loading tc_pod failed: %s", strerror(-err));
		goto fail;
	}
	take_fds(dp);
	err = write_config(dp, o);
	if (err) {
		snprintf(msg, len, "cannot write the datapath config: %s", strerror(-err));
		goto fail;
	}
	if (o->pin_root) {
		err = pin_commit(dp, o->pin_root, msg, len);
		if (err)
			goto fail;
	}
	return 0;
fail:
	dp_close(dp);
	return err;
}

void dp_close(struct datapath *dp)
{
	if (dp->pinned_open) {
		for (size_t i = 0; i < dp_map_fields_n; i++)
			if (DP_FD(dp, &dp_map_fields[i]) >= 0)
				close(DP_FD(dp, &dp_map_fields[i]));
		if (dp->prog_xdp >= 0)
			close(dp->prog_xdp);
		if (dp->prog_tc >= 0)
			close(dp->prog_tc);
		dp->pinned_open = false;
	}
	tc_pod__destroy(dp->tc);
	xdp_node__destroy(dp->xdp);
	dp->tc = NULL;
	dp->xdp = NULL;
}

int dp_config_get(const struct datapath *dp, struct dp_config *cfg)
{
	uint32_t zero = 0;

	return bpf_map_lookup_elem(dp->fd_config, &zero, cfg) ? -errno : 0;
}

int dp_clock_set(const struct datapath *dp, uint32_t now)
{
	struct dp_config cfg;
	uint32_t zero = 0;
	int err = dp_config_get(dp, &cfg);

	if (err)
		return err;
	cfg.clock = now;
	return bpf_map_update_elem(dp->fd_config, &zero, &cfg, BPF_ANY) ? -errno : 0;
}

int dp_backend_set(const struct datapath *dp, uint32_t id, const struct backend *b)
{
	return bpf_map_update_elem(dp->fd_backends, &id, b, BPF_ANY) ? -errno : 0;
}

int dp_backend_del(const struct datapath *dp, uint32_t id)
{
	return bpf_map_delete_elem(dp->fd_backends, &id) && errno != ENOENT ? -errno : 0;
}

/* Array values sit 8 bytes apart inside the kernel (value_size rounded
 * up), in a mapping as well: slot i is u32 number 2 * i. */
#define MAGLEV_MMAP_STRIDE 2
/* The most tables made at once for ids that have none (see
 * maglev_tables_add). */
#define MAGLEV_RUN_MAX 256

/* Every slot with one batch update: the way for tables without
 * BPF_F_MMAPABLE (made by an older agent), ~3.5 ms for M 16381. */
static int maglev_write_batch(const struct datapath *dp, int fd, const uint32_t *table)
{
	uint32_t m = dp->maglev_m, count = m, *keys = calloc(m, sizeof(*keys));
	int err = 0;

	if (!keys)
		return -ENOMEM;
	for (uint32_t i = 0; i < m; i++)
		keys[i] = i;
	if (bpf_map_update_batch(fd, keys, table, &count, NULL))
		err = -errno;
	else if (count != m)
		err = -EIO;
	free(keys);
	return err;
}

/* Writes table into the inner array fd: through a mapping, only the slots
 * that differ (one change of a service's backends moves a fraction of
 * them; a packet meanwhile sees each slot old or new, an aligned 32-bit
 * store being atomic). The mapping goes at once: kept, 10,000 tables
 * would count 1.3 GB in the agent's RSS. */
static int maglev_write(const struct datapath *dp, int fd, const uint32_t *table)
{
	size_t len = (size_t)dp->maglev_m * MAGLEV_MMAP_STRIDE * sizeof(uint32_t);
	volatile uint32_t *slots;

	if (!(dp->maglev_flags & DP_MAGLEV_FLAGS))
		return maglev_write_batch(dp, fd, table);
	slots = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (slots == MAP_FAILED)
		return -errno;
	for (uint32_t i = 0; i < dp->maglev_m; i++)
		if (slots[i * MAGLEV_MMAP_STRIDE] != table[i])
			slots[i * MAGLEV_MMAP_STRIDE] = table[i];
	munmap((void *)slots, len);
	return 0;
}

/* Builds the Maglev table of ids and writes it into the inner array fd. */
static int maglev_fill(const struct datapath *dp, int fd, const uint32_t *ids, size_t n)
{
	uint32_t *table = calloc(dp->maglev_m, sizeof(*table));
	int err;

	err = table ? maglev_build(table, dp->maglev_m, ids, n) : -ENOMEM;
	if (!err)
		err = maglev_write(dp, fd, table);
	free(table);
	return err;
}

/* A new inner array holding the service's Maglev table (the tables'
 * flags: the outer map refuses any other). */
static int maglev_map(const struct datapath *dp, const uint32_t *ids, size_t n)
{
	LIBBPF_OPTS(bpf_map_create_opts, opts, .map_flags = dp->maglev_flags);
	int fd, err;

	fd = bpf_map_create(BPF_MAP_TYPE_ARRAY, "xcni_maglev", sizeof(uint32_t), sizeof(uint32_t),
			    dp->maglev_m, &opts);
	if (fd < 0)
		return -errno;
	err = maglev_fill(dp, fd, ids, n);
	if (err) {
		close(fd);
		return err;
	}
	return fd;
}

/* Tables (empty) for the new id first and the ids after it that have
 * none, installed with one batch update of the outer map: the kernel waits
 * out an RCU grace period (~15 ms here) after every write to a map of
 * maps, once per syscall, so one table per syscall would cost 150 s for
 * 10,000 services. The reconciler hands ids out in order, so the next new
 * services find a table and rewrite it in place. The run doubles with the
 * id up to MAGLEV_RUN_MAX: a node with few services keeps few spares, and
 * an unused id's table is unreachable (no service entry names it). */
static int maglev_tables_add(const struct datapath *dp, uint32_t first)
{
	uint32_t run = first < MAGLEV_RUN_MAX ? first + 1 : MAGLEV_RUN_MAX, n = 0, count, inner;
	uint32_t keys[MAGLEV_RUN_MAX];
	int fds[MAGLEV_RUN_MAX], err = 0;
	struct bpf_map_info info;
	__u32 info_len = sizeof(info);

	memset(&info, 0, sizeof(info));
	if (bpf_obj_get_info_by_fd(dp->fd_maglev, &info, &info_len))
		return -errno;
	for (uint32_t id = first; n < run && id < info.max_entries; id++) {
		if (id != first && !bpf_map_lookup_elem(dp->fd_maglev, &id, &inner))
			break;
		fds[n] = maglev_map(dp, NULL, 0);
		if (fds[n] < 0) {
			err = fds[n];
			break;
		}
		keys[n++] = id;
	}
	count = n;
	if (!err && bpf_map_update_batch(dp->fd_maglev, keys, fds, &count, NULL))
		err = -errno;
	/* The outer map holds its own references to the inner maps. */
	for (uint32_t i = 0; i < n; i++)
		close(fds[i]);
	return err;
}

/* The distinct backend ids of the table the service has now (none for a
 * new service); returns how many, or a negative errno. */
static int current_members(const struct datapath *dp, uint32_t svc_id, uint32_t **out)
{
	uint32_t inner_id, m = dp->maglev_m, n = 0, *table;
	int fd, err = 0;

	*out = NULL;
	if (bpf_map_lookup_elem(dp->fd_maglev, &svc_id, &inner_id))
		return errno == ENOENT ? 0 : -errno;
	fd = bpf_map_get_fd_by_id(inner_id);
	if (fd < 0)
		return -errno;
	table = calloc(m, sizeof(*table));
	for (uint32_t i = 0; table && !err && i < m; i++) {
		uint32_t id;
		bool seen = false;

		if (bpf_map_lookup_elem(fd, &i, &id)) {
			err = -errno;
			break;
		}
		for (uint32_t j = 0; j < n && !seen; j++)
			seen = table[j] == id;
		if (!seen && id != XCNI_NO_BACKEND)
			table[n++] = id;
	}
	close(fd);
	if (!table)
		return -ENOMEM;
	if (err) {
		free(table);
		return err;
	}
	*out = table;
	return (int)n;
}

static bool has_id(const uint32_t *ids, size_t n, uint32_t id)
{
	for (size_t i = 0; i < n; i++)
		if (ids[i] == id)
			return true;
	return false;
}

/* For callers that do not track members (tools, tests): learn them from
 * the table, then the agent's path. */
int dp_service_set(const struct datapath *dp, const struct svc_key *k, const struct svc_value *v,
		   const uint32_t *ids, size_t n)
{
	uint32_t *old = NULL;
	int n_old, err;

	n_old = current_members(dp, v->id, &old);
	if (n_old < 0)
		return n_old;
	err = dp_service_update(dp, k, v, ids, n, old, n_old);
	free(old);
	return err;
}

/* The service's inner Maglev array, if its id has one; -ENOENT if not. */
static int maglev_inner_fd(const struct datapath *dp, uint32_t svc_id)
{
	uint32_t inner_id;
	int fd;

	if (bpf_map_lookup_elem(dp->fd_maglev, &svc_id, &inner_id))
		return -errno;
	fd = bpf_map_get_fd_by_id(inner_id);
	return fd < 0 ? -errno : fd;
}

int dp_service_update(const struct datapath *dp, const struct svc_key *k, const struct svc_value *v,
		      const uint32_t *ids, size_t n, const uint32_t *old, size_t n_old)
{
	uint8_t one = 1;
	int fd, err = 0;

	for (size_t i = 0; i < n; i++) {
		struct svc_backend_key mk = { .svc_id = v->id, .backend_id = ids[i] };

		if (has_id(old, n_old, ids[i]))
			continue;
		if (bpf_map_update_elem(dp->fd_svc_backends, &mk, &one, BPF_ANY))
			return -errno;
	}
	/* An id that had a table is rewritten in place: replacing an inner
	 * map waits out an RCU grace period (~15 ms here), a batch write does
	 * not. A packet meanwhile sees each slot old or new, and either names
	 * a backend the service has (both sets are members until the end). */
	fd = maglev_inner_fd(dp, v->id);
	if (fd == -ENOENT) {
		/* A new id: nothing reaches its table before the service
		 * entry below, so it is filled like an existing one. */
		err = maglev_tables_add(dp, v->id);
		fd = err ? err : maglev_inner_fd(dp, v->id);
	}
	if (fd >= 0) {
		err = maglev_fill(dp, fd, ids, n);
		close(fd);
	} else {
		err = fd;
	}
	if (!err && bpf_map_update_elem(dp->fd_services, k, v, BPF_ANY))
		err = -errno;
	for (size_t i = 0; !err && i < n_old; i++) {
		struct svc_backend_key mk = { .svc_id = v->id, .backend_id = old[i] };

		if (!has_id(ids, n, old[i]))
			bpf_map_delete_elem(dp->fd_svc_backends, &mk);
	}
	/* Pass entries cached while the service was missing, or had other
	 * flags (reachable from the wire or not), go. */
	return err ? err : dp_flow_cache_flush(dp);
}

int dp_service_remove(const struct datapath *dp, const struct svc_key *k, uint32_t svc_id,
		      const uint32_t *old, size_t n_old)
{
	if (bpf_map_delete_elem(dp->fd_services, k) && errno != ENOENT)
		return -errno;
	for (size_t i = 0; i < n_old; i++) {
		struct svc_backend_key mk = { .svc_id = svc_id, .backend_id = old[i] };

		bpf_map_delete_elem(dp->fd_svc_backends, &mk);
	}
	/* The inner table stays under its id, for the next service that gets
	 * the id to rewrite in place; nothing reaches it meanwhile. */
	return dp_flow_cache_flush(dp);
}

int dp_service_del(const struct datapath *dp, const struct svc_key *k)
{
	uint32_t *old = NULL;
	struct svc_value v;
	int n_old, err;

	if (bpf_map_lookup_elem(dp->fd_services, k, &v))
		return errno == ENOENT ? 0 : -errno;
	n_old = current_members(dp, v.id, &old);
	if (n_old < 0)
		return n_old;
	err = dp_service_remove(dp, k, v.id, old, n_old);
	free(old);
	/* Nobody here reuses the id: its table goes too. */
	if (!err && bpf_map_delete_elem(dp->fd_maglev, &v.id) && errno != ENOENT)
		err = -errno;
	return err;
}

int dp_endpoint_set(const struct datapath *dp, uint32_t pod_ip, const struct endpoint *ep)
{
	if (bpf_map_update_elem(dp->fd_endpoints, &pod_ip, ep, BPF_ANY))
		return -errno;
	return dp_flow_cache_flush(dp);
}

int dp_endpoint_del(const struct datapath *dp, uint32_t pod_ip)
{
	if (bpf_map_delete_elem(dp->fd_endpoints, &pod_ip))
		return errno == ENOENT ? 0 : -errno;
	return dp_flow_cache_flush(dp);
}

int dp_tx_port_add(const struct datapath *dp, int ifindex)
{
	struct bpf_devmap_val val = { .ifindex = (uint32_t)ifindex };
	uint32_t key = (uint32_t)ifindex;

	return bpf_map_update_elem(dp->fd_tx_ports, &key, &val, BPF_ANY) ? -errno : 0;
}

int dp_stats_read(const struct datapath *dp, struct stat_value out[STAT_MAX])
{
	int ncpu = libbpf_num_possible_cpus();
	struct stat_value *per;

	if (ncpu <= 0)
		return ncpu ? ncpu : -EINVAL;
	per = calloc(ncpu, sizeof(*per));
	if (!per)
		return -ENOMEM;
	for (uint32_t r = 0; r < STAT_MAX; r++) {
		out[r].packets = out[r].bytes = 0;
		if (bpf_map_lookup_elem(dp->fd_stats, &r, per))
			continue;
		for (int c = 0; c < ncpu; c++) {
			out[r].packets += per[c].packets;
			out[r].bytes += per[c].bytes;
		}
	}
	free(per);
	return 0;
}

int dp_flow_cache_flush(const struct datapath *dp)
{
	return flow_gen_bump_fd(dp->fd_flow_gen);
}
