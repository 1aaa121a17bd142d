/* xcni: the CNI plugin binary. Reads the CNI environment and the network
 * config, runs one verb, prints its result or a CNI error on stdout. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "file.h"
#include "plugin.h"
#include "version.h"

#define STDIN_MAX (1 << 20)

static int run(struct invocation *inv, const char *text, size_t len)
{
	if (cni_env_load(&inv->env, &inv->err))
		return -1;
	if (inv->env.cmd == CNI_CMD_VERSION)
		return cmd_version(inv, text);
	if (net_conf_parse(text, len, &inv->conf, &inv->err))
		return -1;
	if (inv->env.container_id) {
		snprintf(inv->att.container_id, sizeof(inv->att.container_id), "%s",
			 inv->env.container_id);
		snprintf(inv->att.ifname, sizeof(inv->att.ifname), "%s", inv->env.ifname);
	}
	switch (inv->env.cmd) {
	case CNI_CMD_ADD:
		return cmd_add(inv);
	case CNI_CMD_DEL:
		return cmd_del(inv);
	case CNI_CMD_CHECK:
		return cmd_check(inv);
	case CNI_CMD_STATUS:
		return cmd_status(inv);
	case CNI_CMD_GC:
		return cmd_gc(inv);
	default:
		return cni_errf(&inv->err, XCNI_ERR_INTERNAL, "unhandled command");
	}
}

int main(void)
{
	static struct invocation inv;
	const char *version;
	char *text = NULL, *out;
	size_t len = 0;
	int ret, err;

	err = file_read_stream(stdin, &text, STDIN_MAX, &len);
	if (err)
		ret = cni_errf(&inv.err, CNI_ERR_IO,
			       "cannot read the network config from stdin: %s", strerror(-err));
	else
		ret = run(&inv, text, len);

	version = cni_version_supported(inv.conf.cni_version) ? inv.conf.cni_version :
								CNI_VERSION_LATEST;
	if (ret) {
		out = cni_err_json(&inv.err, version);
		fprintf(stderr, "xcni: %s %s: %s\n", inv.env.command ? inv.env.command : "?",
			inv.env.container_id ? inv.env.container_id : "", inv.err.msg);
	} else {
		out = inv.output ? cJSON_Print(inv.output) : NULL;
	}
	if (out) {
		fputs(out, stdout);
		fputc('\n', stdout);
	}
	if (fflush(stdout))
		ret = -1;
	free(out);
	cJSON_Delete(inv.output);
	net_conf_free(&inv.conf);
	free(text);
	return ret ? 1 : 0;
}
