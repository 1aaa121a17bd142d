/* Status objects: code, reason, message, and the two details that change
 * what the informer does (ResourceVersionTooLarge, retryAfterSeconds). */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "kube_status.h"

static void copy_str(char *dst, size_t size, const cJSON *item)
{
	const char *s = cJSON_GetStringValue(item);

	snprintf(dst, size, "%s", s ? s : "");
}

static bool has_too_large_cause(const cJSON *details)
{
	const cJSON *causes = cJSON_GetObjectItemCaseSensitive(details, "causes"), *c;

	cJSON_ArrayForEach(c, causes)
	{
		const char *r = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(c, "reason"));

		if (r && !strcmp(r, "ResourceVersionTooLarge"))
			return true;
	}
	return false;
}

int kube_status_from_json(const cJSON *obj, struct kube_status *st)
{
	const cJSON *code, *details, *ra;

	memset(st, 0, sizeof(*st));
	if (!cJSON_IsObject(obj))
		return -EINVAL;
	code = cJSON_GetObjectItemCaseSensitive(obj, "code");
	if (cJSON_IsNumber(code))
		st->code = (long)code->valuedouble;
	copy_str(st->reason, sizeof(st->reason), cJSON_GetObjectItemCaseSensitive(obj, "reason"));
	copy_str(st->message, sizeof(st->message),
		 cJSON_GetObjectItemCaseSensitive(obj, "message"));
	details = cJSON_GetObjectItemCaseSensitive(obj, "details");
	ra = cJSON_GetObjectItemCaseSensitive(details, "retryAfterSeconds");
	if (cJSON_IsNumber(ra) && ra->valuedouble > 0)
		st->retry_after_s = (long)ra->valuedouble;
	/* Older servers give only the message. */
	st->rv_too_large = has_too_large_cause(details) ||
			   strstr(st->message, "Too large resource version") != NULL;
	return 0;
}

int kube_status_parse(const char *body, size_t len, struct kube_status *st)
{
	cJSON *obj = cJSON_ParseWithLength(body, len);
	int ret;

	if (!obj) {
		memset(st, 0, sizeof(*st));
		return -EINVAL;
	}
	ret = kube_status_from_json(obj, st);
	cJSON_Delete(obj);
	return ret;
}

bool kube_status_expired(const struct kube_status *st)
{
	return st->code == 410 || !strcmp(st->reason, "Expired") || !strcmp(st->reason, "Gone");
}
