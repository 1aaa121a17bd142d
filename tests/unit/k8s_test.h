/* Shared by the Kubernetes decoder tests: the K8S-API.md §8 example objects
 * and helpers to decode, edit and reject JSON written with single quotes
 * (swapped for double quotes before parsing, so the tests stay readable). */
#ifndef XCNI_TESTS_K8S_TEST_H
#define XCNI_TESTS_K8S_TEST_H

#include "unit.h"

#include <arpa/inet.h>
#include <netinet/in.h>

#include "k8s.h"

/* The §8 examples, as watch events and GETs carry them (with kind). */
#define SERVICE_EXAMPLE                                                                                \
	"{'kind':'Service','apiVersion':'v1',"                                                         \
	"'metadata':{'name':'web','namespace':'default','uid':'u-1','resourceVersion':'1007',"         \
	"'labels':{'app':'web'}},"                                                                     \
	"'spec':{'type':'LoadBalancer','selector':{'app':'web'},"                                      \
	"'clusterIP':'10.96.0.11','clusterIPs':['10.96.0.11'],'ipFamilies':['IPv4'],"                  \
	"'ipFamilyPolicy':'SingleStack',"                                                              \
	"'ports':[{'name':'http','protocol':'TCP','port':80,'targetPort':8080,'nodePort':30080},"      \
	"{'name':'dns','protocol':'UDP','port':53,'targetPort':'dns','nodePort':30053}],"              \
	"'externalIPs':['198.51.100.7'],'externalTrafficPolicy':'Local',"                              \
	"'healthCheckNodePort':32000,'internalTrafficPolicy':'Cluster',"                               \
	"'sessionAffinity':'ClientIP','sessionAffinityConfig':{'clientIP':{'timeoutSeconds':10800}}}," \
	"'status':{'loadBalancer':{'ingress':[{'ip':'203.0.113.10'}]}}}"

#define ENDPOINT_SLICE_EXAMPLE                                                                              \
	"{'kind':'EndpointSlice','apiVersion':'discovery.k8s.io/v1',"                                       \
	"'metadata':{'name':'web-abc12','namespace':'default','resourceVersion':'1008',"                    \
	"'labels':{'kubernetes.io/service-name':'web',"                                                     \
	"'endpointslice.kubernetes.io/managed-by':'endpointslice-controller.k8s.io'}},"                     \
	"'addressType':'IPv4',"                                                                             \
	"'endpoints':["                                                                                     \
	"{'addresses':['10.244.1.5'],'conditions':{'ready':true,'serving':true,'terminating':false},"       \
	"'nodeName':'node-a','zone':'z1','targetRef':{'kind':'Pod','namespace':'default','name':'web-1'}}," \
	"{'addresses':['10.244.2.7'],'conditions':{'ready':false,'serving':true,'terminating':true},"       \
	"'nodeName':'node-b'}],"                                                                            \
	"'ports':[{'name':'http','protocol':'TCP','port':8080}]}"

#define NODE_EXAMPLE                                                                            \
	"{'kind':'Node','apiVersion':'v1','metadata':{'name':'node-a',"                         \
	"'labels':{'kubernetes.io/hostname':'node-a'}},"                                        \
	"'spec':{'podCIDR':'10.244.1.0/24','podCIDRs':['10.244.1.0/24','fd00:10:244:1::/64']}," \
	"'status':{'addresses':[{'type':'InternalIP','address':'192.0.2.11'},"                  \
	"{'type':'Hostname','address':'node-a'}]}}"

#define POD_EXAMPLE                                                               \
	"{'kind':'Pod','apiVersion':'v1',"                                        \
	"'metadata':{'name':'web-1','namespace':'default','uid':'u-2',"           \
	"'labels':{'app':'web','role':'client'}},"                                \
	"'spec':{'nodeName':'node-a','hostNetwork':false,"                        \
	"'containers':[{'name':'c','image':'busybox',"                            \
	"'ports':[{'name':'http','containerPort':8080,'protocol':'TCP'}]}]},"     \
	"'status':{'phase':'Running','hostIP':'192.0.2.11','podIP':'10.244.1.5'," \
	"'podIPs':[{'ip':'10.244.1.5'}]}}"

#define NETWORK_POLICY_EXAMPLE                                                                           \
	"{'kind':'NetworkPolicy','apiVersion':'networking.k8s.io/v1',"                                   \
	"'metadata':{'name':'allow-web','namespace':'default','generation':1},"                          \
	"'spec':{'podSelector':{'matchLabels':{'app':'web'}},'policyTypes':['Ingress','Egress'],"        \
	"'ingress':[{'from':[{'podSelector':{'matchLabels':{'role':'client'}}},"                         \
	"{'namespaceSelector':{'matchExpressions':[{'key':'team','operator':'In','values':['a','b']}]}," \
	"'podSelector':{'matchLabels':{'role':'client'}}},"                                              \
	"{'ipBlock':{'cidr':'192.0.2.0/24','except':['192.0.2.128/25']}}],"                              \
	"'ports':[{'protocol':'TCP','port':8080},{'protocol':'TCP','port':9000,'endPort':9100},"         \
	"{'protocol':'TCP','port':'http'}]}],"                                                           \
	"'egress':[{'to':[{'ipBlock':{'cidr':'0.0.0.0/0'}}],'ports':[{'protocol':'UDP','port':53}]}]}}"

#define NAMESPACE_EXAMPLE                                                                            \
	"{'kind':'Namespace','apiVersion':'v1',"                                                     \
	"'metadata':{'name':'team-a','labels':{'kubernetes.io/metadata.name':'team-a','team':'a'}}," \
	"'spec':{'finalizers':['kubernetes']},'status':{'phase':'Active'}}"

/* Parses single-quoted JSON; fails the test when it is not JSON. */
static inline cJSON *k8s_test_parse(const char *sq)
{
	char *s = strdup(sq), *p;
	cJSON *json;

	assert_non_null(s);
	for (p = s; *p; p++)
		if (*p == '\'')
			*p = '"';
	json = cJSON_Parse(s);
	if (!json)
		fail_msg("test JSON does not parse: %s", s);
	free(s);
	return json;
}

/* The member or array item named by one path segment ("ports", "[1]"). */
static inline cJSON *k8s_test_step(cJSON *at, const char **path)
{
	const char *p = *path;
	char key[128];
	size_t n;

	if (*p == '[') {
		at = cJSON_GetArrayItem(at, atoi(p + 1));
		p = strchr(p, ']') + 1;
	} else {
		n = strcspn(p, ".[");
		assert_true(n < sizeof(key));
		memcpy(key, p, n);
		key[n] = '\0';
		at = cJSON_GetObjectItemCaseSensitive(at, key);
		p += n;
	}
	if (*p == '.')
		p++;
	*path = p;
	return at;
}

/* Sets the value at path ("spec.ports[1].port") to the single-quoted JSON
 * value, adding a missing last member; a NULL value deletes it. */
static inline void k8s_test_set(cJSON *root, const char *path, const char *sq_value)
{
	const char *p = path, *last;
	cJSON *parent = root, *value = NULL;
	char key[128];

	for (;;) {
		last = p + strcspn(p, ".[");
		if (*p != '[' && !*last)
			break;
		if (*p == '[' && !*(strchr(p, ']') + 1))
			break;
		parent = k8s_test_step(parent, &p);
		if (!parent)
			fail_msg("no %s in the test object", path);
	}
	if (sq_value)
		value = k8s_test_parse(sq_value);
	if (*p == '[') {
		int i = atoi(p + 1);

		if (value)
			assert_true(cJSON_ReplaceItemInArray(parent, i, value));
		else
			cJSON_DeleteItemFromArray(parent, i);
		return;
	}
	assert_true(strlen(p) < sizeof(key));
	strcpy(key, p);
	if (!value)
		cJSON_DeleteItemFromObjectCaseSensitive(parent, key);
	else if (cJSON_GetObjectItemCaseSensitive(parent, key))
		assert_true(cJSON_ReplaceItemInObjectCaseSensitive(parent, key, value));
	else
		assert_true(cJSON_AddItemToObject(parent, key, value));
}

/* Decodes json as kind, failing the test with the decoder's message when
 * it is rejected. */
static inline void *k8s_test_decode_json(enum k8s_kind kind, const cJSON *json)
{
	char err[256] = "";
	void *obj = k8s_decode(kind, json, err, sizeof(err));

	if (!obj)
		fail_msg("decode rejected a valid object: %s", err);
	assert_string_equal(err, "");
	return obj;
}

static inline void *k8s_test_decode(enum k8s_kind kind, const char *sq)
{
	cJSON *json = k8s_test_parse(sq);
	void *obj = k8s_test_decode_json(kind, json);

	/* The decoded object owns copies: the JSON can go at once. */
	cJSON_Delete(json);
	return obj;
}

/* Decodes sq after setting path to value (NULL: deleting it). */
static inline void *k8s_test_decode_with(enum k8s_kind kind, const char *sq, const char *path,
					 const char *value)
{
	cJSON *json = k8s_test_parse(sq);
	void *obj;

	k8s_test_set(json, path, value);
	obj = k8s_test_decode_json(kind, json);
	cJSON_Delete(json);
	return obj;
}

/* Expects json to be rejected with a message equal to want. */
static inline void k8s_test_reject_json(enum k8s_kind kind, const cJSON *json, const char *want)
{
	char err[256] = "";
	void *obj = k8s_decode(kind, json, err, sizeof(err));

	if (obj) {
		k8s_free(kind, obj);
		fail_msg("decode accepted an object it should reject with \"%s\"", want);
	}
	assert_string_equal(err, want);
}

static inline void k8s_test_reject(enum k8s_kind kind, const char *sq, const char *want)
{
	cJSON *json = k8s_test_parse(sq);

	k8s_test_reject_json(kind, json, want);
	cJSON_Delete(json);
}

/* Expects sq with path set to value (NULL: deleted) to be rejected. */
static inline void k8s_test_reject_with(enum k8s_kind kind, const char *sq, const char *path,
					const char *value, const char *want)
{
	cJSON *json = k8s_test_parse(sq);

	k8s_test_set(json, path, value);
	k8s_test_reject_json(kind, json, want);
	cJSON_Delete(json);
}

/* An IPv4 address in network order, as the decoded structs hold them. */
static inline uint32_t k8s_test_ip(const char *s)
{
	struct in_addr a;

	assert_int_equal(inet_pton(AF_INET, s, &a), 1);
	return a.s_addr;
}

/* The value of label key, or NULL. */
static inline const char *k8s_test_label(const struct k8s_label *labels, size_t n, const char *key)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!strcmp(labels[i].key, key))
			return labels[i].value;
	return NULL;
}

/* A table row: the base object with one change, and the exact message
 * the decoder must reject it with. */
struct k8s_reject_case {
	enum k8s_kind kind;
	const char *json; /* single-quoted base object */
	const char *path; /* the field to change */
	const char *value; /* its new single-quoted JSON value; NULL: delete it */
	const char *want;
};

static inline void k8s_test_reject_case(void **state)
{
	const struct k8s_reject_case *c = *state;

	k8s_test_reject_with(c->kind, c->json, c->path, c->value, c->want);
}

/* Runs the named tests and one test per reject row (named by its path
 * and value), as one cmocka group. */
static inline int k8s_test_run(const char *group, const struct CMUnitTest *tests, size_t n_tests,
			       const struct k8s_reject_case *cases, size_t n_cases)
{
	struct CMUnitTest *all = calloc(n_tests + n_cases, sizeof(*all));
	char **names = calloc(n_cases + 1, sizeof(*names));
	size_t i;
	int failed;

	if (!all || !names)
		return 1;
	memcpy(all, tests, n_tests * sizeof(*all));
	for (i = 0; i < n_cases; i++) {
		if (asprintf(&names[i], "rejects %s %s", cases[i].path,
			     cases[i].value ? cases[i].value : "deleted") < 0)
			return 1;
		all[n_tests + i] = (struct CMUnitTest){
			.name = names[i],
			.test_func = k8s_test_reject_case,
			.initial_state = (void *)&cases[i],
		};
	}
	failed = _cmocka_run_group_tests(group, all, n_tests + n_cases, NULL, NULL);
	for (i = 0; i < n_cases; i++)
		free(names[i]);
	free(names);
	free(all);
	return failed;
}

#endif
