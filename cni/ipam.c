/* Built-in IPAM. An allocation file appears whole or not at all (see
 * claim()), so a crash never leaves a half-written allocation. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "file.h"
#include "ipam.h"

#define LOCK_FILE "lock"
#define LAST_FILE "last_reserved_ip.0"
#define TMP_PREFIX ".tmp-"

int ipam_range_from_conf(const struct ipam_conf *c, struct ipam_range *r, struct cni_err *e)
{
	char cidr[IP4_PREFIX_STRLEN];
	uint32_t net, bcast;

	ip4_prefix_format(&c->subnet, cidr);
	if (c->subnet.len > 30)
		return cni_errf(e, CNI_ERR_INVALID_CONFIG,
				"ipam.subnet %s is too small: want /30 or larger", cidr);
	memset(r, 0, sizeof(*r));
	r->subnet = c->subnet;
	r->subnet.addr = ip4_network(&c->subnet);
	net = ip4_network(&r->subnet);
	bcast = ip4_broadcast(&r->subnet);
	r->gateway = c->gateway ? c->gateway : net + 1;
	r->first = c->range_start ? c->range_start : net + 1;
	r->last = c->range_end ? c->range_end : bcast - 1;
	if (r->gateway <= net || r->gateway >= bcast)
		return cni_errf(e, CNI_ERR_INVALID_CONFIG,
				"ipam.gateway is not a host address of ipam.subnet %s", cidr);
	if (r->first <= net || r->first >= bcast)
		return cni_errf(e, CNI_ERR_INVALID_CONFIG,
				"ipam.rangeStart is not a host address of ipam.subnet %s", cidr);
	if (r->last <= net || r->last >= bcast)
		return cni_errf(e, CNI_ERR_INVALID_CONFIG,
				"ipam.rangeEnd is not a host address of ipam.subnet %s", cidr);
	if (r->first > r->last)
		return cni_errf(e, CNI_ERR_INVALID_CONFIG,
				"ipam.rangeStart is after ipam.rangeEnd");
	return 0;
}

unsigned int ipam_range_size(const struct ipam_range *r)
{
	unsigned int n = r->last - r->first + 1;

	if (r->gateway >= r->first && r->gateway <= r->last)
		n--;
	return n;
}

int ipam_store_open(struct ipam_store *s, const char *data_dir, const char *network, bool create)
{
	int err;

	s->dir_fd = s->lock_fd = -1;
	if (snprintf(s->path, sizeof(s->path), "%s/%s", data_dir, network) >= (int)sizeof(s->path))
		return -ENAMETOOLONG;
	s->dir_fd = open(s->path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (s->dir_fd < 0 && errno == ENOENT && create) {
		err = file_mkdir_p(s->path, 0755);
		if (err)
			return err;
		s->dir_fd = open(s->path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	}
	if (s->dir_fd < 0)
		return -errno;
	s->lock_fd = openat(s->dir_fd, LOCK_FILE, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
	if (s->lock_fd < 0)
		goto fail;
	while (flock(s->lock_fd, LOCK_EX) < 0)
		if (errno != EINTR)
			goto fail;
	return 0;
fail:
	err = -errno;
	ipam_store_close(s);
	return err;
}

void ipam_store_close(struct ipam_store *s)
{
	if (s->lock_fd >= 0)
		close(s->lock_fd); /* drops the flock */
	if (s->dir_fd >= 0)
		close(s->dir_fd);
	s->dir_fd = s->lock_fd = -1;
}

static int read_owner(struct ipam_store *s, const char *name, struct cni_attachment *o)
{
	char buf[CNI_CONTAINER_ID_MAX + IFNAMSIZ + 8];
	char *nl1, *nl2;
	ssize_t n;
	int fd = openat(s->dir_fd, name, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return -errno;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n < 0)
		return -errno;
	buf[n] = '\0';
	nl1 = strchr(buf, '\n');
	if (!nl1)
		return -EBADMSG;
	*nl1 = '\0';
	nl2 = strchr(nl1 + 1, '\n');
	if (nl2)
		*nl2 = '\0';
	if (strlen(buf) >= sizeof(o->container_id) || strlen(nl1 + 1) >= sizeof(o->ifname))
		return -EBADMSG;
	strcpy(o->container_id, buf);
	strcpy(o->ifname, nl1 + 1);
	return 0;
}

static bool same_owner(const struct cni_attachment *a, const struct cni_attachment *b)
{
	return !strcmp(a->container_id, b->container_id) && !strcmp(a->ifname, b->ifname);
}

typedef int (*alloc_visit_fn)(struct ipam_store *s, const char *name, uint32_t ip, void *data);

/* Calls fn for every allocation file; removes temporary files left by a
 * process that died mid-allocation (safe: we hold the lock). */
static int for_each_alloc(struct ipam_store *s, alloc_visit_fn fn, void *data)
{
	int fd = dup(s->dir_fd), ret = 0;
	struct dirent *de;
	DIR *d;

	if (fd < 0)
		return -errno;
	d = fdopendir(fd);
	if (!d) {
		close(fd);
		return -errno;
	}
	rewinddir(d);
	while (!ret && (de = readdir(d))) {
		uint32_t ip;

		if (!strncmp(de->d_name, TMP_PREFIX, strlen(TMP_PREFIX))) {
			unlinkat(s->dir_fd, de->d_name, 0);
			continue;
		}
		if (ip4_parse(de->d_name, &ip))
			continue;
		ret = fn(s, de->d_name, ip, data);
	}
	closedir(d);
	return ret;
}

struct find_ctx {
	const struct cni_attachment *owner;
	uint32_t ip;
	int count;
	bool release;
};

static int find_visit(struct ipam_store *s, const char *name, uint32_t ip, void *data)
{
	struct find_ctx *ctx = data;
	struct cni_attachment o;

	if (read_owner(s, name, &o) || !same_owner(&o, ctx->owner))
		return 0;
	ctx->ip = ip;
	ctx->count++;
	if (ctx->release && unlinkat(s->dir_fd, name, 0) && errno != ENOENT)
		return -errno;
	return 0;
}

int ipam_find(struct ipam_store *s, const struct cni_attachment *o, uint32_t *out)
{
	struct find_ctx ctx = { .owner = o };
	int err = for_each_alloc(s, find_visit, &ctx);

	if (err)
		return err;
	if (!ctx.count)
		return -ENOENT;
	*out = ctx.ip;
	return 0;
}

int ipam_release(struct ipam_store *s, const struct cni_attachment *o)
{
	struct find_ctx ctx = { .owner = o, .release = true };
	int err = for_each_alloc(s, find_visit, &ctx);

	return err ? err : ctx.count;
}

int ipam_owner_of(struct ipam_store *s, uint32_t ip, struct cni_attachment *o)
{
	char name[INET_ADDRSTRLEN];

	ip4_format(ip, name);
	return read_owner(s, name, o);
}

static uint32_t read_last(struct ipam_store *s)
{
	char buf[INET_ADDRSTRLEN + 2] = "";
	uint32_t ip = 0;
	ssize_t n;
	int fd = openat(s->dir_fd, LAST_FILE, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return 0;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n > 0) {
		buf[n] = '\0';
		buf[strcspn(buf, "\n")] = '\0';
		if (ip4_parse(buf, &ip))
			ip = 0;
	}
	return ip;
}

/* Claims name with content, atomically: the content is written to an
 * unnamed O_TMPFILE and then linked in, so the name never exists without
 * its owner and a killed process leaves no temporary file. Where the file
 * system has no O_TMPFILE, a named temporary file (removed by the next
 * locked scan if we die) does the same. -EEXIST if name is taken. No fsync:
 * a lost allocation after power loss is an unreadable file GC removes. */
static int claim(struct ipam_store *s, const char *name, const char *content)
{
	size_t len = strlen(content);
	char tmp[64] = "";
	int fd, err = 0;

	fd = openat(s->dir_fd, ".", O_TMPFILE | O_WRONLY | O_CLOEXEC, 0644);
	if (fd < 0 && (errno == EOPNOTSUPP || errno == EISDIR)) {
		snprintf(tmp, sizeof(tmp), TMP_PREFIX "%d", (int)getpid());
		fd = openat(s->dir_fd, tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	}
	if (fd < 0)
		return -errno;
	if (write(fd, content, len) != (ssize_t)len)
		err = errno ? -errno : -EIO;
	else if (tmp[0] ? linkat(s->dir_fd, tmp, s->dir_fd, name, 0) :
			  linkat(fd, "", s->dir_fd, name, AT_EMPTY_PATH))
		err = -errno;
	close(fd);
	if (tmp[0])
		unlinkat(s->dir_fd, tmp, 0);
	return err;
}

/* Remembers where the round-robin left off. A torn or missing hint only
 * moves the next search's start. */
static void write_last(struct ipam_store *s, const char *name)
{
	char buf[INET_ADDRSTRLEN + 1];
	int n = snprintf(buf, sizeof(buf), "%s\n", name);
	int fd = openat(s->dir_fd, LAST_FILE, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);

	if (fd < 0)
		return;
	if (pwrite(fd, buf, n, 0) == n)
		(void)!ftruncate(fd, n);
	close(fd);
}

int ipam_allocate(struct ipam_store *s, const struct ipam_range *r, const struct cni_attachment *o,
		  uint32_t *out)
{
	char content[sizeof(o->container_id) + sizeof(o->ifname) + 2];
	char name[INET_ADDRSTRLEN];
	uint32_t n = r->last - r->first + 1, last, start;
	int err;

	err = ipam_find(s, o, out);
	if (err != -ENOENT)
		return err;
	snprintf(content, sizeof(content), "%s\n%s\n", o->container_id, o->ifname);
	last = read_last(s);
	start = (last >= r->first && last < r->last) ? last + 1 - r->first : 0;
	for (uint32_t i = 0; i < n; i++) {
		uint32_t ip = r->first + (start + i) % n;

		if (ip == r->gateway)
			continue;
		ip4_format(ip, name);
		err = claim(s, name, content);
		if (err == -EEXIST)
			continue;
		if (err)
			return err;
		write_last(s, name);
		*out = ip;
		return 0;
	}
	return -ENOSPC;
}

struct gc_ctx {
	cni_attachment_valid_fn valid;
	void *data;
	int removed;
};

static int gc_visit(struct ipam_store *s, const char *name, uint32_t ip, void *data)
{
	struct gc_ctx *ctx = data;
	struct cni_attachment o;

	(void)ip;
	/* An unreadable owner cannot be valid: nothing can ever release it. */
	if (!read_owner(s, name, &o) && ctx->valid(&o, ctx->data))
		return 0;
	if (unlinkat(s->dir_fd, name, 0) && errno != ENOENT)
		return -errno;
	ctx->removed++;
	return 0;
}

int ipam_gc(struct ipam_store *s, cni_attachment_valid_fn valid, void *data)
{
	struct gc_ctx ctx = { .valid = valid, .data = data };
	int err = for_each_alloc(s, gc_visit, &ctx);

	return err ? err : ctx.removed;
}

struct used_ctx {
	const struct ipam_range *r;
	unsigned int used;
};

static int used_visit(struct ipam_store *s, const char *name, uint32_t ip, void *data)
{
	struct used_ctx *ctx = data;

	(void)s;
	(void)name;
	if (ip >= ctx->r->first && ip <= ctx->r->last && ip != ctx->r->gateway)
		ctx->used++;
	return 0;
}

int ipam_used(struct ipam_store *s, const struct ipam_range *r, unsigned int *used)
{
	struct used_ctx ctx = { .r = r };
	int err = for_each_alloc(s, used_visit, &ctx);

	*used = ctx.used;
	return err;
}
