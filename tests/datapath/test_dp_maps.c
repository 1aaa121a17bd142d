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

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_every_slot_holds_the_builders_choice),
		cmocka_unit_test(test_replacing_the_backends_replaces_the_whole_table),
		cmocka_unit_test(test_a_service_without_backends_has_only_empty_slots),
	};

	harness_init(&dp, 251);
	return cmocka_run_group_tests_name("datapath maps", tests, NULL, NULL);
}
