/* Backend ids by address: an open-addressing table of 32-bit ids (linear
 * probing, backward-shift deletion) whose keys are read from the caller's
 * own records, so an entry costs 4 bytes instead of a hash node each. */
#ifndef XCNI_ADDR_INDEX_H
#define XCNI_ADDR_INDEX_H

#include <stdbool.h>
#include <stdint.h>

/* The key of a stored id, from the caller's records. */
typedef uint64_t (*addr_index_key_fn)(const void *ctx, uint32_t id);

struct addr_index {
	uint32_t *slots; /* id + 1; 0: empty */
	uint32_t mask; /* slots - 1, a power of two minus one */
	addr_index_key_fn key_of;
	const void *ctx;
};

/* Room for max ids at a load of at most one half. Returns 0, -ENOMEM, or
 * -EINVAL when max needs more than 2^32 slots. */
int addr_index_init(struct addr_index *ix, uint32_t max, addr_index_key_fn key_of, const void *ctx);
void addr_index_free(struct addr_index *ix);

/* The id stored under key, or -1. */
int64_t addr_index_get(const struct addr_index *ix, uint64_t key);
/* Stores id under its key (which must not be stored yet). */
void addr_index_put(struct addr_index *ix, uint32_t id);
/* Removes id if it is the one stored under its key; returns whether it was. */
bool addr_index_del(struct addr_index *ix, uint32_t id);

#endif
