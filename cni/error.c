/* Building and encoding CNI error objects. */
#include <stdarg.h>
#include <stdio.h>
#include <cjson/cJSON.h>

#include "error.h"

int cni_errf(struct cni_err *e, int code, const char *fmt, ...)
{
	va_list ap;

	if (e->code)
		return -1;
	e->code = code;
	va_start(ap, fmt);
	vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
	va_end(ap);
	return -1;
}

void cni_err_details(struct cni_err *e, const char *fmt, ...)
{
	va_list ap;

	if (e->details[0])
		return;
	va_start(ap, fmt);
	vsnprintf(e->details, sizeof(e->details), fmt, ap);
	va_end(ap);
}

char *cni_err_json(const struct cni_err *e, const char *version)
{
	cJSON *o = cJSON_CreateObject();
	char *s;

	cJSON_AddStringToObject(o, "cniVersion", version);
	cJSON_AddNumberToObject(o, "code", e->code ? e->code : XCNI_ERR_INTERNAL);
	cJSON_AddStringToObject(o, "msg", e->msg[0] ? e->msg : "internal error");
	if (e->details[0])
		cJSON_AddStringToObject(o, "details", e->details);
	s = cJSON_PrintUnformatted(o);
	cJSON_Delete(o);
	return s;
}
