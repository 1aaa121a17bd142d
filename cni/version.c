/* Supported CNI versions: results and errors are encoded in the one asked. */
#include <stdio.h>
#include <string.h>

#include "version.h"

const char *const cni_versions[] = { "0.3.0", "0.3.1", "0.4.0", "1.0.0", "1.1.0", NULL };

bool cni_version_supported(const char *v)
{
	for (int i = 0; v && cni_versions[i]; i++)
		if (!strcmp(v, cni_versions[i]))
			return true;
	return false;
}

static long version_key(const char *v)
{
	unsigned int a, b, c;
	char tail;

	if (!v || sscanf(v, "%u.%u.%u%c", &a, &b, &c, &tail) != 3)
		return -1;
	return (long)a * 1000000 + (long)b * 1000 + c;
}

int cni_version_cmp(const char *a, const char *b)
{
	long ka = version_key(a), kb = version_key(b);

	return (ka > kb) - (ka < kb);
}
