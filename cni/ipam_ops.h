/* IPAM as the verbs see it: the built-in allocator or a delegated plugin,
 * chosen by ipam.type. */
#ifndef XCNI_CNI_IPAM_OPS_H
#define XCNI_CNI_IPAM_OPS_H

#include "plugin.h"
#include "result.h"

int ipam_add(struct invocation *inv, struct cni_result *res);
int ipam_del(struct invocation *inv);
int ipam_check(struct invocation *inv, const struct cni_result *prev);
int ipam_status(struct invocation *inv);
int ipam_gc_run(struct invocation *inv, cni_attachment_valid_fn valid, void *data);

#endif
