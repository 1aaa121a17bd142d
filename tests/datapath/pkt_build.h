/* Test frames: built from a description with correct checksums, and
 * checked by an independent software checksum (RFC 1071), never by the
 * datapath's own arithmetic. */
#ifndef XCNI_TEST_PKT_BUILD_H
#define XCNI_TEST_PKT_BUILD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define PKT_MAX 2048

struct pkt_spec {
	uint8_t src_mac[6], dst_mac[6];
	uint16_t vlan; /* 802.1Q VLAN id, 0 for none */
	uint16_t ethertype; /* 0: IPv4 */
	const char *saddr, *daddr; /* dotted quads */
	uint8_t proto; /* 6 TCP, 17 UDP, 1 ICMP */
	uint16_t sport, dport; /* host order */
	uint8_t tcp_flags; /* 0x02 SYN ... */
	uint32_t seq, ack;
	uint8_t ip_opts; /* bytes of IPv4 options (multiple of 4, <= 40): NOPs */
	uint16_t payload; /* bytes of payload (a counting pattern) */
	uint8_t ttl; /* 0: 64 */
	uint16_t frag; /* host order: flags (0x2000 MF) | offset in 8-byte units */
	uint8_t icmp_type, icmp_code;
	uint16_t icmp_id; /* echo */
	bool udp_no_csum; /* UDP checksum 0 */
	/* ICMP error: quote this frame's IP header and 8 bytes after it. */
	const struct pkt_spec *quote;
};

/* Writes the frame into buf (at least PKT_MAX bytes); returns its length. */
size_t pkt_build(uint8_t *buf, const struct pkt_spec *s);

/* One's complement sum of len bytes (RFC 1071), folded, not inverted. */
uint16_t csum_ref(const void *data, size_t len, uint32_t initial);

/* Verifies every checksum of an IPv4 frame: IP header, TCP/UDP (with the
 * pseudo-header; a zero UDP checksum counts as none), ICMP (and the IP
 * header it quotes). why gets the first mismatch. */
bool pkt_checksums_ok(const uint8_t *frame, size_t len, char *why, size_t why_len);

/* Byte offsets of an untagged IPv4 frame without options. */
#define OFF_IP 14
#define OFF_L4 34

#endif
