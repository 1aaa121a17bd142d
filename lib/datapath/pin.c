/* Pinned maps across agent restarts: reused when their layout is this
 * build's, migrated when only their size changed, refused otherwise; and
 * the pins of a fresh load. */
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "bpffs.h"
#include "pin.h"
#include "xcni/pins.h"
#include "xdp_node.skel.h"

/* The kernel adds this to every devmap it creates: not part of the layout. */
#define KERNEL_ADDED_FLAGS BPF_F_RDONLY_PROG

static void note(char *msg, size_t len, const char *fmt, ...)
{
	size_t used = strnlen(msg, len);
	va_list ap;

	if (used + 3 >= len)
		return;
	if (used) {
		strcpy(msg + used, "; ");
		used += 2;
	}
	va_start(ap, fmt);
	vsnprintf(msg + used, len - used, fmt, ap);
	va_end(ap);
}

static int map_info(int fd, struct bpf_map_info *info)
{
	__u32 n = sizeof(*info);

	memset(info, 0, n);
	return bpf_obj_get_info_by_fd(fd, info, &n) ? -errno : 0;
}

static bool is_map_of_maps(__u32 type)
{
	return type == BPF_MAP_TYPE_ARRAY_OF_MAPS || type == BPF_MAP_TYPE_HASH_OF_MAPS;
}

static bool is_percpu(__u32 type)
{
	return type == BPF_MAP_TYPE_PERCPU_ARRAY || type == BPF_MAP_TYPE_PERCPU_HASH ||
	       type == BPF_MAP_TYPE_LRU_PERCPU_HASH;
}

static bool is_array(__u32 type)
{
	return type == BPF_MAP_TYPE_ARRAY || type == BPF_MAP_TYPE_PERCPU_ARRAY ||
	       type == BPF_MAP_TYPE_ARRAY_OF_MAPS;
}

int pin_maglev_template(uint32_t m, uint32_t flags)
{
	LIBBPF_OPTS(bpf_map_create_opts, opts, .map_flags = flags);
	int fd = bpf_map_create(BPF_MAP_TYPE_ARRAY, "xcni_maglev_t", sizeof(uint32_t),
				sizeof(uint32_t), m, &opts);

	return fd < 0 ? -errno : fd;
}

static int open_pinned_map(const char *root, const char *name)
{
	char path[PATH_MAX];
	int fd;

	if (bpffs_path(path, sizeof(path), root, XCNI_PIN_MAPS_DIR, name))
		return -ENAMETOOLONG;
	fd = bpf_obj_get(path);
	return fd < 0 ? -errno : fd;
}

/* The size and flags of the Maglev tables pinned under root: the first
 * service's table (an array of maps has every slot, so the services say
 * which hold one). M 0 when no service has a table. */
static uint32_t pinned_tables(const char *root, uint32_t *flags)
{
	int services = open_pinned_map(root, "services"), maglev = open_pinned_map(root, "maglev");
	struct svc_value *v = NULL;
	struct bpf_map_info info;
	uint32_t m = 0, id;
	void *key = NULL, *prev = NULL, *next = NULL;

	if (services < 0 || maglev < 0 || map_info(services, &info) || info.value_size < sizeof(*v))
		goto out;
	key = calloc(1, info.key_size);
	next = calloc(1, info.key_size);
	v = calloc(1, info.value_size);
	while (!m && key && next && v && !bpf_map_get_next_key(services, prev, next)) {
		struct bpf_map_info table;
		int fd;

		memcpy(key, next, info.key_size);
		prev = key;
		if (bpf_map_lookup_elem(services, key, v) ||
		    bpf_map_lookup_elem(maglev, &v->id, &id))
			continue;
		fd = bpf_map_get_fd_by_id(id);
		if (fd < 0)
			continue;
		if (!map_info(fd, &table)) {
			m = table.max_entries;
			*flags = table.map_flags;
		}
		close(fd);
	}
out:
	free(key);
	free(next);
	free(v);
	if (services >= 0)
		close(services);
	if (maglev >= 0)
		close(maglev);
	return m;
}

uint32_t pin_maglev_flags(const char *root)
{
	uint32_t flags = DP_MAGLEV_FLAGS;

	pinned_tables(root, &flags);
	return flags;
}

uint32_t pin_maglev_m(const char *root)
{
	uint32_t flags, m = pinned_tables(root, &flags), zero = 0;
	struct bpf_map_info info;
	struct dp_config cfg;
	int fd;

	if (m)
		return m;
	/* No table yet: the M the last load wrote into its config. */
	fd = open_pinned_map(root, "dp_config_map");
	if (fd < 0)
		return 0;
	if (!map_info(fd, &info) && info.value_size == sizeof(cfg) &&
	    !bpf_map_lookup_elem(fd, &zero, &cfg))
		m = cfg.maglev_m;
	close(fd);
	return m;
}

/* How the pinned map differs from this build's, in words. */
bool pin_layout_differs(const struct bpf_map *map, const struct bpf_map_info *have, char *what,
			size_t len)
{
	__u32 flags = have->map_flags & ~KERNEL_ADDED_FLAGS;

	what[0] = '\0';
	if (have->type != (__u32)bpf_map__type(map))
		snprintf(what, len, "pinned type %s, this build %s",
			 libbpf_bpf_map_type_str(have->type),
			 libbpf_bpf_map_type_str(bpf_map__type(map)));
	else if (have->key_size != bpf_map__key_size(map))
		snprintf(what, len, "pinned key size %u, this build %u", have->key_size,
			 bpf_map__key_size(map));
	else if (have->value_size != bpf_map__value_size(map))
		snprintf(what, len, "pinned value size %u, this build %u", have->value_size,
			 bpf_map__value_size(map));
	else if (flags != (bpf_map__map_flags(map) & ~KERNEL_ADDED_FLAGS))
		snprintf(what, len, "pinned flags %#x, this build %#x", flags,
			 bpf_map__map_flags(map));
	return what[0] != '\0';
}

/* One entry from old into new. Maps of maps read back ids and take fds;
 * per-CPU maps hold one value per possible CPU. */
static int copy_entry(int old, int new, const struct bpf_map_info *info, const void *key,
		      void *value)
{
	int err = 0, inner;

	if (bpf_map_lookup_elem(old, key, value))
		return errno == ENOENT ? 0 : -errno; /* gone meanwhile */
	if (!is_map_of_maps(info->type))
		return bpf_map_update_elem(new, key, value, BPF_ANY) ? -errno : 0;
	inner = bpf_map_get_fd_by_id(*(__u32 *)value);
	if (inner < 0)
		return errno == ENOENT ? 0 : -errno;
	if (bpf_map_update_elem(new, key, &inner, BPF_ANY))
		err = -errno;
	close(inner);
	return err;
}

/* Every entry of old into new (whose max_entries is new_max): an array's
 * slots past a smaller size are dropped, a hash map that does not fit
 * fails. Returns the number copied or a negative errno. */
static int copy_entries(int old, int new, const struct bpf_map_info *info, __u32 new_max)
{
	size_t vsize = info->value_size;
	void *key = calloc(1, info->key_size), *next = calloc(1, info->key_size), *value;
	bool first = true;
	int ncpu, err = 0, n = 0;

	if (is_percpu(info->type)) {
		ncpu = libbpf_num_possible_cpus();
		if (ncpu <= 0) {
			free(key);
			free(next);
			return ncpu ? ncpu : -EINVAL;
		}
		vsize = ((vsize + 7) / 8) * 8 * (size_t)ncpu;
	}
	value = calloc(1, vsize);
	if (!key || !next || !value)
		err = -ENOMEM;
	while (!err && !bpf_map_get_next_key(old, first ? NULL : key, next)) {
		first = false;
		memcpy(key, next, info->key_size);
		if (is_array(info->type) && *(__u32 *)key >= new_max)
			break;
		err = copy_entry(old, new, info, key, value);
		if (!err)
			n++;
	}
	free(key);
	free(next);
	free(value);
	return err ? err : n;
}

/* The entries of a hash map (an LRU one would evict past its size rather
 * than refuse, so they are counted before copying). */
static __u32 count_keys(int fd, __u32 key_size)
{
	void *key = calloc(2, key_size);
	bool first = true;
	__u32 n = 0;

	while (key && !bpf_map_get_next_key(fd, first ? NULL : key, (char *)key + key_size)) {
		first = false;
		memcpy(key, (char *)key + key_size, key_size);
		n++;
	}
	free(key);
	return n;
}

/* A new map shaped like map (this build's layout and size) holding the
 * pinned map's entries. Returns its fd or a negative errno. */
static int migrate(const struct bpf_map *map, int old, const struct bpf_map_info *have, uint32_t m,
		   const char *root, char *msg, size_t len)
{
	LIBBPF_OPTS(bpf_map_create_opts, opts, .map_flags = bpf_map__map_flags(map));
	__u32 max = bpf_map__max_entries(map), have_n;
	int fd, n;

	if (!is_array(have->type) && (have_n = count_keys(old, have->key_size)) > max) {
		snprintf(
			msg, len,
			"map %s: its %u entries do not fit in max_entries %u: raise the limit, or run xcni-agent --cleanup",
			bpf_map__name(map), have_n, max);
		return -E2BIG;
	}

	if (is_map_of_maps(have->type)) {
		/* The tables move over as they are: the template takes their flags. */
		opts.inner_map_fd = pin_maglev_template(m, pin_maglev_flags(root));
		if ((int)opts.inner_map_fd < 0) {
			snprintf(msg, len, "map %s: cannot make its inner map template: %s",
				 bpf_map__name(map), strerror(-(int)opts.inner_map_fd));
			return (int)opts.inner_map_fd;
		}
	}
	fd = bpf_map_create(bpf_map__type(map), bpf_map__name(map), bpf_map__key_size(map),
			    bpf_map__value_size(map), max, &opts);
	if (is_map_of_maps(have->type))
		close((int)opts.inner_map_fd);
	if (fd < 0) {
		fd = -errno;
		snprintf(msg, len, "map %s: cannot create it with max_entries %u: %s",
			 bpf_map__name(map), max, strerror(-fd));
		return fd;
	}
	n = copy_entries(old, fd, have, max);
	if (n < 0) {
		snprintf(
			msg, len,
			"map %s: cannot migrate from max_entries %u to %u: %s (the entries do not fit?): run xcni-agent --cleanup or size it back",
			bpf_map__name(map), have->max_entries, max, strerror(-n));
		close(fd);
		return n;
	}
	note(msg, len, "map %s migrated: max_entries %u -> %u, %d entries copied",
	     bpf_map__name(map), have->max_entries, max, n);
	return fd;
}

/* A pinned Maglev map whose tables have another size cannot be used by
 * this load: its tables would have to be rebuilt. One without tables is
 * simply made anew (its template may differ). Returns 1 to make it anew,
 * 0 to go on, or -EINVAL. */
static int maglev_check(const struct bpf_map *map, const char *root, uint32_t m, const char *path,
			char *msg, size_t len)
{
	uint32_t pinned_m, flags;

	if (strcmp(bpf_map__name(map), "maglev"))
		return 0;
	pinned_m = pinned_tables(root, &flags);
	if (!pinned_m)
		return 1;
	if (pinned_m == m)
		return 0;
	snprintf(
		msg, len,
		"map maglev: pinned tables have M %u, this load %u: load with M %u, or run xcni-agent --cleanup or remove %s",
		pinned_m, m, pinned_m, path);
	return -EINVAL;
}

/* Decides for one map; 0 with the map handed to libbpf (or left to be
 * created), or a negative errno with msg naming the map. */
static int reuse_one(struct datapath *dp, struct bpf_map *map, const char *root, uint32_t m,
		     char *msg, size_t len)
{
	char path[PATH_MAX], what[128];
	struct bpf_map_info have;
	int fd, use = -1, err, fresh;

	err = bpffs_path(path, sizeof(path), root, XCNI_PIN_MAPS_DIR, bpf_map__name(map));
	if (err) {
		snprintf(msg, len, "map %s: pin path under %s too long", bpf_map__name(map), root);
		return err;
	}
	fd = bpf_obj_get(path);
	if (fd < 0 && errno == ENOENT) {
		dp->maps_created++;
		return 0;
	}
	if (fd < 0 || (err = map_info(fd, &have))) {
		err = fd < 0 ? -errno : err;
		snprintf(msg, len, "map %s: cannot open %s: %s", bpf_map__name(map), path,
			 strerror(-err));
		goto out;
	}
	if (pin_layout_differs(map, &have, what, sizeof(what))) {
		err = -EINVAL;
		snprintf(msg, len, "map %s: %s: run xcni-agent --cleanup or remove %s",
			 bpf_map__name(map), what, path);
		goto out;
	}
	fresh = maglev_check(map, root, m, path, msg, len);
	if (fresh < 0) {
		err = fresh;
		goto out;
	}
	if (fresh) {
		dp->maps_created++; /* empty: made anew, pinned over the old one */
		goto out;
	}
	if (have.max_entries != bpf_map__max_entries(map)) {
		use = migrate(map, fd, &have, m, root, msg, len);
		if (use < 0) {
			err = use;
			goto out;
		}
		dp->maps_migrated++;
	} else {
		use = fd;
		dp->maps_reused++;
	}
	/* libbpf takes a duplicate and skips creating the map. */
	err = bpf_map__reuse_fd(map, use);
	if (err)
		snprintf(msg, len, "map %s: cannot reuse %s: %s", bpf_map__name(map), path,
			 strerror(-err));
	if (use != fd)
		close(use);
out:
	if (fd >= 0)
		close(fd);
	return err;
}

int pin_reuse_maps(struct datapath *dp, struct bpf_object *obj, const char *root, uint32_t m,
		   char *msg, size_t len)
{
	struct bpf_map *map;
	int err;

	bpf_object__for_each_map(map, obj)
	{
		/* .rodata and friends belong to one object: never shared. */
		if (bpf_map__is_internal(map))
			continue;
		err = reuse_one(dp, map, root, m, msg, len);
		if (err)
			return err;
	}
	return 0;
}

static __u32 obj_id(int fd)
{
	struct bpf_prog_info info;
	__u32 n = sizeof(info);

	/* map and prog infos both start with type and id */
	memset(&info, 0, sizeof(info));
	if (bpf_obj_get_info_by_fd(fd, &info, &n))
		return 0;
	return info.id;
}

/* Pins fd at <root>/<dir>/<name> unless that pin already is fd's object;
 * through a temporary name and rename(2), so the path never goes missing.
 * (bpffs refuses names with a dot.) */
static int pin_replace(int fd, const char *root, const char *dir, const char *name, char *msg,
		       size_t len)
{
	char path[PATH_MAX], tmp[PATH_MAX + 8], tmp_name[NAME_MAX];
	int old, err = 0;

	if (bpffs_path(path, sizeof(path), root, dir, name) ||
	    snprintf(tmp_name, sizeof(tmp_name), "_new_%s", name) >= (int)sizeof(tmp_name) ||
	    bpffs_path(tmp, sizeof(tmp), root, dir, tmp_name)) {
		snprintf(msg, len, "%s/%s: pin path under %s too long", dir, name, root);
		return -ENAMETOOLONG;
	}
	old = bpf_obj_get(path);
	if (old >= 0) {
		bool same = obj_id(old) == obj_id(fd);

		close(old);
		if (same)
			return 0;
	}
	unlink(tmp); /* left by a load that died here */
	if (bpf_obj_pin(fd, tmp) || rename(tmp, path)) {
		err = -errno;
		unlink(tmp);
		snprintf(msg, len, "cannot pin %s: %s", path, strerror(-err));
	}
	return err;
}

int pin_commit(struct datapath *dp, const char *root, char *msg, size_t len)
{
	struct bpf_map *map;
	int err;

	bpf_object__for_each_map(map, dp->xdp->obj)
	{
		if (bpf_map__is_internal(map))
			continue;
		err = pin_replace(bpf_map__fd(map), root, XCNI_PIN_MAPS_DIR, bpf_map__name(map),
				  msg, len);
		if (err)
			return err;
	}
	/* The CNI enrolls pods from the programs' pins: they come last, when
	 * every map they use is in place. */
	err = pin_replace(dp->prog_xdp, root, XCNI_PIN_PROGS_DIR, XCNI_PIN_PROG_XDP, msg, len);
	if (!err)
		err = pin_replace(dp->prog_tc, root, XCNI_PIN_PROGS_DIR, XCNI_PIN_PROG_TC, msg,
				  len);
	return err;
}
