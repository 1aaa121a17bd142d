/* VERSION: the versions xcni speaks, answered in the version asked. */
#include <string.h>

#include "plugin.h"
#include "version.h"

int cmd_version(struct invocation *inv, const char *stdin_text)
{
	const char *asked = NULL;
	cJSON *in = NULL, *list;
	const cJSON *v;

	if (stdin_text && strspn(stdin_text, " \t\r\n") != strlen(stdin_text)) {
		in = cJSON_Parse(stdin_text);
		if (!cJSON_IsObject(in)) {
			cJSON_Delete(in);
			return cni_errf(&inv->err, CNI_ERR_DECODE,
					"VERSION: stdin is not a JSON object");
		}
		v = cJSON_GetObjectItemCaseSensitive(in, "cniVersion");
		if (cJSON_IsString(v) && cni_version_supported(v->valuestring))
			asked = v->valuestring;
	}
	inv->output = cJSON_CreateObject();
	cJSON_AddStringToObject(inv->output, "cniVersion", asked ? asked : CNI_VERSION_LATEST);
	list = cJSON_AddArrayToObject(inv->output, "supportedVersions");
	for (int i = 0; cni_versions[i]; i++)
		cJSON_AddItemToArray(list, cJSON_CreateString(cni_versions[i]));
	cJSON_Delete(in);
	return 0;
}
