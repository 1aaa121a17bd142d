/* The datapath's bpffs root: made ready (mounting a bpffs there when the
 * path is on another file system), paths under it, and taken down. */
#ifndef XCNI_DP_BPFFS_H
#define XCNI_DP_BPFFS_H

#include <stdbool.h>
#include <stddef.h>

/* The source name our own mounts carry, so cleanup unmounts only those. */
#define BPFFS_MOUNT_SOURCE "xcni"

/* Creates root (and its parents), mounts a bpffs on it unless it already
 * is on one, and creates the maps, progs and links directories. */
int bpffs_prepare(const char *root, char *msg, size_t len);
/* Whether root is on a bpffs. */
bool bpffs_is_bpffs(const char *root);
/* Whether the topmost mount at root is a bpffs this code mounted. */
bool bpffs_mounted_by_us(const char *root);
/* <root>/<dir>/<name> (name may be NULL); -ENAMETOOLONG if it does not fit. */
int bpffs_path(char *buf, size_t size, const char *root, const char *dir, const char *name);

#endif
