/* The watch line splitter: the same lines whatever the chunking (down to
 * one byte per feed), CRLF, empty lines, the unfinished tail of a dropped
 * stream, lines beyond 64 KiB, and the size cap. */
#include "unit.h"

#include "watch_lines.h"

struct got {
	char *lines[64];
	size_t n;
	int stop_after; /* return 7 from this line on (0: never) */
};

static int collect(void *ctx, char *line, size_t len)
{
	struct got *g = ctx;

	assert_int_equal(strlen(line), len); /* NUL-terminated at len */
	assert_true(g->n < ARRAY_SIZE(g->lines));
	g->lines[g->n++] = strndup(line, len);
	return g->stop_after && (int)g->n >= g->stop_after ? 7 : 0;
}

static void got_free(struct got *g)
{
	for (size_t i = 0; i < g->n; i++)
		free(g->lines[i]);
	g->n = 0;
}

/* Feeds s in chunks of chunk bytes. */
static int feed_chunked(struct watch_lines *w, const char *s, size_t chunk, struct got *g)
{
	size_t len = strlen(s);

	for (size_t off = 0; off < len; off += chunk) {
		size_t n = len - off < chunk ? len - off : chunk;
		int ret = watch_lines_feed(w, s + off, n, collect, g);

		if (ret)
			return ret;
	}
	return 0;
}

static const char stream[] = "{\"type\":\"ADDED\",\"object\":{\"a\":1}}\n"
			     "{\"type\":\"MODIFIED\",\"object\":{\"a\":2}}\n"
			     "{\"type\":\"BOOKMARK\",\"object\":{}}\n";

static void test_every_chunk_size_gives_the_same_lines(void **state)
{
	(void)state;
	for (size_t chunk = 1; chunk <= sizeof(stream); chunk++) {
		struct watch_lines w;
		struct got g = { 0 };

		watch_lines_init(&w, 0);
		assert_int_equal(feed_chunked(&w, stream, chunk, &g), 0);
		assert_int_equal(g.n, 3);
		assert_string_equal(g.lines[0], "{\"type\":\"ADDED\",\"object\":{\"a\":1}}");
		assert_string_equal(g.lines[1], "{\"type\":\"MODIFIED\",\"object\":{\"a\":2}}");
		assert_string_equal(g.lines[2], "{\"type\":\"BOOKMARK\",\"object\":{}}");
		assert_int_equal(w.len, 0);
		got_free(&g);
		watch_lines_free(&w);
	}
}

/* Every way of cutting the stream in two (the split HTTP/1.1 chunks and
 * HTTP/2 frames make). */
static void test_every_two_way_split_gives_the_same_lines(void **state)
{
	size_t len = strlen(stream);

	(void)state;
	for (size_t cut = 0; cut <= len; cut++) {
		struct watch_lines w;
		struct got g = { 0 };

		watch_lines_init(&w, 0);
		assert_int_equal(watch_lines_feed(&w, stream, cut, collect, &g), 0);
		assert_int_equal(watch_lines_feed(&w, stream + cut, len - cut, collect, &g), 0);
		assert_int_equal(g.n, 3);
		assert_string_equal(g.lines[2], "{\"type\":\"BOOKMARK\",\"object\":{}}");
		got_free(&g);
		watch_lines_free(&w);
	}
}

static void test_crlf_is_stripped_and_empty_lines_skipped(void **state)
{
	struct watch_lines w;
	struct got g = { 0 };
	const char *s = "one\r\n\r\n\ntwo\n\r\nthree\r\n";

	(void)state;
	for (size_t chunk = 1; chunk <= strlen(s); chunk++) {
		watch_lines_init(&w, 0);
		assert_int_equal(feed_chunked(&w, s, chunk, &g), 0);
		assert_int_equal(g.n, 3);
		assert_string_equal(g.lines[0], "one");
		assert_string_equal(g.lines[1], "two");
		assert_string_equal(g.lines[2], "three");
		got_free(&g);
		watch_lines_free(&w);
	}
}

static void test_partial_tail_waits_and_reset_discards_it(void **state)
{
	struct watch_lines w;
	struct got g = { 0 };

	(void)state;
	watch_lines_init(&w, 0);
	assert_int_equal(watch_lines_feed(&w, "a\n{\"type\":\"ADD", 14, collect, &g), 0);
	assert_int_equal(g.n, 1);
	assert_string_equal(g.lines[0], "a");
	/* The connection dropped mid-line: the next stream starts afresh. */
	watch_lines_reset(&w);
	assert_int_equal(watch_lines_feed(&w, "b\n", 2, collect, &g), 0);
	assert_int_equal(g.n, 2);
	assert_string_equal(g.lines[1], "b");
	got_free(&g);
	watch_lines_free(&w);
}

static void test_line_beyond_64k_is_reassembled(void **state)
{
	size_t big = 200 * 1024;
	char *s = malloc(big + 4);
	struct watch_lines w;
	struct got g = { 0 };

	(void)state;
	assert_non_null(s);
	memset(s, 'x', big);
	memcpy(s + big, "\ny\n", 4);
	watch_lines_init(&w, 0);
	assert_int_equal(feed_chunked(&w, s, 4093, &g), 0);
	assert_int_equal(g.n, 2);
	assert_int_equal(strlen(g.lines[0]), big);
	assert_string_equal(g.lines[1], "y");
	got_free(&g);
	watch_lines_free(&w);
	free(s);
}

static void test_line_over_the_cap_is_rejected(void **state)
{
	struct watch_lines w;
	struct got g = { 0 };

	(void)state;
	/* Exactly the cap passes; one byte more, even spread over feeds,
	 * does not. */
	watch_lines_init(&w, 8);
	assert_int_equal(watch_lines_feed(&w, "12345678\n", 9, collect, &g), 0);
	assert_int_equal(g.n, 1);
	assert_int_equal(watch_lines_feed(&w, "12345", 5, collect, &g), 0);
	assert_int_equal(watch_lines_feed(&w, "6789", 4, collect, &g), -EMSGSIZE);
	assert_int_equal(g.n, 1);
	watch_lines_reset(&w);
	assert_int_equal(watch_lines_feed(&w, "ok\n", 3, collect, &g), 0);
	assert_int_equal(g.n, 2);
	assert_string_equal(g.lines[1], "ok");
	got_free(&g);
	watch_lines_free(&w);
}

static void test_default_cap_is_16_mib(void **state)
{
	size_t cap = WATCH_LINE_DEFAULT_MAX, chunk = 1 << 20;
	char *s = malloc(chunk);
	struct watch_lines w;
	struct got g = { 0 };
	int ret = 0;

	(void)state;
	assert_non_null(s);
	memset(s, 'x', chunk);
	watch_lines_init(&w, 0);
	assert_int_equal(w.max, 16u << 20);
	for (size_t fed = 0; fed < cap && !ret; fed += chunk)
		ret = watch_lines_feed(&w, s, chunk, collect, &g);
	assert_int_equal(ret, 0);
	assert_int_equal(watch_lines_feed(&w, "x", 1, collect, &g), -EMSGSIZE);
	assert_int_equal(g.n, 0);
	watch_lines_free(&w);
	free(s);
}

static void test_callback_result_stops_the_feed(void **state)
{
	struct watch_lines w;
	struct got g = { .stop_after = 2 };

	(void)state;
	watch_lines_init(&w, 0);
	assert_int_equal(watch_lines_feed(&w, "a\nb\nc\n", 6, collect, &g), 7);
	assert_int_equal(g.n, 2);
	got_free(&g);
	watch_lines_free(&w);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_every_chunk_size_gives_the_same_lines),
		cmocka_unit_test(test_every_two_way_split_gives_the_same_lines),
		cmocka_unit_test(test_crlf_is_stripped_and_empty_lines_skipped),
		cmocka_unit_test(test_partial_tail_waits_and_reset_discards_it),
		cmocka_unit_test(test_line_beyond_64k_is_reassembled),
		cmocka_unit_test(test_line_over_the_cap_is_rejected),
		cmocka_unit_test(test_default_cap_is_16_mib),
		cmocka_unit_test(test_callback_result_stops_the_feed),
	};

	return cmocka_run_group_tests_name("kube_lines", tests, NULL, NULL);
}
