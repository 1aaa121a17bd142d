/* Service + EndpointSlices -> datapath entries (node-agent/translate.c):
 * which addresses a service answers on, which endpoints take new flows,
 * how ports are resolved, and what Local, affinity and the service types
 * change. */
#include "unit.h"

#include <arpa/inet.h>
#include <netinet/in.h>

#include "translate.h"

static uint32_t ip(const char *s)
{
	struct in_addr a;

	assert_int_equal(inet_pton(AF_INET, s, &a), 1);
	return a.s_addr;
}

/* A service "web" with up to 4 ports, built field by field. */
struct svc_fixture {
	struct k8s_service svc;
	struct k8s_service_port ports[4];
	uint32_t ext[2], lb[2];
};

static void svc_init(struct svc_fixture *f, enum k8s_service_type type, const char *cluster_ip)
{
	memset(f, 0, sizeof(*f));
	f->svc.meta.name = "web";
	f->svc.meta.ns = "default";
	f->svc.type = type;
	f->svc.cluster_ip = cluster_ip ? ip(cluster_ip) : 0;
	f->svc.ports = f->ports;
}

static void svc_port(struct svc_fixture *f, const char *name, uint8_t proto, uint16_t port,
		     uint16_t node_port)
{
	struct k8s_service_port *p = &f->ports[f->svc.n_ports++];

	p->name = (char *)name;
	p->proto = proto;
	p->port = port;
	p->node_port = node_port;
}

struct slice_fixture {
	struct k8s_endpoint_slice es;
	struct k8s_endpoint eps[8];
	const char *nodes[8];
	struct k8s_slice_port ports[4];
};

static void slice_init(struct slice_fixture *f)
{
	memset(f, 0, sizeof(*f));
	f->es.meta.name = "web-abc";
	f->es.meta.ns = "default";
	f->es.service_name = "web";
	f->es.address_type = K8S_ADDR_IPV4;
	f->es.endpoints = f->eps;
	f->es.ports = f->ports;
	f->es.node_names = f->nodes;
}

static void slice_port(struct slice_fixture *f, const char *name, uint8_t proto, uint16_t port)
{
	struct k8s_slice_port *p = &f->ports[f->es.n_ports++];

	p->name = name;
	p->proto = proto;
	p->port = port;
}

enum cond { READY, NOT_READY, TERMINATING_SERVING, TERMINATING };

static void slice_ep(struct slice_fixture *f, const char *addr, const char *node, enum cond c)
{
	size_t i = f->es.n_endpoints++;
	struct k8s_endpoint *e = &f->eps[i];

	e->addr = ip(addr);
	e->node = K8S_NO_NODE;
	if (node) {
		e->node = (uint16_t)f->es.n_node_names;
		f->nodes[f->es.n_node_names++] = node;
	}
	e->ready = c == READY;
	e->serving = c == READY || c == TERMINATING_SERVING;
	e->terminating = c == TERMINATING_SERVING || c == TERMINATING;
}

static const struct lb_entry *find(const struct lb_entries *e, const char *vip, uint16_t port,
				   uint8_t proto)
{
	for (size_t i = 0; i < e->n; i++) {
		const struct svc_key *k = &e->v[i].key;

		if (k->vip == (vip ? ip(vip) : 0) && k->port == htons(port) && k->proto == proto)
			return &e->v[i];
	}
	fail_msg("no entry %s:%u/%u", vip ? vip : "*", port, proto);
	return NULL;
}

static void assert_backends(const struct lb_entry *e, const char *const *want, size_t n)
{
	assert_int_equal(e->n_backends, n);
	for (size_t i = 0; i < n; i++) {
		char addr[32];
		unsigned int port;

		assert_int_equal(sscanf(want[i], "%31[^:]:%u", addr, &port), 2);
		assert_int_equal(e->backends[i].ip, ip(addr));
		assert_int_equal(e->backends[i].port, htons(port));
	}
}

static void translate_for(const struct svc_fixture *s, struct slice_fixture **slices, size_t n,
			  const char *node, struct lb_entries *out)
{
	const struct k8s_endpoint_slice *es[4] = { 0 };

	for (size_t i = 0; i < n; i++)
		es[i] = &slices[i]->es;
	assert_int_equal(translate_service(&s->svc, es, n, node, out), 0);
}

static void translate(const struct svc_fixture *s, struct slice_fixture **slices, size_t n,
		      struct lb_entries *out)
{
	translate_for(s, slices, n, "node-a", out);
}

static void test_cluster_ip_gets_ready_endpoints_with_the_slice_port(void **state)
{
	struct svc_fixture s;
	struct slice_fixture sl, *sls[] = { &sl };
	struct lb_entries out;

	(void)state;
	svc_init(&s, K8S_SVC_CLUSTER_IP, "10.96.0.10");
	svc_port(&s, "http", IPPROTO_TCP, 80, 0);
	slice_init(&sl);
	slice_port(&sl, "http", IPPROTO_TCP, 8080);
	slice_ep(&sl, "10.244.1.6", "node-a", READY);
	slice_ep(&sl, "10.244.1.5", "node-b", READY);
	slice_ep(&sl, "10.244.1.7", "node-a", NOT_READY);
	translate(&s, sls, 1, &out);
	assert_int_equal(out.n, 1);
	const struct lb_entry *e = find(&out, "10.96.0.10", 80, IPPROTO_TCP);
	assert_int_equal(e->flags, 0);
	assert_backends(e, (const char *[]){ "10.244.1.5:8080", "10.244.1.6:8080" }, 2);
	lb_entries_free(&out);
}

static void test_ports_resolve_by_name_and_protocol_across_slices(void **state)
{
	struct svc_fixture s;
	struct slice_fixture a, b, *sls[] = { &a, &b };
	struct lb_entries out;

	(void)state;
	svc_init(&s, K8S_SVC_CLUSTER_IP, "10.96.0.10");
	svc_port(&s, "http", IPPROTO_TCP, 80, 0);
	svc_port(&s, "dns", IPPROTO_UDP, 53, 0);
	svc_port(&s, "dns-tcp", IPPROTO_TCP, 53, 0);
	slice_init(&a);
	slice_port(&a, "dns", IPPROTO_UDP, 5353);
	slice_port(&a, "http", IPPROTO_TCP, 8080);
	slice_ep(&a, "10.244.1.5", "node-a", READY);
	slice_init(&b);
	slice_port(&b, "http", IPPROTO_TCP, 9090); /* a rollout: new pods, new port */
	slice_ep(&b, "10.244.2.5", "node-b", READY);
	translate(&s, sls, 2, &out);
	assert_int_equal(out.n, 3);
	assert_backends(find(&out, "10.96.0.10", 80, IPPROTO_TCP),
			(const char *[]){ "10.244.1.5:8080", "10.244.2.5:9090" }, 2);
	assert_backends(find(&out, "10.96.0.10", 53, IPPROTO_UDP),
			(const char *[]){ "10.244.1.5:5353" }, 1);
	/* No slice carries dns-tcp: the entry exists and rejects. */
	assert_int_equal(find(&out, "10.96.0.10", 53, IPPROTO_TCP)->n_backends, 0);
	lb_entries_free(&out);
}

static void test_unnamed_port_matches_unnamed_slice_port(void **state)
{
	struct svc_fixture s;
	struct slice_fixture a, *sls[] = { &a };
	struct lb_entries out;

	(void)state;
	svc_init(&s, K8S_SVC_CLUSTER_IP, "10.96.0.11");
	svc_port(&s, "", IPPROTO_TCP, 80, 0);
	slice_init(&a);
	slice_port(&a, "", IPPROTO_TCP, 8080);
	slice_ep(&a, "10.244.1.5", "node-a", READY);
	translate(&s, sls, 1, &out);
	assert_backends(find(&out, "10.96.0.11", 80, IPPROTO_TCP),
			(const char *[]){ "10.244.1.5:8080" }, 1);
	lb_entries_free(&out);
}

static void test_without_ready_endpoints_serving_terminating_ones_take_flows(void **state)
{
	struct svc_fixture s;
	struct slice_fixture a, *sls[] = { &a };
	struct lb_entries out;

	(void)state;
	svc_init(&s, K8S_SVC_CLUSTER_IP, "10.96.0.12");
	svc_port(&s, "", IPPROTO_TCP, 80, 0);
	slice_init(&a);
	slice_port(&a, "", IPPROTO_TCP, 80);
	slice_ep(&a, "10.244.1.5", "node-a", TERMINATING_SERVING);
	slice_ep(&a, "10.244.1.6", "node-a", TERMINATING);
	slice_ep(&a, "10.244.1.7", "node-a", NOT_READY);
	translate(&s, sls, 1, &out);
	assert_backends(find(&out, "10.96.0.12", 80, IPPROTO_TCP),
			(const char *[]){ "10.244.1.5:80" }, 1);
	lb_entries_free(&out);
}

static void test_terminating_endpoints_get_no_new_flows_while_others_are_ready(void **state)
{
	struct svc_fixture s;
	struct slice_fixture a, *sls[] = { &a };
	struct lb_entries out;

	(void)state;
	svc_init(&s, K8S_SVC_CLUSTER_IP, "10.96.0.12");
	svc_port(&s, "", IPPROTO_TCP, 80, 0);
	slice_init(&a);
	slice_port(&a, "", IPPROTO_TCP, 80);
	slice_ep(&a, "10.244.1.5", "node-a", TERMINATING_SERVING);
	slice_ep(&a, "10.244.1.8", "node-b", READY);
	translate(&s, sls, 1, &out);
	assert_backends(find(&out, "10.96.0.12", 80, IPPROTO_TCP),
			(const char *[]){ "10.244.1.8:80" }, 1);
	lb_entries_free(&out);
}

static void test_nodeport_external_and_lb_ips_get_their_entries(void **state)
{
	struct svc_fixture s;
	struct slice_fixture a, *sls[] = { &a };
	struct lb_entries out;

	(void)state;
	svc_init(&s, K8S_SVC_LOAD_BALANCER, "10.96.0.13");
	svc_port(&s, "http", IPPROTO_TCP, 80, 30080);
	s.ext[0] = ip("198.51.100.7");
	s.ext[1] = ip("198.51.100.7"); /* listed twice: one entry */
	s.svc.external_ips = s.ext;
	s.svc.n_external_ips = 2;
	s.lb[0] = ip("203.0.113.10");
	s.svc.lb_ips = s.lb;
	s.svc.n_lb_ips = 1;
	slice_init(&a);
	slice_port(&a, "http", IPPROTO_TCP, 8080);
	slice_ep(&a, "10.244.2.5", "node-b", READY);
	translate(&s, sls, 1, &out);
	assert_int_equal(out.n, 4);
	assert_int_equal(find(&out, "10.96.0.13", 80, IPPROTO_TCP)->flags, 0);
	assert_int_equal(find(&out, NULL, 30080, IPPROTO_TCP)->flags, SVC_F_NODEPORT);
	assert_int_equal(find(&out, "198.51.100.7", 80, IPPROTO_TCP)->flags, SVC_F_EXTERNAL);
	assert_int_equal(find(&out, "203.0.113.10", 80, IPPROTO_TCP)->flags, SVC_F_EXTERNAL);
	for (size_t i = 0; i < out.n; i++)
		assert_backends(&out.v[i], (const char *[]){ "10.244.2.5:8080" }, 1);
	/* Sorted by key: the reconciler relies on it. */
	for (size_t i = 1; i < out.n; i++)
		assert_true(lb_key_cmp(&out.v[i - 1].key, &out.v[i].key) < 0);
	lb_entries_free(&out);
}

static void test_local_policy_keeps_node_facing_entries_to_local_endpoints(void **state)
{
	struct svc_fixture s;
	struct slice_fixture a, *sls[] = { &a };
	struct lb_entries out;

	(void)state;
	svc_init(&s, K8S_SVC_NODE_PORT, "10.96.0.14");
	svc_port(&s, "", IPPROTO_UDP, 53, 30053);
	s.svc.etp_local = true;
	slice_init(&a);
	slice_port(&a, "", IPPROTO_UDP, 5353);
	slice_ep(&a, "10.244.1.5", "node-a", READY);
	slice_ep(&a, "10.244.2.5", "node-b", READY);
	translate(&s, sls, 1, &out);
	/* The ClusterIP serves the whole cluster. */
	assert_backends(find(&out, "10.96.0.14", 53, IPPROTO_UDP),
			(const char *[]){ "10.244.1.5:5353", "10.244.2.5:5353" }, 2);
	const struct lb_entry *np = find(&out, NULL, 30053, IPPROTO_UDP);
	assert_int_equal(np->flags, SVC_F_NODEPORT | SVC_F_LOCAL);
	assert_backends(np, (const char *[]){ "10.244.1.5:5353" }, 1);
	lb_entries_free(&out);

	/* On a node without an endpoint: no backends, and dropped rather than
	 * refused; without any endpoint at all, refused everywhere. */
	translate_for(&s, sls, 1, "node-c", &out);
	np = find(&out, NULL, 30053, IPPROTO_UDP);
	assert_int_equal(np->flags, SVC_F_NODEPORT | SVC_F_LOCAL | SVC_F_DROP_EMPTY);
	assert_int_equal(np->n_backends, 0);
	lb_entries_free(&out);
	a.es.n_endpoints = 0;
	translate_for(&s, sls, 1, "node-c", &out);
	np = find(&out, NULL, 30053, IPPROTO_UDP);
	assert_int_equal(np->flags, SVC_F_NODEPORT | SVC_F_LOCAL);
	lb_entries_free(&out);
}

static void test_client_ip_affinity_marks_every_entry_with_its_timeout(void **state)
{
	struct svc_fixture s;
	struct lb_entries out;

	(void)state;
	svc_init(&s, K8S_SVC_NODE_PORT, "10.96.0.15");
	svc_port(&s, "", IPPROTO_TCP, 80, 30001);
	s.svc.affinity_client_ip = true;
	s.svc.affinity_timeout = 10800;
	translate(&s, NULL, 0, &out);
	assert_int_equal(out.n, 2);
	for (size_t i = 0; i < out.n; i++) {
		assert_true(out.v[i].flags & SVC_F_AFFINITY);
		assert_int_equal(out.v[i].affinity_timeout, 10800);
		assert_int_equal(out.v[i].n_backends, 0);
	}
	lb_entries_free(&out);
}

static void test_headless_external_name_and_sctp_give_nothing(void **state)
{
	struct svc_fixture s;
	struct lb_entries out;

	(void)state;
	svc_init(&s, K8S_SVC_CLUSTER_IP, NULL);
	s.svc.headless = true;
	svc_port(&s, "", IPPROTO_TCP, 80, 0);
	translate(&s, NULL, 0, &out);
	assert_int_equal(out.n, 0);

	svc_init(&s, K8S_SVC_EXTERNAL_NAME, NULL);
	translate(&s, NULL, 0, &out);
	assert_int_equal(out.n, 0);

	svc_init(&s, K8S_SVC_CLUSTER_IP, "10.96.0.16");
	svc_port(&s, "", IPPROTO_SCTP, 80, 0);
	translate(&s, NULL, 0, &out);
	assert_int_equal(out.n, 0);
}

static void test_ipv6_slices_and_duplicate_endpoints_are_ignored(void **state)
{
	struct svc_fixture s;
	struct slice_fixture a, b, c, *sls[] = { &a, &b, &c };
	struct lb_entries out;

	(void)state;
	svc_init(&s, K8S_SVC_CLUSTER_IP, "10.96.0.17");
	svc_port(&s, "", IPPROTO_TCP, 80, 0);
	slice_init(&a);
	slice_port(&a, "", IPPROTO_TCP, 80);
	slice_ep(&a, "10.244.1.5", "node-a", READY);
	slice_init(&b); /* the same pod, mid-move between slices */
	slice_port(&b, "", IPPROTO_TCP, 80);
	slice_ep(&b, "10.244.1.5", "node-a", READY);
	slice_init(&c);
	c.es.address_type = K8S_ADDR_IPV6;
	slice_port(&c, "", IPPROTO_TCP, 80);
	slice_ep(&c, "10.244.9.9", "node-a", READY);
	translate(&s, sls, 3, &out);
	assert_backends(find(&out, "10.96.0.17", 80, IPPROTO_TCP),
			(const char *[]){ "10.244.1.5:80" }, 1);
	lb_entries_free(&out);
}

static void test_slice_port_without_number_means_the_target_port(void **state)
{
	struct svc_fixture s;
	struct slice_fixture a, *sls[] = { &a };
	struct lb_entries out;

	(void)state;
	svc_init(&s, K8S_SVC_CLUSTER_IP, "10.96.0.18");
	svc_port(&s, "", IPPROTO_TCP, 80, 0);
	s.ports[0].target_port.num = 8080;
	slice_init(&a);
	slice_port(&a, "", IPPROTO_TCP, 0);
	slice_ep(&a, "10.244.1.5", "node-a", READY);
	translate(&s, sls, 1, &out);
	assert_backends(find(&out, "10.96.0.18", 80, IPPROTO_TCP),
			(const char *[]){ "10.244.1.5:8080" }, 1);
	lb_entries_free(&out);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cluster_ip_gets_ready_endpoints_with_the_slice_port),
		cmocka_unit_test(test_ports_resolve_by_name_and_protocol_across_slices),
		cmocka_unit_test(test_unnamed_port_matches_unnamed_slice_port),
		cmocka_unit_test(test_without_ready_endpoints_serving_terminating_ones_take_flows),
		cmocka_unit_test(
			test_terminating_endpoints_get_no_new_flows_while_others_are_ready),
		cmocka_unit_test(test_nodeport_external_and_lb_ips_get_their_entries),
		cmocka_unit_test(test_local_policy_keeps_node_facing_entries_to_local_endpoints),
		cmocka_unit_test(test_client_ip_affinity_marks_every_entry_with_its_timeout),
		cmocka_unit_test(test_headless_external_name_and_sctp_give_nothing),
		cmocka_unit_test(test_ipv6_slices_and_duplicate_endpoints_are_ignored),
		cmocka_unit_test(test_slice_port_without_number_means_the_target_port),
	};

	return cmocka_run_group_tests_name("translate", tests, NULL, NULL);
}
