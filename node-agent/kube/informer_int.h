/* The informer's insides, shared by its three files: informer.c (the
 * LIST/WATCH state machine), informer_event.c (one watch line) and
 * informer_apply.c (cache changes and the handler's calls). */
#ifndef XCNI_KUBE_INFORMER_INT_H
#define XCNI_KUBE_INFORMER_INT_H

#include "backoff.h"
#include "informer.h"
#include "obj_cache.h"
#include "watch_lines.h"

enum informer_phase {
	INFORMER_LIST_DUE,
	INFORMER_LISTING,
	INFORMER_WATCH_DUE,
	INFORMER_WATCHING,
};

struct informer {
	struct informer_spec spec; /* strings owned */
	struct informer_handler h;
	enum informer_phase phase;
	uint64_t due_ms;
	struct obj_cache *cache;
	struct obj_cache *pending; /* pages of a LIST in progress */
	char *cont; /* the next page's continue token */
	char *rv; /* where the next watch starts */
	/* The watch in flight. */
	struct watch_lines lines;
	uint64_t watch_start_ms;
	uint64_t watch_events; /* lines handled on this watch */
	bool stopping; /* the informer decided to drop it: */
	enum informer_cause stop_cause;
	bool stop_relist;
	struct backoff backoff;
	uint64_t rng;
	struct informer_stats stats;
};

/* Handles one watch line: 0 to go on, 1 when the watch must stop
 * (inf->stop_* say why and what next). */
int informer_handle_line(struct informer *inf, char *line, size_t len);

/* Applies one event's object (owned by the informer from here on):
 * upsert or delete. 0 or -ENOMEM (the object is then freed and the cache
 * is as before). */
int informer_apply_upsert(struct informer *inf, void *obj);
void informer_apply_delete(struct informer *inf, void *obj);
/* Makes list (a complete LIST, consumed) the cache, with the calls that
 * turn the old cache into it, then synced(). 0 or -ENOMEM (list freed,
 * cache unchanged). */
int informer_apply_replace(struct informer *inf, struct obj_cache *list);

/* Replaces inf->rv with a copy of rv (kept on ENOMEM: a stale RV only
 * replays events, which apply idempotently). */
void informer_set_rv(struct informer *inf, const char *rv);

#endif
