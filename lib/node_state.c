/* The node state file (JSON): written by xcni-agent, read by the CNI. */
#include <errno.h>
#include <fcntl.h>
#include <unistd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cjson/cJSON.h>

#include "file.h"
#include "node_state.h"

int node_state_read(const char *path, struct node_state *ns, char *err, size_t errlen)
{
	const cJSON *cidr, *gw, *mtu, *root_dir;
	cJSON *root = NULL;
	char *text = NULL;
	int ret;

	memset(ns, 0, sizeof(*ns));
	ret = file_read_all(path, &text, 1 << 20);
	if (ret) {
		snprintf(err, errlen, "cannot read node state file %s: %s", path, strerror(-ret));
		return ret;
	}
	ret = -EINVAL;
	root = cJSON_Parse(text);
	if (!cJSON_IsObject(root)) {
		snprintf(err, errlen, "node state file %s is not a JSON object", path);
		goto out;
	}
	cidr = cJSON_GetObjectItemCaseSensitive(root, "podCIDR");
	if (!cJSON_IsString(cidr) || ip4_prefix_parse(cidr->valuestring, &ns->pod_cidr)) {
		snprintf(err, errlen, "node state file %s: podCIDR must be an IPv4 CIDR", path);
		goto out;
	}
	gw = cJSON_GetObjectItemCaseSensitive(root, "gateway");
	if (gw && (!cJSON_IsString(gw) || ip4_parse(gw->valuestring, &ns->gateway))) {
		snprintf(err, errlen, "node state file %s: gateway must be an IPv4 address", path);
		goto out;
	}
	mtu = cJSON_GetObjectItemCaseSensitive(root, "mtu");
	if (mtu) {
		if (!cJSON_IsNumber(mtu) || mtu->valuedouble < 68 || mtu->valuedouble > 65535) {
			snprintf(err, errlen, "node state file %s: mtu must be 68..65535", path);
			goto out;
		}
		ns->mtu = (unsigned int)mtu->valuedouble;
	}
	root_dir = cJSON_GetObjectItemCaseSensitive(root, "bpffsRoot");
	if (cJSON_IsString(root_dir))
		snprintf(ns->bpffs_root, sizeof(ns->bpffs_root), "%s", root_dir->valuestring);
	ret = 0;
out:
	cJSON_Delete(root);
	free(text);
	return ret;
}

int node_state_write(const char *path, const struct node_state *ns, char *err, size_t errlen)
{
	char cidr[IP4_PREFIX_STRLEN], gw[INET_ADDRSTRLEN], tmp[PATH_MAX + 8], dir[PATH_MAX];
	cJSON *root = cJSON_CreateObject();
	char *text = NULL, *slash;
	int fd = -1, ret = -ENOMEM;
	size_t len;

	ip4_prefix_format(&ns->pod_cidr, cidr);
	ip4_format(ns->gateway, gw);
	if (!root || !cJSON_AddStringToObject(root, "podCIDR", cidr) ||
	    (ns->gateway && !cJSON_AddStringToObject(root, "gateway", gw)) ||
	    (ns->mtu && !cJSON_AddNumberToObject(root, "mtu", ns->mtu)) ||
	    (ns->bpffs_root[0] && !cJSON_AddStringToObject(root, "bpffsRoot", ns->bpffs_root)))
		goto out;
	text = cJSON_Print(root);
	if (!text)
		goto out;
	snprintf(dir, sizeof(dir), "%s", path);
	slash = strrchr(dir, '/');
	if (slash && slash != dir) {
		*slash = '\0';
		ret = file_mkdir_p(dir, 0755);
		if (ret)
			goto fail;
	}
	/* Written aside and renamed: a CNI ADD never reads half a file. */
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0) {
		ret = -errno;
		goto fail;
	}
	len = strlen(text);
	if (write(fd, text, len) != (ssize_t)len || write(fd, "\n", 1) != 1 || fsync(fd)) {
		ret = errno ? -errno : -EIO;
		goto fail;
	}
	close(fd);
	fd = -1;
	if (rename(tmp, path)) {
		ret = -errno;
		goto fail;
	}
	ret = 0;
	goto out;
fail:
	if (fd >= 0)
		close(fd);
	unlink(tmp);
	snprintf(err, errlen, "cannot write node state file %s: %s", path, strerror(-ret));
out:
	if (ret == -ENOMEM)
		snprintf(err, errlen, "out of memory writing node state file %s", path);
	free(text);
	cJSON_Delete(root);
	return ret;
}
