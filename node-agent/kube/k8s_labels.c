/* Label maps (metadata.labels, matchLabels) and label selectors
 * (matchLabels + matchExpressions) decoded from JSON. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "k8s_decode.h"

/* Labels live in one block: the pairs, then their strings. An agent holds
 * tens of thousands of objects with a few labels each, and one allocation
 * instead of 2n + 1 saves the allocator's overhead on every one. */
void k8s_labels_free(struct k8s_label *labels, size_t n)
{
	(void)n;
	free(labels);
}

int k8s_field_labels(struct k8s_dec *d, const cJSON *obj, const char *key,
		     struct k8s_label **labels, size_t *n)
{
	const cJSON *map = NULL, *item;
	const char *value = NULL;
	struct k8s_label *l;
	size_t i, old, at, count = 0, bytes = 0;
	char *str;
	int ret;

	ret = k8s_field_object(d, obj, key, &map);
	if (ret <= 0)
		return ret;
	/* Checked and measured first, so the block is made once. */
	old = k8s_path_key(d, key);
	k8s_for_each_item(item, i, map)
	{
		at = k8s_path_key(d, item->string);
		ret = k8s_val_string(d, item, &value);
		k8s_path_pop(d, at);
		if (ret)
			goto out;
		count++;
		bytes += strlen(item->string) + strlen(value) + 2;
	}
	ret = 1;
	if (!labels)
		goto out;
	/* At least one byte: NULL means only "out of memory". */
	l = malloc(count * sizeof(*l) + bytes + 1);
	if (!l) {
		ret = k8s_fail_nomem(d);
		goto out;
	}
	str = (char *)(l + count);
	k8s_for_each_item(item, i, map)
	{
		size_t kl = strlen(item->string) + 1, vl = strlen(item->valuestring) + 1;

		l[i].key = memcpy(str, item->string, kl);
		l[i].value = memcpy(str + kl, item->valuestring, vl);
		str += kl + vl;
	}
	*labels = l;
	*n = count;
out:
	k8s_path_pop(d, old);
	return ret;
}

static const char *const sel_ops[] = {
	[K8S_SEL_IN] = "In",
	[K8S_SEL_NOT_IN] = "NotIn",
	[K8S_SEL_EXISTS] = "Exists",
	[K8S_SEL_DOES_NOT_EXIST] = "DoesNotExist",
};

static void sel_expr_free(struct k8s_sel_expr *e)
{
	size_t i;

	free(e->key);
	for (i = 0; i < e->n_values; i++)
		free(e->values[i]);
	free(e->values);
}

void k8s_selector_free(struct k8s_selector *sel)
{
	size_t i;

	k8s_labels_free(sel->match_labels, sel->n_match_labels);
	for (i = 0; i < sel->n_exprs; i++)
		sel_expr_free(&sel->exprs[i]);
	free(sel->exprs);
	memset(sel, 0, sizeof(*sel));
}

static int sel_values(struct k8s_dec *d, const cJSON *json, struct k8s_sel_expr *e)
{
	const cJSON *list = NULL, *item;
	const char *value = NULL;
	size_t i, old, at;
	int ret;

	ret = k8s_field_array(d, json, "values", &list);
	if (ret <= 0)
		return ret;
	e->values = k8s_alloc_items(list, sizeof(*e->values));
	if (!e->values)
		return k8s_fail_nomem(d);
	old = k8s_path_key(d, "values");
	k8s_for_each_item(item, i, list)
	{
		at = k8s_path_index(d, i);
		ret = k8s_val_string(d, item, &value);
		k8s_path_pop(d, at);
		if (ret)
			break;
		e->values[i] = strdup(value);
		if (!e->values[i]) {
			ret = k8s_fail_nomem(d);
			break;
		}
		e->n_values = i + 1;
	}
	k8s_path_pop(d, old);
	return ret;
}

/* One matchExpressions entry: key and operator are required. */
static int sel_expr(struct k8s_dec *d, const cJSON *json, void *elem, void *ctx)
{
	struct k8s_sel_expr *e = elem;
	int op = 0, ret;

	(void)ctx;

	ret = k8s_val_object(d, json);
	if (ret)
		return ret;
	ret = k8s_field_strdup(d, json, "key", &e->key);
	if (ret <= 0)
		return ret ? ret : k8s_fail_at(d, "key", "required");
	ret = k8s_field_enum(d, json, "operator", sel_ops, K8S_ARRAY_SIZE(sel_ops), &op);
	if (ret <= 0)
		return ret ? ret : k8s_fail_at(d, "operator", "required");
	e->op = (enum k8s_sel_op)op;
	return sel_values(d, json, e);
}

int k8s_field_selector(struct k8s_dec *d, const cJSON *obj, const char *key,
		       struct k8s_selector *sel)
{
	const cJSON *json = NULL;
	void *exprs = NULL;
	size_t old;
	int ret;

	ret = k8s_field_object(d, obj, key, &json);
	if (ret <= 0)
		return ret;
	sel->present = true;
	old = k8s_path_key(d, key);
	ret = k8s_field_labels(d, json, "matchLabels", &sel->match_labels, &sel->n_match_labels);
	if (ret >= 0) {
		ret = k8s_field_list(d, json, "matchExpressions", sizeof(*sel->exprs), sel_expr,
				     NULL, &exprs, &sel->n_exprs);
		sel->exprs = exprs;
	}
	k8s_path_pop(d, old);
	return ret < 0 ? ret : 1;
}
