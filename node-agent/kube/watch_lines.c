/* The watch line splitter: bytes gather in one growing buffer until a
 * '\n' completes the line, which is then handed out in place. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "watch_lines.h"

/* Most events are a few KB (bookmarks far less); a watch that idles for
 * hours should not hold more. The buffer doubles for larger ones. */
#define WATCH_LINE_FIRST_CAP 4096

void watch_lines_init(struct watch_lines *w, size_t max)
{
	memset(w, 0, sizeof(*w));
	w->max = max ? max : WATCH_LINE_DEFAULT_MAX;
}

void watch_lines_free(struct watch_lines *w)
{
	free(w->buf);
	w->buf = NULL;
	w->len = w->cap = 0;
}

void watch_lines_reset(struct watch_lines *w)
{
	w->len = 0;
}

/* Makes room for need bytes plus a NUL. */
static int reserve(struct watch_lines *w, size_t need)
{
	size_t cap = w->cap ? w->cap : WATCH_LINE_FIRST_CAP;
	char *grown;

	if (need + 1 <= w->cap)
		return 0;
	while (cap < need + 1)
		cap *= 2;
	grown = realloc(w->buf, cap);
	if (!grown)
		return -ENOMEM;
	w->buf = grown;
	w->cap = cap;
	return 0;
}

static int emit(char *line, size_t len, watch_line_fn fn, void *ctx)
{
	if (len && line[len - 1] == '\r')
		len--;
	if (!len)
		return 0;
	line[len] = '\0';
	return fn(ctx, line, len);
}

int watch_lines_feed(struct watch_lines *w, const char *data, size_t len, watch_line_fn fn,
		     void *ctx)
{
	const char *end = data + len;
	int ret;

	while (data < end) {
		const char *nl = memchr(data, '\n', (size_t)(end - data));
		size_t take = (size_t)((nl ? nl : end) - data);

		if (w->len + take > w->max)
			return -EMSGSIZE;
		/* Even a line wholly inside this feed is copied: it is handed
		 * out NUL-terminated and data is the caller's, read-only. */
		ret = reserve(w, w->len + take);
		if (ret)
			return ret;
		memcpy(w->buf + w->len, data, take);
		w->len += take;
		if (!nl)
			break;
		data = nl + 1;
		ret = emit(w->buf, w->len, fn, ctx);
		w->len = 0;
		if (ret)
			return ret;
	}
	return 0;
}
