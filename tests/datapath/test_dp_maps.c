/* The user-space side of the maps: what dp_service_set writes is exactly
 * the Maglev table the builder made, in every slot. */
#include "unit.h"

#include <bpf/bpf.h>

#include "harness.h"
#include "maglev.h"

static struct datapath dp;

/* Reads the inner table the outer maglev map holds for svc_id. */
static void read_table(uint32_t svc_id, uint32_t *table, uint32_t m)
{
	uint32_t inner_id;
	int fd;

	assert_int_equal(bpf_map_lookup_elem(dp.fd_maglev, &svc_id, &inner_id), 0);
	fd = bpf_map_get_fd_by_id(inner_id);
	assert_true(fd >= 0);
	for (uint32_t i = 0; i < m; i++)
		assert_int_equal(bpf_map_lookup_elem(fd, &i, &table[i]), 0);
	close(fd);
}

static void test_every_slot_holds_the_builders_choice(void **state)
{
	const char *backends[] = { "10.0.0.1:80", "10.0.0.2:80", "10.0.0.3:80" };
	uint32_t ids[] = { 100, 101, 102 };
	uint32_t m = dp.maglev_m, *want = calloc(m, sizeof(*want)), *got = calloc(m, 4);

	(void)state;
	harness_service(&dp, "10.96.0.1", 80, 6, 7, 0, 0, 100, backends, 3);
	assert_int_equal(maglev_build(want, m, ids, 3), 0);
	read_table(7, got, m);
	assert_memory_equal(got, want, m * sizeof(*got));
	free(want);
	free(got);
}

static void test_replacing_the_backends_replaces_the_whole_table(void **state)
{
	const char *one[] = { "10.0.0.9:80" };
	uint32_t m = dp.maglev_m, *got = calloc(m, 4);

	(void)state;
	harness_service(&dp, "10.96.0.1", 80, 6, 7, 0, 0, 300, one, 1);
	read_table(7, got, m);
	for (uint32_t i = 0; i < m; i++)
		assert_int_equal(got[i], 300);
	free(got);
}

static void test_a_service_without_backends_has_only_empty_slots(void **state)
{
	uint32_t m = dp.maglev_m, *got = calloc(m, 4);

	(void)state;
	harness_service(&dp, "10.96.0.2", 80, 6, 8, 0, 0, 400, NULL, 0);
	read_table(8, got, m);
	for (uint32_t i = 0; i < m; i++)
		assert_int_equal(got[i], XCNI_NO_BACKEND);
	free(got);
}

static bool has_table(uint32_t svc_id, uint32_t *inner_id)
{
	return bpf_map_lookup_elem(dp.fd_maglev, &svc_id, inner_id) == 0;
}

/* A new id brings empty tables for the ids after it (one outer write, one
 * RCU wait, for a run of up to 256); the next new service rewrites its
 * table in place, and holds the builder's table. */
static void test_a_new_id_brings_tables_for_the_ids_after_it(void **state)
{
	const char *backends[] = { "10.0.0.1:80", "10.0.0.2:80" };
	uint32_t ids[] = { 500, 501 };
	uint32_t m = dp.maglev_m, *want = calloc(m, sizeof(*want)), *got = calloc(m, 4);
	uint32_t inner, before;

	(void)state;
	assert_false(has_table(1000, &inner));
	harness_service(&dp, "10.96.1.1", 80, 6, 1000, 0, 0, 500, backends, 2);
	assert_true(has_table(1255, &before));
	assert_false(has_table(1256, &inner));
	read_table(1255, got, m);
	for (uint32_t i = 0; i < m; i++)
		assert_int_equal(got[i], XCNI_NO_BACKEND);
	assert_true(has_table(1001, &before));
	harness_service(&dp, "10.96.1.2", 80, 6, 1001, 0, 0, 500, backends, 2);
	assert_true(has_table(1001, &inner));
	assert_int_equal(inner, before);
	assert_int_equal(maglev_build(want, m, ids, 2), 0);
	read_table(1001, got, m);
	assert_memory_equal(got, want, m * sizeof(*got));
	free(want);
	free(got);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_every_slot_holds_the_builders_choice),
		cmocka_unit_test(test_replacing_the_backends_replaces_the_whole_table),
		cmocka_unit_test(test_a_service_without_backends_has_only_empty_slots),
		cmocka_unit_test(test_a_new_id_brings_tables_for_the_ids_after_it),
	};

	harness_init(&dp, 251);
	return cmocka_run_group_tests_name("datapath maps", tests, NULL, NULL);
}
