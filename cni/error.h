/* CNI errors: the spec's well-known codes, xcni's own (100 and up), and the
 * JSON error object printed on stdout. */
#ifndef XCNI_CNI_ERROR_H
#define XCNI_CNI_ERROR_H

enum cni_err_code {
	CNI_ERR_INCOMPATIBLE_VERSION = 1,
	CNI_ERR_UNSUPPORTED_FIELD = 2,
	CNI_ERR_UNKNOWN_CONTAINER = 3,
	CNI_ERR_INVALID_ENV = 4,
	CNI_ERR_IO = 5,
	CNI_ERR_DECODE = 6,
	CNI_ERR_INVALID_CONFIG = 7,
	CNI_ERR_TRY_LATER = 11,
	CNI_ERR_NOT_AVAILABLE = 50,
	CNI_ERR_NOT_AVAILABLE_EXISTING = 51,
	/* xcni's own codes; the spec leaves 100 and up to plugins. */
	XCNI_ERR_INTERNAL = 100,
	XCNI_ERR_NETLINK = 101,
	XCNI_ERR_RANGE_FULL = 102,
	XCNI_ERR_CHECK = 103,
	XCNI_ERR_IPAM_PLUGIN = 104,
	XCNI_ERR_DATAPATH = 105, /* enrollment into the pinned datapath */
};

struct cni_err {
	int code;
	char msg[512];
	char details[1024];
};

/* Records the first error (later ones keep the original cause) and returns
 * -1 so callers can write `return cni_errf(...)`. */
int cni_errf(struct cni_err *e, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
void cni_err_details(struct cni_err *e, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
char *cni_err_json(const struct cni_err *e, const char *version);

#endif
