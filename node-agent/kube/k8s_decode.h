/* What the per-kind decoders share: the decode context that carries the
 * field path for error messages, typed field readers, labels and selectors. */
#ifndef XCNI_K8S_DECODE_H
#define XCNI_K8S_DECODE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "k8s.h"

#define K8S_ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* Deep enough for any path the agent's fields have; longer ones (huge
 * label keys) are cut, never overflowed. */
#define K8S_PATH_MAX 256

struct k8s_dec {
	char *err;
	size_t err_len;
	char path[K8S_PATH_MAX];
	size_t path_len;
};

/* One kind: its names and how to decode and free what follows the meta. */
struct k8s_kind_ops {
	const char *kind; /* the "kind" field, e.g. "Service" */
	const char *resource;
	const char *path;
	bool namespaced;
	bool drop_labels; /* checked, not kept: the kind's decoder reads its own */
	size_t size;
	/* Fills obj (zeroed, meta already decoded) from json; on error it may
	 * leave obj half-filled: free_body copes with that. NULL for kinds
	 * that are only metadata. */
	int (*decode)(struct k8s_dec *d, const cJSON *json, void *obj);
	void (*free_body)(void *obj); /* everything but the meta; may be NULL */
};

extern const struct k8s_kind_ops k8s_service_ops;
extern const struct k8s_kind_ops k8s_endpoint_slice_ops;
extern const struct k8s_kind_ops k8s_node_ops;
extern const struct k8s_kind_ops k8s_pod_ops;
extern const struct k8s_kind_ops k8s_namespace_ops;
extern const struct k8s_kind_ops k8s_network_policy_ops;

/* Field paths. The push calls return the length to restore with
 * k8s_path_pop. */
size_t k8s_path_key(struct k8s_dec *d, const char *key);
size_t k8s_path_index(struct k8s_dec *d, size_t i);
void k8s_path_pop(struct k8s_dec *d, size_t old);

/* Writes "<path>: <message>" to the error buffer; returns -EINVAL. */
int k8s_fail(struct k8s_dec *d, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* k8s_fail with the path extended by key (a field that is missing or bad
 * without a value reader of its own). */
int k8s_fail_at(struct k8s_dec *d, const char *key, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
int k8s_fail_nomem(struct k8s_dec *d);

/* A bad string value for a message: cut to K8S_QUOTE_MAX bytes (then
 * "..."), unprintable bytes replaced, so a message stays one readable
 * line whatever the input holds. Returns buf. */
#define K8S_QUOTE_MAX 64
#define K8S_QUOTE_BUF (K8S_QUOTE_MAX + 4)
const char *k8s_quote(const char *s, char buf[K8S_QUOTE_BUF]);

/* A JSON value's type for messages: "string", "number", "object", ... */
const char *k8s_type_name(const cJSON *v);

/* The member key of obj; NULL when absent or JSON null (the API treats
 * both as unset). */
const cJSON *k8s_get(const cJSON *obj, const char *key);

/*
 * Value readers: the path already names v (not NULL). Return 0, or
 * -EINVAL with the error written.
 */
int k8s_val_object(struct k8s_dec *d, const cJSON *v);
int k8s_val_array(struct k8s_dec *d, const cJSON *v);
int k8s_val_string(struct k8s_dec *d, const cJSON *v, const char **out);
int k8s_val_bool(struct k8s_dec *d, const cJSON *v, bool *out);
/* An integral number within [min, max]: rejects 80.5, 1e10, -1. */
int k8s_val_uint(struct k8s_dec *d, const cJSON *v, uint32_t min, uint32_t max, uint32_t *out);
/* An IPv4 address (network order): 1; an IPv6 address or "": 0 (no
 * IPv4, *out untouched); anything else, 0.0.0.0 included, is rejected. */
int k8s_val_ip4(struct k8s_dec *d, const cJSON *v, uint32_t *out);
/* The same for an a.b.c.d/n CIDR; host bits are cleared. */
int k8s_val_cidr4(struct k8s_dec *d, const cJSON *v, uint32_t *addr, uint8_t *len);

/*
 * Field readers: key of obj, where absent and null are the same. Return
 * 1 when the field is set (and *out filled), 0 when it is not (*out
 * untouched), or -EINVAL with the error written.
 */
int k8s_field_object(struct k8s_dec *d, const cJSON *obj, const char *key, const cJSON **out);
int k8s_field_array(struct k8s_dec *d, const cJSON *obj, const char *key, const cJSON **out);
int k8s_field_string(struct k8s_dec *d, const cJSON *obj, const char *key, const char **out);
/* As k8s_field_string, into a copy (freed by the caller). */
int k8s_field_strdup(struct k8s_dec *d, const cJSON *obj, const char *key, char **out);
int k8s_field_bool(struct k8s_dec *d, const cJSON *obj, const char *key, bool *out);
int k8s_field_uint(struct k8s_dec *d, const cJSON *obj, const char *key, uint32_t min, uint32_t max,
		   uint32_t *out);
int k8s_field_u16(struct k8s_dec *d, const cJSON *obj, const char *key, uint16_t min,
		  uint16_t *out);
/* A string that must be one of names; *out is its index. */
int k8s_field_enum(struct k8s_dec *d, const cJSON *obj, const char *key, const char *const *names,
		   size_t n_names, int *out);
/* protocol: TCP, UDP or SCTP into an IPPROTO_ value; TCP when unset. */
int k8s_field_protocol(struct k8s_dec *d, const cJSON *obj, const char *key, uint8_t *out);
/* obj.key, an object when present, decoded by fn(d, it, ctx) with the
 * path pushed: 1, 0 when absent, or < 0. */
int k8s_field_nested(struct k8s_dec *d, const cJSON *obj, const char *key,
		     int (*fn)(struct k8s_dec *d, const cJSON *v, void *ctx), void *ctx);
/* What Service and EndpointSlice ports begin with: the item is an object,
 * its name ("" when unnamed; borrowed from json, to be copied) and
 * protocol (TCP when unset). 0 or < 0. */
int k8s_port_head(struct k8s_dec *d, const cJSON *json, const char **name, uint8_t *proto);
/* An int-or-string port: a number 0-65535 or a name. 0 and "" mean unset,
 * as the API defaults them. */
int k8s_field_port_ref(struct k8s_dec *d, const cJSON *obj, const char *key,
		       struct k8s_port_ref *out);

/* A zeroed array for the items of a JSON array (at least one slot); NULL
 * only when out of memory. */
void *k8s_alloc_items(const cJSON *array, size_t elem_size);

/* Calls each per item of the list key of obj, with the path at the item
 * (each returns 0 or -errno; the first nonzero stops). 1, 0 when absent
 * or null, or < 0. */
int k8s_field_each(struct k8s_dec *d, const cJSON *obj, const char *key,
		   int (*each)(struct k8s_dec *d, const cJSON *item, size_t i, void *ctx),
		   void *ctx);

/* Decodes the list key of obj into a new zeroed array, calling each per
 * item with the path at the item (each returns 0 or -errno). *n counts
 * the items begun, so the caller's free also covers a half-decoded one.
 * Absent, null and [] give no items (0). */
int k8s_field_list(struct k8s_dec *d, const cJSON *obj, const char *key, size_t elem_size,
		   int (*each)(struct k8s_dec *d, const cJSON *item, void *elem, void *ctx),
		   void *ctx, void **items, size_t *n);

/* Iterates the items of a JSON array (NULL: none) with their index. */
#define k8s_for_each_item(item, i, array)                               \
	for ((i) = 0, (item) = (array) ? (array)->child : NULL; (item); \
	     (item) = (item)->next, (i)++)

/*
 * An object's body block: its arrays and strings in one allocation, so
 * each of the tens of thousands of objects an informer caches pays the
 * allocator's overhead once, not once per array and string. Everything is
 * measured first (arrays, then strings), the block made once, then carved
 * in the same order.
 */
struct k8s_block {
	size_t size;
	char *base, *at;
};

/* Room for an array of n bytes (kept 8-byte aligned). */
static inline void k8s_block_need(struct k8s_block *b, size_t n)
{
	b->size += (n + 7) & ~(size_t)7;
}

/* Room for a copy of s; strings go after every array. */
static inline void k8s_block_need_str(struct k8s_block *b, const char *s)
{
	b->size += strlen(s) + 1;
}

/* Makes the block (at least one byte: NULL means only out of memory). */
void *k8s_block_alloc(struct k8s_block *b);
/* The next n bytes (zeroed), as measured by k8s_block_need; NULL for 0. */
void *k8s_block_take(struct k8s_block *b, size_t n);
/* A copy of s in the block, as measured by k8s_block_need_str. */
char *k8s_block_str(struct k8s_block *b, const char *s);

/* Labels (an object of strings) and label selectors. labels NULL: the
 * labels are only checked, not kept. */
int k8s_field_labels(struct k8s_dec *d, const cJSON *obj, const char *key,
		     struct k8s_label **labels, size_t *n);
void k8s_labels_free(struct k8s_label *labels, size_t n);
int k8s_field_selector(struct k8s_dec *d, const cJSON *obj, const char *key,
		       struct k8s_selector *sel);
void k8s_selector_free(struct k8s_selector *sel);

#endif
