/* libcurl options for API server requests. Verbose output stays off: it
 * would print the Authorization header. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "kube_http.h"

#define KUBE_KEEPIDLE_S 30L
#define KUBE_KEEPINTVL_S 15L

static struct curl_slist *add_header(struct curl_slist *list, const char *h, bool *fail)
{
	struct curl_slist *n = curl_slist_append(list, h);

	if (!n)
		*fail = true;
	return n ? n : list;
}

static int build_headers(const char *token, struct curl_slist **out)
{
	struct curl_slist *h = NULL;
	bool fail = false;
	char *auth = NULL;

	h = add_header(h, "Accept: application/json", &fail);
	if (token && *token) {
		if (asprintf(&auth, "Authorization: Bearer %s", token) < 0) {
			auth = NULL;
			fail = true;
		} else {
			h = add_header(h, auth, &fail);
			explicit_bzero(auth, strlen(auth));
			free(auth);
		}
	}
	if (fail) {
		kube_http_free_headers(h);
		return -ENOMEM;
	}
	*out = h;
	return 0;
}

void kube_http_free_headers(struct curl_slist *headers)
{
	for (struct curl_slist *h = headers; h; h = h->next)
		explicit_bzero(h->data, strlen(h->data));
	curl_slist_free_all(headers);
}

static CURLcode set_blob(CURL *easy, CURLoption opt, const struct kube_blob *b)
{
	struct curl_blob blob = {
		.data = b->data,
		.len = b->len,
		.flags = CURL_BLOB_COPY,
	};

	return curl_easy_setopt(easy, opt, &blob);
}

/* The TLS options: verification on unless the config says otherwise;
 * inline (-data) material is handed over as blobs, never written out. */
static CURLcode set_tls(CURL *easy, const struct kube_config *cfg, const char **what)
{
	CURLcode rc;

	*what = "TLS verification";
	rc = curl_easy_setopt(easy, CURLOPT_SSL_VERIFYPEER,
			      cfg->insecure_skip_tls_verify ? 0L : 1L);
	if (!rc)
		rc = curl_easy_setopt(easy, CURLOPT_SSL_VERIFYHOST,
				      cfg->insecure_skip_tls_verify ? 0L : 2L);
	if (rc)
		return rc;
	*what = "certificate-authority";
	if (cfg->ca_data.data)
		rc = set_blob(easy, CURLOPT_CAINFO_BLOB, &cfg->ca_data);
	else if (cfg->ca_file)
		rc = curl_easy_setopt(easy, CURLOPT_CAINFO, cfg->ca_file);
	if (rc)
		return rc;
	*what = "client-certificate";
	if (cfg->cert_data.data)
		rc = set_blob(easy, CURLOPT_SSLCERT_BLOB, &cfg->cert_data);
	else if (cfg->cert_file)
		rc = curl_easy_setopt(easy, CURLOPT_SSLCERT, cfg->cert_file);
	if (rc)
		return rc;
	*what = "client-key";
	if (cfg->key_data.data)
		rc = set_blob(easy, CURLOPT_SSLKEY_BLOB, &cfg->key_data);
	else if (cfg->key_file)
		rc = curl_easy_setopt(easy, CURLOPT_SSLKEY, cfg->key_file);
	return rc;
}

int kube_http_setup(CURL *easy, const struct kube_config *cfg, const char *token, const char *path,
		    long timeout_ms, struct curl_slist **headers, char *err, size_t len)
{
	const char *what = "URL";
	char *url = NULL;
	CURLcode rc;
	int ret;

	*headers = NULL;
	if (asprintf(&url, "%s%s", cfg->server, path) < 0) {
		snprintf(err, len, "out of memory");
		return -ENOMEM;
	}
	rc = curl_easy_setopt(easy, CURLOPT_URL, url);
	free(url);
	if (!rc) {
		what = "transport options";
		/* h2 when the server offers it (the API server does): many
		 * watches share one connection. */
		rc = curl_easy_setopt(easy, CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_2TLS);
	}
	if (!rc)
		rc = curl_easy_setopt(easy, CURLOPT_PIPEWAIT, 1L);
	if (!rc)
		rc = curl_easy_setopt(easy, CURLOPT_PROTOCOLS_STR, "http,https");
	if (!rc) /* large lists come gzip'd */
		rc = curl_easy_setopt(easy, CURLOPT_ACCEPT_ENCODING, "");
	if (!rc)
		rc = curl_easy_setopt(easy, CURLOPT_NOSIGNAL, 1L);
	if (!rc) /* idle watches must notice a dead peer */
		rc = curl_easy_setopt(easy, CURLOPT_TCP_KEEPALIVE, 1L);
	if (!rc)
		rc = curl_easy_setopt(easy, CURLOPT_TCP_KEEPIDLE, KUBE_KEEPIDLE_S);
	if (!rc)
		rc = curl_easy_setopt(easy, CURLOPT_TCP_KEEPINTVL, KUBE_KEEPINTVL_S);
	if (!rc)
		rc = curl_easy_setopt(easy, CURLOPT_CONNECTTIMEOUT_MS,
				      (long)cfg->connect_timeout_ms);
	if (!rc)
		rc = curl_easy_setopt(easy, CURLOPT_TIMEOUT_MS, timeout_ms);
	if (!rc)
		rc = curl_easy_setopt(easy, CURLOPT_USERAGENT, KUBE_USER_AGENT);
	if (!rc)
		rc = set_tls(easy, cfg, &what);
	if (rc) {
		snprintf(err, len, "libcurl rejects the %s: %s", what, curl_easy_strerror(rc));
		return -EINVAL;
	}
	ret = build_headers(token, headers);
	if (!ret && curl_easy_setopt(easy, CURLOPT_HTTPHEADER, *headers))
		ret = -EINVAL;
	if (ret) {
		snprintf(err, len, "cannot set request headers");
		kube_http_free_headers(*headers);
		*headers = NULL;
	}
	return ret;
}

long kube_http_retry_after(const char *line, size_t len)
{
	static const char name[] = "retry-after:";
	size_t i = sizeof(name) - 1;
	long v = 0;

	if (len < i || strncasecmp(line, name, i))
		return 0;
	while (i < len && (line[i] == ' ' || line[i] == '\t'))
		i++;
	if (i == len || line[i] < '0' || line[i] > '9')
		return 0;
	for (; i < len && line[i] >= '0' && line[i] <= '9'; i++) {
		if (v > 1000000)
			return 1000000; /* far beyond any cap the caller applies */
		v = v * 10 + (line[i] - '0');
	}
	return v;
}

size_t kube_http_header_cb(char *buf, size_t size, size_t n, void *userdata)
{
	long *retry_after = userdata, v;

	/* A status line starts a new response (after a 100, say): forget
	 * what an earlier one said. */
	if (size * n > 5 && !strncmp(buf, "HTTP/", 5))
		*retry_after = 0;
	v = kube_http_retry_after(buf, size * n);
	if (v)
		*retry_after = v;
	return size * n;
}

int kube_buf_append(struct kube_buf *b, const char *data, size_t len)
{
	size_t cap = b->cap ? b->cap : 16384;
	char *grown;

	if (b->len + len > b->max)
		return -EFBIG;
	if (b->len + len + 1 > b->cap) {
		while (cap < b->len + len + 1)
			cap *= 2;
		grown = realloc(b->data, cap);
		if (!grown)
			return -ENOMEM;
		b->data = grown;
		b->cap = cap;
	}
	memcpy(b->data + b->len, data, len);
	b->len += len;
	b->data[b->len] = '\0';
	return 0;
}

void kube_buf_free(struct kube_buf *b)
{
	free(b->data);
	b->data = NULL;
	b->len = b->cap = 0;
}
