/* Counter names (see stat_names.h), one table beside enum stat_reason. */
#include "stat_names.h"

static const struct {
	const char *name, *kind;
} names[STAT_MAX] = {
	[STAT_PASS] = { "pass", "action" },
	[STAT_TX] = { "tx", "action" },
	[STAT_REDIRECT] = { "redirect", "action" },
	[STAT_DNAT] = { "dnat", "event" },
	[STAT_CT_HIT] = { "ct_hit", "event" },
	[STAT_REV_NAT] = { "rev_nat", "event" },
	[STAT_REJECT] = { "reject", "action" },
	[STAT_DROP_MALFORMED] = { "malformed", "drop" },
	[STAT_DROP_NO_ROUTE] = { "no_route", "drop" },
	[STAT_DROP_CT_FULL] = { "ct_full", "drop" },
	[STAT_DROP_NO_ROOM] = { "no_room", "drop" },
	[STAT_FRAGMENT] = { "fragment", "event" },
	[STAT_POD_FORWARD] = { "pod_forward", "event" },
	[STAT_DROP_NO_LOCAL] = { "no_local_endpoint", "drop" },
};

const char *stat_name(int reason)
{
	if (reason < 0 || reason >= STAT_MAX || !names[reason].name)
		return "unknown";
	return names[reason].name;
}

const char *stat_kind(int reason)
{
	if (reason < 0 || reason >= STAT_MAX || !names[reason].kind)
		return "unknown";
	return names[reason].kind;
}
