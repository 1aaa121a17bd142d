/* The metadata xdp_node leaves in front of the frames it passes up, read
 * by TC ingress on the same device. A missing or short area means "no XDP
 * verdict", never "allowed". */
#ifndef XCNI_META_H
#define XCNI_META_H

#include "types.h"

#define XCNI_META_MAGIC 0x58434e49 /* "XCNI" */

enum meta_mark {
	META_F_TRANSLATED = 1 << 0,
	META_F_SNAT = 1 << 1,
	META_F_REPLY = 1 << 2,
};

struct xdp_meta {
	__u32 magic;
	__u32 mark; /* enum meta_mark */
	__u32 rx_queue;
	__u32 verdict; /* enum stat_reason of the XDP decision */
	__u64 timestamp; /* the datapath clock (seconds) when it passed */
};

#endif
