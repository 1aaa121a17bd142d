/* Reads a kubeconfig (YAML, via libyaml's document loader): the context's
 * cluster (server, CA, TLS verification) and user (token, token file,
 * client certificate and key). */
#include <errno.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <yaml.h>

#include "base64.h"
#include "kube_config.h"

struct kc {
	yaml_document_t doc;
	yaml_node_t *root;
	const char *path;
	char *dir; /* relative file names are taken from here */
	char *err;
	size_t len;
};

static yaml_node_t *node(struct kc *k, int index)
{
	return yaml_document_get_node(&k->doc, index);
}

/* The value of key in a mapping node; NULL when absent or not a mapping. */
static yaml_node_t *map_get(struct kc *k, yaml_node_t *map, const char *key)
{
	yaml_node_pair_t *p;

	if (!map || map->type != YAML_MAPPING_NODE)
		return NULL;
	for (p = map->data.mapping.pairs.start; p < map->data.mapping.pairs.top; p++) {
		yaml_node_t *kn = node(k, p->key);

		if (kn && kn->type == YAML_SCALAR_NODE && kn->data.scalar.length == strlen(key) &&
		    !memcmp(kn->data.scalar.value, key, kn->data.scalar.length))
			return node(k, p->value);
	}
	return NULL;
}

/* A scalar's text; NULL for other nodes and for YAML null ("~", "null",
 * empty), which kubeconfigs use for "not set". */
static const char *scalar(yaml_node_t *n)
{
	const char *s;

	if (!n || n->type != YAML_SCALAR_NODE)
		return NULL;
	s = (const char *)n->data.scalar.value;
	if (n->data.scalar.style == YAML_PLAIN_SCALAR_STYLE &&
	    (!*s || !strcmp(s, "~") || !strcmp(s, "null")))
		return NULL;
	return s;
}

/* *out = the string under key, or NULL when absent; an error when the key
 * holds a list or a mapping. */
static int get_str(struct kc *k, yaml_node_t *map, const char *key, const char *where,
		   const char **out)
{
	yaml_node_t *n = map_get(k, map, key);

	*out = NULL;
	if (!n)
		return 0;
	if (n->type != YAML_SCALAR_NODE) {
		snprintf(k->err, k->len, "kubeconfig %s: %s: %s is not a string", k->path, where,
			 key);
		return -EINVAL;
	}
	*out = scalar(n);
	return 0;
}

static int dup_str(struct kc *k, const char *s, char **out)
{
	*out = strdup(s);
	if (*out)
		return 0;
	snprintf(k->err, k->len, "out of memory");
	return -ENOMEM;
}

/* The entry of list (clusters, users, contexts) whose name is name: the
 * mapping under its inner key (cluster, user, context). */
static int find_named(struct kc *k, const char *list, const char *name, const char *inner,
		      yaml_node_t **out)
{
	yaml_node_t *seq = map_get(k, k->root, list);
	yaml_node_item_t *it, *end;

	if (seq && seq->type == YAML_SEQUENCE_NODE) {
		it = seq->data.sequence.items.start;
		end = seq->data.sequence.items.top;
	} else if (!seq || (seq->type == YAML_SCALAR_NODE && !scalar(seq))) {
		it = end = NULL; /* absent or null: an empty list */
	} else {
		snprintf(k->err, k->len, "kubeconfig %s: %s is not a list", k->path, list);
		return -EINVAL;
	}
	for (; it < end; it++) {
		yaml_node_t *entry = node(k, *it);
		const char *n = scalar(map_get(k, entry, "name"));

		if (!n || strcmp(n, name))
			continue;
		*out = map_get(k, entry, inner);
		if (!*out || (*out)->type != YAML_MAPPING_NODE) {
			snprintf(k->err, k->len, "kubeconfig %s: %s entry %s has no %s mapping",
				 k->path, list, name, inner);
			return -EINVAL;
		}
		return 0;
	}
	snprintf(k->err, k->len, "kubeconfig %s: %s %s not found", k->path, inner, name);
	return -ENOENT;
}

/* A file the kubeconfig names, relative to its directory, and readable
 * now: a wrong path is reported at start, not as a TLS failure later. */
static int get_file(struct kc *k, yaml_node_t *map, const char *key, const char *where, char **out)
{
	const char *s;
	int ret = get_str(k, map, key, where, &s);

	if (ret || !s)
		return ret;
	if (s[0] == '/')
		*out = strdup(s);
	else if (asprintf(out, "%s/%s", k->dir, s) < 0)
		*out = NULL;
	if (!*out) {
		snprintf(k->err, k->len, "out of memory");
		return -ENOMEM;
	}
	if (access(*out, R_OK)) {
		ret = -errno;
		snprintf(k->err, k->len, "kubeconfig %s: %s: %s %s: %s", k->path, where, key, *out,
			 strerror(errno));
		return ret;
	}
	return 0;
}

static int get_blob(struct kc *k, yaml_node_t *map, const char *key, const char *where,
		    struct kube_blob *out)
{
	const char *s;
	int ret = get_str(k, map, key, where, &s);

	if (ret || !s)
		return ret;
	ret = base64_decode(s, &out->data, &out->len);
	if (ret == -EINVAL)
		snprintf(k->err, k->len, "kubeconfig %s: %s: %s is not valid base64", k->path,
			 where, key);
	else if (ret)
		snprintf(k->err, k->len, "out of memory");
	return ret;
}

static int get_bool(struct kc *k, yaml_node_t *map, const char *key, const char *where, bool *out)
{
	const char *s;
	int ret = get_str(k, map, key, where, &s);

	if (ret || !s)
		return ret;
	if (!strcasecmp(s, "true")) {
		*out = true;
	} else if (!strcasecmp(s, "false")) {
		*out = false;
	} else {
		snprintf(k->err, k->len, "kubeconfig %s: %s: %s is \"%s\", not true or false",
			 k->path, where, key, s);
		return -EINVAL;
	}
	return 0;
}

static int read_cluster(struct kc *k, yaml_node_t *cl, const char *where, struct kube_config *c)
{
	const char *server;
	size_t n;
	int ret;

	ret = get_str(k, cl, "server", where, &server);
	if (ret)
		return ret;
	if (!server || !*server) {
		snprintf(k->err, k->len, "kubeconfig %s: %s has no server", k->path, where);
		return -EINVAL;
	}
	ret = dup_str(k, server, &c->server);
	if (ret)
		return ret;
	for (n = strlen(c->server); n && c->server[n - 1] == '/'; n--)
		c->server[n - 1] = '\0';
	ret = get_blob(k, cl, "certificate-authority-data", where, &c->ca_data);
	if (!ret && !c->ca_data.data)
		ret = get_file(k, cl, "certificate-authority", where, &c->ca_file);
	if (!ret)
		ret = get_bool(k, cl, "insecure-skip-tls-verify", where,
			       &c->insecure_skip_tls_verify);
	if (ret)
		return ret;
	/* As kubectl: a CA and "do not verify" contradict each other. */
	if (c->insecure_skip_tls_verify && (c->ca_file || c->ca_data.data)) {
		snprintf(
			k->err, k->len,
			"kubeconfig %s: %s sets both a certificate authority and insecure-skip-tls-verify",
			k->path, where);
		return -EINVAL;
	}
	return 0;
}

static int read_user(struct kc *k, yaml_node_t *u, const char *where, struct kube_config *c)
{
	const char *token;
	int ret;

	ret = get_str(k, u, "token", where, &token);
	if (!ret && token)
		ret = dup_str(k, token, &c->token);
	if (!ret && !c->token) {
		ret = get_file(k, u, "tokenFile", where, &c->token_file);
		if (!ret && c->token_file)
			ret = kube_token_read(c->token_file, &c->token, k->err, k->len);
	}
	if (!ret)
		ret = get_blob(k, u, "client-certificate-data", where, &c->cert_data);
	if (!ret && !c->cert_data.data)
		ret = get_file(k, u, "client-certificate", where, &c->cert_file);
	if (!ret)
		ret = get_blob(k, u, "client-key-data", where, &c->key_data);
	if (!ret && !c->key_data.data)
		ret = get_file(k, u, "client-key", where, &c->key_file);
	if (ret)
		return ret;
	if (!(c->cert_file || c->cert_data.data) != !(c->key_file || c->key_data.data)) {
		snprintf(k->err, k->len,
			 "kubeconfig %s: %s has a client certificate or key without the other",
			 k->path, where);
		return -EINVAL;
	}
	if (!c->token && !c->cert_file && !c->cert_data.data &&
	    (map_get(k, u, "exec") || map_get(k, u, "auth-provider"))) {
		snprintf(
			k->err, k->len,
			"kubeconfig %s: %s uses exec or auth-provider credentials, which xcni does not support; give it a token, tokenFile or client certificate",
			k->path, where);
		return -ENOTSUP;
	}
	return 0;
}

static int load_yaml(struct kc *k)
{
	yaml_parser_t parser;
	FILE *f = fopen(k->path, "re");
	int ret = 0;

	if (!f) {
		ret = -errno;
		snprintf(k->err, k->len, "cannot open kubeconfig %s: %s", k->path, strerror(errno));
		return ret;
	}
	if (!yaml_parser_initialize(&parser)) {
		fclose(f);
		snprintf(k->err, k->len, "out of memory");
		return -ENOMEM;
	}
	yaml_parser_set_input_file(&parser, f);
	if (!yaml_parser_load(&parser, &k->doc)) {
		snprintf(k->err, k->len,
			 "kubeconfig %s is not valid YAML: line %zu column %zu: %s%s%s", k->path,
			 parser.problem_mark.line + 1, parser.problem_mark.column + 1,
			 parser.problem ? parser.problem : "parse error", parser.context ? " " : "",
			 parser.context ? parser.context : "");
		ret = -EINVAL;
	}
	yaml_parser_delete(&parser);
	fclose(f);
	if (ret)
		return ret;
	k->root = yaml_document_get_root_node(&k->doc);
	if (!k->root || k->root->type != YAML_MAPPING_NODE) {
		snprintf(k->err, k->len, "kubeconfig %s is %s", k->path,
			 k->root ? "not a YAML mapping" : "empty");
		yaml_document_delete(&k->doc);
		return -EINVAL;
	}
	return 0;
}

static int read_context(struct kc *k, const char *context, struct kube_config *c)
{
	yaml_node_t *ctx, *cl, *u;
	const char *cluster, *user, *ns;
	char where[256];
	int ret;

	if (!context) {
		ret = get_str(k, k->root, "current-context", "top level", &context);
		if (ret)
			return ret;
	}
	if (!context || !*context) {
		snprintf(k->err, k->len,
			 "kubeconfig %s has no current-context: set one or name a context",
			 k->path);
		return -EINVAL;
	}
	ret = find_named(k, "contexts", context, "context", &ctx);
	if (ret)
		return ret;
	snprintf(where, sizeof(where), "context %s", context);
	ret = get_str(k, ctx, "cluster", where, &cluster);
	if (!ret)
		ret = get_str(k, ctx, "user", where, &user);
	if (!ret)
		ret = get_str(k, ctx, "namespace", where, &ns);
	if (ret)
		return ret;
	if (!cluster) {
		snprintf(k->err, k->len, "kubeconfig %s: context %s names no cluster", k->path,
			 context);
		return -EINVAL;
	}
	ret = dup_str(k, ns && *ns ? ns : "default", &c->ns);
	if (!ret)
		ret = find_named(k, "clusters", cluster, "cluster", &cl);
	if (ret)
		return ret;
	snprintf(where, sizeof(where), "cluster %s", cluster);
	ret = read_cluster(k, cl, where, c);
	if (ret || !user)
		return ret;
	ret = find_named(k, "users", user, "user", &u);
	if (ret)
		return ret;
	snprintf(where, sizeof(where), "user %s", user);
	return read_user(k, u, where, c);
}

int kube_config_from_kubeconfig(struct kube_config *c, const char *path, const char *context,
				char *err, size_t len)
{
	struct kc k = { .path = path, .err = err, .len = len };
	char *copy = strdup(path);
	int ret;

	kube_config_init(c);
	if (!copy) {
		snprintf(err, len, "out of memory");
		return -ENOMEM;
	}
	k.dir = dirname(copy);
	ret = load_yaml(&k);
	if (ret)
		goto out;
	ret = read_context(&k, context, c);
	yaml_document_delete(&k.doc);
	if (ret)
		kube_config_free(c);
out:
	free(copy);
	return ret;
}
