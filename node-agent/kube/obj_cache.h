/* An informer's cache: decoded objects keyed by namespace/name, read from
 * each object's struct k8s_meta (so any kind fits). */
#ifndef XCNI_KUBE_OBJ_CACHE_H
#define XCNI_KUBE_OBJ_CACHE_H

#include <stddef.h>

#include "k8s.h"

struct obj_cache;

typedef void (*obj_free_fn)(enum k8s_kind kind, void *obj);

struct obj_cache *obj_cache_new(void);
/* Frees the table, and every object with free_obj(kind, obj) unless
 * free_obj is NULL. */
void obj_cache_free(struct obj_cache *c, obj_free_fn free_obj, enum k8s_kind kind);

/* ns NULL and "" are the same: cluster-scoped. */
void *obj_cache_get(const struct obj_cache *c, const char *ns, const char *name);
/* Inserts obj (its meta.name must be set) under its key, replacing and
 * returning in *old (may be NULL) what was there. 0 or -ENOMEM. */
int obj_cache_put(struct obj_cache *c, void *obj, void **old);
/* Removes and returns the object under the key; NULL when absent. */
void *obj_cache_del(struct obj_cache *c, const char *ns, const char *name);
size_t obj_cache_count(const struct obj_cache *c);

/* Calls fn on every object, in no particular order, until it returns
 * non-zero (which is returned). fn must not change the cache. */
int obj_cache_foreach(const struct obj_cache *c, int (*fn)(void *ctx, const void *obj), void *ctx);
/* A snapshot of every object (malloc'd array of *n pointers, NULL when
 * empty), for walks that change the cache. 0 or -ENOMEM. */
int obj_cache_snapshot(const struct obj_cache *c, void ***objs, size_t *n);

#endif
