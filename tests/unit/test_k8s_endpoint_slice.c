/* EndpointSlice decoding (node-agent/kube/k8s_endpoint_slice.c): the §8
 * example, the owning Service's label, the API's condition defaults,
 * null/absent/[] lists, "all ports" and IPv6/FQDN slices. */
#include "k8s_test.h"

#define EPS ENDPOINT_SLICE_EXAMPLE

static struct k8s_endpoint_slice *eps_with(const char *path, const char *value)
{
	return k8s_test_decode_with(K8S_ENDPOINT_SLICE, EPS, path, value);
}

static void test_example_decodes_to_every_field(void **state)
{
	struct k8s_endpoint_slice *s = k8s_test_decode(K8S_ENDPOINT_SLICE, EPS);

	(void)state;
	assert_string_equal(s->meta.name, "web-abc12");
	assert_string_equal(s->meta.ns, "default");
	assert_string_equal(s->meta.resource_version, "1008");
	/* Checked, not kept: service_name is the label the agent reads. */
	assert_int_equal(s->meta.n_labels, 0);
	assert_null(s->meta.labels);
	assert_string_equal(s->service_name, "web");
	assert_int_equal(s->address_type, K8S_ADDR_IPV4);

	assert_int_equal(s->n_endpoints, 2);
	assert_int_equal(s->endpoints[0].addr, k8s_test_ip("10.244.1.5"));
	assert_true(s->endpoints[0].ready);
	assert_true(s->endpoints[0].serving);
	assert_false(s->endpoints[0].terminating);
	assert_string_equal(k8s_endpoint_node(s, &s->endpoints[0]), "node-a");
	assert_int_equal(s->endpoints[1].addr, k8s_test_ip("10.244.2.7"));
	assert_false(s->endpoints[1].ready);
	assert_true(s->endpoints[1].serving);
	assert_true(s->endpoints[1].terminating);
	assert_string_equal(k8s_endpoint_node(s, &s->endpoints[1]), "node-b");
	assert_int_equal(s->n_node_names, 2);

	assert_int_equal(s->n_ports, 1);
	assert_string_equal(s->ports[0].name, "http");
	assert_int_equal(s->ports[0].proto, IPPROTO_TCP);
	assert_int_equal(s->ports[0].port, 8080);
	k8s_free(K8S_ENDPOINT_SLICE, s);
}

static void test_list_item_without_kind_decodes(void **state)
{
	struct k8s_endpoint_slice *s = eps_with("kind", NULL);

	(void)state;
	assert_int_equal(s->n_endpoints, 2);
	k8s_free(K8S_ENDPOINT_SLICE, s);
}

static void test_no_service_name_label_is_null(void **state)
{
	struct k8s_endpoint_slice *s = eps_with("metadata.labels", NULL);

	(void)state;
	assert_null(s->service_name);
	assert_int_equal(s->meta.n_labels, 0);
	k8s_free(K8S_ENDPOINT_SLICE, s);
}

/* endpoints and ports have no omitempty in the Go types: real servers
 * send null. */
static void test_endpoints_and_ports_null_absent_and_empty_are_none(void **state)
{
	static const char *const empties[] = { "null", "[]", NULL };
	size_t i;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(empties); i++) {
		cJSON *json = k8s_test_parse(EPS);
		struct k8s_endpoint_slice *s;

		k8s_test_set(json, "endpoints", empties[i]);
		k8s_test_set(json, "ports", empties[i]);
		s = k8s_test_decode_json(K8S_ENDPOINT_SLICE, json);
		assert_int_equal(s->n_endpoints, 0);
		assert_int_equal(s->n_ports, 0);
		k8s_free(K8S_ENDPOINT_SLICE, s);
		cJSON_Delete(json);
	}
}

static void test_conditions_absent_mean_ready_serving_not_terminating(void **state)
{
	static const char *const absent[] = { NULL, "null", "{}" };
	size_t i;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(absent); i++) {
		struct k8s_endpoint_slice *s = eps_with("endpoints[1].conditions", absent[i]);

		assert_true(s->endpoints[1].ready);
		assert_true(s->endpoints[1].serving);
		assert_false(s->endpoints[1].terminating);
		k8s_free(K8S_ENDPOINT_SLICE, s);
	}
}

static void test_serving_nil_follows_ready(void **state)
{
	static const struct {
		const char *conditions;
		bool ready, serving, terminating;
	} cases[] = {
		{ "{'ready':false}", false, false, false },
		{ "{'ready':true}", true, true, false },
		{ "{'ready':false,'serving':null}", false, false, false },
		{ "{'ready':null,'serving':false}", true, false, false },
		{ "{'terminating':true}", true, true, true },
		{ "{'ready':false,'serving':true,'terminating':true}", false, true, true },
	};
	size_t i;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		struct k8s_endpoint_slice *s =
			eps_with("endpoints[0].conditions", cases[i].conditions);

		assert_int_equal(s->endpoints[0].ready, cases[i].ready);
		assert_int_equal(s->endpoints[0].serving, cases[i].serving);
		assert_int_equal(s->endpoints[0].terminating, cases[i].terminating);
		k8s_free(K8S_ENDPOINT_SLICE, s);
	}
}

static void test_endpoint_without_node_name_or_addresses(void **state)
{
	struct k8s_endpoint_slice *s = eps_with("endpoints[1]", "{}");

	(void)state;
	assert_null(k8s_endpoint_node(s, &s->endpoints[1]));
	assert_int_equal(s->endpoints[1].node, K8S_NO_NODE);
	assert_int_equal(s->endpoints[1].addr, 0);
	assert_int_equal(s->n_node_names, 1);
	assert_true(s->endpoints[1].ready);
	k8s_free(K8S_ENDPOINT_SLICE, s);
}

/* The API gives addresses after the first no meaning: the first IPv4
 * one is kept, the rest only checked. */
static void test_first_ipv4_address_kept_the_rest_checked(void **state)
{
	static const struct {
		const char *addresses, *want;
	} cases[] = {
		{ "['10.244.1.5','10.244.1.6']", "10.244.1.5" },
		{ "['fd00::5','10.244.1.6','10.244.1.7']", "10.244.1.6" },
		{ "['fd00::5']", NULL },
		{ "[]", NULL },
	};
	size_t i;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		struct k8s_endpoint_slice *s =
			eps_with("endpoints[0].addresses", cases[i].addresses);

		assert_int_equal(s->endpoints[0].addr,
				 cases[i].want ? k8s_test_ip(cases[i].want) : 0);
		k8s_free(K8S_ENDPOINT_SLICE, s);
	}
}

/* Endpoints on the same node share one copy of its name. */
static void test_node_names_kept_once_per_slice(void **state)
{
	struct k8s_endpoint_slice *s = eps_with(
		"endpoints",
		"[{'addresses':['10.244.1.5'],'nodeName':'node-b'},{'addresses':['10.244.1.6']},"
		"{'addresses':['10.244.1.7'],'nodeName':'node-a'},"
		"{'addresses':['10.244.1.8'],'nodeName':'node-b'}]");

	(void)state;
	assert_int_equal(s->n_endpoints, 4);
	assert_int_equal(s->n_node_names, 2);
	assert_string_equal(k8s_endpoint_node(s, &s->endpoints[0]), "node-b");
	assert_null(k8s_endpoint_node(s, &s->endpoints[1]));
	assert_string_equal(k8s_endpoint_node(s, &s->endpoints[2]), "node-a");
	assert_ptr_equal(k8s_endpoint_node(s, &s->endpoints[3]),
			 k8s_endpoint_node(s, &s->endpoints[0]));
	assert_int_equal(s->endpoints[3].addr, k8s_test_ip("10.244.1.8"));
	k8s_free(K8S_ENDPOINT_SLICE, s);
}

/* Endpoints, ports, node names and strings share one block. */
static void test_arrays_and_strings_share_one_block(void **state)
{
	struct k8s_endpoint_slice *s = k8s_test_decode(K8S_ENDPOINT_SLICE, EPS);
	const char *block = s->block;

	(void)state;
	assert_ptr_equal(s->endpoints, block);
	assert_ptr_equal(s->ports, block + 2 * sizeof(*s->endpoints));
	assert_true((const char *)s->node_names > (const char *)s->ports);
	assert_ptr_equal(s->service_name, (const char *)s->node_names + 2 * sizeof(*s->node_names));
	assert_true(s->ports[0].name > s->service_name);
	assert_true(s->node_names[0] > s->ports[0].name);
	k8s_free(K8S_ENDPOINT_SLICE, s);
}

/* An endpoint is 8 bytes: at 100,000 endpoints every byte is 100 KB. */
static void test_endpoint_is_eight_bytes(void **state)
{
	(void)state;
	assert_int_equal(sizeof(struct k8s_endpoint), 8);
}

static void test_port_without_number_means_all_ports(void **state)
{
	static const char *const absent[] = { NULL, "null" };
	size_t i;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(absent); i++) {
		struct k8s_endpoint_slice *s = eps_with("ports[0].port", absent[i]);

		assert_int_equal(s->ports[0].port, 0);
		assert_string_equal(s->ports[0].name, "http");
		k8s_free(K8S_ENDPOINT_SLICE, s);
	}
}

static void test_port_defaults_tcp_and_unnamed(void **state)
{
	struct k8s_endpoint_slice *s = eps_with("ports", "[{'port':53},{'protocol':'UDP'}]");

	(void)state;
	assert_int_equal(s->n_ports, 2);
	assert_string_equal(s->ports[0].name, "");
	assert_int_equal(s->ports[0].proto, IPPROTO_TCP);
	assert_int_equal(s->ports[0].port, 53);
	assert_int_equal(s->ports[1].proto, IPPROTO_UDP);
	assert_int_equal(s->ports[1].port, 0);
	k8s_free(K8S_ENDPOINT_SLICE, s);
}

/* The addresses of IPv6 and FQDN slices are only checked to be strings:
 * they are not IPv4, and not garbage either. */
static void test_ipv6_and_fqdn_slices_keep_endpoints_without_addresses(void **state)
{
	static const struct {
		const char *type, *addresses;
		enum k8s_address_type want;
	} slices[] = {
		{ "'IPv6'", "['fd00:10:244:1::5']", K8S_ADDR_IPV6 },
		{ "'FQDN'", "['web-1.example.com']", K8S_ADDR_FQDN },
	};
	size_t i;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(slices); i++) {
		cJSON *json = k8s_test_parse(EPS);
		struct k8s_endpoint_slice *s;

		k8s_test_set(json, "addressType", slices[i].type);
		k8s_test_set(json, "endpoints[0].addresses", slices[i].addresses);
		s = k8s_test_decode_json(K8S_ENDPOINT_SLICE, json);
		assert_int_equal(s->address_type, slices[i].want);
		assert_int_equal(s->n_endpoints, 2);
		assert_int_equal(s->endpoints[0].addr, 0);
		assert_int_equal(s->endpoints[1].addr, 0);
		assert_string_equal(k8s_endpoint_node(s, &s->endpoints[0]), "node-a");
		k8s_free(K8S_ENDPOINT_SLICE, s);
		cJSON_Delete(json);
	}
}

static void test_unused_fields_are_ignored_whatever_their_type(void **state)
{
	static const char *const unused[] = {
		"endpoints[0].zone",  "endpoints[0].targetRef",
		"endpoints[0].hints", "ports[0].appProtocol",
		"apiVersion",
	};
	size_t i;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(unused); i++) {
		struct k8s_endpoint_slice *s = eps_with(unused[i], "-1.5");

		assert_int_equal(s->n_endpoints, 2);
		k8s_free(K8S_ENDPOINT_SLICE, s);
	}
}

static const struct k8s_reject_case rejects[] = {
	{ K8S_ENDPOINT_SLICE, EPS, "addressType", NULL, "addressType: required" },
	{ K8S_ENDPOINT_SLICE, EPS, "addressType", "'ipv4'",
	  "addressType: expected one of IPv4, IPv6, FQDN, got \"ipv4\"" },
	{ K8S_ENDPOINT_SLICE, EPS, "endpoints", "{}", "endpoints: expected a list, got object" },
	{ K8S_ENDPOINT_SLICE, EPS, "endpoints[1]", "[]",
	  "endpoints[1]: expected an object, got array" },
	{ K8S_ENDPOINT_SLICE, EPS, "endpoints[0].addresses", "'10.244.1.5'",
	  "endpoints[0].addresses: expected a list, got string" },
	{ K8S_ENDPOINT_SLICE, EPS, "endpoints[1].addresses", "['10.244.2.7','bogus']",
	  "endpoints[1].addresses[1]: expected an IP address, got \"bogus\"" },
	{ K8S_ENDPOINT_SLICE, EPS, "endpoints[1].addresses", "['0.0.0.0']",
	  "endpoints[1].addresses[0]: expected an IP address, got the unspecified 0.0.0.0" },
	{ K8S_ENDPOINT_SLICE, EPS, "endpoints[1].addresses", "[167772165]",
	  "endpoints[1].addresses[0]: expected a string, got number" },
	{ K8S_ENDPOINT_SLICE, EPS, "endpoints[0].conditions.ready", "'true'",
	  "endpoints[0].conditions.ready: expected a boolean, got string" },
	{ K8S_ENDPOINT_SLICE, EPS, "endpoints[0].conditions.serving", "1",
	  "endpoints[0].conditions.serving: expected a boolean, got number" },
	{ K8S_ENDPOINT_SLICE, EPS, "endpoints[0].conditions.terminating", "{}",
	  "endpoints[0].conditions.terminating: expected a boolean, got object" },
	{ K8S_ENDPOINT_SLICE, EPS, "endpoints[0].conditions", "[true]",
	  "endpoints[0].conditions: expected an object, got array" },
	{ K8S_ENDPOINT_SLICE, EPS, "endpoints[0].nodeName", "false",
	  "endpoints[0].nodeName: expected a string, got boolean" },
	{ K8S_ENDPOINT_SLICE, EPS, "ports", "'http'", "ports: expected a list, got string" },
	{ K8S_ENDPOINT_SLICE, EPS, "ports[0].port", "'8080'",
	  "ports[0].port: expected an integer 0-65535, got string" },
	{ K8S_ENDPOINT_SLICE, EPS, "ports[0].port", "8080.5",
	  "ports[0].port: expected an integer 0-65535, got 8080.5" },
	{ K8S_ENDPOINT_SLICE, EPS, "ports[0].port", "70000",
	  "ports[0].port: expected an integer 0-65535, got 70000" },
	{ K8S_ENDPOINT_SLICE, EPS, "ports[0].protocol", "'HTTP'",
	  "ports[0].protocol: expected one of TCP, UDP, SCTP, got \"HTTP\"" },
	{ K8S_ENDPOINT_SLICE, EPS, "metadata.labels", "{'kubernetes.io/service-name':1}",
	  "metadata.labels.kubernetes.io/service-name: expected a string, got number" },
	{ K8S_ENDPOINT_SLICE, EPS, "metadata.namespace", NULL, "metadata.namespace: required" },
};

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_example_decodes_to_every_field),
		cmocka_unit_test(test_list_item_without_kind_decodes),
		cmocka_unit_test(test_no_service_name_label_is_null),
		cmocka_unit_test(test_endpoints_and_ports_null_absent_and_empty_are_none),
		cmocka_unit_test(test_conditions_absent_mean_ready_serving_not_terminating),
		cmocka_unit_test(test_serving_nil_follows_ready),
		cmocka_unit_test(test_endpoint_without_node_name_or_addresses),
		cmocka_unit_test(test_first_ipv4_address_kept_the_rest_checked),
		cmocka_unit_test(test_node_names_kept_once_per_slice),
		cmocka_unit_test(test_endpoint_is_eight_bytes),
		cmocka_unit_test(test_arrays_and_strings_share_one_block),
		cmocka_unit_test(test_port_without_number_means_all_ports),
		cmocka_unit_test(test_port_defaults_tcp_and_unnamed),
		cmocka_unit_test(test_ipv6_and_fqdn_slices_keep_endpoints_without_addresses),
		cmocka_unit_test(test_unused_fields_are_ignored_whatever_their_type),
	};

	return k8s_test_run("k8s_endpoint_slice", tests, ARRAY_SIZE(tests), rejects,
			    ARRAY_SIZE(rejects));
}
