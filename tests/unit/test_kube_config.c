/* Where the client finds its API server: kubeconfig files (token,
 * tokenFile, CA file and -data, client certificates, contexts, and the
 * errors for what is missing or malformed), the in-cluster service
 * account, and base64 for the -data fields. */
#include "unit.h"

#include "base64.h"
#include "kube_config.h"

struct cfg_state {
	char dir[256];
};

static int setup(void **state)
{
	struct cfg_state *s = calloc(1, sizeof(*s));

	assert_non_null(s);
	unit_mkdtemp(s->dir, sizeof(s->dir));
	*state = s;
	return 0;
}

static int teardown(void **state)
{
	struct cfg_state *s = *state;

	unit_rm_rf(s->dir);
	free(s);
	unsetenv("KUBERNETES_SERVICE_HOST");
	unsetenv("KUBERNETES_SERVICE_PORT");
	unsetenv(KUBE_SA_DIR_ENV);
	unsetenv("KUBECONFIG");
	return 0;
}

/* Writes name into the test dir; returns its path (static buffer). */
static const char *put(struct cfg_state *s, const char *name, const char *text)
{
	static char path[PATH_MAX];

	unit_write_file(s->dir, name, text, path, sizeof(path));
	return path;
}

static const char ca_pem[] = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n";
/* base64 of ca_pem */
static const char ca_b64[] =
	"LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0tCk1JSUIKLS0tLS1FTkQgQ0VSVElGSUNBVEUtLS0tLQo=";

#define KC_HEAD                                     \
	"apiVersion: v1\n"                          \
	"kind: Config\n"                            \
	"clusters:\n"                               \
	"- name: lab\n"                             \
	"  cluster:\n"                              \
	"    server: https://127.0.0.1:18443/\n"    \
	"    certificate-authority: certs/ca.crt\n" \
	"- name: other\n"                           \
	"  cluster:\n"                              \
	"    server: https://10.0.0.1:6443\n"       \
	"    certificate-authority-data: " /* ca_b64 follows */

static void test_kubeconfig_token_and_ca_file(void **state)
{
	struct cfg_state *s = *state;
	char path[PATH_MAX], want_ca[PATH_MAX + 32], err[256] = "";
	struct kube_config c;
	char text[4096];

	snprintf(path, sizeof(path), "%s/certs", s->dir);
	assert_int_equal(mkdir(path, 0700), 0);
	put(s, "certs/ca.crt", ca_pem);
	snprintf(text, sizeof(text),
		 KC_HEAD "%s\n"
			 "users:\n"
			 "- name: admin\n"
			 "  user:\n"
			 "    token: secret-token-1\n"
			 "contexts:\n"
			 "- name: c1\n"
			 "  context: {cluster: lab, user: admin, namespace: team-a}\n"
			 "current-context: c1\n",
		 ca_b64);
	snprintf(path, sizeof(path), "%s", put(s, "kubeconfig", text));
	assert_int_equal(kube_config_from_kubeconfig(&c, path, NULL, err, sizeof(err)), 0);
	assert_string_equal(c.server, "https://127.0.0.1:18443"); /* no trailing '/' */
	assert_string_equal(c.token, "secret-token-1");
	assert_null(c.token_file);
	/* Relative to the kubeconfig's directory, as kubectl takes it. */
	snprintf(want_ca, sizeof(want_ca), "%s/certs/ca.crt", s->dir);
	assert_string_equal(c.ca_file, want_ca);
	assert_null(c.ca_data.data);
	assert_false(c.insecure_skip_tls_verify);
	assert_string_equal(c.ns, "team-a");
	assert_int_equal(c.request_timeout_ms, KUBE_REQUEST_TIMEOUT_MS_DEFAULT);
	kube_config_free(&c);
}

static void test_kubeconfig_named_context_token_file_and_ca_data(void **state)
{
	struct cfg_state *s = *state;
	char path[PATH_MAX], want[PATH_MAX + 32], err[256] = "";
	struct kube_config c;
	char text[4096];

	put(s, "tok", "  file-token-2\n\n");
	snprintf(text, sizeof(text),
		 KC_HEAD "\"%s\"\n"
			 "users:\n"
			 "- name: robot\n"
			 "  user:\n"
			 "    tokenFile: tok\n"
			 "contexts:\n"
			 "- name: c1\n"
			 "  context: {cluster: lab, user: nobody}\n"
			 "- name: c2\n"
			 "  context:\n"
			 "    cluster: other\n"
			 "    user: robot\n"
			 "current-context: c1\n",
		 ca_b64);
	snprintf(path, sizeof(path), "%s", put(s, "kubeconfig", text));
	assert_int_equal(kube_config_from_kubeconfig(&c, path, "c2", err, sizeof(err)), 0);
	assert_string_equal(c.server, "https://10.0.0.1:6443");
	/* Read now, whitespace trimmed, and kept for re-reads. */
	assert_string_equal(c.token, "file-token-2");
	snprintf(want, sizeof(want), "%s/tok", s->dir);
	assert_string_equal(c.token_file, want);
	assert_non_null(c.ca_data.data);
	assert_int_equal(c.ca_data.len, strlen(ca_pem));
	assert_memory_equal(c.ca_data.data, ca_pem, strlen(ca_pem));
	assert_null(c.ca_file);
	assert_string_equal(c.ns, "default");
	kube_config_free(&c);
}

static void test_kubeconfig_client_certificates(void **state)
{
	struct cfg_state *s = *state;
	char path[PATH_MAX], err[256] = "";
	struct kube_config c;
	char text[4096];

	put(s, "client.crt", "CERT");
	snprintf(text, sizeof(text),
		 "clusters:\n"
		 "- name: lab\n"
		 "  cluster:\n"
		 "    server: https://127.0.0.1:1\n"
		 "    insecure-skip-tls-verify: true\n"
		 "users:\n"
		 "- name: files\n"
		 "  user:\n"
		 "    client-certificate: %s/client.crt\n"
		 "    client-key-data: %s\n"
		 "contexts:\n"
		 "- {name: c, context: {cluster: lab, user: files}}\n"
		 "current-context: c\n",
		 s->dir, ca_b64);
	snprintf(path, sizeof(path), "%s", put(s, "kubeconfig", text));
	assert_int_equal(kube_config_from_kubeconfig(&c, path, NULL, err, sizeof(err)), 0);
	assert_true(c.insecure_skip_tls_verify);
	assert_null(c.token);
	assert_non_null(c.cert_file);
	assert_str_contains(c.cert_file, "/client.crt");
	assert_null(c.cert_data.data);
	assert_null(c.key_file);
	assert_memory_equal(c.key_data.data, ca_pem, strlen(ca_pem));
	kube_config_free(&c);
}

/* Each bad kubeconfig and the words its error must carry. */
static const struct {
	const char *text;
	const char *context;
	const char *want;
	int rc;
} bad_configs[] = {
	{ "clusters:\n- name: a\n  cluster: {server: https://x}\n"
	  "contexts:\n- name: c\n  context: {cluster: a}\n",
	  NULL, "no current-context", -EINVAL },
	{ "current-context: c\nclusters: [\n  - name: a\n", NULL, "not valid YAML: line", -EINVAL },
	{ "key: [unclosed\n", NULL, "not valid YAML", -EINVAL },
	{ "", NULL, "is empty", -EINVAL },
	{ "- just\n- a list\n", NULL, "not a YAML mapping", -EINVAL },
	{ "current-context: c\ncontexts:\n- name: d\n  context: {cluster: a}\n", NULL,
	  "context c not found", -ENOENT },
	{ "current-context: c\ncontexts:\n- name: c\n  context: {cluster: a}\n", NULL,
	  "cluster a not found", -ENOENT },
	{ "current-context: c\nclusters:\n- name: a\n  cluster: {certificate-authority-data: eA==}\n"
	  "contexts:\n- name: c\n  context: {cluster: a}\n",
	  NULL, "cluster a has no server", -EINVAL },
	{ "current-context: c\nclusters:\n- name: a\n  cluster:\n    server: https://x\n"
	  "    certificate-authority-data: '!!notbase64'\n"
	  "contexts:\n- name: c\n  context: {cluster: a}\n",
	  NULL, "certificate-authority-data is not valid base64", -EINVAL },
	{ "current-context: c\nclusters:\n- name: a\n  cluster:\n    server: https://x\n"
	  "    certificate-authority: /nonexistent/ca.crt\n"
	  "contexts:\n- name: c\n  context: {cluster: a}\n",
	  NULL, "/nonexistent/ca.crt", -ENOENT },
	{ "current-context: c\nclusters:\n- name: a\n  cluster: {server: https://x, "
	  "insecure-skip-tls-verify: maybe}\ncontexts:\n- name: c\n  context: {cluster: a}\n",
	  NULL, "not true or false", -EINVAL },
	{ "current-context: c\nclusters:\n- name: a\n  cluster: {server: https://x}\n"
	  "users:\n- name: u\n  user: {client-certificate-data: eA==}\n"
	  "contexts:\n- name: c\n  context: {cluster: a, user: u}\n",
	  NULL, "without the other", -EINVAL },
	{ "current-context: c\nclusters:\n- name: a\n  cluster: {server: https://x}\n"
	  "users:\n- name: u\n  user:\n    exec: {command: gke-gcloud-auth-plugin}\n"
	  "contexts:\n- name: c\n  context: {cluster: a, user: u}\n",
	  NULL, "exec or auth-provider", -ENOTSUP },
	{ "current-context: c\nclusters:\n- name: a\n  cluster: {server: https://x}\n"
	  "users:\n- name: u\n  user: {token: t}\n"
	  "contexts:\n- name: c\n  context: {cluster: a, user: v}\n",
	  NULL, "user v not found", -ENOENT },
	{ "current-context: c\nclusters: {a: b}\n"
	  "contexts:\n- name: c\n  context: {cluster: a}\n",
	  NULL, "clusters is not a list", -EINVAL },
	{ "current-context: c\nclusters:\n- name: a\n  cluster: {server: [x]}\n"
	  "contexts:\n- name: c\n  context: {cluster: a}\n",
	  NULL, "server is not a string", -EINVAL },
	{ "current-context: c\nclusters:\n- name: a\n  cluster: {server: https://x}\n"
	  "users:\n- name: u\n  user: {tokenFile: /nonexistent/token}\n"
	  "contexts:\n- name: c\n  context: {cluster: a, user: u}\n",
	  NULL, "/nonexistent/token", -ENOENT },
};

static void test_kubeconfig_errors_say_what_is_wrong(void **state)
{
	struct cfg_state *s = *state;

	for (size_t i = 0; i < ARRAY_SIZE(bad_configs); i++) {
		struct kube_config c;
		char path[PATH_MAX], err[512] = "";
		int rc;

		snprintf(path, sizeof(path), "%s", put(s, "bad", bad_configs[i].text));
		rc = kube_config_from_kubeconfig(&c, path, bad_configs[i].context, err,
						 sizeof(err));
		if (rc != bad_configs[i].rc)
			fail_msg("case %zu: rc %d, want %d (%s)", i, rc, bad_configs[i].rc, err);
		assert_str_contains(err, bad_configs[i].want);
		/* Nothing is left to free on failure. */
		assert_null(c.server);
		assert_null(c.token);
	}
}

static void test_missing_kubeconfig_file(void **state)
{
	struct kube_config c;
	char err[256] = "";

	(void)state;
	assert_int_equal(kube_config_from_kubeconfig(&c, "/nonexistent/kc", NULL, err, sizeof(err)),
			 -ENOENT);
	assert_str_contains(err, "/nonexistent/kc");
}

static void make_sa_dir(struct cfg_state *s, const char *sub, bool with_ns)
{
	char path[PATH_MAX], p2[PATH_MAX];

	snprintf(path, sizeof(path), "%s/%s", s->dir, sub);
	assert_int_equal(mkdir(path, 0700), 0);
	unit_write_file(path, "token", "sa-token-3\n", p2, sizeof(p2));
	unit_write_file(path, "ca.crt", ca_pem, p2, sizeof(p2));
	if (with_ns)
		unit_write_file(path, "namespace", "kube-system", p2, sizeof(p2));
	setenv(KUBE_SA_DIR_ENV, path, 1);
}

static void test_in_cluster_from_env_and_sa_dir(void **state)
{
	struct cfg_state *s = *state;
	struct kube_config c;
	char err[256] = "", want[PATH_MAX + 32];

	make_sa_dir(s, "sa", true);
	setenv("KUBERNETES_SERVICE_HOST", "10.96.0.1", 1);
	setenv("KUBERNETES_SERVICE_PORT", "443", 1);
	assert_int_equal(kube_config_in_cluster(&c, err, sizeof(err)), 0);
	assert_string_equal(c.server, "https://10.96.0.1:443");
	assert_string_equal(c.token, "sa-token-3");
	snprintf(want, sizeof(want), "%s/sa/token", s->dir);
	assert_string_equal(c.token_file, want);
	snprintf(want, sizeof(want), "%s/sa/ca.crt", s->dir);
	assert_string_equal(c.ca_file, want);
	assert_string_equal(c.ns, "kube-system");
	assert_int_equal(c.token_reread_ms, KUBE_TOKEN_REREAD_MS_DEFAULT);
	assert_false(c.insecure_skip_tls_verify);
	kube_config_free(&c);

	/* An IPv6 service address gets brackets; no namespace file:
	 * "default". kube_config_load picks in-cluster by itself. */
	unit_rm_rf(s->dir);
	assert_int_equal(mkdir(s->dir, 0700), 0);
	make_sa_dir(s, "sa6", false);
	setenv("KUBERNETES_SERVICE_HOST", "fd00::1", 1);
	assert_int_equal(kube_config_load(&c, NULL, err, sizeof(err)), 0);
	assert_string_equal(c.server, "https://[fd00::1]:443");
	assert_string_equal(c.ns, "default");
	kube_config_free(&c);
}

static void test_in_cluster_errors(void **state)
{
	struct cfg_state *s = *state;
	struct kube_config c;
	char err[256] = "", p[PATH_MAX];

	assert_int_equal(kube_config_in_cluster(&c, err, sizeof(err)), -ENOENT);
	assert_str_contains(err, "KUBERNETES_SERVICE_HOST");
	assert_int_equal(kube_config_load(&c, NULL, err, sizeof(err)), -ENOENT);
	assert_str_contains(err, "no API server configured");

	setenv("KUBERNETES_SERVICE_HOST", "10.96.0.1", 1);
	setenv("KUBERNETES_SERVICE_PORT", "443", 1);
	setenv(KUBE_SA_DIR_ENV, s->dir, 1);
	assert_int_equal(kube_config_in_cluster(&c, err, sizeof(err)), -ENOENT);
	assert_str_contains(err, "token");
	unit_write_file(s->dir, "token", " \n", p, sizeof(p));
	assert_int_equal(kube_config_in_cluster(&c, err, sizeof(err)), -ENODATA);
	assert_str_contains(err, "is empty");
	unit_write_file(s->dir, "token", "t", p, sizeof(p));
	assert_int_equal(kube_config_in_cluster(&c, err, sizeof(err)), -ENOENT);
	assert_str_contains(err, "ca.crt");
	assert_null(c.server);
}

static void test_load_takes_kubeconfig_env(void **state)
{
	struct cfg_state *s = *state;
	struct kube_config c, d;
	char path[PATH_MAX], env[PATH_MAX + 32], err[256] = "";

	snprintf(
		path, sizeof(path), "%s",
		put(s, "kc",
		    "current-context: c\nclusters:\n- name: a\n  cluster: {server: http://127.0.0.1:9}\n"
		    "users:\n- name: u\n  user: {token: tk}\n"
		    "contexts:\n- name: c\n  context: {cluster: a, user: u}\n"));
	snprintf(env, sizeof(env), "%s:/nonexistent/second", path);
	setenv("KUBECONFIG", env, 1);
	assert_int_equal(kube_config_load(&c, NULL, err, sizeof(err)), 0);
	assert_string_equal(c.server, "http://127.0.0.1:9");
	/* A deep copy outlives the original. */
	assert_int_equal(kube_config_dup(&d, &c), 0);
	kube_config_free(&c);
	assert_string_equal(d.server, "http://127.0.0.1:9");
	assert_string_equal(d.token, "tk");
	kube_config_free(&d);
}

static void test_base64(void **state)
{
	const struct {
		const char *in;
		const char *out;
	} good[] = {
		{ "", "" },
		{ "Zg==", "f" },
		{ "Zm8=", "fo" },
		{ "Zm9v", "foo" },
		{ "Zm9vYg", "foob" }, /* padding is optional */
		{ "Zm9v\n YmFy\r\n", "foobar" },
	};
	const char *bad[] = { "Zm9v!", "Z", "Zm9vY", "Zg=x", "Zg===", "Zh==" };
	unsigned char *out;
	size_t len;

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(good); i++) {
		assert_int_equal(base64_decode(good[i].in, &out, &len), 0);
		assert_int_equal(len, strlen(good[i].out));
		assert_string_equal((char *)out, good[i].out);
		free(out);
	}
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		if (base64_decode(bad[i], &out, &len) != -EINVAL)
			fail_msg("\"%s\" accepted", bad[i]);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_kubeconfig_token_and_ca_file, setup, teardown),
		cmocka_unit_test_setup_teardown(
			test_kubeconfig_named_context_token_file_and_ca_data, setup, teardown),
		cmocka_unit_test_setup_teardown(test_kubeconfig_client_certificates, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_kubeconfig_errors_say_what_is_wrong, setup,
						teardown),
		cmocka_unit_test(test_missing_kubeconfig_file),
		cmocka_unit_test_setup_teardown(test_in_cluster_from_env_and_sa_dir, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_in_cluster_errors, setup, teardown),
		cmocka_unit_test_setup_teardown(test_load_takes_kubeconfig_env, setup, teardown),
		cmocka_unit_test(test_base64),
	};

	return cmocka_run_group_tests_name("kube_config", tests, NULL, NULL);
}
