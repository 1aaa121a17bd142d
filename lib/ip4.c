/* Parsing and formatting of IPv4 addresses and CIDR prefixes. */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ip4.h"

int ip4_parse(const char *s, uint32_t *addr)
{
	struct in_addr in;

	if (!s || inet_pton(AF_INET, s, &in) != 1)
		return -EINVAL;
	*addr = ntohl(in.s_addr);
	return 0;
}

int ip4_prefix_parse(const char *s, struct ip4_prefix *p)
{
	char buf[IP4_PREFIX_STRLEN];
	const char *slash;
	char *end;
	long len;

	if (!s)
		return -EINVAL;
	slash = strchr(s, '/');
	if (!slash || (size_t)(slash - s) >= sizeof(buf) || !slash[1])
		return -EINVAL;
	memcpy(buf, s, slash - s);
	buf[slash - s] = '\0';
	/* strtol would take blanks and signs: the length is digits only. */
	if (!isdigit((unsigned char)slash[1]))
		return -EINVAL;
	errno = 0;
	len = strtol(slash + 1, &end, 10);
	if (errno || *end || len > 32)
		return -EINVAL;
	if (ip4_parse(buf, &p->addr))
		return -EINVAL;
	p->len = (uint8_t)len;
	return 0;
}

void ip4_format(uint32_t addr, char buf[INET_ADDRSTRLEN])
{
	struct in_addr in = { .s_addr = htonl(addr) };

	inet_ntop(AF_INET, &in, buf, INET_ADDRSTRLEN);
}

void ip4_prefix_format(const struct ip4_prefix *p, char buf[IP4_PREFIX_STRLEN])
{
	char a[INET_ADDRSTRLEN];

	ip4_format(p->addr, a);
	snprintf(buf, IP4_PREFIX_STRLEN, "%s/%u", a, p->len);
}
