/* xcni-agent --cleanup: everything the datapath made under its bpffs root
 * goes, in the order that leaves nothing running on a removed map: pods'
 * filters and XDP links first, then programs, maps, directories, mount. */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>
#include <bpf/bpf.h>

#include "bpffs.h"
#include "dp_pin.h"
#include "tc_attach.h"
#include "xcni/pins.h"

/* Unlinks every pin in <root>/<dir> (links detached first) and the
 * directory; returns 0 or the first error, named in msg. */
static int empty_dir(const char *root, const char *dir, bool links, char *msg, size_t len)
{
	char path[PATH_MAX], entry[PATH_MAX + NAME_MAX + 1];
	struct dirent *de;
	int err = 0;
	DIR *d;

	if (bpffs_path(path, sizeof(path), root, dir, NULL))
		return -ENAMETOOLONG;
	d = opendir(path);
	if (!d)
		return errno == ENOENT ? 0 : -errno;
	while ((de = readdir(d))) {
		int fd;

		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		snprintf(entry, sizeof(entry), "%s/%s", path, de->d_name);
		/* A link detaches now, not when a workqueue drops its last
		 * reference. */
		if (links && (fd = bpf_obj_get(entry)) >= 0) {
			bpf_link_detach(fd);
			close(fd);
		}
		if (unlink(entry) && errno != ENOENT && !err) {
			err = -errno;
			snprintf(msg, len, "cannot remove %s: %s", entry, strerror(-err));
		}
	}
	closedir(d);
	if (!err && rmdir(path) && errno != ENOENT) {
		err = -errno;
		snprintf(msg, len, "cannot remove %s: %s", path, strerror(-err));
	}
	return err;
}

/* tc_pod's filters on the pods' veths, found through the endpoints map:
 * they would keep running over maps nobody programs any more. */
static void detach_pods(const char *root)
{
	char path[PATH_MAX];
	int fd;

	if (bpffs_path(path, sizeof(path), root, XCNI_PIN_MAPS_DIR, XCNI_PIN_MAP_ENDPOINTS))
		return;
	fd = bpf_obj_get(path);
	if (fd < 0)
		return;
	tc_pod_detach_all(fd);
	close(fd);
}

int dp_cleanup(const char *root, char *msg, size_t len)
{
	static const char *const dirs[] = { XCNI_PIN_LINKS_DIR, XCNI_PIN_PROGS_DIR,
					    XCNI_PIN_MAPS_DIR };
	struct stat st;
	int err = 0;

	if (len)
		msg[0] = '\0';
	if (stat(root, &st))
		return errno == ENOENT ? 0 : -errno;
	if (bpffs_is_bpffs(root)) {
		detach_pods(root);
		for (size_t i = 0; !err && i < sizeof(dirs) / sizeof(dirs[0]); i++)
			err = empty_dir(root, dirs[i], i == 0, msg, len);
		if (err)
			return err;
	}
	if (bpffs_mounted_by_us(root) && umount2(root, UMOUNT_NOFOLLOW)) {
		err = -errno;
		snprintf(msg, len, "cannot unmount the bpffs on %s: %s", root, strerror(-err));
		return err;
	}
	/* Somebody else's pins keep the root (and are left alone). */
	if (rmdir(root) && errno != ENOENT) {
		err = -errno;
		snprintf(msg, len, "left %s in place: %s", root, strerror(-err));
		return err == -ENOTEMPTY || err == -EBUSY ? 0 : err;
	}
	return 0;
}
