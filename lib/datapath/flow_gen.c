/* Bumping the flow caches' generation from user space. */
#include <errno.h>
#include <stdint.h>
#include <bpf/bpf.h>

#include "flow_gen.h"
#include "xcni/ct.h"

/* Read, add, write: a datapath bump in between is lost, but the value
 * still moves past every copy cached before this call, and a cached copy
 * lives one clock tick at most. */
int flow_gen_bump_fd(int fd)
{
	uint32_t key = FLOW_GEN_ALL, gen = 0;

	if (bpf_map_lookup_elem(fd, &key, &gen))
		return -errno;
	gen++;
	if (bpf_map_update_elem(fd, &key, &gen, BPF_ANY))
		return -errno;
	return 0;
}
