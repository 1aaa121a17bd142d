/* The reconciler's address index (node-agent/addr_index.c) against a plain
 * reference: every stored id is found under its key after any sequence of
 * puts and deletes, including deletes in the middle of collision runs,
 * which must shift later entries back. */
#include "unit.h"

#include <stdlib.h>

#include "addr_index.h"

#define MAX_IDS 512

struct records {
	uint64_t key[MAX_IDS];
	bool stored[MAX_IDS];
};

static uint64_t key_of(const void *ctx, uint32_t id)
{
	return ((const struct records *)ctx)->key[id];
}

static void check_all(const struct addr_index *ix, const struct records *rec)
{
	for (uint32_t id = 0; id < MAX_IDS; id++) {
		if (rec->stored[id])
			assert_int_equal(addr_index_get(ix, rec->key[id]), id);
	}
}

static void test_put_get_del(void **state)
{
	static struct records rec;
	struct addr_index ix;

	(void)state;
	assert_int_equal(addr_index_init(&ix, 4, key_of, &rec), 0);
	rec.key[1] = 0x0af40102ull << 16 | 8080;
	rec.key[2] = 0x0af40103ull << 16 | 8080;
	assert_int_equal(addr_index_get(&ix, rec.key[1]), -1);
	addr_index_put(&ix, 1);
	addr_index_put(&ix, 2);
	assert_int_equal(addr_index_get(&ix, rec.key[1]), 1);
	assert_int_equal(addr_index_get(&ix, rec.key[2]), 2);
	assert_true(addr_index_del(&ix, 1));
	assert_false(addr_index_del(&ix, 1));
	assert_int_equal(addr_index_get(&ix, rec.key[1]), -1);
	assert_int_equal(addr_index_get(&ix, rec.key[2]), 2);
	addr_index_free(&ix);
}

/* Full to its limit (load one half), random deletes and re-puts: the
 * small table makes long runs, so backward shifts happen all the time. */
static void test_random_churn_matches_the_reference(void **state)
{
	static struct records rec;
	struct addr_index ix;

	(void)state;
	srand(7);
	assert_int_equal(addr_index_init(&ix, MAX_IDS, key_of, &rec), 0);
	for (uint32_t id = 0; id < MAX_IDS; id++) {
		rec.key[id] = (uint64_t)(0x0a800000u + id * 7) << 16 | 8080;
		addr_index_put(&ix, id);
		rec.stored[id] = true;
	}
	check_all(&ix, &rec);
	for (int round = 0; round < 20000; round++) {
		uint32_t id = (uint32_t)rand() % MAX_IDS;

		if (rec.stored[id]) {
			assert_true(addr_index_del(&ix, id));
			rec.stored[id] = false;
			assert_int_equal(addr_index_get(&ix, rec.key[id]), -1);
		} else {
			rec.key[id] = (uint64_t)(0x0a800000u + (uint32_t)rand() % 100000) << 16 |
				      8080;
			if (addr_index_get(&ix, rec.key[id]) >= 0)
				continue; /* that address is stored under another id */
			addr_index_put(&ix, id);
			rec.stored[id] = true;
		}
		if (round % 1000 == 0)
			check_all(&ix, &rec);
	}
	check_all(&ix, &rec);
	addr_index_free(&ix);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_put_get_del),
		cmocka_unit_test(test_random_churn_matches_the_reference),
	};

	return cmocka_run_group_tests_name("addr_index", tests, NULL, NULL);
}
