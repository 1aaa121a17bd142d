/* Kubernetes objects as the agent uses them: decoded from the API's JSON
 * into plain C structs, checked whole (a wrong type anywhere rejects the
 * object), so nothing half-decoded reaches the cache or the datapath.
 *
 * Every object struct starts with struct k8s_meta, so the informer can
 * key, compare and free any kind through the generic calls below. IPv4
 * addresses are uint32_t in network byte order; 0 means absent. */
#ifndef XCNI_K8S_H
#define XCNI_K8S_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

enum k8s_kind {
	K8S_SERVICE,
	K8S_ENDPOINT_SLICE,
	K8S_NODE,
	K8S_POD,
	K8S_NAMESPACE,
	K8S_NETWORK_POLICY,
	K8S_KIND_MAX,
};

struct k8s_label {
	char *key;
	char *value;
};

struct k8s_meta {
	char *name;
	char *ns; /* NULL for cluster-scoped kinds */
	char *uid;
	char *resource_version;
	struct k8s_label *labels;
	size_t n_labels;
};

/* Decodes one object of kind (an item of a list, or a watch event's
 * object); NULL with err set if it is not a well-formed object of that
 * kind. The result is freed with k8s_free. */
void *k8s_decode(enum k8s_kind kind, const cJSON *obj, char *err, size_t len);
void k8s_free(enum k8s_kind kind, void *obj);

static inline const struct k8s_meta *k8s_meta(const void *obj)
{
	return (const struct k8s_meta *)obj;
}

/* The kind's resource name ("services", "endpointslices", ...) and
 * collection path ("/api/v1/services", ...). */
const char *k8s_kind_resource(enum k8s_kind kind);
const char *k8s_kind_path(enum k8s_kind kind);

#endif
