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

/* "ts=2026-11-24T10:00:00.123Z": UTC with milliseconds. */
static size_t format_ts(char *buf, size_t size)
{
	struct timespec ts;
	struct tm tm;
	size_t n;
	int w;

	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	n = strftime(buf, size, "ts=%Y-%m-%dT%H:%M:%S", &tm);
	w = snprintf(buf + n, size - n, ".%03ldZ", ts.tv_nsec / 1000000);
	return w < 0 ? n : n + (size_t)w;
}

/* Adds what a snprintf-style call wrote (w) to n, kept within cap. */
static size_t advance(size_t n, int w, size_t cap)
{
	if (w > 0)
		n += (size_t)w;
	return n > cap ? cap : n;
}

void log_msg(enum log_level level, const char *event, const char *fmt, ...)
{
	/* cap characters of text, then the newline; +1 for vsnprintf's NUL */
	char line[LOG_LINE_MAX + 1];
	size_t n, cap = LOG_LINE_MAX - 1;
	va_list ap;

	if (level < log_threshold || level > LOG_LEVEL_ERROR)
		return;
	n = format_ts(line, cap + 1);
	n = advance(
		n, snprintf(line + n, cap + 1 - n, " level=%s event=%s", level_names[level], event),
		cap);
	if (n < cap && fmt) {
		size_t start = ++n;

		line[start - 1] = ' ';
		va_start(ap, fmt);
		n = advance(n, vsnprintf(line + n, cap + 1 - n, fmt, ap), cap);
		va_end(ap);
		if (n == start) /* fmt printed nothing: no trailing space */
			n--;
	}
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
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		size_t need = c == '"' || c == '\\' ? 2 : c < ' ' || c == 0x7f ? 4 : 1;

		if (n + need + 2 > size) /* room for the closing quote and NUL */
			break;
		if (need == 2) {
			buf[n++] = '\\';
			buf[n++] = (char)c;
		} else if (need == 4) {
			n += (size_t)snprintf(buf + n, size - n, "\\x%02x", c);
		} else {
			buf[n++] = (char)c;
		}
	}
	buf[n++] = '"';
	buf[n] = '\0';
	return buf;
}
