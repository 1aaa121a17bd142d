/* Service decoding (node-agent/kube/k8s_service.c): the §8 example, the
 * API's defaults, dual-stack and headless cluster IPs, int-or-string
 * target ports, and every wrong type rejected with its field path. */
#include "k8s_test.h"

#define SVC SERVICE_EXAMPLE
#define MINIMAL "{'metadata':{'name':'m','namespace':'ns'}}"

static struct k8s_service *svc_with(const char *path, const char *value)
{
	return k8s_test_decode_with(K8S_SERVICE, SVC, path, value);
}

static void test_example_decodes_to_every_field(void **state)
{
	struct k8s_service *s = k8s_test_decode(K8S_SERVICE, SVC);

	(void)state;
	assert_string_equal(s->meta.name, "web");
	assert_string_equal(s->meta.ns, "default");
	assert_string_equal(s->meta.uid, "u-1");
	assert_string_equal(s->meta.resource_version, "1007");
	assert_int_equal(s->meta.n_labels, 1);
	assert_string_equal(k8s_test_label(s->meta.labels, 1, "app"), "web");
	assert_int_equal(s->type, K8S_SVC_LOAD_BALANCER);
	assert_false(s->headless);
	assert_int_equal(s->cluster_ip, k8s_test_ip("10.96.0.11"));

	assert_int_equal(s->n_ports, 2);
	assert_string_equal(s->ports[0].name, "http");
	assert_int_equal(s->ports[0].proto, IPPROTO_TCP);
	assert_int_equal(s->ports[0].port, 80);
	assert_int_equal(s->ports[0].node_port, 30080);
	assert_int_equal(s->ports[0].target_port.num, 8080);
	assert_null(s->ports[0].target_port.name);
	assert_string_equal(s->ports[1].name, "dns");
	assert_int_equal(s->ports[1].proto, IPPROTO_UDP);
	assert_int_equal(s->ports[1].port, 53);
	assert_int_equal(s->ports[1].node_port, 30053);
	assert_int_equal(s->ports[1].target_port.num, 0);
	assert_string_equal(s->ports[1].target_port.name, "dns");

	assert_int_equal(s->n_external_ips, 1);
	assert_int_equal(s->external_ips[0], k8s_test_ip("198.51.100.7"));
	assert_int_equal(s->n_lb_ips, 1);
	assert_int_equal(s->lb_ips[0], k8s_test_ip("203.0.113.10"));
	assert_true(s->etp_local);
	assert_false(s->itp_local);
	assert_true(s->affinity_client_ip);
	assert_int_equal(s->affinity_timeout, 10800);
	k8s_free(K8S_SERVICE, s);
}

/* Ports, their names and the address lists share one block: a cache of
 * 10,000 services pays one allocation each, not one per string. */
static void test_ports_strings_and_addresses_share_one_block(void **state)
{
	struct k8s_service *s = k8s_test_decode(K8S_SERVICE, SVC);
	const char *block = s->block, *ports = (const char *)s->ports;

	(void)state;
	assert_ptr_equal(ports, block);
	assert_true((const char *)s->external_ips >= ports + 2 * sizeof(*s->ports));
	assert_true((const char *)s->lb_ips > (const char *)s->external_ips);
	assert_true(s->ports[0].name > (const char *)s->lb_ips);
	assert_true(s->ports[1].target_port.name > s->ports[1].name);
	assert_int_equal(s->lb_ips[0], k8s_test_ip("203.0.113.10"));
	assert_int_equal(s->external_ips[0], k8s_test_ip("198.51.100.7"));
	k8s_free(K8S_SERVICE, s);
}

static void test_minimal_service_gets_the_api_defaults(void **state)
{
	struct k8s_service *s = k8s_test_decode(K8S_SERVICE, MINIMAL);

	(void)state;
	assert_int_equal(s->type, K8S_SVC_CLUSTER_IP);
	assert_false(s->headless);
	assert_int_equal(s->cluster_ip, 0);
	assert_int_equal(s->n_ports, 0);
	assert_int_equal(s->n_external_ips, 0);
	assert_int_equal(s->n_lb_ips, 0);
	assert_false(s->etp_local);
	assert_false(s->itp_local);
	assert_false(s->affinity_client_ip);
	assert_int_equal(s->affinity_timeout, 0);
	assert_null(s->meta.uid);
	assert_null(s->meta.resource_version);
	assert_int_equal(s->meta.n_labels, 0);
	k8s_free(K8S_SERVICE, s);
}

static void test_every_type_is_known(void **state)
{
	static const struct {
		const char *json;
		enum k8s_service_type type;
	} types[] = {
		{ "'ClusterIP'", K8S_SVC_CLUSTER_IP },
		{ "'NodePort'", K8S_SVC_NODE_PORT },
		{ "'LoadBalancer'", K8S_SVC_LOAD_BALANCER },
		{ "'ExternalName'", K8S_SVC_EXTERNAL_NAME },
		{ "null", K8S_SVC_CLUSTER_IP },
	};
	size_t i;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(types); i++) {
		struct k8s_service *s = svc_with("spec.type", types[i].json);

		assert_int_equal(s->type, types[i].type);
		k8s_free(K8S_SERVICE, s);
	}
}

static void test_cluster_ip_none_is_headless_with_no_ip(void **state)
{
	struct k8s_service *s = svc_with("spec.clusterIP", "'None'");

	(void)state;
	/* clusterIPs still says 10.96.0.11 in the example: None wins. */
	assert_true(s->headless);
	assert_int_equal(s->cluster_ip, 0);
	k8s_free(K8S_SERVICE, s);
}

static void test_cluster_ips_none_alone_is_headless(void **state)
{
	cJSON *json = k8s_test_parse(SVC);
	struct k8s_service *s;

	(void)state;
	k8s_test_set(json, "spec.clusterIP", NULL);
	k8s_test_set(json, "spec.clusterIPs", "['None']");
	s = k8s_test_decode_json(K8S_SERVICE, json);
	assert_true(s->headless);
	assert_int_equal(s->cluster_ip, 0);
	k8s_free(K8S_SERVICE, s);
	cJSON_Delete(json);
}

static void test_dual_stack_ipv6_first_takes_the_ipv4(void **state)
{
	cJSON *json = k8s_test_parse(SVC);
	struct k8s_service *s;

	(void)state;
	k8s_test_set(json, "spec.clusterIP", "'fd00:96::11'");
	k8s_test_set(json, "spec.clusterIPs", "['fd00:96::11','10.96.0.12']");
	s = k8s_test_decode_json(K8S_SERVICE, json);
	assert_false(s->headless);
	assert_int_equal(s->cluster_ip, k8s_test_ip("10.96.0.12"));
	k8s_free(K8S_SERVICE, s);
	cJSON_Delete(json);
}

static void test_ipv6_only_service_has_no_cluster_ip(void **state)
{
	cJSON *json = k8s_test_parse(SVC);
	struct k8s_service *s;

	(void)state;
	k8s_test_set(json, "spec.clusterIP", "'fd00:96::11'");
	k8s_test_set(json, "spec.clusterIPs", "['fd00:96::11']");
	k8s_test_set(json, "spec.externalIPs", "['2001:db8::7']");
	k8s_test_set(json, "status.loadBalancer.ingress", "[{'ip':'2001:db8::10'}]");
	s = k8s_test_decode_json(K8S_SERVICE, json);
	assert_int_equal(s->cluster_ip, 0);
	assert_int_equal(s->n_external_ips, 0);
	assert_int_equal(s->n_lb_ips, 0);
	k8s_free(K8S_SERVICE, s);
	cJSON_Delete(json);
}

static void test_empty_cluster_ip_means_none_yet(void **state)
{
	cJSON *json = k8s_test_parse(SVC);
	struct k8s_service *s;

	(void)state;
	k8s_test_set(json, "spec.clusterIP", "''");
	k8s_test_set(json, "spec.clusterIPs", NULL);
	s = k8s_test_decode_json(K8S_SERVICE, json);
	assert_int_equal(s->cluster_ip, 0);
	assert_false(s->headless);
	k8s_free(K8S_SERVICE, s);
	cJSON_Delete(json);
}

static void test_ports_null_absent_and_empty_are_no_ports(void **state)
{
	static const char *const empties[] = { "null", "[]", NULL };
	size_t i;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(empties); i++) {
		struct k8s_service *s = svc_with("spec.ports", empties[i]);

		assert_int_equal(s->n_ports, 0);
		k8s_free(K8S_SERVICE, s);
	}
}

static void test_port_defaults_tcp_unnamed_target_same_as_port(void **state)
{
	struct k8s_service *s = svc_with("spec.ports", "[{'port':443}]");

	(void)state;
	assert_int_equal(s->n_ports, 1);
	assert_string_equal(s->ports[0].name, "");
	assert_int_equal(s->ports[0].proto, IPPROTO_TCP);
	assert_int_equal(s->ports[0].port, 443);
	assert_int_equal(s->ports[0].node_port, 0);
	assert_int_equal(s->ports[0].target_port.num, 0);
	assert_null(s->ports[0].target_port.name);
	k8s_free(K8S_SERVICE, s);
}

static void test_sctp_port(void **state)
{
	struct k8s_service *s = svc_with("spec.ports[0].protocol", "'SCTP'");

	(void)state;
	assert_int_equal(s->ports[0].proto, IPPROTO_SCTP);
	k8s_free(K8S_SERVICE, s);
}

/* IntOrString: a JSON string is a port name even when it looks numeric;
 * 0 and "" are unset (the API then defaults targetPort to port). */
static void test_target_port_is_int_or_string(void **state)
{
	static const struct {
		const char *json;
		uint16_t num;
		const char *name;
	} refs[] = {
		{ "8443", 8443, NULL },	  { "'https'", 0, "https" }, { "'8080'", 0, "8080" },
		{ "0", 0, NULL },	  { "''", 0, NULL },	     { "null", 0, NULL },
		{ "65535", 65535, NULL },
	};
	size_t i;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(refs); i++) {
		struct k8s_service *s = svc_with("spec.ports[0].targetPort", refs[i].json);

		assert_int_equal(s->ports[0].target_port.num, refs[i].num);
		if (refs[i].name)
			assert_string_equal(s->ports[0].target_port.name, refs[i].name);
		else
			assert_null(s->ports[0].target_port.name);
		k8s_free(K8S_SERVICE, s);
	}
}

static void test_integral_float_port_is_accepted(void **state)
{
	struct k8s_service *s = svc_with("spec.ports[0].port", "8.0e1");

	(void)state;
	assert_int_equal(s->ports[0].port, 80);
	k8s_free(K8S_SERVICE, s);
}

static void test_external_ips_keep_every_ipv4_and_skip_ipv6(void **state)
{
	struct k8s_service *s =
		svc_with("spec.externalIPs", "['198.51.100.7','2001:db8::1','198.51.100.8']");

	(void)state;
	assert_int_equal(s->n_external_ips, 2);
	assert_int_equal(s->external_ips[0], k8s_test_ip("198.51.100.7"));
	assert_int_equal(s->external_ips[1], k8s_test_ip("198.51.100.8"));
	k8s_free(K8S_SERVICE, s);
}

static void test_lb_ingress_skips_hostname_only_entries(void **state)
{
	struct k8s_service *s = svc_with("status.loadBalancer.ingress",
					 "[{'hostname':'lb.example.com'},{'ip':'203.0.113.11',"
					 "'ipMode':'VIP'},{'ip':'203.0.113.12','hostname':'x'}]");

	(void)state;
	assert_int_equal(s->n_lb_ips, 2);
	assert_int_equal(s->lb_ips[0], k8s_test_ip("203.0.113.11"));
	assert_int_equal(s->lb_ips[1], k8s_test_ip("203.0.113.12"));
	k8s_free(K8S_SERVICE, s);
}

static void test_status_and_lb_ingress_may_be_null_or_empty(void **state)
{
	static const struct {
		const char *path, *value;
	} empties[] = {
		{ "status", NULL },
		{ "status", "null" },
		{ "status", "{}" },
		{ "status.loadBalancer", "{}" },
		{ "status.loadBalancer.ingress", "null" },
		{ "status.loadBalancer.ingress", "[]" },
	};
	size_t i;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(empties); i++) {
		struct k8s_service *s = svc_with(empties[i].path, empties[i].value);

		assert_int_equal(s->n_lb_ips, 0);
		k8s_free(K8S_SERVICE, s);
	}
}

static void test_external_traffic_policy(void **state)
{
	static const struct {
		const char *json;
		bool local;
	} policies[] = {
		{ "'Local'", true },
		{ "'Cluster'", false },
		{ "'Global'", false }, /* the pre-1.23 name of Cluster */
		{ NULL, false },
	};
	size_t i;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(policies); i++) {
		struct k8s_service *s = svc_with("spec.externalTrafficPolicy", policies[i].json);

		assert_int_equal(s->etp_local, policies[i].local);
		k8s_free(K8S_SERVICE, s);
	}
}

static void test_internal_traffic_policy_local(void **state)
{
	struct k8s_service *s = svc_with("spec.internalTrafficPolicy", "'Local'");

	(void)state;
	assert_true(s->itp_local);
	k8s_free(K8S_SERVICE, s);
}

static void test_client_ip_affinity_defaults_to_10800_seconds(void **state)
{
	struct k8s_service *s = svc_with("spec.sessionAffinityConfig", NULL);

	(void)state;
	assert_true(s->affinity_client_ip);
	assert_int_equal(s->affinity_timeout, 10800);
	k8s_free(K8S_SERVICE, s);
}

static void test_client_ip_affinity_timeout_is_read(void **state)
{
	struct k8s_service *s =
		svc_with("spec.sessionAffinityConfig.clientIP.timeoutSeconds", "86400");

	(void)state;
	assert_int_equal(s->affinity_timeout, 86400);
	k8s_free(K8S_SERVICE, s);
}

static void test_affinity_none_ignores_the_config(void **state)
{
	cJSON *json = k8s_test_parse(SVC);
	struct k8s_service *s;

	(void)state;
	k8s_test_set(json, "spec.sessionAffinity", "'None'");
	k8s_test_set(json, "spec.sessionAffinityConfig", "'not used'");
	s = k8s_test_decode_json(K8S_SERVICE, json);
	assert_false(s->affinity_client_ip);
	assert_int_equal(s->affinity_timeout, 0);
	k8s_free(K8S_SERVICE, s);
	cJSON_Delete(json);
}

/* Fields the agent does not read may hold anything. */
static void test_unused_fields_are_ignored_whatever_their_type(void **state)
{
	static const char *const unused[] = {
		"spec.selector",
		"spec.ipFamilies",
		"spec.ipFamilyPolicy",
		"spec.healthCheckNodePort",
		"spec.ports[0].appProtocol",
		"metadata.annotations",
		"apiVersion",
		"status.conditions",
	};
	size_t i;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(unused); i++) {
		struct k8s_service *s = svc_with(unused[i], "[{'x':1.5},true]");

		assert_int_equal(s->n_ports, 2);
		k8s_free(K8S_SERVICE, s);
	}
}

#define PORT_RANGE "expected an integer 1-65535, got "
static const struct k8s_reject_case rejects[] = {
	{ K8S_SERVICE, SVC, "spec.ports[1].port", "'53'",
	  "spec.ports[1].port: " PORT_RANGE "string" },
	{ K8S_SERVICE, SVC, "spec.ports[0].port", "80.5",
	  "spec.ports[0].port: " PORT_RANGE "80.5" },
	{ K8S_SERVICE, SVC, "spec.ports[0].port", "-1", "spec.ports[0].port: " PORT_RANGE "-1" },
	{ K8S_SERVICE, SVC, "spec.ports[0].port", "0", "spec.ports[0].port: " PORT_RANGE "0" },
	{ K8S_SERVICE, SVC, "spec.ports[0].port", "65536",
	  "spec.ports[0].port: " PORT_RANGE "65536" },
	{ K8S_SERVICE, SVC, "spec.ports[0].port", "1e10",
	  "spec.ports[0].port: " PORT_RANGE "10000000000" },
	{ K8S_SERVICE, SVC, "spec.ports[0].port", "true",
	  "spec.ports[0].port: " PORT_RANGE "boolean" },
	{ K8S_SERVICE, SVC, "spec.ports[0].port", NULL, "spec.ports[0].port: required" },
	{ K8S_SERVICE, SVC, "spec.ports[0].port", "null", "spec.ports[0].port: required" },
	{ K8S_SERVICE, SVC, "spec.ports[0].nodePort", "'30080'",
	  "spec.ports[0].nodePort: expected an integer 0-65535, got string" },
	{ K8S_SERVICE, SVC, "spec.ports[0].targetPort", "80.5",
	  "spec.ports[0].targetPort: expected an integer 0-65535, got 80.5" },
	{ K8S_SERVICE, SVC, "spec.ports[0].targetPort", "-8080",
	  "spec.ports[0].targetPort: expected an integer 0-65535, got -8080" },
	{ K8S_SERVICE, SVC, "spec.ports[0].targetPort", "{'port':8080}",
	  "spec.ports[0].targetPort: expected an integer 0-65535 or a port name, got object" },
	{ K8S_SERVICE, SVC, "spec.ports[0].protocol", "'ICMP'",
	  "spec.ports[0].protocol: expected one of TCP, UDP, SCTP, got \"ICMP\"" },
	{ K8S_SERVICE, SVC, "spec.ports[0].protocol", "'tcp'",
	  "spec.ports[0].protocol: expected one of TCP, UDP, SCTP, got \"tcp\"" },
	{ K8S_SERVICE, SVC, "spec.ports[0].name", "7",
	  "spec.ports[0].name: expected a string, got number" },
	{ K8S_SERVICE, SVC, "spec.ports[1]", "'dns'",
	  "spec.ports[1]: expected an object, got string" },
	{ K8S_SERVICE, SVC, "spec.ports", "{'port':80}",
	  "spec.ports: expected a list, got object" },
	{ K8S_SERVICE, SVC, "spec.ports", "'80'", "spec.ports: expected a list, got string" },
	{ K8S_SERVICE, SVC, "spec.type", "'Headless'",
	  "spec.type: expected one of ClusterIP, NodePort, LoadBalancer, ExternalName, "
	  "got \"Headless\"" },
	{ K8S_SERVICE, SVC, "spec.type", "1", "spec.type: expected a string, got number" },
	{ K8S_SERVICE, SVC, "spec.clusterIP", "'10.96.0.300'",
	  "spec.clusterIP: expected an IP address, got \"10.96.0.300\"" },
	{ K8S_SERVICE, SVC, "spec.clusterIP", "'none'",
	  "spec.clusterIP: expected an IP address, got \"none\"" },
	{ K8S_SERVICE, SVC, "spec.clusterIP", "['10.96.0.11']",
	  "spec.clusterIP: expected a string, got array" },
	{ K8S_SERVICE, SVC, "spec.clusterIPs", "['10.96.0.11','garbage']",
	  "spec.clusterIPs[1]: expected an IP address, got \"garbage\"" },
	{ K8S_SERVICE, SVC, "spec.clusterIPs", "'10.96.0.11'",
	  "spec.clusterIPs: expected a list, got string" },
	{ K8S_SERVICE, SVC, "spec.externalIPs", "['198.51.100.7',7]",
	  "spec.externalIPs[1]: expected a string, got number" },
	{ K8S_SERVICE, SVC, "spec.externalIPs", "['198.51.100.7/32']",
	  "spec.externalIPs[0]: expected an IP address, got \"198.51.100.7/32\"" },
	/* Found by fuzz_k8s_decode: stored, it read as "no address" (0). */
	{ K8S_SERVICE, SVC, "spec.externalIPs", "['0.0.0.0']",
	  "spec.externalIPs[0]: expected an IP address, got the unspecified 0.0.0.0" },
	{ K8S_SERVICE, SVC, "spec.clusterIP", "'0.0.0.0'",
	  "spec.clusterIP: expected an IP address, got the unspecified 0.0.0.0" },
	{ K8S_SERVICE, SVC, "spec.externalTrafficPolicy", "'Nearest'",
	  "spec.externalTrafficPolicy: expected one of Cluster, Local, Global, got \"Nearest\"" },
	{ K8S_SERVICE, SVC, "spec.internalTrafficPolicy", "true",
	  "spec.internalTrafficPolicy: expected a string, got boolean" },
	{ K8S_SERVICE, SVC, "spec.sessionAffinity", "'Cookie'",
	  "spec.sessionAffinity: expected one of None, ClientIP, got \"Cookie\"" },
	{ K8S_SERVICE, SVC, "spec.sessionAffinityConfig.clientIP.timeoutSeconds", "0",
	  "spec.sessionAffinityConfig.clientIP.timeoutSeconds: expected an integer 1-86400, "
	  "got 0" },
	{ K8S_SERVICE, SVC, "spec.sessionAffinityConfig.clientIP.timeoutSeconds", "86401",
	  "spec.sessionAffinityConfig.clientIP.timeoutSeconds: expected an integer 1-86400, "
	  "got 86401" },
	{ K8S_SERVICE, SVC, "spec.sessionAffinityConfig.clientIP", "[]",
	  "spec.sessionAffinityConfig.clientIP: expected an object, got array" },
	{ K8S_SERVICE, SVC, "status.loadBalancer.ingress", "[{'ip':'lb.example.com'}]",
	  "status.loadBalancer.ingress[0].ip: expected an IP address, got \"lb.example.com\"" },
	{ K8S_SERVICE, SVC, "status.loadBalancer.ingress", "['203.0.113.10']",
	  "status.loadBalancer.ingress[0]: expected an object, got string" },
	{ K8S_SERVICE, SVC, "status.loadBalancer", "'x'",
	  "status.loadBalancer: expected an object, got string" },
	{ K8S_SERVICE, SVC, "status", "[]", "status: expected an object, got array" },
	{ K8S_SERVICE, SVC, "spec", "[]", "spec: expected an object, got array" },
};

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_example_decodes_to_every_field),
		cmocka_unit_test(test_ports_strings_and_addresses_share_one_block),
		cmocka_unit_test(test_minimal_service_gets_the_api_defaults),
		cmocka_unit_test(test_every_type_is_known),
		cmocka_unit_test(test_cluster_ip_none_is_headless_with_no_ip),
		cmocka_unit_test(test_cluster_ips_none_alone_is_headless),
		cmocka_unit_test(test_dual_stack_ipv6_first_takes_the_ipv4),
		cmocka_unit_test(test_ipv6_only_service_has_no_cluster_ip),
		cmocka_unit_test(test_empty_cluster_ip_means_none_yet),
		cmocka_unit_test(test_ports_null_absent_and_empty_are_no_ports),
		cmocka_unit_test(test_port_defaults_tcp_unnamed_target_same_as_port),
		cmocka_unit_test(test_sctp_port),
		cmocka_unit_test(test_target_port_is_int_or_string),
		cmocka_unit_test(test_integral_float_port_is_accepted),
		cmocka_unit_test(test_external_ips_keep_every_ipv4_and_skip_ipv6),
		cmocka_unit_test(test_lb_ingress_skips_hostname_only_entries),
		cmocka_unit_test(test_status_and_lb_ingress_may_be_null_or_empty),
		cmocka_unit_test(test_external_traffic_policy),
		cmocka_unit_test(test_internal_traffic_policy_local),
		cmocka_unit_test(test_client_ip_affinity_defaults_to_10800_seconds),
		cmocka_unit_test(test_client_ip_affinity_timeout_is_read),
		cmocka_unit_test(test_affinity_none_ignores_the_config),
		cmocka_unit_test(test_unused_fields_are_ignored_whatever_their_type),
	};

	return k8s_test_run("k8s_service", tests, ARRAY_SIZE(tests), rejects, ARRAY_SIZE(rejects));
}
