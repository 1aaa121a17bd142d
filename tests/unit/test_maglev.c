/* The Maglev table builder (lib/maglev.h): the paper's algorithm with fixed
 * hashes, balance, disruption when a backend leaves or joins, independence
 * from the order of ids, argument checks, and speed. */
#include "unit.h"

#include <time.h>

#include "maglev.h"

static uint32_t *build(uint32_t m, const uint32_t *ids, size_t n)
{
	uint32_t *table = malloc(m * sizeof(*table));

	assert_non_null(table);
	assert_int_equal(maglev_build(table, m, ids, n), 0);
	return table;
}

/* n distinct ids spread over the whole 32-bit space, never
 * MAGLEV_NO_BACKEND: multiplying by an odd number is a bijection mod 2^32. */
static uint32_t *sparse_ids(size_t n)
{
	uint32_t *ids = malloc((n + 1) * sizeof(*ids));

	assert_non_null(ids);
	for (size_t i = 0; i < n; i++) {
		ids[i] = (uint32_t)(i + 1) * 2654435761u;
		assert_int_not_equal(ids[i], MAGLEV_NO_BACKEND);
	}
	return ids;
}

static uint32_t count_of(const uint32_t *table, uint32_t m, uint32_t id)
{
	uint32_t c = 0;

	for (uint32_t i = 0; i < m; i++)
		c += table[i] == id;
	return c;
}

/* Reproducible pseudo-random numbers for shuffles (xorshift32). */
static uint32_t rnd(uint32_t *state)
{
	uint32_t x = *state;

	x ^= x << 13;
	x ^= x >> 17;
	x ^= x << 5;
	return *state = x;
}

static void shuffle(uint32_t *a, size_t n, uint32_t *state)
{
	for (size_t i = n; i > 1; i--) {
		size_t j = rnd(state) % i;
		uint32_t t = a[i - 1];

		a[i - 1] = a[j];
		a[j] = t;
	}
}

/* --- the algorithm ---------------------------------------------------- */

/* The hashes are part of the table's definition: every node must build the
 * same table for the same backends. splitmix64's finalizer with two seeds. */
static uint64_t ref_hash(uint32_t id, uint64_t seed)
{
	uint64_t x = (id ^ seed) + 0x9e3779b97f4a7c15ull;

	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
	return x ^ (x >> 31);
}

/* Pseudocode 1 of the paper, literally: full permutation rows, backends in
 * ascending id order taking turns. ids must be sorted and distinct. */
static void ref_build(uint32_t *entry, uint32_t m, const uint32_t *ids, size_t n)
{
	uint32_t *perm = malloc(n * m * sizeof(*perm));
	uint32_t *next = calloc(n, sizeof(*next));
	uint32_t filled = 0;

	assert_non_null(perm);
	assert_non_null(next);
	for (size_t i = 0; i < n; i++) {
		uint64_t offset = ref_hash(ids[i], 0x6a09e667f3bcc909ull) % m;
		uint64_t skip = ref_hash(ids[i], 0xbb67ae8584caa73bull) % (m - 1) + 1;

		for (uint64_t j = 0; j < m; j++)
			perm[i * m + j] = (uint32_t)((offset + j * skip) % m);
	}
	for (uint32_t j = 0; j < m; j++)
		entry[j] = MAGLEV_NO_BACKEND;
	while (filled < m) {
		for (size_t i = 0; i < n && filled < m; i++) {
			uint32_t c = perm[i * m + next[i]];

			while (entry[c] != MAGLEV_NO_BACKEND) {
				next[i]++;
				c = perm[i * m + next[i]];
			}
			entry[c] = ids[i];
			next[i]++;
			filled++;
		}
	}
	free(perm);
	free(next);
}

static void test_table_is_the_papers_pseudocode_1_with_splitmix64_hashes(void **state)
{
	static const struct {
		uint32_t m;
		size_t n;
	} cases[] = { { 2, 1 }, { 7, 3 }, { 251, 20 }, { 16381, 10 }, { 16381, 163 } };

	(void)state;
	for (size_t c = 0; c < ARRAY_SIZE(cases); c++) {
		uint32_t m = cases[c].m;
		uint32_t *ids = calloc(cases[c].n, sizeof(*ids));
		uint32_t *want = malloc(m * sizeof(*want)), *got;

		assert_non_null(ids);
		assert_non_null(want);
		for (size_t i = 0; i < cases[c].n; i++)
			ids[i] = (uint32_t)(i * 37 + 5);
		ref_build(want, m, ids, cases[c].n);
		got = build(m, ids, cases[c].n);
		assert_memory_equal(got, want, m * sizeof(*got));
		free(ids);
		free(want);
		free(got);
	}
}

/* A pinned result: a change of hash or seeds shows here, and it would make
 * nodes of different versions disagree on where flows go. The values were
 * computed separately, by a Python transcription of the paper's pseudocode. */
static void test_small_table_is_pinned(void **state)
{
	static const uint32_t ids[] = { 10, 20, 30 };
	static const uint32_t want[] = { 20, 20, 10, 10, 30, 30, 10 };
	uint32_t *table;

	(void)state;
	table = build(7, ids, ARRAY_SIZE(ids));
	assert_memory_equal(table, want, sizeof(want));
	free(table);
}

/* --- balance ---------------------------------------------------------- */

/* Every slot holds one of the ids, and each id holds M/N slots within 1%
 * (in fact within one slot: backends take one slot per round). */
static void check_balance(uint32_t m, size_t n)
{
	uint32_t *ids = sparse_ids(n), *table = build(m, ids, n);
	double fair = (double)m / n;
	uint32_t total = 0, lo = UINT32_MAX, hi = 0;

	assert_true(m >= 100 * n);
	for (size_t i = 0; i < n; i++) {
		uint32_t c = count_of(table, m, ids[i]);

		if (c < fair * 0.99 || c > fair * 1.01)
			fail_msg("M=%u N=%zu: id %u has %u slots, fair share %.1f", m, n, ids[i], c,
				 fair);
		lo = c < lo ? c : lo;
		hi = c > hi ? c : hi;
		total += c;
	}
	/* The counts add up to m only if no slot is empty or foreign. */
	assert_int_equal(total, m);
	assert_true(hi - lo <= 1);
	free(ids);
	free(table);
}

static void test_balance_within_1_percent_of_fair_share_when_m_is_100_times_n(void **state)
{
	static const size_t ns[] = { 1, 2, 3, 10, 100, 163 };

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(ns); i++)
		check_balance(MAGLEV_M_DEFAULT, ns[i]);
	check_balance(65537, 655);
}

static void test_single_backend_owns_every_slot(void **state)
{
	static const uint32_t id[] = { 42 };
	uint32_t *table = build(MAGLEV_M_DEFAULT, id, 1);

	(void)state;
	assert_int_equal(count_of(table, MAGLEV_M_DEFAULT, 42), MAGLEV_M_DEFAULT);
	free(table);
}

static void test_large_and_sparse_ids_work(void **state)
{
	static const uint32_t ids[] = { 7, 1000003, 0xfffffffe, 0 };
	uint32_t *table = build(MAGLEV_M_DEFAULT, ids, ARRAY_SIZE(ids));
	uint32_t total = 0;

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(ids); i++) {
		uint32_t c = count_of(table, MAGLEV_M_DEFAULT, ids[i]);

		assert_in_range(c, MAGLEV_M_DEFAULT / 4, MAGLEV_M_DEFAULT / 4 + 1);
		total += c;
	}
	assert_int_equal(total, MAGLEV_M_DEFAULT);
	free(table);
}

/* --- disruption ------------------------------------------------------- */

/* Removing ids[gone] of n: its own slots must move; of the others at most
 * 1% of m may, so at most 1/N + 1% move in all. */
static void check_removal(uint32_t m, size_t n, size_t gone)
{
	uint32_t *ids = sparse_ids(n), *before = build(m, ids, n), *after;
	uint32_t removed = ids[gone], moved = 0, moved_others = 0;

	ids[gone] = ids[n - 1];
	after = build(m, ids, n - 1);
	for (uint32_t i = 0; i < m; i++) {
		if (before[i] == after[i])
			continue;
		moved++;
		moved_others += before[i] != removed;
	}
	assert_int_equal(count_of(after, m, removed), 0);
	if (moved_others > m / 100 || moved > (double)m / n + m / 100.0)
		fail_msg("M=%u N=%zu removing #%zu: %u slots moved, %u not of the removed one", m,
			 n, gone, moved, moved_others);
	free(ids);
	free(before);
	free(after);
}

/* Adding a backend to n: it takes about 1/(N+1) of the slots; of the
 * others at most 1% of m may move between old backends. */
static void check_addition(uint32_t m, size_t n)
{
	uint32_t *ids = sparse_ids(n + 1), *before = build(m, ids, n), *after;
	uint32_t added = ids[n], moved = 0, moved_others = 0;

	after = build(m, ids, n + 1);
	for (uint32_t i = 0; i < m; i++) {
		if (before[i] == after[i])
			continue;
		moved++;
		moved_others += after[i] != added;
	}
	if (moved_others > m / 100 || moved > (double)m / (n + 1) + m / 100.0)
		fail_msg("M=%u N=%zu adding one: %u slots moved, %u not to the new one", m, n,
			 moved, moved_others);
	free(ids);
	free(before);
	free(after);
}

/* At M = 65537, for N up to 100 (M/N >= 655). The 1% is Maglev's typical
 * behaviour, not a guarantee: the slots a removed backend frees shift the
 * other backends' later claims, and that extra churn grows as M/N shrinks.
 * Over random id sets at the default M = 16381 it averages 0.5% of slots
 * at N = 10, 1.0% at N = 50, 1.3% at N = 100 (always above 1% there), and
 * at any size a set in which two backends have nearly equal skips (so
 * nearly the same permutation) can see several percent. */
#define DISRUPTION_M 65537

static void test_removing_one_backend_moves_its_slots_and_at_most_1_percent_more(void **state)
{
	static const size_t ns[] = { 5, 10, 50, 100 };

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(ns); i++) {
		check_removal(DISRUPTION_M, ns[i], 0);
		check_removal(DISRUPTION_M, ns[i], ns[i] / 2);
		check_removal(DISRUPTION_M, ns[i], ns[i] - 1);
	}
}

static void test_adding_one_backend_takes_its_share_and_moves_at_most_1_percent_more(void **state)
{
	static const size_t ns[] = { 5, 10, 50, 100 };

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(ns); i++)
		check_addition(DISRUPTION_M, ns[i]);
}

/* --- order and duplicates --------------------------------------------- */

static void test_shuffled_ids_give_the_identical_table(void **state)
{
	uint32_t *ids = sparse_ids(100), *want = build(MAGLEV_M_DEFAULT, ids, 100);
	uint32_t seed = 0x12345678;

	(void)state;
	for (int round = 0; round < 10; round++) {
		uint32_t *got;

		shuffle(ids, 100, &seed);
		got = build(MAGLEV_M_DEFAULT, ids, 100);
		assert_memory_equal(got, want, MAGLEV_M_DEFAULT * sizeof(*got));
		free(got);
	}
	free(ids);
	free(want);
}

static void test_reversed_ids_give_the_identical_table(void **state)
{
	static const uint32_t up[] = { 1, 2, 3, 4, 5 }, down[] = { 5, 4, 3, 2, 1 };
	uint32_t *a = build(251, up, 5), *b = build(251, down, 5);

	(void)state;
	assert_memory_equal(a, b, 251 * sizeof(*a));
	free(a);
	free(b);
}

static void test_duplicate_ids_count_once(void **state)
{
	static const uint32_t set[] = { 3, 9, 27 }, dup[] = { 27, 3, 9, 3, 27, 27 };
	uint32_t *a = build(251, set, ARRAY_SIZE(set)), *b = build(251, dup, ARRAY_SIZE(dup));

	(void)state;
	assert_memory_equal(a, b, 251 * sizeof(*a));
	free(a);
	free(b);
}

/* --- edge cases and errors -------------------------------------------- */

static void test_no_backends_fills_table_with_no_backend(void **state)
{
	uint32_t table[13];

	(void)state;
	memset(table, 0, sizeof(table));
	assert_int_equal(maglev_build(table, 13, NULL, 0), 0);
	for (size_t i = 0; i < ARRAY_SIZE(table); i++)
		assert_int_equal(table[i], MAGLEV_NO_BACKEND);
}

static void test_smallest_sizes_work(void **state)
{
	static const uint32_t ids[] = { 8, 9 };
	uint32_t table[3];

	(void)state;
	assert_int_equal(maglev_build(table, 2, ids, 1), 0);
	assert_int_equal(table[0], 8);
	assert_int_equal(table[1], 8);
	assert_int_equal(maglev_build(table, 3, ids, 2), 0);
	assert_int_equal(count_of(table, 3, 8) + count_of(table, 3, 9), 3);
	assert_in_range(count_of(table, 3, 8), 1, 2);
}

static void test_is_prime(void **state)
{
	static const uint32_t primes[] = { 2, 3, 5, 7, 13, 251, 16381, 65521, 65537, 4294967291u };
	/* 65519 * 65521 has no factor below 65519: a loop stopping short of
	 * sqrt(m) calls it prime. */
	static const uint32_t composites[] = {
		0, 1, 4, 9, 15, 25, 49, 63001, 16383, 65535, 65519u * 65521u, 4294967295u
	};

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(primes); i++)
		if (!maglev_is_prime(primes[i]))
			fail_msg("%u is prime", primes[i]);
	for (size_t i = 0; i < ARRAY_SIZE(composites); i++)
		if (maglev_is_prime(composites[i]))
			fail_msg("%u is not prime", composites[i]);
}

/* On -EINVAL the table is left as it was. */
static void check_einval(uint32_t m, const uint32_t *ids, size_t n)
{
	uint32_t table[32];

	memset(table, 0xab, sizeof(table));
	assert_int_equal(maglev_build(table, m, ids, n), -EINVAL);
	for (size_t i = 0; i < ARRAY_SIZE(table); i++)
		assert_int_equal(table[i], 0xabababab);
}

static void test_non_prime_m_is_einval(void **state)
{
	static const uint32_t ids[] = { 1, 2 };

	(void)state;
	check_einval(0, NULL, 0);
	check_einval(1, NULL, 0);
	check_einval(4, ids, 2);
	check_einval(9, ids, 2);
	check_einval(25, ids, 2);
}

static void test_m_not_above_n_is_einval(void **state)
{
	static const uint32_t ids[] = { 1, 2, 3, 4, 5, 6, 7 };

	(void)state;
	check_einval(7, ids, 7);
	check_einval(5, ids, 7);
	check_einval(2, ids, 2);
}

static void test_null_arguments_and_reserved_id_are_einval(void **state)
{
	static const uint32_t ids[] = { 1, MAGLEV_NO_BACKEND };

	(void)state;
	assert_int_equal(maglev_build(NULL, 13, ids, 1), -EINVAL);
	check_einval(13, NULL, 1);
	/* It marks empty slots, so it cannot be a backend. */
	check_einval(13, ids, 2);
}

/* --- speed ------------------------------------------------------------ */

static double best_build_ms(uint32_t m, size_t n)
{
	uint32_t *ids = sparse_ids(n), *table = malloc(m * sizeof(*table));
	double best = 1e9;

	assert_non_null(table);
	for (int i = 0; i < 5; i++) {
		struct timespec t0, t1;
		double ms;

		clock_gettime(CLOCK_MONOTONIC, &t0);
		assert_int_equal(maglev_build(table, m, ids, n), 0);
		clock_gettime(CLOCK_MONOTONIC, &t1);
		ms = (t1.tv_sec - t0.tv_sec) * 1e3 + (t1.tv_nsec - t0.tv_nsec) / 1e6;
		best = ms < best ? ms : best;
	}
	free(ids);
	free(table);
	return best;
}

static void test_default_size_with_1000_backends_builds_in_under_50ms(void **state)
{
	double ms = best_build_ms(MAGLEV_M_DEFAULT, 1000);

	(void)state;
	if (ms >= 50)
		fail_msg("M=%u N=1000 took %.1f ms", MAGLEV_M_DEFAULT, ms);
}

static void test_size_65537_with_1000_backends_is_filled_and_balanced(void **state)
{
	uint32_t *ids = sparse_ids(1000), *table = build(65537, ids, 1000);
	uint32_t total = 0;

	(void)state;
	for (size_t i = 0; i < 1000; i++) {
		uint32_t c = count_of(table, 65537, ids[i]);

		assert_in_range(c, 65, 66);
		total += c;
	}
	assert_int_equal(total, 65537);
	assert_true(best_build_ms(65537, 1000) < 50);
	free(ids);
	free(table);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_table_is_the_papers_pseudocode_1_with_splitmix64_hashes),
		cmocka_unit_test(test_small_table_is_pinned),
		cmocka_unit_test(test_balance_within_1_percent_of_fair_share_when_m_is_100_times_n),
		cmocka_unit_test(test_single_backend_owns_every_slot),
		cmocka_unit_test(test_large_and_sparse_ids_work),
		cmocka_unit_test(
			test_removing_one_backend_moves_its_slots_and_at_most_1_percent_more),
		cmocka_unit_test(
			test_adding_one_backend_takes_its_share_and_moves_at_most_1_percent_more),
		cmocka_unit_test(test_shuffled_ids_give_the_identical_table),
		cmocka_unit_test(test_reversed_ids_give_the_identical_table),
		cmocka_unit_test(test_duplicate_ids_count_once),
		cmocka_unit_test(test_no_backends_fills_table_with_no_backend),
		cmocka_unit_test(test_smallest_sizes_work),
		cmocka_unit_test(test_is_prime),
		cmocka_unit_test(test_non_prime_m_is_einval),
		cmocka_unit_test(test_m_not_above_n_is_einval),
		cmocka_unit_test(test_null_arguments_and_reserved_id_are_einval),
		cmocka_unit_test(test_default_size_with_1000_backends_builds_in_under_50ms),
		cmocka_unit_test(test_size_65537_with_1000_backends_is_filled_and_balanced),
	};

	return cmocka_run_group_tests_name("maglev", tests, NULL, NULL);
}
