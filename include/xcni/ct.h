/* Conntrack, shared by BPF and user space. A translated flow has two
 * entries: one keyed by the tuple of its first packet (client to service)
 * and one keyed by the tuple its replies arrive with; each says what to
 * rewrite, so either direction is one lookup and one rewrite. */
#ifndef XCNI_CT_H
#define XCNI_CT_H

#include "types.h"
#include "maps.h"

struct ct_key {
	__be32 saddr;
	__be32 daddr;
	__be16 sport; /* ICMP echo: the identifier in both */
	__be16 dport;
	__u8 proto;
	__u8 pad[3];
};

enum ct_flags {
	CT_F_REPLY = 1 << 0, /* keyed by the reply direction */
	CT_F_REWRITE_SRC = 1 << 1,
	CT_F_REWRITE_DST = 1 << 2,
	CT_F_CLOSING = 1 << 3, /* TCP FIN or RST seen: short timeout */
	CT_F_NODEPORT = 1 << 4, /* made by xdp_node */
	CT_F_ROUTED = 1 << 5, /* ep is xdp_node's cached next hop, not a pod */
	/* Flow cache only, never in conntrack: a pass entry (see below). */
	CT_F_PASS = 1 << 6,
};

struct ct_value {
	__be32 saddr; /* the rewritten source, with CT_F_REWRITE_SRC */
	__be32 daddr; /* the rewritten destination, with CT_F_REWRITE_DST */
	__be16 sport;
	__be16 dport;
	__u32 backend_id;
	__u32 last_seen; /* xcni clock, seconds; refreshed at most once a tick */
	__u16 flags;
	__u16 pad;
	/* Where packets of this direction end up when that is a pod of this
	 * node (ifindex 0: elsewhere), fixed when the flow starts: a hit then
	 * needs no endpoints lookup (as Cilium's conntrack keeps its ifindex).
	 * With CT_F_ROUTED it is instead the next hop xdp_node's fib lookup
	 * found (egress ifindex, neighbour MAC, own MAC) at clock nh_time,
	 * looked up again once the clock has moved on. */
	struct endpoint ep;
	__u32 nh_time;
};

/* The per-CPU flow cache in front of conntrack (datapath/lib/flow_cache.h):
 * a direct-mapped copy of the entries hit this clock tick, so a packet of
 * an established flow costs an inlined array lookup rather than a call
 * into the LRU hash. A slot holds until the clock moves on (a second) or
 * the generation in "flow_gen" (word FLOW_GEN_ALL) changes: whoever deletes
 * or rewrites conntrack entries, services, endpoints or the config bumps
 * it (dp_flow_cache_flush in user space).
 *
 * A slot may instead hold a pass entry (CT_F_PASS): the tuple has no
 * conntrack entry and no service, and goes where ep says (a pod of this
 * node, or with CT_F_ROUTED the next hop the fib named; ifindex 0: up the
 * stack), as the hook that made it (CT_F_NODEPORT: xdp_node) decided:
 * the other hook does not use it. Untranslated pod traffic then skips
 * the conntrack, service, endpoint and fib lookups. A conntrack entry the
 * datapath adds for that tuple would make it wrong: every such addition
 * bumps word FLOW_GEN_CT, which a pass entry keeps in v.backend_id and
 * checks besides. */
enum flow_gen_word {
	FLOW_GEN_ALL,
	FLOW_GEN_CT,
	FLOW_GEN_WORDS,
};

#define XCNI_FLOW_CACHE_SLOTS 1024 /* per CPU; a power of two */

struct flow_cache_entry {
	__u64 key[2]; /* the tuple, as struct pkt's tuple_words */
	__u32 gen; /* flow_gen when it was filled */
	/* The conntrack entry's copy, touched just before: its last_seen is
	 * the tick it was filled in. */
	struct ct_value v;
};

/* One cache line a slot: a hit touches one line. */
_Static_assert(sizeof(struct flow_cache_entry) == 64, "flow cache slot size");

/* Idle timeouts the user-space GC applies, in seconds (kube-proxy's). */
#define CT_TIMEOUT_TCP 21600
#define CT_TIMEOUT_TCP_CLOSING 10
#define CT_TIMEOUT_OTHER 300

#endif
