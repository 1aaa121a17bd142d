/* Where the API server is and how to authenticate to it: in-cluster (the
 * pod's service account) or a kubeconfig file. */
#ifndef XCNI_KUBE_CONFIG_H
#define XCNI_KUBE_CONFIG_H

#include <stdbool.h>
#include <stddef.h>

#define KUBE_SA_DIR_DEFAULT "/var/run/secrets/kubernetes.io/serviceaccount"
/* Overrides the service account directory (tests). */
#define KUBE_SA_DIR_ENV "XCNI_SA_DIR"
#define KUBE_REQUEST_TIMEOUT_MS_DEFAULT 30000u
#define KUBE_TOKEN_REREAD_MS_DEFAULT 60000u
#define KUBE_CONNECT_TIMEOUT_MS_DEFAULT 10000u
/* Tokens, certificates and keys larger than this are not credentials. */
#define KUBE_CREDENTIAL_MAX (1u << 20)

/* Bytes given inline (kubeconfig *-data, base64-decoded): PEM text. */
struct kube_blob {
	unsigned char *data; /* NUL-terminated; NULL: not given */
	size_t len;
};

struct kube_config {
	char *server; /* "https://host:port", no trailing '/' */
	/* The bearer token. With token_file set it is that file's content,
	 * re-read every token_reread_ms and after a 401 (projected tokens
	 * expire). NULL: no token (client certificates, or none). Never
	 * logged. */
	char *token;
	char *token_file;
	char *ca_file; /* NULL and no ca_data: the system's roots */
	struct kube_blob ca_data; /* wins over ca_file */
	char *cert_file; /* client certificate (PEM) */
	struct kube_blob cert_data;
	char *key_file;
	struct kube_blob key_data;
	bool insecure_skip_tls_verify; /* only when asked for; off by default */
	char *ns; /* the default namespace ("default" when unknown) */
	unsigned int request_timeout_ms; /* non-watch requests */
	unsigned int connect_timeout_ms;
	unsigned int token_reread_ms;
};

/* Zeroes c and sets the default timeouts (for a config built by hand). */
void kube_config_init(struct kube_config *c);

/* The loaders fill c from scratch (c is zeroed first, timeouts get their
 * defaults) and return 0, or a negative errno with a message in err that
 * says what is wrong and where; c then holds nothing to free. */

/* In-cluster: https://$KUBERNETES_SERVICE_HOST:$KUBERNETES_SERVICE_PORT,
 * token, ca.crt and namespace from the service account directory
 * ($XCNI_SA_DIR or KUBE_SA_DIR_DEFAULT). */
int kube_config_in_cluster(struct kube_config *c, char *err, size_t len);
/* A kubeconfig file (YAML): the cluster and user of context, or of
 * current-context when context is NULL. Relative file names in it are
 * taken from the kubeconfig's directory, as kubectl does. exec and
 * auth-provider credentials are not supported (an error says so). */
int kube_config_from_kubeconfig(struct kube_config *c, const char *path, const char *context,
				char *err, size_t len);
/* kubeconfig when given, else in-cluster when KUBERNETES_SERVICE_HOST is
 * set, else $KUBECONFIG (its first entry). */
int kube_config_load(struct kube_config *c, const char *kubeconfig, char *err, size_t len);
void kube_config_free(struct kube_config *c);
/* A deep copy of src into dst; 0 or -ENOMEM (dst then holds nothing). */
int kube_config_dup(struct kube_config *dst, const struct kube_config *src);

/* Reads a token file: its content without surrounding whitespace, in a
 * new string. -ENODATA when it is empty. */
int kube_token_read(const char *path, char **token, char *err, size_t len);

/* Frees a string that held a secret, clearing it first. */
void kube_free_secret(char *s);

#endif
