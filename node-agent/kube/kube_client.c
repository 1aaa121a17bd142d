/* The client's event loop: a curl multi handle carrying every informer's
 * LIST and WATCH, the timers between them, and the bearer token's
 * re-reads. */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <curl/curl.h>

#include "kube_client.h"
#include "kube_http.h"
#include "kube_status.h"
#include "log.h"

struct kube_xfer {
	struct kube_xfer *next;
	struct kube_client *c;
	struct informer *inf;
	enum informer_req_type type;
	CURL *easy;
	struct curl_slist *headers;
	struct kube_buf body; /* LIST body, or a watch's error body */
	long retry_after_s;
	bool streaming; /* a watch answered 200: bytes go to the informer */
	bool dropped; /* the informer asked to end it */
	bool too_big;
	char errbuf[CURL_ERROR_SIZE];
};

struct kube_client {
	struct kube_config cfg;
	CURLM *multi;
	struct informer **infs;
	size_t n_infs;
	struct kube_xfer *xfers;
	char *token; /* cfg.token refreshed from cfg.token_file */
	uint64_t token_read_ms;
};

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* The token file again; on failure the old token stays (it may still be
 * valid for a while) and the failure is logged, never the token. */
static void token_reread(struct kube_client *c, uint64_t now)
{
	char err[256], q[300], *token = NULL;

	if (!c->cfg.token_file)
		return;
	c->token_read_ms = now;
	if (kube_token_read(c->cfg.token_file, &token, err, sizeof(err))) {
		log_warn("token_reread_failed", "err=%s", log_quote(err, q, sizeof(q)));
		return;
	}
	if (c->token && !strcmp(c->token, token)) {
		kube_free_secret(token);
		return;
	}
	kube_free_secret(c->token);
	c->token = token;
	log_info("token_reloaded", "file=%s", log_quote(c->cfg.token_file, q, sizeof(q)));
}

static void token_maybe_reread(struct kube_client *c, uint64_t now)
{
	if (c->cfg.token_file && now - c->token_read_ms >= c->cfg.token_reread_ms)
		token_reread(c, now);
}

struct kube_client *kube_client_new(const struct kube_config *cfg, char *err, size_t len)
{
	struct kube_client *c;

	if (!cfg->server) {
		snprintf(err, len, "no API server in the configuration");
		return NULL;
	}
	if (curl_global_init(CURL_GLOBAL_DEFAULT)) {
		snprintf(err, len, "libcurl cannot initialise");
		return NULL;
	}
	c = calloc(1, sizeof(*c));
	if (!c || kube_config_dup(&c->cfg, cfg)) {
		free(c);
		curl_global_cleanup();
		snprintf(err, len, "out of memory");
		return NULL;
	}
	c->token_read_ms = now_ms();
	c->multi = curl_multi_init();
	if (!c->multi || (c->cfg.token && !(c->token = strdup(c->cfg.token)))) {
		kube_client_free(c); /* also curl_global_cleanup */
		snprintf(err, len, "out of memory");
		return NULL;
	}
	return c;
}

static void xfer_free(struct kube_xfer *x)
{
	if (x->easy) {
		curl_multi_remove_handle(x->c->multi, x->easy);
		curl_easy_cleanup(x->easy);
	}
	kube_http_free_headers(x->headers);
	kube_buf_free(&x->body);
	free(x);
}

void kube_client_free(struct kube_client *c)
{
	if (!c)
		return;
	while (c->xfers) {
		struct kube_xfer *x = c->xfers;

		c->xfers = x->next;
		xfer_free(x);
	}
	for (size_t i = 0; i < c->n_infs; i++)
		informer_free(c->infs[i]);
	free(c->infs);
	if (c->multi)
		curl_multi_cleanup(c->multi);
	kube_free_secret(c->token);
	kube_config_free(&c->cfg);
	free(c);
	curl_global_cleanup();
}

struct informer *kube_informer_add(struct kube_client *c, const struct informer_spec *spec,
				   const struct informer_handler *handler, char *err, size_t len)
{
	struct informer **grown, *inf;

	grown = realloc(c->infs, (c->n_infs + 1) * sizeof(*grown));
	if (!grown) {
		snprintf(err, len, "out of memory");
		return NULL;
	}
	c->infs = grown;
	inf = informer_new(spec, handler, err, len);
	if (inf)
		c->infs[c->n_infs++] = inf;
	return inf;
}

/* ---- Transfers ---- */

static size_t xfer_write(char *data, size_t size, size_t n, void *userdata)
{
	struct kube_xfer *x = userdata;
	size_t len = size * n;
	long status = 0;
	int ret;

	if (x->type == INFORMER_REQ_WATCH && !x->streaming) {
		curl_easy_getinfo(x->easy, CURLINFO_RESPONSE_CODE, &status);
		x->streaming = status == 200;
	}
	if (x->streaming) {
		if (informer_watch_data(x->inf, data, len, now_ms())) {
			x->dropped = true;
			return 0; /* aborts the transfer */
		}
		return len;
	}
	ret = kube_buf_append(&x->body, data, len);
	if (ret) {
		x->too_big = ret == -EFBIG;
		return 0;
	}
	return len;
}

static int xfer_start(struct kube_client *c, struct informer *inf,
		      const struct informer_request *req)
{
	struct kube_xfer *x = calloc(1, sizeof(*x));
	long timeout_ms = c->cfg.request_timeout_ms;
	char err[256], q[300];
	int ret = -ENOMEM;

	if (!x)
		return -ENOMEM;
	x->c = c;
	x->inf = inf;
	x->type = req->type;
	x->body.max = req->type == INFORMER_REQ_LIST ? KUBE_BODY_MAX : KUBE_ERROR_BODY_MAX;
	if (req->type == INFORMER_REQ_WATCH)
		timeout_ms = (long)req->timeout_s * 1000 + KUBE_WATCH_GRACE_MS;
	x->easy = curl_easy_init();
	if (!x->easy)
		goto fail;
	ret = kube_http_setup(x->easy, &c->cfg, c->token, req->url, timeout_ms, &x->headers, err,
			      sizeof(err));
	if (ret) {
		log_error("request_setup_failed", "resource=%s err=%s", informer_resource(inf),
			  log_quote(err, q, sizeof(q)));
		goto fail;
	}
	if (curl_easy_setopt(x->easy, CURLOPT_WRITEFUNCTION, xfer_write) ||
	    curl_easy_setopt(x->easy, CURLOPT_WRITEDATA, x) ||
	    curl_easy_setopt(x->easy, CURLOPT_HEADERFUNCTION, kube_http_header_cb) ||
	    curl_easy_setopt(x->easy, CURLOPT_HEADERDATA, &x->retry_after_s) ||
	    curl_easy_setopt(x->easy, CURLOPT_ERRORBUFFER, x->errbuf) ||
	    curl_easy_setopt(x->easy, CURLOPT_PRIVATE, x)) {
		ret = -EINVAL;
		goto fail;
	}
	if (curl_multi_add_handle(c->multi, x->easy)) {
		ret = -ENOMEM;
		goto fail;
	}
	x->next = c->xfers;
	c->xfers = x;
	log_debug("request", "resource=%s type=%s url=%s", informer_resource(inf),
		  req->type == INFORMER_REQ_LIST ? "list" : "watch",
		  log_quote(req->url, q, sizeof(q)));
	return 0;
fail:
	if (x->easy)
		curl_easy_cleanup(x->easy);
	x->easy = NULL;
	xfer_free(x);
	return ret;
}

/* Tells the informer a request could not even start, so it backs off
 * instead of waiting for an answer that will never come. */
static void report_start_failure(struct informer *inf, enum informer_req_type type)
{
	const struct informer_response r = { .error = "request could not be started" };
	uint64_t now = now_ms();

	if (type == INFORMER_REQ_LIST)
		informer_list_done(inf, &r, now);
	else
		informer_watch_done(inf, &r, now);
}

static void start_due(struct kube_client *c)
{
	uint64_t now = now_ms();

	for (size_t i = 0; i < c->n_infs; i++) {
		struct informer_request req;
		int ret = informer_start(c->infs[i], now, &req);

		if (ret <= 0)
			continue;
		if (xfer_start(c, c->infs[i], &req))
			report_start_failure(c->infs[i], req.type);
		free(req.url);
	}
}

static void unlink_xfer(struct kube_client *c, struct kube_xfer *x)
{
	for (struct kube_xfer **p = &c->xfers; *p; p = &(*p)->next) {
		if (*p == x) {
			*p = x->next;
			return;
		}
	}
}

static void xfer_finish(struct kube_client *c, struct kube_xfer *x, CURLcode result)
{
	struct informer_response r = { 0 };
	uint64_t now = now_ms();

	curl_easy_getinfo(x->easy, CURLINFO_RESPONSE_CODE, &r.status);
	r.retry_after_s = x->retry_after_s;
	r.body = x->body.data;
	r.len = x->body.len;
	if (x->dropped)
		r.error = "dropped by the informer";
	else if (x->too_big)
		r.error = "response body over the size cap";
	else if (result != CURLE_OK)
		r.error = x->errbuf[0] ? x->errbuf : curl_easy_strerror(result);
	if (r.status == 401)
		token_reread(c, now);
	if (x->type == INFORMER_REQ_LIST)
		informer_list_done(x->inf, &r, now);
	else
		informer_watch_done(x->inf, &r, now);
}

static void collect_done(struct kube_client *c)
{
	struct CURLMsg *msg;
	int left;

	while ((msg = curl_multi_info_read(c->multi, &left))) {
		struct kube_xfer *x;
		char *priv = NULL;

		if (msg->msg != CURLMSG_DONE)
			continue;
		curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, &priv);
		x = (struct kube_xfer *)priv;
		if (!x)
			continue;
		xfer_finish(c, x, msg->data.result);
		unlink_xfer(c, x);
		xfer_free(x);
	}
}

int kube_client_next_timeout_ms(struct kube_client *c)
{
	uint64_t now = now_ms(), due = UINT64_MAX;
	long curl_ms = -1;

	for (size_t i = 0; i < c->n_infs; i++) {
		uint64_t d = informer_due_ms(c->infs[i]);

		if (d < due)
			due = d;
	}
	if (c->cfg.token_file) {
		uint64_t t = c->token_read_ms + c->cfg.token_reread_ms;

		if (t < due)
			due = t;
	}
	curl_multi_timeout(c->multi, &curl_ms);
	if (due != UINT64_MAX) {
		uint64_t ms = due > now ? due - now : 0;

		if (ms > INT32_MAX)
			ms = INT32_MAX;
		if (curl_ms < 0 || (long)ms < curl_ms)
			curl_ms = (long)ms;
	}
	return curl_ms > INT32_MAX ? INT32_MAX : (int)curl_ms;
}

int kube_client_poll(struct kube_client *c, int timeout_ms)
{
	int next, running = 0;
	CURLMcode mc;

	token_maybe_reread(c, now_ms());
	start_due(c);
	next = kube_client_next_timeout_ms(c);
	if (next >= 0 && (timeout_ms < 0 || next < timeout_ms))
		timeout_ms = next;
	/* curl_multi_poll wants a finite wait; -1 means "until woken". */
	if (timeout_ms < 0)
		timeout_ms = INT32_MAX;
	mc = curl_multi_poll(c->multi, NULL, 0, timeout_ms, NULL);
	if (!mc)
		mc = curl_multi_perform(c->multi, &running);
	if (mc) {
		char q[128];

		log_error("curl_multi_failed", "err=%s",
			  log_quote(curl_multi_strerror(mc), q, sizeof(q)));
		return mc == CURLM_OUT_OF_MEMORY ? -ENOMEM : -EIO;
	}
	collect_done(c);
	/* Re-watches that are due at once start now, not a poll later. */
	start_due(c);
	return 0;
}

void kube_client_wakeup(struct kube_client *c)
{
	curl_multi_wakeup(c->multi);
}

/* ---- One-off GET ---- */

static size_t buf_write(char *data, size_t size, size_t n, void *userdata)
{
	return kube_buf_append(userdata, data, size * n) ? 0 : size * n;
}

static int curl_errno(CURLcode rc)
{
	switch (rc) {
	case CURLE_OPERATION_TIMEDOUT:
		return -ETIMEDOUT;
	case CURLE_COULDNT_CONNECT:
		return -ECONNREFUSED;
	case CURLE_WRITE_ERROR:
		return -EFBIG; /* the only reason buf_write refuses */
	default:
		return -EIO;
	}
}

/* One GET: the status and body, or a negative errno for no response. */
static int get_once(struct kube_client *c, const char *path, struct kube_buf *body, long *status,
		    char *err, size_t len)
{
	struct curl_slist *headers = NULL;
	char errbuf[CURL_ERROR_SIZE] = "";
	CURL *easy = curl_easy_init();
	CURLcode rc;
	int ret;

	if (!easy) {
		snprintf(err, len, "out of memory");
		return -ENOMEM;
	}
	ret = kube_http_setup(easy, &c->cfg, c->token, path, (long)c->cfg.request_timeout_ms,
			      &headers, err, len);
	if (ret)
		goto out;
	rc = curl_easy_setopt(easy, CURLOPT_ERRORBUFFER, errbuf);
	if (!rc)
		rc = curl_easy_setopt(easy, CURLOPT_WRITEFUNCTION, buf_write);
	if (!rc)
		rc = curl_easy_setopt(easy, CURLOPT_WRITEDATA, body);
	if (!rc)
		rc = curl_easy_perform(easy);
	if (rc) {
		snprintf(err, len, "GET %s: %s", path, errbuf[0] ? errbuf : curl_easy_strerror(rc));
		ret = curl_errno(rc);
		goto out;
	}
	curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, status);
out:
	kube_http_free_headers(headers);
	curl_easy_cleanup(easy);
	return ret;
}

static int status_errno(long status)
{
	if (status == 404)
		return -ENOENT;
	if (status == 401 || status == 403)
		return -EACCES;
	return -EIO;
}

int kube_get_json(struct kube_client *c, const char *path, cJSON **out, char *err, size_t len)
{
	struct kube_buf body = { .max = KUBE_BODY_MAX };
	struct kube_status st;
	long status = 0;
	int ret;

	*out = NULL;
	ret = get_once(c, path, &body, &status, err, len);
	if (!ret && status == 401 && c->cfg.token_file) {
		token_reread(c, now_ms());
		body.len = 0;
		ret = get_once(c, path, &body, &status, err, len);
	}
	if (ret)
		goto out;
	if (status != 200) {
		kube_status_parse(body.data ? body.data : "", body.len, &st);
		snprintf(err, len, "GET %s: HTTP %ld%s%s%s%s", path, status,
			 st.reason[0] ? " " : "", st.reason, st.message[0] ? ": " : "", st.message);
		ret = status_errno(status);
		goto out;
	}
	*out = cJSON_ParseWithLength(body.data ? body.data : "", body.len);
	if (!*out) {
		snprintf(err, len, "GET %s: the response is not JSON", path);
		ret = -EBADMSG;
	}
out:
	kube_buf_free(&body);
	return ret;
}
