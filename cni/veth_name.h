/* Host-side veth names and aliases. The name is a hash of the attachment
 * (container ID, ifname), so DEL finds it without state; the alias records
 * the attachment itself, so a hash collision is detected, not obeyed. */
#ifndef XCNI_CNI_VETH_NAME_H
#define XCNI_CNI_VETH_NAME_H

#include <net/if.h>

#include "nl.h"

#define VETH_NAME_PREFIX "xc"
/* Tries per attachment before giving up on free names. */
#define VETH_NAME_SALTS 8
#define VETH_ALIAS_PREFIX "xcni/"

void veth_host_name(const char *container_id, const char *ifname, unsigned int salt,
		    char out[IFNAMSIZ]);
/* "xcni/<network>/<container ID>/<ifname>" */
int veth_alias(const char *network, const char *container_id, const char *ifname,
	       char out[NL_ALIAS_MAX]);
/* Splits an alias of network; returns -EINVAL for anything else. */
int veth_alias_parse(const char *alias, const char *network, char *container_id, size_t cid_size,
		     char *ifname, size_t if_size);

#endif
