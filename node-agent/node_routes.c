/* Routes to the other nodes' pod CIDRs (see node_routes.h): the Node set
 * by name, and a sync that compares it with the kernel's RTPROT_XCNI routes
 * and fixes only the differences. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "htab.h"
#include "log.h"
#include "nl.h"
#include "node_routes.h"

struct node_route {
	uint32_t cidr, gw; /* network order */
	uint8_t len;
};

struct node_routes {
	char self[256];
	struct htab *nodes; /* name -> struct node_route */
	bool dirty;
};

struct route_list {
	struct nl_route *v;
	size_t n, cap;
};

struct node_routes *node_routes_new(const char *self)
{
	struct node_routes *r = calloc(1, sizeof(*r));

	if (!r)
		return NULL;
	snprintf(r->self, sizeof(r->self), "%s", self);
	r->nodes = htab_new();
	if (!r->nodes) {
		free(r);
		return NULL;
	}
	r->dirty = true;
	return r;
}

void node_routes_free(struct node_routes *r)
{
	if (!r)
		return;
	htab_free(r->nodes, free);
	free(r);
}

int node_routes_set(struct node_routes *r, const char *node, uint32_t cidr, uint8_t len,
		    uint32_t gw)
{
	struct node_route *e = htab_get_str(r->nodes, node);

	if (!strcmp(node, r->self) || !cidr || !gw) {
		node_routes_remove(r, node);
		return 0;
	}
	if (e && e->cidr == cidr && e->len == len && e->gw == gw)
		return 0;
	if (!e) {
		e = calloc(1, sizeof(*e));
		if (!e || htab_put_str(r->nodes, node, e, NULL)) {
			free(e);
			return -ENOMEM;
		}
	}
	e->cidr = cidr;
	e->len = len;
	e->gw = gw;
	r->dirty = true;
	return 0;
}

void node_routes_remove(struct node_routes *r, const char *node)
{
	struct node_route *e = htab_del_str(r->nodes, node);

	if (e) {
		free(e);
		r->dirty = true;
	}
}

void node_routes_clear(struct node_routes *r)
{
	struct htab_iter it = { 0 };
	const void *key;
	size_t klen;
	void *v;

	while ((v = htab_next(r->nodes, &it, &key, &klen))) {
		htab_del(r->nodes, key, klen);
		free(v);
	}
	r->dirty = true;
}

bool node_routes_dirty(const struct node_routes *r)
{
	return r->dirty;
}

static int list_add(struct route_list *l, const struct nl_route *route)
{
	struct nl_route *v;

	if (l->n == l->cap) {
		v = realloc(l->v, (l->cap ? l->cap * 2 : 16) * sizeof(*v));
		if (!v)
			return -ENOMEM;
		l->v = v;
		l->cap = l->cap ? l->cap * 2 : 16;
	}
	l->v[l->n++] = *route;
	return 0;
}

static int collect_ours(const struct nl_route *route, void *data)
{
	if (route->protocol != RTPROT_XCNI)
		return 0;
	return list_add(data, route);
}

static bool same_route(const struct nl_route *a, const struct nl_route *b)
{
	return a->dst == b->dst && a->dst_len == b->dst_len && a->gw == b->gw;
}

static bool list_has(const struct route_list *l, const struct nl_route *route)
{
	for (size_t i = 0; i < l->n; i++)
		if (same_route(&l->v[i], route))
			return true;
	return false;
}

static bool list_has_dst(const struct route_list *l, const struct nl_route *route)
{
	for (size_t i = 0; i < l->n; i++)
		if (l->v[i].dst == route->dst && l->v[i].dst_len == route->dst_len)
			return true;
	return false;
}

static bool list_has_gw(const struct route_list *l, uint32_t gw)
{
	for (size_t i = 0; i < l->n; i++)
		if (l->v[i].gw == gw)
			return true;
	return false;
}

/* The datapath forwards to other nodes by fib lookups, which find a next
 * hop's MAC only in a resolved neighbour entry; the stack would resolve one
 * only for traffic it forwards itself. So every gateway of the routes gets
 * an entry the kernel keeps resolved. */
static int keep_neighbours(struct nl *nl)
{
	struct route_list now = { 0 };
	struct in_addr gw;
	char text[INET_ADDRSTRLEN];
	int err = nl_route_dump(nl, collect_ours, &now);

	for (size_t i = 0; !err && i < now.n; i++) {
		int rc = now.v[i].oif ? nl_neigh_managed_add(nl, now.v[i].oif, now.v[i].gw) : 0;

		if (!rc)
			continue;
		gw.s_addr = htonl(now.v[i].gw);
		inet_ntop(AF_INET, &gw, text, sizeof(text));
		log_warn("neighbour_add_failed", "via=%s error=\"%s\"", text, strerror(-rc));
	}
	free(now.v);
	return err;
}

static void route_text(const struct nl_route *route, char *buf, size_t len)
{
	struct in_addr dst = { htonl(route->dst) }, gw = { htonl(route->gw) };
	char d[INET_ADDRSTRLEN], g[INET_ADDRSTRLEN];

	inet_ntop(AF_INET, &dst, d, sizeof(d));
	inet_ntop(AF_INET, &gw, g, sizeof(g));
	snprintf(buf, len, "dst=%s/%u via=%s", d, route->dst_len, g);
}

/* The wanted routes, one per pod CIDR: two Nodes claiming one CIDR is a
 * cluster misconfiguration; the first one seen keeps it. */
static int wanted_routes(const struct node_routes *r, struct route_list *want)
{
	struct htab_iter it = { 0 };
	const struct node_route *e;
	struct nl_route route;
	const void *key;
	size_t klen;
	int err;

	while ((e = htab_next(r->nodes, &it, &key, &klen))) {
		route = (struct nl_route){ .dst = ntohl(e->cidr),
					   .dst_len = e->len,
					   .gw = ntohl(e->gw),
					   .protocol = RTPROT_XCNI };
		if (list_has_dst(want, &route)) {
			log_warn("pod_cidr_conflict", "node=%.*s", (int)klen, (const char *)key);
			continue;
		}
		err = list_add(want, &route);
		if (err)
			return err;
	}
	return 0;
}

int node_routes_sync(struct node_routes *r, struct node_routes_stats *st)
{
	struct route_list have = { 0 }, want = { 0 };
	char text[96];
	struct nl nl;
	int err;

	memset(st, 0, sizeof(*st));
	err = nl_open(&nl);
	if (err)
		return err;
	err = nl_route_dump(&nl, collect_ours, &have);
	if (!err)
		err = wanted_routes(r, &want);
	if (err)
		goto out;
	for (size_t i = 0; i < have.n; i++) {
		if (list_has(&want, &have.v[i]))
			continue;
		route_text(&have.v[i], text, sizeof(text));
		err = nl_route_del(&nl, &have.v[i]);
		if (err && err != -ESRCH) {
			log_warn("route_del_failed", "%s error=\"%s\"", text, strerror(-err));
			st->failed++;
			continue;
		}
		log_info("route_removed", "%s", text);
		st->removed++;
		if (!list_has_gw(&want, have.v[i].gw))
			nl_neigh_del(&nl, have.v[i].oif, have.v[i].gw);
	}
	for (size_t i = 0; i < want.n; i++) {
		if (list_has(&have, &want.v[i])) {
			st->routes++;
			continue;
		}
		route_text(&want.v[i], text, sizeof(text));
		err = nl_route_add(&nl, &want.v[i]);
		if (err) {
			log_warn("route_add_failed", "%s error=\"%s\"", text, strerror(-err));
			st->failed++;
			continue;
		}
		log_info("route_added", "%s", text);
		st->added++;
		st->routes++;
	}
	err = keep_neighbours(&nl);
	r->dirty = st->failed > 0;
out:
	nl_close(&nl);
	free(have.v);
	free(want.v);
	return err;
}

int node_routes_flush(unsigned int *removed)
{
	struct route_list have = { 0 };
	struct nl nl;
	int err;

	*removed = 0;
	err = nl_open(&nl);
	if (err)
		return err;
	err = nl_route_dump(&nl, collect_ours, &have);
	for (size_t i = 0; !err && i < have.n; i++) {
		err = nl_route_del(&nl, &have.v[i]);
		if (err == -ESRCH)
			err = 0;
		else if (!err)
			(*removed)++;
		nl_neigh_del(&nl, have.v[i].oif, have.v[i].gw);
	}
	nl_close(&nl);
	free(have.v);
	return err;
}
