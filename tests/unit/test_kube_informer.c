/* The informer's state machine without a network: LIST bodies and watch
 * bytes are fed in, and the cache, the handler's calls, the next request
 * and its timing are checked, on a clock the test moves. */
#include "unit.h"

#include "informer.h"
#include "kube_test_obj.h"
#include "log.h"

#define T0 1000000u /* the test clock's start, ms */

struct fix {
	struct informer *inf;
	struct recorder rec;
	uint64_t now;
};

/* JSON written with single quotes; the result lives until the next call. */
static const char *dq(const char *s)
{
	static char buf[65536];
	size_t n = strlen(s);

	assert_true(n < sizeof(buf));
	memcpy(buf, s, n + 1);
	for (char *p = buf; (p = strchr(p, '\'')); p++)
		*p = '"';
	return buf;
}

/* An object: name, uid, resourceVersion, value. */
static const char *obj(char *buf, size_t size, const char *name, const char *uid, const char *rv,
		       int value)
{
	snprintf(
		buf, size,
		"{'metadata':{'name':'%s','namespace':'default','uid':'%s','resourceVersion':'%s'},"
		"'spec':{'value':%d}}",
		name, uid, rv, value);
	return buf;
}

static struct fix *fix_new(const struct informer_spec *over)
{
	struct fix *f = calloc(1, sizeof(*f));
	struct informer_spec spec = {
		.kind = K8S_SERVICE,
		.resource = "widgets",
		.path = "/api/v1/widgets",
		.decode = tobj_decode,
		.free_obj = tobj_free,
		.watch_timeout_s = 42,
		.seed = 1,
	};
	struct informer_handler h;
	char err[128];

	assert_non_null(f);
	if (over)
		spec = *over;
	h = rec_handler(&f->rec);
	f->inf = informer_new(&spec, &h, err, sizeof(err));
	assert_non_null(f->inf);
	f->rec.inf = f->inf;
	f->now = T0;
	return f;
}

static void fix_free(struct fix *f)
{
	informer_free(f->inf);
	free(f);
}

/* Asserts that a request of type is due now, with exactly url. */
static void expect_request(struct fix *f, enum informer_req_type type, const char *url)
{
	struct informer_request req;

	assert_int_equal(informer_start(f->inf, f->now, &req), 1);
	assert_int_equal(req.type, type);
	assert_string_equal(req.url, url);
	free(req.url);
	/* In flight: nothing more until it is done. */
	assert_int_equal(informer_due_ms(f->inf), UINT64_MAX);
	assert_int_equal(informer_start(f->inf, f->now, &req), 0);
}

/* Asserts that nothing is due now and the next request is due within
 * [lo, hi] ms from now; moves the clock there. */
static void expect_wait(struct fix *f, uint64_t lo, uint64_t hi)
{
	struct informer_request req;
	uint64_t due = informer_due_ms(f->inf);

	if (lo)
		assert_int_equal(informer_start(f->inf, f->now, &req), 0);
	assert_in_range(due - f->now, lo, hi);
	f->now = due;
}

static void list_done(struct fix *f, long status, const char *body)
{
	const struct informer_response r = { .status = status,
					     .body = body,
					     .len = body ? strlen(body) : 0 };

	informer_list_done(f->inf, &r, f->now);
}

static int feed(struct fix *f, const char *sq_lines)
{
	const char *s = dq(sq_lines);

	return informer_watch_data(f->inf, s, strlen(s), f->now);
}

static void watch_done(struct fix *f, long status, const char *error, const char *body,
		       long retry_after)
{
	const struct informer_response r = { .status = status,
					     .error = error,
					     .body = body,
					     .len = body ? strlen(body) : 0,
					     .retry_after_s = retry_after };

	informer_watch_done(f->inf, &r, f->now);
}

static struct informer_stats stats(struct fix *f)
{
	struct informer_stats s;

	informer_get_stats(f->inf, &s);
	return s;
}

static long value_of(struct fix *f, const char *name)
{
	const struct tobj *o = informer_get(f->inf, "default", name);

	assert_non_null(o);
	return o->value;
}

/* Lists a, b, c (uids u-a.., RVs 1..3, values 1..3) at list RV 10 and
 * starts the watch. */
static struct fix *synced_fix(void)
{
	struct fix *f = fix_new(NULL);
	char a[256], b[256], c[256], body[1024];

	expect_request(f, INFORMER_REQ_LIST, "/api/v1/widgets?limit=500");
	snprintf(body, sizeof(body),
		 "{'kind':'WidgetList','metadata':{'resourceVersion':'10'},'items':[%s,%s,%s]}",
		 obj(a, sizeof(a), "a", "u-a", "1", 1), obj(b, sizeof(b), "b", "u-b", "2", 2),
		 obj(c, sizeof(c), "c", "u-c", "3", 3));
	list_done(f, 200, dq(body));
	expect_request(
		f, INFORMER_REQ_WATCH,
		"/api/v1/widgets?allowWatchBookmarks=true&resourceVersion=10&timeoutSeconds=42&watch=true");
	rec_reset(&f->rec);
	return f;
}

/* ---- LIST ---- */

static void test_initial_list_fills_cache_then_watches_from_its_rv(void **state)
{
	struct fix *f = synced_fix();
	struct informer_stats s = stats(f);

	(void)state;
	assert_int_equal(informer_count(f->inf), 3);
	assert_int_equal(value_of(f, "b"), 2);
	assert_null(informer_get(f->inf, "other", "b"));
	assert_int_equal(s.lists, 1);
	assert_int_equal(s.relists, 0);
	assert_int_equal(s.watches, 1);
	assert_true(s.synced);
	assert_string_equal(s.last_rv, "10");
	fix_free(f);
}

static void test_initial_list_calls_upsert_for_each_then_synced(void **state)
{
	struct fix *f = fix_new(NULL);
	char a[256], b[256], body[1024];

	(void)state;
	assert_false(stats(f).synced);
	expect_request(f, INFORMER_REQ_LIST, "/api/v1/widgets?limit=500");
	snprintf(body, sizeof(body), "{'metadata':{'resourceVersion':'7'},'items':[%s,%s]}",
		 obj(a, sizeof(a), "a", "u-a", "1", 1), obj(b, sizeof(b), "b", "u-b", "2", 2));
	list_done(f, 200, dq(body));
	assert_int_equal(f->rec.n, 3);
	assert_called(&f->rec, "upsert default/a new->1");
	assert_called(&f->rec, "upsert default/b new->2");
	/* synced comes last, after the whole list */
	assert_string_equal(f->rec.calls[2], "synced");
	/* The watch is due at once. */
	assert_int_equal(informer_due_ms(f->inf), f->now);
	fix_free(f);
}

static void test_selectors_and_continue_are_percent_encoded(void **state)
{
	struct informer_spec spec = {
		.kind = K8S_POD,
		.resource = "pods",
		.path = "/api/v1/pods",
		.field_selector = "spec.nodeName=node-a",
		.label_selector = "!service.kubernetes.io/headless,app in (a,b)",
		.decode = tobj_decode,
		.free_obj = tobj_free,
		.watch_timeout_s = 300,
		.page_limit = 2,
	};
	struct fix *f = fix_new(&spec);

	(void)state;
	expect_request(f, INFORMER_REQ_LIST,
		       "/api/v1/pods?fieldSelector=spec.nodeName%3Dnode-a&labelSelector="
		       "%21service.kubernetes.io%2Fheadless%2Capp%20in%20%28a%2Cb%29&limit=2");
	list_done(f, 200,
		  dq("{'metadata':{'resourceVersion':'5','continue':'eyJ+/='},'items':[]}"));
	expect_request(f, INFORMER_REQ_LIST,
		       "/api/v1/pods?fieldSelector=spec.nodeName%3Dnode-a&labelSelector="
		       "%21service.kubernetes.io%2Fheadless%2Capp%20in%20%28a%2Cb%29&limit=2&"
		       "continue=eyJ%2B%2F%3D");
	list_done(f, 200, dq("{'metadata':{'resourceVersion':'5'},'items':null}"));
	expect_request(f, INFORMER_REQ_WATCH,
		       "/api/v1/pods?allowWatchBookmarks=true&fieldSelector=spec.nodeName%3Dnode-a&"
		       "labelSelector=%21service.kubernetes.io%2Fheadless%2Capp%20in%20%28a%2Cb%29&"
		       "resourceVersion=5&timeoutSeconds=300&watch=true");
	fix_free(f);
}

static void test_pages_are_applied_together_after_the_last(void **state)
{
	struct informer_spec spec = {
		.kind = K8S_SERVICE,
		.resource = "widgets",
		.path = "/api/v1/widgets",
		.decode = tobj_decode,
		.free_obj = tobj_free,
		.watch_timeout_s = 42,
		.page_limit = 2,
	};
	struct fix *f = fix_new(&spec);
	char a[256], b[256], c[256], body[1024];

	(void)state;
	expect_request(f, INFORMER_REQ_LIST, "/api/v1/widgets?limit=2");
	snprintf(body, sizeof(body),
		 "{'metadata':{'resourceVersion':'20','continue':'p2'},'items':[%s,%s]}",
		 obj(a, sizeof(a), "a", "u-a", "1", 1), obj(b, sizeof(b), "b", "u-b", "2", 2));
	list_done(f, 200, dq(body));
	/* Nothing seen yet: half a list is not the cluster's state. */
	assert_int_equal(f->rec.n, 0);
	assert_int_equal(informer_count(f->inf), 0);
	expect_request(f, INFORMER_REQ_LIST, "/api/v1/widgets?limit=2&continue=p2");
	snprintf(body, sizeof(body), "{'metadata':{'resourceVersion':'20'},'items':[%s]}",
		 obj(c, sizeof(c), "c", "u-c", "3", 3));
	list_done(f, 200, dq(body));
	assert_int_equal(informer_count(f->inf), 3);
	assert_int_equal(f->rec.synced, 1);
	assert_int_equal(f->rec.n, 4);
	assert_string_equal(f->rec.calls[3], "synced");
	assert_int_equal(stats(f).lists, 1);
	expect_request(
		f, INFORMER_REQ_WATCH,
		"/api/v1/widgets?allowWatchBookmarks=true&resourceVersion=20&timeoutSeconds=42&watch=true");
	fix_free(f);
}

/* Bodies a LIST must reject whole. */
static const char *const bad_lists[] = {
	"not json", "[1,2]", "{'metadata':{},'items':[]}", /* no resourceVersion */
	"{'metadata':{'resourceVersion':''},'items':[]}",
	"{'metadata':{'resourceVersion':'5'},'items':{}}",
	/* one good item, then one whose value has the wrong type */
	"{'metadata':{'resourceVersion':'5'},'items':[{'metadata':{'name':'x'}},"
	"{'metadata':{'name':'y'},'spec':{'value':'80'}}]}",
	"{'metadata':{'resourceVersion':'5'},'items':[{'metadata':{}}]}",
	"{'metadata':{'resourceVersion':'5'},'items':[{'metadata':{'name':''}}]}",
	"{'metadata':{'resourceVersion':'5'},'items':[{'metadata':{'name':'x'}},", /* truncated */
};

static void test_malformed_list_is_rejected_whole_and_retried(void **state)
{
	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(bad_lists); i++) {
		struct fix *f = synced_fix();
		char a[256], body[1024];

		/* A relist (after a 410) gets a bad body: the old cache stays
		 * and nobody hears of the bad list. */
		f->now += 5000;
		watch_done(f, 410, NULL, NULL, 0);
		expect_request(f, INFORMER_REQ_LIST, "/api/v1/widgets?limit=500");
		list_done(f, 200, dq(bad_lists[i]));
		if (f->rec.n)
			fail_msg("bad list %zu made calls", i);
		assert_int_equal(informer_count(f->inf), 3);
		assert_int_equal(stats(f).list_failures, 1);
		assert_int_equal(stats(f).lists, 1);
		expect_wait(f, 800, 1200);
		/* Retried from scratch; a good list then replaces the cache. */
		expect_request(f, INFORMER_REQ_LIST, "/api/v1/widgets?limit=500");
		snprintf(body, sizeof(body), "{'metadata':{'resourceVersion':'30'},'items':[%s]}",
			 obj(a, sizeof(a), "a", "u-a", "1", 1));
		list_done(f, 200, dq(body));
		assert_int_equal(informer_count(f->inf), 1);
		assert_called(&f->rec, "remove default/b 2");
		fix_free(f);
	}
}

static void test_bad_second_page_discards_the_first(void **state)
{
	struct informer_spec spec = {
		.kind = K8S_SERVICE,
		.resource = "widgets",
		.path = "/api/v1/widgets",
		.decode = tobj_decode,
		.free_obj = tobj_free,
		.page_limit = 1,
		.seed = 3,
	};
	struct fix *f = fix_new(&spec);
	char a[256], body[512];

	(void)state;
	expect_request(f, INFORMER_REQ_LIST, "/api/v1/widgets?limit=1");
	snprintf(body, sizeof(body),
		 "{'metadata':{'resourceVersion':'9','continue':'t1'},'items':[%s]}",
		 obj(a, sizeof(a), "a", "u-a", "1", 1));
	list_done(f, 200, dq(body));
	expect_request(f, INFORMER_REQ_LIST, "/api/v1/widgets?limit=1&continue=t1");
	list_done(f, 200, dq("{'metadata':{'resourceVersion':'9'},'items':[{'spec':{}}]}"));
	assert_int_equal(f->rec.n, 0);
	assert_int_equal(informer_count(f->inf), 0);
	assert_false(stats(f).synced);
	expect_wait(f, 800, 1200);
	expect_request(f, INFORMER_REQ_LIST, "/api/v1/widgets?limit=1");
	fix_free(f);
}

static void test_list_http_errors_back_off(void **state)
{
	struct fix *f = fix_new(NULL);

	(void)state;
	expect_request(f, INFORMER_REQ_LIST, "/api/v1/widgets?limit=500");
	list_done(f, 500, dq("{'kind':'Status','code':500,'reason':'InternalError'}"));
	expect_wait(f, 800, 1200);
	expect_request(f, INFORMER_REQ_LIST, "/api/v1/widgets?limit=500");
	list_done(f, 500, NULL);
	expect_wait(f, 1600, 2400);
	/* 429 with Retry-After: its seconds, jittered upwards. */
	expect_request(f, INFORMER_REQ_LIST, "/api/v1/widgets?limit=500");
	{
		const struct informer_response r = { .status = 429, .retry_after_s = 3 };

		informer_list_done(f->inf, &r, f->now);
	}
	expect_wait(f, 3000, 4500);
	/* No header, but the Status says so. */
	expect_request(f, INFORMER_REQ_LIST, "/api/v1/widgets?limit=500");
	list_done(f, 503, dq("{'kind':'Status','code':503,'details':{'retryAfterSeconds':5}}"));
	expect_wait(f, 5000, 7500);
	/* No response at all. */
	expect_request(f, INFORMER_REQ_LIST, "/api/v1/widgets?limit=500");
	{
		const struct informer_response r = { .error = "Connection refused" };

		informer_list_done(f->inf, &r, f->now);
	}
	expect_wait(f, 800 * 16, 800 * 24);
	assert_int_equal(stats(f).list_failures, 5);
	assert_false(stats(f).synced);
	assert_int_equal(f->rec.n, 0);
	fix_free(f);
}

static void test_expired_continue_restarts_the_list(void **state)
{
	struct informer_spec spec = {
		.kind = K8S_SERVICE,
		.resource = "widgets",
		.path = "/api/v1/widgets",
		.decode = tobj_decode,
		.free_obj = tobj_free,
		.page_limit = 1,
	};
	struct fix *f = fix_new(&spec);
	char a[256], body[512];

	(void)state;
	expect_request(f, INFORMER_REQ_LIST, "/api/v1/widgets?limit=1");
	snprintf(body, sizeof(body),
		 "{'metadata':{'resourceVersion':'9','continue':'old'},'items':[%s]}",
		 obj(a, sizeof(a), "a", "u-a", "1", 1));
	list_done(f, 200, dq(body));
	expect_request(f, INFORMER_REQ_LIST, "/api/v1/widgets?limit=1&continue=old");
	list_done(f, 410, dq("{'kind':'Status','code':410,'reason':'Expired'}"));
	assert_int_equal(f->rec.n, 0);
	expect_wait(f, 800, 1200);
	expect_request(f, INFORMER_REQ_LIST, "/api/v1/widgets?limit=1");
	fix_free(f);
}

/* ---- WATCH events ---- */

static void test_watch_events_apply_to_cache_and_handler(void **state)
{
	struct fix *f = synced_fix();
	struct informer_stats s;

	(void)state;
	assert_int_equal(
		feed(f,
		     "{'type':'ADDED','object':{'metadata':{'name':'d','namespace':'default','uid':'u-d','resourceVersion':'11'},'spec':{'value':4}}}\n"
		     "{'type':'MODIFIED','object':{'metadata':{'name':'a','namespace':'default','uid':'u-a','resourceVersion':'12'},'spec':{'value':10}}}\n"
		     /* a duplicate ADDED is an update */
		     "{'type':'ADDED','object':{'metadata':{'name':'a','namespace':'default','uid':'u-a','resourceVersion':'13'},'spec':{'value':11}}}\n"
		     "{'type':'DELETED','object':{'metadata':{'name':'b','namespace':'default','uid':'u-b','resourceVersion':'14'}}}\n"
		     /* a DELETED of an unknown object is ignored */
		     "{'type':'DELETED','object':{'metadata':{'name':'zz','namespace':'default','uid':'u-z','resourceVersion':'15'}}}\n"
		     /* same name, new uid: deleted and made again */
		     "{'type':'MODIFIED','object':{'metadata':{'name':'c','namespace':'default','uid':'u-c2','resourceVersion':'16'},'spec':{'value':30}}}\n"),
		0);
	assert_int_equal(f->rec.n, 6);
	assert_string_equal(f->rec.calls[0], "upsert default/d new->11");
	assert_string_equal(f->rec.calls[1], "upsert default/a 1->12");
	assert_string_equal(f->rec.calls[2], "upsert default/a 12->13");
	assert_string_equal(f->rec.calls[3], "remove default/b 2");
	assert_string_equal(f->rec.calls[4], "remove default/c 3");
	assert_string_equal(f->rec.calls[5], "upsert default/c new->16");
	assert_int_equal(value_of(f, "a"), 11);
	assert_int_equal(value_of(f, "c"), 30);
	assert_null(informer_get(f->inf, "default", "b"));
	assert_int_equal(informer_count(f->inf), 3);
	s = stats(f);
	assert_int_equal(s.events_applied, 6);
	assert_int_equal(s.events_rejected, 0);
	assert_string_equal(s.last_rv, "16");
	assert_int_equal(f->rec.synced, 0);
	fix_free(f);
}

static const char events_for_bytes[] =
	"{'type':'ADDED','object':{'metadata':{'name':'d','namespace':'default','uid':'u-d','resourceVersion':'11'},'spec':{'value':4}}}\r\n"
	"{'type':'BOOKMARK','object':{'metadata':{'resourceVersion':'12'}}}\n"
	"{'type':'DELETED','object':{'metadata':{'name':'a','namespace':'default','uid':'u-a','resourceVersion':'13'}}}\n";

static void test_events_fed_byte_by_byte(void **state)
{
	struct fix *f = synced_fix();
	char copy[sizeof(events_for_bytes)];

	(void)state;
	memcpy(copy, dq(events_for_bytes), sizeof(copy));
	for (size_t i = 0; i < strlen(copy); i++)
		assert_int_equal(informer_watch_data(f->inf, copy + i, 1, f->now), 0);
	assert_int_equal(f->rec.n, 2);
	assert_string_equal(f->rec.calls[0], "upsert default/d new->11");
	assert_string_equal(f->rec.calls[1], "remove default/a 1");
	assert_int_equal(stats(f).bookmarks, 1);
	assert_string_equal(stats(f).last_rv, "13");
	fix_free(f);
}

static void test_bookmark_advances_rv_and_clean_end_rewatches_at_once(void **state)
{
	struct fix *f = synced_fix();

	(void)state;
	f->now += 300000;
	assert_int_equal(
		feed(f,
		     "{'type':'BOOKMARK','object':{'kind':'Widget','metadata':{'resourceVersion':'77'}}}\n"),
		0);
	assert_int_equal(f->rec.n, 0);
	watch_done(f, 200, NULL, NULL, 0);
	assert_int_equal(informer_due_ms(f->inf), f->now);
	expect_request(
		f, INFORMER_REQ_WATCH,
		"/api/v1/widgets?allowWatchBookmarks=true&resourceVersion=77&timeoutSeconds=42&watch=true");
	assert_int_equal(stats(f).watch_restarts[INFORMER_CAUSE_TIMEOUT], 1);
	assert_int_equal(stats(f).lists, 1);
	fix_free(f);
}

static void test_clean_end_at_once_with_nothing_backs_off(void **state)
{
	struct fix *f = synced_fix();

	(void)state;
	f->now += 10;
	watch_done(f, 200, NULL, NULL, 0);
	expect_wait(f, 800, 1200);
	expect_request(
		f, INFORMER_REQ_WATCH,
		"/api/v1/widgets?allowWatchBookmarks=true&resourceVersion=10&timeoutSeconds=42&watch=true");
	fix_free(f);
}

static const char relist_body[] =
	/* a: changed; b: gone; c: made again (new uid); d: new; e: unchanged
	 * from the watch */
	"{'metadata':{'resourceVersion':'50'},'items':["
	"{'metadata':{'name':'a','namespace':'default','uid':'u-a','resourceVersion':'40'},'spec':{'value':100}},"
	"{'metadata':{'name':'c','namespace':'default','uid':'u-c2','resourceVersion':'41'},'spec':{'value':300}},"
	"{'metadata':{'name':'d','namespace':'default','uid':'u-d','resourceVersion':'42'},'spec':{'value':400}},"
	"{'metadata':{'name':'e','namespace':'default','uid':'u-e','resourceVersion':'11'},'spec':{'value':5}}]}";

static void test_error_410_event_relists_and_replaces_cache(void **state)
{
	struct fix *f = synced_fix();
	const void *e_before;
	struct informer_stats s;

	(void)state;
	f->now += 5000;
	assert_int_equal(
		feed(f,
		     "{'type':'ADDED','object':{'metadata':{'name':'e','namespace':'default','uid':'u-e','resourceVersion':'11'},'spec':{'value':5}}}\n"),
		0);
	e_before = informer_get(f->inf, "default", "e");
	rec_reset(&f->rec);
	assert_int_equal(
		feed(f,
		     "{'type':'ERROR','object':{'kind':'Status','apiVersion':'v1','metadata':{},'status':'Failure','message':'too old resource version: 10 (60)','reason':'Expired','code':410}}\n"
		     "{'type':'ADDED','object':{'metadata':{'name':'late','uid':'x'}}}\n"),
		-1);
	/* Nothing after the ERROR is applied, and more bytes are refused. */
	assert_null(informer_get(f->inf, "default", "late"));
	assert_int_equal(
		feed(f, "{'type':'BOOKMARK','object':{'metadata':{'resourceVersion':'99'}}}\n"),
		-1);
	watch_done(f, 200, "dropped by the informer", NULL, 0);
	/* A relist at once, resourceVersion unset. */
	assert_int_equal(informer_due_ms(f->inf), f->now);
	expect_request(f, INFORMER_REQ_LIST, "/api/v1/widgets?limit=500");
	list_done(f, 200, dq(relist_body));
	assert_int_equal(f->rec.n, 6);
	assert_called(&f->rec, "upsert default/a 1->40");
	assert_called(&f->rec, "remove default/b 2");
	assert_called(&f->rec, "remove default/c 3");
	assert_called(&f->rec, "upsert default/c new->41");
	assert_called(&f->rec, "upsert default/d new->42");
	assert_string_equal(f->rec.calls[5], "synced");
	/* e did not change: no call, and the handler's pointer stays good. */
	assert_ptr_equal(informer_get(f->inf, "default", "e"), e_before);
	/* remove() already saw the new list in the cache. */
	assert_true(f->rec.saw_new_state);
	assert_int_equal(informer_count(f->inf), 4);
	assert_int_equal(value_of(f, "a"), 100);
	s = stats(f);
	assert_int_equal(s.lists, 2);
	assert_int_equal(s.relists, 1);
	assert_int_equal(s.watch_restarts[INFORMER_CAUSE_EXPIRED], 1);
	assert_string_equal(s.last_rv, "50");
	expect_request(
		f, INFORMER_REQ_WATCH,
		"/api/v1/widgets?allowWatchBookmarks=true&resourceVersion=50&timeoutSeconds=42&watch=true");
	fix_free(f);
}

static void test_http_410_and_rv_too_large_relist(void **state)
{
	struct fix *f = synced_fix();

	(void)state;
	f->now += 2000;
	watch_done(f, 410, NULL, dq("{'kind':'Status','code':410,'reason':'Expired'}"), 0);
	expect_request(f, INFORMER_REQ_LIST, "/api/v1/widgets?limit=500");
	list_done(f, 200, dq(relist_body));
	expect_request(
		f, INFORMER_REQ_WATCH,
		"/api/v1/widgets?allowWatchBookmarks=true&resourceVersion=50&timeoutSeconds=42&watch=true");
	f->now += 4000;
	watch_done(
		f, 504, NULL,
		dq("{'kind':'Status','code':504,'reason':'Timeout','message':'Too large resource version: 50, current: 3',"
		   "'details':{'causes':[{'reason':'ResourceVersionTooLarge','message':'Too large resource version'}]}}"),
		0);
	expect_request(f, INFORMER_REQ_LIST, "/api/v1/widgets?limit=500");
	assert_int_equal(stats(f).watch_restarts[INFORMER_CAUSE_TOO_LARGE], 1);
	assert_int_equal(stats(f).relists, 2);
	fix_free(f);
}

static void test_410_right_after_a_watch_starts_relists_after_backoff(void **state)
{
	struct fix *f = synced_fix();

	(void)state;
	f->now += 5;
	watch_done(f, 410, NULL, NULL, 0);
	expect_wait(f, 800, 1200);
	expect_request(f, INFORMER_REQ_LIST, "/api/v1/widgets?limit=500");
	fix_free(f);
}

/* Watch lines that must be rejected whole. */
static const char *const bad_events[] = {
	"this is not json\n",
	"[1,2,3]\n",
	"'ADDED'\n",
	"{'type':'ADDED'}\n",
	"{'object':{'metadata':{'name':'a'}}}\n",
	"{'type':'RENAMED','object':{'metadata':{'name':'a'}}}\n",
	"{'type':'ADDED','object':[1]}\n",
	"{'type':'MODIFIED','object':{'metadata':{'name':'a','namespace':'default','uid':'u-a'},'spec':{'value':'80'}}}\n",
	"{'type':'DELETED','object':{'metadata':{'namespace':'default'}}}\n",
	"{'type':'BOOKMARK','object':{'metadata':{}}}\n",
	"{'type':'ADDED','object':{'metadata':{'name':'a','namespace':'default','uid':'u-a','resourceVersion':'20'},'spec':{'value':5}}\n", /* cut short */
};

static void test_malformed_event_is_rejected_whole_and_relisted(void **state)
{
	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(bad_events); i++) {
		struct fix *f = synced_fix();
		struct informer_stats s;

		f->now += 3000;
		if (feed(f, bad_events[i]) != -1)
			fail_msg("bad event %zu accepted", i);
		assert_int_equal(f->rec.n, 0);
		assert_int_equal(informer_count(f->inf), 3);
		assert_int_equal(value_of(f, "a"), 1);
		watch_done(f, 200, "dropped by the informer", NULL, 0);
		s = stats(f);
		assert_int_equal(s.events_rejected, 1);
		assert_int_equal(s.watch_restarts[INFORMER_CAUSE_MALFORMED], 1);
		assert_int_equal(s.relists, 1);
		/* After a backoff, a relist. */
		expect_wait(f, 800, 1200);
		expect_request(f, INFORMER_REQ_LIST, "/api/v1/widgets?limit=500");
		fix_free(f);
	}
}

static void test_oversized_event_line_is_rejected(void **state)
{
	struct fix *f = synced_fix();
	size_t chunk = 1 << 20;
	char *junk = malloc(chunk);
	int ret = 0;

	(void)state;
	assert_non_null(junk);
	memset(junk, ' ', chunk);
	for (size_t fed = 0; fed <= (16u << 20) && !ret; fed += chunk)
		ret = informer_watch_data(f->inf, junk, chunk, f->now);
	assert_int_equal(ret, -1);
	f->now += 2000;
	watch_done(f, 200, "dropped by the informer", NULL, 0);
	assert_int_equal(stats(f).events_rejected, 1);
	assert_int_equal(stats(f).watch_restarts[INFORMER_CAUSE_MALFORMED], 1);
	expect_wait(f, 800, 1200);
	expect_request(f, INFORMER_REQ_LIST, "/api/v1/widgets?limit=500");
	free(junk);
	fix_free(f);
}

static void test_dropped_connection_rewatches_from_last_rv_without_relist(void **state)
{
	struct fix *f = synced_fix();

	(void)state;
	f->now += 60000;
	assert_int_equal(
		feed(f,
		     "{'type':'MODIFIED','object':{'metadata':{'name':'a','namespace':'default','uid':'u-a','resourceVersion':'15'},'spec':{'value':7}}}\n"
		     "{'type':'DELETED','object':{'metadata':{'name':'b','namespace'"),
		0);
	watch_done(f, 200, "transfer closed with outstanding read data remaining", NULL, 0);
	/* The half event is gone with its connection; b stays. */
	assert_non_null(informer_get(f->inf, "default", "b"));
	assert_int_equal(value_of(f, "a"), 7);
	expect_wait(f, 800, 1200);
	expect_request(
		f, INFORMER_REQ_WATCH,
		"/api/v1/widgets?allowWatchBookmarks=true&resourceVersion=15&timeoutSeconds=42&watch=true");
	/* The new stream starts clean: the old tail does not glue onto it. */
	assert_int_equal(
		feed(f, "{'type':'BOOKMARK','object':{'metadata':{'resourceVersion':'16'}}}\n"), 0);
	assert_int_equal(stats(f).watch_restarts[INFORMER_CAUSE_CONNECTION], 1);
	assert_int_equal(stats(f).lists, 1);
	assert_int_equal(stats(f).relists, 0);
	fix_free(f);
}

static void test_watch_http_errors_back_off_and_rewatch(void **state)
{
	const struct {
		long status;
		long retry_after;
		const char *body;
		enum informer_cause cause;
		uint64_t lo, hi;
	} cases[] = {
		{ 0, 0, NULL, INFORMER_CAUSE_CONNECTION, 800, 1200 },
		{ 401, 0, "{'kind':'Status','code':401,'reason':'Unauthorized'}",
		  INFORMER_CAUSE_UNAUTHORIZED, 1600, 2400 },
		{ 429, 2, NULL, INFORMER_CAUSE_THROTTLED, 2000, 3000 },
		{ 500, 0, NULL, INFORMER_CAUSE_SERVER_ERROR, 6400, 9600 },
		{ 503, 1, NULL, INFORMER_CAUSE_SERVER_ERROR, 1000, 1500 },
		{ 504, 0, "{'kind':'Status','code':504,'reason':'Timeout'}",
		  INFORMER_CAUSE_SERVER_ERROR, 25600, 38400 },
		{ 403, 0, "{'kind':'Status','code':403,'reason':'Forbidden','message':'no'}",
		  INFORMER_CAUSE_HTTP_ERROR, 30000, 45000 },
	};
	struct fix *f = synced_fix();

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		f->now += 100;
		watch_done(f, cases[i].status, cases[i].status ? NULL : "Connection refused",
			   cases[i].body ? dq(cases[i].body) : NULL, cases[i].retry_after);
		expect_wait(f, cases[i].lo, cases[i].hi);
		assert_int_equal(stats(f).watch_restarts[cases[i].cause],
				 cases[i].cause == INFORMER_CAUSE_SERVER_ERROR ? (i == 3 ? 1 :
										  i == 4 ? 2 :
											   3) :
										 1);
		/* Still from the list's RV: no relist for any of these. */
		expect_request(
			f, INFORMER_REQ_WATCH,
			"/api/v1/widgets?allowWatchBookmarks=true&resourceVersion=10&timeoutSeconds=42&watch=true");
	}
	assert_int_equal(stats(f).lists, 1);
	assert_int_equal(stats(f).relists, 0);
	assert_int_equal(f->rec.n, 0);
	fix_free(f);
}

static void test_other_error_event_rewatches_without_relist(void **state)
{
	struct fix *f = synced_fix();

	(void)state;
	f->now += 5000;
	assert_int_equal(
		feed(f,
		     "{'type':'ERROR','object':{'kind':'Status','code':500,'reason':'InternalError','message':'etcd'}}\n"),
		-1);
	watch_done(f, 200, "dropped by the informer", NULL, 0);
	expect_wait(f, 800, 1200);
	expect_request(
		f, INFORMER_REQ_WATCH,
		"/api/v1/widgets?allowWatchBookmarks=true&resourceVersion=10&timeoutSeconds=42&watch=true");
	assert_int_equal(stats(f).watch_restarts[INFORMER_CAUSE_ERROR_EVENT], 1);
	fix_free(f);
}

static void test_backoff_resets_after_a_long_healthy_watch(void **state)
{
	struct fix *f = synced_fix();

	(void)state;
	for (int i = 0; i < 4; i++) {
		f->now += 10;
		watch_done(f, 500, NULL, NULL, 0);
		expect_wait(f, 800u << i, (1200u << i));
		expect_request(
			f, INFORMER_REQ_WATCH,
			"/api/v1/widgets?allowWatchBookmarks=true&resourceVersion=10&timeoutSeconds=42&watch=true");
	}
	/* Ten healthy minutes later the next failure starts over. */
	f->now += 600000;
	watch_done(f, 500, NULL, NULL, 0);
	expect_wait(f, 800, 1200);
	fix_free(f);
}

static void test_random_watch_timeout_is_300_to_600(void **state)
{
	struct informer_spec spec = {
		.kind = K8S_SERVICE,
		.resource = "widgets",
		.path = "/api/v1/widgets",
		.decode = tobj_decode,
		.free_obj = tobj_free,
		.seed = 99,
	};
	struct fix *f = fix_new(&spec);
	unsigned int lo = 1000, hi = 0;

	(void)state;
	expect_request(f, INFORMER_REQ_LIST, "/api/v1/widgets?limit=500");
	list_done(f, 200, dq("{'metadata':{'resourceVersion':'1'},'items':[]}"));
	for (int i = 0; i < 500; i++) {
		struct informer_request req;
		char want[64];

		assert_int_equal(informer_start(f->inf, f->now, &req), 1);
		assert_int_equal(req.type, INFORMER_REQ_WATCH);
		assert_in_range(req.timeout_s, 300, 600);
		snprintf(want, sizeof(want), "&timeoutSeconds=%u&", req.timeout_s);
		assert_str_contains(req.url, want);
		lo = req.timeout_s < lo ? req.timeout_s : lo;
		hi = req.timeout_s > hi ? req.timeout_s : hi;
		free(req.url);
		f->now += 400000;
		watch_done(f, 200, NULL, NULL, 0);
	}
	assert_true(lo < 320 && hi > 580);
	fix_free(f);
}

static void test_spec_is_checked(void **state)
{
	struct informer_spec spec = {
		.resource = "x", .path = "api/v1/x", .decode = tobj_decode, .free_obj = tobj_free
	};
	char err[128] = "";

	(void)state;
	assert_null(informer_new(&spec, NULL, err, sizeof(err)));
	assert_str_contains(err, "absolute path");
	spec.path = "/api/v1/x";
	spec.decode = NULL;
	assert_null(informer_new(&spec, NULL, err, sizeof(err)));
}

static void test_cause_names(void **state)
{
	(void)state;
	assert_string_equal(informer_cause_name(INFORMER_CAUSE_EXPIRED), "expired");
	assert_string_equal(informer_cause_name(INFORMER_CAUSE_TIMEOUT), "timeout");
	for (int i = 0; i < INFORMER_CAUSE_MAX; i++)
		assert_non_null(informer_cause_name(i));
	assert_string_equal(informer_cause_name(INFORMER_CAUSE_MAX), "unknown");
}

static int count_values(void *ctx, const void *o)
{
	*(long *)ctx += tobj(o)->value;
	return 0;
}

static void test_foreach_walks_the_cache(void **state)
{
	struct fix *f = synced_fix();
	long sum = 0;

	(void)state;
	assert_int_equal(informer_foreach(f->inf, count_values, &sum), 0);
	assert_int_equal(sum, 1 + 2 + 3);
	fix_free(f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_initial_list_fills_cache_then_watches_from_its_rv),
		cmocka_unit_test(test_initial_list_calls_upsert_for_each_then_synced),
		cmocka_unit_test(test_selectors_and_continue_are_percent_encoded),
		cmocka_unit_test(test_pages_are_applied_together_after_the_last),
		cmocka_unit_test(test_malformed_list_is_rejected_whole_and_retried),
		cmocka_unit_test(test_bad_second_page_discards_the_first),
		cmocka_unit_test(test_list_http_errors_back_off),
		cmocka_unit_test(test_expired_continue_restarts_the_list),
		cmocka_unit_test(test_watch_events_apply_to_cache_and_handler),
		cmocka_unit_test(test_events_fed_byte_by_byte),
		cmocka_unit_test(test_bookmark_advances_rv_and_clean_end_rewatches_at_once),
		cmocka_unit_test(test_clean_end_at_once_with_nothing_backs_off),
		cmocka_unit_test(test_error_410_event_relists_and_replaces_cache),
		cmocka_unit_test(test_http_410_and_rv_too_large_relist),
		cmocka_unit_test(test_410_right_after_a_watch_starts_relists_after_backoff),
		cmocka_unit_test(test_malformed_event_is_rejected_whole_and_relisted),
		cmocka_unit_test(test_oversized_event_line_is_rejected),
		cmocka_unit_test(test_dropped_connection_rewatches_from_last_rv_without_relist),
		cmocka_unit_test(test_watch_http_errors_back_off_and_rewatch),
		cmocka_unit_test(test_other_error_event_rewatches_without_relist),
		cmocka_unit_test(test_backoff_resets_after_a_long_healthy_watch),
		cmocka_unit_test(test_random_watch_timeout_is_300_to_600),
		cmocka_unit_test(test_spec_is_checked),
		cmocka_unit_test(test_cause_names),
		cmocka_unit_test(test_foreach_walks_the_cache),
	};

	/* The informer logs every failure it is put through; quiet here. */
	log_set_level((enum log_level)(LOG_LEVEL_ERROR + 1));
	return cmocka_run_group_tests_name("kube_informer", tests, NULL, NULL);
}
