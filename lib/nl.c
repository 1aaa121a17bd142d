/* Route netlink requests and dumps over libmnl. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <net/if.h>
#include <libmnl/libmnl.h>
#include <linux/if_link.h>
#include <linux/neighbour.h>
#include <linux/rtnetlink.h>
#include <linux/veth.h>

#include "nl.h"

/* Dumps of a busy host's links exceed one page; the kernel caps a dump
 * message at 32 KiB. */
#define NL_BUF_SIZE (32 * 1024)

int nl_open(struct nl *nl)
{
	nl->sock = mnl_socket_open2(NETLINK_ROUTE, SOCK_CLOEXEC);
	if (!nl->sock)
		return -errno;
	if (mnl_socket_bind(nl->sock, 0, MNL_SOCKET_AUTOPID) < 0) {
		int err = -errno;

		mnl_socket_close(nl->sock);
		nl->sock = NULL;
		return err;
	}
	nl->portid = mnl_socket_get_portid(nl->sock);
	nl->seq = (unsigned int)time(NULL);
	return 0;
}

void nl_close(struct nl *nl)
{
	if (nl->sock)
		mnl_socket_close(nl->sock);
	nl->sock = NULL;
}

/* Sends one request and runs cb over every reply until the ACK or the end
 * of the dump. */
static int nl_talk(struct nl *nl, struct nlmsghdr *nlh, mnl_cb_t cb, void *data)
{
	char buf[NL_BUF_SIZE];
	ssize_t n;
	int ret;

	nlh->nlmsg_seq = ++nl->seq;
	if (mnl_socket_sendto(nl->sock, nlh, nlh->nlmsg_len) < 0)
		return -errno;
	for (;;) {
		n = mnl_socket_recvfrom(nl->sock, buf, sizeof(buf));
		if (n < 0)
			return -errno;
		ret = mnl_cb_run(buf, n, nl->seq, nl->portid, cb, data);
		if (ret < 0)
			return errno ? -errno : -EIO;
		if (ret == MNL_CB_STOP)
			return 0;
	}
}

static struct nlmsghdr *nl_msg(char *buf, int type, int flags)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);

	nlh->nlmsg_type = type;
	nlh->nlmsg_flags = NLM_F_REQUEST | flags;
	return nlh;
}

static int link_attr_cb(const struct nlattr *attr, void *data)
{
	const struct nlattr **tb = data;
	int type = mnl_attr_get_type(attr);

	if (mnl_attr_type_valid(attr, IFLA_MAX) > 0)
		tb[type] = attr;
	return MNL_CB_OK;
}

static void copy_str_attr(char *dst, size_t size, const struct nlattr *attr)
{
	size_t len = mnl_attr_get_payload_len(attr);
	const char *src = mnl_attr_get_payload(attr);

	if (len >= size)
		len = size - 1;
	memcpy(dst, src, len);
	dst[len] = '\0';
	dst[strnlen(dst, len)] = '\0';
}

static int parse_link(const struct nlmsghdr *nlh, struct nl_link *link)
{
	const struct nlattr *tb[IFLA_MAX + 1] = { 0 };
	const struct ifinfomsg *ifm = mnl_nlmsg_get_payload(nlh);

	memset(link, 0, sizeof(*link));
	if (mnl_attr_parse(nlh, sizeof(*ifm), link_attr_cb, tb) < 0)
		return -EIO;
	link->ifindex = ifm->ifi_index;
	link->flags = ifm->ifi_flags;
	if (tb[IFLA_IFNAME])
		copy_str_attr(link->name, sizeof(link->name), tb[IFLA_IFNAME]);
	if (tb[IFLA_IFALIAS])
		copy_str_attr(link->alias, sizeof(link->alias), tb[IFLA_IFALIAS]);
	if (tb[IFLA_MTU])
		link->mtu = mnl_attr_get_u32(tb[IFLA_MTU]);
	if (tb[IFLA_ADDRESS] && mnl_attr_get_payload_len(tb[IFLA_ADDRESS]) == 6)
		memcpy(link->mac, mnl_attr_get_payload(tb[IFLA_ADDRESS]), 6);
	if (tb[IFLA_LINKINFO]) {
		const struct nlattr *info;

		mnl_attr_for_each_nested(info, tb[IFLA_LINKINFO])
		{
			if (mnl_attr_get_type(info) == IFLA_INFO_KIND)
				copy_str_attr(link->kind, sizeof(link->kind), info);
		}
	}
	return 0;
}

static int link_get_cb(const struct nlmsghdr *nlh, void *data)
{
	return parse_link(nlh, data) ? MNL_CB_ERROR : MNL_CB_OK;
}

/* Keeps the echoed link; the ACK that follows ends the exchange. */
static int link_echo_cb(const struct nlmsghdr *nlh, void *data)
{
	if (nlh->nlmsg_type == RTM_NEWLINK)
		parse_link(nlh, data);
	return MNL_CB_OK;
}

int nl_link_get(struct nl *nl, const char *name, struct nl_link *out)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh = nl_msg(buf, RTM_GETLINK, NLM_F_ACK);
	struct ifinfomsg *ifm = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifm));

	if (strlen(name) >= IFNAMSIZ)
		return -ENAMETOOLONG;
	ifm->ifi_family = AF_UNSPEC;
	mnl_attr_put_strz(nlh, IFLA_IFNAME, name);
	mnl_attr_put_u32(nlh, IFLA_EXT_MASK, RTEXT_FILTER_SKIP_STATS);
	return nl_talk(nl, nlh, link_get_cb, out);
}

struct link_dump_ctx {
	nl_link_cb cb;
	void *data;
	int err;
};

static int link_dump_cb(const struct nlmsghdr *nlh, void *data)
{
	struct link_dump_ctx *ctx = data;
	struct nl_link link;

	if (ctx->err || parse_link(nlh, &link))
		return MNL_CB_OK;
	ctx->err = ctx->cb(&link, ctx->data);
	return MNL_CB_OK;
}

int nl_link_dump(struct nl *nl, nl_link_cb cb, void *data)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh = nl_msg(buf, RTM_GETLINK, NLM_F_DUMP);
	struct ifinfomsg *ifm = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifm));
	struct link_dump_ctx ctx = { .cb = cb, .data = data };
	int err;

	ifm->ifi_family = AF_UNSPEC;
	mnl_attr_put_u32(nlh, IFLA_EXT_MASK, RTEXT_FILTER_SKIP_STATS);
	err = nl_talk(nl, nlh, link_dump_cb, &ctx);
	return err ? err : ctx.err;
}

/* Creates both ends at once, the host end up: the peer is born inside the pod's
 * netns under its final name, so no half-made pair is ever visible on the
 * host under a temporary name. */
int nl_veth_create(struct nl *nl, const struct nl_veth_spec *spec, struct nl_link *out)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	/* NLM_F_ECHO: the kernel answers with the new host end, saving a
	 * lookup. */
	struct nlmsghdr *nlh =
		nl_msg(buf, RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL | NLM_F_ACK | NLM_F_ECHO);
	struct ifinfomsg *ifm = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifm));
	struct nlattr *linkinfo, *info_data, *peer;
	struct ifinfomsg *peer_ifm;

	ifm->ifi_family = AF_UNSPEC;
	ifm->ifi_flags = IFF_UP;
	ifm->ifi_change = IFF_UP;
	mnl_attr_put_strz(nlh, IFLA_IFNAME, spec->name);
	mnl_attr_put_u32(nlh, IFLA_MTU, spec->mtu);
	linkinfo = mnl_attr_nest_start(nlh, IFLA_LINKINFO);
	mnl_attr_put_strz(nlh, IFLA_INFO_KIND, "veth");
	info_data = mnl_attr_nest_start(nlh, IFLA_INFO_DATA);
	peer = mnl_attr_nest_start(nlh, VETH_INFO_PEER);
	peer_ifm = mnl_nlmsg_put_extra_header(nlh, sizeof(*peer_ifm));
	/* Not IFF_UP here: the peer is configured before the pair is linked,
	 * and opening a veth without its peer fails with ENOTCONN. */
	peer_ifm->ifi_family = AF_UNSPEC;
	mnl_attr_put_strz(nlh, IFLA_IFNAME, spec->peer_name);
	mnl_attr_put_u32(nlh, IFLA_MTU, spec->mtu);
	mnl_attr_put_u32(nlh, IFLA_NET_NS_FD, (uint32_t)spec->peer_netns_fd);
	mnl_attr_nest_end(nlh, peer);
	mnl_attr_nest_end(nlh, info_data);
	mnl_attr_nest_end(nlh, linkinfo);
	memset(out, 0, sizeof(*out));
	return nl_talk(nl, nlh, link_echo_cb, out);
}

/* Changes IFF_UP when change has it (to up), and the alias when given. */
static int nl_link_change(struct nl *nl, int ifindex, const char *alias, unsigned int change,
			  unsigned int up)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh = nl_msg(buf, RTM_NEWLINK, NLM_F_ACK);
	struct ifinfomsg *ifm = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifm));

	ifm->ifi_family = AF_UNSPEC;
	ifm->ifi_index = ifindex;
	ifm->ifi_flags = up;
	ifm->ifi_change = change;
	if (alias)
		mnl_attr_put_strz(nlh, IFLA_IFALIAS, alias);
	return nl_talk(nl, nlh, NULL, NULL);
}

int nl_link_set_alias(struct nl *nl, int ifindex, const char *alias)
{
	if (strlen(alias) >= NL_ALIAS_MAX)
		return -ENAMETOOLONG;
	return nl_link_change(nl, ifindex, alias, 0, 0);
}

int nl_link_set_up(struct nl *nl, int ifindex)
{
	return nl_link_change(nl, ifindex, NULL, IFF_UP, IFF_UP);
}

int nl_link_set_down(struct nl *nl, int ifindex)
{
	return nl_link_change(nl, ifindex, NULL, IFF_UP, 0);
}

int nl_link_del(struct nl *nl, int ifindex)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh = nl_msg(buf, RTM_DELLINK, NLM_F_ACK);
	struct ifinfomsg *ifm = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifm));

	ifm->ifi_family = AF_UNSPEC;
	ifm->ifi_index = ifindex;
	return nl_talk(nl, nlh, NULL, NULL);
}

int nl_addr_add(struct nl *nl, int ifindex, uint32_t addr, uint8_t prefix_len)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh = nl_msg(buf, RTM_NEWADDR, NLM_F_CREATE | NLM_F_REPLACE | NLM_F_ACK);
	struct ifaddrmsg *ifa = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifa));
	uint32_t be = htonl(addr);

	ifa->ifa_family = AF_INET;
	ifa->ifa_prefixlen = prefix_len;
	ifa->ifa_index = (unsigned int)ifindex;
	ifa->ifa_scope = RT_SCOPE_UNIVERSE;
	mnl_attr_put_u32(nlh, IFA_LOCAL, be);
	mnl_attr_put_u32(nlh, IFA_ADDRESS, be);
	return nl_talk(nl, nlh, NULL, NULL);
}

struct addr_find_ctx {
	int ifindex;
	uint32_t addr;
	uint8_t len;
	bool found;
};

static int addr_attr_cb(const struct nlattr *attr, void *data)
{
	const struct nlattr **tb = data;

	if (mnl_attr_type_valid(attr, IFA_MAX) > 0)
		tb[mnl_attr_get_type(attr)] = attr;
	return MNL_CB_OK;
}

static int addr_find_cb(const struct nlmsghdr *nlh, void *data)
{
	const struct nlattr *tb[IFA_MAX + 1] = { 0 };
	const struct ifaddrmsg *ifa = mnl_nlmsg_get_payload(nlh);
	struct addr_find_ctx *ctx = data;
	const struct nlattr *a;

	if (ifa->ifa_family != AF_INET || (int)ifa->ifa_index != ctx->ifindex ||
	    ifa->ifa_prefixlen != ctx->len)
		return MNL_CB_OK;
	mnl_attr_parse(nlh, sizeof(*ifa), addr_attr_cb, tb);
	a = tb[IFA_LOCAL] ? tb[IFA_LOCAL] : tb[IFA_ADDRESS];
	if (a && mnl_attr_get_payload_len(a) == 4 && ntohl(mnl_attr_get_u32(a)) == ctx->addr)
		ctx->found = true;
	return MNL_CB_OK;
}

/* Returns 0 when ifindex carries addr/prefix_len, -ENOENT when it does not. */
int nl_addr_find(struct nl *nl, int ifindex, uint32_t addr, uint8_t prefix_len)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh = nl_msg(buf, RTM_GETADDR, NLM_F_DUMP);
	struct ifaddrmsg *ifa = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifa));
	struct addr_find_ctx ctx = { .ifindex = ifindex, .addr = addr, .len = prefix_len };
	int err;

	ifa->ifa_family = AF_INET;
	err = nl_talk(nl, nlh, addr_find_cb, &ctx);
	if (err)
		return err;
	return ctx.found ? 0 : -ENOENT;
}

/* A route message for r in the main table: the header, then RTA_DST,
 * RTA_GATEWAY and RTA_OIF for what r sets. */
static struct nlmsghdr *route_msg(char *buf, int type, int flags, const struct nl_route *r,
				  unsigned char protocol, unsigned char scope)
{
	struct nlmsghdr *nlh = nl_msg(buf, type, flags);
	struct rtmsg *rtm = mnl_nlmsg_put_extra_header(nlh, sizeof(*rtm));

	rtm->rtm_family = AF_INET;
	rtm->rtm_dst_len = r->dst_len;
	rtm->rtm_table = RT_TABLE_MAIN;
	rtm->rtm_protocol = protocol;
	rtm->rtm_scope = scope;
	if (type == RTM_NEWROUTE)
		rtm->rtm_type = RTN_UNICAST;
	if (r->dst_len)
		mnl_attr_put_u32(nlh, RTA_DST, htonl(r->dst));
	if (r->gw)
		mnl_attr_put_u32(nlh, RTA_GATEWAY, htonl(r->gw));
	if (r->oif)
		mnl_attr_put_u32(nlh, RTA_OIF, (uint32_t)r->oif);
	return nlh;
}

int nl_route_add(struct nl *nl, const struct nl_route *r)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];

	return nl_talk(nl,
		       route_msg(buf, RTM_NEWROUTE, NLM_F_CREATE | NLM_F_REPLACE | NLM_F_ACK, r,
				 r->protocol ? r->protocol : RTPROT_BOOT, r->scope),
		       NULL, NULL);
}

/* Deletes the route matching r's destination, gateway, device and (when
 * set) protocol, whatever its scope. */
int nl_route_del(struct nl *nl, const struct nl_route *r)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];

	return nl_talk(nl,
		       route_msg(buf, RTM_DELROUTE, NLM_F_ACK, r, r->protocol, RT_SCOPE_NOWHERE),
		       NULL, NULL);
}

struct route_dump_ctx {
	nl_route_cb cb;
	void *data;
	int err;
};

static int route_attr_cb(const struct nlattr *attr, void *data)
{
	const struct nlattr **tb = data;

	if (mnl_attr_type_valid(attr, RTA_MAX) > 0)
		tb[mnl_attr_get_type(attr)] = attr;
	return MNL_CB_OK;
}

static int route_dump_cb(const struct nlmsghdr *nlh, void *data)
{
	const struct nlattr *tb[RTA_MAX + 1] = { 0 };
	const struct rtmsg *rtm = mnl_nlmsg_get_payload(nlh);
	struct route_dump_ctx *ctx = data;
	struct nl_route r = { 0 };

	if (ctx->err || rtm->rtm_family != AF_INET || rtm->rtm_table != RT_TABLE_MAIN)
		return MNL_CB_OK;
	mnl_attr_parse(nlh, sizeof(*rtm), route_attr_cb, tb);
	r.dst_len = rtm->rtm_dst_len;
	r.scope = rtm->rtm_scope;
	r.protocol = rtm->rtm_protocol;
	if (tb[RTA_DST])
		r.dst = ntohl(mnl_attr_get_u32(tb[RTA_DST]));
	if (tb[RTA_GATEWAY])
		r.gw = ntohl(mnl_attr_get_u32(tb[RTA_GATEWAY]));
	if (tb[RTA_OIF])
		r.oif = (int)mnl_attr_get_u32(tb[RTA_OIF]);
	/* The dump is read to its end whatever the callback says, so the
	 * socket stays usable. */
	ctx->err = ctx->cb(&r, ctx->data);
	return MNL_CB_OK;
}

int nl_route_dump(struct nl *nl, nl_route_cb cb, void *data)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh = nl_msg(buf, RTM_GETROUTE, NLM_F_DUMP);
	struct rtmsg *rtm = mnl_nlmsg_put_extra_header(nlh, sizeof(*rtm));
	struct route_dump_ctx ctx = { .cb = cb, .data = data };
	int err;

	rtm->rtm_family = AF_INET;
	err = nl_talk(nl, nlh, route_dump_cb, &ctx);
	return err ? err : ctx.err;
}

static int route_match_cb(const struct nl_route *r, void *data)
{
	const struct nl_route *w = data;

	if (r->dst_len == w->dst_len && r->dst == w->dst && r->gw == w->gw &&
	    (!w->oif || r->oif == w->oif))
		return 1;
	return 0;
}

/* Returns 0 when the main table has the route (oif 0 matches any device),
 * -ENOENT when it does not. */
int nl_route_find(struct nl *nl, const struct nl_route *r)
{
	int err = nl_route_dump(nl, route_match_cb, (void *)r);

	if (err < 0)
		return err;
	return err ? 0 : -ENOENT;
}

void nl_mac_format(const unsigned char mac[6], char buf[18])
{
	snprintf(buf, 18, "%02x:%02x:%02x:%02x:%02x:%02x", mac[0], mac[1], mac[2], mac[3], mac[4],
		 mac[5]);
}

static int neigh_attr_cb(const struct nlattr *attr, void *data)
{
	const struct nlattr **tb = data;

	if (mnl_attr_type_valid(attr, NDA_MAX) > 0)
		tb[mnl_attr_get_type(attr)] = attr;
	return MNL_CB_OK;
}

static int neigh_managed_cb(const struct nlmsghdr *nlh, void *data)
{
	const struct nlattr *tb[NDA_MAX + 1] = { 0 };
	bool *managed = data;

	mnl_attr_parse(nlh, sizeof(struct ndmsg), neigh_attr_cb, tb);
	*managed = tb[NDA_FLAGS_EXT] && (mnl_attr_get_u32(tb[NDA_FLAGS_EXT]) & NTF_EXT_MANAGED);
	return MNL_CB_OK;
}

/* Whether the entry for addr on ifindex exists and is managed. */
static bool neigh_is_managed(struct nl *nl, int ifindex, uint32_t addr)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh = nl_msg(buf, RTM_GETNEIGH, NLM_F_ACK);
	struct ndmsg *ndm = mnl_nlmsg_put_extra_header(nlh, sizeof(*ndm));
	bool managed = false;

	ndm->ndm_family = AF_INET;
	ndm->ndm_ifindex = ifindex;
	mnl_attr_put_u32(nlh, NDA_DST, htonl(addr));
	return nl_talk(nl, nlh, neigh_managed_cb, &managed) == 0 && managed;
}

/* A neighbour the kernel keeps resolved by itself (NTF_EXT_MANAGED, 5.16+):
 * BPF's fib lookups find its MAC even when no packet through the stack has
 * asked for it. NTF_EXT_LEARNED marks it as not the kernel's own. An entry
 * already managed is left alone: replacing it would make it unresolved
 * until the kernel probes again, and forwarding would stop meanwhile. */
int nl_neigh_managed_add(struct nl *nl, int ifindex, uint32_t addr)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh;
	struct ndmsg *ndm;

	if (neigh_is_managed(nl, ifindex, addr))
		return 0;
	nlh = nl_msg(buf, RTM_NEWNEIGH, NLM_F_CREATE | NLM_F_REPLACE | NLM_F_ACK);
	ndm = mnl_nlmsg_put_extra_header(nlh, sizeof(*ndm));
	ndm->ndm_family = AF_INET;
	ndm->ndm_ifindex = ifindex;
	ndm->ndm_state = NUD_NONE;
	ndm->ndm_flags = NTF_EXT_LEARNED;
	mnl_attr_put_u32(nlh, NDA_DST, htonl(addr));
	mnl_attr_put_u32(nlh, NDA_FLAGS_EXT, NTF_EXT_MANAGED);
	return nl_talk(nl, nlh, NULL, NULL);
}

int nl_neigh_del(struct nl *nl, int ifindex, uint32_t addr)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh = nl_msg(buf, RTM_DELNEIGH, NLM_F_ACK);
	struct ndmsg *ndm = mnl_nlmsg_put_extra_header(nlh, sizeof(*ndm));

	ndm->ndm_family = AF_INET;
	ndm->ndm_ifindex = ifindex;
	mnl_attr_put_u32(nlh, NDA_DST, htonl(addr));
	return nl_talk(nl, nlh, NULL, NULL);
}
