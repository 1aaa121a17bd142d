/* The address index (see addr_index.h). */
#include <errno.h>
#include <stdlib.h>

#include "addr_index.h"

/* splitmix64's finalizer: addresses of one subnet differ in few bits. */
static uint32_t slot_of(const struct addr_index *ix, uint64_t key)
{
	key = (key ^ (key >> 30)) * 0xbf58476d1ce4e5b9ull;
	key = (key ^ (key >> 27)) * 0x94d049bb133111ebull;
	return (uint32_t)(key ^ (key >> 31)) & ix->mask;
}

int addr_index_init(struct addr_index *ix, uint32_t max, addr_index_key_fn key_of, const void *ctx)
{
	uint64_t n = 16;

	while (n < 2 * (uint64_t)max)
		n *= 2;
	if (n > (1ull << 32))
		return -EINVAL;
	ix->slots = calloc(n, sizeof(*ix->slots));
	if (!ix->slots)
		return -ENOMEM;
	ix->mask = (uint32_t)(n - 1);
	ix->key_of = key_of;
	ix->ctx = ctx;
	return 0;
}

void addr_index_free(struct addr_index *ix)
{
	free(ix->slots);
	ix->slots = NULL;
}

int64_t addr_index_get(const struct addr_index *ix, uint64_t key)
{
	for (uint32_t i = slot_of(ix, key);; i = (i + 1) & ix->mask) {
		uint32_t v = ix->slots[i];

		if (!v)
			return -1;
		if (ix->key_of(ix->ctx, v - 1) == key)
			return v - 1;
	}
}

void addr_index_put(struct addr_index *ix, uint32_t id)
{
	uint32_t i = slot_of(ix, ix->key_of(ix->ctx, id));

	while (ix->slots[i])
		i = (i + 1) & ix->mask;
	ix->slots[i] = id + 1;
}

bool addr_index_del(struct addr_index *ix, uint32_t id)
{
	uint32_t i = slot_of(ix, ix->key_of(ix->ctx, id)), j, home;

	while (ix->slots[i] != id + 1) {
		if (!ix->slots[i])
			return false;
		i = (i + 1) & ix->mask;
	}
	/* Backward shift: move up every later entry of the run that may sit
	 * in the hole, so no lookup meets an empty slot before its entry. */
	for (j = (i + 1) & ix->mask; ix->slots[j]; j = (j + 1) & ix->mask) {
		home = slot_of(ix, ix->key_of(ix->ctx, ix->slots[j] - 1));
		/* j's entry may move to i if its home is not in (i, j]. */
		if (((j - home) & ix->mask) >= ((j - i) & ix->mask)) {
			ix->slots[i] = ix->slots[j];
			i = j;
		}
	}
	ix->slots[i] = 0;
	return true;
}
