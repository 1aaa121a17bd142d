/* Reassembles a watch stream into lines: events are split on '\n' however
 * the bytes arrive (HTTP/1.1 chunks or HTTP/2 frames carry no event
 * boundaries). */
#ifndef XCNI_KUBE_WATCH_LINES_H
#define XCNI_KUBE_WATCH_LINES_H

#include <stddef.h>

/* Lines may outgrow the first buffer (objects > 64 KiB are real); past
 * max the line is rejected rather than buffered without bound. */
#define WATCH_LINE_DEFAULT_MAX (16u << 20)

struct watch_lines {
	char *buf;
	size_t len; /* bytes of the unfinished line */
	size_t cap;
	size_t max;
};

/* Called once per complete line, without its "\n" (or "\r\n"), NUL
 * terminated at line[len]; empty lines are skipped. A non-zero return
 * stops the feed and is returned by watch_lines_feed. */
typedef int (*watch_line_fn)(void *ctx, char *line, size_t len);

/* max 0: WATCH_LINE_DEFAULT_MAX. */
void watch_lines_init(struct watch_lines *w, size_t max);
void watch_lines_free(struct watch_lines *w);
/* Forgets an unfinished line (the connection it came on is gone). */
void watch_lines_reset(struct watch_lines *w);

/* Feeds bytes; calls fn for every line they complete. Returns 0, fn's
 * non-zero result, -EMSGSIZE when a line exceeds max, or -ENOMEM. After
 * an error the stream cannot be trusted: reset before reuse. */
int watch_lines_feed(struct watch_lines *w, const char *data, size_t len, watch_line_fn fn,
		     void *ctx);

#endif
