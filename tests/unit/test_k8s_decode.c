/* What every kind shares (node-agent/kube/k8s.c, k8s_read.c,
 * k8s_labels.c): kind names and paths, the kind check, metadata and
 * labels, error messages, and the Namespace kind (metadata only). */
#include "k8s_test.h"

static const struct {
	enum k8s_kind kind;
	const char *name, *example, *resource, *path;
	bool namespaced;
} kinds[] = {
	{ K8S_SERVICE, "Service", SERVICE_EXAMPLE, "services", "/api/v1/services", true },
	{ K8S_ENDPOINT_SLICE, "EndpointSlice", ENDPOINT_SLICE_EXAMPLE, "endpointslices",
	  "/apis/discovery.k8s.io/v1/endpointslices", true },
	{ K8S_NODE, "Node", NODE_EXAMPLE, "nodes", "/api/v1/nodes", false },
	{ K8S_POD, "Pod", POD_EXAMPLE, "pods", "/api/v1/pods", true },
	{ K8S_NAMESPACE, "Namespace", NAMESPACE_EXAMPLE, "namespaces", "/api/v1/namespaces",
	  false },
	{ K8S_NETWORK_POLICY, "NetworkPolicy", NETWORK_POLICY_EXAMPLE, "networkpolicies",
	  "/apis/networking.k8s.io/v1/networkpolicies", true },
};

static void test_every_kind_has_its_resource_and_path(void **state)
{
	size_t i;

	(void)state;
	assert_int_equal(ARRAY_SIZE(kinds), K8S_KIND_MAX);
	for (i = 0; i < ARRAY_SIZE(kinds); i++) {
		assert_string_equal(k8s_kind_resource(kinds[i].kind), kinds[i].resource);
		assert_string_equal(k8s_kind_path(kinds[i].kind), kinds[i].path);
	}
	assert_null(k8s_kind_resource(K8S_KIND_MAX));
	assert_null(k8s_kind_path((enum k8s_kind) - 1));
}

static void test_unknown_kind_is_rejected(void **state)
{
	cJSON *json = k8s_test_parse(NAMESPACE_EXAMPLE);

	(void)state;
	k8s_test_reject_json(K8S_KIND_MAX, json, "unknown kind 6");
	k8s_free(K8S_KIND_MAX, NULL);
	cJSON_Delete(json);
}

static void test_free_takes_null(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(kinds); i++)
		k8s_free(kinds[i].kind, NULL);
}

/* The metadata strings follow the object's struct in its allocation
 * (one allocation fewer per cached object), in the order name, namespace,
 * uid, resourceVersion. */
static void test_metadata_strings_follow_the_object(void **state)
{
	struct k8s_service *s = k8s_test_decode(K8S_SERVICE, SERVICE_EXAMPLE);
	const char *end = (const char *)s + sizeof(*s);

	(void)state;
	assert_ptr_equal(s->meta.name, end);
	assert_ptr_equal(s->meta.ns, end + sizeof("web"));
	assert_ptr_equal(s->meta.uid, s->meta.ns + sizeof("default"));
	assert_ptr_equal(s->meta.resource_version, s->meta.uid + sizeof("u-1"));
	assert_string_equal(s->meta.resource_version, "1007");
	k8s_free(K8S_SERVICE, s);
}

/* Watch events and GETs carry kind; it must be the kind asked for. */
static void test_each_example_decodes_only_as_its_own_kind(void **state)
{
	char want[128];
	size_t i, j;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(kinds); i++) {
		for (j = 0; j < ARRAY_SIZE(kinds); j++) {
			if (i == j) {
				k8s_free(kinds[j].kind,
					 k8s_test_decode(kinds[j].kind, kinds[i].example));
				continue;
			}
			snprintf(want, sizeof(want), "kind: expected %s, got \"%s\"", kinds[j].name,
				 kinds[i].name);
			k8s_test_reject(kinds[j].kind, kinds[i].example, want);
		}
	}
}

/* LIST items carry neither kind nor apiVersion. */
static void test_list_items_without_kind_decode(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(kinds); i++) {
		cJSON *json = k8s_test_parse(kinds[i].example);

		k8s_test_set(json, "kind", NULL);
		k8s_test_set(json, "apiVersion", NULL);
		k8s_free(kinds[i].kind, k8s_test_decode_json(kinds[i].kind, json));
		cJSON_Delete(json);
	}
}

static void test_non_objects_are_rejected(void **state)
{
	static const struct {
		const char *json, *got;
	} values[] = {
		{ "[]", "array" },  { "'Service'", "string" }, { "7", "number" },
		{ "null", "null" }, { "true", "boolean" },
	};
	char want[128];
	size_t i, j;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(kinds); i++) {
		for (j = 0; j < ARRAY_SIZE(values); j++) {
			snprintf(want, sizeof(want), "expected a %s object, got %s", kinds[i].name,
				 values[j].got);
			k8s_test_reject(kinds[i].kind, values[j].json, want);
		}
		snprintf(want, sizeof(want), "expected a %s object, got nothing", kinds[i].name);
		k8s_test_reject_json(kinds[i].kind, NULL, want);
	}
}

static void test_name_is_required_for_every_kind(void **state)
{
	static const struct {
		const char *value, *want;
	} names[] = {
		{ NULL, "metadata.name: required" },
		{ "null", "metadata.name: required" },
		{ "''", "metadata.name: required" },
		{ "7", "metadata.name: expected a string, got number" },
		{ "{'x':1}", "metadata.name: expected a string, got object" },
	};
	size_t i, j;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(kinds); i++)
		for (j = 0; j < ARRAY_SIZE(names); j++)
			k8s_test_reject_with(kinds[i].kind, kinds[i].example, "metadata.name",
					     names[j].value, names[j].want);
}

static void test_metadata_is_required_for_every_kind(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(kinds); i++) {
		k8s_test_reject_with(kinds[i].kind, kinds[i].example, "metadata", NULL,
				     "metadata: required");
		k8s_test_reject_with(kinds[i].kind, kinds[i].example, "metadata", "'web'",
				     "metadata: expected an object, got string");
	}
}

/* Namespaced kinds need it; cluster-scoped kinds ignore it. */
static void test_namespace_is_required_only_for_namespaced_kinds(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(kinds); i++) {
		void *obj;

		if (kinds[i].namespaced) {
			k8s_test_reject_with(kinds[i].kind, kinds[i].example, "metadata.namespace",
					     NULL, "metadata.namespace: required");
			k8s_test_reject_with(kinds[i].kind, kinds[i].example, "metadata.namespace",
					     "['default']",
					     "metadata.namespace: expected a string, got array");
			continue;
		}
		obj = k8s_test_decode_with(kinds[i].kind, kinds[i].example, "metadata.namespace",
					   "7");
		assert_null(k8s_meta(obj)->ns);
		k8s_free(kinds[i].kind, obj);
	}
}

static void test_uid_and_resource_version_are_strings(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(kinds); i++) {
		k8s_test_reject_with(kinds[i].kind, kinds[i].example, "metadata.uid", "1",
				     "metadata.uid: expected a string, got number");
		k8s_test_reject_with(kinds[i].kind, kinds[i].example, "metadata.resourceVersion",
				     "1007",
				     "metadata.resourceVersion: expected a string, got number");
	}
}

static void test_kind_must_be_a_string(void **state)
{
	(void)state;
	k8s_test_reject_with(K8S_POD, POD_EXAMPLE, "kind", "{'name':'Pod'}",
			     "kind: expected a string, got object");
}

static void test_namespace_example_is_only_metadata(void **state)
{
	struct k8s_namespace *ns = k8s_test_decode(K8S_NAMESPACE, NAMESPACE_EXAMPLE);

	(void)state;
	assert_string_equal(ns->meta.name, "team-a");
	assert_null(ns->meta.ns);
	assert_null(ns->meta.uid);
	assert_int_equal(ns->meta.n_labels, 2);
	assert_string_equal(k8s_test_label(ns->meta.labels, 2, "kubernetes.io/metadata.name"),
			    "team-a");
	assert_string_equal(k8s_test_label(ns->meta.labels, 2, "team"), "a");
	k8s_free(K8S_NAMESPACE, ns);
}

static void test_labels_null_and_empty_are_none(void **state)
{
	static const char *const empties[] = { NULL, "null", "{}" };
	size_t i;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(empties); i++) {
		struct k8s_namespace *ns = k8s_test_decode_with(K8S_NAMESPACE, NAMESPACE_EXAMPLE,
								"metadata.labels", empties[i]);

		assert_int_equal(ns->meta.n_labels, 0);
		k8s_free(K8S_NAMESPACE, ns);
	}
}

static void test_label_values_may_be_empty(void **state)
{
	struct k8s_namespace *ns = k8s_test_decode_with(K8S_NAMESPACE, NAMESPACE_EXAMPLE,
							"metadata.labels", "{'edge':''}");

	(void)state;
	assert_int_equal(ns->meta.n_labels, 1);
	assert_string_equal(ns->meta.labels[0].value, "");
	k8s_free(K8S_NAMESPACE, ns);
}

static void test_wrong_labels_are_rejected_for_every_kind(void **state)
{
	static const struct {
		const char *value, *want;
	} labels[] = {
		{ "{'app':'web','tier':3}", "metadata.labels.tier: expected a string, got number" },
		{ "{'app':null}", "metadata.labels.app: expected a string, got null" },
		{ "{'app':{'x':'y'}}", "metadata.labels.app: expected a string, got object" },
		{ "['app=web']", "metadata.labels: expected an object, got array" },
		{ "'app=web'", "metadata.labels: expected an object, got string" },
	};
	size_t i, j;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(kinds); i++)
		for (j = 0; j < ARRAY_SIZE(labels); j++)
			k8s_test_reject_with(kinds[i].kind, kinds[i].example, "metadata.labels",
					     labels[j].value, labels[j].want);
}

/* A message is cut to the buffer, always terminated. */
static void test_small_error_buffer_is_cut_and_terminated(void **state)
{
	cJSON *json = k8s_test_parse(SERVICE_EXAMPLE);
	char err[12];

	(void)state;
	k8s_test_set(json, "spec.ports[0].port", "'80'");
	memset(err, 'x', sizeof(err));
	assert_null(k8s_decode(K8S_SERVICE, json, err, sizeof(err)));
	assert_string_equal(err, "spec.ports[");
	assert_null(k8s_decode(K8S_SERVICE, json, NULL, 0));
	assert_null(k8s_decode(K8S_SERVICE, json, err, 0));
	cJSON_Delete(json);
}

static void test_error_is_cleared_on_success(void **state)
{
	cJSON *json = k8s_test_parse(NAMESPACE_EXAMPLE);
	char err[32] = "stale";
	void *ns;

	(void)state;
	ns = k8s_decode(K8S_NAMESPACE, json, err, sizeof(err));
	assert_non_null(ns);
	assert_string_equal(err, "");
	k8s_free(K8S_NAMESPACE, ns);
	cJSON_Delete(json);
}

/* Bad values are quoted cut to 64 bytes, unprintable ones replaced, so a
 * log line stays one line. */
static void test_bad_values_are_quoted_safely(void **state)
{
	char long_ip[200], json_value[210], want[256];

	(void)state;
	memset(long_ip, '7', 100);
	long_ip[100] = '\0';
	snprintf(json_value, sizeof(json_value), "'%s'", long_ip);
	snprintf(want, sizeof(want), "status.podIP: expected an IP address, got \"%.64s...\"",
		 long_ip);
	k8s_test_reject_with(K8S_POD, POD_EXAMPLE, "status.podIP", json_value, want);
	k8s_test_reject_with(K8S_POD, POD_EXAMPLE, "status.podIP", "'10.0.0.1\\n\\u0007'",
			     "status.podIP: expected an IP address, got \"10.0.0.1??\"");
}

/* A huge label key cuts the path; it never overflows it. */
static void test_long_paths_are_cut(void **state)
{
	char key[1000], labels[1100], err[512];
	cJSON *json = k8s_test_parse(NAMESPACE_EXAMPLE);

	(void)state;
	memset(key, 'k', sizeof(key) - 1);
	key[sizeof(key) - 1] = '\0';
	snprintf(labels, sizeof(labels), "{'%s':1}", key);
	k8s_test_set(json, "metadata.labels", labels);
	assert_null(k8s_decode(K8S_NAMESPACE, json, err, sizeof(err)));
	assert_int_equal(strncmp(err, "metadata.labels.kkkk", 20), 0);
	assert_str_contains(err, ": expected a string, got number");
	assert_true(strlen(err) < 256 + sizeof(": expected a string, got number"));
	cJSON_Delete(json);
}

/* The decoded object owns its strings: nothing points into the JSON. */
static void test_decoded_object_outlives_its_json(void **state)
{
	struct k8s_pod *pod = k8s_test_decode(K8S_POD, POD_EXAMPLE);

	(void)state;
	/* k8s_test_decode freed the JSON; these reads are checked by valgrind
	 * and ASan runs. */
	assert_string_equal(pod->meta.name, "web-1");
	assert_string_equal(pod->node_name, "node-a");
	assert_string_equal(pod->ports[0].name, "http");
	k8s_free(K8S_POD, pod);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_every_kind_has_its_resource_and_path),
		cmocka_unit_test(test_unknown_kind_is_rejected),
		cmocka_unit_test(test_free_takes_null),
		cmocka_unit_test(test_metadata_strings_follow_the_object),
		cmocka_unit_test(test_each_example_decodes_only_as_its_own_kind),
		cmocka_unit_test(test_list_items_without_kind_decode),
		cmocka_unit_test(test_non_objects_are_rejected),
		cmocka_unit_test(test_name_is_required_for_every_kind),
		cmocka_unit_test(test_metadata_is_required_for_every_kind),
		cmocka_unit_test(test_namespace_is_required_only_for_namespaced_kinds),
		cmocka_unit_test(test_uid_and_resource_version_are_strings),
		cmocka_unit_test(test_kind_must_be_a_string),
		cmocka_unit_test(test_namespace_example_is_only_metadata),
		cmocka_unit_test(test_labels_null_and_empty_are_none),
		cmocka_unit_test(test_label_values_may_be_empty),
		cmocka_unit_test(test_wrong_labels_are_rejected_for_every_kind),
		cmocka_unit_test(test_small_error_buffer_is_cut_and_terminated),
		cmocka_unit_test(test_error_is_cleared_on_success),
		cmocka_unit_test(test_bad_values_are_quoted_safely),
		cmocka_unit_test(test_long_paths_are_cut),
		cmocka_unit_test(test_decoded_object_outlives_its_json),
	};

	return cmocka_run_group_tests_name("k8s_decode", tests, NULL, NULL);
}
