/* Maglev lookup table population (Eisenbud et al., NSDI 2016, section 3.4),
 * in O(M log M) expected time and O(N) scratch space. */
#include <errno.h>
#include <stdlib.h>

#include "maglev.h"

/* Two unrelated seeds turn one mixing function into the two independent
 * hashes the paper asks for (offset and skip). They are part of the table's
 * definition: every node must build the same table for the same backends,
 * so changing them reshuffles every flow. */
#define MAGLEV_SEED_OFFSET 0x6a09e667f3bcc909ull
#define MAGLEV_SEED_SKIP 0xbb67ae8584caa73bull

/* The splitmix64 finalizer: a bijection on 64 bits in which every input bit
 * flips each output bit with probability close to 1/2, so consecutive or
 * sparse ids still get unrelated permutations. */
static uint64_t mix64(uint64_t x)
{
	x += 0x9e3779b97f4a7c15ull;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
	return x ^ (x >> 31);
}

bool maglev_is_prime(uint32_t m)
{
	if (m < 4)
		return m >= 2;
	if (m % 2 == 0 || m % 3 == 0)
		return false;
	/* Every prime above 3 is 6k +- 1. 64 bits so that i * i cannot wrap
	 * for m near UINT32_MAX. */
	for (uint64_t i = 5; i * i <= m; i += 6)
		if (m % i == 0 || m % (i + 2) == 0)
			return false;
	return true;
}

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return (x > y) - (x < y);
}

/* Per backend: its id, the slot its permutation proposes next, and the
 * step between proposals. Kept together so a turn touches one cache line. */
struct maglev_walk {
	uint32_t id;
	uint32_t next;
	uint32_t skip;
};

/* pos + skip mod m without overflow: pos < m and skip < m, but both can be
 * close to 2^32. */
static uint32_t step(uint32_t pos, uint32_t skip, uint32_t m)
{
	return pos >= m - skip ? pos - (m - skip) : pos + skip;
}

int maglev_build(uint32_t *table, uint32_t m, const uint32_t *ids, size_t n)
{
	struct maglev_walk *w = NULL;
	uint32_t *sorted;
	size_t k = 0;
	uint32_t filled = 0;

	if (!table || (n && !ids) || !maglev_is_prime(m) || n >= m)
		return -EINVAL;
	for (size_t i = 0; i < n; i++)
		if (ids[i] == MAGLEV_NO_BACKEND)
			return -EINVAL;

	if (n) {
		/* calloc: n * size cannot wrap unnoticed on 32-bit size_t. */
		sorted = calloc(n, sizeof(*sorted));
		w = calloc(n, sizeof(*w));
		if (!sorted || !w) {
			free(sorted);
			free(w);
			return -ENOMEM;
		}
		/* The turn order decides ties between backends wanting the same
		 * slot, so it must come from the ids alone, not from the caller's
		 * order: sort, and drop duplicates so that the set is what counts. */
		for (size_t i = 0; i < n; i++)
			sorted[i] = ids[i];
		qsort(sorted, n, sizeof(*sorted), cmp_u32);
		for (size_t i = 0; i < n; i++) {
			if (k && sorted[i] == w[k - 1].id)
				continue;
			w[k].id = sorted[i];
			w[k].next = (uint32_t)(mix64(sorted[i] ^ MAGLEV_SEED_OFFSET) % m);
			/* In 1..m-1: with m prime, every such step is coprime to
			 * m, so each permutation visits all slots. */
			w[k].skip = (uint32_t)(mix64(sorted[i] ^ MAGLEV_SEED_SKIP) % (m - 1) + 1);
			k++;
		}
		free(sorted);
	}

	/* The table itself records which slots are taken: MAGLEV_NO_BACKEND is
	 * never a backend's id. */
	for (uint32_t i = 0; i < m; i++)
		table[i] = MAGLEV_NO_BACKEND;
	if (!k)
		return 0;

	/* Round robin, one slot per backend per round, so slot counts differ
	 * by at most one. A backend skips the slots already taken on its
	 * permutation; since a permutation covers every slot and some slot is
	 * still free, each turn ends. */
	for (;;) {
		for (size_t i = 0; i < k; i++) {
			uint32_t pos = w[i].next;

			while (table[pos] != MAGLEV_NO_BACKEND)
				pos = step(pos, w[i].skip, m);
			table[pos] = w[i].id;
			w[i].next = step(pos, w[i].skip, m);
			if (++filled == m) {
				free(w);
				return 0;
			}
		}
	}
}
