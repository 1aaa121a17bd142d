/* Service load balancing maps, shared by BPF and user space: services by
 * (VIP, port, protocol), backends by id, a Maglev table per service, and
 * ClientIP session affinity. */
#ifndef XCNI_LB_H
#define XCNI_LB_H

#include "types.h"

#define XCNI_MAGLEV_M_DEFAULT 16381
/* Marks an empty Maglev slot (a service without backends). */
#define XCNI_NO_BACKEND 0xffffffffu
/* A pod reaching itself through its service is source-NATed to this
 * address (as Cilium does): the pod routes it to the node like any other,
 * where its reply is translated back. 169.254.42.1, host order. */
#define XCNI_HAIRPIN_IP 0xa9fe2a01u

/* NodePorts are keyed with vip 0: they answer on every address of the node. */
struct svc_key {
	__be32 vip;
	__be16 port;
	__u8 proto; /* IPPROTO_TCP or IPPROTO_UDP */
	__u8 pad;
};

enum svc_flags {
	SVC_F_AFFINITY = 1 << 0, /* sessionAffinity: ClientIP */
	SVC_F_LOCAL = 1 << 1, /* externalTrafficPolicy: Local: keep the client IP */
	SVC_F_NODEPORT = 1 << 2,
	SVC_F_EXTERNAL = 1 << 3, /* LoadBalancer ingress IP or externalIP */
	/* externalTrafficPolicy Local with endpoints on other nodes only:
	 * dropped, not rejected (kube-proxy's rule), so the client or its load
	 * balancer tries another node rather than take a refusal. */
	SVC_F_DROP_EMPTY = 1 << 4,
};

struct svc_value {
	__u32 id; /* index of the service's Maglev table */
	__u16 backend_count; /* 0: reject (TCP RST, ICMP port unreachable) */
	__u16 flags;
	__u32 affinity_timeout; /* seconds, with SVC_F_AFFINITY */
	__u32 pad;
};

enum backend_flags {
	BACKEND_F_TERMINATING = 1 << 0, /* no new flows; established ones finish */
};

struct backend {
	__be32 ip;
	__be16 port;
	__u8 flags;
	__u8 pad;
};

/* (service, backend) pairs in the service's current set: affinity only
 * sends a client back to a backend its service still has. */
struct svc_backend_key {
	__u32 svc_id;
	__u32 backend_id;
};

struct affinity_key {
	__be32 client;
	__u32 svc_id;
};

struct affinity_value {
	__u32 backend_id;
	__u32 last_used; /* xcni clock, seconds */
};

#endif
