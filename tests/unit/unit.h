/* Shared by the unit tests: cmocka's prerequisites and small helpers for
 * scratch directories and files. */
#ifndef XCNI_TESTS_UNIT_H
#define XCNI_TESTS_UNIT_H

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <ftw.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* Fails showing both strings when s does not contain part. */
#define assert_str_contains(s, part)                                                           \
	do {                                                                                   \
		const char *s_ = (s), *part_ = (part);                                         \
		if (!s_ || !strstr(s_, part_))                                                 \
			fail_msg("\"%s\" does not contain \"%s\"", s_ ? s_ : "(null)", part_); \
	} while (0)

/* Creates a fresh directory under $TMPDIR (or /tmp) into buf; fails the
 * test when it cannot. */
static inline void unit_mkdtemp(char *buf, size_t size)
{
	const char *base = getenv("TMPDIR");
	int n;

	if (!base || !*base)
		base = "/tmp";
	n = snprintf(buf, size, "%s/xcni-unit-XXXXXX", base);
	assert_true(n > 0 && (size_t)n < size);
	assert_non_null(mkdtemp(buf));
}

static inline int unit_rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)ftw;
	return flag == FTW_DP ? rmdir(path) : unlink(path);
}

/* rm -rf path; a missing path is not an error. Returns 0 or -errno. */
static inline int unit_rm_rf(const char *path)
{
	if (access(path, F_OK) && errno == ENOENT)
		return 0;
	if (nftw(path, unit_rm_entry, 16, FTW_DEPTH | FTW_PHYS))
		return -errno;
	return 0;
}

/* Writes s to dir/name (created or truncated) and puts the full path in
 * out; fails the test when it cannot. */
static inline void unit_write_file(const char *dir, const char *name, const char *s, char *out,
				   size_t out_size)
{
	FILE *f;
	int n;

	n = snprintf(out, out_size, "%s/%s", dir, name);
	assert_true(n > 0 && (size_t)n < out_size);
	f = fopen(out, "w");
	assert_non_null(f);
	assert_int_equal(fputs(s, f) >= 0, 1);
	assert_int_equal(fclose(f), 0);
}

#endif
