/* The per-CPU flow cache in front of conntrack (struct flow_cache_entry in
 * xcni/ct.h): a hit is an array lookup the verifier inlines and a compare,
 * where the LRU hash lookup it saves is a call (about 25 ns on this kernel,
 * most of a conntrack hit's cost; see bench/RESULTS.md). */
#ifndef XCNI_BPF_FLOW_CACHE_H
#define XCNI_BPF_FLOW_CACHE_H

#include "lb.h"
#include "maps.h"
#include "parse.h"

/* Read before conntrack (and for a pass entry, the services, endpoints
 * and fib) is: a change after that read is cached with the old
 * generation, which the changer's bump makes stale. */
static __always_inline __u32 flow_gen_now(__u32 which)
{
	__u32 *g = flow_gen_word(which);

	return g ? *g : 0;
}

/* Direct-mapped: a colliding flow just takes the slot over. */
static __always_inline struct flow_cache_entry *flow_cache_slot(const struct pkt *p)
{
	__u64 w0 = p->tuple_words[0], w1 = p->tuple_words[1];
	__u32 h = mix32((__u32)w0 ^ (__u32)(w0 >> 32) * 0x9e3779b1 ^ (__u32)w1 ^ (__u32)(w1 >> 32));
	__u32 slot = h & (XCNI_FLOW_CACHE_SLOTS - 1);

	return bpf_map_lookup_elem(&flow_cache, &slot);
}

/* The cached copy of p's conntrack entry, or NULL. */
static __always_inline struct ct_value *flow_cache_get(struct flow_cache_entry *e,
						       const struct pkt *p, __u32 now, __u32 gen)
{
	if (!e || e->key[0] != p->tuple_words[0] || e->key[1] != p->tuple_words[1] ||
	    e->v.last_seen != now || e->gen != gen)
		return NULL;
	return &e->v;
}

/* Caches v (just touched in conntrack: its last_seen is now) for the rest
 * of the tick. A closing flow is not cached: its last packets go to
 * conntrack, which keeps its short timeout. */
static __always_inline void flow_cache_put(struct flow_cache_entry *e, const struct pkt *p,
					   __u32 gen, const struct ct_value *v)
{
	if (!e || (v->flags & CT_F_CLOSING))
		return;
	e->key[0] = p->tuple_words[0];
	e->key[1] = p->tuple_words[1];
	e->gen = gen;
	e->v = *v;
}

/* A pass entry for p, made by xdp_node (from_wire) or tc_pod: no conntrack
 * entry, no service; ep (NULL: none) is the pod of this node it goes to.
 * Returns the entry's value, for the hook to complete (next_hop writes a
 * next hop into it), or NULL. */
static __always_inline struct ct_value *flow_cache_put_pass(struct flow_cache_entry *e,
							    const struct pkt *p, __u32 now,
							    __u32 gen, __u32 ct_gen, bool from_wire,
							    const struct endpoint *ep)
{
	if (!e)
		return NULL;
	e->key[0] = p->tuple_words[0];
	e->key[1] = p->tuple_words[1];
	e->gen = gen;
	__builtin_memset(&e->v, 0, sizeof(e->v));
	/* Whose it is, as conntrack marks the flows xdp_node makes. */
	e->v.flags = CT_F_PASS | (from_wire ? CT_F_NODEPORT : 0);
	e->v.last_seen = now;
	e->v.backend_id = ct_gen;
	if (ep)
		e->v.ep = *ep;
	return &e->v;
}

#endif
