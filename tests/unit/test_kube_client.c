/* The client over real HTTP against kube_fake_apiserver.py (Python stdlib,
 * spawned per test): paginated gzip'd LIST, watch events however they are
 * chunked, a watch dropped mid-line, a clean end, 410 with a relist that
 * synthesizes deletes, 429 with Retry-After, a rotated token after a 401,
 * the blocking GET, and TLS verification with an inline CA. */
#include "unit.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <time.h>

#include <curl/curl.h>

#include "file.h"
#include "kube_client.h"
#include "kube_http.h"
#include "kube_test_obj.h"
#include "log.h"

#define WAIT_MS 15000 /* a guard against hanging, not a speed check */

struct srv {
	pid_t pid;
	int stdin_fd; /* the server exits when this closes */
	int port;
	bool tls;
	char base[64];
};

struct ctx {
	struct srv srv;
	struct kube_client *c;
	struct informer *inf;
	struct recorder rec;
	char dir[256];
};

static const char *script_path(void)
{
	static char path[PATH_MAX + 64];
	char exe[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);

	/* build/tests/test_kube_client -> tests/unit/ */
	if (n > 0) {
		exe[n] = '\0';
		*strrchr(exe, '/') = '\0';
		snprintf(path, sizeof(path), "%s/../../tests/unit/kube_fake_apiserver.py", exe);
		if (!access(path, R_OK))
			return path;
	}
	return "tests/unit/kube_fake_apiserver.py";
}

static int srv_start(struct srv *s, const char *const *args)
{
	int out[2], in[2];
	char line[64] = "";
	size_t n = 0;

	assert_int_equal(pipe2(out, O_CLOEXEC), 0);
	assert_int_equal(pipe2(in, O_CLOEXEC), 0);
	s->pid = fork();
	assert_true(s->pid >= 0);
	if (!s->pid) {
		const char *argv[16] = { "python3", script_path() };
		size_t i = 2;

		for (; args && *args && i < 15; args++)
			argv[i++] = *args;
		dup2(in[0], 0);
		dup2(out[1], 1);
		execvp("python3", (char **)argv);
		_exit(127);
	}
	close(in[0]);
	close(out[1]);
	s->stdin_fd = in[1];
	while (n < sizeof(line) - 1 && !strchr(line, '\n')) {
		struct pollfd p = { .fd = out[0], .events = POLLIN };
		ssize_t r;

		if (poll(&p, 1, WAIT_MS) <= 0)
			break;
		r = read(out[0], line + n, sizeof(line) - 1 - n);
		if (r <= 0)
			break;
		n += (size_t)r;
		line[n] = '\0';
	}
	close(out[0]);
	if (sscanf(line, "PORT %d", &s->port) != 1)
		return -1;
	snprintf(s->base, sizeof(s->base), "%s://127.0.0.1:%d", s->tls ? "https" : "http", s->port);
	return 0;
}

static void srv_stop(struct srv *s)
{
	if (s->pid <= 0)
		return;
	close(s->stdin_fd);
	kill(s->pid, SIGTERM);
	waitpid(s->pid, NULL, 0);
	s->pid = 0;
}

static size_t to_buf(char *data, size_t size, size_t n, void *ud)
{
	return kube_buf_append(ud, data, size * n) ? 0 : size * n;
}

/* A control request to the server (POST with a JSON body, or GET when
 * body is NULL); returns the parsed answer. */
static cJSON *ctl(struct ctx *t, const char *cmd, const char *sq_body)
{
	struct kube_buf b = { .max = 64 << 20 };
	char url[128], body[1024];
	CURL *e = curl_easy_init();
	long code = 0;
	cJSON *j;

	snprintf(url, sizeof(url), "%s/_test/%s", t->srv.base, cmd);
	assert_non_null(e);
	curl_easy_setopt(e, CURLOPT_URL, url);
	curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, to_buf);
	curl_easy_setopt(e, CURLOPT_WRITEDATA, &b);
	/* The control channel is the test's own; no need to verify it. */
	curl_easy_setopt(e, CURLOPT_SSL_VERIFYPEER, 0L);
	curl_easy_setopt(e, CURLOPT_SSL_VERIFYHOST, 0L);
	if (sq_body) {
		snprintf(body, sizeof(body), "%s", sq_body);
		for (char *p = body; (p = strchr(p, '\'')); p++)
			*p = '"';
		curl_easy_setopt(e, CURLOPT_COPYPOSTFIELDS, body);
	}
	assert_int_equal(curl_easy_perform(e), CURLE_OK);
	curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, &code);
	assert_int_equal(code, 200);
	curl_easy_cleanup(e);
	j = cJSON_ParseWithLength(b.data, b.len);
	kube_buf_free(&b);
	assert_non_null(j);
	return j;
}

static void ctl_do(struct ctx *t, const char *cmd, const char *sq_body)
{
	cJSON_Delete(ctl(t, cmd, sq_body));
}

static uint64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* Polls the client until pred holds; fails the test after WAIT_MS. */
#define run_until(t, cond)                                                    \
	do {                                                                  \
		uint64_t end_ = mono_ms() + WAIT_MS;                          \
		while (!(cond)) {                                             \
			if (mono_ms() > end_) {                               \
				rec_dump(&(t)->rec);                          \
				fail_msg("timed out waiting for: %s", #cond); \
			}                                                     \
			assert_int_equal(kube_client_poll((t)->c, 50), 0);    \
		}                                                             \
	} while (0)

static struct informer_stats st(struct ctx *t)
{
	struct informer_stats s;

	informer_get_stats(t->inf, &s);
	return s;
}

/* Requests the server saw for path whose query has key (NULL: any). */
static int count_requests(struct ctx *t, const char *key, const char *value)
{
	cJSON *log = ctl(t, "log", NULL), *e;
	int n = 0;

	cJSON_ArrayForEach(e, log)
	{
		const cJSON *q = cJSON_GetObjectItem(e, "query");
		const char *v = cJSON_GetStringValue(cJSON_GetObjectItem(q, key));

		if (strcmp(cJSON_GetStringValue(cJSON_GetObjectItem(e, "path")), "/api/v1/widgets"))
			continue;
		if (!key || (v && (!value || !strcmp(v, value))))
			n++;
	}
	cJSON_Delete(log);
	return n;
}

static int watchers(struct ctx *t)
{
	cJSON *s = ctl(t, "state", NULL);
	int n = (int)cJSON_GetObjectItem(s, "watchers")->valuedouble;

	cJSON_Delete(s);
	return n;
}

static int server_rv(struct ctx *t)
{
	cJSON *s = ctl(t, "state", NULL);
	int n = (int)cJSON_GetObjectItem(s, "rv")->valuedouble;

	cJSON_Delete(s);
	return n;
}

static int setup_with(void **state, const char *const *args, bool tls)
{
	struct ctx *t = calloc(1, sizeof(*t));

	assert_non_null(t);
	*state = t;
	t->srv.tls = tls;
	unit_mkdtemp(t->dir, sizeof(t->dir));
	if (srv_start(&t->srv, args)) {
		srv_stop(&t->srv);
		skip(); /* no python3 */
	}
	return 0;
}

static int setup(void **state)
{
	static const char *const args[] = { "--token", "tok-1", NULL };

	return setup_with(state, args, false);
}

static int teardown(void **state)
{
	struct ctx *t = *state;

	kube_client_free(t->c);
	srv_stop(&t->srv);
	unit_rm_rf(t->dir);
	free(t);
	return 0;
}

/* A client for the test server; token_file NULL: the token "tok-1". */
static void client_start(struct ctx *t, const char *token_file, unsigned int page_limit)
{
	struct kube_config cfg;
	struct informer_spec spec = {
		.kind = K8S_SERVICE,
		.resource = "widgets",
		.path = "/api/v1/widgets",
		.decode = tobj_decode,
		.free_obj = tobj_free,
		.page_limit = page_limit,
	};
	struct informer_handler h = rec_handler(&t->rec);
	char err[256] = "";

	kube_config_init(&cfg);
	cfg.server = t->srv.base;
	cfg.token = token_file ? NULL : "tok-1";
	cfg.token_file = (char *)token_file;
	if (token_file)
		assert_int_equal(kube_token_read(token_file, &cfg.token, err, sizeof(err)), 0);
	t->c = kube_client_new(&cfg, err, sizeof(err));
	if (token_file)
		kube_free_secret(cfg.token);
	assert_non_null(t->c);
	t->inf = kube_informer_add(t->c, &spec, &h, err, sizeof(err));
	assert_non_null(t->inf);
	t->rec.inf = t->inf;
}

static void put(struct ctx *t, const char *name, int value)
{
	char body[128];

	snprintf(body, sizeof(body), "{'name':'%s','value':%d}", name, value);
	ctl_do(t, "put", body);
}

static const struct tobj *get(struct ctx *t, const char *name)
{
	return informer_get(t->inf, "default", name);
}

/* Seeds a..e, starts the client (pages of 2) and waits until it watches. */
static void start_synced(struct ctx *t)
{
	const char *names[] = { "a", "b", "c", "d", "e" };

	for (size_t i = 0; i < ARRAY_SIZE(names); i++)
		put(t, names[i], (int)i + 1);
	client_start(t, NULL, 2);
	run_until(t, t->rec.synced == 1 && watchers(t) == 1);
	rec_reset(&t->rec);
}

static void test_paged_gzip_list_then_watch_events(void **state)
{
	struct ctx *t = *state;
	cJSON *log, *e;
	char rv[16];
	int i = 0;

	start_synced(t);
	assert_int_equal(informer_count(t->inf), 5);
	assert_int_equal(get(t, "c")->value, 3);
	/* Three pages (2+2+1), every request with the token, JSON and gzip
	 * asked for; then one watch from the list's RV. */
	assert_int_equal(count_requests(t, "limit", "2"), 3);
	assert_int_equal(count_requests(t, "continue", NULL), 2);
	snprintf(rv, sizeof(rv), "%d", server_rv(t));
	assert_int_equal(count_requests(t, "watch", "true"), 1);
	assert_int_equal(count_requests(t, "resourceVersion", rv), 1);
	assert_int_equal(count_requests(t, "allowWatchBookmarks", "true"), 1);
	log = ctl(t, "log", NULL);
	cJSON_ArrayForEach(e, log)
	{
		assert_true(cJSON_IsTrue(cJSON_GetObjectItem(e, "auth_ok")));
		assert_string_equal(cJSON_GetStringValue(cJSON_GetObjectItem(e, "accept")),
				    "application/json");
		assert_str_contains(cJSON_GetStringValue(cJSON_GetObjectItem(e, "accept_encoding")),
				    "gzip");
		if (i++ < 3)
			assert_true(cJSON_IsTrue(cJSON_GetObjectItem(e, "gzipped")));
	}
	cJSON_Delete(log);

	/* Events: every event reaches the client split over two chunks. */
	put(t, "f", 6);
	put(t, "a", 10);
	ctl_do(t, "delete", "{'name':'b'}");
	run_until(t, t->rec.n == 3);
	assert_int_equal(get(t, "f")->value, 6);
	assert_int_equal(get(t, "a")->value, 10);
	assert_null(get(t, "b"));
	assert_true(rec_has(&t->rec, "remove default/b 102"));
	assert_int_equal(st(t).events_applied, 3);
	assert_int_equal(st(t).events_rejected, 0);
}

static void test_byte_chunks_and_batched_events(void **state)
{
	struct ctx *t = *state;

	start_synced(t);
	ctl_do(t, "chunking", "{'mode':'bytes'}");
	put(t, "x", 1);
	put(t, "y", 2);
	run_until(t, get(t, "x") && get(t, "y"));
	ctl_do(t, "chunking", "{'mode':'batch'}");
	put(t, "x", 3);
	put(t, "z", 4);
	ctl_do(t, "delete", "{'name':'y'}");
	run_until(t, get(t, "z") && !get(t, "y"));
	assert_int_equal(get(t, "x")->value, 3);
	assert_int_equal(st(t).events_applied, 5);
	assert_int_equal(st(t).watches, 1);
}

static void test_dropped_watch_resumes_from_last_rv_without_relist(void **state)
{
	struct ctx *t = *state;
	char rv[16];

	start_synced(t);
	put(t, "a", 7);
	run_until(t, get(t, "a")->value == 7);
	snprintf(rv, sizeof(rv), "%d", server_rv(t));
	/* Half an event, then the socket dies without the last chunk. */
	ctl_do(t, "watches", "{'do':'drop'}");
	run_until(t, count_requests(t, "resourceVersion", rv) == 1 && watchers(t) == 1);
	assert_null(get(t, "ghost"));
	assert_int_equal(st(t).watch_restarts[INFORMER_CAUSE_CONNECTION], 1);
	assert_int_equal(st(t).lists, 1);
	assert_int_equal(st(t).relists, 0);
	assert_int_equal(count_requests(t, "limit", NULL), 3);
	put(t, "b", 8);
	run_until(t, get(t, "b")->value == 8);
}

static void test_clean_end_rewatches_from_bookmark(void **state)
{
	struct ctx *t = *state;
	char rv[16];

	start_synced(t);
	put(t, "a", 7);
	run_until(t, get(t, "a")->value == 7);
	/* Changes the client is not told about move the RV on; the
	 * bookmark at the end carries it. */
	ctl_do(t, "put", "{'name':'q','value':1,'silent':true}");
	snprintf(rv, sizeof(rv), "%d", server_rv(t));
	ctl_do(t, "watches", "{'do':'end'}");
	run_until(t, count_requests(t, "resourceVersion", rv) == 1);
	assert_int_equal(st(t).watch_restarts[INFORMER_CAUSE_TIMEOUT], 1);
	assert_int_equal(st(t).bookmarks, 1);
	assert_int_equal(st(t).lists, 1);
}

static void test_410_relists_and_synthesizes_what_was_missed(void **state)
{
	struct ctx *t = *state;
	const void *e_before;

	start_synced(t);
	e_before = get(t, "e");
	/* Changes whose events are lost with the compacted history. */
	ctl_do(t, "delete", "{'name':'b','silent':true}");
	ctl_do(t, "put", "{'name':'a','value':11,'silent':true}");
	ctl_do(t, "put", "{'name':'c','value':33,'silent':true,'new_uid':true}");
	ctl_do(t, "put", "{'name':'n','value':14,'silent':true}");
	ctl_do(t, "compact", "{}");
	ctl_do(t, "watches", "{'do':'expire'}");
	run_until(t, t->rec.synced == 1 && watchers(t) == 1);
	assert_true(rec_has(&t->rec, "remove default/b 102"));
	assert_int_equal(get(t, "a")->value, 11);
	assert_int_equal(get(t, "c")->value, 33);
	assert_true(rec_has(&t->rec, "remove default/c 103"));
	assert_int_equal(get(t, "n")->value, 14);
	assert_ptr_equal(get(t, "e"), e_before); /* unchanged: untouched */
	assert_int_equal(informer_count(t->inf), 5);
	/* remove b, upsert a, remove+upsert c, upsert n, synced */
	assert_int_equal(t->rec.n, 6);
	assert_int_equal(st(t).relists, 1);
	assert_int_equal(st(t).lists, 2);
	assert_int_equal(st(t).watch_restarts[INFORMER_CAUSE_EXPIRED], 1);
	/* The relist pages carried no resourceVersion. */
	assert_int_equal(count_requests(t, "limit", NULL), 6);
	assert_int_equal(count_requests(t, "resourceVersion", NULL), 2);
}

static void test_garbage_event_is_rejected_and_relisted(void **state)
{
	struct ctx *t = *state;

	start_synced(t);
	ctl_do(t, "inject",
	       "{'line':'{\\'type\\':\\'ADDED\\',\\'object\\':{\\'metadata\\':{\\'name\\':\\'bad\\'},\\'spec\\':{\\'value\\':\\'80\\'}}}'}");
	run_until(t, t->rec.synced == 1 && watchers(t) == 1);
	assert_null(get(t, "bad"));
	assert_int_equal(st(t).events_rejected, 1);
	assert_int_equal(st(t).watch_restarts[INFORMER_CAUSE_MALFORMED], 1);
	assert_int_equal(st(t).relists, 1);
	/* Nothing changed on the server, so the relist changes nothing. */
	assert_int_equal(t->rec.n, 1);
	put(t, "a", 12);
	run_until(t, get(t, "a")->value == 12);
}

static void test_429_with_retry_after_then_recovers(void **state)
{
	struct ctx *t = *state;

	start_synced(t);
	ctl_do(t, "fault", "{'on':'watch','status':429,'retry_after':1,'count':1}");
	ctl_do(t, "watches", "{'do':'end'}");
	run_until(t, st(t).watch_restarts[INFORMER_CAUSE_THROTTLED] == 1 && watchers(t) == 1);
	assert_int_equal(count_requests(t, "watch", NULL), 3);
	put(t, "a", 9);
	run_until(t, get(t, "a")->value == 9);
	assert_int_equal(st(t).relists, 0);
}

static void test_401_rereads_the_token_file(void **state)
{
	struct ctx *t = *state;
	char path[PATH_MAX], tmp[PATH_MAX];

	unit_write_file(t->dir, "token", "tok-1\n", path, sizeof(path));
	client_start(t, path, 0);
	run_until(t, t->rec.synced == 1 && watchers(t) == 1);
	/* The token rotates: the server only takes the new one now. */
	unit_write_file(t->dir, "token.new", "tok-2\n", tmp, sizeof(tmp));
	assert_int_equal(rename(tmp, path), 0);
	ctl_do(t, "token", "{'token':'tok-2'}");
	ctl_do(t, "watches", "{'do':'end'}");
	run_until(t, st(t).watch_restarts[INFORMER_CAUSE_UNAUTHORIZED] >= 1 && watchers(t) == 1);
	put(t, "fresh", 1);
	run_until(t, get(t, "fresh") != NULL);
	assert_int_equal(st(t).relists, 0);
}

static void test_get_json(void **state)
{
	struct ctx *t = *state;
	char err[256] = "";
	cJSON *obj = NULL;
	struct kube_config cfg;
	struct kube_client *bad;

	put(t, "node-a", 5);
	client_start(t, NULL, 0);
	assert_int_equal(kube_get_json(t->c, "/api/v1/namespaces/default/widgets/node-a", &obj, err,
				       sizeof(err)),
			 0);
	assert_string_equal(cJSON_GetStringValue(cJSON_GetObjectItem(
				    cJSON_GetObjectItem(obj, "metadata"), "name")),
			    "node-a");
	cJSON_Delete(obj);
	assert_int_equal(kube_get_json(t->c, "/api/v1/namespaces/default/widgets/nope", &obj, err,
				       sizeof(err)),
			 -ENOENT);
	assert_null(obj);
	assert_str_contains(err, "404 NotFound");
	assert_str_contains(err, "\"nope\" not found");

	kube_config_init(&cfg);
	cfg.server = t->srv.base;
	cfg.token = "wrong";
	bad = kube_client_new(&cfg, err, sizeof(err));
	assert_non_null(bad);
	assert_int_equal(kube_get_json(bad, "/api/v1/namespaces/default/widgets/node-a", &obj, err,
				       sizeof(err)),
			 -EACCES);
	assert_str_contains(err, "401");
	/* The error never carries the token. */
	assert_null(strstr(err, "wrong"));
	kube_client_free(bad);

	srv_stop(&t->srv);
	assert_int_equal(kube_get_json(t->c, "/api/v1/namespaces/default/widgets/node-a", &obj, err,
				       sizeof(err)),
			 -ECONNREFUSED);
}

/* ---- TLS ---- */

static int setup_tls(void **state)
{
	char dir[256], cmd[2048], cert[300], key[300];
	const char *args[] = { "--token", "tok-1", "--cert", cert, "--key", key, NULL };

	unit_mkdtemp(dir, sizeof(dir));
	/* A CA, a server certificate for 127.0.0.1 signed by it, and a
	 * second CA that signed nothing. */
	snprintf(cmd, sizeof(cmd),
		 "(cd %s && "
		 "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes "
		 "-keyout ca.key -out ca.crt -days 1 -subj /CN=test-ca && "
		 "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes "
		 "-keyout other.key -out other.crt -days 1 -subj /CN=other-ca && "
		 "openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes "
		 "-keyout srv.key -out srv.csr -subj /CN=apiserver && "
		 "printf 'subjectAltName=IP:127.0.0.1\\n' > ext && "
		 "openssl x509 -req -in srv.csr -CA ca.crt -CAkey ca.key -CAcreateserial "
		 "-out srv.crt -days 1 -extfile ext) >/dev/null 2>&1",
		 dir);
	if (system(cmd) != 0 ||
	    snprintf(cert, sizeof(cert), "%s/srv.crt", dir) >= (int)sizeof(cert) ||
	    snprintf(key, sizeof(key), "%s/srv.key", dir) >= (int)sizeof(key)) {
		unit_rm_rf(dir);
		skip(); /* no openssl */
	}
	setup_with(state, args, true);
	unit_rm_rf(((struct ctx *)*state)->dir);
	memcpy(((struct ctx *)*state)->dir, dir, sizeof(dir));
	return 0;
}

static void https_config(struct ctx *t, struct kube_config *cfg, char *url, size_t size)
{
	kube_config_init(cfg);
	snprintf(url, size, "https://127.0.0.1:%d", t->srv.port);
	cfg->server = url;
	cfg->token = "tok-1";
}

static int get_with(struct kube_config *cfg, char *err, size_t len)
{
	struct kube_client *c = kube_client_new(cfg, err, len);
	cJSON *obj = NULL;
	int ret;

	assert_non_null(c);
	ret = kube_get_json(c, "/api/v1/namespaces/default/widgets/w", &obj, err, len);
	cJSON_Delete(obj);
	kube_client_free(c);
	return ret;
}

static void test_tls_verifies_with_inline_or_file_ca(void **state)
{
	struct ctx *t = *state;
	struct kube_config cfg;
	char url[64], err[512] = "", path[PATH_MAX], *pem = NULL;
	size_t len;
	FILE *f;

	put(t, "w", 1);
	https_config(t, &cfg, url, sizeof(url));
	/* The CA as certificate-authority-data would give it: bytes. */
	snprintf(path, sizeof(path), "%s/ca.crt", t->dir);
	f = fopen(path, "r");
	assert_non_null(f);
	assert_int_equal(file_read_stream(f, &pem, 1 << 20, &len), 0);
	fclose(f);
	cfg.ca_data.data = (unsigned char *)pem;
	cfg.ca_data.len = len;
	if (get_with(&cfg, err, sizeof(err)))
		fail_msg("inline CA: %s", err);
	cfg.ca_data.data = NULL;
	free(pem);

	cfg.ca_file = path;
	assert_int_equal(get_with(&cfg, err, sizeof(err)), 0);

	/* Verification is on by default: the wrong CA, or none (the system
	 * roots), fails. */
	snprintf(path, sizeof(path), "%s/other.crt", t->dir);
	assert_int_equal(get_with(&cfg, err, sizeof(err)), -EIO);
	assert_str_contains(err, "GET /api/v1/namespaces/default/widgets/w");
	cfg.ca_file = NULL;
	assert_int_not_equal(get_with(&cfg, err, sizeof(err)), 0);
	/* Unless the config says not to verify. */
	cfg.insecure_skip_tls_verify = true;
	assert_int_equal(get_with(&cfg, err, sizeof(err)), 0);
}

static void test_tls_informer(void **state)
{
	struct ctx *t = *state;
	struct kube_config cfg;
	struct informer_spec spec = {
		.kind = K8S_SERVICE,
		.resource = "widgets",
		.path = "/api/v1/widgets",
		.decode = tobj_decode,
		.free_obj = tobj_free,
	};
	struct informer_handler h = rec_handler(&t->rec);
	char url[64], err[256], ca[PATH_MAX];

	put(t, "w", 1);
	https_config(t, &cfg, url, sizeof(url));
	snprintf(ca, sizeof(ca), "%s/ca.crt", t->dir);
	cfg.ca_file = ca;
	t->c = kube_client_new(&cfg, err, sizeof(err));
	assert_non_null(t->c);
	t->inf = kube_informer_add(t->c, &spec, &h, err, sizeof(err));
	run_until(t, t->rec.synced == 1 && watchers(t) == 1);
	put(t, "v", 2);
	run_until(t, get(t, "v") != NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_paged_gzip_list_then_watch_events, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_byte_chunks_and_batched_events, setup,
						teardown),
		cmocka_unit_test_setup_teardown(
			test_dropped_watch_resumes_from_last_rv_without_relist, setup, teardown),
		cmocka_unit_test_setup_teardown(test_clean_end_rewatches_from_bookmark, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_410_relists_and_synthesizes_what_was_missed,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_garbage_event_is_rejected_and_relisted, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_429_with_retry_after_then_recovers, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_401_rereads_the_token_file, setup, teardown),
		cmocka_unit_test_setup_teardown(test_get_json, setup, teardown),
		cmocka_unit_test_setup_teardown(test_tls_verifies_with_inline_or_file_ca, setup_tls,
						teardown),
		cmocka_unit_test_setup_teardown(test_tls_informer, setup_tls, teardown),
	};

	/* Faults are the point here; their warnings would only clutter the TAP. */
	log_set_level(LOG_LEVEL_ERROR);
	return cmocka_run_group_tests_name("kube_client", tests, NULL, NULL);
}
