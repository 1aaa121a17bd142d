/* The CNI_* environment a runtime passes to the plugin, validated. */
#ifndef XCNI_CNI_ENV_H
#define XCNI_CNI_ENV_H

#include <stdbool.h>
#include <net/if.h>

#include "error.h"

enum cni_cmd {
	CNI_CMD_ADD,
	CNI_CMD_DEL,
	CNI_CMD_CHECK,
	CNI_CMD_STATUS,
	CNI_CMD_GC,
	CNI_CMD_VERSION
};

/* Limits that keep every name usable as a file name and an interface alias. */
#define CNI_CONTAINER_ID_MAX 128
#define CNI_NETWORK_NAME_MAX 100

struct cni_env {
	enum cni_cmd cmd;
	const char *command;
	const char *container_id;
	const char *netns;
	const char *ifname;
	const char *args;
	const char *path;
};

/* One attachment of a network: what ADD creates and DEL/GC remove. */
struct cni_attachment {
	char container_id[CNI_CONTAINER_ID_MAX + 1];
	char ifname[IFNAMSIZ];
};

typedef bool (*cni_attachment_valid_fn)(const struct cni_attachment *a, void *data);

int cni_env_load(struct cni_env *env, struct cni_err *e);

bool cni_valid_container_id(const char *s);
bool cni_valid_network_name(const char *s);
bool cni_valid_ifname(const char *s);

#endif
