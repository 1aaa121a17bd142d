/* The bpffs root the datapath pins under: made ready, and recognised as our
 * own mount so cleanup never unmounts a bpffs somebody else made. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <linux/magic.h>

#include "bpffs.h"
#include "file.h"
#include "xcni/pins.h"

int bpffs_path(char *buf, size_t size, const char *root, const char *dir, const char *name)
{
	int n = name ? snprintf(buf, size, "%s/%s/%s", root, dir, name) :
		       snprintf(buf, size, "%s/%s", root, dir);

	return n < 0 || (size_t)n >= size ? -ENAMETOOLONG : 0;
}

bool bpffs_is_bpffs(const char *root)
{
	struct statfs st;

	return statfs(root, &st) == 0 && st.f_type == BPF_FS_MAGIC;
}

/* Undoes mountinfo's octal escapes (\040 for a space) in place. */
static void unescape(char *s)
{
	char *out = s;

	for (; *s; s++) {
		if (s[0] == '\\' && s[1] >= '0' && s[1] <= '3' && s[2] && s[3]) {
			*out++ = (char)((s[1] - '0') * 64 + (s[2] - '0') * 8 + (s[3] - '0'));
			s += 3;
		} else {
			*out++ = *s;
		}
	}
	*out = '\0';
}

bool bpffs_mounted_by_us(const char *root)
{
	char real[PATH_MAX], line[PATH_MAX * 2 + 256];
	bool ours = false;
	FILE *f;

	if (!realpath(root, real))
		return false;
	f = fopen("/proc/self/mountinfo", "re");
	if (!f)
		return false;
	/* "id parent major:minor root mountpoint opts... - fstype source
	 * superopts"; a later line at the same mount point is on top. */
	while (fgets(line, sizeof(line), f)) {
		char *save = NULL, *mnt = NULL, *fstype = NULL, *source = NULL, *tok;
		int field = 0;
		bool after_sep = false;

		for (tok = strtok_r(line, " \n", &save); tok; tok = strtok_r(NULL, " \n", &save)) {
			if (after_sep && !fstype)
				fstype = tok;
			else if (after_sep && !source)
				source = tok;
			else if (!after_sep && !strcmp(tok, "-"))
				after_sep = true;
			else if (++field == 5)
				mnt = tok;
		}
		if (!mnt || !fstype || !source)
			continue;
		unescape(mnt);
		if (!strcmp(mnt, real))
			ours = !strcmp(fstype, "bpf") && !strcmp(source, BPFFS_MOUNT_SOURCE);
	}
	fclose(f);
	return ours;
}

/* The system's bpffs mount point, which systemd mounts at boot. Where
 * nobody did (a minimal init, a fresh container), nothing can be made
 * under it, as it is a bare sysfs directory: mount the bpffs there as
 * systemd would, shared by every user, so never unmounted by cleanup. */
#define SYS_BPFFS "/sys/fs/bpf"

static int mount_sys_bpffs(const char *root)
{
	size_t n = strlen(SYS_BPFFS);

	if (strncmp(root, SYS_BPFFS "/", n + 1) || bpffs_is_bpffs(SYS_BPFFS))
		return -ENOENT;
	if (mount("bpf", SYS_BPFFS, "bpf", MS_NOSUID | MS_NODEV | MS_NOEXEC, "mode=0700"))
		return -errno;
	return 0;
}

int bpffs_prepare(const char *root, char *msg, size_t len)
{
	static const char *const dirs[] = { XCNI_PIN_MAPS_DIR, XCNI_PIN_PROGS_DIR,
					    XCNI_PIN_LINKS_DIR };
	char path[PATH_MAX];
	int err;

	err = file_mkdir_p(root, 0700);
	if (err && !mount_sys_bpffs(root))
		err = file_mkdir_p(root, 0700);
	if (err) {
		snprintf(msg, len, "cannot create bpffs root %s: %s", root, strerror(-err));
		return err;
	}
	/* Pins live only on a bpffs: mount one here rather than fail, as the
	 * agent may run where nobody mounted /sys/fs/bpf. */
	if (!bpffs_is_bpffs(root) &&
	    mount(BPFFS_MOUNT_SOURCE, root, "bpf", MS_NOSUID | MS_NODEV | MS_NOEXEC, "mode=0700")) {
		err = -errno;
		snprintf(msg, len, "cannot mount a bpffs on %s: %s", root, strerror(-err));
		return err;
	}
	for (size_t i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
		err = bpffs_path(path, sizeof(path), root, dirs[i], NULL);
		if (!err && mkdir(path, 0700) && errno != EEXIST)
			err = -errno;
		if (err) {
			snprintf(msg, len, "cannot create %s/%s: %s", root, dirs[i],
				 strerror(-err));
			return err;
		}
	}
	return 0;
}
