/* Per-CPU counters, indexed by reason, shared by BPF and user space. */
#ifndef XCNI_STATS_H
#define XCNI_STATS_H

#include "types.h"

enum stat_reason {
	STAT_PASS, /* not for us: up the stack */
	STAT_TX, /* sent back out the device it came in on */
	STAT_REDIRECT, /* into a pod's veth or another device */
	STAT_DNAT, /* a new flow translated to a backend */
	STAT_CT_HIT, /* a packet of a known flow translated */
	STAT_REV_NAT, /* a reply translated back */
	STAT_REJECT, /* a service without backends answered (RST / ICMP) */
	STAT_DROP_MALFORMED,
	STAT_DROP_NO_ROUTE, /* a translated packet with nowhere to go */
	STAT_DROP_CT_FULL, /* the conntrack map refused an entry */
	STAT_DROP_NO_ROOM, /* the packet could not be resized */
	STAT_FRAGMENT, /* a non-first fragment, passed on untouched */
	STAT_POD_FORWARD, /* pod to pod, untranslated, delivered by the datapath */
	STAT_DROP_NO_LOCAL, /* externalTrafficPolicy Local, no endpoint on this node */
	STAT_MAX,
};

struct stat_value {
	__u64 packets;
	__u64 bytes;
};

#endif
