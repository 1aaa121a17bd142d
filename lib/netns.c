/* Network namespace handles: open by path (checked to really be a netns),
 * switch the calling thread into one and back. */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <unistd.h>
#include <linux/nsfs.h>

#include "netns.h"

/* Returns an fd for the network namespace at path, -ENOENT if nothing is
 * there, -EINVAL if it is not a network namespace. */
int netns_open(const char *path)
{
	int fd, type;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	type = ioctl(fd, NS_GET_NSTYPE);
	if (type != CLONE_NEWNET) {
		close(fd);
		return -EINVAL;
	}
	return fd;
}

int netns_enter(int ns_fd, int *saved_fd)
{
	int self = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);

	if (self < 0)
		return -errno;
	if (setns(ns_fd, CLONE_NEWNET)) {
		int err = -errno;

		close(self);
		return err;
	}
	*saved_fd = self;
	return 0;
}

int netns_restore(int saved_fd)
{
	int err = setns(saved_fd, CLONE_NEWNET) ? -errno : 0;

	close(saved_fd);
	return err;
}
