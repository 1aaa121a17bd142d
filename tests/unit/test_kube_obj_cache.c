/* The informer's object cache (node-agent/kube/obj_cache.c): keys read
 * from each object's meta, replacement in place, deletion that keeps every
 * other key findable however the probe runs overlap, growth. */
#include "unit.h"

#include "obj_cache.h"

#define N_OBJS 3000

struct fixture {
	struct k8s_namespace objs[N_OBJS];
	char names[N_OBJS][16];
};

static struct fixture *fixture_new(void)
{
	struct fixture *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	for (size_t i = 0; i < N_OBJS; i++) {
		snprintf(f->names[i], sizeof(f->names[i]), "o-%zu", i);
		f->objs[i].meta.name = f->names[i];
		/* Namespaced and cluster-scoped keys side by side. */
		f->objs[i].meta.ns = i % 3 ? "default" : NULL;
	}
	return f;
}

static void *get(const struct obj_cache *c, const struct k8s_namespace *o)
{
	return obj_cache_get(c, o->meta.ns, o->meta.name);
}

static void test_put_get_replace(void **state)
{
	struct fixture *f = fixture_new();
	struct obj_cache *c = obj_cache_new();
	struct k8s_namespace again = { .meta = { .name = "o-1", .ns = "default" } };
	void *old = &again;

	(void)state;
	assert_int_equal(obj_cache_put(c, &f->objs[1], &old), 0);
	assert_null(old);
	assert_ptr_equal(get(c, &f->objs[1]), &f->objs[1]);
	/* The same name in another namespace (here: none) is another key. */
	assert_null(obj_cache_get(c, NULL, "o-1"));
	assert_null(obj_cache_get(c, "", "o-1"));
	assert_int_equal(obj_cache_put(c, &again, &old), 0);
	assert_ptr_equal(old, &f->objs[1]);
	assert_ptr_equal(get(c, &f->objs[1]), &again);
	assert_int_equal(obj_cache_count(c), 1);
	obj_cache_free(c, NULL, K8S_NAMESPACE);
	free(f);
}

/* ns NULL and "" are the same key. */
static void test_cluster_scoped_key_with_empty_namespace(void **state)
{
	struct fixture *f = fixture_new();
	struct obj_cache *c = obj_cache_new();

	(void)state;
	assert_int_equal(obj_cache_put(c, &f->objs[0], NULL), 0);
	assert_ptr_equal(obj_cache_get(c, "", "o-0"), &f->objs[0]);
	assert_ptr_equal(obj_cache_del(c, "", "o-0"), &f->objs[0]);
	assert_int_equal(obj_cache_count(c), 0);
	obj_cache_free(c, NULL, K8S_NAMESPACE);
	free(f);
}

static int count_cb(void *ctx, const void *obj)
{
	(void)obj;
	(*(size_t *)ctx)++;
	return 0;
}

/* Thousands of keys through several growths, then every other one
 * deleted in a scrambled order: the rest stay findable each step. */
static void test_many_keys_grow_and_delete(void **state)
{
	struct fixture *f = fixture_new();
	struct obj_cache *c = obj_cache_new();
	bool gone[N_OBJS] = { false };
	size_t i, k, seen = 0;
	void **snap;

	(void)state;
	for (i = 0; i < N_OBJS; i++)
		assert_int_equal(obj_cache_put(c, &f->objs[i], NULL), 0);
	assert_int_equal(obj_cache_count(c), N_OBJS);
	for (i = 0; i < N_OBJS; i++)
		assert_ptr_equal(get(c, &f->objs[i]), &f->objs[i]);
	for (k = 0; k < N_OBJS / 2; k++) {
		i = (k * 7919) % N_OBJS; /* 7919 is prime: a permutation */
		assert_ptr_equal(obj_cache_del(c, f->objs[i].meta.ns, f->objs[i].meta.name),
				 &f->objs[i]);
		gone[i] = true;
		assert_null(obj_cache_del(c, f->objs[i].meta.ns, f->objs[i].meta.name));
		if (k % 97)
			continue;
		for (size_t j = 0; j < N_OBJS; j++)
			assert_ptr_equal(get(c, &f->objs[j]), gone[j] ? NULL : &f->objs[j]);
	}
	for (i = 0; i < N_OBJS; i++)
		assert_ptr_equal(get(c, &f->objs[i]), gone[i] ? NULL : &f->objs[i]);
	assert_int_equal(obj_cache_count(c), N_OBJS - N_OBJS / 2);
	assert_int_equal(obj_cache_foreach(c, count_cb, &seen), 0);
	assert_int_equal(seen, N_OBJS - N_OBJS / 2);
	assert_int_equal(obj_cache_snapshot(c, &snap, &k), 0);
	assert_int_equal(k, N_OBJS - N_OBJS / 2);
	for (i = 0; i < k; i++)
		assert_false(gone[(struct k8s_namespace *)snap[i] - f->objs]);
	free(snap);
	obj_cache_free(c, NULL, K8S_NAMESPACE);
	free(f);
}

static int stop_at_second(void *ctx, const void *obj)
{
	(void)obj;
	return ++*(int *)ctx == 2 ? 7 : 0;
}

static void test_foreach_stops_and_returns_the_callbacks_value(void **state)
{
	struct fixture *f = fixture_new();
	struct obj_cache *c = obj_cache_new();
	int calls = 0;

	(void)state;
	for (size_t i = 0; i < 5; i++)
		assert_int_equal(obj_cache_put(c, &f->objs[i], NULL), 0);
	assert_int_equal(obj_cache_foreach(c, stop_at_second, &calls), 7);
	assert_int_equal(calls, 2);
	obj_cache_free(c, NULL, K8S_NAMESPACE);
	free(f);
}

static void test_empty_snapshot_is_null(void **state)
{
	struct obj_cache *c = obj_cache_new();
	void **snap = (void **)&snap;
	size_t n = 1;

	(void)state;
	assert_int_equal(obj_cache_snapshot(c, &snap, &n), 0);
	assert_null(snap);
	assert_int_equal(n, 0);
	obj_cache_free(c, NULL, K8S_NAMESPACE);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_put_get_replace),
		cmocka_unit_test(test_cluster_scoped_key_with_empty_namespace),
		cmocka_unit_test(test_many_keys_grow_and_delete),
		cmocka_unit_test(test_foreach_stops_and_returns_the_callbacks_value),
		cmocka_unit_test(test_empty_snapshot_is_null),
	};

	return cmocka_run_group_tests_name("kube_obj_cache", tests, NULL, NULL);
}
