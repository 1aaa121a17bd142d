/* Entering and leaving network namespaces by path, for one-threaded tools. */
#ifndef XCNI_NETNS_H
#define XCNI_NETNS_H

int netns_open(const char *path);
int netns_enter(int ns_fd, int *saved_fd);
int netns_restore(int saved_fd);

#endif
