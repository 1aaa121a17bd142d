/* Maglev consistent hashing (Eisenbud et al., NSDI 2016): the lookup table
 * that maps a flow hash to a backend, built in user space for the datapath. */
#ifndef XCNI_MAGLEV_H
#define XCNI_MAGLEV_H

#include <stdbool.h>
#include <stdint.h>
#include <stddef.h>

#define MAGLEV_M_DEFAULT 16381

/* Fills table[0..m-1] with backend ids from ids[0..n-1] (Maglev, Eisenbud et al. 2016:
 * each backend gets a permutation from two hashes of its id, offset = h1 % m,
 * skip = h2 % (m - 1) + 1, and backends take turns claiming their next preferred free slot).
 * m must be prime and > n; n may be 0 (table filled with MAGLEV_NO_BACKEND). The result
 * depends only on the set of ids, not on their order in ids[]. Returns 0 or -EINVAL. */
#define MAGLEV_NO_BACKEND 0xffffffffu

/* Also -EINVAL: a NULL table, NULL ids with n > 0, or an id equal to
 * MAGLEV_NO_BACKEND (it marks empty slots). Duplicate ids count once.
 * -ENOMEM when the scratch space cannot be allocated; the table is then
 * untouched. */
int maglev_build(uint32_t *table, uint32_t m, const uint32_t *ids, size_t n);

/* Whether m is prime: Maglev needs a prime table size so that every skip
 * in 1..m-1 walks all m slots. */
bool maglev_is_prime(uint32_t m);

#endif
