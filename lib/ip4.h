/* IPv4 addresses and prefixes in host byte order, for arithmetic over ranges. */
#ifndef XCNI_IP4_H
#define XCNI_IP4_H

#include <stdbool.h>
#include <stdint.h>
#include <netinet/in.h>

struct ip4_prefix {
	uint32_t addr;
	uint8_t len;
};

/* Longest dotted-quad (with its terminator) plus "/255": a u8 as the
 * compiler sees it. */
#define IP4_PREFIX_STRLEN (INET_ADDRSTRLEN + 4)

int ip4_parse(const char *s, uint32_t *addr);
int ip4_prefix_parse(const char *s, struct ip4_prefix *p);
void ip4_format(uint32_t addr, char buf[INET_ADDRSTRLEN]);
void ip4_prefix_format(const struct ip4_prefix *p, char buf[IP4_PREFIX_STRLEN]);

static inline uint32_t ip4_mask(uint8_t len)
{
	return len ? ~0u << (32 - len) : 0;
}

static inline uint32_t ip4_network(const struct ip4_prefix *p)
{
	return p->addr & ip4_mask(p->len);
}

static inline uint32_t ip4_broadcast(const struct ip4_prefix *p)
{
	return ip4_network(p) | ~ip4_mask(p->len);
}

static inline bool ip4_prefix_contains(const struct ip4_prefix *p, uint32_t addr)
{
	return (addr & ip4_mask(p->len)) == ip4_network(p);
}

#endif
