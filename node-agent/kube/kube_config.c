/* In-cluster configuration, token files, and the choice between in-cluster
 * and kubeconfig (kubeconfig.c reads the YAML). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "file.h"
#include "kube_config.h"

void kube_free_secret(char *s)
{
	if (!s)
		return;
	explicit_bzero(s, strlen(s));
	free(s);
}

static void free_blob(struct kube_blob *b, bool secret)
{
	if (b->data && secret)
		explicit_bzero(b->data, b->len);
	free(b->data);
	b->data = NULL;
	b->len = 0;
}

void kube_config_free(struct kube_config *c)
{
	free(c->server);
	kube_free_secret(c->token);
	free(c->token_file);
	free(c->ca_file);
	free_blob(&c->ca_data, false);
	free(c->cert_file);
	free_blob(&c->cert_data, false);
	free(c->key_file);
	free_blob(&c->key_data, true);
	free(c->ns);
	memset(c, 0, sizeof(*c));
}

static int dup_str(const char *s, char **out)
{
	*out = s ? strdup(s) : NULL;
	return s && !*out ? -ENOMEM : 0;
}

static int dup_blob(const struct kube_blob *b, struct kube_blob *out)
{
	out->len = 0;
	out->data = NULL;
	if (!b->data)
		return 0;
	out->data = malloc(b->len + 1);
	if (!out->data)
		return -ENOMEM;
	memcpy(out->data, b->data, b->len);
	out->data[b->len] = '\0';
	out->len = b->len;
	return 0;
}

int kube_config_dup(struct kube_config *dst, const struct kube_config *src)
{
	*dst = *src;
	dst->server = dst->token = dst->token_file = dst->ca_file = NULL;
	dst->cert_file = dst->key_file = dst->ns = NULL;
	dst->ca_data.data = dst->cert_data.data = dst->key_data.data = NULL;
	if (dup_str(src->server, &dst->server) || dup_str(src->token, &dst->token) ||
	    dup_str(src->token_file, &dst->token_file) || dup_str(src->ca_file, &dst->ca_file) ||
	    dup_str(src->cert_file, &dst->cert_file) || dup_str(src->key_file, &dst->key_file) ||
	    dup_str(src->ns, &dst->ns) || dup_blob(&src->ca_data, &dst->ca_data) ||
	    dup_blob(&src->cert_data, &dst->cert_data) ||
	    dup_blob(&src->key_data, &dst->key_data)) {
		kube_config_free(dst);
		return -ENOMEM;
	}
	return 0;
}

static bool is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

int kube_token_read(const char *path, char **token, char *err, size_t len)
{
	char *buf = NULL, *start, *end;
	int ret;

	ret = file_read_all(path, &buf, KUBE_CREDENTIAL_MAX);
	if (ret) {
		snprintf(err, len, "cannot read token file %s: %s", path, strerror(-ret));
		return ret;
	}
	for (start = buf; is_space(*start); start++)
		;
	for (end = start + strlen(start); end > start && is_space(end[-1]); end--)
		;
	if (end == start) {
		snprintf(err, len, "token file %s is empty", path);
		kube_free_secret(buf);
		return -ENODATA;
	}
	*end = '\0';
	*token = strdup(start);
	kube_free_secret(buf);
	if (!*token) {
		snprintf(err, len, "out of memory");
		return -ENOMEM;
	}
	return 0;
}

void kube_config_init(struct kube_config *c)
{
	memset(c, 0, sizeof(*c));
	c->request_timeout_ms = KUBE_REQUEST_TIMEOUT_MS_DEFAULT;
	c->connect_timeout_ms = KUBE_CONNECT_TIMEOUT_MS_DEFAULT;
	c->token_reread_ms = KUBE_TOKEN_REREAD_MS_DEFAULT;
}

/* https://host:port, with an IPv6 host in brackets. */
static char *service_url(const char *host, const char *port)
{
	bool v6 = strchr(host, ':') && host[0] != '[';
	char *url;

	if (asprintf(&url, "https://%s%s%s:%s", v6 ? "[" : "", host, v6 ? "]" : "", port) < 0)
		return NULL;
	return url;
}

static char *path_join(const char *dir, const char *name)
{
	char *p;

	if (asprintf(&p, "%s/%s", dir, name) < 0)
		return NULL;
	return p;
}

/* The namespace file is optional: a pod always has one, but a test
 * directory or an old token mount may not. */
static int read_namespace(struct kube_config *c, const char *dir)
{
	char *path = path_join(dir, "namespace"), *ns = NULL, msg[64];
	int ret;

	if (!path)
		return -ENOMEM;
	ret = kube_token_read(path, &ns, msg, sizeof(msg));
	free(path);
	if (ret == -ENOMEM)
		return ret;
	c->ns = ns ? ns : strdup("default");
	return c->ns ? 0 : -ENOMEM;
}

int kube_config_in_cluster(struct kube_config *c, char *err, size_t len)
{
	const char *host = getenv("KUBERNETES_SERVICE_HOST");
	const char *port = getenv("KUBERNETES_SERVICE_PORT");
	const char *dir = getenv(KUBE_SA_DIR_ENV);
	int ret = -ENOMEM;

	kube_config_init(c);
	if (!host || !*host || !port || !*port) {
		snprintf(
			err, len,
			"KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT are not set: not running in a pod; give a kubeconfig");
		return -ENOENT;
	}
	if (!dir || !*dir)
		dir = KUBE_SA_DIR_DEFAULT;
	c->server = service_url(host, port);
	c->token_file = path_join(dir, "token");
	c->ca_file = path_join(dir, "ca.crt");
	if (!c->server || !c->token_file || !c->ca_file)
		goto nomem;
	ret = kube_token_read(c->token_file, &c->token, err, len);
	if (ret)
		goto fail;
	/* Without the cluster's CA no server certificate would verify: say
	 * so now rather than as a TLS error on every request. */
	if (access(c->ca_file, R_OK)) {
		ret = -errno;
		snprintf(err, len, "cannot read the cluster CA %s: %s", c->ca_file,
			 strerror(errno));
		goto fail;
	}
	ret = read_namespace(c, dir);
	if (ret)
		goto nomem;
	return 0;
nomem:
	snprintf(err, len, "out of memory");
fail:
	kube_config_free(c);
	return ret;
}

int kube_config_load(struct kube_config *c, const char *kubeconfig, char *err, size_t len)
{
	const char *env;
	char *first;
	int ret;

	if (kubeconfig && *kubeconfig)
		return kube_config_from_kubeconfig(c, kubeconfig, NULL, err, len);
	env = getenv("KUBERNETES_SERVICE_HOST");
	if (env && *env)
		return kube_config_in_cluster(c, err, len);
	env = getenv("KUBECONFIG");
	if (!env || !*env) {
		snprintf(
			err, len,
			"no API server configured: not in a pod (KUBERNETES_SERVICE_HOST unset) and no kubeconfig given (--kubeconfig or KUBECONFIG)");
		return -ENOENT;
	}
	first = strndup(env, strcspn(env, ":"));
	if (!first) {
		snprintf(err, len, "out of memory");
		return -ENOMEM;
	}
	ret = kube_config_from_kubeconfig(c, first, NULL, err, len);
	free(first);
	return ret;
}
