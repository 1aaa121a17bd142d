// SPDX-License-Identifier: GPL-2.0
/* The lab wire's switch ports. A veth delivers what its peer sends with
 * XDP_TX (xdp_node answering or forwarding out of the device it came in on)
 * promptly only when it has an XDP program itself: with GRO alone the frames
 * wait in its ring until something else wakes it. A real wire has no such
 * delay, so every port of the lab's bridge carries this one. */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

SEC("xdp")
int wire_pass(struct xdp_md *ctx)
{
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
