/* The loader's pinning steps (dp_load with a pin root): maps found pinned
 * are reused, migrated or refused before load; after load, what is new is
 * pinned and the programs' pins replaced. Private to lib/datapath. */
#ifndef XCNI_DP_PIN_INTERNAL_H
#define XCNI_DP_PIN_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <linux/bpf.h>

#include "dp.h"

/* New Maglev tables can be mapped: one is written with plain stores, only
 * the slots that change, without a syscall per slot. */
#define DP_MAGLEV_FLAGS BPF_F_MMAPABLE

struct bpf_object;
struct bpf_map;
struct bpf_map_info;

/* The Maglev table size the pinned tables were built with, 0 if nothing
 * is pinned (or the maglev map holds no table). */
uint32_t pin_maglev_m(const char *root);

/* Before load: hands every pinned map of a compatible layout to obj
 * (counted in dp->maps_*). A different max_entries is migrated into a new
 * map; any other difference refuses the load with the map's name. */
int pin_reuse_maps(struct datapath *dp, struct bpf_object *obj, const char *root, uint32_t m,
		   char *msg, size_t len);

/* After load: pins obj's maps that are not the pinned ones (new or
 * migrated) and the programs, each replacing its old pin atomically. */
int pin_commit(struct datapath *dp, const char *root, char *msg, size_t len);

/* The maps struct datapath holds an fd of, by pin name. */
struct dp_map_field {
	const char *name;
	size_t off; /* of the int fd in struct datapath */
};
extern const struct dp_map_field dp_map_fields[];
extern const size_t dp_map_fields_n;

#define DP_FD(dp, f) (*(int *)((char *)(dp) + (f)->off))

/* Whether the pinned map (have) differs from this build's map in type, key
 * or value size or flags; what says how. max_entries is not compared. */
bool pin_layout_differs(const struct bpf_map *map, const struct bpf_map_info *have, char *what,
			size_t len);

/* The flags of the Maglev tables pinned under root, DP_MAGLEV_FLAGS when
 * none is: new tables must have the flags of the map's template. */
uint32_t pin_maglev_flags(const char *root);

/* Makes a map like the Maglev tables' template (M entries, flags). */
int pin_maglev_template(uint32_t m, uint32_t flags);

#endif
