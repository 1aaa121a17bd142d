/* The agent's logger: one key=value line per event, the level threshold,
 * and quoting of values that hold spaces or quotes. */
#include "unit.h"

#include <fcntl.h>
#include <regex.h>

#include "log.h"

/* Runs the logging in fn with lines going to a temp file; returns what
 * was written (static buffer). */
static const char *capture(void (*fn)(void))
{
	static char out[8192];
	char path[] = "/tmp/xcni-log-XXXXXX";
	int fd = mkstemp(path);
	ssize_t n;

	assert_true(fd >= 0);
	unlink(path);
	log_set_fd(fd);
	fn();
	log_set_fd(STDERR_FILENO);
	assert_int_equal(lseek(fd, 0, SEEK_SET), 0);
	n = read(fd, out, sizeof(out) - 1);
	close(fd);
	assert_true(n >= 0);
	out[n] = '\0';
	return out;
}

static void log_two_levels(void)
{
	log_set_level(LOG_LEVEL_INFO);
	log_debug("hidden", "k=v");
	log_info("watch_restart", "resource=%s cause=%s rv=%d", "services", "expired", 123);
	log_error("bare", "%s", "");
}

static void test_line_format(void **state)
{
	const char *out = capture(log_two_levels);
	regex_t re;

	(void)state;
	assert_int_equal(
		regcomp(&re,
			"^ts=[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\\.[0-9]{3}Z "
			"level=info event=watch_restart resource=services cause=expired rv=123\n"
			"ts=[^ ]+ level=error event=bare\n$",
			REG_EXTENDED),
		0);
	if (regexec(&re, out, 0, NULL, 0))
		fail_msg("unexpected log output:\n%s", out);
	regfree(&re);
}

static void log_threshold_warn(void)
{
	log_set_level(LOG_LEVEL_WARN);
	log_info("no", "a=1");
	log_warn("yes", "a=2");
	log_set_level(LOG_LEVEL_INFO);
}

static void test_threshold_drops_lower_levels(void **state)
{
	const char *out = capture(log_threshold_warn);

	(void)state;
	assert_null(strstr(out, "event=no"));
	assert_str_contains(out, "level=warn event=yes a=2\n");
}

static void test_parse_level(void **state)
{
	enum log_level l;

	(void)state;
	assert_int_equal(log_parse_level("debug", &l), 0);
	assert_int_equal(l, LOG_LEVEL_DEBUG);
	assert_int_equal(log_parse_level("error", &l), 0);
	assert_int_equal(l, LOG_LEVEL_ERROR);
	assert_int_equal(log_parse_level("verbose", &l), -EINVAL);
	assert_int_equal(log_parse_level(NULL, &l), -EINVAL);
}

static void test_quote(void **state)
{
	char buf[64];

	(void)state;
	assert_string_equal(log_quote("plain-word_1.2", buf, sizeof(buf)), "plain-word_1.2");
	assert_string_equal(log_quote("two words", buf, sizeof(buf)), "\"two words\"");
	assert_string_equal(log_quote("a\"b\\c", buf, sizeof(buf)), "\"a\\\"b\\\\c\"");
	assert_string_equal(log_quote("k=v", buf, sizeof(buf)), "\"k=v\"");
	assert_string_equal(log_quote("line\nbreak", buf, sizeof(buf)), "\"line\\x0abreak\"");
	assert_string_equal(log_quote("", buf, sizeof(buf)), "\"\"");
	assert_string_equal(log_quote(NULL, buf, sizeof(buf)), "null");
	/* Cut short, still quoted and terminated. */
	assert_string_equal(log_quote("a b c d e f g h", buf, 8), "\"a b c\"");
}

static void log_long(void)
{
	char big[6000];

	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	log_info("long", "v=%s", big);
}

static void test_long_line_is_cut_but_ends_in_newline(void **state)
{
	const char *out = capture(log_long);

	(void)state;
	assert_int_equal(strlen(out), 4096);
	assert_int_equal(out[4095], '\n');
	assert_int_equal(strchr(out, '\n') - out, 4095);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_line_format),
		cmocka_unit_test(test_threshold_drops_lower_levels),
		cmocka_unit_test(test_parse_level),
		cmocka_unit_test(test_quote),
		cmocka_unit_test(test_long_line_is_cut_but_ends_in_newline),
	};

	return cmocka_run_group_tests_name("log", tests, NULL, NULL);
}
