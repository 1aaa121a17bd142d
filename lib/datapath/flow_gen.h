/* The flow caches' generation from user space (see xcni/ct.h): whoever
 * changes what the datapath caches (conntrack, services, endpoints, the
 * config) bumps it after the change, the agent and the CNI alike. */
#ifndef XCNI_FLOW_GEN_H
#define XCNI_FLOW_GEN_H

/* Bumps word FLOW_GEN_ALL of the flow_gen map fd. Returns 0 or -errno. */
int flow_gen_bump_fd(int fd);

#endif
