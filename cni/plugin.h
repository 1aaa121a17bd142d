/* The plugin's verbs, one function each, over one invocation's context. */
#ifndef XCNI_CNI_PLUGIN_H
#define XCNI_CNI_PLUGIN_H

#include <cjson/cJSON.h>

#include "config.h"
#include "env.h"
#include "error.h"

struct invocation {
	struct cni_env env;
	struct net_conf conf;
	struct cni_attachment att;
	struct cni_err err;
	cJSON *output; /* printed on success when set */
};

int cmd_add(struct invocation *inv);
int cmd_del(struct invocation *inv);
int cmd_check(struct invocation *inv);
int cmd_status(struct invocation *inv);
int cmd_gc(struct invocation *inv);
int cmd_version(struct invocation *inv, const char *stdin_text);

/* Shared by the verbs: open CNI_NETNS, mapping its absence to code 3. */
int open_netns(struct invocation *inv);

#endif
