/* Service + EndpointSlices -> datapath service entries (see translate.h). */
#include <errno.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "translate.h"

struct backend_set {
	struct lb_backend *v;
	size_t n, cap;
};

static int set_add(struct backend_set *s, uint32_t ip, uint16_t port)
{
	struct lb_backend *v;

	if (s->n == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 8;

		v = realloc(s->v, cap * sizeof(*v));
		if (!v)
			return -ENOMEM;
		s->v = v;
		s->cap = cap;
	}
	s->v[s->n].ip = ip;
	s->v[s->n].port = htons(port);
	s->n++;
	return 0;
}

static int backend_cmp(const void *a, const void *b)
{
	const struct lb_backend *x = a, *y = b;

	if (x->ip != y->ip)
		return x->ip < y->ip ? -1 : 1;
	if (x->port != y->port)
		return x->port < y->port ? -1 : 1;
	return 0;
}

/* Sorted and without duplicates: the same pod may appear in two slices
 * while the controller moves it. */
static void set_normalize(struct backend_set *s)
{
	size_t i, n = 0;

	if (!s->n)
		return;
	qsort(s->v, s->n, sizeof(*s->v), backend_cmp);
	for (i = 1; i < s->n; i++)
		if (backend_cmp(&s->v[n], &s->v[i]))
			s->v[++n] = s->v[i];
	s->n = n + 1;
}

/* The backend port for service port sp in slice es: the slice port of
 * the same name and protocol; 0 when the slice does not carry it. */
static uint16_t slice_target(const struct k8s_endpoint_slice *es, const struct k8s_service_port *sp)
{
	size_t i;

	for (i = 0; i < es->n_ports; i++) {
		const struct k8s_slice_port *p = &es->ports[i];

		if (p->proto != sp->proto ||
		    strcmp(p->name ? p->name : "", sp->name ? sp->name : ""))
			continue;
		if (p->port)
			return p->port;
		/* No port value: "all ports", so the service's own target. */
		return sp->target_port.num ? sp->target_port.num : sp->port;
	}
	return 0;
}

enum pick {
	PICK_READY,
	PICK_SERVING_TERMINATING,
};

static bool endpoint_picked(const struct k8s_endpoint *e, enum pick pick)
{
	if (pick == PICK_READY)
		return e->ready;
	return e->serving && e->terminating;
}

static bool on_node(const struct k8s_endpoint_slice *es, const struct k8s_endpoint *e,
		    const char *node_name)
{
	const char *node = k8s_endpoint_node(es, e);

	return node && node_name && !strcmp(node, node_name);
}

/* Collects the backends of one service port; local_only keeps this
 * node's endpoints. */
static int port_backends(const struct k8s_service_port *sp,
			 const struct k8s_endpoint_slice *const *slices, size_t n_slices,
			 const char *node_name, bool local_only, struct backend_set *out)
{
	enum pick pick;
	size_t s, e;
	int err;

	for (pick = PICK_READY; pick <= PICK_SERVING_TERMINATING && !out->n; pick++) {
		for (s = 0; s < n_slices; s++) {
			const struct k8s_endpoint_slice *es = slices[s];
			uint16_t port;

			if (es->address_type != K8S_ADDR_IPV4)
				continue;
			port = slice_target(es, sp);
			if (!port)
				continue;
			for (e = 0; e < es->n_endpoints; e++) {
				const struct k8s_endpoint *ep = &es->endpoints[e];

				if (!endpoint_picked(ep, pick))
					continue;
				if (!ep->addr || (local_only && !on_node(es, ep, node_name)))
					continue;
				err = set_add(out, ep->addr, port);
				if (err)
					return err;
			}
		}
	}
	set_normalize(out);
	return 0;
}

static int entries_add(struct lb_entries *out, size_t *cap, const struct svc_key *k, uint16_t flags,
		       uint32_t timeout, const struct backend_set *b)
{
	struct lb_entry *v, *e;
	size_t i;

	for (i = 0; i < out->n; i++)
		if (!lb_key_cmp(&out->v[i].key, k))
			return 0; /* listed twice (an externalIP repeated) */
	if (out->n == *cap) {
		size_t ncap = *cap ? *cap * 2 : 4;

		v = realloc(out->v, ncap * sizeof(*v));
		if (!v)
			return -ENOMEM;
		out->v = v;
		*cap = ncap;
	}
	e = &out->v[out->n];
	memset(e, 0, sizeof(*e));
	e->key = *k;
	e->flags = flags;
	e->affinity_timeout = timeout;
	if (b->n) {
		e->backends = malloc(b->n * sizeof(*b->v));
		if (!e->backends)
			return -ENOMEM;
		memcpy(e->backends, b->v, b->n * sizeof(*b->v));
		e->n_backends = b->n;
	}
	out->n++;
	return 0;
}

static int entry_cmp(const void *a, const void *b)
{
	return lb_key_cmp(&((const struct lb_entry *)a)->key, &((const struct lb_entry *)b)->key);
}

int lb_key_cmp(const struct svc_key *a, const struct svc_key *b)
{
	uint32_t va = ntohl(a->vip), vb = ntohl(b->vip);
	uint16_t pa = ntohs(a->port), pb = ntohs(b->port);

	if (va != vb)
		return va < vb ? -1 : 1;
	if (pa != pb)
		return pa < pb ? -1 : 1;
	if (a->proto != b->proto)
		return a->proto < b->proto ? -1 : 1;
	return 0;
}

/* The entries of one service port: its ClusterIP, its NodePort and its
 * external addresses. */
static int translate_port(const struct k8s_service *svc, const struct k8s_service_port *sp,
			  const struct k8s_endpoint_slice *const *slices, size_t n_slices,
			  const char *node_name, struct lb_entries *out, size_t *cap)
{
	struct backend_set all = { 0 }, local = { 0 };
	const struct backend_set *ext;
	uint16_t base = 0, ext_flags;
	uint32_t timeout = 0;
	struct svc_key k;
	size_t i;
	int err;

	if (svc->affinity_client_ip) {
		base = SVC_F_AFFINITY;
		timeout = svc->affinity_timeout;
	}
	err = port_backends(sp, slices, n_slices, node_name, false, &all);
	if (!err && svc->etp_local)
		err = port_backends(sp, slices, n_slices, node_name, true, &local);
	if (err)
		goto out;
	ext = svc->etp_local ? &local : &all;
	ext_flags = base | (svc->etp_local ? SVC_F_LOCAL : 0);
	if (svc->etp_local && !local.n && all.n)
		ext_flags |= SVC_F_DROP_EMPTY;

	memset(&k, 0, sizeof(k));
	k.port = htons(sp->port);
	k.proto = sp->proto;
	if (svc->cluster_ip) {
		k.vip = svc->cluster_ip;
		err = entries_add(out, cap, &k, base, timeout, &all);
		if (err)
			goto out;
	}
	if (sp->node_port &&
	    (svc->type == K8S_SVC_NODE_PORT || svc->type == K8S_SVC_LOAD_BALANCER)) {
		k.vip = 0;
		k.port = htons(sp->node_port);
		err = entries_add(out, cap, &k, ext_flags | SVC_F_NODEPORT, timeout, ext);
		if (err)
			goto out;
		k.port = htons(sp->port);
	}
	for (i = 0; i < svc->n_external_ips && !err; i++) {
		k.vip = svc->external_ips[i];
		err = entries_add(out, cap, &k, ext_flags | SVC_F_EXTERNAL, timeout, ext);
	}
	for (i = 0; svc->type == K8S_SVC_LOAD_BALANCER && i < svc->n_lb_ips && !err; i++) {
		k.vip = svc->lb_ips[i];
		err = entries_add(out, cap, &k, ext_flags | SVC_F_EXTERNAL, timeout, ext);
	}
out:
	free(all.v);
	free(local.v);
	return err;
}

int translate_service(const struct k8s_service *svc, const struct k8s_endpoint_slice *const *slices,
		      size_t n_slices, const char *node_name, struct lb_entries *out)
{
	size_t i, cap = 0;
	int err = 0;

	memset(out, 0, sizeof(*out));
	if (svc->type == K8S_SVC_EXTERNAL_NAME || svc->headless)
		return 0;
	for (i = 0; i < svc->n_ports && !err; i++) {
		const struct k8s_service_port *sp = &svc->ports[i];

		/* The datapath balances TCP and UDP; SCTP goes up untouched. */
		if (sp->proto != IPPROTO_TCP && sp->proto != IPPROTO_UDP)
			continue;
		err = translate_port(svc, sp, slices, n_slices, node_name, out, &cap);
	}
	if (err) {
		lb_entries_free(out);
		return err;
	}
	qsort(out->v, out->n, sizeof(*out->v), entry_cmp);
	return 0;
}

void lb_entries_free(struct lb_entries *e)
{
	size_t i;

	for (i = 0; i < e->n; i++)
		free(e->v[i].backends);
	free(e->v);
	memset(e, 0, sizeof(*e));
}
