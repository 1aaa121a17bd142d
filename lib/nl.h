/* Route netlink through libmnl: the few link, address and route operations
 * the CNI plugin needs. Every call works in the netns the socket was opened
 * in and returns 0 or a negative errno. */
#ifndef XCNI_NL_H
#define XCNI_NL_H

#include <stdbool.h>
#include <stdint.h>
#include <net/if.h>

struct mnl_socket;

struct nl {
	struct mnl_socket *sock;
	unsigned int portid;
	unsigned int seq;
};

#define NL_ALIAS_MAX 256

struct nl_link {
	int ifindex;
	unsigned int flags;
	unsigned int mtu;
	unsigned char mac[6];
	char name[IFNAMSIZ];
	char alias[NL_ALIAS_MAX];
	char kind[16];
};

struct nl_veth_spec {
	const char *name;
	const char *peer_name;
	int peer_netns_fd;
	unsigned int mtu;
};

/* The route attributes a CNI result describes; gw 0 means on-link. */
struct nl_route {
	uint32_t dst;
	uint8_t dst_len;
	uint32_t gw;
	int oif;
	unsigned char scope;
	unsigned char protocol;
};

typedef int (*nl_link_cb)(const struct nl_link *link, void *data);
/* Called for each IPv4 route of the main table; a non-zero return ends the
 * dump with that value. */
typedef int (*nl_route_cb)(const struct nl_route *route, void *data);

int nl_open(struct nl *nl);
void nl_close(struct nl *nl);

int nl_link_get(struct nl *nl, const char *name, struct nl_link *out);
int nl_link_dump(struct nl *nl, nl_link_cb cb, void *data);
/* Creates the pair; out receives the host end as the kernel echoes it
 * (ifindex 0 if it did not). */
int nl_veth_create(struct nl *nl, const struct nl_veth_spec *spec, struct nl_link *out);
int nl_link_set_alias(struct nl *nl, int ifindex, const char *alias);
int nl_link_set_up(struct nl *nl, int ifindex);
int nl_link_set_down(struct nl *nl, int ifindex);
int nl_link_del(struct nl *nl, int ifindex);

int nl_addr_add(struct nl *nl, int ifindex, uint32_t addr, uint8_t prefix_len);
int nl_addr_find(struct nl *nl, int ifindex, uint32_t addr, uint8_t prefix_len);

int nl_route_add(struct nl *nl, const struct nl_route *r);
int nl_route_find(struct nl *nl, const struct nl_route *r);
int nl_route_del(struct nl *nl, const struct nl_route *r);
int nl_route_dump(struct nl *nl, nl_route_cb cb, void *data);

/* addr in host order. */
int nl_neigh_managed_add(struct nl *nl, int ifindex, uint32_t addr);
int nl_neigh_del(struct nl *nl, int ifindex, uint32_t addr);

void nl_mac_format(const unsigned char mac[6], char buf[18]);

#endif
