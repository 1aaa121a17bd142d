/* Built-in IPAM operations (under the store's lock) or their delegation. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "ipam.h"
#include "ipam_exec.h"
#include "ipam_ops.h"

static int open_store(struct invocation *inv, struct ipam_store *s, bool create)
{
	int err = ipam_store_open(s, inv->conf.ipam.data_dir, inv->conf.name, create);

	if (err == -ENOENT && !create)
		return 1; /* nothing was ever allocated */
	if (err)
		return cni_errf(&inv->err, CNI_ERR_IO, "cannot open IPAM store %s/%s: %s",
				inv->conf.ipam.data_dir, inv->conf.name, strerror(-err));
	return 0;
}

static void range_text(const struct ipam_range *r, char *buf, size_t size)
{
	char a[INET_ADDRSTRLEN], b[INET_ADDRSTRLEN], g[INET_ADDRSTRLEN];

	ip4_format(r->first, a);
	ip4_format(r->last, b);
	ip4_format(r->gateway, g);
	if (r->gateway >= r->first && r->gateway <= r->last)
		snprintf(buf, size, "%s-%s (without the gateway %s)", a, b, g);
	else
		snprintf(buf, size, "%s-%s", a, b);
}

int ipam_add(struct invocation *inv, struct cni_result *res)
{
	const struct ipam_conf *c = &inv->conf.ipam;
	const cJSON *dns = cJSON_GetObjectItemCaseSensitive(inv->conf.root, "dns");
	struct ipam_range r;
	struct ipam_store s;
	char text[128];
	uint32_t ip;
	int err;

	if (!c->builtin)
		return ipam_exec(&inv->env, &inv->conf, "ADD", res, &inv->err);
	if (ipam_range_from_conf(c, &r, &inv->err) || open_store(inv, &s, true))
		return -1;
	err = ipam_allocate(&s, &r, &inv->att, &ip);
	ipam_store_close(&s);
	if (err == -ENOSPC) {
		range_text(&r, text, sizeof(text));
		return cni_errf(&inv->err, XCNI_ERR_RANGE_FULL,
				"no free address left in range %s of network %s", text,
				inv->conf.name);
	}
	if (err)
		return cni_errf(&inv->err, CNI_ERR_IO, "IPAM allocation in %s/%s: %s", c->data_dir,
				inv->conf.name, strerror(-err));
	memset(res, 0, sizeof(*res));
	res->n_ips = 1;
	res->ips[0].addr.addr = ip;
	res->ips[0].addr.len = r.subnet.len;
	res->ips[0].gw = r.gateway;
	res->ips[0].iface = -1;
	if (c->have_routes) {
		res->n_routes = c->n_routes;
		memcpy(res->routes, c->routes, sizeof(res->routes));
	} else {
		/* The default route via the gateway. */
		res->n_routes = 1;
		res->routes[0].gw = r.gateway;
	}
	if (cJSON_IsObject(dns))
		res->dns = cJSON_Duplicate(dns, 1);
	return 0;
}

int ipam_del(struct invocation *inv)
{
	struct ipam_store s;
	int err;

	if (!inv->conf.ipam.builtin)
		return ipam_exec(&inv->env, &inv->conf, "DEL", NULL, &inv->err);
	err = open_store(inv, &s, false);
	if (err)
		return err > 0 ? 0 : -1;
	err = ipam_release(&s, &inv->att);
	ipam_store_close(&s);
	if (err < 0)
		return cni_errf(&inv->err, CNI_ERR_IO, "IPAM release in %s/%s: %s",
				inv->conf.ipam.data_dir, inv->conf.name, strerror(-err));
	return 0;
}

int ipam_check(struct invocation *inv, const struct cni_result *prev)
{
	char a[INET_ADDRSTRLEN];
	struct cni_attachment owner;
	struct ipam_store s;
	int err = 0;

	if (!inv->conf.ipam.builtin)
		return ipam_exec(&inv->env, &inv->conf, "CHECK", NULL, &inv->err);
	if (open_store(inv, &s, false))
		return cni_errf(&inv->err, XCNI_ERR_CHECK, "no IPAM allocations for network %s",
				inv->conf.name);
	for (int i = 0; !err && i < prev->n_ips; i++) {
		if (ipam_owner_of(&s, prev->ips[i].addr.addr, &owner) ||
		    strcmp(owner.container_id, inv->att.container_id) ||
		    strcmp(owner.ifname, inv->att.ifname)) {
			ip4_format(prev->ips[i].addr.addr, a);
			err = cni_errf(&inv->err, XCNI_ERR_CHECK,
				       "IPAM: %s is not allocated to %s/%s", a,
				       inv->att.container_id, inv->att.ifname);
		}
	}
	ipam_store_close(&s);
	return err;
}

int ipam_status(struct invocation *inv)
{
	unsigned int used = 0, size;
	struct ipam_range r;
	struct ipam_store s;
	char text[128];
	int err;

	if (!inv->conf.ipam.builtin)
		return ipam_exec(&inv->env, &inv->conf, "STATUS", NULL, &inv->err);
	if (ipam_range_from_conf(&inv->conf.ipam, &r, &inv->err))
		return -1;
	err = open_store(inv, &s, false);
	if (err < 0)
		return -1;
	if (err == 0) {
		err = ipam_used(&s, &r, &used);
		ipam_store_close(&s);
		if (err)
			return cni_errf(&inv->err, CNI_ERR_IO, "reading IPAM store: %s",
					strerror(-err));
	}
	size = ipam_range_size(&r);
	if (used >= size) {
		range_text(&r, text, sizeof(text));
		return cni_errf(&inv->err, CNI_ERR_NOT_AVAILABLE,
				"no free address left in range %s (%u of %u in use)", text, used,
				size);
	}
	return 0;
}

int ipam_gc_run(struct invocation *inv, cni_attachment_valid_fn valid, void *data)
{
	struct ipam_store s;
	int err;

	if (!inv->conf.ipam.builtin)
		return ipam_exec(&inv->env, &inv->conf, "GC", NULL, &inv->err);
	err = open_store(inv, &s, false);
	if (err)
		return err > 0 ? 0 : -1;
	err = ipam_gc(&s, valid, data);
	ipam_store_close(&s);
	if (err < 0)
		return cni_errf(&inv->err, CNI_ERR_IO, "IPAM GC in %s/%s: %s",
				inv->conf.ipam.data_dir, inv->conf.name, strerror(-err));
	return 0;
}
