/* Node and Pod decoding (node-agent/kube/k8s_node.c, k8s_pod.c): the §8
 * examples, the first IPv4 of dual-stack lists, unassigned CIDRs and pod
 * IPs, container ports, and wrong types rejected with their path. */
#include "k8s_test.h"

static struct k8s_node *node_with(const char *path, const char *value)
{
	return k8s_test_decode_with(K8S_NODE, NODE_EXAMPLE, path, value);
}

static struct k8s_pod *pod_with(const char *path, const char *value)
{
	return k8s_test_decode_with(K8S_POD, POD_EXAMPLE, path, value);
}

static void test_node_example_decodes_to_every_field(void **state)
{
	struct k8s_node *n = k8s_test_decode(K8S_NODE, NODE_EXAMPLE);

	(void)state;
	assert_string_equal(n->meta.name, "node-a");
	assert_null(n->meta.ns);
	assert_string_equal(k8s_test_label(n->meta.labels, n->meta.n_labels,
					   "kubernetes.io/hostname"),
			    "node-a");
	assert_int_equal(n->pod_cidr, k8s_test_ip("10.244.1.0"));
	assert_int_equal(n->pod_cidr_len, 24);
	assert_int_equal(n->internal_ip, k8s_test_ip("192.0.2.11"));
	assert_int_equal(n->external_ip, 0);
	k8s_free(K8S_NODE, n);
}

static void test_node_pod_cidrs_ipv6_first_takes_the_ipv4(void **state)
{
	cJSON *json = k8s_test_parse(NODE_EXAMPLE);
	struct k8s_node *n;

	(void)state;
	k8s_test_set(json, "spec.podCIDR", "'fd00:10:244:2::/64'");
	k8s_test_set(json, "spec.podCIDRs", "['fd00:10:244:2::/64','10.244.2.0/24']");
	n = k8s_test_decode_json(K8S_NODE, json);
	assert_int_equal(n->pod_cidr, k8s_test_ip("10.244.2.0"));
	assert_int_equal(n->pod_cidr_len, 24);
	k8s_free(K8S_NODE, n);
	cJSON_Delete(json);
}

static void test_node_pod_cidr_alone_is_used(void **state)
{
	cJSON *json = k8s_test_parse(NODE_EXAMPLE);
	struct k8s_node *n;

	(void)state;
	k8s_test_set(json, "spec.podCIDRs", NULL);
	k8s_test_set(json, "spec.podCIDR", "'10.244.7.0/25'");
	n = k8s_test_decode_json(K8S_NODE, json);
	assert_int_equal(n->pod_cidr, k8s_test_ip("10.244.7.0"));
	assert_int_equal(n->pod_cidr_len, 25);
	k8s_free(K8S_NODE, n);
	cJSON_Delete(json);
}

static void test_node_without_pod_cidr_is_unassigned(void **state)
{
	static const char *const specs[] = {
		NULL,
		"{}",
		"{'podCIDR':'','podCIDRs':[]}",
		"{'podCIDR':'fd00::/64','podCIDRs':['fd00::/64']}",
		"{'podCIDR':null,'podCIDRs':null}",
	};
	size_t i;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(specs); i++) {
		struct k8s_node *n = node_with("spec", specs[i]);

		assert_int_equal(n->pod_cidr, 0);
		assert_int_equal(n->pod_cidr_len, 0);
		k8s_free(K8S_NODE, n);
	}
}

static void test_node_pod_cidr_host_bits_are_cleared(void **state)
{
	struct k8s_node *n = node_with("spec.podCIDRs", "['10.244.1.1/24']");

	(void)state;
	assert_int_equal(n->pod_cidr, k8s_test_ip("10.244.1.0"));
	k8s_free(K8S_NODE, n);
}

static void test_node_addresses_first_ipv4_of_each_type(void **state)
{
	struct k8s_node *n = node_with(
		"status.addresses",
		"[{'type':'Hostname','address':'node-a'},{'type':'InternalIP','address':'fd00::11'},"
		"{'type':'InternalIP','address':'192.0.2.11'},{'type':'InternalIP','address':'192.0.2.12'},"
		"{'type':'InternalDNS','address':'node-a.cluster.local'},"
		"{'type':'ExternalIP','address':'203.0.113.5'},{'type':'SomethingNew','address':'?'},"
		"{'type':'ExternalIP'}]");

	(void)state;
	assert_int_equal(n->internal_ip, k8s_test_ip("192.0.2.11"));
	assert_int_equal(n->external_ip, k8s_test_ip("203.0.113.5"));
	k8s_free(K8S_NODE, n);
}

static void test_node_without_status_has_no_addresses(void **state)
{
	static const char *const statuses[] = { NULL, "null", "{}", "{'addresses':null}" };
	size_t i;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(statuses); i++) {
		struct k8s_node *n = node_with("status", statuses[i]);

		assert_int_equal(n->internal_ip, 0);
		assert_int_equal(n->external_ip, 0);
		k8s_free(K8S_NODE, n);
	}
}

static void test_pod_example_decodes_to_every_field(void **state)
{
	struct k8s_pod *p = k8s_test_decode(K8S_POD, POD_EXAMPLE);

	(void)state;
	assert_string_equal(p->meta.name, "web-1");
	assert_string_equal(p->meta.ns, "default");
	assert_string_equal(p->meta.uid, "u-2");
	assert_int_equal(p->meta.n_labels, 2);
	assert_string_equal(k8s_test_label(p->meta.labels, 2, "role"), "client");
	assert_string_equal(p->node_name, "node-a");
	assert_false(p->host_network);
	assert_string_equal(p->phase, "Running");
	assert_int_equal(p->pod_ip, k8s_test_ip("10.244.1.5"));
	assert_int_equal(p->n_ports, 1);
	assert_string_equal(p->ports[0].name, "http");
	assert_int_equal(p->ports[0].proto, IPPROTO_TCP);
	assert_int_equal(p->ports[0].port, 8080);
	k8s_free(K8S_POD, p);
}

/* A pending pod: no node, no phase, no IP yet. */
static void test_pending_pod_has_nothing_assigned(void **state)
{
	struct k8s_pod *p = k8s_test_decode(
		K8S_POD, "{'metadata':{'name':'p','namespace':'ns'},'spec':{'containers':[{}]}}");

	(void)state;
	assert_null(p->node_name);
	assert_false(p->host_network);
	assert_null(p->phase);
	assert_int_equal(p->pod_ip, 0);
	assert_int_equal(p->n_ports, 0);
	k8s_free(K8S_POD, p);
}

static void test_pod_ips_ipv6_first_takes_the_ipv4(void **state)
{
	cJSON *json = k8s_test_parse(POD_EXAMPLE);
	struct k8s_pod *p;

	(void)state;
	k8s_test_set(json, "status.podIP", "'fd00:10:244:1::5'");
	k8s_test_set(json, "status.podIPs", "[{'ip':'fd00:10:244:1::5'},{'ip':'10.244.1.6'}]");
	p = k8s_test_decode_json(K8S_POD, json);
	assert_int_equal(p->pod_ip, k8s_test_ip("10.244.1.6"));
	k8s_free(K8S_POD, p);
	cJSON_Delete(json);
}

static void test_pod_ip_alone_is_used(void **state)
{
	static const char *const no_list[] = { NULL, "null", "[]" };
	size_t i;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(no_list); i++) {
		cJSON *json = k8s_test_parse(POD_EXAMPLE);
		struct k8s_pod *p;

		k8s_test_set(json, "status.podIPs", no_list[i]);
		k8s_test_set(json, "status.podIP", "'10.244.1.9'");
		p = k8s_test_decode_json(K8S_POD, json);
		assert_int_equal(p->pod_ip, k8s_test_ip("10.244.1.9"));
		k8s_free(K8S_POD, p);
		cJSON_Delete(json);
	}
}

static void test_ipv6_only_pod_has_no_pod_ip(void **state)
{
	cJSON *json = k8s_test_parse(POD_EXAMPLE);
	struct k8s_pod *p;

	(void)state;
	k8s_test_set(json, "status.podIP", "'fd00::5'");
	k8s_test_set(json, "status.podIPs", "[{'ip':'fd00::5'}]");
	p = k8s_test_decode_json(K8S_POD, json);
	assert_int_equal(p->pod_ip, 0);
	k8s_free(K8S_POD, p);
	cJSON_Delete(json);
}

static void test_host_network_pod(void **state)
{
	struct k8s_pod *p = pod_with("spec.hostNetwork", "true");

	(void)state;
	assert_true(p->host_network);
	k8s_free(K8S_POD, p);
}

/* Every container's ports, in order; init containers do not serve. */
static void test_ports_of_every_container(void **state)
{
	cJSON *json = k8s_test_parse(POD_EXAMPLE);
	struct k8s_pod *p;

	(void)state;
	k8s_test_set(
		json, "spec.containers",
		"[{'name':'a','ports':[{'containerPort':80,'name':'web'},"
		"{'containerPort':53,'protocol':'UDP'}]},{'name':'b'},{'name':'c','ports':null},"
		"{'name':'d','ports':[{'containerPort':9090,'protocol':'SCTP','name':'m'}]}]");
	k8s_test_set(json, "spec.initContainers", "'ignored'");
	p = k8s_test_decode_json(K8S_POD, json);
	assert_int_equal(p->n_ports, 3);
	assert_string_equal(p->ports[0].name, "web");
	assert_int_equal(p->ports[0].port, 80);
	assert_int_equal(p->ports[0].proto, IPPROTO_TCP);
	assert_null(p->ports[1].name);
	assert_int_equal(p->ports[1].port, 53);
	assert_int_equal(p->ports[1].proto, IPPROTO_UDP);
	assert_string_equal(p->ports[2].name, "m");
	assert_int_equal(p->ports[2].port, 9090);
	assert_int_equal(p->ports[2].proto, IPPROTO_SCTP);
	k8s_free(K8S_POD, p);
	cJSON_Delete(json);
}

static void test_pod_containers_null_absent_and_empty(void **state)
{
	static const char *const empties[] = { NULL, "null", "[]" };
	size_t i;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(empties); i++) {
		struct k8s_pod *p = pod_with("spec.containers", empties[i]);

		assert_int_equal(p->n_ports, 0);
		assert_string_equal(p->node_name, "node-a");
		k8s_free(K8S_POD, p);
	}
}

static const struct k8s_reject_case rejects[] = {
	{ K8S_NODE, NODE_EXAMPLE, "spec.podCIDR", "'10.244.1.0'",
	  "spec.podCIDR: expected a CIDR (address/length), got \"10.244.1.0\"" },
	{ K8S_NODE, NODE_EXAMPLE, "spec.podCIDRs", "'10.244.1.0/24'",
	  "spec.podCIDRs: expected a list, got string" },
	{ K8S_NODE, NODE_EXAMPLE, "spec.podCIDRs", "['10.244.1.0/24',24]",
	  "spec.podCIDRs[1]: expected a string, got number" },
	{ K8S_NODE, NODE_EXAMPLE, "spec.podCIDRs", "['10.244.1.0/24','10.244.1.0/+4']",
	  "spec.podCIDRs[1]: expected a CIDR (address/length), got \"10.244.1.0/+4\"" },
	{ K8S_NODE, NODE_EXAMPLE, "spec", "'10.244.1.0/24'",
	  "spec: expected an object, got string" },
	{ K8S_NODE, NODE_EXAMPLE, "status.addresses", "{}",
	  "status.addresses: expected a list, got object" },
	{ K8S_NODE, NODE_EXAMPLE, "status.addresses[1]", "'node-a'",
	  "status.addresses[1]: expected an object, got string" },
	{ K8S_NODE, NODE_EXAMPLE, "status.addresses[0].type", NULL,
	  "status.addresses[0].type: required" },
	{ K8S_NODE, NODE_EXAMPLE, "status.addresses[0].type", "0",
	  "status.addresses[0].type: expected a string, got number" },
	{ K8S_NODE, NODE_EXAMPLE, "status.addresses[0].address", "'node-a'",
	  "status.addresses[0].address: expected an IP address, got \"node-a\"" },
	{ K8S_NODE, NODE_EXAMPLE, "status.addresses[1].address", "[]",
	  "status.addresses[1].address: expected a string, got array" },
	{ K8S_NODE, NODE_EXAMPLE, "status", "true", "status: expected an object, got boolean" },

	{ K8S_POD, POD_EXAMPLE, "spec.nodeName", "5",
	  "spec.nodeName: expected a string, got number" },
	{ K8S_POD, POD_EXAMPLE, "spec.hostNetwork", "'true'",
	  "spec.hostNetwork: expected a boolean, got string" },
	{ K8S_POD, POD_EXAMPLE, "spec.containers", "{}",
	  "spec.containers: expected a list, got object" },
	{ K8S_POD, POD_EXAMPLE, "spec.containers[0]", "'busybox'",
	  "spec.containers[0]: expected an object, got string" },
	{ K8S_POD, POD_EXAMPLE, "spec.containers[0].ports", "{'containerPort':8080}",
	  "spec.containers[0].ports: expected a list, got object" },
	{ K8S_POD, POD_EXAMPLE, "spec.containers[0].ports[0].containerPort", "'8080'",
	  "spec.containers[0].ports[0].containerPort: expected an integer 1-65535, got string" },
	{ K8S_POD, POD_EXAMPLE, "spec.containers[0].ports[0].containerPort", "0",
	  "spec.containers[0].ports[0].containerPort: expected an integer 1-65535, got 0" },
	{ K8S_POD, POD_EXAMPLE, "spec.containers[0].ports[0].containerPort", "8080.25",
	  "spec.containers[0].ports[0].containerPort: expected an integer 1-65535, got 8080.25" },
	{ K8S_POD, POD_EXAMPLE, "spec.containers[0].ports[0].containerPort", NULL,
	  "spec.containers[0].ports[0].containerPort: required" },
	{ K8S_POD, POD_EXAMPLE, "spec.containers[0].ports[0].name", "1",
	  "spec.containers[0].ports[0].name: expected a string, got number" },
	{ K8S_POD, POD_EXAMPLE, "spec.containers[0].ports[0].protocol", "'udp'",
	  "spec.containers[0].ports[0].protocol: expected one of TCP, UDP, SCTP, got \"udp\"" },
	{ K8S_POD, POD_EXAMPLE, "status.phase", "1",
	  "status.phase: expected a string, got number" },
	{ K8S_POD, POD_EXAMPLE, "status.podIP", "'10.244.1'",
	  "status.podIP: expected an IP address, got \"10.244.1\"" },
	{ K8S_POD, POD_EXAMPLE, "status.podIPs", "['10.244.1.5']",
	  "status.podIPs[0]: expected an object, got string" },
	{ K8S_POD, POD_EXAMPLE, "status.podIPs[0].ip", "'10.244.1.5.1'",
	  "status.podIPs[0].ip: expected an IP address, got \"10.244.1.5.1\"" },
	{ K8S_POD, POD_EXAMPLE, "status.podIPs", "{'ip':'10.244.1.5'}",
	  "status.podIPs: expected a list, got object" },
	{ K8S_POD, POD_EXAMPLE, "spec", "[]", "spec: expected an object, got array" },
};

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_node_example_decodes_to_every_field),
		cmocka_unit_test(test_node_pod_cidrs_ipv6_first_takes_the_ipv4),
		cmocka_unit_test(test_node_pod_cidr_alone_is_used),
		cmocka_unit_test(test_node_without_pod_cidr_is_unassigned),
		cmocka_unit_test(test_node_pod_cidr_host_bits_are_cleared),
		cmocka_unit_test(test_node_addresses_first_ipv4_of_each_type),
		cmocka_unit_test(test_node_without_status_has_no_addresses),
		cmocka_unit_test(test_pod_example_decodes_to_every_field),
		cmocka_unit_test(test_pending_pod_has_nothing_assigned),
		cmocka_unit_test(test_pod_ips_ipv6_first_takes_the_ipv4),
		cmocka_unit_test(test_pod_ip_alone_is_used),
		cmocka_unit_test(test_ipv6_only_pod_has_no_pod_ip),
		cmocka_unit_test(test_host_network_pod),
		cmocka_unit_test(test_ports_of_every_container),
		cmocka_unit_test(test_pod_containers_null_absent_and_empty),
	};

	return k8s_test_run("k8s_node_pod", tests, ARRAY_SIZE(tests), rejects, ARRAY_SIZE(rejects));
}
