/* Delegation to an external IPAM plugin (ipam.type), as the CNI spec
 * describes: same environment but CNI_COMMAND, same network config on
 * stdin, plugin found in CNI_PATH. */
#ifndef XCNI_CNI_IPAM_EXEC_H
#define XCNI_CNI_IPAM_EXEC_H

#include "config.h"
#include "env.h"
#include "error.h"
#include "result.h"

/* Runs command through the delegate; for ADD, decodes its result into res. */
int ipam_exec(const struct cni_env *env, const struct net_conf *c, const char *command,
	      struct cni_result *res, struct cni_err *e);

#endif
