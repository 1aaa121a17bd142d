/* key=value logging to stderr (or a test's fd), one write per line. */
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "log.h"

#define LOG_LINE_MAX 4096

static enum log_level log_threshold = LOG_LEVEL_INFO;
static int log_fd = STDERR_FILENO;

static const char *const level_names[] = {
	[LOG_LEVEL_DEBUG] = "debug",
	[LOG_LEVEL_INFO] = "info",
	[LOG_LEVEL_WARN] = "warn",
	[LOG_LEVEL_ERROR] = "error",
};

void log_set_level(enum log_level level)
{
	log_threshold = level;
}

enum log_level log_get_level(void)
{
	return log_threshold;
}

int log_parse_level(const char *s, enum log_level *level)
{
	for (size_t i = 0; i < sizeof(level_names) / sizeof(level_names[0]); i++) {
		if (s && !strcmp(s, level_names[i])) {
			*level = (enum log_level)i;
			return 0;
		}
	}
	return -EINVAL;
}

void log_set_fd(int fd)
{
	log_fd = fd;
}

/* ISO 8601 UTC with milliseconds: 2026-11-24T10:00:00.123Z. */
static int format_ts(char *buf, size_t size)
{
	struct timespec ts;
	struct tm tm;
	size_t n;

	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	n = strftime(buf, size, "%Y-%m-%dT%H:%M:%S", &tm);
	return snprintf(buf + n, size - n, ".%03ldZ", ts.tv_nsec / 1000000) + (int)n;
}

void log_msg(enum log_level level, const char *event, const char *fmt, ...)
{
	char line[LOG_LINE_MAX];
	size_t n, cap = sizeof(line) - 1; /* room for the newline */
	va_list ap;
	int w;

	if (level < log_threshold || level > LOG_LEVEL_ERROR)
		return;
	n = (size_t)format_ts(line, cap);
	w = snprintf(line + n, cap - n, " level=%s event=%s", level_names[level], event);
	n = w < 0 ? n : n + (size_t)w;
	if (n < cap && fmt && *fmt) {
		line[n++] = ' ';
		va_start(ap, fmt);
		w = vsnprintf(line + n, cap - n, fmt, ap);
		va_end(ap);
		n = w < 0 ? n : n + (size_t)w;
	}
	if (n > cap)
		n = cap;
	line[n++] = '\n';
	/* A log line that cannot be written has nowhere else to go. */
	if (write(log_fd, line, n) < 0)
		return;
}

static bool plain_word(const char *s)
{
	if (!*s)
		return false;
	for (; *s; s++) {
		if ((unsigned char)*s <= ' ' || *s == '"' || *s == '=' || *s == '\\' || *s == 0x7f)
			return false;
	}
	return true;
}

const char *log_quote(const char *s, char *buf, size_t size)
{
	size_t n = 0;

	if (!s)
		return "null";
	if (plain_word(s))
		return s;
	if (size < 3)
		return "\"\"";
	buf[n++] = '"';
	for (; *s && n + 5 < size; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\') {
			buf[n++] = '\\';
			buf[n++] = (char)c;
		} else if (c < ' ' || c == 0x7f) {
			n += (size_t)snprintf(buf + n, size - n, "\\x%02x", c);
		} else {
			buf[n++] = (char)c;
		}
	}
	buf[n++] = '"';
	buf[n] = '\0';
	return buf;
}
