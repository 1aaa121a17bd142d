/* The few operations whose implementation differs between XDP and TC:
 * field stores, checksum updates, resizing. A program defines
 * XCNI_HOOK_XDP or XCNI_HOOK_TC before including the datapath headers. */
#ifndef XCNI_BPF_HOOK_H
#define XCNI_BPF_HOOK_H

#include "parse.h"

/* Flags of hook_l4_csum_replace(), beside the field size (2 or 4). */
#define HOOK_CSUM_PSEUDO 0x10 /* the field is in the pseudo-header */
#define HOOK_CSUM_UDP 0x20 /* a zero checksum means none and stays zero */

#if defined(XCNI_HOOK_XDP)
#include "hook_xdp.h"
#elif defined(XCNI_HOOK_TC)
#include "hook_tc.h"
#else
#error "define XCNI_HOOK_XDP or XCNI_HOOK_TC"
#endif

#endif
