/* The packet-test harness: the datapath loaded in a private network
 * namespace (no routes, so fib lookups are deterministic), programs run
 * with bpf_prog_test_run_opts, services programmed as the agent would. */
#ifndef XCNI_TEST_HARNESS_H
#define XCNI_TEST_HARNESS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dp.h"
#include "pkt_build.h"

enum hook { HOOK_XDP, HOOK_TC };

/* XDP verdicts and TC actions as the tests compare them. */
#define V_XDP_ABORTED 0
#define V_XDP_DROP 1
#define V_XDP_PASS 2
#define V_XDP_TX 3
#define V_XDP_REDIRECT 4
#define V_TC_OK 0
#define V_TC_SHOT 2
#define V_TC_REDIRECT 7

/* Addresses used throughout the fixtures. */
#define NODE_IP "192.168.1.10"

struct run_result {
	uint32_t verdict;
	uint8_t out[PKT_MAX]; /* the frame, without XDP metadata */
	uint32_t out_len;
	uint8_t meta[64]; /* the XDP metadata area, if any */
	uint32_t meta_len;
	uint32_t duration_ns; /* kernel-reported, per repeat */
};

/* Enters a new network namespace and loads the datapath (node IP NODE_IP,
 * maglev m, 0 for the default). Aborts the test program on failure. */
void harness_init(struct datapath *dp, uint32_t maglev_m);

int harness_run(const struct datapath *dp, enum hook h, const uint8_t *in, size_t len,
		uint32_t repeat, struct run_result *r);

uint32_t ip4(const char *dotted); /* network order */

/* Runs a shell command built like printf; returns its status, and prints
 * the command when it failed. */
int harness_sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* A service with its backends ("ip:port" strings), ids from first_id. */
void harness_service(const struct datapath *dp, const char *vip, uint16_t port, uint8_t proto,
		     uint32_t svc_id, uint16_t flags, uint32_t affinity_timeout, uint32_t first_id,
		     const char *const *backends, size_t n);
/* A pod on this node: its IP, host veth ifindex and both MACs. */
void harness_endpoint(const struct datapath *dp, const char *ip, uint32_t ifindex,
		      const uint8_t pod_mac[6], const uint8_t host_mac[6]);

/* A veth pair (name, and name with "p" appended) in the test's netns;
 * with tx_port, its first end becomes a redirect target (tx_ports), as the
 * agent makes a pod's host-side veth. Returns that end's ifindex; aborts
 * on failure. */
int harness_veth(const struct datapath *dp, const char *name, bool tx_port);

/* Conntrack entries in the map. */
size_t harness_ct_count(const struct datapath *dp);
bool harness_ct_get(const struct datapath *dp, const char *saddr, uint16_t sport, const char *daddr,
		    uint16_t dport, uint8_t proto, struct ct_value *v);
void harness_ct_clear(const struct datapath *dp);
/* ClientIP affinity entries. */
size_t harness_affinity_count(const struct datapath *dp);
bool harness_affinity_get(const struct datapath *dp, const char *client, uint32_t svc_id,
			  struct affinity_value *v);
void harness_affinity_clear(const struct datapath *dp);
uint64_t harness_stat(const struct datapath *dp, enum stat_reason r);

#endif
