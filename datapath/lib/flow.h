/* The load balancer's decision for one packet, shared by both hooks:
 * conntrack first (a known flow keeps its backend), then ICMP errors about
 * translated flows, then the services. */
#ifndef XCNI_BPF_FLOW_H
#define XCNI_BPF_FLOW_H

#include "ct.h"
#include "flow_cache.h"
#include "icmp_err.h"
#include "lb.h"
#include "nat.h"
#include "stats.h"

enum lb_verdict {
	LB_NONE, /* not service traffic: the hook's default path */
	LB_TRANSLATED, /* rewritten: deliver to *dst */
	LB_REJECT, /* a service without backends: answer */
	LB_DROP, /* *reason says why */
};

struct lb_result {
	__be32 dst; /* destination after translation, unless ep_known */
	__u32 reason; /* enum stat_reason */
	__u16 ct_flags; /* the conntrack entry's: what was rewritten */
	bool ep_known; /* ep below is the answer (from conntrack) */
	/* The local pod dst is, or NULL: the conntrack entry's own copy (a
	 * hit) or the endpoints entry (a new flow), read in place rather
	 * than copied. */
	const struct endpoint *ep;
	struct ct_value *ct; /* the entry a hit came from, for the next hop */
	/* LB_NONE: pass says ep and ct are a pass entry's (see xcni/ct.h);
	 * else fc (NULL: not to be cached) is the slot for the hook to put
	 * one in, with the generations read before any lookup. */
	bool pass, from_wire; /* from_wire: fc's entry is xdp_node's */
	struct flow_cache_entry *fc;
	__u32 gen, ct_gen;
};

/* The pod of this node the translated packet goes to, or NULL. */
static __always_inline const struct endpoint *lb_endpoint(const struct lb_result *res)
{
	if (res->ep_known)
		return res->ep;
	return bpf_map_lookup_elem(&endpoints, &res->dst);
}

/* SNAT for NodePort traffic to a remote backend keeps the client's port
 * unless another client already holds it towards that backend. */
static __always_inline int snat_port(const struct ct_key *fwd, struct ct_value *v)
{
	struct ct_key rev;
	__u16 base = bpf_ntohs(fwd->sport);

	for (int i = 0; i < 4; i++) {
		v->sport = bpf_htons(i ? (__u16)(1024 + (mix32(base + i) % 64512)) : base);
		ct_reply_key(fwd, v, &rev);
		if (!bpf_map_lookup_elem(&conntrack, &rev))
			return 0;
	}
	return -1;
}

static __always_inline enum lb_verdict lb_new_flow(void *ctx, struct pkt *p,
						   const struct dp_config *cfg, bool from_wire,
						   struct lb_result *res)
{
	const struct ct_key *t = &p->tuple;
	struct ct_value v = {};
	struct svc_value *svc;
	struct endpoint *ep;
	struct backend *b;
	__u32 id = 0;

	svc = svc_lookup(t->daddr, t->dport, t->proto);
	/* NodePorts answer on the node IP, from the wire and from pods. */
	if (!svc && t->daddr == cfg->node_ip)
		svc = svc_lookup(0, t->dport, t->proto);
	/* ClusterIPs are not reachable from the wire. */
	if (!svc || (from_wire && !(svc->flags & (SVC_F_NODEPORT | SVC_F_EXTERNAL)))) {
		if (t->proto == IPPROTO_TCP &&
		    (p->tcp_flags & (TCP_FLAG_SYN | TCP_FLAG_ACK)) == TCP_FLAG_SYN)
			ct_reap_closed(t);
		return LB_NONE;
	}
	if (!svc->backend_count) {
		if (svc->flags & SVC_F_DROP_EMPTY) {
			res->reason = STAT_DROP_NO_LOCAL;
			return LB_DROP;
		}
		return LB_REJECT;
	}
	b = lb_pick(svc, t, cfg, &id);
	if (!b)
		return LB_REJECT;
	dbg("new flow to svc %u backend %u", svc->id, id);
	v.flags = CT_F_REWRITE_DST | (from_wire ? CT_F_NODEPORT : 0);
	v.daddr = b->ip;
	v.dport = b->port;
	v.backend_id = id;
	v.last_seen = cfg->clock;
	/* From the wire to another node's backend: SNAT to this node so the
	 * reply comes back here to be translated; Local keeps the client IP
	 * (its tables hold local backends only). */
	ep = bpf_map_lookup_elem(&endpoints, &b->ip);
	if (ep)
		v.ep = *ep;
	if (from_wire && !(svc->flags & SVC_F_LOCAL) && !ep) {
		v.flags |= CT_F_REWRITE_SRC;
		v.saddr = cfg->node_ip;
	} else if (!from_wire && b->ip == t->saddr) {
		/* Hairpin: the pod would drop a packet from itself. */
		v.flags |= CT_F_REWRITE_SRC;
		v.saddr = bpf_htonl(XCNI_HAIRPIN_IP);
	}
	if ((v.flags & CT_F_REWRITE_SRC) && snat_port(t, &v)) {
		res->reason = STAT_DROP_CT_FULL;
		return LB_DROP;
	}
	if (ct_create(t, &v)) {
		res->reason = STAT_DROP_CT_FULL;
		return LB_DROP;
	}
	if (nat_apply(ctx, p, t, &v)) {
		res->reason = STAT_DROP_MALFORMED;
		return LB_DROP;
	}
	res->dst = v.daddr;
	res->reason = STAT_DNAT;
	res->ct_flags = v.flags;
	res->ep_known = true;
	res->ep = ep;
	return LB_TRANSLATED;
}

/* A pass entry still good: LB_NONE, with where it goes. */
static __always_inline enum lb_verdict lb_pass_hit(struct ct_value *v, struct lb_result *res)
{
	res->pass = true;
	res->ct = v;
	res->ep_known = true;
	res->ep = !(v->flags & CT_F_ROUTED) && v->ep.ifindex ? &v->ep : NULL;
	return LB_NONE;
}

static __always_inline enum lb_verdict lb_process(void *ctx, struct pkt *p,
						  const struct dp_config *cfg, bool from_wire,
						  struct lb_result *res)
{
	struct flow_cache_entry *fc = NULL;
	struct ct_value *v = NULL;
	__u32 gen = 0, ct_gen;
	int r;

	/* A FIN or RST goes to conntrack, which marks the flow closing; a
	 * SYN, which opens a connection on it, to check the flow whole. */
	if (!(p->tcp_flags & (TCP_FLAG_FIN | TCP_FLAG_RST | TCP_FLAG_SYN))) {
		gen = flow_gen_now(FLOW_GEN_ALL);
		fc = flow_cache_slot(p);
		v = flow_cache_get(fc, p, cfg->clock, gen);
	}
	if (!v || (v->flags & CT_F_PASS)) {
		/* Read before conntrack is, for a pass entry put in after. */
		ct_gen = flow_gen_now(FLOW_GEN_CT);
		/* The other hook's pass entry is not this one's: from the
		 * wire a ClusterIP is not served, from a pod it is. */
		if (v && v->backend_id == ct_gen &&
		    (v->flags & CT_F_NODEPORT) == (from_wire ? CT_F_NODEPORT : 0))
			return lb_pass_hit(v, res);
		if (p->tuple.proto == IPPROTO_TCP || p->tuple.proto == IPPROTO_UDP) {
			res->fc = fc;
			res->gen = gen;
			res->ct_gen = ct_gen;
			res->from_wire = from_wire;
		}
		v = bpf_map_lookup_elem(&conntrack, &p->tuple);
		if (v) {
			ct_touch(v, cfg->clock, p->tcp_flags);
			if ((p->tcp_flags & (TCP_FLAG_SYN | TCP_FLAG_ACK)) == TCP_FLAG_SYN)
				ct_syn_repair(&p->tuple, v);
			flow_cache_put(fc, p, gen, v);
		}
	}
	if (v) {
		__u16 flags;

		/* Read once: the compiler cannot tell the stores into res
		 * from stores into the entry. */
		flags = v->flags;
		res->reason = (flags & CT_F_REPLY) ? STAT_REV_NAT : STAT_CT_HIT;
		res->ct_flags = flags;
		res->ct = v; /* for the next hop, when it is forwarded */
		/* The entry knows the endpoint: res->dst is not needed. */
		res->ep_known = true;
		res->ep = !(flags & CT_F_ROUTED) && v->ep.ifindex ? &v->ep : NULL;
		if (nat_apply(ctx, p, &p->tuple, v)) {
			res->reason = STAT_DROP_MALFORMED;
			return LB_DROP;
		}
		return LB_TRANSLATED;
	}
	if (p->tuple.proto == IPPROTO_ICMP) {
		if (!icmp_is_error(p->icmp_type))
			return LB_NONE;
		r = icmp_error_nat(p, &res->ct_flags);
		if (r < 0) {
			res->reason = STAT_DROP_MALFORMED;
			return LB_DROP;
		}
		if (r == 0)
			return LB_NONE;
		hook_reload(ctx, p);
		{
			struct iphdr *ip = pkt_ip(p);

			if (!ip)
				return LB_NONE;
			res->dst = ip->daddr;
		}
		res->reason = (res->ct_flags & CT_F_REPLY) ? STAT_REV_NAT : STAT_CT_HIT;
		return LB_TRANSLATED;
	}
	return lb_new_flow(ctx, p, cfg, from_wire, res);
}

#endif
