/* Common includes and helpers for every BPF program of the datapath. */
#ifndef XCNI_BPF_COMPILER_H
#define XCNI_BPF_COMPILER_H

#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

#define ETH_P_IP 0x0800
#define ETH_P_8021Q 0x8100
#define ETH_P_8021AD 0x88A8
#define ETH_ALEN 6
#define IP_MF 0x2000
#define IP_OFFSET 0x1fff
#define TC_ACT_OK 0
#define TC_ACT_SHOT 2
#define TC_ACT_REDIRECT 7
/* ICMP types and codes are macros in uapi, absent from vmlinux.h. */
#define ICMP_ECHOREPLY 0
#define ICMP_DEST_UNREACH 3
#define ICMP_SOURCE_QUENCH 4
#define ICMP_ECHO 8
#define ICMP_TIME_EXCEEDED 11
#define ICMP_PARAMETERPROB 12
#define ICMP_PORT_UNREACH 3

/* Headers end well before this offset (Ethernet, a tag, IPv4 with options,
 * L4); bounding offsets by it lets the verifier prove packet accesses
 * (it learns nothing from pointers that may reach 64 KiB). */
#define XCNI_MAX_HDR_OFF 1024

#ifndef offsetof
#define offsetof(type, member) __builtin_offsetof(type, member)
#endif

#ifdef XCNI_DEBUG
/* make DEBUG=1: decisions go to the trace pipe (fentry tools are refused
 * on this kernel, so printk is the probe). */
#define dbg(fmt, ...) bpf_printk("xcni: " fmt, ##__VA_ARGS__)
#else
#define dbg(fmt, ...) \
	do {          \
	} while (0)
#endif

#endif
