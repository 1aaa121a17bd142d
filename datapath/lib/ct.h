/* Conntrack in an LRU hash: the first packet of a flow picks its backend,
 * later ones keep it even when the Maglev table changes. Timestamps come
 * from the coarse clock user space advances (struct dp_config), written
 * only when the second changes. */
#ifndef XCNI_BPF_CT_H
#define XCNI_BPF_CT_H

#include "maps.h"
#include "parse.h"

/* A new generation in word which (enum flow_gen_word): FLOW_GEN_ALL when an
 * entry deleted or rewritten here may sit in other CPUs' flow caches,
 * FLOW_GEN_CT when an entry added here may be for a tuple some CPU caches
 * as passing. Called after the write, so an entry cached after the bump
 * has seen it (see flow_cache.h). */
static __always_inline void flow_gen_bump(__u32 which)
{
	__u32 *g = flow_gen_word(which);

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
	flow_gen_bump(FLOW_GEN_ALL);
}

/* The entry replies of fwd (translated by v) are keyed by, into *rev and
 * *rv. */
static __always_inline void ct_reply_entry(const struct ct_key *fwd, const struct ct_value *v,
					   struct ct_key *rev, struct ct_value *rv)
{
	struct endpoint *ep;

	ct_reply_key(fwd, v, rev);
	__builtin_memset(rv, 0, sizeof(*rv));
	rv->backend_id = v->backend_id;
	rv->last_seen = v->last_seen;
	rv->flags = CT_F_REPLY | (v->flags & CT_F_NODEPORT) | CT_F_REWRITE_SRC;
	rv->saddr = fwd->daddr;
	rv->sport = fwd->dport;
	if (v->flags & CT_F_REWRITE_SRC) {
		rv->flags |= CT_F_REWRITE_DST;
		rv->daddr = fwd->saddr;
		rv->dport = fwd->sport;
	}
	/* Replies end up at the client. */
	ep = bpf_map_lookup_elem(&endpoints, &fwd->saddr);
	if (ep)
		rv->ep = *ep;
}

/* Writes a reply entry. One that was there (another flow's replies had
 * this tuple: it loses them) may sit in flow caches, which must forget it.
 * Looked up first: a BPF_NOEXIST update of a full LRU map would evict some
 * other entry just to fail. */
static __always_inline int ct_put_reply(const struct ct_key *rev, const struct ct_value *rv)
{
	bool rewrite = bpf_map_lookup_elem(&conntrack, rev) != NULL;

	if (bpf_map_update_elem(&conntrack, rev, rv, BPF_ANY))
		return -1;
	/* After the write: a copy cached before the bump is stale by it. */
	if (rewrite)
		flow_gen_bump(FLOW_GEN_ALL);
	return 0;
}

/* Records both directions of a new translated flow. Returns 0, or -1 when
 * the map refused (counted as map-full; the packet is dropped rather than
 * translated without a way back). */
static __always_inline int ct_create(const struct ct_key *fwd, const struct ct_value *v)
{
	struct ct_value rv;
	struct ct_key rev;

	ct_reply_entry(fwd, v, &rev, &rv);
	if (bpf_map_update_elem(&conntrack, fwd, v, BPF_ANY))
		goto full;
	if (ct_put_reply(&rev, &rv)) {
		bpf_map_delete_elem(&conntrack, fwd);
		goto full;
	}
	flow_gen_bump(FLOW_GEN_CT);
	return 0;
full:
	count_map_full(MAP_CT);
	return -1;
}

/* A TCP SYN on a flow's forward entry opens a connection on it (a client
 * port come round again within the flow's timeout): its reply entry must
 * be there too. The LRU evicts entries one at a time, and a forward entry
 * left without its reply entry would otherwise send every SYN-ACK back
 * untranslated, until the forward entry expired. */
static __always_inline void ct_syn_repair(const struct ct_key *fwd, struct ct_value *v)
{
	struct ct_value rv, *r;
	struct ct_key rev;

	if (v->flags & CT_F_REPLY)
		return;
	/* A new connection: the closing timeout was the old one's. */
	if (v->flags & CT_F_CLOSING)
		v->flags &= ~CT_F_CLOSING;
	ct_reply_key(fwd, v, &rev);
	r = bpf_map_lookup_elem(&conntrack, &rev);
	if (r) {
		if (r->flags & CT_F_CLOSING)
			r->flags &= ~CT_F_CLOSING;
		return;
	}
	/* Built only when missing: it costs an endpoints lookup. */
	ct_reply_entry(fwd, v, &rev, &rv);
	if (bpf_map_update_elem(&conntrack, &rev, &rv, BPF_ANY))
		count_map_full(MAP_CT);
	else
		flow_gen_bump(FLOW_GEN_CT);
}

#endif
