/* The conntrack GC: expires a flow's two entries together once both are
 * idle past the protocol's timeout. The map is read in batches (a few
 * syscalls for the whole table, where an entry at a time cost three each:
 * ~0.1 s of CPU a run at 262k entries) and partners are found in that copy. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/bpf.h>

#include "dp.h"

#define GC_BATCH 4096

/* The other direction's key of a conntrack entry (see ct_reply_key in the
 * datapath; a reply entry inverts it). */
static void ct_partner(const struct ct_key *k, const struct ct_value *v, struct ct_key *out)
{
	memset(out, 0, sizeof(*out));
	out->proto = k->proto;
	if (!(v->flags & CT_F_REPLY)) {
		out->saddr = (v->flags & CT_F_REWRITE_DST) ? v->daddr : k->daddr;
		out->sport = (v->flags & CT_F_REWRITE_DST) ? v->dport : k->dport;
		out->daddr = (v->flags & CT_F_REWRITE_SRC) ? v->saddr : k->saddr;
		out->dport = (v->flags & CT_F_REWRITE_SRC) ? v->sport : k->sport;
	} else {
		/* A reply entry rewrites its source back to the service and,
		 * after SNAT, its destination back to the client. */
		out->saddr = (v->flags & CT_F_REWRITE_DST) ? v->daddr : k->daddr;
		out->sport = (v->flags & CT_F_REWRITE_DST) ? v->dport : k->dport;
		out->daddr = v->saddr;
		out->dport = v->sport;
	}
}

static uint32_t ct_timeout(const struct ct_key *k, uint16_t flags)
{
	if (flags & CT_F_CLOSING)
		return CT_TIMEOUT_TCP_CLOSING;
	return k->proto == 6 ? CT_TIMEOUT_TCP : CT_TIMEOUT_OTHER;
}

/* The table as read: keys and values side by side, and the keys' order. */
struct ct_copy {
	struct ct_key *keys;
	struct ct_value *vals;
	uint32_t *order;
	size_t n, cap;
};

static int key_cmp(const struct ct_key *a, const struct ct_key *b)
{
	return memcmp(a, b, sizeof(*a));
}

static int order_cmp(const void *a, const void *b, void *copy)
{
	const struct ct_copy *c = copy;

	return key_cmp(&c->keys[*(const uint32_t *)a], &c->keys[*(const uint32_t *)b]);
}

static int copy_grow(struct ct_copy *c, size_t want)
{
	size_t cap = c->cap ? c->cap : GC_BATCH;
	void *k, *v;

	while (cap < want)
		cap *= 2;
	if (cap == c->cap)
		return 0;
	k = realloc(c->keys, cap * sizeof(*c->keys));
	if (k)
		c->keys = k;
	v = realloc(c->vals, cap * sizeof(*c->vals));
	if (v)
		c->vals = v;
	if (!k || !v)
		return -ENOMEM;
	c->cap = cap;
	return 0;
}

/* Reads the whole map in batches. */
static int copy_read(int fd, struct ct_copy *c)
{
	DECLARE_LIBBPF_OPTS(bpf_map_batch_opts, opts);
	struct ct_key out_batch;
	void *in = NULL;
	__u32 count;
	int err;

	for (;;) {
		err = copy_grow(c, c->n + GC_BATCH);
		if (err)
			return err;
		count = GC_BATCH;
		err = bpf_map_lookup_batch(fd, in, &out_batch, c->keys + c->n, c->vals + c->n,
					   &count, &opts);
		c->n += count;
		if (err)
			return errno == ENOENT ? 0 : -errno;
		in = &out_batch;
	}
}

static const struct ct_value *copy_find(const struct ct_copy *c, const struct ct_key *k)
{
	size_t lo = 0, hi = c->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int d = key_cmp(k, &c->keys[c->order[mid]]);

		if (!d)
			return &c->vals[c->order[mid]];
		if (d < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return NULL;
}

static int copy_index(struct ct_copy *c)
{
	c->order = malloc((c->n ? c->n : 1) * sizeof(*c->order));
	if (!c->order)
		return -ENOMEM;
	for (size_t i = 0; i < c->n; i++)
		c->order[i] = (uint32_t)i;
	qsort_r(c->order, c->n, sizeof(*c->order), order_cmp, c);
	return 0;
}

int dp_ct_gc(const struct datapath *dp, uint32_t now, struct ct_gc_result *r)
{
	struct ct_copy c = { 0 };
	const struct ct_value *pv;
	struct ct_key partner;
	struct ct_value v, cur;
	int err;

	memset(r, 0, sizeof(*r));
	err = copy_read(dp->fd_ct, &c);
	if (!err)
		err = copy_index(&c);
	for (size_t i = 0; !err && i < c.n; i++) {
		r->scanned++;
		v = c.vals[i];
		ct_partner(&c.keys[i], &v, &partner);
		pv = copy_find(&c, &partner);
		if (pv) {
			if (pv->last_seen > v.last_seen)
				v.last_seen = pv->last_seen;
			v.flags |= pv->flags & CT_F_CLOSING;
		}
		if (now - v.last_seen <= ct_timeout(&c.keys[i], v.flags))
			continue;
		/* The datapath may have used or made the key anew since the
		 * read (a client port come round again): that entry stays. */
		if (!bpf_map_lookup_elem(dp->fd_ct, &c.keys[i], &cur) &&
		    cur.last_seen != c.vals[i].last_seen)
			continue;
		if (!bpf_map_delete_elem(dp->fd_ct, &c.keys[i]))
			r->expired++;
	}
	free(c.keys);
	free(c.vals);
	free(c.order);
	if (r->expired && !err)
		err = dp_flow_cache_flush(dp);
	return err;
}
