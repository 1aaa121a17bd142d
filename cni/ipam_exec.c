/* Running a delegated IPAM plugin and relaying its result or error. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "file.h"
#include "ipam_exec.h"

#define IPAM_OUTPUT_MAX (1 << 20)

static int find_plugin(const char *cni_path, const char *type, char *out, size_t size)
{
	const char *p = cni_path;

	while (p && *p) {
		const char *end = strchr(p, ':');
		size_t len = end ? (size_t)(end - p) : strlen(p);

		if (len && snprintf(out, size, "%.*s/%s", (int)len, p, type) < (int)size &&
		    access(out, X_OK) == 0)
			return 0;
		p += len + (end ? 1 : 0);
	}
	return -ENOENT;
}

static void child_exec(const char *plugin, const char *command, int in_fd, int out_fd)
{
	dup2(in_fd, STDIN_FILENO);
	dup2(out_fd, STDOUT_FILENO);
	setenv("CNI_COMMAND", command, 1);
	execl(plugin, plugin, (char *)NULL);
	_exit(127);
}

static int relay_error(const char *type, const char *command, const char *out, int status,
		       struct cni_err *e)
{
	cJSON *j = cJSON_Parse(out);
	const cJSON *code = cJSON_GetObjectItemCaseSensitive(j, "code");
	const cJSON *msg = cJSON_GetObjectItemCaseSensitive(j, "msg");
	const cJSON *details = cJSON_GetObjectItemCaseSensitive(j, "details");

	if (cJSON_IsNumber(code) && cJSON_IsString(msg)) {
		cni_errf(e, code->valueint, "IPAM plugin %s %s: %s", type, command,
			 msg->valuestring);
		if (cJSON_IsString(details) && details->valuestring[0])
			cni_err_details(e, "%s", details->valuestring);
	} else {
		cni_errf(e, XCNI_ERR_IPAM_PLUGIN, "IPAM plugin %s %s failed (%s %d)", type, command,
			 WIFEXITED(status) ? "exit status" : "signal",
			 WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status));
		cni_err_details(e, "output: %.900s", out);
	}
	cJSON_Delete(j);
	return -1;
}

int ipam_exec(const struct cni_env *env, const struct net_conf *c, const char *command,
	      struct cni_result *res, struct cni_err *e)
{
	int in[2] = { -1, -1 }, out[2] = { -1, -1 }, status = 0, ret = -1;
	char plugin[PATH_MAX], *output = NULL;
	FILE *f = NULL;
	cJSON *j = NULL;
	pid_t pid;

	if (find_plugin(env->path, c->ipam.type, plugin, sizeof(plugin)))
		return cni_errf(e, CNI_ERR_INVALID_CONFIG,
				"IPAM plugin \"%s\" not found in CNI_PATH %s", c->ipam.type,
				env->path);
	if (pipe2(in, O_CLOEXEC) || pipe2(out, O_CLOEXEC)) {
		cni_errf(e, CNI_ERR_IO, "pipe for IPAM plugin: %s", strerror(errno));
		goto out;
	}
	pid = fork();
	if (pid < 0) {
		cni_errf(e, CNI_ERR_IO, "fork for IPAM plugin: %s", strerror(errno));
		goto out;
	}
	if (pid == 0)
		child_exec(plugin, command, in[0], out[1]);
	close(in[0]);
	close(out[1]);
	in[0] = out[1] = -1;
	/* Configs are far below the pipe's capacity: write all, then read. */
	signal(SIGPIPE, SIG_IGN);
	/* A short write shows in the plugin's exit status and error. */
	(void)!write(in[1], c->raw, c->raw_len);
	close(in[1]);
	in[1] = -1;
	f = fdopen(out[0], "r");
	if (!f || file_read_stream(f, &output, IPAM_OUTPUT_MAX, NULL))
		output = NULL;
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (!output) {
		cni_errf(e, CNI_ERR_IO, "cannot read the output of IPAM plugin %s", c->ipam.type);
		goto out;
	}
	if (!WIFEXITED(status) || WEXITSTATUS(status)) {
		relay_error(c->ipam.type, command, output, status, e);
		goto out;
	}
	if (!res) {
		ret = 0;
		goto out;
	}
	j = cJSON_Parse(output);
	if (!j) {
		cni_errf(e, CNI_ERR_DECODE, "IPAM plugin %s returned invalid JSON", c->ipam.type);
		goto out;
	}
	if (cni_result_decode(j, res, e))
		goto out;
	if (!res->n_ips) {
		cni_errf(e, XCNI_ERR_IPAM_PLUGIN, "IPAM plugin %s returned no IPv4 address",
			 c->ipam.type);
		goto out;
	}
	ret = 0;
out:
	cJSON_Delete(j);
	free(output);
	if (f)
		fclose(f);
	else if (out[0] >= 0)
		close(out[0]);
	for (int i = 0; i < 2; i++) {
		if (in[i] >= 0)
			close(in[i]);
		if (i == 1 && out[i] >= 0)
			close(out[i]);
	}
	return ret;
}
