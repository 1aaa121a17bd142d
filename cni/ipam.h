/* Built-in host-local style IPAM: one file per allocated address under
 * <dataDir>/<network>/, holding its owner's container ID and interface;
 * every change happens under an exclusive flock on <dir>/lock. */
#ifndef XCNI_CNI_IPAM_H
#define XCNI_CNI_IPAM_H

#include <stdbool.h>
#include <limits.h>

#include "config.h"
#include "error.h"
#include "ip4.h"

struct ipam_range {
	struct ip4_prefix subnet;
	uint32_t first, last; /* inclusive */
	uint32_t gateway;
};

struct ipam_store {
	int dir_fd;
	int lock_fd;
	char path[PATH_MAX];
};

int ipam_range_from_conf(const struct ipam_conf *c, struct ipam_range *r, struct cni_err *e);
unsigned int ipam_range_size(const struct ipam_range *r);

/* Opens <data_dir>/<network> and takes its lock. -ENOENT (when !create)
 * means nothing was ever allocated there. */
int ipam_store_open(struct ipam_store *s, const char *data_dir, const char *network, bool create);
void ipam_store_close(struct ipam_store *s);

/* Hands out the owner's existing address, or the next free one after the
 * last handed out; -ENOSPC when the range is full. */
int ipam_allocate(struct ipam_store *s, const struct ipam_range *r, const struct cni_attachment *o,
		  uint32_t *out);
int ipam_find(struct ipam_store *s, const struct cni_attachment *o, uint32_t *out);
int ipam_owner_of(struct ipam_store *s, uint32_t ip, struct cni_attachment *o);
/* Returns how many addresses were released. */
int ipam_release(struct ipam_store *s, const struct cni_attachment *o);
int ipam_gc(struct ipam_store *s, cni_attachment_valid_fn valid, void *data);
int ipam_used(struct ipam_store *s, const struct ipam_range *r, unsigned int *used);

#endif
