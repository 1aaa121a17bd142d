/* The maps both programs share (the loader creates them once and hands the
 * same fds to both objects). Sizes here are defaults; the loader sets the
 * real ones before load. */
#ifndef XCNI_BPF_MAPS_H
#define XCNI_BPF_MAPS_H

#include "compiler.h"
#include "xcni/ct.h"
#include "xcni/lb.h"
#include "xcni/maps.h"
#include "xcni/stats.h"

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, XCNI_MAX_SERVICES);
	__type(key, struct svc_key);
	__type(value, struct svc_value);
} services SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, XCNI_MAX_BACKENDS);
	__type(key, __u32);
	__type(value, struct backend);
} backends SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, XCNI_MAX_BACKENDS);
	__type(key, struct svc_backend_key);
	__type(value, __u8);
} svc_backends SEC(".maps");

struct maglev_table {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, XCNI_MAGLEV_M_DEFAULT);
	__type(key, __u32);
	__type(value, __u32);
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY_OF_MAPS);
	__uint(max_entries, XCNI_MAX_SERVICES);
	__type(key, __u32);
	__array(values, struct maglev_table);
} maglev SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, XCNI_MAX_CT);
	__type(key, struct ct_key);
	__type(value, struct ct_value);
} conntrack SEC(".maps");

/* See struct flow_cache_entry. Not sized at load: a cache. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, XCNI_FLOW_CACHE_SLOTS);
	__type(key, __u32);
	__type(value, struct flow_cache_entry);
} flow_cache SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, FLOW_GEN_WORDS);
	__type(key, __u32);
	__type(value, __u32);
} flow_gen SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, XCNI_MAX_AFFINITY);
	__type(key, struct affinity_key);
	__type(value, struct affinity_value);
} affinity SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, XCNI_MAX_ENDPOINTS);
	__type(key, __be32);
	__type(value, struct endpoint);
} endpoints SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct dp_config);
} dp_config_map SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, STAT_MAX);
	__type(key, __u32);
	__type(value, struct stat_value);
} stats SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, MAP_MAX);
	__type(key, __u32);
	__type(value, __u64);
} map_full SEC(".maps");

/* Array lookups with a constant key are inlined by the verifier: reading
 * the config costs no helper call. */
static __always_inline struct dp_config *dp_config(void)
{
	__u32 zero = 0;

	return bpf_map_lookup_elem(&dp_config_map, &zero);
}

/* A word of the flow caches' generation (enum flow_gen_word in xcni/ct.h),
 * inlined like the config. */
static __always_inline __u32 *flow_gen_word(__u32 which)
{
	return bpf_map_lookup_elem(&flow_gen, &which);
}

static __always_inline void count_map_full(__u32 map)
{
	__u64 *n = bpf_map_lookup_elem(&map_full, &map);

	if (n)
		*n += 1;
}

#endif
