/* Typed readers for the fields of Kubernetes JSON objects: each checks the
 * type and range and names the field path in its error. */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ip4.h"
#include "k8s_decode.h"

static size_t path_append(struct k8s_dec *d, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static size_t path_append(struct k8s_dec *d, const char *fmt, ...)
{
	size_t old = d->path_len, room = sizeof(d->path) - old;
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(d->path + old, room, fmt, ap);
	va_end(ap);
	if (n < 0)
		d->path[old] = '\0';
	else
		d->path_len = (size_t)n < room ? old + (size_t)n : sizeof(d->path) - 1;
	return old;
}

size_t k8s_path_key(struct k8s_dec *d, const char *key)
{
	return path_append(d, d->path_len ? ".%s" : "%s", key);
}

size_t k8s_path_index(struct k8s_dec *d, size_t i)
{
	return path_append(d, "[%zu]", i);
}

void k8s_path_pop(struct k8s_dec *d, size_t old)
{
	d->path_len = old;
	d->path[old] = '\0';
}

static int vfail(struct k8s_dec *d, const char *fmt, va_list ap)
{
	int n;

	if (!d->err || !d->err_len)
		return -EINVAL;
	n = snprintf(d->err, d->err_len, "%s%s", d->path, d->path_len ? ": " : "");
	if (n >= 0 && (size_t)n < d->err_len)
		vsnprintf(d->err + n, d->err_len - n, fmt, ap);
	return -EINVAL;
}

int k8s_fail(struct k8s_dec *d, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vfail(d, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

int k8s_fail_at(struct k8s_dec *d, const char *key, const char *fmt, ...)
{
	size_t old = k8s_path_key(d, key);
	va_list ap;

	va_start(ap, fmt);
	vfail(d, fmt, ap);
	va_end(ap);
	k8s_path_pop(d, old);
	return -EINVAL;
}

int k8s_fail_nomem(struct k8s_dec *d)
{
	k8s_fail(d, "out of memory");
	return -ENOMEM;
}

const char *k8s_type_name(const cJSON *v)
{
	if (cJSON_IsString(v))
		return "string";
	if (cJSON_IsNumber(v))
		return "number";
	if (cJSON_IsBool(v))
		return "boolean";
	if (cJSON_IsArray(v))
		return "array";
	if (cJSON_IsObject(v))
		return "object";
	if (cJSON_IsNull(v))
		return "null";
	return "nothing";
}

const char *k8s_quote(const char *s, char buf[K8S_QUOTE_BUF])
{
	size_t i;

	for (i = 0; i < K8S_QUOTE_MAX && s[i]; i++)
		buf[i] = isprint((unsigned char)s[i]) ? s[i] : '?';
	if (s[i]) {
		memcpy(buf + i, "...", 3);
		i += 3;
	}
	buf[i] = '\0';
	return buf;
}

const cJSON *k8s_get(const cJSON *obj, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);

	return cJSON_IsNull(v) ? NULL : v;
}

int k8s_val_object(struct k8s_dec *d, const cJSON *v)
{
	if (!cJSON_IsObject(v))
		return k8s_fail(d, "expected an object, got %s", k8s_type_name(v));
	return 0;
}

int k8s_val_array(struct k8s_dec *d, const cJSON *v)
{
	if (!cJSON_IsArray(v))
		return k8s_fail(d, "expected a list, got %s", k8s_type_name(v));
	return 0;
}

int k8s_val_string(struct k8s_dec *d, const cJSON *v, const char **out)
{
	if (!cJSON_IsString(v) || !v->valuestring)
		return k8s_fail(d, "expected a string, got %s", k8s_type_name(v));
	*out = v->valuestring;
	return 0;
}

int k8s_val_bool(struct k8s_dec *d, const cJSON *v, bool *out)
{
	if (!cJSON_IsBool(v))
		return k8s_fail(d, "expected a boolean, got %s", k8s_type_name(v));
	*out = cJSON_IsTrue(v);
	return 0;
}

int k8s_val_uint(struct k8s_dec *d, const cJSON *v, uint32_t min, uint32_t max, uint32_t *out)
{
	double x;

	if (!cJSON_IsNumber(v))
		return k8s_fail(d, "expected an integer %u-%u, got %s", min, max, k8s_type_name(v));
	x = v->valuedouble;
	/* Written so NaN fails too; the cast is safe once x is in range. */
	if (!(x >= min && x <= max) || (double)(uint32_t)x != x)
		return k8s_fail(d, "expected an integer %u-%u, got %.15g", min, max, x);
	*out = (uint32_t)x;
	return 0;
}

/* A textual IPv6 address: the API allows it where we want IPv4, and we
 * skip it rather than reject the object. */
static bool is_ip6(const char *s)
{
	struct in6_addr a;

	return inet_pton(AF_INET6, s, &a) == 1;
}

int k8s_val_ip4(struct k8s_dec *d, const cJSON *v, uint32_t *out)
{
	char q[K8S_QUOTE_BUF];
	struct in_addr a;
	const char *s = NULL;

	if (k8s_val_string(d, v, &s))
		return -EINVAL;
	if (inet_pton(AF_INET, s, &a) == 1) {
		/* 0 means "absent" in the decoded structs, and no object the
		 * agent reads may hold the unspecified address. */
		if (!a.s_addr)
			return k8s_fail(d, "expected an IP address, got the unspecified 0.0.0.0");
		*out = a.s_addr;
		return 1;
	}
	if (!*s || is_ip6(s))
		return 0;
	return k8s_fail(d, "expected an IP address, got \"%s\"", k8s_quote(s, q));
}

/* An IPv6 CIDR: an IPv6 address, "/", a length 0-128 in digits. */
static bool is_cidr6(const char *s)
{
	char buf[INET6_ADDRSTRLEN];
	const char *slash = strchr(s, '/');
	const char *p;

	if (!slash || (size_t)(slash - s) >= sizeof(buf) || !slash[1] || strlen(slash + 1) > 3)
		return false;
	for (p = slash + 1; *p; p++)
		if (!isdigit((unsigned char)*p))
			return false;
	if (atoi(slash + 1) > 128)
		return false;
	memcpy(buf, s, slash - s);
	buf[slash - s] = '\0';
	return is_ip6(buf);
}

int k8s_val_cidr4(struct k8s_dec *d, const cJSON *v, uint32_t *addr, uint8_t *len)
{
	char q[K8S_QUOTE_BUF];
	struct ip4_prefix p;
	const char *s = NULL;

	if (k8s_val_string(d, v, &s))
		return -EINVAL;
	if (!ip4_prefix_parse(s, &p)) {
		*addr = htonl(ip4_network(&p));
		*len = p.len;
		return 1;
	}
	if (!*s || is_cidr6(s))
		return 0;
	return k8s_fail(d, "expected a CIDR (address/length), got \"%s\"", k8s_quote(s, q));
}

/* obj[key] checked by is_ok under its path: 1 with *out set, 0 when
 * absent, or the error. */
static int field_checked(struct k8s_dec *d, const cJSON *obj, const char *key, const cJSON **out,
			 int (*is_ok)(struct k8s_dec *d, const cJSON *v))
{
	const cJSON *v = k8s_get(obj, key);
	size_t old;
	int err;

	if (!v)
		return 0;
	old = k8s_path_key(d, key);
	err = is_ok(d, v);
	k8s_path_pop(d, old);
	if (err)
		return err;
	*out = v;
	return 1;
}

int k8s_field_object(struct k8s_dec *d, const cJSON *obj, const char *key, const cJSON **out)
{
	return field_checked(d, obj, key, out, k8s_val_object);
}

int k8s_field_array(struct k8s_dec *d, const cJSON *obj, const char *key, const cJSON **out)
{
	return field_checked(d, obj, key, out, k8s_val_array);
}

int k8s_field_string(struct k8s_dec *d, const cJSON *obj, const char *key, const char **out)
{
	const cJSON *v = k8s_get(obj, key);
	size_t old;
	int err;

	if (!v)
		return 0;
	old = k8s_path_key(d, key);
	err = k8s_val_string(d, v, out);
	k8s_path_pop(d, old);
	return err ? err : 1;
}

int k8s_field_strdup(struct k8s_dec *d, const cJSON *obj, const char *key, char **out)
{
	const char *s = NULL;
	char *copy;
	int err;

	err = k8s_field_string(d, obj, key, &s);
	if (err <= 0)
		return err;
	copy = strdup(s);
	if (!copy)
		return k8s_fail_nomem(d);
	*out = copy;
	return 1;
}

int k8s_field_bool(struct k8s_dec *d, const cJSON *obj, const char *key, bool *out)
{
	const cJSON *v = k8s_get(obj, key);
	size_t old;
	int err;

	if (!v)
		return 0;
	old = k8s_path_key(d, key);
	err = k8s_val_bool(d, v, out);
	k8s_path_pop(d, old);
	return err ? err : 1;
}

int k8s_field_uint(struct k8s_dec *d, const cJSON *obj, const char *key, uint32_t min, uint32_t max,
		   uint32_t *out)
{
	const cJSON *v = k8s_get(obj, key);
	size_t old;
	int err;

	if (!v)
		return 0;
	old = k8s_path_key(d, key);
	err = k8s_val_uint(d, v, min, max, out);
	k8s_path_pop(d, old);
	return err ? err : 1;
}

int k8s_field_u16(struct k8s_dec *d, const cJSON *obj, const char *key, uint16_t min, uint16_t *out)
{
	uint32_t x;
	int ret;

	ret = k8s_field_uint(d, obj, key, min, UINT16_MAX, &x);
	if (ret > 0)
		*out = (uint16_t)x;
	return ret;
}

int k8s_field_enum(struct k8s_dec *d, const cJSON *obj, const char *key, const char *const *names,
		   size_t n_names, int *out)
{
	char q[K8S_QUOTE_BUF], expected[128] = "";
	const char *s = NULL;
	size_t i, used = 0;
	int ret;

	ret = k8s_field_string(d, obj, key, &s);
	if (ret <= 0)
		return ret;
	for (i = 0; i < n_names; i++) {
		if (!strcmp(s, names[i])) {
			*out = (int)i;
			return 1;
		}
	}
	for (i = 0; i < n_names && used < sizeof(expected); i++) {
		int n = snprintf(expected + used, sizeof(expected) - used, "%s%s", i ? ", " : "",
				 names[i]);

		if (n < 0)
			break;
		used += (size_t)n;
	}
	return k8s_fail_at(d, key, "expected one of %s, got \"%s\"", expected, k8s_quote(s, q));
}

int k8s_field_protocol(struct k8s_dec *d, const cJSON *obj, const char *key, uint8_t *out)
{
	static const char *const names[] = { "TCP", "UDP", "SCTP" };
	static const uint8_t protos[] = { IPPROTO_TCP, IPPROTO_UDP, IPPROTO_SCTP };
	int i = 0, ret;

	ret = k8s_field_enum(d, obj, key, names, K8S_ARRAY_SIZE(names), &i);
	if (ret < 0)
		return ret;
	*out = protos[i];
	return ret;
}

int k8s_field_nested(struct k8s_dec *d, const cJSON *obj, const char *key,
		     int (*fn)(struct k8s_dec *d, const cJSON *v, void *ctx), void *ctx)
{
	const cJSON *v = NULL;
	size_t old;
	int ret = k8s_field_object(d, obj, key, &v);

	if (ret <= 0)
		return ret;
	old = k8s_path_key(d, key);
	ret = fn(d, v, ctx);
	k8s_path_pop(d, old);
	return ret < 0 ? ret : 1;
}

int k8s_port_head(struct k8s_dec *d, const cJSON *json, const char **name, uint8_t *proto)
{
	int ret = k8s_val_object(d, json);

	if (ret)
		return ret;
	ret = k8s_field_string(d, json, "name", name);
	if (ret < 0)
		return ret;
	if (!ret)
		*name = "";
	ret = k8s_field_protocol(d, json, "protocol", proto);
	return ret < 0 ? ret : 0;
}

int k8s_field_port_ref(struct k8s_dec *d, const cJSON *obj, const char *key,
		       struct k8s_port_ref *out)
{
	const cJSON *v = k8s_get(obj, key);
	uint32_t num;
	size_t old;
	int err;

	if (!v)
		return 0;
	old = k8s_path_key(d, key);
	if (cJSON_IsString(v) && v->valuestring) {
		k8s_path_pop(d, old);
		if (!*v->valuestring)
			return 0;
		out->name = strdup(v->valuestring);
		return out->name ? 1 : k8s_fail_nomem(d);
	}
	if (cJSON_IsNumber(v))
		err = k8s_val_uint(d, v, 0, UINT16_MAX, &num);
	else
		err = k8s_fail(d, "expected an integer 0-65535 or a port name, got %s",
			       k8s_type_name(v));
	k8s_path_pop(d, old);
	if (err)
		return err;
	out->num = (uint16_t)num;
	return num != 0;
}

void *k8s_alloc_items(const cJSON *array, size_t elem_size)
{
	const cJSON *item;
	size_t n = 0;

	for (item = array ? array->child : NULL; item; item = item->next)
		n++;
	/* One spare slot for [] keeps NULL meaning only "out of memory". */
	return calloc(n ? n : 1, elem_size);
}

/* The items of list (obj.key, present), each with the path at it. */
static int each_item(struct k8s_dec *d, const char *key, const cJSON *list,
		     int (*each)(struct k8s_dec *d, const cJSON *item, size_t i, void *ctx),
		     void *ctx)
{
	const cJSON *item;
	size_t i, old, at;
	int ret = 0;

	old = k8s_path_key(d, key);
	k8s_for_each_item(item, i, list)
	{
		at = k8s_path_index(d, i);
		ret = each(d, item, i, ctx);
		k8s_path_pop(d, at);
		if (ret)
			break;
	}
	k8s_path_pop(d, old);
	return ret < 0 ? ret : 1;
}

int k8s_field_each(struct k8s_dec *d, const cJSON *obj, const char *key,
		   int (*each)(struct k8s_dec *d, const cJSON *item, size_t i, void *ctx),
		   void *ctx)
{
	const cJSON *list = NULL;
	int ret = k8s_field_array(d, obj, key, &list);

	return ret <= 0 ? ret : each_item(d, key, list, each, ctx);
}

/* k8s_field_list's per-item step: the item's slot in the new array. */
struct list_fill {
	int (*each)(struct k8s_dec *d, const cJSON *item, void *elem, void *ctx);
	void *ctx;
	char *items;
	size_t elem_size, *n;
};

static int list_fill_one(struct k8s_dec *d, const cJSON *item, size_t i, void *ctx)
{
	struct list_fill *f = ctx;

	*f->n = i + 1;
	return f->each(d, item, f->items + i * f->elem_size, f->ctx);
}

int k8s_field_list(struct k8s_dec *d, const cJSON *obj, const char *key, size_t elem_size,
		   int (*each)(struct k8s_dec *d, const cJSON *item, void *elem, void *ctx),
		   void *ctx, void **items, size_t *n)
{
	struct list_fill f = { .each = each, .ctx = ctx, .elem_size = elem_size, .n = n };
	const cJSON *list = NULL;
	int ret;

	ret = k8s_field_array(d, obj, key, &list);
	if (ret <= 0)
		return ret;
	*items = k8s_alloc_items(list, elem_size);
	if (!*items)
		return k8s_fail_nomem(d);
	f.items = *items;
	return each_item(d, key, list, list_fill_one, &f);
}

void *k8s_block_alloc(struct k8s_block *b)
{
	b->base = b->at = calloc(1, b->size ? b->size : 1);
	return b->base;
}

void *k8s_block_take(struct k8s_block *b, size_t n)
{
	void *p = n ? b->at : NULL;

	b->at += (n + 7) & ~(size_t)7;
	return p;
}

char *k8s_block_str(struct k8s_block *b, const char *s)
{
	size_t n = strlen(s) + 1;
	char *p = memcpy(b->at, s, n);

	b->at += n;
	return p;
}
