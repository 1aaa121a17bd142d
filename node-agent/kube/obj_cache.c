/* Open-addressing hash table of object pointers (linear probing,
 * backward-shift deletion): the key is not stored but read from the
 * object's meta, so an entry is one pointer, with no allocation of its
 * own. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "obj_cache.h"

#define OBJ_CACHE_FIRST_SLOTS 64

struct obj_cache {
	void **slots; /* NULL: empty */
	size_t mask; /* slots - 1, a power of two minus one */
	size_t count; /* at most 3/4 of the slots */
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

static size_t home_of(const struct obj_cache *c, const void *obj)
{
	const struct k8s_meta *m = k8s_meta(obj);

	return key_hash(m->ns, m->name) & c->mask;
}

struct obj_cache *obj_cache_new(void)
{
	struct obj_cache *c = calloc(1, sizeof(*c));

	if (!c)
		return NULL;
	c->slots = calloc(OBJ_CACHE_FIRST_SLOTS, sizeof(*c->slots));
	if (!c->slots) {
		free(c);
		return NULL;
	}
	c->mask = OBJ_CACHE_FIRST_SLOTS - 1;
	return c;
}

void obj_cache_free(struct obj_cache *c, obj_free_fn free_obj, enum k8s_kind kind)
{
	if (!c)
		return;
	for (size_t i = 0; free_obj && i <= c->mask; i++) {
		if (c->slots[i])
			free_obj(kind, c->slots[i]);
	}
	free(c->slots);
	free(c);
}

/* The slot holding the key, or the empty slot where it would go. */
static size_t find(const struct obj_cache *c, const char *ns, const char *name)
{
	size_t i = key_hash(ns, name) & c->mask;

	while (c->slots[i] && !key_equal(c->slots[i], ns, name))
		i = (i + 1) & c->mask;
	return i;
}

void *obj_cache_get(const struct obj_cache *c, const char *ns, const char *name)
{
	return c->slots[find(c, ns, name)];
}

/* Doubles the slots; -ENOMEM leaves the table as it was. */
static int grow(struct obj_cache *c)
{
	size_t n = (c->mask + 1) * 2;
	struct obj_cache bigger = { .mask = n - 1, .count = c->count };

	bigger.slots = calloc(n, sizeof(*bigger.slots));
	if (!bigger.slots)
		return -ENOMEM;
	for (size_t i = 0; i <= c->mask; i++) {
		size_t j;

		if (!c->slots[i])
			continue;
		for (j = home_of(&bigger, c->slots[i]); bigger.slots[j]; j = (j + 1) & bigger.mask)
			;
		bigger.slots[j] = c->slots[i];
	}
	free(c->slots);
	*c = bigger;
	return 0;
}

int obj_cache_put(struct obj_cache *c, void *obj, void **old)
{
	const struct k8s_meta *m = k8s_meta(obj);
	size_t i = find(c, m->ns, m->name);

	if (c->slots[i]) {
		if (old)
			*old = c->slots[i];
		c->slots[i] = obj;
		return 0;
	}
	/* Grown before the load passes 3/4 (the probe runs stay short). */
	if ((c->count + 1) * 4 > (c->mask + 1) * 3) {
		if (grow(c))
			return -ENOMEM;
		i = find(c, m->ns, m->name);
	}
	c->slots[i] = obj;
	c->count++;
	if (old)
		*old = NULL;
	return 0;
}

/* Whether home h reaches slot j from the hole at i, probing forward
 * (then the entry at j must stay after the hole). */
static int reaches_past(size_t h, size_t i, size_t j)
{
	return i <= j ? h > i && h <= j : h > i || h <= j;
}

void *obj_cache_del(struct obj_cache *c, const char *ns, const char *name)
{
	size_t i = find(c, ns, name), j = i;
	void *obj = c->slots[i];

	if (!obj)
		return NULL;
	/* Backward shift: entries after the hole that probed past it move
	 * into it, so every lookup's probe run stays unbroken. */
	for (;;) {
		j = (j + 1) & c->mask;
		if (!c->slots[j])
			break;
		if (reaches_past(home_of(c, c->slots[j]), i, j))
			continue;
		c->slots[i] = c->slots[j];
		i = j;
	}
	c->slots[i] = NULL;
	c->count--;
	return obj;
}

size_t obj_cache_count(const struct obj_cache *c)
{
	return c->count;
}

int obj_cache_foreach(const struct obj_cache *c, int (*fn)(void *ctx, const void *obj), void *ctx)
{
	for (size_t i = 0; i <= c->mask; i++) {
		int ret = c->slots[i] ? fn(ctx, c->slots[i]) : 0;

		if (ret)
			return ret;
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
	for (size_t i = 0; i <= c->mask; i++) {
		if (c->slots[i])
			(*objs)[k++] = c->slots[i];
	}
	*n = k;
	return 0;
}
