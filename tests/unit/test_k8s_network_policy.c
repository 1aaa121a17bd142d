/* NetworkPolicy decoding (node-agent/kube/k8s_network_policy.c): the §8
 * example, policyTypes defaulting, "all peers"/"all ports" rules,
 * selectors with every operator, ipBlocks, int-or-string ports and
 * endPort. */
#include "k8s_test.h"

#define NP NETWORK_POLICY_EXAMPLE
#define MINIMAL "{'metadata':{'name':'deny','namespace':'default'},'spec':{'podSelector':{}}}"

static struct k8s_network_policy *np_with(const char *path, const char *value)
{
	return k8s_test_decode_with(K8S_NETWORK_POLICY, NP, path, value);
}

static void test_example_decodes_to_every_field(void **state)
{
	struct k8s_network_policy *np = k8s_test_decode(K8S_NETWORK_POLICY, NP);
	const struct k8s_policy_rule *in, *out;
	const struct k8s_policy_peer *p;

	(void)state;
	assert_string_equal(np->meta.name, "allow-web");
	assert_string_equal(np->meta.ns, "default");
	assert_true(np->pod_selector.present);
	assert_int_equal(np->pod_selector.n_match_labels, 1);
	assert_string_equal(np->pod_selector.match_labels[0].key, "app");
	assert_string_equal(np->pod_selector.match_labels[0].value, "web");
	assert_int_equal(np->pod_selector.n_exprs, 0);
	assert_true(np->ingress_type);
	assert_true(np->egress_type);

	assert_int_equal(np->n_ingress, 1);
	in = &np->ingress[0];
	assert_false(in->peers_absent);
	assert_int_equal(in->n_peers, 3);
	p = &in->peers[0];
	assert_true(p->pod_selector.present);
	assert_string_equal(k8s_test_label(p->pod_selector.match_labels,
					   p->pod_selector.n_match_labels, "role"),
			    "client");
	assert_false(p->ns_selector.present);
	assert_false(p->has_ip_block);
	p = &in->peers[1];
	assert_true(p->pod_selector.present);
	assert_true(p->ns_selector.present);
	assert_int_equal(p->ns_selector.n_match_labels, 0);
	assert_int_equal(p->ns_selector.n_exprs, 1);
	assert_string_equal(p->ns_selector.exprs[0].key, "team");
	assert_int_equal(p->ns_selector.exprs[0].op, K8S_SEL_IN);
	assert_int_equal(p->ns_selector.exprs[0].n_values, 2);
	assert_string_equal(p->ns_selector.exprs[0].values[0], "a");
	assert_string_equal(p->ns_selector.exprs[0].values[1], "b");
	p = &in->peers[2];
	assert_false(p->pod_selector.present);
	assert_false(p->ns_selector.present);
	assert_true(p->has_ip_block);
	assert_false(p->ip_block_ipv6);
	assert_int_equal(p->cidr, k8s_test_ip("192.0.2.0"));
	assert_int_equal(p->cidr_len, 24);
	assert_int_equal(p->n_except, 1);
	assert_int_equal(p->except[0], k8s_test_ip("192.0.2.128"));
	assert_int_equal(p->except_len[0], 25);

	assert_false(in->ports_absent);
	assert_int_equal(in->n_ports, 3);
	assert_int_equal(in->ports[0].proto, IPPROTO_TCP);
	assert_int_equal(in->ports[0].port.num, 8080);
	assert_int_equal(in->ports[0].end_port, 0);
	assert_int_equal(in->ports[1].port.num, 9000);
	assert_int_equal(in->ports[1].end_port, 9100);
	assert_int_equal(in->ports[2].port.num, 0);
	assert_string_equal(in->ports[2].port.name, "http");

	assert_int_equal(np->n_egress, 1);
	out = &np->egress[0];
	assert_int_equal(out->n_peers, 1);
	assert_true(out->peers[0].has_ip_block);
	assert_int_equal(out->peers[0].cidr, 0);
	assert_int_equal(out->peers[0].cidr_len, 0);
	assert_int_equal(out->peers[0].n_except, 0);
	assert_int_equal(out->n_ports, 1);
	assert_int_equal(out->ports[0].proto, IPPROTO_UDP);
	assert_int_equal(out->ports[0].port.num, 53);
	k8s_free(K8S_NETWORK_POLICY, np);
}

/* podSelector {} selects every pod; no ingress with type Ingress denies
 * all ingress. */
static void test_empty_selector_and_no_rules_is_deny_all_ingress(void **state)
{
	struct k8s_network_policy *np = k8s_test_decode(K8S_NETWORK_POLICY, MINIMAL);

	(void)state;
	assert_true(np->pod_selector.present);
	assert_int_equal(np->pod_selector.n_match_labels, 0);
	assert_int_equal(np->pod_selector.n_exprs, 0);
	assert_true(np->ingress_type);
	assert_false(np->egress_type);
	assert_int_equal(np->n_ingress, 0);
	assert_int_equal(np->n_egress, 0);
	k8s_free(K8S_NETWORK_POLICY, np);
}

/* The API server's defaulting: Ingress, plus Egress when spec.egress has a
 * rule (len != 0, so egress [] alone does not add it). */
static void test_policy_types_default_as_the_api_server(void **state)
{
	static const struct {
		const char *types, *egress;
		bool ingress_type, egress_type;
	} cases[] = {
		{ NULL, NULL, true, false },
		{ NULL, "[{}]", true, true },
		{ "[]", "[{}]", true, true },
		{ "null", "[{}]", true, true },
		{ NULL, "[]", true, false },
		{ "['Egress']", NULL, false, true },
		{ "['Ingress']", "[{}]", true, false },
		{ "['Egress','Ingress']", NULL, true, true },
	};
	size_t i;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		cJSON *json = k8s_test_parse(MINIMAL);
		struct k8s_network_policy *np;

		k8s_test_set(json, "spec.policyTypes", cases[i].types);
		k8s_test_set(json, "spec.egress", cases[i].egress);
		np = k8s_test_decode_json(K8S_NETWORK_POLICY, json);
		assert_int_equal(np->ingress_type, cases[i].ingress_type);
		assert_int_equal(np->egress_type, cases[i].egress_type);
		k8s_free(K8S_NETWORK_POLICY, np);
		cJSON_Delete(json);
	}
}

/* A rule without from (or with null or []) admits every source; without
 * ports, every port. */
static void test_rule_without_peers_or_ports_means_all(void **state)
{
	static const char *const rules[] = {
		"[{}]",
		"[{'from':null,'ports':null}]",
		"[{'from':[],'ports':[]}]",
	};
	size_t i;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(rules); i++) {
		struct k8s_network_policy *np = np_with("spec.ingress", rules[i]);

		assert_int_equal(np->n_ingress, 1);
		assert_true(np->ingress[0].peers_absent);
		assert_int_equal(np->ingress[0].n_peers, 0);
		assert_true(np->ingress[0].ports_absent);
		assert_int_equal(np->ingress[0].n_ports, 0);
		k8s_free(K8S_NETWORK_POLICY, np);
	}
}

static void test_egress_rule_reads_to_not_from(void **state)
{
	struct k8s_network_policy *np = np_with("spec.egress", "[{'from':[{'podSelector':{}}],"
							       "'to':[{'namespaceSelector':{}}]}]");

	(void)state;
	assert_int_equal(np->egress[0].n_peers, 1);
	assert_false(np->egress[0].peers[0].pod_selector.present);
	assert_true(np->egress[0].peers[0].ns_selector.present);
	k8s_free(K8S_NETWORK_POLICY, np);
}

static void test_selector_operators(void **state)
{
	struct k8s_network_policy *np = np_with(
		"spec.podSelector",
		"{'matchExpressions':[{'key':'a','operator':'In','values':['1']},"
		"{'key':'b','operator':'NotIn','values':['2','3']},{'key':'c','operator':'Exists'},"
		"{'key':'d','operator':'DoesNotExist','values':null}]}");
	const struct k8s_selector *sel;

	(void)state;
	sel = &np->pod_selector;
	assert_int_equal(sel->n_match_labels, 0);
	assert_int_equal(sel->n_exprs, 4);
	assert_int_equal(sel->exprs[0].op, K8S_SEL_IN);
	assert_int_equal(sel->exprs[1].op, K8S_SEL_NOT_IN);
	assert_int_equal(sel->exprs[1].n_values, 2);
	assert_string_equal(sel->exprs[1].values[1], "3");
	assert_int_equal(sel->exprs[2].op, K8S_SEL_EXISTS);
	assert_int_equal(sel->exprs[2].n_values, 0);
	assert_string_equal(sel->exprs[3].key, "d");
	assert_int_equal(sel->exprs[3].op, K8S_SEL_DOES_NOT_EXIST);
	assert_int_equal(sel->exprs[3].n_values, 0);
	k8s_free(K8S_NETWORK_POLICY, np);
}

static void test_match_labels_and_expressions_together(void **state)
{
	struct k8s_network_policy *np = np_with(
		"spec.podSelector", "{'matchLabels':{'app':'web','tier':'front'},"
				    "'matchExpressions':[{'key':'env','operator':'Exists'}]}");

	(void)state;
	assert_int_equal(np->pod_selector.n_match_labels, 2);
	assert_string_equal(k8s_test_label(np->pod_selector.match_labels, 2, "tier"), "front");
	assert_int_equal(np->pod_selector.n_exprs, 1);
	k8s_free(K8S_NETWORK_POLICY, np);
}

static void test_ip_block_host_bits_are_cleared(void **state)
{
	struct k8s_network_policy *np =
		np_with("spec.ingress[0].from[2].ipBlock",
			"{'cidr':'192.0.2.77/24','except':['192.0.2.200/25','192.0.2.5/32']}");
	const struct k8s_policy_peer *p;

	(void)state;
	p = &np->ingress[0].peers[2];
	assert_int_equal(p->cidr, k8s_test_ip("192.0.2.0"));
	assert_int_equal(p->n_except, 2);
	assert_int_equal(p->except[0], k8s_test_ip("192.0.2.128"));
	assert_int_equal(p->except[1], k8s_test_ip("192.0.2.5"));
	assert_int_equal(p->except_len[1], 32);
	k8s_free(K8S_NETWORK_POLICY, np);
}

/* An IPv6 block matches no IPv4 address: flagged, never 0.0.0.0/0. */
static void test_ipv6_ip_block_is_flagged(void **state)
{
	struct k8s_network_policy *np =
		np_with("spec.egress[0].to[0].ipBlock",
			"{'cidr':'2001:db8::/32','except':['2001:db8::/48']}");
	const struct k8s_policy_peer *p;

	(void)state;
	p = &np->egress[0].peers[0];
	assert_true(p->has_ip_block);
	assert_true(p->ip_block_ipv6);
	assert_int_equal(p->n_except, 0);
	k8s_free(K8S_NETWORK_POLICY, np);
}

static void test_port_defaults_tcp_and_may_be_absent(void **state)
{
	struct k8s_network_policy *np = np_with("spec.ingress[0].ports", "[{'port':80},{}]");
	const struct k8s_policy_rule *r;

	(void)state;
	r = &np->ingress[0];
	assert_int_equal(r->n_ports, 2);
	assert_int_equal(r->ports[0].proto, IPPROTO_TCP);
	assert_int_equal(r->ports[0].port.num, 80);
	/* {} : every TCP port */
	assert_int_equal(r->ports[1].proto, IPPROTO_TCP);
	assert_int_equal(r->ports[1].port.num, 0);
	assert_null(r->ports[1].port.name);
	k8s_free(K8S_NETWORK_POLICY, np);
}

static void test_end_port_equal_to_port_is_one_port(void **state)
{
	struct k8s_network_policy *np = np_with("spec.ingress[0].ports[1].endPort", "9000");

	(void)state;
	assert_int_equal(np->ingress[0].ports[1].end_port, 9000);
	k8s_free(K8S_NETWORK_POLICY, np);
}

static const struct k8s_reject_case rejects[] = {
	{ K8S_NETWORK_POLICY, NP, "spec", NULL, "spec: required" },
	{ K8S_NETWORK_POLICY, NP, "spec.podSelector", NULL,
	  "spec.podSelector: required (use {} to select every pod)" },
	{ K8S_NETWORK_POLICY, NP, "spec.podSelector", "'app=web'",
	  "spec.podSelector: expected an object, got string" },
	{ K8S_NETWORK_POLICY, NP, "spec.podSelector.matchLabels", "{'app':['web']}",
	  "spec.podSelector.matchLabels.app: expected a string, got array" },
	{ K8S_NETWORK_POLICY, NP, "spec.podSelector.matchLabels", "[]",
	  "spec.podSelector.matchLabels: expected an object, got array" },
	{ K8S_NETWORK_POLICY, NP,
	  "spec.ingress[0].from[1].namespaceSelector.matchExpressions[0].operator", "'Equals'",
	  "spec.ingress[0].from[1].namespaceSelector.matchExpressions[0].operator: expected one "
	  "of In, NotIn, Exists, DoesNotExist, got \"Equals\"" },
	{ K8S_NETWORK_POLICY, NP,
	  "spec.ingress[0].from[1].namespaceSelector.matchExpressions[0].operator", NULL,
	  "spec.ingress[0].from[1].namespaceSelector.matchExpressions[0].operator: required" },
	{ K8S_NETWORK_POLICY, NP,
	  "spec.ingress[0].from[1].namespaceSelector.matchExpressions[0].key", "7",
	  "spec.ingress[0].from[1].namespaceSelector.matchExpressions[0].key: expected a string, "
	  "got number" },
	{ K8S_NETWORK_POLICY, NP,
	  "spec.ingress[0].from[1].namespaceSelector.matchExpressions[0].values", "['a',1]",
	  "spec.ingress[0].from[1].namespaceSelector.matchExpressions[0].values[1]: expected a "
	  "string, got number" },
	{ K8S_NETWORK_POLICY, NP, "spec.ingress[0].from[1].namespaceSelector.matchExpressions",
	  "{}",
	  "spec.ingress[0].from[1].namespaceSelector.matchExpressions: expected a list, got object" },
	{ K8S_NETWORK_POLICY, NP, "spec.policyTypes", "['Ingress','Both']",
	  "spec.policyTypes[1]: expected Ingress or Egress, got \"Both\"" },
	{ K8S_NETWORK_POLICY, NP, "spec.policyTypes", "'Ingress'",
	  "spec.policyTypes: expected a list, got string" },
	{ K8S_NETWORK_POLICY, NP, "spec.ingress", "{}",
	  "spec.ingress: expected a list, got object" },
	{ K8S_NETWORK_POLICY, NP, "spec.egress[0]", "'all'",
	  "spec.egress[0]: expected an object, got string" },
	{ K8S_NETWORK_POLICY, NP, "spec.ingress[0].from", "{'podSelector':{}}",
	  "spec.ingress[0].from: expected a list, got object" },
	{ K8S_NETWORK_POLICY, NP, "spec.ingress[0].from[0]", "{}",
	  "spec.ingress[0].from[0]: expected podSelector, namespaceSelector or ipBlock" },
	{ K8S_NETWORK_POLICY, NP, "spec.ingress[0].from[2].podSelector", "{}",
	  "spec.ingress[0].from[2].ipBlock: not allowed with podSelector or namespaceSelector" },
	{ K8S_NETWORK_POLICY, NP, "spec.ingress[0].from[2].ipBlock.cidr", NULL,
	  "spec.ingress[0].from[2].ipBlock.cidr: required" },
	{ K8S_NETWORK_POLICY, NP, "spec.ingress[0].from[2].ipBlock.cidr", "''",
	  "spec.ingress[0].from[2].ipBlock.cidr: required" },
	{ K8S_NETWORK_POLICY, NP, "spec.ingress[0].from[2].ipBlock.cidr", "'192.0.2.0'",
	  "spec.ingress[0].from[2].ipBlock.cidr: expected a CIDR (address/length), got "
	  "\"192.0.2.0\"" },
	{ K8S_NETWORK_POLICY, NP, "spec.ingress[0].from[2].ipBlock.cidr", "'192.0.2.0/33'",
	  "spec.ingress[0].from[2].ipBlock.cidr: expected a CIDR (address/length), got "
	  "\"192.0.2.0/33\"" },
	{ K8S_NETWORK_POLICY, NP, "spec.ingress[0].from[2].ipBlock.cidr", "'2001:db8::/129'",
	  "spec.ingress[0].from[2].ipBlock.cidr: expected a CIDR (address/length), got "
	  "\"2001:db8::/129\"" },
	{ K8S_NETWORK_POLICY, NP, "spec.ingress[0].from[2].ipBlock.cidr", "24",
	  "spec.ingress[0].from[2].ipBlock.cidr: expected a string, got number" },
	{ K8S_NETWORK_POLICY, NP, "spec.ingress[0].from[2].ipBlock.except", "['192.0.2.128/x']",
	  "spec.ingress[0].from[2].ipBlock.except[0]: expected a CIDR (address/length), got "
	  "\"192.0.2.128/x\"" },
	{ K8S_NETWORK_POLICY, NP, "spec.ingress[0].from[2].ipBlock.except", "'192.0.2.128/25'",
	  "spec.ingress[0].from[2].ipBlock.except: expected a list, got string" },
	{ K8S_NETWORK_POLICY, NP, "spec.ingress[0].ports[0].port", "80.5",
	  "spec.ingress[0].ports[0].port: expected an integer 0-65535, got 80.5" },
	{ K8S_NETWORK_POLICY, NP, "spec.ingress[0].ports[0].port", "-80",
	  "spec.ingress[0].ports[0].port: expected an integer 0-65535, got -80" },
	{ K8S_NETWORK_POLICY, NP, "spec.ingress[0].ports[0].port", "[80]",
	  "spec.ingress[0].ports[0].port: expected an integer 0-65535 or a port name, got array" },
	{ K8S_NETWORK_POLICY, NP, "spec.ingress[0].ports[0].protocol", "'ANY'",
	  "spec.ingress[0].ports[0].protocol: expected one of TCP, UDP, SCTP, got \"ANY\"" },
	{ K8S_NETWORK_POLICY, NP, "spec.ingress[0].ports[2].endPort", "9100",
	  "spec.ingress[0].ports[2].endPort: only allowed with a numeric port" },
	{ K8S_NETWORK_POLICY, NP, "spec.ingress[0].ports[1].port", NULL,
	  "spec.ingress[0].ports[1].endPort: only allowed with a numeric port" },
	{ K8S_NETWORK_POLICY, NP, "spec.ingress[0].ports[1].endPort", "8999",
	  "spec.ingress[0].ports[1].endPort: 8999 is less than port 9000" },
	{ K8S_NETWORK_POLICY, NP, "spec.ingress[0].ports[1].endPort", "'9100'",
	  "spec.ingress[0].ports[1].endPort: expected an integer 1-65535, got string" },
	{ K8S_NETWORK_POLICY, NP, "spec.ingress[0].ports", "[8080]",
	  "spec.ingress[0].ports[0]: expected an object, got number" },
};

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_example_decodes_to_every_field),
		cmocka_unit_test(test_empty_selector_and_no_rules_is_deny_all_ingress),
		cmocka_unit_test(test_policy_types_default_as_the_api_server),
		cmocka_unit_test(test_rule_without_peers_or_ports_means_all),
		cmocka_unit_test(test_egress_rule_reads_to_not_from),
		cmocka_unit_test(test_selector_operators),
		cmocka_unit_test(test_match_labels_and_expressions_together),
		cmocka_unit_test(test_ip_block_host_bits_are_cleared),
		cmocka_unit_test(test_ipv6_ip_block_is_flagged),
		cmocka_unit_test(test_port_defaults_tcp_and_may_be_absent),
		cmocka_unit_test(test_end_port_equal_to_port_is_one_port),
	};

	return k8s_test_run("k8s_network_policy", tests, ARRAY_SIZE(tests), rejects,
			    ARRAY_SIZE(rejects));
}
