/* Namespace (v1) decoding: only the metadata matters (policies select
 * namespaces by their labels). */
#include "k8s_decode.h"

const struct k8s_kind_ops k8s_namespace_ops = {
	.kind = "Namespace",
	.resource = "namespaces",
	.path = "/api/v1/namespaces",
	.namespaced = false,
	.size = sizeof(struct k8s_namespace),
};
