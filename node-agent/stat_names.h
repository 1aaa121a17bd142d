/* Names of the datapath's per-reason counters, for metrics and xcnictl. */
#ifndef XCNI_STAT_NAMES_H
#define XCNI_STAT_NAMES_H

#include "xcni/stats.h"

/* "pass", "tx", ... ; "unknown" out of range. */
const char *stat_name(int reason);
/* "action" (what happened to the packet), "drop" (why it was dropped) or
 * "event" (a translation step counted on the way). */
const char *stat_kind(int reason);

#endif
