/* node_routes against the kernel, in a private network namespace of this
 * test process: routes to other nodes' pod CIDRs appear, change and go with
 * the Node set, with a managed neighbour per gateway; refused routes are
 * retried; routes the agent did not make are never touched. */
#include "unit.h"

#include <arpa/inet.h>
#include <sched.h>

#include "log.h"
#include "nl.h"
#include "node_routes.h"

static uint32_t ip(const char *s)
{
	struct in_addr a;

	assert_int_equal(inet_pton(AF_INET, s, &a), 1);
	return a.s_addr; /* network order, as the decoders give it */
}

/* The output of a shell command run in this namespace. */
static void sh(const char *cmd, char *out, size_t len)
{
	FILE *f = popen(cmd, "r");
	size_t n;

	assert_non_null(f);
	n = fread(out, 1, len - 1, f);
	out[n] = '\0';
	pclose(f);
}

static int setup(void **state)
{
	(void)state;
	log_set_level(LOG_LEVEL_ERROR);
	if (unshare(CLONE_NEWNET))
		return -1;
	/* The node's device on a /24 the other nodes share. */
	return system(
		"ip link add lan0 type veth peer name lan0p && ip link set lan0p up && ip addr add 10.99.0.11/24 dev lan0 && "
		"ip link set lan0 up && ip route add 10.250.0.0/16 dev lan0 proto static");
}

static void test_routes_follow_the_node_set(void **state)
{
	struct node_routes *r = node_routes_new("node1");
	struct node_routes_stats st;
	char out[4096];

	(void)state;
	assert_non_null(r);
	/* Our own node and a node without a pod CIDR get no route. */
	assert_int_equal(node_routes_set(r, "node1", ip("10.244.1.0"), 24, ip("10.99.0.11")), 0);
	assert_int_equal(node_routes_set(r, "node2", ip("10.244.2.0"), 24, ip("10.99.0.12")), 0);
	assert_int_equal(node_routes_set(r, "node3", ip("10.244.3.0"), 24, ip("10.99.0.13")), 0);
	assert_int_equal(node_routes_set(r, "node4", 0, 0, ip("10.99.0.14")), 0);
	assert_true(node_routes_dirty(r));
	assert_int_equal(node_routes_sync(r, &st), 0);
	assert_int_equal(st.added, 2);
	assert_int_equal(st.routes, 2);
	assert_false(node_routes_dirty(r));
	sh("ip -o route show proto 201", out, sizeof(out));
	assert_str_contains(out, "10.244.2.0/24 via 10.99.0.12 dev lan0");
	assert_str_contains(out, "10.244.3.0/24 via 10.99.0.13 dev lan0");
	assert_null(strstr(out, "10.244.1.0"));
	sh("ip neigh show 10.99.0.12", out, sizeof(out));
	assert_str_contains(out, "managed");

	/* A repeat changes nothing; a moved node and a removed one do. */
	assert_int_equal(node_routes_sync(r, &st), 0);
	assert_int_equal(st.added + st.removed, 0);
	assert_int_equal(node_routes_set(r, "node2", ip("10.244.2.0"), 24, ip("10.99.0.22")), 0);
	node_routes_remove(r, "node3");
	assert_int_equal(node_routes_sync(r, &st), 0);
	assert_int_equal(st.added, 1);
	assert_int_equal(st.removed, 2);
	sh("ip -o route show proto 201", out, sizeof(out));
	assert_str_contains(out, "10.244.2.0/24 via 10.99.0.22 dev lan0");
	assert_null(strstr(out, "10.244.3.0"));
	assert_null(strstr(out, "10.99.0.12"));
	sh("ip neigh show 10.99.0.13", out, sizeof(out));
	assert_string_equal(out, "");

	/* The route nobody in the Node set claims but another owner made
	 * stays. */
	sh("ip -o route show 10.250.0.0/16", out, sizeof(out));
	assert_str_contains(out, "proto static");
	node_routes_free(r);
}

static void test_a_refused_route_is_counted_and_retried(void **state)
{
	struct node_routes *r = node_routes_new("node1");
	struct node_routes_stats st;
	char out[4096];

	(void)state;
	/* A gateway on no connected network: the kernel refuses it. */
	assert_int_equal(node_routes_set(r, "node5", ip("10.244.5.0"), 24, ip("192.0.2.5")), 0);
	assert_int_equal(node_routes_sync(r, &st), 0);
	assert_int_equal(st.failed, 1);
	assert_true(node_routes_dirty(r));
	/* The network appears (a second device, say): the retry succeeds. */
	assert_int_equal(system("ip addr add 192.0.2.1/24 dev lan0"), 0);
	assert_int_equal(node_routes_sync(r, &st), 0);
	assert_int_equal(st.failed, 0);
	assert_false(node_routes_dirty(r));
	sh("ip -o route show proto 201", out, sizeof(out));
	assert_str_contains(out, "10.244.5.0/24 via 192.0.2.5");
	node_routes_free(r);
}

static void test_flush_removes_only_the_agents_routes(void **state)
{
	struct node_routes *r = node_routes_new("node1");
	struct node_routes_stats st;
	unsigned int removed;
	char out[4096];

	(void)state;
	assert_int_equal(node_routes_set(r, "node6", ip("10.244.6.0"), 24, ip("10.99.0.16")), 0);
	assert_int_equal(node_routes_sync(r, &st), 0);
	node_routes_free(r);
	assert_int_equal(node_routes_flush(&removed), 0);
	assert_true(removed >= 1);
	sh("ip -o route show proto 201", out, sizeof(out));
	assert_string_equal(out, "");
	sh("ip -o route show 10.250.0.0/16", out, sizeof(out));
	assert_str_contains(out, "proto static");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_routes_follow_the_node_set),
		cmocka_unit_test(test_a_refused_route_is_counted_and_retried),
		cmocka_unit_test(test_flush_removes_only_the_agents_routes),
	};

	return cmocka_run_group_tests_name("node_routes", tests, setup, NULL);
}
