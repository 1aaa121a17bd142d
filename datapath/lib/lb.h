/* Service lookup and backend choice: ClientIP affinity first, then the
 * service's Maglev table indexed by a hash of the flow. */
#ifndef XCNI_BPF_LB_H
#define XCNI_BPF_LB_H

#include "maps.h"
#include "parse.h"

/* murmur3's finalizer: cheap, and spreads every input bit. */
static __always_inline __u32 mix32(__u32 h)
{
	h ^= h >> 16;
	h *= 0x85ebca6b;
	h ^= h >> 13;
	h *= 0xc2b2ae35;
	h ^= h >> 16;
	return h;
}

static __always_inline __u32 flow_hash(const struct ct_key *t)
{
	__u32 h = mix32(t->saddr ^ 0x9e3779b9);

	h = mix32(h ^ t->daddr);
	h = mix32(h ^ (((__u32)t->sport << 16) | t->dport) ^ t->proto);
	return h;
}

static __always_inline struct svc_value *svc_lookup(__be32 vip, __be16 port, __u8 proto)
{
	struct svc_key k = { .vip = vip, .port = port, .proto = proto };

	return bpf_map_lookup_elem(&services, &k);
}

static __always_inline struct backend *affinity_pick(const struct svc_value *svc,
						     const struct ct_key *t, __u32 now, __u32 *id)
{
	struct affinity_key ak = { .client = t->saddr, .svc_id = svc->id };
	struct affinity_value *av = bpf_map_lookup_elem(&affinity, &ak);
	struct svc_backend_key mk = { .svc_id = svc->id };
	struct backend *b;

	if (!av || now - av->last_used > svc->affinity_timeout)
		return NULL;
	/* The service may have dropped the backend since. */
	mk.backend_id = av->backend_id;
	if (!bpf_map_lookup_elem(&svc_backends, &mk))
		return NULL;
	b = bpf_map_lookup_elem(&backends, &av->backend_id);
	if (!b || (b->flags & BACKEND_F_TERMINATING))
		return NULL;
	if (av->last_used != now)
		av->last_used = now;
	*id = av->backend_id;
	return b;
}

/* Picks the backend of a new flow; NULL when there is none. */
static __always_inline struct backend *lb_pick(const struct svc_value *svc, const struct ct_key *t,
					       const struct dp_config *cfg, __u32 *id)
{
	struct affinity_value av = {};
	struct affinity_key ak = {};
	struct backend *b;
	__u32 slot, *idp;
	void *table;

	if (svc->flags & SVC_F_AFFINITY) {
		b = affinity_pick(svc, t, cfg->clock, id);
		if (b)
			return b;
	}
	if (!cfg->maglev_m)
		return NULL;
	table = bpf_map_lookup_elem(&maglev, &svc->id);
	if (!table)
		return NULL;
	slot = flow_hash(t) % cfg->maglev_m;
	idp = bpf_map_lookup_elem(table, &slot);
	if (!idp || *idp == XCNI_NO_BACKEND)
		return NULL;
	*id = *idp;
	b = bpf_map_lookup_elem(&backends, id);
	if (b && (svc->flags & SVC_F_AFFINITY)) {
		ak.client = t->saddr;
		ak.svc_id = svc->id;
		av.backend_id = *id;
		av.last_used = cfg->clock;
		if (bpf_map_update_elem(&affinity, &ak, &av, BPF_ANY))
			count_map_full(MAP_AFFINITY);
	}
	return b;
}

#endif
