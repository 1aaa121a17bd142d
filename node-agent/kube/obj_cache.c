/* Chained hash table of objects; the key is not stored but read from the
 * object's meta, so an entry is one pointer and one hash. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "obj_cache.h"

#define OBJ_CACHE_FIRST_BUCKETS 64

struct obj_entry {
	struct obj_entry *next;
	uint64_t hash;
	void *obj;
};

struct obj_cache {
	struct obj_entry **buckets;
	size_t n_buckets; /* a power of two */
	size_t count;
};

static const char *ns_of(const char *ns)
{
	return ns ? ns : "";
}

/* FNV-1a over namespace, a separator no name can hold, and name. */
static uint64_t key_hash(const char *ns, const char *name)
{
	uint64_t h = 0xcbf29ce484222325ull;
	const char *parts[] = { ns_of(ns), "/", name };

	for (size_t i = 0; i < 3; i++) {
		for (const unsigned char *p = (const unsigned char *)parts[i]; *p; p++)
			h = (h ^ *p) * 0x100000001b3ull;
	}
	return h;
}

static int key_equal(const void *obj, const char *ns, const char *name)
{
	const struct k8s_meta *m = k8s_meta(obj);

	return !strcmp(m->name, name) && !strcmp(ns_of(m->ns), ns_of(ns));
}

struct obj_cache *obj_cache_new(void)
{
	struct obj_cache *c = calloc(1, sizeof(*c));

	if (!c)
		return NULL;
	c->buckets = calloc(OBJ_CACHE_FIRST_BUCKETS, sizeof(*c->buckets));
	if (!c->buckets) {
		free(c);
		return NULL;
	}
	c->n_buckets = OBJ_CACHE_FIRST_BUCKETS;
	return c;
}

void obj_cache_free(struct obj_cache *c, obj_free_fn free_obj, enum k8s_kind kind)
{
	if (!c)
		return;
	for (size_t i = 0; i < c->n_buckets; i++) {
		struct obj_entry *e = c->buckets[i], *next;

		for (; e; e = next) {
			next = e->next;
			if (free_obj)
				free_obj(kind, e->obj);
			free(e);
		}
	}
	free(c->buckets);
	free(c);
}

static struct obj_entry **find(const struct obj_cache *c, uint64_t h, const char *ns,
			       const char *name)
{
	struct obj_entry **pe = &c->buckets[h & (c->n_buckets - 1)];

	for (; *pe; pe = &(*pe)->next) {
		if ((*pe)->hash == h && key_equal((*pe)->obj, ns, name))
			return pe;
	}
	return pe;
}

void *obj_cache_get(const struct obj_cache *c, const char *ns, const char *name)
{
	struct obj_entry **pe = find(c, key_hash(ns, name), ns, name);

	return *pe ? (*pe)->obj : NULL;
}

/* Doubles the buckets past a load of 1; failing to grow only costs speed. */
static void maybe_grow(struct obj_cache *c)
{
	size_t n = c->n_buckets * 2;
	struct obj_entry **b;

	if (c->count < c->n_buckets)
		return;
	b = calloc(n, sizeof(*b));
	if (!b)
		return;
	for (size_t i = 0; i < c->n_buckets; i++) {
		struct obj_entry *e = c->buckets[i], *next;

		for (; e; e = next) {
			next = e->next;
			e->next = b[e->hash & (n - 1)];
			b[e->hash & (n - 1)] = e;
		}
	}
	free(c->buckets);
	c->buckets = b;
	c->n_buckets = n;
}

int obj_cache_put(struct obj_cache *c, void *obj, void **old)
{
	const struct k8s_meta *m = k8s_meta(obj);
	uint64_t h = key_hash(m->ns, m->name);
	struct obj_entry **pe = find(c, h, m->ns, m->name), *e;

	if (*pe) {
		if (old)
			*old = (*pe)->obj;
		(*pe)->obj = obj;
		return 0;
	}
	e = malloc(sizeof(*e));
	if (!e)
		return -ENOMEM;
	e->next = NULL;
	e->hash = h;
	e->obj = obj;
	*pe = e;
	c->count++;
	if (old)
		*old = NULL;
	maybe_grow(c);
	return 0;
}

void *obj_cache_del(struct obj_cache *c, const char *ns, const char *name)
{
	struct obj_entry **pe = find(c, key_hash(ns, name), ns, name), *e = *pe;
	void *obj;

	if (!e)
		return NULL;
	*pe = e->next;
	obj = e->obj;
	free(e);
	c->count--;
	return obj;
}

size_t obj_cache_count(const struct obj_cache *c)
{
	return c->count;
}

int obj_cache_foreach(const struct obj_cache *c, int (*fn)(void *ctx, const void *obj), void *ctx)
{
	for (size_t i = 0; i < c->n_buckets; i++) {
		for (struct obj_entry *e = c->buckets[i]; e; e = e->next) {
			int ret = fn(ctx, e->obj);

			if (ret)
				return ret;
		}
	}
	return 0;
}

int obj_cache_snapshot(const struct obj_cache *c, void ***objs, size_t *n)
{
	size_t k = 0;

	*objs = NULL;
	*n = 0;
	if (!c->count)
		return 0;
	*objs = malloc(c->count * sizeof(**objs));
	if (!*objs)
		return -ENOMEM;
	for (size_t i = 0; i < c->n_buckets; i++) {
		for (struct obj_entry *e = c->buckets[i]; e; e = e->next)
			(*objs)[k++] = e->obj;
	}
	*n = k;
	return 0;
}
