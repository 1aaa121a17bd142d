/* Reading and validating the CNI_* environment variables. The spec's
 * character sets for container IDs and network names also keep both from
 * escaping the IPAM data directory. */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <net/if.h>

#include "env.h"

static const struct {
	const char *name;
	enum cni_cmd cmd;
} commands[] = {
	{ "ADD", CNI_CMD_ADD },	      { "DEL", CNI_CMD_DEL }, { "CHECK", CNI_CMD_CHECK },
	{ "STATUS", CNI_CMD_STATUS }, { "GC", CNI_CMD_GC },   { "VERSION", CNI_CMD_VERSION },
};

/* Alphanumeric first, then alphanumerics, '_', '.' or '-' (CNI spec). */
static bool valid_id(const char *s, size_t max)
{
	size_t n = s ? strlen(s) : 0;

	if (n == 0 || n > max || !isalnum((unsigned char)s[0]))
		return false;
	for (size_t i = 1; i < n; i++)
		if (!isalnum((unsigned char)s[i]) && !strchr("_.-", s[i]))
			return false;
	return true;
}

bool cni_valid_container_id(const char *s)
{
	return valid_id(s, CNI_CONTAINER_ID_MAX);
}

bool cni_valid_network_name(const char *s)
{
	return valid_id(s, CNI_NETWORK_NAME_MAX);
}

bool cni_valid_ifname(const char *s)
{
	size_t n = s ? strlen(s) : 0;

	if (n == 0 || n >= IFNAMSIZ || !strcmp(s, ".") || !strcmp(s, ".."))
		return false;
	for (size_t i = 0; i < n; i++)
		if (s[i] == '/' || s[i] == ':' || isspace((unsigned char)s[i]))
			return false;
	return true;
}

static const char *env_str(const char *name)
{
	const char *v = getenv(name);

	return v && *v ? v : NULL;
}

/* CNI_ARGS is "K=V;K=V"; each pair needs a key and an '='. */
static bool valid_args(const char *args)
{
	const char *p = args;

	while (*p) {
		const char *end = strchr(p, ';');
		size_t len = end ? (size_t)(end - p) : strlen(p);
		const char *eq = memchr(p, '=', len);

		if (!eq || eq == p)
			return false;
		p += len;
		if (*p == ';')
			p++;
	}
	return true;
}

int cni_env_load(struct cni_env *env, struct cni_err *e)
{
	size_t i;

	env->command = env_str("CNI_COMMAND");
	env->container_id = env_str("CNI_CONTAINERID");
	env->netns = env_str("CNI_NETNS");
	env->ifname = env_str("CNI_IFNAME");
	env->args = env_str("CNI_ARGS");
	env->path = env_str("CNI_PATH");

	if (!env->command)
		return cni_errf(e, CNI_ERR_INVALID_ENV, "CNI_COMMAND is not set");
	for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (!strcmp(env->command, commands[i].name))
			break;
	if (i == sizeof(commands) / sizeof(commands[0]))
		return cni_errf(
			e, CNI_ERR_INVALID_ENV,
			"unknown CNI_COMMAND \"%s\" (want ADD, DEL, CHECK, STATUS, GC or VERSION)",
			env->command);
	env->cmd = commands[i].cmd;
	if (env->cmd == CNI_CMD_VERSION)
		return 0;

	if (!env->path)
		return cni_errf(e, CNI_ERR_INVALID_ENV, "CNI_PATH is not set");
	if (env->cmd == CNI_CMD_STATUS || env->cmd == CNI_CMD_GC)
		return 0;

	if (!env->container_id)
		return cni_errf(e, CNI_ERR_INVALID_ENV, "CNI_CONTAINERID is not set");
	if (!cni_valid_container_id(env->container_id))
		return cni_errf(
			e, CNI_ERR_INVALID_ENV,
			"invalid CNI_CONTAINERID \"%.*s\": want at most %d of [A-Za-z0-9_.-], starting alphanumeric",
			CNI_CONTAINER_ID_MAX + 8, env->container_id, CNI_CONTAINER_ID_MAX);
	if (!env->ifname)
		return cni_errf(e, CNI_ERR_INVALID_ENV, "CNI_IFNAME is not set");
	if (!cni_valid_ifname(env->ifname))
		return cni_errf(
			e, CNI_ERR_INVALID_ENV,
			"invalid CNI_IFNAME \"%.64s\": want 1-%d chars without '/', ':' or spaces",
			env->ifname, IFNAMSIZ - 1);
	if (env->args && !valid_args(env->args))
		return cni_errf(
			e, CNI_ERR_INVALID_ENV,
			"invalid CNI_ARGS \"%.128s\": want KEY=VALUE pairs separated by ';'",
			env->args);
	if (env->cmd != CNI_CMD_DEL && !env->netns)
		return cni_errf(e, CNI_ERR_INVALID_ENV, "CNI_NETNS is not set");
	if (env->netns && env->netns[0] != '/')
		return cni_errf(e, CNI_ERR_INVALID_ENV,
				"CNI_NETNS \"%.128s\" is not an absolute path", env->netns);
	return 0;
}
