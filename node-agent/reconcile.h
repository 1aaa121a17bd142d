/* Keeps the datapath's service and backend maps equal to the desired
 * entries, writing only differences. It remembers what it wrote (the
 * shadow), adopts what a previous agent left pinned so ids (and with them
 * affinity and Maglev tables) survive a restart, and after a full sync
 * removes whatever nobody asked for. */
#ifndef XCNI_RECONCILE_H
#define XCNI_RECONCILE_H

#include <stddef.h>
#include <stdint.h>

#include "translate.h"
#include "xcni/lb.h"

/* The datapath writes, behind an ops table so tests can watch them. */
struct dp_ops {
	int (*backend_set)(void *ctx, uint32_t id, const struct backend *b);
	int (*backend_del)(void *ctx, uint32_t id);
	/* old: the backends the entry has now (none for a new one). */
	int (*service_set)(void *ctx, const struct svc_key *k, const struct svc_value *v,
			   const uint32_t *ids, size_t n, const uint32_t *old, size_t n_old);
	int (*service_del)(void *ctx, const struct svc_key *k, uint32_t id, const uint32_t *old,
			   size_t n_old);
};

struct reconcile_stats {
	uint64_t services_set, services_deleted, backends_set, backends_deleted, unchanged;
	uint64_t errors;
	uint32_t services, backends; /* entries now in the maps */
};

struct reconciler;

struct reconciler *reconciler_new(const struct dp_ops *ops, void *ctx, uint32_t max_services,
				  uint32_t max_backends);
void reconciler_free(struct reconciler *r);

/* Adoption, before any apply: what the maps already hold. */
int reconciler_adopt_backend(struct reconciler *r, uint32_t id, const struct backend *b);
int reconciler_adopt_service(struct reconciler *r, const struct svc_key *k,
			     const struct svc_value *v, const uint32_t *ids, size_t n);

/* Makes owner's ("namespace/name") entries exactly e: new and changed
 * entries are written, entries owner had before and e lacks are removed.
 * Returns 0 or the first negative errno (the rest is still attempted). */
int reconciler_apply(struct reconciler *r, const char *owner, const struct lb_entries *e);
/* The same as applying no entries. */
int reconciler_remove(struct reconciler *r, const char *owner);

/* A full sync: between begin and end every desired owner is applied;
 * end removes every entry no apply claimed since begin (stale entries of
 * deleted services, or adopted ones nobody wants any more). */
void reconciler_begin_sync(struct reconciler *r);
int reconciler_end_sync(struct reconciler *r);

const struct reconcile_stats *reconciler_stats(const struct reconciler *r);

#endif
