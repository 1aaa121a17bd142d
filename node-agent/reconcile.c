/* The reconciler (see reconcile.h): a shadow of the service and backend
 * maps, diffed against each service's desired entries. */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "addr_index.h"
#include "htab.h"
#include "reconcile.h"

/* 12 bytes each, in one array by id (whether an id is in use is a bit
 * beside): with 100,000 backends a malloc and a hash node each cost ~8 MB
 * of the agent's memory. */
struct shadow_backend {
	struct backend b;
	uint32_t refs; /* service entries using it */
};

struct shadow_svc {
	struct svc_key key;
	struct svc_value val;
	uint32_t *ids; /* sorted by id */
	size_t n;
	char *owner; /* NULL: adopted, not yet claimed */
	uint64_t gen;
};

/* The keys an owner's last apply wrote, in the same allocation. */
struct owner {
	size_t n;
	struct svc_key keys[];
};

struct reconciler {
	const struct dp_ops *ops;
	void *ctx;
	uint32_t max_services, max_backends;
	struct htab *services; /* svc_key -> shadow_svc */
	struct addr_index by_addr; /* (ip, port) -> id */
	struct shadow_backend *by_id; /* [max_backends] */
	uint8_t *backend_ids; /* bitmap of backend ids in use */
	uint8_t *svc_ids; /* bitmap of service ids in use */
	struct htab *owners; /* "ns/name" -> owner */
	uint32_t next_svc, next_backend; /* allocation cursors */
	uint64_t gen;
	struct reconcile_stats st;
};

static void owner_free(void *p)
{
	free(p);
}

static void svc_free(void *p)
{
	struct shadow_svc *s = p;

	if (!s)
		return;
	free(s->ids);
	free(s->owner);
	free(s);
}

static uint64_t addr_key(uint32_t ip, uint16_t port)
{
	return (uint64_t)ip << 16 | port;
}

static uint64_t backend_addr(const void *ctx, uint32_t id)
{
	const struct reconciler *r = ctx;

	return addr_key(r->by_id[id].b.ip, r->by_id[id].b.port);
}

static bool bit_get(const uint8_t *bits, uint32_t i)
{
	return bits[i / 8] & (1u << (i % 8));
}

static void bit_set(uint8_t *bits, uint32_t i, bool on)
{
	if (on)
		bits[i / 8] |= 1u << (i % 8);
	else
		bits[i / 8] &= ~(1u << (i % 8));
}

static bool backend_used(const struct reconciler *r, uint32_t id)
{
	return bit_get(r->backend_ids, id);
}

/* The backend with this id, or NULL. */
static struct shadow_backend *backend_at(const struct reconciler *r, uint32_t id)
{
	return id < r->max_backends && backend_used(r, id) ? &r->by_id[id] : NULL;
}

struct reconciler *reconciler_new(const struct dp_ops *ops, void *ctx, uint32_t max_services,
				  uint32_t max_backends)
{
	struct reconciler *r = calloc(1, sizeof(*r));

	if (!r)
		return NULL;
	r->ops = ops;
	r->ctx = ctx;
	r->max_services = max_services;
	r->max_backends = max_backends;
	r->services = htab_new();
	r->owners = htab_new();
	r->by_id = calloc(max_backends, sizeof(*r->by_id));
	r->svc_ids = calloc(max_services / 8 + 1, 1);
	r->backend_ids = calloc(max_backends / 8 + 1, 1);
	if (!r->services || !r->owners || !r->by_id || !r->svc_ids || !r->backend_ids ||
	    addr_index_init(&r->by_addr, max_backends, backend_addr, r)) {
		reconciler_free(r);
		return NULL;
	}
	return r;
}

void reconciler_free(struct reconciler *r)
{
	if (!r)
		return;
	htab_free(r->services, svc_free);
	addr_index_free(&r->by_addr);
	htab_free(r->owners, owner_free);
	free(r->by_id);
	free(r->svc_ids);
	free(r->backend_ids);
	free(r);
}

const struct reconcile_stats *reconciler_stats(const struct reconciler *r)
{
	return &r->st;
}

static bool svc_id_used(const struct reconciler *r, uint32_t id)
{
	return bit_get(r->svc_ids, id);
}

static void svc_id_mark(struct reconciler *r, uint32_t id, bool used)
{
	bit_set(r->svc_ids, id, used);
}

static int svc_id_alloc(struct reconciler *r, uint32_t *id)
{
	for (uint32_t i = 0; i < r->max_services; i++) {
		uint32_t c = (r->next_svc + i) % r->max_services;

		if (!svc_id_used(r, c)) {
			svc_id_mark(r, c, true);
			r->next_svc = c + 1;
			*id = c;
			return 0;
		}
	}
	return -ENOSPC;
}

static int backend_id_alloc(struct reconciler *r, uint32_t *id)
{
	for (uint32_t i = 0; i < r->max_backends; i++) {
		uint32_t c = (r->next_backend + i) % r->max_backends;

		if (!backend_used(r, c)) {
			r->next_backend = c + 1;
			*id = c;
			return 0;
		}
	}
	return -ENOSPC;
}

/* Records backend id; indexed by address unless another id has it. */
static void backend_track(struct reconciler *r, uint32_t id, const struct backend *b)
{
	struct shadow_backend *sb = &r->by_id[id];

	sb->b = *b;
	sb->refs = 0;
	bit_set(r->backend_ids, id, true);
	if (addr_index_get(&r->by_addr, addr_key(b->ip, b->port)) < 0)
		addr_index_put(&r->by_addr, id);
	r->st.backends++;
}

int reconciler_adopt_backend(struct reconciler *r, uint32_t id, const struct backend *b)
{
	if (id >= r->max_backends || backend_used(r, id))
		return -EINVAL;
	/* Two ids for one address (an older agent's leftovers): the second
	 * is not indexed, and is deleted once nothing uses it, at the end of
	 * the first sync. */
	backend_track(r, id, b);
	return 0;
}

static int id_cmp(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

int reconciler_adopt_service(struct reconciler *r, const struct svc_key *k,
			     const struct svc_value *v, const uint32_t *ids, size_t n)
{
	struct shadow_svc *s;
	size_t i;
	int err;

	if (v->id >= r->max_services || svc_id_used(r, v->id))
		return -EINVAL;
	s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	s->key = *k;
	s->val = *v;
	s->ids = n ? malloc(n * sizeof(*ids)) : NULL;
	if (n && !s->ids) {
		free(s);
		return -ENOMEM;
	}
	for (i = 0; i < n; i++) {
		if (!backend_at(r, ids[i])) {
			svc_free(s);
			return -EINVAL;
		}
		s->ids[s->n++] = ids[i];
	}
	qsort(s->ids, s->n, sizeof(*s->ids), id_cmp);
	err = htab_put(r->services, k, sizeof(*k), s, NULL);
	if (err) {
		svc_free(s);
		return err;
	}
	for (i = 0; i < s->n; i++)
		r->by_id[s->ids[i]].refs++;
	svc_id_mark(r, v->id, true);
	r->st.services++;
	return 0;
}

/* Deletes the given backends if no entry uses them any more. */
static void backends_release(struct reconciler *r, const uint32_t *ids, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		struct shadow_backend *sb = backend_at(r, ids[i]);

		if (!sb || sb->refs)
			continue;
		if (r->ops->backend_del(r->ctx, ids[i])) {
			r->st.errors++;
			continue;
		}
		addr_index_del(&r->by_addr, ids[i]);
		bit_set(r->backend_ids, ids[i], false);
		r->st.backends--;
		r->st.backends_deleted++;
	}
}

/* The ids of e's backends, sorted; new backends are written (with no
 * references yet). */
static int resolve_ids(struct reconciler *r, const struct lb_entry *e, uint32_t *ids)
{
	for (size_t i = 0; i < e->n_backends; i++) {
		struct backend b = { .ip = e->backends[i].ip, .port = e->backends[i].port };
		int64_t found = addr_index_get(&r->by_addr, addr_key(b.ip, b.port));
		uint32_t id;
		int err;

		if (found < 0) {
			err = backend_id_alloc(r, &id);
			if (!err)
				err = r->ops->backend_set(r->ctx, id, &b);
			if (err) {
				backends_release(r, ids, i);
				return err;
			}
			backend_track(r, id, &b);
			r->st.backends_set++;
		} else {
			id = (uint32_t)found;
		}
		ids[i] = id;
	}
	qsort(ids, e->n_backends, sizeof(*ids), id_cmp);
	return 0;
}

static bool svc_same(const struct shadow_svc *s, const struct lb_entry *e, const uint32_t *ids)
{
	return s->val.flags == e->flags && s->val.affinity_timeout == e->affinity_timeout &&
	       s->n == e->n_backends && !memcmp(s->ids, ids, s->n * sizeof(*ids));
}

static int claim(struct shadow_svc *s, const char *owner)
{
	if (s->owner && !strcmp(s->owner, owner))
		return 0;
	free(s->owner);
	s->owner = strdup(owner);
	return s->owner ? 0 : -ENOMEM;
}

static int put_entry(struct reconciler *r, const char *owner, const struct lb_entry *e)
{
	struct shadow_svc *s = htab_get(r->services, &e->key, sizeof(e->key));
	uint32_t *ids = malloc((e->n_backends ? e->n_backends : 1) * sizeof(*ids));
	struct svc_value v = { 0 };
	bool fresh = !s, got_id = false;
	int err;

	if (!ids)
		return -ENOMEM;
	err = resolve_ids(r, e, ids);
	if (err)
		goto out;
	if (s && svc_same(s, e, ids)) {
		r->st.unchanged++;
		s->gen = r->gen;
		err = claim(s, owner);
		goto out;
	}
	if (fresh) {
		s = calloc(1, sizeof(*s));
		err = s ? svc_id_alloc(r, &v.id) : -ENOMEM;
		if (err)
			goto fail_fresh;
		got_id = true;
		s->key = e->key;
	} else {
		v.id = s->val.id;
	}
	v.backend_count = e->n_backends;
	v.flags = e->flags;
	v.affinity_timeout = e->affinity_timeout;
	err = r->ops->service_set(r->ctx, &e->key, &v, ids, e->n_backends, fresh ? NULL : s->ids,
				  fresh ? 0 : s->n);
	if (err)
		goto fail_fresh;
	if (fresh) {
		err = htab_put(r->services, &e->key, sizeof(e->key), s, NULL);
		if (err) {
			r->ops->service_del(r->ctx, &e->key, v.id, ids, e->n_backends);
			goto fail_fresh;
		}
		r->st.services++;
	}
	r->st.services_set++;
	for (size_t i = 0; i < e->n_backends; i++)
		r->by_id[ids[i]].refs++;
	for (size_t i = 0; i < s->n; i++)
		r->by_id[s->ids[i]].refs--;
	backends_release(r, s->ids, s->n);
	free(s->ids);
	s->ids = ids;
	s->n = e->n_backends;
	s->val = v;
	s->gen = r->gen;
	return claim(s, owner);

fail_fresh:
	if (fresh) {
		if (got_id)
			svc_id_mark(r, v.id, false);
		free(s);
	}
	backends_release(r, ids, e->n_backends);
out:
	free(ids);
	return err;
}

static int del_entry(struct reconciler *r, struct shadow_svc *s)
{
	int err = r->ops->service_del(r->ctx, &s->key, s->val.id, s->ids, s->n);

	if (err && err != -ENOENT)
		return err;
	htab_del(r->services, &s->key, sizeof(s->key));
	svc_id_mark(r, s->val.id, false);
	for (size_t i = 0; i < s->n; i++)
		r->by_id[s->ids[i]].refs--;
	backends_release(r, s->ids, s->n);
	svc_free(s);
	r->st.services--;
	r->st.services_deleted++;
	return 0;
}

static bool entries_have(const struct lb_entries *e, const struct svc_key *k)
{
	size_t lo = 0, hi = e ? e->n : 0;

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		int c = lb_key_cmp(&e->v[mid].key, k);

		if (!c)
			return true;
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return false;
}

int reconciler_apply(struct reconciler *r, const char *owner, const struct lb_entries *e)
{
	struct owner *old = htab_get_str(r->owners, owner), *now = NULL;
	int err = 0, first = 0;
	size_t i;

	for (i = 0; e && i < e->n; i++) {
		err = put_entry(r, owner, &e->v[i]);
		if (err && !first)
			first = err;
	}
	for (i = 0; old && i < old->n; i++) {
		struct shadow_svc *s;

		if (entries_have(e, &old->keys[i]))
			continue;
		s = htab_get(r->services, &old->keys[i], sizeof(old->keys[i]));
		/* Another service may have claimed the key since. */
		if (!s || !s->owner || strcmp(s->owner, owner))
			continue;
		err = del_entry(r, s);
		if (err && !first)
			first = err;
	}
	if (e && e->n) {
		now = malloc(sizeof(*now) + e->n * sizeof(now->keys[0]));
		if (!now) {
			r->st.errors++;
			return -ENOMEM;
		}
		for (i = 0; i < e->n; i++)
			now->keys[i] = e->v[i].key;
		now->n = e->n;
		err = htab_put_str(r->owners, owner, now, NULL);
		if (err) {
			owner_free(now);
			return err;
		}
	} else {
		htab_del_str(r->owners, owner);
	}
	owner_free(old);
	if (first)
		r->st.errors++;
	return first;
}

int reconciler_remove(struct reconciler *r, const char *owner)
{
	return reconciler_apply(r, owner, NULL);
}

void reconciler_begin_sync(struct reconciler *r)
{
	r->gen++;
}

int reconciler_end_sync(struct reconciler *r)
{
	struct htab_iter it = { 0 };
	struct shadow_svc *s;
	int err, first = 0;

	while ((s = htab_next(r->services, &it, NULL, NULL))) {
		if (s->gen == r->gen)
			continue;
		if (s->owner) {
			struct owner *o = htab_del_str(r->owners, s->owner);

			owner_free(o);
		}
		err = del_entry(r, s);
		if (err && !first)
			first = err;
	}
	/* Leftover duplicates an older agent made, now unused. */
	for (uint32_t id = 0; id < r->max_backends; id++) {
		if (backend_used(r, id) && !r->by_id[id].refs)
			backends_release(r, &id, 1);
	}
	if (first)
		r->st.errors++;
	return first;
}
