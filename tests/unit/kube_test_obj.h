/* A test kind for the informer tests: metadata plus one integer
 * (spec.value), decoded strictly like the real decoders (a wrong type
 * anywhere rejects the object), and a handler that records its calls. */
#ifndef XCNI_TESTS_KUBE_TEST_OBJ_H
#define XCNI_TESTS_KUBE_TEST_OBJ_H

#include "unit.h"

#include <cjson/cJSON.h>

#include "informer.h"

struct tobj {
	struct k8s_meta meta;
	long value;
};

static inline int tobj_str(const cJSON *parent, const char *key, bool required, char **out)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(parent, key);

	*out = NULL;
	if (!v)
		return required ? -1 : 0;
	if (!cJSON_IsString(v))
		return -1;
	*out = strdup(v->valuestring);
	return *out ? 0 : -1;
}

static inline void tobj_free(enum k8s_kind kind, void *p)
{
	struct tobj *o = p;

	(void)kind;
	if (!o)
		return;
	free(o->meta.name);
	free(o->meta.ns);
	free(o->meta.uid);
	free(o->meta.resource_version);
	free(o);
}

static inline void *tobj_decode(enum k8s_kind kind, const cJSON *obj, char *err, size_t len)
{
	const cJSON *md = cJSON_GetObjectItemCaseSensitive(obj, "metadata");
	const cJSON *spec = cJSON_GetObjectItemCaseSensitive(obj, "spec");
	const cJSON *value = cJSON_GetObjectItemCaseSensitive(spec, "value");
	struct tobj *o = calloc(1, sizeof(*o));

	if (!o || !cJSON_IsObject(obj) || !cJSON_IsObject(md))
		goto bad;
	if (tobj_str(md, "name", true, &o->meta.name) ||
	    tobj_str(md, "namespace", false, &o->meta.ns) ||
	    tobj_str(md, "uid", false, &o->meta.uid) ||
	    tobj_str(md, "resourceVersion", false, &o->meta.resource_version))
		goto bad;
	if (spec && !cJSON_IsObject(spec))
		goto bad;
	if (value && !cJSON_IsNumber(value))
		goto bad;
	o->value = value ? (long)value->valuedouble : 0;
	return o;
bad:
	snprintf(err, len, "not a test object");
	tobj_free(kind, o);
	return NULL;
}

static inline const struct tobj *tobj(const void *p)
{
	return p;
}

/* The handler's calls as text, e.g. "upsert default/a 1->2",
 * "upsert default/a -", "remove default/a 2", "synced". */
struct recorder {
	char calls[256][96];
	size_t n;
	size_t synced;
	const struct informer *inf; /* for lookups from inside callbacks */
	bool saw_new_state; /* a remove() found the relisted cache in place */
};

static inline void rec_add(struct recorder *r, const char *s)
{
	assert_true(r->n < ARRAY_SIZE(r->calls));
	snprintf(r->calls[r->n++], sizeof(r->calls[0]), "%s", s);
}

static inline const char *rv_or_dash(const void *o)
{
	return o && tobj(o)->meta.resource_version ? tobj(o)->meta.resource_version : "-";
}

static inline void rec_upsert(void *ctx, enum k8s_kind kind, const void *old, const void *obj)
{
	char buf[96];

	(void)kind;
	snprintf(buf, sizeof(buf), "upsert %s/%s %s->%s",
		 tobj(obj)->meta.ns ? tobj(obj)->meta.ns : "", tobj(obj)->meta.name,
		 old ? rv_or_dash(old) : "new", rv_or_dash(obj));
	rec_add(ctx, buf);
}

static inline void rec_remove(void *ctx, enum k8s_kind kind, const void *old)
{
	struct recorder *r = ctx;
	char buf[96];

	(void)kind;
	snprintf(buf, sizeof(buf), "remove %s/%s %s", tobj(old)->meta.ns ? tobj(old)->meta.ns : "",
		 tobj(old)->meta.name, rv_or_dash(old));
	if (r->inf && informer_get(r->inf, tobj(old)->meta.ns, tobj(old)->meta.name) != old)
		r->saw_new_state = true;
	rec_add(ctx, buf);
}

static inline void rec_synced(void *ctx, enum k8s_kind kind)
{
	struct recorder *r = ctx;

	(void)kind;
	r->synced++;
	rec_add(ctx, "synced");
}

static inline bool rec_has(const struct recorder *r, const char *call)
{
	for (size_t i = 0; i < r->n; i++) {
		if (!strcmp(r->calls[i], call))
			return true;
	}
	return false;
}

static inline void rec_dump(const struct recorder *r)
{
	for (size_t i = 0; i < r->n; i++)
		print_message("# call %zu: %s\n", i, r->calls[i]);
}

#define assert_called(r, call)                              \
	do {                                                \
		if (!rec_has((r), (call))) {                \
			rec_dump(r);                        \
			fail_msg("no call \"%s\"", (call)); \
		}                                           \
	} while (0)

static inline void rec_reset(struct recorder *r)
{
	r->n = 0;
	r->synced = 0;
}

static inline struct informer_handler rec_handler(struct recorder *r)
{
	struct informer_handler h = {
		.upsert = rec_upsert,
		.remove = rec_remove,
		.synced = rec_synced,
		.ctx = r,
	};

	return h;
}

#endif
