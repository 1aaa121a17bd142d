/* The CNI spec versions xcni speaks, and comparisons between them. */
#ifndef XCNI_CNI_VERSION_H
#define XCNI_CNI_VERSION_H

#include <stdbool.h>

#define CNI_VERSION_LATEST "1.1.0"

extern const char *const cni_versions[];

bool cni_version_supported(const char *v);
/* <0, 0, >0 like strcmp; unparseable versions sort first. */
int cni_version_cmp(const char *a, const char *b);

#endif
