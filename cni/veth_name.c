/* Naming of host-side veths: "xc" + 13 hex digits of a 64-bit FNV-1a hash
 * of "<container ID>/<ifname>/<salt>" = 15 characters, the kernel's limit. */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "veth_name.h"

static uint64_t fnv1a(uint64_t h, const char *s)
{
	for (; *s; s++) {
		h ^= (unsigned char)*s;
		h *= 0x100000001b3ULL;
	}
	return h;
}

void veth_host_name(const char *container_id, const char *ifname, unsigned int salt,
		    char out[IFNAMSIZ])
{
	char salt_str[16];
	uint64_t h = 0xcbf29ce484222325ULL;

	snprintf(salt_str, sizeof(salt_str), "/%u", salt);
	h = fnv1a(h, container_id);
	h = fnv1a(h, "/");
	h = fnv1a(h, ifname);
	h = fnv1a(h, salt_str);
	snprintf(out, IFNAMSIZ, VETH_NAME_PREFIX "%013llx",
		 (unsigned long long)(h & 0xfffffffffffffULL));
}

int veth_alias(const char *network, const char *container_id, const char *ifname,
	       char out[NL_ALIAS_MAX])
{
	int n = snprintf(out, NL_ALIAS_MAX, VETH_ALIAS_PREFIX "%s/%s/%s", network, container_id,
			 ifname);

	return n < NL_ALIAS_MAX ? 0 : -ENAMETOOLONG;
}

int veth_alias_parse(const char *alias, const char *network, char *container_id, size_t cid_size,
		     char *ifname, size_t if_size)
{
	size_t plen = strlen(VETH_ALIAS_PREFIX), nlen = strlen(network);
	const char *cid, *slash;

	if (strncmp(alias, VETH_ALIAS_PREFIX, plen) || strncmp(alias + plen, network, nlen) ||
	    alias[plen + nlen] != '/')
		return -EINVAL;
	cid = alias + plen + nlen + 1;
	slash = strchr(cid, '/');
	if (!slash || (size_t)(slash - cid) >= cid_size || strlen(slash + 1) >= if_size ||
	    slash == cid || !slash[1] || strchr(slash + 1, '/'))
		return -EINVAL;
	memcpy(container_id, cid, slash - cid);
	container_id[slash - cid] = '\0';
	strcpy(ifname, slash + 1);
	return 0;
}
