/* Conntrack in an LRU hash: the first packet of a flow picks its backend,
 * later ones keep it even when the Maglev table changes. Timestamps come
 * from the coarse clock user space advances (struct dp_config), written
 * only when the second changes. */
#ifndef XCNI_BPF_CT_H
#define XCNI_BPF_CT_H

#include "maps.h"
#include "parse.h"

/* Entries deleted or rewritten here may sit in other CPUs' flow caches:
 * a new generation makes every cached copy stale (see flow_cache.h). */
static __always_inline void flow_gen_bump(void)
{
	__u32 zero = 0;
	__u32 *g = bpf_map_lookup_elem(&flow_gen, &zero);

	if (g)
		__sync_fetch_and_add(g, 1);
}

static __always_inline void ct_touch(struct ct_value *v, __u32 now, __u8 tcp_flags)
{
	if (v->last_seen != now)
		v->last_seen = now;
	if ((tcp_flags & (TCP_FLAG_FIN | TCP_FLAG_RST)) && !(v->flags & CT_F_CLOSING))
		v->flags |= CT_F_CLOSING;
}

/* The key replies of fwd (after translation by v) arrive with. */
static __always_inline void ct_reply_key(const struct ct_key *fwd, const struct ct_value *v,
					 struct ct_key *rev)
{
	__builtin_memset(rev, 0, sizeof(*rev));
	rev->proto = fwd->proto;
	rev->saddr = (v->flags & CT_F_REWRITE_DST) ? v->daddr : fwd->daddr;
	rev->sport = (v->flags & CT_F_REWRITE_DST) ? v->dport : fwd->dport;
	rev->daddr = (v->flags & CT_F_REWRITE_SRC) ? v->saddr : fwd->saddr;
	rev->dport = (v->flags & CT_F_REWRITE_SRC) ? v->sport : fwd->sport;
}

/* A TCP SYN opening an untranslated connection on the tuple a closed
 * translated flow's replies used (the client's port reused, towards the
 * backend itself, within the closing timeout): that flow's entries go, or
 * the new connection's replies would be translated into the old one.
 * netfilter likewise lets a SYN replace a closing connection. */
static __always_inline void ct_reap_closed(const struct ct_key *t)
{
	struct ct_key rk, fk;
	struct ct_value *r, *f;

	__builtin_memset(&rk, 0, sizeof(rk));
	rk.proto = t->proto;
	rk.saddr = t->daddr;
	rk.sport = t->dport;
	rk.daddr = t->saddr;
	rk.dport = t->sport;
	r = bpf_map_lookup_elem(&conntrack, &rk);
	if (!r || !(r->flags & CT_F_REPLY))
		return;
	/* The flow's first entry: the key its packets had, which translating
	 * a reply gives back. */
	ct_reply_key(&rk, r, &fk);
	f = bpf_map_lookup_elem(&conntrack, &fk);
	if (!(r->flags & CT_F_CLOSING) && !(f && (f->flags & CT_F_CLOSING)))
		return;
	bpf_map_delete_elem(&conntrack, &fk);
	bpf_map_delete_elem(&conntrack, &rk);
	flow_gen_bump();
}

/* Records both directions of a new translated flow. Returns 0, or -1 when
 * the map refused (counted as map-full; the packet is dropped rather than
 * translated without a way back). */
static __always_inline int ct_create(const struct ct_key *fwd, const struct ct_value *v)
{
	struct ct_value rv = {};
	struct endpoint *ep;
	struct ct_key rev;

	ct_reply_key(fwd, v, &rev);
	rv.backend_id = v->backend_id;
	rv.last_seen = v->last_seen;
	rv.flags = CT_F_REPLY | (v->flags & CT_F_NODEPORT) | CT_F_REWRITE_SRC;
	rv.saddr = fwd->daddr;
	rv.sport = fwd->dport;
	if (v->flags & CT_F_REWRITE_SRC) {
		rv.flags |= CT_F_REWRITE_DST;
		rv.daddr = fwd->saddr;
		rv.dport = fwd->sport;
	}
	/* Replies end up at the client. */
	ep = bpf_map_lookup_elem(&endpoints, &fwd->saddr);
	if (ep)
		rv.ep = *ep;
	if (bpf_map_update_elem(&conntrack, fwd, v, BPF_ANY))
		goto full;
	if (bpf_map_update_elem(&conntrack, &rev, &rv, BPF_NOEXIST)) {
		/* Another flow's replies had this tuple: it loses them (as
		 * before), and caches must forget its entry. */
		flow_gen_bump();
		if (bpf_map_update_elem(&conntrack, &rev, &rv, BPF_ANY)) {
			bpf_map_delete_elem(&conntrack, fwd);
			goto full;
		}
	}
	return 0;
full:
	count_map_full(MAP_CT);
	return -1;
}

#endif
