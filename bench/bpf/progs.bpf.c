// SPDX-License-Identifier: GPL-2.0
/* The datapath benchmark's own programs (bench/dp_bench.c): the trivial
 * anchors the datapath is measured beside, a bare devmap redirect, the
 * XDP program that counts and drops live frames on the receiving veth,
 * and wrappers that rewrite the frame before tail-calling a datapath
 * program, so that every repeat of BPF_PROG_TEST_RUN sees the input meant
 * (the kernel re-runs a program on the same, already rewritten, buffer). */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

#define TC_ACT_OK 0
#define TC_ACT_SHOT 2
/* What the wrappers restore: Ethernet + IPv4 (no options) + TCP, or UDP
 * and the start of its payload. */
#define FRAME_LEN 54
#define OFF_SADDR 26
#define OFF_DADDR 30
#define OFF_SPORT 34

enum wrap_mode {
	WRAP_RESTORE, /* the template, unchanged */
	WRAP_FRESH, /* a new source address and port each repeat */
	WRAP_CYCLE, /* also the destination: flow cnt of ncycle, round robin */
};

/* Written by user space (skeleton .bss) between runs. */
__u8 tmpl[64] __attribute__((aligned(8)));
__u32 saddr_base; /* host order */
__u32 daddr_base; /* host order */
__u32 cnt;
__u32 ncycle;
__u32 redirect_ifindex;

/* Slot 0: the program the wrappers hand the frame to. */
struct {
	__uint(type, BPF_MAP_TYPE_PROG_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u32);
} xdp_next SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PROG_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u32);
} tc_next SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_DEVMAP_HASH);
	__uint(max_entries, 8);
	__type(key, __u32);
	__type(value, struct bpf_devmap_val);
} redirect_ports SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} rx_count SEC(".maps");

SEC("xdp")
int xdp_drop(struct xdp_md *ctx)
{
	return XDP_DROP;
}

SEC("tc")
int tc_ok(struct __sk_buff *skb)
{
	return TC_ACT_OK;
}

SEC("xdp")
int xdp_redirect(struct xdp_md *ctx)
{
	return bpf_redirect_map(&redirect_ports, redirect_ifindex, 0);
}

SEC("xdp")
int xdp_count_drop(struct xdp_md *ctx)
{
	__u32 zero = 0;
	__u64 *n = bpf_map_lookup_elem(&rx_count, &zero);

	if (n)
		*n += 1;
	return XDP_DROP;
}

/* Copies the template over the frame and, by mode, gives it a new tuple.
 * Checksums are left as they fall: the datapath never verifies them. */
static __always_inline int wrap(void *data, void *data_end, enum wrap_mode mode)
{
	const __u64 *s = (const __u64 *)tmpl;
	__u64 *d = data;
	__u32 i;

	if (data + FRAME_LEN > data_end)
		return -1;
	d[0] = s[0];
	d[1] = s[1];
	d[2] = s[2];
	d[3] = s[3];
	d[4] = s[4];
	d[5] = s[5];
	*(__u32 *)(data + 48) = *(const __u32 *)(tmpl + 48);
	*(__u16 *)(data + 52) = *(const __u16 *)(tmpl + 52);
	if (mode == WRAP_RESTORE)
		return 0;
	i = cnt;
	if (mode == WRAP_CYCLE) {
		cnt = i + 1 < ncycle ? i + 1 : 0;
		*(__be32 *)(data + OFF_DADDR) = bpf_htonl(daddr_base + i);
	} else {
		cnt = i + 1;
	}
	*(__be32 *)(data + OFF_SADDR) = bpf_htonl(saddr_base + (i >> 15));
	*(__be16 *)(data + OFF_SPORT) = bpf_htons(0x8000 | (i & 0x7fff));
	return 0;
}

static __always_inline int xdp_wrap(struct xdp_md *ctx, enum wrap_mode mode)
{
	if (wrap((void *)(long)ctx->data, (void *)(long)ctx->data_end, mode))
		return XDP_ABORTED;
	bpf_tail_call(ctx, &xdp_next, 0);
	return XDP_ABORTED;
}

static __always_inline int tc_wrap(struct __sk_buff *skb, enum wrap_mode mode)
{
	/* TC_ACT_SHOT: a failed tail call never passes for tc_ok's verdict. */
	if (wrap((void *)(long)skb->data, (void *)(long)skb->data_end, mode))
		return TC_ACT_SHOT;
	bpf_tail_call(skb, &tc_next, 0);
	return TC_ACT_SHOT;
}

SEC("xdp")
int xdp_restore(struct xdp_md *ctx)
{
	return xdp_wrap(ctx, WRAP_RESTORE);
}

SEC("xdp")
int xdp_fresh(struct xdp_md *ctx)
{
	return xdp_wrap(ctx, WRAP_FRESH);
}

SEC("tc")
int tc_restore(struct __sk_buff *skb)
{
	return tc_wrap(skb, WRAP_RESTORE);
}

SEC("tc")
int tc_fresh(struct __sk_buff *skb)
{
	return tc_wrap(skb, WRAP_FRESH);
}

SEC("tc")
int tc_cycle(struct __sk_buff *skb)
{
	return tc_wrap(skb, WRAP_CYCLE);
}

char LICENSE[] SEC("license") = "GPL";
