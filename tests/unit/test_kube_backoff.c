/* Backoff: doubling from 800 ms to the 30 s cap, jitter inside its
 * bounds, Retry-After honoured (and capped), and the reset after a quiet
 * period. */
#include "unit.h"

#include "backoff.h"

static void test_grows_from_base_to_cap(void **state)
{
	const uint64_t want[] = { 800, 1600, 3200, 6400, 12800, 25600, 30000, 30000, 30000 };
	struct backoff b;
	uint64_t now = 1000;

	(void)state;
	backoff_init(&b);
	for (size_t i = 0; i < ARRAY_SIZE(want); i++) {
		assert_int_equal(backoff_next(&b, now, 0.0), want[i]);
		now += 1000;
	}
}

static void test_jitter_stays_within_bounds(void **state)
{
	uint64_t rng = 42, lo = UINT64_MAX, hi = 0;
	struct backoff b;

	(void)state;
	for (int i = 0; i < 10000; i++) {
		uint64_t d;

		backoff_init(&b);
		d = backoff_next(&b, 5000, backoff_rand(&rng));
		assert_in_range(d, 800, 1199); /* [d, 1.5 d) */
		lo = d < lo ? d : lo;
		hi = d > hi ? d : hi;
	}
	/* The jitter really spreads the delays. */
	assert_true(lo < 850);
	assert_true(hi > 1150);
	backoff_init(&b);
	for (int i = 0; i < 20; i++)
		assert_in_range(backoff_next(&b, 5000 + i, 0.999999), 800, 45000 - 1);
	assert_in_range(backoff_next(&b, 6000, 0.999999), 30000, 44999);
}

static void test_rand_is_uniformish_in_unit_interval(void **state)
{
	uint64_t rng = 7;
	size_t buckets[10] = { 0 };

	(void)state;
	for (int i = 0; i < 100000; i++) {
		double u = backoff_rand(&rng);

		assert_true(u >= 0.0 && u < 1.0);
		buckets[(int)(u * 10)]++;
	}
	for (size_t i = 0; i < 10; i++)
		assert_in_range(buckets[i], 9000, 11000);
}

static void test_retry_after_replaces_the_delay(void **state)
{
	struct backoff b;

	(void)state;
	backoff_init(&b);
	assert_int_equal(backoff_retry_after(&b, 1000, 5, 0.0), 5000);
	assert_in_range(backoff_retry_after(&b, 1001, 5, 0.999), 5000, 7499);
	/* The step grew meanwhile: a failure without the header goes on
	 * from there (800, 1600, then 3200). */
	assert_int_equal(backoff_next(&b, 1002, 0.0), 3200);
	/* A huge value is capped; 0 is no header at all. */
	assert_int_equal(backoff_retry_after(&b, 1003, 86400, 0.0),
			 BACKOFF_RETRY_AFTER_MAX_S * 1000);
	assert_int_equal(backoff_retry_after(&b, 1004, 0, 0.0), 12800);
}

static void test_resets_after_a_quiet_period(void **state)
{
	struct backoff b;

	(void)state;
	backoff_init(&b);
	assert_int_equal(backoff_next(&b, 0 + 1, 0.0), 800);
	assert_int_equal(backoff_next(&b, 2000, 0.0), 1600);
	/* Just short of the reset period: still growing. */
	assert_int_equal(backoff_next(&b, 2000 + BACKOFF_RESET_MS - 1, 0.0), 3200);
	/* A full quiet period since the last failure: a new episode. */
	uint64_t t = 2000 + BACKOFF_RESET_MS - 1 + BACKOFF_RESET_MS;

	assert_int_equal(backoff_next(&b, t, 0.0), 800);
	assert_int_equal(backoff_next(&b, t + 1, 0.0), 1600);
	backoff_reset(&b);
	assert_int_equal(backoff_next(&b, t + 2, 0.0), 800);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_grows_from_base_to_cap),
		cmocka_unit_test(test_jitter_stays_within_bounds),
		cmocka_unit_test(test_rand_is_uniformish_in_unit_interval),
		cmocka_unit_test(test_retry_after_replaces_the_delay),
		cmocka_unit_test(test_resets_after_a_quiet_period),
	};

	return cmocka_run_group_tests_name("kube_backoff", tests, NULL, NULL);
}
