/* The reconciler (node-agent/reconcile.c) against a fake datapath that
 * keeps the maps as the kernel would and counts every write: only
 * differences are written, ids survive updates and restarts, stale
 * entries go after a full sync, and a failed write is retried whole. */
#include "unit.h"

#include <arpa/inet.h>
#include <netinet/in.h>

#include "reconcile.h"

#define MAX_SVC 64
#define MAX_BE 64

struct fake_dp {
	struct {
		bool used;
		struct svc_key k;
		struct svc_value v;
		uint32_t ids[16];
		size_t n;
	} svc[MAX_SVC];
	bool be_used[MAX_BE];
	struct backend be[MAX_BE];
	int svc_sets, svc_dels, be_sets, be_dels;
	int fail_next_service_set;
};

static int slot_of(struct fake_dp *d, const struct svc_key *k)
{
	for (int i = 0; i < MAX_SVC; i++)
		if (d->svc[i].used && !memcmp(&d->svc[i].k, k, sizeof(*k)))
			return i;
	return -1;
}

static int f_backend_set(void *ctx, uint32_t id, const struct backend *b)
{
	struct fake_dp *d = ctx;

	assert_true(id < MAX_BE);
	d->be_used[id] = true;
	d->be[id] = *b;
	d->be_sets++;
	return 0;
}

static int f_backend_del(void *ctx, uint32_t id)
{
	struct fake_dp *d = ctx;

	assert_true(d->be_used[id]);
	/* Never while a service still points at it. */
	for (int i = 0; i < MAX_SVC; i++)
		for (size_t j = 0; d->svc[i].used && j < d->svc[i].n; j++)
			assert_int_not_equal(d->svc[i].ids[j], id);
	d->be_used[id] = false;
	d->be_dels++;
	return 0;
}

static int f_service_set(void *ctx, const struct svc_key *k, const struct svc_value *v,
			 const uint32_t *ids, size_t n, const uint32_t *old, size_t n_old)
{
	struct fake_dp *d = ctx;
	int s = slot_of(d, k);

	/* The reconciler passes what the entry has now. */
	if (s >= 0 && !d->fail_next_service_set) {
		assert_int_equal(n_old, d->svc[s].n);
		for (size_t j = 0; j < n_old; j++) {
			bool found = false;

			for (size_t i = 0; i < d->svc[s].n; i++)
				found |= d->svc[s].ids[i] == old[j];
			assert_true(found);
		}
	} else if (s < 0) {
		assert_int_equal(n_old, 0);
	}

	if (d->fail_next_service_set) {
		d->fail_next_service_set--;
		return -EIO;
	}
	for (size_t j = 0; j < n; j++)
		assert_true(d->be_used[ids[j]]); /* backends are written first */
	if (s < 0)
		for (s = 0; d->svc[s].used; s++)
			;
	d->svc[s].used = true;
	d->svc[s].k = *k;
	d->svc[s].v = *v;
	memcpy(d->svc[s].ids, ids, n * sizeof(*ids));
	d->svc[s].n = n;
	assert_int_equal(v->backend_count, n);
	d->svc_sets++;
	return 0;
}

static int f_service_del(void *ctx, const struct svc_key *k, uint32_t id, const uint32_t *old,
			 size_t n_old)
{
	struct fake_dp *d = ctx;
	int s = slot_of(d, k);

	if (s < 0)
		return -ENOENT;
	assert_int_equal(d->svc[s].v.id, id);
	assert_int_equal(d->svc[s].n, n_old);
	(void)old;
	d->svc[s].used = false;
	d->svc_dels++;
	return 0;
}

static const struct dp_ops fake_ops = {
	.backend_set = f_backend_set,
	.backend_del = f_backend_del,
	.service_set = f_service_set,
	.service_del = f_service_del,
};

static int count_services(struct fake_dp *d)
{
	int n = 0;

	for (int i = 0; i < MAX_SVC; i++)
		n += d->svc[i].used;
	return n;
}

static int count_backends(struct fake_dp *d)
{
	int n = 0;

	for (int i = 0; i < MAX_BE; i++)
		n += d->be_used[i];
	return n;
}

/* Entries written as "vip:port/proto=ip:port,ip:port" (vip * for a NodePort). */
struct entries_fixture {
	struct lb_entries e;
	struct lb_entry v[8];
	struct lb_backend b[8][8];
};

static void entry(struct entries_fixture *f, const char *vip, uint16_t port, uint16_t flags,
		  const char *backends)
{
	struct lb_entry *e = &f->v[f->e.n];
	struct in_addr a = { 0 };
	char buf[256], *save = NULL, *tok;

	memset(e, 0, sizeof(*e));
	if (strcmp(vip, "*"))
		assert_int_equal(inet_pton(AF_INET, vip, &a), 1);
	e->key.vip = a.s_addr;
	e->key.port = htons(port);
	e->key.proto = IPPROTO_TCP;
	e->flags = flags;
	e->backends = f->b[f->e.n];
	snprintf(buf, sizeof(buf), "%s", backends);
	for (tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		char addr[32];
		unsigned int p;

		assert_int_equal(sscanf(tok, "%31[^:]:%u", addr, &p), 2);
		assert_int_equal(inet_pton(AF_INET, addr, &a), 1);
		e->backends[e->n_backends].ip = a.s_addr;
		e->backends[e->n_backends].port = htons(p);
		e->n_backends++;
	}
	f->e.v = f->v;
	f->e.n++;
}

static struct reconciler *new_reconciler(struct fake_dp *d)
{
	struct reconciler *r;

	memset(d, 0, sizeof(*d));
	r = reconciler_new(&fake_ops, d, MAX_SVC, MAX_BE);
	assert_non_null(r);
	return r;
}

static void test_first_apply_writes_all_and_a_repeat_writes_nothing(void **state)
{
	struct fake_dp d;
	struct reconciler *r = new_reconciler(&d);
	struct entries_fixture f = { 0 };

	(void)state;
	entry(&f, "10.96.0.10", 80, 0, "10.244.1.5:8080,10.244.1.6:8080");
	entry(&f, "*", 30080, SVC_F_NODEPORT, "10.244.1.5:8080,10.244.1.6:8080");
	assert_int_equal(reconciler_apply(r, "default/web", &f.e), 0);
	assert_int_equal(d.svc_sets, 2);
	assert_int_equal(d.be_sets, 2); /* shared by both entries */
	assert_int_equal(count_services(&d), 2);

	assert_int_equal(reconciler_apply(r, "default/web", &f.e), 0);
	assert_int_equal(d.svc_sets, 2);
	assert_int_equal(d.be_sets, 2);
	assert_int_equal(reconciler_stats(r)->unchanged, 2);
	reconciler_free(r);
}

static void test_a_changed_backend_set_rewrites_only_that_entry_and_keeps_its_id(void **state)
{
	struct fake_dp d;
	struct reconciler *r = new_reconciler(&d);
	struct entries_fixture f = { 0 }, g = { 0 };
	uint32_t id;

	(void)state;
	entry(&f, "10.96.0.10", 80, 0, "10.244.1.5:8080,10.244.1.6:8080");
	entry(&f, "10.96.0.10", 443, 0, "10.244.1.5:8443");
	assert_int_equal(reconciler_apply(r, "default/web", &f.e), 0);
	id = d.svc[slot_of(&d, &f.v[0].key)].v.id;

	entry(&g, "10.96.0.10", 80, 0, "10.244.1.6:8080,10.244.1.7:8080");
	entry(&g, "10.96.0.10", 443, 0, "10.244.1.5:8443");
	assert_int_equal(reconciler_apply(r, "default/web", &g.e), 0);
	assert_int_equal(d.svc_sets, 3);
	assert_int_equal(d.svc[slot_of(&d, &g.v[0].key)].v.id, id);
	/* 10.244.1.5:8080 went, :8443 stays; .7 came. */
	assert_int_equal(d.be_dels, 1);
	assert_int_equal(count_backends(&d), 3);
	reconciler_free(r);
}

static void test_removing_a_service_deletes_its_entries_and_unused_backends(void **state)
{
	struct fake_dp d;
	struct reconciler *r = new_reconciler(&d);
	struct entries_fixture f = { 0 }, g = { 0 };

	(void)state;
	entry(&f, "10.96.0.10", 80, 0, "10.244.1.5:8080,10.244.1.6:8080");
	entry(&g, "10.96.0.11", 80, 0, "10.244.1.6:8080");
	assert_int_equal(reconciler_apply(r, "default/web", &f.e), 0);
	assert_int_equal(reconciler_apply(r, "default/api", &g.e), 0);
	assert_int_equal(reconciler_remove(r, "default/web"), 0);
	assert_int_equal(count_services(&d), 1);
	/* .6 is still the api's backend. */
	assert_int_equal(count_backends(&d), 1);
	assert_int_equal(reconciler_remove(r, "default/api"), 0);
	assert_int_equal(count_services(&d), 0);
	assert_int_equal(count_backends(&d), 0);
	assert_int_equal(reconciler_stats(r)->services, 0);
	assert_int_equal(reconciler_stats(r)->backends, 0);
	reconciler_free(r);
}

static void test_a_dropped_port_is_deleted_and_a_flag_change_rewrites(void **state)
{
	struct fake_dp d;
	struct reconciler *r = new_reconciler(&d);
	struct entries_fixture f = { 0 }, g = { 0 };

	(void)state;
	entry(&f, "10.96.0.10", 80, 0, "10.244.1.5:8080");
	entry(&f, "10.96.0.10", 81, 0, "10.244.1.5:8081");
	assert_int_equal(reconciler_apply(r, "default/web", &f.e), 0);
	entry(&g, "10.96.0.10", 80, SVC_F_AFFINITY, "10.244.1.5:8080");
	assert_int_equal(reconciler_apply(r, "default/web", &g.e), 0);
	assert_int_equal(count_services(&d), 1);
	assert_int_equal(d.svc[slot_of(&d, &g.v[0].key)].v.flags, SVC_F_AFFINITY);
	assert_int_equal(count_backends(&d), 1);
	reconciler_free(r);
}

static void test_adopted_state_equal_to_the_cluster_is_not_rewritten(void **state)
{
	struct fake_dp d;
	struct reconciler *r = new_reconciler(&d);
	struct entries_fixture f = { 0 };
	struct backend b5 = { .ip = inet_addr("10.244.1.5"), .port = htons(8080) };
	struct backend b6 = { .ip = inet_addr("10.244.1.6"), .port = htons(8080) };
	struct svc_value v = { .id = 7, .backend_count = 2 };
	uint32_t ids[] = { 12, 3 };

	(void)state;
	entry(&f, "10.96.0.10", 80, 0, "10.244.1.5:8080,10.244.1.6:8080");
	/* What a previous agent left in the pinned maps. */
	f_backend_set(&d, 3, &b5);
	f_backend_set(&d, 12, &b6);
	f_service_set(&d, &f.v[0].key, &v, ids, 2, NULL, 0);
	d.svc_sets = d.be_sets = 0;
	assert_int_equal(reconciler_adopt_backend(r, 3, &b5), 0);
	assert_int_equal(reconciler_adopt_backend(r, 12, &b6), 0);
	assert_int_equal(reconciler_adopt_service(r, &f.v[0].key, &v, ids, 2), 0);

	reconciler_begin_sync(r);
	assert_int_equal(reconciler_apply(r, "default/web", &f.e), 0);
	assert_int_equal(reconciler_end_sync(r), 0);
	assert_int_equal(d.svc_sets + d.be_sets + d.svc_dels + d.be_dels, 0);
	assert_int_equal(d.svc[slot_of(&d, &f.v[0].key)].v.id, 7);
	reconciler_free(r);
}

static void test_end_of_sync_removes_what_nobody_claimed(void **state)
{
	struct fake_dp d;
	struct reconciler *r = new_reconciler(&d);
	struct entries_fixture f = { 0 }, g = { 0 };
	struct backend b9 = { .ip = inet_addr("10.244.9.9"), .port = htons(80) };
	struct svc_key stale = { .vip = inet_addr("10.96.9.9"), .port = htons(80), .proto = 6 };
	struct svc_value v = { .id = 5, .backend_count = 1 };
	uint32_t id9 = 9;

	(void)state;
	f_backend_set(&d, 9, &b9);
	f_service_set(&d, &stale, &v, &id9, 1, NULL, 0);
	assert_int_equal(reconciler_adopt_backend(r, 9, &b9), 0);
	assert_int_equal(reconciler_adopt_service(r, &stale, &v, &id9, 1), 0);
	entry(&f, "10.96.0.10", 80, 0, "10.244.1.5:8080");
	entry(&g, "10.96.0.11", 80, 0, "10.244.1.6:8080");
	assert_int_equal(reconciler_apply(r, "default/web", &f.e), 0);
	assert_int_equal(reconciler_apply(r, "default/gone", &g.e), 0);

	/* A relist: only web is still there. */
	reconciler_begin_sync(r);
	assert_int_equal(reconciler_apply(r, "default/web", &f.e), 0);
	assert_int_equal(reconciler_end_sync(r), 0);
	assert_int_equal(count_services(&d), 1);
	assert_true(slot_of(&d, &f.v[0].key) >= 0);
	assert_int_equal(count_backends(&d), 1);
	/* And "gone" coming back later is written afresh. */
	assert_int_equal(reconciler_apply(r, "default/gone", &g.e), 0);
	assert_int_equal(count_services(&d), 2);
	reconciler_free(r);
}

static void test_a_failed_write_is_counted_and_retried_whole(void **state)
{
	struct fake_dp d;
	struct reconciler *r = new_reconciler(&d);
	struct entries_fixture f = { 0 };

	(void)state;
	entry(&f, "10.96.0.10", 80, 0, "10.244.1.5:8080");
	d.fail_next_service_set = 1;
	assert_int_equal(reconciler_apply(r, "default/web", &f.e), -EIO);
	assert_int_equal(reconciler_stats(r)->errors, 1);
	assert_int_equal(count_services(&d), 0);
	assert_int_equal(count_backends(&d), 0); /* nothing half-done */
	assert_int_equal(reconciler_apply(r, "default/web", &f.e), 0);
	assert_int_equal(count_services(&d), 1);
	assert_int_equal(count_backends(&d), 1);
	reconciler_free(r);
}

static void test_a_key_claimed_by_another_service_is_not_deleted_by_the_first(void **state)
{
	struct fake_dp d;
	struct reconciler *r = new_reconciler(&d);
	struct entries_fixture f = { 0 }, g = { 0 };

	(void)state;
	entry(&f, "198.51.100.7", 80, SVC_F_EXTERNAL, "10.244.1.5:8080");
	entry(&g, "198.51.100.7", 80, SVC_F_EXTERNAL, "10.244.1.6:8080");
	assert_int_equal(reconciler_apply(r, "default/a", &f.e), 0);
	assert_int_equal(reconciler_apply(r, "default/b", &g.e), 0);
	assert_int_equal(reconciler_remove(r, "default/a"), 0);
	assert_int_equal(count_services(&d), 1);
	assert_int_equal(d.be[d.svc[slot_of(&d, &g.v[0].key)].ids[0]].ip, inet_addr("10.244.1.6"));
	assert_int_equal(count_backends(&d), 1);
	reconciler_free(r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_first_apply_writes_all_and_a_repeat_writes_nothing),
		cmocka_unit_test(
			test_a_changed_backend_set_rewrites_only_that_entry_and_keeps_its_id),
		cmocka_unit_test(test_removing_a_service_deletes_its_entries_and_unused_backends),
		cmocka_unit_test(test_a_dropped_port_is_deleted_and_a_flag_change_rewrites),
		cmocka_unit_test(test_adopted_state_equal_to_the_cluster_is_not_rewritten),
		cmocka_unit_test(test_end_of_sync_removes_what_nobody_claimed),
		cmocka_unit_test(test_a_failed_write_is_counted_and_retried_whole),
		cmocka_unit_test(test_a_key_claimed_by_another_service_is_not_deleted_by_the_first),
	};

	return cmocka_run_group_tests_name("reconcile", tests, NULL, NULL);
}
