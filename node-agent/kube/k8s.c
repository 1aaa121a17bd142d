/* The generic side of Kubernetes object decoding: per-kind dispatch, the
 * kind check and metadata every kind shares. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "k8s_decode.h"

static const struct k8s_kind_ops *const kinds[K8S_KIND_MAX] = {
	[K8S_SERVICE] = &k8s_service_ops,     [K8S_ENDPOINT_SLICE] = &k8s_endpoint_slice_ops,
	[K8S_NODE] = &k8s_node_ops,	      [K8S_POD] = &k8s_pod_ops,
	[K8S_NAMESPACE] = &k8s_namespace_ops, [K8S_NETWORK_POLICY] = &k8s_network_policy_ops,
};

static const struct k8s_kind_ops *kind_ops(enum k8s_kind kind)
{
	return (unsigned int)kind < K8S_KIND_MAX ? kinds[kind] : NULL;
}

const char *k8s_kind_resource(enum k8s_kind kind)
{
	const struct k8s_kind_ops *ops = kind_ops(kind);

	return ops ? ops->resource : NULL;
}

const char *k8s_kind_path(enum k8s_kind kind)
{
	const struct k8s_kind_ops *ops = kind_ops(kind);

	return ops ? ops->path : NULL;
}

/* name, ns, uid and resource_version live after the object's struct, in
 * its allocation; the labels are one block of their own. */
static void meta_free(struct k8s_meta *m)
{
	k8s_labels_free(m->labels, m->n_labels);
}

/* Required fields are strings: an empty name or namespace is as unusable
 * as a missing one (it could not be keyed). */
static int required_string(struct k8s_dec *d, const cJSON *obj, const char *key, const char **out)
{
	int ret = k8s_field_string(d, obj, key, out);

	if (ret < 0)
		return ret;
	if (!ret || !**out)
		return k8s_fail_at(d, key, "required");
	return 0;
}

/* The metadata strings, borrowed from the JSON until the object is made. */
struct meta_draft {
	const cJSON *json;
	const char *name, *ns, *uid, *rv;
};

static size_t opt_len(const char *s)
{
	return s ? strlen(s) + 1 : 0;
}

static int meta_read(struct k8s_dec *d, const struct k8s_kind_ops *ops, const cJSON *json,
		     struct meta_draft *md)
{
	size_t old;
	int ret;

	ret = k8s_field_object(d, json, "metadata", &md->json);
	if (ret <= 0)
		return ret ? ret : k8s_fail_at(d, "metadata", "required");
	old = k8s_path_key(d, "metadata");
	ret = required_string(d, md->json, "name", &md->name);
	if (!ret && ops->namespaced)
		ret = required_string(d, md->json, "namespace", &md->ns);
	if (!ret)
		ret = k8s_field_string(d, md->json, "uid", &md->uid);
	if (ret >= 0)
		ret = k8s_field_string(d, md->json, "resourceVersion", &md->rv);
	k8s_path_pop(d, old);
	return ret < 0 ? ret : 0;
}

static char *copy_in(char **at, const char *s)
{
	char *start = *at;
	size_t n = strlen(s) + 1;

	memcpy(start, s, n);
	*at += n;
	return start;
}

/* The object, zeroed, with its metadata strings after the struct: tens of
 * thousands of objects each save an allocation and its overhead. */
static void *obj_alloc(const struct k8s_kind_ops *ops, const struct meta_draft *md)
{
	size_t n = opt_len(md->name) + opt_len(md->ns) + opt_len(md->uid) + opt_len(md->rv);
	struct k8s_meta *m = calloc(1, ops->size + n);
	char *at;

	if (!m)
		return NULL;
	at = (char *)m + ops->size;
	m->name = copy_in(&at, md->name);
	m->ns = md->ns ? copy_in(&at, md->ns) : NULL;
	m->uid = md->uid ? copy_in(&at, md->uid) : NULL;
	m->resource_version = md->rv ? copy_in(&at, md->rv) : NULL;
	return m;
}

static int meta_labels(struct k8s_dec *d, const struct k8s_kind_ops *ops,
		       const struct meta_draft *md, struct k8s_meta *m)
{
	size_t old = k8s_path_key(d, "metadata");
	int ret = k8s_field_labels(d, md->json, "labels", ops->drop_labels ? NULL : &m->labels,
				   &m->n_labels);

	k8s_path_pop(d, old);
	return ret < 0 ? ret : 0;
}

/* LIST items carry no kind; watch events and GETs do, and then it must be
 * the kind we asked for. */
static int kind_check(struct k8s_dec *d, const struct k8s_kind_ops *ops, const cJSON *json)
{
	char q[K8S_QUOTE_BUF];
	const char *kind;
	int ret;

	ret = k8s_field_string(d, json, "kind", &kind);
	if (ret <= 0)
		return ret;
	if (strcmp(kind, ops->kind))
		return k8s_fail_at(d, "kind", "expected %s, got \"%s\"", ops->kind,
				   k8s_quote(kind, q));
	return 0;
}

static void obj_free(const struct k8s_kind_ops *ops, void *obj)
{
	if (ops->free_body)
		ops->free_body(obj);
	meta_free(obj);
	free(obj);
}

void *k8s_decode(enum k8s_kind kind, const cJSON *obj, char *err, size_t len)
{
	const struct k8s_kind_ops *ops = kind_ops(kind);
	struct k8s_dec d = { .err = err, .err_len = len };
	struct meta_draft md = { 0 };
	void *out;

	if (err && len)
		err[0] = '\0';
	if (!ops) {
		k8s_fail(&d, "unknown kind %d", (int)kind);
		return NULL;
	}
	if (!obj) {
		k8s_fail(&d, "expected a %s object, got nothing", ops->kind);
		return NULL;
	}
	if (!cJSON_IsObject(obj)) {
		k8s_fail(&d, "expected a %s object, got %s", ops->kind, k8s_type_name(obj));
		return NULL;
	}
	if (kind_check(&d, ops, obj) || meta_read(&d, ops, obj, &md))
		return NULL;
	out = obj_alloc(ops, &md);
	if (!out) {
		k8s_fail_nomem(&d);
		return NULL;
	}
	if (meta_labels(&d, ops, &md, out) || (ops->decode && ops->decode(&d, obj, out)))
		goto fail;
	return out;
fail:
	obj_free(ops, out);
	return NULL;
}

void k8s_free(enum k8s_kind kind, void *obj)
{
	const struct k8s_kind_ops *ops = kind_ops(kind);

	if (ops && obj)
		obj_free(ops, obj);
}
