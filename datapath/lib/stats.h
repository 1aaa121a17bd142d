/* Per-CPU packet and byte counters per decision and drop reason. */
#ifndef XCNI_BPF_STATS_H
#define XCNI_BPF_STATS_H

#include "maps.h"

static __always_inline void count(__u32 reason, __u32 bytes)
{
	struct stat_value *s = bpf_map_lookup_elem(&stats, &reason);

	if (s) {
		s->packets++;
		s->bytes += bytes;
	}
}

#endif
