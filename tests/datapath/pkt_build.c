/* Test frame construction and independent checksum verification. */
#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

#include "pkt_build.h"

uint16_t csum_ref(const void *data, size_t len, uint32_t initial)
{
	const uint8_t *b = data;
	uint64_t sum = initial;

	for (size_t i = 0; i + 1 < len; i += 2)
		sum += (uint32_t)(b[i] << 8 | b[i + 1]);
	if (len & 1)
		sum += (uint32_t)b[len - 1] << 8;
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)sum;
}

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = v >> 8;
	p[1] = v & 0xff;
}

static void put32(uint8_t *p, uint32_t v)
{
	put16(p, v >> 16);
	put16(p + 2, v & 0xffff);
}

static uint32_t addr(const char *s)
{
	struct in_addr a = { 0 };

	inet_pton(AF_INET, s, &a);
	return ntohl(a.s_addr);
}

/* The pseudo-header sum for an L4 segment of len bytes. */
static uint32_t pseudo(const uint8_t *ip, uint8_t proto, size_t len)
{
	return csum_ref(ip + 12, 8, 0) + proto + (uint32_t)len;
}

/* IPv4 header + L4 of s at buf; returns the IP datagram's length. */
static size_t build_ip(uint8_t *ip, const struct pkt_spec *s)
{
	size_t ihl = 20 + s->ip_opts, l4len;
	uint8_t *l4 = ip + ihl;
	uint16_t sum;

	memset(ip, 0, ihl);
	ip[0] = 0x40 | (uint8_t)(ihl / 4);
	put16(ip + 4, 0x1234);
	put16(ip + 6, s->frag);
	ip[8] = s->ttl ? s->ttl : 64;
	ip[9] = s->proto;
	put32(ip + 12, addr(s->saddr));
	put32(ip + 16, addr(s->daddr));
	memset(ip + 20, 1, s->ip_opts); /* NOP options */

	if (s->proto == 6) {
		memset(l4, 0, 20);
		put16(l4, s->sport);
		put16(l4 + 2, s->dport);
		put32(l4 + 4, s->seq);
		put32(l4 + 8, s->ack);
		l4[12] = 5 << 4;
		l4[13] = s->tcp_flags;
		put16(l4 + 14, 65535);
		l4len = 20;
	} else if (s->proto == 17) {
		put16(l4, s->sport);
		put16(l4 + 2, s->dport);
		put16(l4 + 4, 8 + s->payload);
		put16(l4 + 6, 0);
		l4len = 8;
	} else {
		memset(l4, 0, 8);
		l4[0] = s->icmp_type;
		l4[1] = s->icmp_code;
		put16(l4 + 4, s->icmp_id);
		l4len = 8;
		if (s->quote) {
			size_t qlen = build_ip(l4 + 8, s->quote);
			size_t qihl = (l4[8] & 0xf) * 4;

			(void)qlen;
			l4len += qihl + 8;
		}
	}
	for (size_t i = 0; i < s->payload; i++)
		l4[l4len + i] = (uint8_t)i;
	l4len += s->payload;
	put16(ip + 2, (uint16_t)(ihl + l4len));
	put16(ip + 10, ~csum_ref(ip, ihl, 0));

	if (s->proto == 6) {
		sum = ~csum_ref(l4, l4len, pseudo(ip, 6, l4len));
		put16(l4 + 16, sum);
	} else if (s->proto == 17 && !s->udp_no_csum) {
		sum = ~csum_ref(l4, l4len, pseudo(ip, 17, l4len));
		put16(l4 + 6, sum ? sum : 0xffff);
	} else if (s->proto == 1) {
		put16(l4 + 2, ~csum_ref(l4, l4len, 0));
	}
	return ihl + l4len;
}

size_t pkt_build(uint8_t *buf, const struct pkt_spec *s)
{
	size_t off = 12;

	memset(buf, 0, PKT_MAX);
	memcpy(buf, s->dst_mac, 6);
	memcpy(buf + 6, s->src_mac, 6);
	if (s->vlan) {
		put16(buf + off, 0x8100);
		put16(buf + off + 2, s->vlan);
		off += 4;
	}
	put16(buf + off, s->ethertype ? s->ethertype : 0x0800);
	off += 2;
	if (s->ethertype && s->ethertype != 0x0800) {
		/* Not IPv4: a recognisable body of payload bytes. */
		for (size_t i = 0; i < s->payload; i++)
			buf[off + i] = (uint8_t)(0xa0 + i);
		return off + s->payload;
	}
	return off + build_ip(buf + off, s);
}

static bool check_l4(const uint8_t *ip, size_t avail, char *why, size_t n, bool quoted)
{
	size_t ihl = (ip[0] & 0xf) * 4, tot = (size_t)(ip[2] << 8 | ip[3]);
	const uint8_t *l4 = ip + ihl;
	size_t l4len;

	if (avail < 20 || ihl < 20 || avail < ihl) {
		snprintf(why, n, "IP header truncated");
		return false;
	}
	if (csum_ref(ip, ihl, 0) != 0xffff) {
		snprintf(why, n, "%sIP header checksum wrong", quoted ? "quoted " : "");
		return false;
	}
	if (quoted)
		return true; /* a quote's L4 is truncated: only its IP header counts */
	if (tot > avail) {
		snprintf(why, n, "IP total length %zu past the frame (%zu)", tot, avail);
		return false;
	}
	l4len = tot - ihl;
	if (ip[9] == 6 && csum_ref(l4, l4len, pseudo(ip, 6, l4len)) != 0xffff) {
		snprintf(why, n, "TCP checksum wrong");
		return false;
	}
	if (ip[9] == 17 && (l4[6] | l4[7]) &&
	    csum_ref(l4, l4len, pseudo(ip, 17, l4len)) != 0xffff) {
		snprintf(why, n, "UDP checksum wrong");
		return false;
	}
	if (ip[9] == 1) {
		if (csum_ref(l4, l4len, 0) != 0xffff) {
			snprintf(why, n, "ICMP checksum wrong");
			return false;
		}
		if ((l4[0] == 3 || l4[0] == 11) && l4len >= 28)
			return check_l4(l4 + 8, l4len - 8, why, n, true);
	}
	return true;
}

bool pkt_checksums_ok(const uint8_t *frame, size_t len, char *why, size_t why_len)
{
	size_t off = 12;

	if (len < 14) {
		snprintf(why, why_len, "frame shorter than Ethernet");
		return false;
	}
	if (frame[off] == 0x81 && frame[off + 1] == 0x00)
		off += 4;
	if (frame[off] != 0x08 || frame[off + 1] != 0x00)
		return true; /* not IPv4: nothing to check */
	off += 2;
	return check_l4(frame + off, len - off, why, why_len, false);
}
