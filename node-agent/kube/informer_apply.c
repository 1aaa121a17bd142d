/* Cache changes and the handler calls that announce them: one event at a
 * time, or a whole list replacing the cache. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "informer_int.h"

static void call_upsert(struct informer *inf, const void *old, const void *obj)
{
	if (inf->h.upsert)
		inf->h.upsert(inf->h.ctx, inf->spec.kind, old, obj);
}

static void call_remove(struct informer *inf, const void *old)
{
	if (inf->h.remove)
		inf->h.remove(inf->h.ctx, inf->spec.kind, old);
}

static void free_obj(struct informer *inf, void *obj)
{
	inf->spec.free_obj(inf->spec.kind, obj);
}

static bool str_differs(const char *a, const char *b)
{
	return a && b && strcmp(a, b);
}

/* A different uid under the same name: the object was deleted and made
 * again while we were not looking. A missing uid compares equal. */
static bool new_incarnation(const void *old, const void *obj)
{
	return str_differs(k8s_meta(old)->uid, k8s_meta(obj)->uid);
}

static bool changed(const void *old, const void *obj)
{
	const char *a = k8s_meta(old)->resource_version, *b = k8s_meta(obj)->resource_version;

	return !a || !b || strcmp(a, b);
}

/* The calls for old (may be NULL) becoming obj, which is already cached. */
static void announce(struct informer *inf, const void *old, const void *obj)
{
	if (old && new_incarnation(old, obj)) {
		call_remove(inf, old);
		old = NULL;
	}
	call_upsert(inf, old, obj);
}

int informer_apply_upsert(struct informer *inf, void *obj)
{
	void *old = NULL;

	if (obj_cache_put(inf->cache, obj, &old)) {
		free_obj(inf, obj);
		return -ENOMEM;
	}
	announce(inf, old, obj);
	if (old)
		free_obj(inf, old);
	return 0;
}

/* By key, as client-go's store: whatever is cached under the name goes,
 * and the handler sees the state it was told about last. */
void informer_apply_delete(struct informer *inf, void *obj)
{
	const struct k8s_meta *m = k8s_meta(obj);
	void *old = obj_cache_del(inf->cache, m->ns, m->name);

	if (old) {
		call_remove(inf, old);
		free_obj(inf, old);
	}
	free_obj(inf, obj);
}

int informer_apply_replace(struct informer *inf, struct obj_cache *list)
{
	struct obj_cache *old_cache = inf->cache;
	void **olds = NULL, **news = NULL;
	size_t n_old, n_new, i;

	if (obj_cache_snapshot(old_cache, &olds, &n_old) ||
	    obj_cache_snapshot(list, &news, &n_new)) {
		free(olds);
		obj_cache_free(list, inf->spec.free_obj, inf->spec.kind);
		return -ENOMEM;
	}
	/* Lookups from the callbacks see the new list from the start. */
	inf->cache = list;
	for (i = 0; i < n_old; i++) {
		const struct k8s_meta *m = k8s_meta(olds[i]);

		if (obj_cache_get(list, m->ns, m->name))
			continue;
		obj_cache_del(old_cache, m->ns, m->name);
		call_remove(inf, olds[i]);
		free_obj(inf, olds[i]);
	}
	for (i = 0; i < n_new; i++) {
		const struct k8s_meta *m = k8s_meta(news[i]);
		void *old = obj_cache_del(old_cache, m->ns, m->name);

		if (old && !new_incarnation(old, news[i]) && !changed(old, news[i])) {
			/* Unchanged: keep the object the handler already
			 * holds (the key exists, so this put cannot fail). */
			obj_cache_put(list, old, NULL);
			free_obj(inf, news[i]);
			continue;
		}
		announce(inf, old, news[i]);
		if (old)
			free_obj(inf, old);
	}
	free(olds);
	free(news);
	obj_cache_free(old_cache, NULL, inf->spec.kind); /* emptied above */
	inf->stats.synced = true;
	if (inf->h.synced)
		inf->h.synced(inf->h.ctx, inf->spec.kind);
	return 0;
}
