/* The reconciler's writes on the real datapath, and adoption of what a
 * previous agent left in the pinned maps. */
#ifndef XCNI_DP_OPS_H
#define XCNI_DP_OPS_H

#include "dp.h"
#include "reconcile.h"

extern const struct dp_ops dp_real_ops; /* ctx: struct datapath * */

/* Feeds the pinned services, backends and memberships into r (before any
 * apply). Entries that do not fit r are left for the first sync to remove.
 * Returns 0 or a negative errno; n_services and n_backends say what was
 * adopted. */
int dp_adopt(const struct datapath *dp, struct reconciler *r, unsigned int *n_services,
	     unsigned int *n_backends);

#endif
