/* The agent's logger: one line per event on stderr, as key=value pairs
 * (ts=... level=... event=... then the caller's pairs), so lines can be
 * grepped and parsed without a schema. */
#ifndef XCNI_LOG_H
#define XCNI_LOG_H

#include <stddef.h>

enum log_level {
	LOG_LEVEL_DEBUG,
	LOG_LEVEL_INFO,
	LOG_LEVEL_WARN,
	LOG_LEVEL_ERROR,
};

/* Lines below level are dropped; the default is info. */
void log_set_level(enum log_level level);
enum log_level log_get_level(void);
/* "debug", "info", "warn" or "error" into *level; -EINVAL otherwise. */
int log_parse_level(const char *s, enum log_level *level);
/* Where lines go (default 2, stderr); tests point it at a file. */
void log_set_fd(int fd);

/* Prints "ts=<UTC, ms> level=<level> event=<event> <fmt...>" as one
 * write(2), so lines from several processes do not interleave. fmt is
 * printf-style and should itself be key=value pairs; quote values that may
 * hold spaces with log_quote. A line longer than 4 KiB is cut short. */
void log_msg(enum log_level level, const char *event, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* s as a log value: unchanged when it is a plain word, else in double
 * quotes with '"', '\\' and control characters escaped. The result lives in
 * buf (cut to size) or is s itself. */
const char *log_quote(const char *s, char *buf, size_t size);

#define log_debug(event, ...) log_msg(LOG_LEVEL_DEBUG, event, __VA_ARGS__)
#define log_info(event, ...) log_msg(LOG_LEVEL_INFO, event, __VA_ARGS__)
#define log_warn(event, ...) log_msg(LOG_LEVEL_WARN, event, __VA_ARGS__)
#define log_error(event, ...) log_msg(LOG_LEVEL_ERROR, event, __VA_ARGS__)

#endif
