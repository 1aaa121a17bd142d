/* Fixed-width types for headers shared by BPF (vmlinux.h) and user space. */
#ifndef XCNI_TYPES_H
#define XCNI_TYPES_H

#ifndef __VMLINUX_H__
#include <linux/types.h>
#endif

#endif
